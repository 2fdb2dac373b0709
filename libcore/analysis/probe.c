/* probe.c: probing-classifier helpers (see probe.h).
 *
 *   split:     plm_probe_Coin()
 *   features:  plm_probe_PairFeatures(), plm_probe_Moments(), plm_probe_Scale()
 *   metrics:   plm_probe_MacroF1(), cmp_score(), plm_probe_TopPrecision()
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "error.h"
#include "probe.h"
#include "rng.h"

/* FNV-1a of the key, mixed with the seed by splitmix64's finalizer */
int
plm_probe_Coin(uint64_t seed, const char *key, double p)
{
  uint64_t x = plm_rng_Hash(PLM_RNG_HASH0, key, strlen(key));
  x ^= seed + UINT64_C(0x9e3779b97f4a7c15);
  x = (x ^ (x >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
  x = (x ^ (x >> 27)) * UINT64_C(0x94d049bb133111eb);
  x ^= x >> 31;
  return (double)(x >> 11) * 0x1.0p-53 < p;
}

/* symmetric in (a, b), as a contact is */
void
plm_probe_PairFeatures(const float *a, const float *b, int D, float *out)
{
  for (int k = 0; k < D; k++) {
    out[k]     = fabsf(a[k] - b[k]);
    out[D + k] = a[k] * b[k];
  }
}

void
plm_probe_Moments(const float *X, int64_t n, int d, double *mean, double *sd)
{
  for (int k = 0; k < d; k++) mean[k] = sd[k] = 0.0;
  for (int64_t i = 0; i < n; i++)
    for (int k = 0; k < d; k++) mean[k] += X[i * d + k];
  for (int k = 0; k < d; k++) mean[k] /= n > 0 ? (double)n : 1.0;
  for (int64_t i = 0; i < n; i++)
    for (int k = 0; k < d; k++) sd[k] += (X[i * d + k] - mean[k]) * (X[i * d + k] - mean[k]);
  for (int k = 0; k < d; k++) sd[k] = n > 1 ? sqrt(sd[k] / (double)(n - 1)) : 0.0;
}

/* a constant column carries nothing a probe could use */
void
plm_probe_Scale(float *X, int64_t n, int d, const double *mean, const double *sd)
{
  for (int64_t i = 0; i < n; i++)
    for (int k = 0; k < d; k++) X[i * d + k] = sd[k] > 0.0 ? (float)((X[i * d + k] - mean[k]) / sd[k]) : 0.0f;
}

/* classes absent from both truth and prediction are left out of the mean */
double
plm_probe_MacroF1(const uint8_t *pred, const uint8_t *truth, int64_t n, int K)
{
  double f = 0.0;
  int    used = 0;
  for (int c = 0; c < K; c++) {
    int64_t tp = 0, fp = 0, fn = 0;
    for (int64_t i = 0; i < n; i++) {
      tp += pred[i] == c && truth[i] == c;
      fp += pred[i] == c && truth[i] != c;
      fn += pred[i] != c && truth[i] == c;
    }
    if (tp + fp + fn == 0) continue;
    f += 2.0 * (double)tp / (double)(2 * tp + fp + fn);
    used++;
  }
  return used ? f / used : NAN;
}

typedef struct scored { double s; int i; } scored;

static int
cmp_score(const void *a, const void *b)
{
  const scored *x = a, *y = b;
  if (x->s != y->s) return x->s < y->s ? 1 : -1;
  return x->i - y->i;
}

/* over the items with a known truth (0/1); NaN when there are none */
int
plm_probe_TopPrecision(const double *score, const uint8_t *truth, int n, int k, double *ret_prec, char *errbuf)
{
  scored *v = malloc((size_t)(n > 0 ? n : 1) * sizeof *v);
  int     m = 0, hit = 0;

  *ret_prec = NAN;
  if (!v) return plm_Fail(errbuf, PLM_EMEM, "out of memory");
  for (int i = 0; i < n; i++) if (truth[i] <= 1) v[m++] = (scored){ score[i], i };
  qsort(v, (size_t)m, sizeof *v, cmp_score);
  if (k > m) k = m;
  for (int i = 0; i < k; i++) hit += truth[v[i].i] == 1;
  free(v);
  if (k > 0) *ret_prec = (double)hit / k;
  return PLM_OK;
}
