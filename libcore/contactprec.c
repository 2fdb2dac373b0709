/* contactprec.c: precision of the top-scored pairs of a contact map (see contactprec.h).
 *
 *   rank_cmp()              score descending, NaN last, then row-major order
 *   plm_contactprec_TopL()
 */
#include <math.h>
#include <stdlib.h>
#include "error.h"
#include "contactprec.h"

typedef struct cand { float score; int64_t pos; uint8_t hit; } cand;

static int
rank_cmp(const void *va, const void *vb)
{
  const cand *a = va, *b = vb;
  int         na = isnan(a->score), nb = isnan(b->score);
  if (na != nb)            return na - nb;
  if (!na && a->score != b->score) return a->score > b->score ? -1 : 1;
  return (a->pos > b->pos) - (a->pos < b->pos);
}

int
plm_contactprec_TopL(const float *pred, const uint8_t *truth, int L, int minsep, int maxsep,
                     const double *div, int ndiv, double *ret_prec, char *errbuf)
{
  cand   *c = NULL;
  int64_t nc = 0;
  int     status;

  if (L < 0 || minsep < 1) PLM_XFAIL(PLM_EINVAL, errbuf, "contact precision: bad length or minimum separation");
  if (L > 0 && !(c = malloc(sizeof(cand) * (size_t)L * (size_t)L / 2 + sizeof(cand))))
    PLM_XFAIL(PLM_EMEM, errbuf, "contact precision: out of memory for L = %d", L);
  for (int i = 0; i < L; i++)
    for (int j = i + minsep; j < L && (maxsep == 0 || j - i < maxsep); j++) {
      int64_t pos = (int64_t)i * L + j;
      if (truth[pos] == PLM_CONTACT_UNKNOWN) continue;
      if (truth[pos] > 1) PLM_XFAIL(PLM_EFORMAT, errbuf, "contact precision: true state %d at (%d, %d) is not 0, 1 or 255", truth[pos], i, j);
      c[nc++] = (cand){ pred[pos], pos, truth[pos] };
    }
  qsort(c, (size_t)nc, sizeof(cand), rank_cmp);
  for (int k = 0; k < ndiv; k++) {
    int64_t top = (int64_t)(L / div[k]), hits = 0;
    for (int64_t t = 0; t < top && t < nc; t++) hits += c[t].hit;
    ret_prec[k] = top > 0 ? (double)hits / (double)top : NAN;
  }
  free(c);
  return PLM_OK;

ERROR:
  free(c);
  return status;
}
