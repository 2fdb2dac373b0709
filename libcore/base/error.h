/* error.h: status codes and error messages as values.
 *
 * Every libcore function that can fail returns an int status and, on failure,
 * writes one human-readable line into a caller-supplied errbuf of
 * PLM_ERRBUFSIZE bytes. Only a tool's main() prints it and exits.
 *
 *   plm_Fail()        set errbuf, return the status
 *   PLM_XFAIL()       the same, then goto ERROR (one cleanup label per function)
 *   plm_StatusName()  short name of a status code
 */
#ifndef PLM_ERROR_H
#define PLM_ERROR_H

#define PLM_ERRBUFSIZE 512

enum plm_status {
  PLM_OK = 0,
  PLM_EOF,      /* normal end of input: not an error */
  PLM_EMEM,     /* allocation failed */
  PLM_EIO,      /* system read/write/open failure */
  PLM_EFORMAT,  /* input is malformed */
  PLM_EINVAL,   /* bad argument or option */
  PLM_ELIMIT,   /* input exceeds a sanity limit */
  PLM_EUNSUP,   /* well-formed but unsupported */
  PLM_ENOTFOUND /* a looked-up name does not exist */
};

int         plm_Fail(char *errbuf, int status, const char *fmt, ...)
            __attribute__((format(printf, 3, 4)));
const char *plm_StatusName(int status);

#define PLM_XFAIL(code, errbuf, ...) \
  do { status = plm_Fail((errbuf), (code), __VA_ARGS__); goto ERROR; } while (0)

/* propagate a failing call's status, keeping its message */
#define PLM_XCHECK(call) \
  do { if ((status = (call)) != PLM_OK) goto ERROR; } while (0)

#endif
