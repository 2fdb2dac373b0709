/* rr.c: CASP RR contact predictions (see rr.h).
 *
 *   plm_rr_Write()   sort the qualifying pairs by score and print them
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "error.h"
#include "rr.h"

#define RR_LINE 50   /* residues per sequence line, as CASP writes them */

typedef struct { int64_t i, j; float p; } rr_pair;

/* best first; equal scores by position, so output never depends on qsort's order */
static int
cmp_pair(const void *va, const void *vb)
{
  const rr_pair *a = va, *b = vb;
  if (a->p != b->p) return a->p > b->p ? -1 : 1;
  if (a->i != b->i) return a->i < b->i ? -1 : 1;
  return (a->j > b->j) - (a->j < b->j);
}

/* the pairs i < j with j - i >= minsep, sorted; every score must be a number */
static int
collect_pairs(const float *scores, int64_t L, int64_t minsep, rr_pair **ret_pairs, int64_t *ret_n, char *errbuf)
{
  rr_pair *pairs = NULL;
  int64_t  n = 0;
  int64_t  sep = minsep > 1 ? minsep : 1;
  int64_t  max = L > sep ? (L - sep) * (L - sep + 1) / 2 : 0;

  *ret_pairs = NULL;
  if ((pairs = malloc((size_t)(max ? max : 1) * sizeof *pairs)) == NULL) return plm_Fail(errbuf, PLM_EMEM, "out of memory");
  for (int64_t i = 0; i < L; i++)
    for (int64_t j = i + sep; j < L; j++) {
      float p = scores[i * L + j];
      if (!isfinite(p)) { free(pairs); return plm_Fail(errbuf, PLM_EFORMAT, "contact score (%lld, %lld) is %g", (long long)i + 1, (long long)j + 1, p); }
      pairs[n++] = (rr_pair){ i, j, p };
    }
  qsort(pairs, (size_t)n, sizeof *pairs, cmp_pair);
  *ret_pairs = pairs;
  *ret_n     = n;
  return PLM_OK;
}

int
plm_rr_Write(FILE *fp, const char *target, const char *residues, const float *scores, int64_t L,
             int64_t minsep, int64_t top, char *errbuf)
{
  rr_pair *pairs = NULL;
  int64_t  n = 0;
  int      status;

  if ((int64_t)strlen(residues) != L)
    return plm_Fail(errbuf, PLM_EINVAL, "sequence has %zu residues but the contact map is %lld x %lld",
                    strlen(residues), (long long)L, (long long)L);
  PLM_XCHECK(collect_pairs(scores, L, minsep, &pairs, &n, errbuf));
  if (top >= 0 && top < n) n = top;

  fprintf(fp, "PFRMAT RR\nTARGET %s\nMODEL 1\n", target);
  for (int64_t k = 0; k < L; k += RR_LINE) fprintf(fp, "%.*s\n", RR_LINE, residues + k);
  for (int64_t k = 0; k < n; k++)
    fprintf(fp, "%lld %lld 0 8 %.6f\n", (long long)pairs[k].i + 1, (long long)pairs[k].j + 1, pairs[k].p);
  fprintf(fp, "END\n");
  if (ferror(fp)) PLM_XFAIL(PLM_EIO, errbuf, "write failed: %s", strerror(errno));
  free(pairs);
  return PLM_OK;

ERROR:
  free(pairs);
  return status;
}
