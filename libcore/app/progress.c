/* progress.c: the progress line of long runs on stderr (progress.h). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "progress.h"

struct plm_progress {
  const char *tool;
  int         on;
  long long   total, records, residues, bytes;
  double      t0, last;
  char        note[160];   /* plm_progress_Note's text, "" for none */
};

double
plm_progress_Now(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

plm_progress *
plm_progress_Create(const char *tool, int mode, long long total_bytes)
{
  plm_progress *p = calloc(1, sizeof *p);
  if (!p) return NULL;                       /* no progress line is no error */
  p->tool  = tool;
  p->on    = mode == PLM_PROGRESS_AUTO ? isatty(STDERR_FILENO) : mode == PLM_PROGRESS_ON;
  p->total = total_bytes;
  p->bytes = -1;
  p->t0    = p->last = plm_progress_Now();
  return p;
}

static void
draw(const plm_progress *p, double t, const char *end)
{
  double dt = t - p->t0, rate = dt > 0 ? (double)p->records / dt : 0.0;
  char   eta[64] = "";

  if (p->total > 0 && p->bytes > 0 && p->bytes <= p->total && dt > 0) {
    double left = dt * (double)(p->total - p->bytes) / (double)p->bytes;
    snprintf(eta, sizeof eta, ", %.0f%%, ETA %dh%02dm%02ds", 100.0 * (double)p->bytes / (double)p->total,
             (int)(left / 3600), (int)(left / 60) % 60, (int)left % 60);
  }
  fprintf(stderr, "\r%s: %lld records, %lld residues, %.2f records/s, %.0f residues/s%s%s%s\033[K%s", p->tool,
          p->records, p->residues, rate, dt > 0 ? (double)p->residues / dt : 0.0, eta, p->note[0] ? "; " : "", p->note, end);
  fflush(stderr);
}

void
plm_progress_Update(plm_progress *p, long long records, long long residues, long long bytes)
{
  double t;
  if (!p || !p->on) return;
  p->records  = records;
  p->residues = residues;
  p->bytes    = bytes;
  if ((t = plm_progress_Now()) - p->last < 1.0) return;
  p->last = t;
  draw(p, t, "");
}

/* the note is redrawn at the same pace as the counts: at most once a second */
void
plm_progress_Note(plm_progress *p, const char *fmt, ...)
{
  va_list ap;
  double  t;
  if (!p || !p->on) return;
  va_start(ap, fmt);
  vsnprintf(p->note, sizeof p->note, fmt, ap);
  va_end(ap);
  if ((t = plm_progress_Now()) - p->last < 1.0) return;
  p->last = t;
  draw(p, t, "");
}

void
plm_progress_Finish(plm_progress *p)
{
  if (!p) return;
  p->note[0] = '\0';                          /* the final line: the counts only */
  if (p->on) draw(p, plm_progress_Now(), "\n");
  free(p);
}

long long
plm_progress_FileSize(const char *path)
{
  struct stat st;
  if (strcmp(path, "-") == 0 || stat(path, &st) != 0 || !S_ISREG(st.st_mode)) return 0;
  return (long long)st.st_size;
}
