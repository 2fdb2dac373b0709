/* potts.c: pseudolikelihood Potts models (see potts.h).
 *
 * One conditional P(x_i | rest) needs only the couplings seen from site i,
 * so each thread owns whole sites: it unpacks site i's couplings into a
 * private L x q x qp block laid out [j][b][a] (the q values a thread adds
 * for "state b at j" are contiguous), runs over the sequences, and writes
 * site i's half of the coupling gradient into its own rows of a directed
 * L x L x q x qp array (qp: q padded to even). Combining the two halves of each pair afterwards
 * needs no locks, and summing per-site objective terms in site order keeps
 * the result independent of the thread count.
 */
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include "error.h"
#include "potts.h"

#define MAX_THREADS 64

struct plm_potts {
  plm_potts_msa msa;
  int     q, qp, nthreads;      /* states; q padded to even (row stride of G and scratch) */
  double  lh, lJ;
  size_t  nx;
  double *G;        /* L x L x q x qp: G[i][j][b][a] = site i's d f / d J_ij(a, b) */
  double *site_f;   /* L per-site objective terms */
  double *scratch;  /* nthreads x (L*q*qp + qp): unpacked couplings, potentials */
};

typedef struct {
  plm_potts    *P;
  const double *x;
  double       *g;
  int           t;
} worker_arg;

static const char *const alphabet = PLM_POTTS_ALPHABET;

int
plm_potts_Code(int c)
{
  if (c == '-' || c == '.') return PLM_POTTS_GAP;
  if (c >= 'a' && c <= 'z') c -= 'a' - 'A';
  const char *p = c ? strchr(alphabet, c) : NULL;
  return p ? (int)(p - alphabet) : -1;
}

static size_t pair_offset(int L, int q, int i, int j)   /* i < j */
{
  size_t p = (size_t)i * (size_t)(2 * L - i - 1) / 2 + (size_t)(j - i - 1);
  return (size_t)L * q + p * (size_t)q * q;
}

int
plm_potts_Weights(const uint8_t *x, int N, int L, double theta, plm_potts_idrule rule,
                  double *w, double *ret_neff, char *errbuf)
{
  /* neighbours share at least `need` columns: plmc compares m >= theta L, GREMLIN m > (int)(theta L) */
  double need = rule == PLM_POTTS_ID_PLMC ? theta * L : floor(theta * L) + 1.0;
  double neff = 0.0;
  int   *count = calloc(N > 0 ? (size_t)N : 1, sizeof *count);
  if (!count) return plm_Fail(errbuf, PLM_EMEM, "potts: out of memory for %d sequence weights", N);
  for (int n = 0; n < N; n++) {
    const uint8_t *a = x + (size_t)n * L;
    for (int m = n + 1; m < N; m++) {
      const uint8_t *b = x + (size_t)m * L;
      int same = 0;
      for (int i = 0; i < L; i++) same += a[i] == b[i];
      if (same >= need) { count[n]++; count[m]++; }
    }
  }
  for (int n = 0; n < N; n++) { w[n] = 1.0 / (1.0 + count[n]); neff += w[n]; }
  free(count);
  *ret_neff = neff;
  return PLM_OK;
}

double
plm_potts_EstimateBytes(int L, int gap_state, int nthreads, int m)
{
  double q = gap_state ? PLM_POTTS_NAA + 1 : PLM_POTTS_NAA, qp = q + ((int)q & 1), block = (double)L * q * qp;
  double nx = (double)L * q + (double)L * (L - 1) / 2.0 * q * q;
  /* G and the threads' scratch (Create), x, and L-BFGS's g d xnew gnew and m pairs of s y */
  return ((double)L * block + nthreads * (block + qp) + nx * (1.0 + 4.0 + 2.0 * m)) * sizeof(double);
}

int
plm_potts_Create(const plm_potts_msa *msa, int gap_state, double lambda_h, double lambda_J,
                 int nthreads, plm_potts **ret_P, char *errbuf)
{
  plm_potts *P = NULL;
  int        status, L = msa->L, q = gap_state ? PLM_POTTS_NAA + 1 : PLM_POTTS_NAA;
  int        qp = q + (q & 1);
  size_t     block = (size_t)L * q * qp;

  *ret_P = NULL;
  if (L < 2 || msa->N < 1) PLM_XFAIL(PLM_EINVAL, errbuf, "potts: need at least 2 columns and 1 sequence (have %d, %d)", L, msa->N);
  if (nthreads < 1 || nthreads > MAX_THREADS) PLM_XFAIL(PLM_EINVAL, errbuf, "potts: threads must be 1..%d", MAX_THREADS);
  if (!(P = calloc(1, sizeof *P))) PLM_XFAIL(PLM_EMEM, errbuf, "potts: out of memory");
  P->msa = *msa; P->q = q; P->qp = qp; P->nthreads = nthreads; P->lh = lambda_h; P->lJ = lambda_J;
  P->nx = (size_t)L * q + (size_t)L * (L - 1) / 2 * q * q;
  if (!(P->G = calloc((size_t)L * block, sizeof *P->G)) || !(P->site_f = calloc((size_t)L, sizeof *P->site_f)) ||
      !(P->scratch = malloc((size_t)nthreads * (block + (size_t)qp) * sizeof *P->scratch)))
    PLM_XFAIL(PLM_EMEM, errbuf, "potts: out of memory for %d columns", L);
  *ret_P = P;
  return PLM_OK;

ERROR:
  plm_potts_Destroy(P);
  return status;
}

void
plm_potts_Destroy(plm_potts *P)
{
  if (!P) return;
  free(P->G); free(P->site_f); free(P->scratch);
  free(P);
}

size_t plm_potts_Nparams(const plm_potts *P) { return P->nx; }
int    plm_potts_Nstates(const plm_potts *P) { return P->q; }

void
plm_potts_InitFields(const plm_potts *P, double *x)
{
  int L = P->msa.L, q = P->q;
  memset(x, 0, P->nx * sizeof *x);
  for (int n = 0; n < P->msa.N; n++)
    for (int i = 0; i < L; i++) {
      int a = P->msa.x[(size_t)n * L + i];
      if (a < q) x[(size_t)i * q + a] += P->msa.w[n];
    }
  for (int i = 0; i < L; i++) {
    double *h = x + (size_t)i * q, mean = 0.0;
    for (int a = 0; a < q; a++) { h[a] = log(h[a] + 1.0); mean += h[a] / q; }
    for (int a = 0; a < q; a++) h[a] -= mean;
  }
}

/* y += x over n doubles, n even: two at a time, since -O2 leaves such short loops scalar */
typedef double v2d __attribute__((vector_size(16)));
static inline void
add_even(double *restrict y, const double *restrict x, int n)
{
  for (int k = 0; k < n; k += 2) {
    v2d a, b;
    memcpy(&a, y + k, sizeof a); memcpy(&b, x + k, sizeof b);
    a += b;
    memcpy(y + k, &a, sizeof a);
  }
}

/* site i's couplings as Ji[j][b][a] = J_ij(a, b) (J_ji(b, a) for j < i), rows padded to qp */
static void
unpack_site(const plm_potts *P, const double *x, int i, int qp, double *restrict Ji)
{
  int L = P->msa.L, q = P->q;
  memset(Ji, 0, (size_t)L * q * qp * sizeof *Ji);
  for (int j = 0; j < L; j++) {
    if (j == i) continue;
    const double *J = x + (i < j ? pair_offset(L, q, i, j) : pair_offset(L, q, j, i));
    double       *dst = Ji + (size_t)j * q * qp;
    for (int a = 0; a < q; a++)
      for (int b = 0; b < q; b++)
        dst[(size_t)b * qp + a] = i < j ? J[(size_t)a * q + b] : J[(size_t)b * q + a];
  }
}

/* site i: its objective term, its field gradient into g, its half of the
 * coupling gradient into G[i]. qp, q rounded up to even, is a constant at
 * each call site, so the two inner loops over states unroll fully. */
static inline void
eval_site(plm_potts *P, const double *x, double *g, int i, const int qp, double *restrict Ji, double *restrict H)
{
  int              L = P->msa.L, q = P->q;
  double *restrict Gi = P->G + (size_t)i * L * q * qp;
  double           fi = 0.0, *gh = g + (size_t)i * q;

  unpack_site(P, x, i, qp, Ji);
  memset(Gi, 0, (size_t)L * q * qp * sizeof *Gi);
  for (int a = 0; a < q; a++) gh[a] = 0.0;
  for (int n = 0; n < P->msa.N; n++) {
    const uint8_t *s = P->msa.x + (size_t)n * L;
    double w = P->msa.w[n];
    int    xi = s[i];
    if (xi >= q || w == 0.0) continue;         /* a gap outside the model has no conditional */
    for (int a = 0; a < qp; a++) H[a] = a < q ? x[(size_t)i * q + a] : 0.0;
    for (int j = 0; j < L; j++) {
      if (j == i || s[j] >= q) continue;
      add_even(H, Ji + ((size_t)j * q + s[j]) * qp, qp);
    }
    double hmax = H[0], z = 0.0;
    for (int a = 1; a < q; a++) if (H[a] > hmax) hmax = H[a];
    for (int a = 0; a < q; a++) z += exp(H[a] - hmax);
    double lse = hmax + log(z);
    fi -= w * (H[xi] - lse);
    for (int a = 0; a < qp; a++) H[a] = a < q ? w * exp(H[a] - lse) : 0.0;   /* H now holds w (P - onehot) */
    H[xi] -= w;
    for (int a = 0; a < q; a++) gh[a] += H[a];
    for (int j = 0; j < L; j++) {
      if (j == i || s[j] >= q) continue;
      add_even(Gi + ((size_t)j * q + s[j]) * qp, H, qp);
    }
  }
  P->site_f[i] = fi;
}

static void *
worker(void *argp)
{
  worker_arg *A = argp;
  plm_potts  *P = A->P;
  size_t      block = (size_t)P->msa.L * P->q * P->qp;
  double     *Ji = P->scratch + (size_t)A->t * (block + (size_t)P->qp);
  for (int i = A->t; i < P->msa.L; i += P->nthreads) {  /* interleaved: gappy sites spread evenly */
    if (P->qp == PLM_POTTS_NAA) eval_site(P, A->x, A->g, i, PLM_POTTS_NAA, Ji, Ji + block);
    else                        eval_site(P, A->x, A->g, i, PLM_POTTS_NAA + 2, Ji, Ji + block);
  }
  return NULL;
}

int
plm_potts_Eval(plm_potts *P, const double *x, double *g, double *ret_f, char *errbuf)
{
  pthread_t  tid[MAX_THREADS];
  worker_arg arg[MAX_THREADS];
  int        L = P->msa.L, q = P->q, started = 0, status = PLM_OK;
  double     f = 0.0;

  for (int t = 0; t < P->nthreads; t++) {
    arg[t] = (worker_arg){ P, x, g, t };
    if (t == 0) continue;                              /* the calling thread is worker 0 */
    if (pthread_create(&tid[t], NULL, worker, &arg[t]) != 0) {
      status = plm_Fail(errbuf, PLM_EMEM, "potts: cannot start thread %d", t);
      break;
    }
    started = t;
  }
  if (status != PLM_OK) {        /* threads that did start must not outlive their arguments */
    for (int t = 1; t <= started; t++) pthread_join(tid[t], NULL);
    return status;
  }
  worker(&arg[0]);
  for (int t = 1; t < P->nthreads; t++) pthread_join(tid[t], NULL);

  for (int i = 0; i < L; i++) f += P->site_f[i];
  for (size_t k = 0; k < (size_t)L * q; k++) { g[k] += 2.0 * P->lh * x[k]; f += P->lh * x[k] * x[k]; }
  for (int i = 0; i < L; i++)
    for (int j = i + 1; j < L; j++) {
      size_t        off = pair_offset(L, q, i, j);
      const double *Gij = P->G + ((size_t)i * L + j) * q * P->qp, *Gji = P->G + ((size_t)j * L + i) * q * P->qp;
      for (int a = 0; a < q; a++)
        for (int b = 0; b < q; b++) {
          double J = x[off + (size_t)a * q + b];
          g[off + (size_t)a * q + b] = Gij[(size_t)b * P->qp + a] + Gji[(size_t)a * P->qp + b] + 2.0 * P->lJ * J;
          f += P->lJ * J * J;
        }
    }
  *ret_f = f;
  return PLM_OK;
}

static int
fit_eval(void *ctx, const double *x, double *g, double *ret_f, char *errbuf)
{
  return plm_potts_Eval(ctx, x, g, ret_f, errbuf);
}

int
plm_potts_Fit(plm_potts *P, double *x, const plm_lbfgs_opts *o, plm_lbfgs_progress progress,
              plm_lbfgs_result *ret_res, char *errbuf)
{
  return plm_lbfgs_Minimize(P->nx, x, fit_eval, progress, P, o, ret_res, errbuf);
}

/* zero-sum gauge of one q x q block: remove row and column means, add back the grand mean */
static void
zero_sum(const double *J, int q, double *out)
{
  double rm[PLM_POTTS_NAA + 1] = { 0 }, cm[PLM_POTTS_NAA + 1] = { 0 }, all = 0.0;
  for (int a = 0; a < q; a++)
    for (int b = 0; b < q; b++) {
      double v = J[a * q + b];
      rm[a] += v / q; cm[b] += v / q; all += v / ((double)q * q);
    }
  for (int a = 0; a < q; a++)
    for (int b = 0; b < q; b++) out[a * q + b] = J[a * q + b] - rm[a] - cm[b] + all;
}

int
plm_potts_Scores(const double *x, int L, int q, int zero_sum_gauge, int apc_diag, float *fn, float *apc,
                 char *errbuf)
{
  double  blk[(PLM_POTTS_NAA + 1) * (PLM_POTTS_NAA + 1)];
  double *rowmean = calloc((size_t)L, sizeof *rowmean), total = 0.0;
  double  denom = apc_diag ? (double)L : (double)(L - 1);

  if (!rowmean) return plm_Fail(errbuf, PLM_EMEM, "potts: out of memory for %d columns", L);

  for (int i = 0; i < L; i++) { fn[(size_t)i * L + i] = 0.0f; apc[(size_t)i * L + i] = 0.0f; }
  for (int i = 0; i < L; i++)
    for (int j = i + 1; j < L; j++) {
      const double *J = x + pair_offset(L, q, i, j);
      if (zero_sum_gauge) { zero_sum(J, q, blk); J = blk; }
      double s = 0.0;
      for (int a = 0; a < PLM_POTTS_NAA; a++)
        for (int b = 0; b < PLM_POTTS_NAA; b++) s += J[a * q + b] * J[a * q + b];
      fn[(size_t)i * L + j] = fn[(size_t)j * L + i] = (float)sqrt(s);
    }
  for (int i = 0; i < L; i++)
    for (int j = 0; j < L; j++) { rowmean[i] += fn[(size_t)i * L + j]; total += fn[(size_t)i * L + j]; }
  for (int i = 0; i < L; i++) rowmean[i] /= denom;
  total /= apc_diag ? (double)L * L : (double)L * (L - 1);
  for (int i = 0; i < L; i++)
    for (int j = 0; j < L; j++)
      if (i != j) apc[(size_t)i * L + j] = total > 0 ? (float)(fn[(size_t)i * L + j] - rowmean[i] * rowmean[j] / total)
                                                    : fn[(size_t)i * L + j];
  free(rowmean);
  return PLM_OK;
}
