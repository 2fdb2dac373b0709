/* contactprec.c: scores of a predicted contact map against the true one (see contactprec.h).
 *
 *   rank_cmp() / rank_candidates()   score descending, NaN last, then row-major order
 *   plm_contactprec_TopL()
 *   plm_contactprec_Calibration()
 *   plm_contactprec_FPDistance()
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

/* the known pairs i < j with separation in [minsep, maxsep), ranked; *ret_c is the caller's */
static int
rank_candidates(const float *pred, const uint8_t *truth, int L, int minsep, int maxsep, cand **ret_c, int64_t *ret_n,
                char *errbuf)
{
  cand   *c = NULL;
  int64_t nc = 0;
  int     status;

  if (L < 0 || minsep < 1) PLM_XFAIL(PLM_EINVAL, errbuf, "contact precision: bad length or minimum separation");
  if (!(c = malloc(sizeof(cand) * (size_t)L * (size_t)L / 2 + sizeof(cand))))
    PLM_XFAIL(PLM_EMEM, errbuf, "contact precision: out of memory for L = %d", L);
  for (int i = 0; i < L; i++)
    for (int j = i + minsep; j < L && (maxsep == 0 || j - i < maxsep); j++) {
      int64_t pos = (int64_t)i * L + j;
      if (truth[pos] == PLM_CONTACT_UNKNOWN) continue;
      if (truth[pos] > 1) PLM_XFAIL(PLM_EFORMAT, errbuf, "contact precision: true state %d at (%d, %d) is not 0, 1 or 255", truth[pos], i, j);
      c[nc++] = (cand){ pred[pos], pos, truth[pos] };
    }
  qsort(c, (size_t)nc, sizeof(cand), rank_cmp);
  *ret_c = c;
  *ret_n = nc;
  return PLM_OK;

ERROR:
  free(c);
  return status;
}

int
plm_contactprec_TopL(const float *pred, const uint8_t *truth, int L, int minsep, int maxsep,
                     const double *div, int ndiv, double *ret_prec, char *errbuf)
{
  cand   *c = NULL;
  int64_t nc = 0;
  int     status;

  PLM_XCHECK(rank_candidates(pred, truth, L, minsep, maxsep, &c, &nc, errbuf));
  for (int k = 0; k < ndiv; k++) {
    int64_t top = (int64_t)(L / div[k]), hits = 0;
    for (int64_t t = 0; t < top && t < nc; t++) hits += c[t].hit;
    ret_prec[k] = top > 0 ? (double)hits / (double)top : NAN;
  }
  free(c);
  return PLM_OK;

ERROR:
  return status;
}

int
plm_contactprec_Calibration(const float *pred, const uint8_t *truth, int L, int minsep, int nbins, double *ret_mse,
                            char *errbuf)
{
  double *sp = calloc((size_t)(nbins > 0 ? nbins : 1) * 3, sizeof(double));   /* per bin: sum p, sum y, count */
  double  mse = 0, n = 0;
  int     probs = 1, status;   /* probs: every score is a probability; else the answer is NaN */

  *ret_mse = NAN;
  if (nbins < 1 || minsep < 1) PLM_XFAIL(PLM_EINVAL, errbuf, "calibration: bad bin count or minimum separation");
  if (!sp) PLM_XFAIL(PLM_EMEM, errbuf, "out of memory");
  for (int i = 0; probs && i < L; i++)
    for (int j = i + minsep; probs && j < L; j++) {
      int64_t pos = (int64_t)i * L + j;
      float   p = pred[pos];
      int     b;
      if (truth[pos] == PLM_CONTACT_UNKNOWN || isnan(p)) continue;
      probs = p >= 0 && p <= 1;
      b = p >= 1 ? nbins - 1 : (int)(p * nbins);
      if (probs) { sp[3 * b] += p; sp[3 * b + 1] += truth[pos] == 1; sp[3 * b + 2] += 1; }
    }
  for (int b = 0; probs && b < nbins; b++) {
    double cnt = sp[3 * b + 2], gap;
    if (cnt == 0) continue;
    gap  = sp[3 * b] / cnt - sp[3 * b + 1] / cnt;
    mse += cnt * gap * gap;
    n   += cnt;
  }
  if (n > 0) *ret_mse = mse / n;
  status = PLM_OK;

ERROR:
  free(sp);
  return status;
}

/* Chebyshev distance from (i, j) to the nearest true contact in the list */
static int
nearest(int i, int j, const int *ti, const int *tj, int64_t nt)
{
  int best = -1;
  for (int64_t k = 0; k < nt; k++) {
    int di = abs(i - ti[k]), dj = abs(j - tj[k]), d = di > dj ? di : dj;
    if (best < 0 || d < best) best = d;
  }
  return best;
}

int
plm_contactprec_FPDistance(const float *pred, const uint8_t *truth, int L, int minsep, double *ret_mean, char *errbuf)
{
  cand   *c = NULL;
  int    *ti = NULL, *tj = NULL;
  int64_t nc = 0, nt = 0, nfp = 0;
  double  sum = 0;
  int     status;

  *ret_mean = NAN;
  PLM_XCHECK(rank_candidates(pred, truth, L, minsep, 0, &c, &nc, errbuf));
  if (!(ti = malloc(sizeof(int) * (size_t)(nc + 1))) || !(tj = malloc(sizeof(int) * (size_t)(nc + 1))))
    PLM_XFAIL(PLM_EMEM, errbuf, "out of memory");
  for (int64_t k = 0; k < nc; k++)
    if (c[k].hit) { ti[nt] = (int)(c[k].pos / L); tj[nt++] = (int)(c[k].pos % L); }
  for (int64_t t = 0; nt > 0 && t < L && t < nc; t++)
    if (!c[t].hit && !isnan(c[t].score)) { sum += nearest((int)(c[t].pos / L), (int)(c[t].pos % L), ti, tj, nt); nfp++; }
  if (nfp) *ret_mean = sum / (double)nfp;
  status = PLM_OK;

ERROR:
  free(c); free(ti); free(tj);
  return status;
}
