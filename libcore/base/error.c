/* error.c: status codes and error messages as values (see error.h). */
#include <stdarg.h>
#include <stdio.h>
#include "error.h"

int
plm_Fail(char *errbuf, int status, const char *fmt, ...)
{
  va_list ap;
  if (errbuf) {
    va_start(ap, fmt);
    vsnprintf(errbuf, PLM_ERRBUFSIZE, fmt, ap);
    va_end(ap);
  }
  return status;
}

const char *
plm_StatusName(int status)
{
  switch (status) {
  case PLM_OK:        return "ok";
  case PLM_EOF:       return "end of input";
  case PLM_EMEM:      return "out of memory";
  case PLM_EIO:       return "i/o error";
  case PLM_EFORMAT:   return "format error";
  case PLM_EINVAL:    return "invalid argument";
  case PLM_ELIMIT:    return "limit exceeded";
  case PLM_EUNSUP:    return "unsupported";
  case PLM_ENOTFOUND: return "not found";
  }
  return "unknown status";
}
