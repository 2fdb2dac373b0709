/* scoremat.c: square score matrices as text (see scoremat.h).
 *
 *   parse_row()          one line of numbers appended to the matrix
 *   plm_scoremat_Read()
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "error.h"
#include "scoremat.h"

typedef struct growmat { float *v; int64_t n, cap, rows, L; } growmat;

static int
parse_row(growmat *m, char *s, const char *path, int64_t lineno, char *errbuf)
{
  int64_t ncol = 0;
  for (;;) {
    char  *end;
    double x;
    s += strspn(s, " \t\r\n");
    if (!*s) break;
    x = strtod(s, &end);
    if (end == s || !isfinite(x)) return plm_Fail(errbuf, PLM_EFORMAT, "%s: line %lld: '%.20s' is not a finite number", path, (long long)lineno, s);
    if (m->n == m->cap) {
      int64_t cap = m->cap ? 2 * m->cap : 4096;
      float  *v = cap > (int64_t)PLM_SCOREMAT_MAXL * PLM_SCOREMAT_MAXL ? NULL : realloc(m->v, sizeof(float) * (size_t)cap);
      if (!v) return plm_Fail(errbuf, PLM_ELIMIT, "%s: matrix too large (at most %d x %d)", path, PLM_SCOREMAT_MAXL, PLM_SCOREMAT_MAXL);
      m->v = v; m->cap = cap;
    }
    m->v[m->n++] = (float)x;
    ncol++;
    s = end;
  }
  if (ncol == 0) return PLM_OK;
  if (m->rows == 0) m->L = ncol;
  if (ncol != m->L) return plm_Fail(errbuf, PLM_EFORMAT, "%s: line %lld has %lld numbers, the first row %lld", path, (long long)lineno, (long long)ncol, (long long)m->L);
  m->rows++;
  return PLM_OK;
}

int
plm_scoremat_Read(const char *path, float **ret_m, int64_t *ret_L, char *errbuf)
{
  FILE   *fp = fopen(path, "r");
  growmat m = { NULL, 0, 0, 0, 0 };
  char   *line = NULL;
  size_t  cap = 0;
  int64_t lineno = 0;
  int     status;

  if (!fp) return plm_Fail(errbuf, PLM_EIO, "%s: cannot open: %s", path, strerror(errno));
  while (getline(&line, &cap, fp) >= 0) {
    lineno++;
    if (line[0] == '#') continue;
    PLM_XCHECK(parse_row(&m, line, path, lineno, errbuf));
  }
  if (ferror(fp))     PLM_XFAIL(PLM_EIO, errbuf, "%s: read error", path);
  if (m.rows == 0)    PLM_XFAIL(PLM_EFORMAT, errbuf, "%s: no matrix rows", path);
  if (m.rows != m.L)  PLM_XFAIL(PLM_EFORMAT, errbuf, "%s: %lld rows of %lld numbers: not square", path, (long long)m.rows, (long long)m.L);
  *ret_m = m.v;
  *ret_L = m.L;
  free(line);
  fclose(fp);
  return PLM_OK;

ERROR:
  free(line); free(m.v);
  fclose(fp);
  return status;
}
