/* toplabel.c: the top pairs of a score map as contact labels (see toplabel.h).
 *
 *   pair_Cmp()            higher score first, ties by position (a stable, reproducible order)
 *   plm_toplabel_Make()
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "error.h"
#include "toplabel.h"

typedef struct { float s; int64_t pos; } scored;

static int
pair_Cmp(const void *a, const void *b)
{
  const scored *x = a, *y = b;
  if (x->s != y->s) return x->s > y->s ? -1 : 1;
  return (x->pos > y->pos) - (x->pos < y->pos);
}

int
plm_toplabel_Make(const float *score, int64_t L, int minsep, double x, uint8_t *label, char *errbuf)
{
  scored *p;
  int64_t n = 0, k;

  if (L < 1 || minsep < 1 || !(x > 0.0)) return plm_Fail(errbuf, PLM_EINVAL, "top labels: L %lld, min-sep %d, x %g", (long long)L, minsep, x);
  memset(label, 255, (size_t)(L * L));
  if ((p = malloc(sizeof *p * (size_t)(L * L / 2 + 1))) == NULL) return plm_Fail(errbuf, PLM_EMEM, "out of memory");
  for (int64_t i = 0; i < L; i++)
    for (int64_t j = i + minsep; j < L; j++)
      if (!isnan(score[i * L + j])) p[n++] = (scored){ score[i * L + j], i * L + j };
  qsort(p, (size_t)n, sizeof *p, pair_Cmp);
  k = (int64_t)ceil(x * (double)L);
  for (int64_t m = 0; m < n; m++) {
    int64_t i = p[m].pos / L, j = p[m].pos % L;
    label[i * L + j] = label[j * L + i] = m < k ? 1 : 0;
  }
  free(p);
  return PLM_OK;
}
