/* progress.h: a progress line on stderr for tools that can run for minutes.
 *
 * Tools take --progress (PLM_PROGRESS_ON) and --quiet (PLM_PROGRESS_OFF), else PLM_PROGRESS_AUTO.
 * Shown when stderr is a terminal (or forced with --progress), never otherwise (or with --quiet):
 * records and residues done, the rate, and an ETA when the input's size is known (regular files:
 * bytes read of bytes in all). Redrawn at most once a second on one line ("\r"); Finish ends it.
 *
 *   plm_progress_Create()  tool name, mode, total input bytes (0: unknown)
 *   plm_progress_Update()  records and residues done so far, input bytes read so far (-1: unknown)
 *   plm_progress_Note()    what the current record is at, after the counts ("Q1: 300/1000 rows")
 *   plm_progress_Finish()  the final line (when shown) and free
 *   plm_progress_FileSize() the size of a regular file, 0 for stdin, pipes and the like
 *   plm_progress_Now()     monotonic seconds, for a tool's own periodic work (headstat's checkpoints)
 */
#ifndef PLM_PROGRESS_H
#define PLM_PROGRESS_H

enum { PLM_PROGRESS_AUTO = -1, PLM_PROGRESS_OFF = 0, PLM_PROGRESS_ON = 1 };

typedef struct plm_progress plm_progress;

plm_progress *plm_progress_Create(const char *tool, int mode, long long total_bytes);
void          plm_progress_Update(plm_progress *p, long long records, long long residues, long long bytes);
void          plm_progress_Note(plm_progress *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void          plm_progress_Finish(plm_progress *p);
long long     plm_progress_FileSize(const char *path);
double        plm_progress_Now(void);

#endif
