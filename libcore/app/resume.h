/* resume.h: -o FILE --resume, one implementation for every tool whose output is a sequence of
 * units, one unit per input item (attn: one record per protein; pseudomsa: a query's N + 1 rows;
 * potts and msaensemble: one record per family).
 *
 * A run killed part-way leaves FILE a byte prefix of the whole run's output. Resuming keeps the
 * whole units of that prefix (a stream's checksummed frames say which records are intact; in a
 * text output a unit is a fixed number of complete lines), copied into FILE.resume. The caller
 * then asks, for each input item in order, whether it is already done (its key, the id of the
 * unit's first record, must then match the kept unit's: else "not the same input"), and writes
 * the rest. FILE.resume replaces FILE (fsync, then rename) before the first new unit is written,
 * or at the end: a wrong input leaves FILE untouched, and a resume cut in turn leaves FILE a
 * longer prefix, never a shorter one. Same input and options -> the bytes of an uninterrupted run.
 *
 *   plm_resume_OpenStream()  FILE as a record stream (NULL or "-": stdout, nothing to resume)
 *   plm_resume_OpenText()    FILE as text, units of a fixed number of lines
 *   plm_resume_Skip()        is the next input item (its key) already in the output? (input, item:
 *                            where it was read, for the message when it does not match)
 *   plm_resume_Finish()      every kept unit was met in the input; FILE.resume replaces FILE
 *   plm_resume_Abort()       an error: FILE.resume removed unless it already replaced FILE
 *   plm_resume_Replace()     fsync TMP, rename it over PATH (also for checkpoints, headstat)
 */
#ifndef PLM_RESUME_H
#define PLM_RESUME_H
#include <stdio.h>
#include "record.h"
#include "stream.h"

typedef struct plm_resume {
  const char *tool;       /* for the "resuming" note on stderr */
  char       *path;       /* FILE; NULL: stdout */
  char       *tmp;        /* FILE.resume while it has not replaced FILE, else NULL */
  char      **key;        /* the kept units' keys, in order */
  long long   nkeys, cap;
  long long   next;       /* input items met so far that were kept units */
  int         whole;      /* FILE was a complete output */
} plm_resume;

/* 1 when rec is the last record of its unit (NULL: every record is a unit) */
typedef int (*plm_resume_unitend_f)(const plm_record *rec, void *arg);

int  plm_resume_OpenStream(const char *tool, const char *path, int zlevel, int resume, plm_resume_unitend_f unit_end,
                           void *arg, plm_resume **ret_rs, plm_streamwriter **ret_w, char *errbuf);
int  plm_resume_OpenText(const char *tool, const char *path, int resume, long long lines_per_unit,
                         plm_resume **ret_rs, FILE **ret_fp, char *errbuf);
int  plm_resume_Skip(plm_resume *rs, const char *input, long long item, const char *key, int *ret_skip, char *errbuf);
int  plm_resume_Finish(plm_resume *rs, char *errbuf);
void plm_resume_Abort(plm_resume *rs);
int  plm_resume_Replace(const char *tmp, const char *path, char *errbuf);

#endif
