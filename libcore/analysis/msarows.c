/* msarows.c: row selection for deep alignments (see msarows.h). */
#include <stdlib.h>
#include <string.h>
#include "error.h"
#include "rng.h"
#include "msarows.h"

static int
cmp_int(const void *a, const void *b) { return (*(const int *)a > *(const int *)b) - (*(const int *)a < *(const int *)b); }

/* fraction of differing columns (scipy's cdist "hamming") */
static double
hamming(const char *a, const char *b, size_t C)
{
  size_t d = 0;
  for (size_t i = 0; i < C; i++) d += a[i] != b[i];
  return C ? (double)d / (double)C : 0.0;
}

int
plm_msarows_Select(const char *const *rows, int R, int N, int mode, uint64_t seed, int *idx, int *ret_n, char *errbuf)
{
  size_t  C = R > 0 ? strlen(rows[0]) : 0;
  double *sum = NULL;
  char   *used = NULL;
  int     n = N < R ? N : R;

  *ret_n = 0;
  if (R < 1 || N < 1) return plm_Fail(errbuf, PLM_EINVAL, "selecting %d of %d rows", N, R);
  for (int r = 1; r < R; r++)
    if (strlen(rows[r]) != C) return plm_Fail(errbuf, PLM_EFORMAT, "aligned row %d has %zu columns, the query %zu", r + 1, strlen(rows[r]), C);
  if ((used = calloc((size_t)R, 1)) == NULL || (sum = calloc((size_t)R, sizeof *sum)) == NULL) {
    free(used); return plm_Fail(errbuf, PLM_EMEM, "out of memory");
  }
  idx[0] = 0;
  used[0] = 1;
  if (mode == PLM_MSAROWS_GREEDY) {
    for (int k = 1; k < n; k++) {               /* sum[r]: distance of r to the chosen rows, summed */
      int best = -1;
      for (int r = 0; r < R; r++) {
        if (used[r]) continue;
        sum[r] += hamming(rows[idx[k - 1]], rows[r], C);
        if (best < 0 || sum[r] > sum[best]) best = r;
      }
      idx[k] = best;
      used[best] = 1;
    }
  } else {
    uint64_t st = seed;
    for (int r = 1; r < R; r++) idx[r] = r;
    for (int k = 1; k < n; k++) {                /* partial Fisher-Yates over rows 1 .. R-1, in idx */
      int j = k + (int)(plm_rng_Next(&st) % (uint64_t)(R - k)), t = idx[k];
      idx[k] = idx[j]; idx[j] = t;
    }
  }
  qsort(idx, (size_t)n, sizeof *idx, cmp_int);
  free(used);
  free(sum);
  *ret_n = n;
  return PLM_OK;
}

int
plm_msarows_Parse(const char *s, int *ret_mode, char *errbuf)
{
  if      (strcmp(s, "greedy") == 0) *ret_mode = PLM_MSAROWS_GREEDY;
  else if (strcmp(s, "random") == 0) *ret_mode = PLM_MSAROWS_RANDOM;
  else return plm_Fail(errbuf, PLM_EINVAL, "row selection is greedy or random, not '%s'", s);
  return PLM_OK;
}
