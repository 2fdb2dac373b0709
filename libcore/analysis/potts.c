/* potts.c: pseudolikelihood Potts models (see potts.h).
 *
 * One conditional P(x_i | rest) needs only the couplings seen from site i,
 * so each thread owns whole sites: it unpacks site i's couplings into a
 * private L x (q+1) x 24 float block laid out [j][b][a] (the q values a
 * thread adds for "state b at j" are three contiguous 8-float vectors; row q
 * stays zero for a gap that is missing data), runs over the sequences
 * gathering rows into the potentials and scattering w (P - onehot) into a
 * second such block, then folds that half of each pair's gradient into g
 * under a per-pair lock (fold_site). Single precision throughout, as plmc's
 * float build: with the L-BFGS in single precision too, DHFR's fit takes
 * about 300 MB where double vectors and a directed L x L x q x q gradient
 * took 690, and its scores match plmc's (tests/pipeline/potts.sh).
 * Per-site objective terms are summed in site order and each pair's two
 * halves added commutatively, so results do not depend on the thread count.
 */
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include "error.h"
#include "potts.h"
#include "simd.h"

#define MAX_THREADS 64
#define QP 24            /* a row of states padded to whole 8-float vectors: q <= 21 < 24 */

struct plm_potts {
  plm_potts_msa msa;
  int          q, R, nthreads;  /* states; rows per site in a block: q and a dump row */
  double       lh, lJ;
  size_t       nx;
  double      *site_f;          /* L per-site objective terms */
  atomic_flag *lock;            /* one per pair i < j, held while a site folds its half in */
  uint8_t     *seen;            /* per pair: halves folded in during this evaluation */
  float       *scratch;         /* nthreads x (2 L R QP + 2 QP + N QP): Ji, Gi, h_i, field gradient, HR */
  int         *active;          /* nthreads x N: the sequences with a conditional at the site */
};

typedef struct {
  plm_potts   *P;
  const float *x;
  float       *g;
  int          t;
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

/* identical columns of two rows padded with equal zeros to whole 16-byte chunks: equal
 * bytes count -1 each in byte lanes, flushed to an int before a lane could wrap */
typedef uint8_t v16u __attribute__((vector_size(16)));
static int
identical(const uint8_t *a, const uint8_t *b, int Lp)
{
  int same = 0;
  for (int i = 0; i < Lp;) {
    v16u acc = { 0 };
    for (int stop = i + 16 * 255 < Lp ? i + 16 * 255 : Lp; i < stop; i += 16) {
      v16u x, y;
      memcpy(&x, a + i, sizeof x); memcpy(&y, b + i, sizeof y);
      acc -= (v16u)(x == y);
    }
    for (int k = 0; k < 16; k++) same += acc[k];
  }
  return same;
}

int
plm_potts_Weights(const uint8_t *x, int N, int L, double theta, plm_potts_idrule rule,
                  double *w, double *ret_neff, char *errbuf)
{
  /* neighbours share at least `need` columns: plmc compares m >= theta L, GREMLIN m > (int)(theta L) */
  double   need = (rule == PLM_POTTS_ID_PLMC ? theta * L : floor(theta * L) + 1.0);
  double   neff = 0.0;
  int      Lp = (L + 15) / 16 * 16;
  int     *count = calloc(N > 0 ? (size_t)N : 1, sizeof *count);
  uint8_t *xp = calloc(N > 0 ? (size_t)N * Lp : 1, 1);
  if (!count || !xp) { free(count); free(xp); return plm_Fail(errbuf, PLM_EMEM, "potts: out of memory for %d sequence weights", N); }
  for (int n = 0; n < N; n++) memcpy(xp + (size_t)n * Lp, x + (size_t)n * L, (size_t)L);
  need += Lp - L;                    /* the padding always agrees */
  for (int n = 0; n < N; n++)
    for (int m = n + 1; m < N; m++)
      if (identical(xp + (size_t)n * Lp, xp + (size_t)m * Lp, Lp) >= need) { count[n]++; count[m]++; }
  for (int n = 0; n < N; n++) { w[n] = 1.0 / (1.0 + count[n]); neff += w[n]; }
  free(count); free(xp);
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
  size_t     block = (size_t)L * (q + 1) * QP, npair = (size_t)L * (L - 1) / 2;

  *ret_P = NULL;
  if (L < 2 || msa->N < 1) PLM_XFAIL(PLM_EINVAL, errbuf, "potts: need at least 2 columns and 1 sequence (have %d, %d)", L, msa->N);
  if (nthreads < 1 || nthreads > MAX_THREADS) PLM_XFAIL(PLM_EINVAL, errbuf, "potts: threads must be 1..%d", MAX_THREADS);
  if (!(P = calloc(1, sizeof *P))) PLM_XFAIL(PLM_EMEM, errbuf, "potts: out of memory");
  P->msa = *msa; P->q = q; P->R = q + 1; P->nthreads = nthreads; P->lh = lambda_h; P->lJ = lambda_J;
  P->nx = (size_t)L * q + npair * q * q;
  if (!(P->site_f = calloc((size_t)L, sizeof *P->site_f)) || !(P->lock = malloc(npair * sizeof *P->lock)) ||
      !(P->seen = malloc(npair)) || !(P->active = malloc((size_t)nthreads * msa->N * sizeof *P->active)) ||
      !(P->scratch = malloc((size_t)nthreads * (2 * block + 2 * QP + (size_t)msa->N * QP) * sizeof *P->scratch)))
    PLM_XFAIL(PLM_EMEM, errbuf, "potts: out of memory for %d columns", L);
  for (size_t p = 0; p < npair; p++) atomic_flag_clear(&P->lock[p]);
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
  free(P->site_f); free(P->lock); free(P->seen); free(P->active); free(P->scratch);
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

/* site i's couplings as Ji[j][b][a] = J_ij(a, b) (J_ji(b, a) for j < i), zero in the
 * padding lanes, in the dump row and in the whole block j = i; and lJ |J_ij|^2 over j > i */
static double
unpack_site(const plm_potts *P, const float *x, int i, float *restrict Ji)
{
  int    L = P->msa.L, q = P->q;
  double pen = 0.0;
  memset(Ji, 0, (size_t)L * P->R * QP * sizeof *Ji);
  for (int j = 0; j < L; j++) {
    if (j == i) continue;
    const float *J = x + (i < j ? pair_offset(L, q, i, j) : pair_offset(L, q, j, i));
    float       *dst = Ji + (size_t)j * P->R * QP;
    if (i < j) {
      for (int a = 0; a < q; a++)
        for (int b = 0; b < q; b++) { float v = J[a * q + b]; dst[b * QP + a] = v; pen += (double)v * v; }
    } else {
      for (int b = 0; b < q; b++) memcpy(dst + b * QP, J + b * q, (size_t)q * sizeof *J);
    }
  }
  return P->lJ * pen;
}

/* the sequences' pass over site i: its weighted negative log conditional, returned, the
 * field gradient into gh and site i's half of the coupling gradient into Gi (zeroed here).
 * Rows are gathered and scattered without a branch: a code at or past q (a gap that is
 * missing data) reads the zero dump row and writes the ignored one, and so does j = i.
 * Both the gather and the scatter go JB columns at a time over every sequence, so those
 * columns' rows (JB x 22 x 96 bytes) stay in L1 while each sequence's potentials, then
 * its w (P - onehot), stream through HR: a quarter less CPU on DHFR than one sequence
 * at a time over all L columns' rows, which come from L2. */
#define JB 16
/* a row is one 16-float and one 8-float vector: on AVX-512 (x86-64-v4, picked at run time
 * like simd.h's AVX2; simd.h's v16f) two instructions where AVX2 takes three; with the gather's two
 * chains of sums, 8% less CPU per evaluation at DHFR's size (3629 x 159) than three v8f */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && !defined(__SANITIZE_ADDRESS__)
#define POTTS_CLONES __attribute__((target_clones("arch=x86-64-v4", "avx2", "default")))
#else
#define POTTS_CLONES
#endif
static POTTS_CLONES double
site_pass(const plm_potts *P, int i, const float *hi, const float *restrict Ji, float *restrict Gi,
          float *restrict HR, int *restrict act, float *gh)
{
  int            L = P->msa.L, q = P->q, na = 0;
  size_t         row = (size_t)P->R * QP;
  const uint8_t *msa = P->msa.x;
  double         f = 0.0;
  v8f            h0 = v8_load(hi), h1 = v8_load(hi + 8), h2 = v8_load(hi + 16), zero = v8_splat(0.0f);
  v8f            d0 = zero, d1 = zero, d2 = zero;
  v8i            l0 = { 0, 1, 2, 3, 4, 5, 6, 7 }, l1 = l0 + 8, l2 = l0 + 16;
  v8i            in0 = l0 < q, in1 = l1 < q, in2 = l2 < q;

  for (int n = 0; n < P->msa.N; n++)        /* a gap outside the model has no conditional */
    if (msa[(size_t)n * L + i] < q && P->msa.w[n] != 0.0) act[na++] = n;
  /* potentials */
  for (int k = 0; k < na; k++) { float *hr = HR + (size_t)k * QP; v8_store(hr, h0); v8_store(hr + 8, h1); v8_store(hr + 16, h2); }
  for (int j0 = 0; j0 < L; j0 += JB) {
    int j1 = j0 + JB < L ? j0 + JB : L;
    for (int k = 0; k < na; k++) {
      const uint8_t *s = msa + (size_t)act[k] * L;
      float         *hr = HR + (size_t)k * QP;
      v16f           a0 = v16_load(hr), b0 = { 0 };
      v8f            a2 = v8_load(hr + 16), b2 = { 0 };
      int            j = j0;
      for (; j + 1 < j1; j += 2) {        /* two chains of sums, so the adds' latency overlaps */
        const float *r = Ji + j * row + s[j] * QP, *u = Ji + (j + 1) * row + s[j + 1] * QP;
        a0 += v16_load(r); a2 += v8_load(r + 16);
        b0 += v16_load(u); b2 += v8_load(u + 16);
      }
      if (j < j1) {
        const float *r = Ji + j * row + s[j] * QP;
        a0 += v16_load(r); a2 += v8_load(r + 16);
      }
      v16_store(hr, a0 + b0); v8_store(hr + 16, a2 + b2);
    }
  }
  /* the conditionals, their logs at x_i, and w (P - onehot(x_i)) in HR's place */
  for (int k = 0; k < na; k++) {
    float *hr = HR + (size_t)k * QP;
    float  w = (float)P->msa.w[act[k]];
    int    xi = msa[(size_t)act[k] * L + i];
    v8f    a0 = v8_load(hr), a1 = v8_load(hr + 8), a2 = v8_load(hr + 16);
    v8f    m = v8_max(v8_select(in0, a0, v8_splat(-INFINITY)), v8_max(v8_select(in1, a1, v8_splat(-INFINITY)),
                                                                    v8_select(in2, a2, v8_splat(-INFINITY))));
    float  hmax = m[0];
    for (int c = 1; c < 8; c++) hmax = m[c] > hmax ? m[c] : hmax;
    v8f    e0 = v8_select(in0, v8_exp(a0 - hmax), zero), e1 = v8_select(in1, v8_exp(a1 - hmax), zero),
           e2 = v8_select(in2, v8_exp(a2 - hmax), zero);
    float  z = v8_sum(e0 + e1 + e2), wz = w / z;
    f += (double)w * ((double)hmax + log((double)z) - (double)hr[xi]);
    v8f    ws = v8_splat(w);
    a0 = e0 * wz - v8_select(l0 == xi, ws, zero);
    a1 = e1 * wz - v8_select(l1 == xi, ws, zero);
    a2 = e2 * wz - v8_select(l2 == xi, ws, zero);
    d0 += a0; d1 += a1; d2 += a2;
    v8_store(hr, a0); v8_store(hr + 8, a1); v8_store(hr + 16, a2);
  }
  v8_store(gh, d0); v8_store(gh + 8, d1); v8_store(gh + 16, d2);
  /* the coupling gradient */
  memset(Gi, 0, (size_t)L * row * sizeof *Gi);
  for (int j0 = 0; j0 < L; j0 += JB) {
    int j1 = j0 + JB < L ? j0 + JB : L;
    for (int k = 0; k < na; k++) {
      const uint8_t *s = msa + (size_t)act[k] * L;
      const float   *hr = HR + (size_t)k * QP;
      v16f           a0 = v16_load(hr);
      v8f            a2 = v8_load(hr + 16);
      for (int j = j0; j < j1; j++) {
        float *r = Gi + j * row + s[j] * QP;
        v16_store(r, v16_load(r) + a0); v8_store(r + 16, v8_load(r + 16) + a2);
      }
    }
  }
  return f;
}

/* add site i's half of each pair's gradient into g. Whichever site comes first stores its
 * half, the second adds its own and the penalty: a + b = b + a, so the sum does not depend
 * on which thread got there first, and the lock keeps the two from mixing. */
static void
fold_site(plm_potts *P, const float *x, float *g, int i, const float *restrict Gi)
{
  int    L = P->msa.L, q = P->q;
  size_t row = (size_t)P->R * QP;
  float  c = (float)(2.0 * P->lJ);
  for (int j = 0; j < L; j++) {
    if (j == i) continue;
    int          lo = i < j ? i : j, hi = i < j ? j : i;
    size_t       p = (size_t)lo * (size_t)(2 * L - lo - 1) / 2 + (size_t)(hi - lo - 1), off = pair_offset(L, q, lo, hi);
    const float *Gj = Gi + j * row, *J = x + off;
    float       *gJ = g + off;
    while (atomic_flag_test_and_set_explicit(&P->lock[p], memory_order_acquire)) ;
    int second = P->seen[p]++;
    for (int a = 0; a < q; a++)          /* block element (a, b): a at lo, b at hi */
      for (int b = 0; b < q; b++) {
        float v = i < j ? Gj[b * QP + a] : Gj[a * QP + b];
        gJ[a * q + b] = second ? (gJ[a * q + b] + v) + c * J[a * q + b] : v;
      }
    atomic_flag_clear_explicit(&P->lock[p], memory_order_release);
  }
}

static void *
worker(void *argp)
{
  worker_arg *A = argp;
  plm_potts  *P = A->P;
  int         L = P->msa.L, q = P->q;
  size_t      block = (size_t)L * P->R * QP;
  float      *Ji = P->scratch + (size_t)A->t * (2 * block + 2 * QP + (size_t)P->msa.N * QP);
  float      *Gi = Ji + block, *hi = Gi + block, *gh = hi + QP, *HR = gh + QP;
  int        *act = P->active + (size_t)A->t * P->msa.N;
  for (int i = A->t; i < L; i += P->nthreads) {  /* interleaved: gappy sites spread evenly */
    const float *xh = A->x + (size_t)i * q;
    double       f = unpack_site(P, A->x, i, Ji);
    for (int a = 0; a < QP; a++) hi[a] = a < q ? xh[a] : 0.0f;
    f += site_pass(P, i, hi, Ji, Gi, HR, act, gh);
    for (int a = 0; a < q; a++) {
      A->g[(size_t)i * q + a] = gh[a] + (float)(2.0 * P->lh) * xh[a];
      f += P->lh * (double)xh[a] * xh[a];
    }
    fold_site(P, A->x, A->g, i, Gi);
    P->site_f[i] = f;
  }
  return NULL;
}

int
plm_potts_Eval(plm_potts *P, const float *x, float *g, double *ret_f, char *errbuf)
{
  pthread_t  tid[MAX_THREADS];
  worker_arg arg[MAX_THREADS];
  int        L = P->msa.L, started = 0, status = PLM_OK;
  double     f = 0.0;

  memset(P->seen, 0, (size_t)L * (L - 1) / 2);
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
  *ret_f = f;
  return PLM_OK;
}

static int
fit_eval(void *ctx, const float *x, float *g, double *ret_f, char *errbuf)
{
  return plm_potts_Eval(ctx, x, g, ret_f, errbuf);
}

/* the search runs in single precision, as plmc's float build does: half the memory and
 * twice the numbers per vector, and the couplings agree with a double fit's (tests/pipeline/potts.sh) */
int
plm_potts_Fit(plm_potts *P, double *x, const plm_lbfgs_opts *o, plm_lbfgs_progress progress,
              plm_lbfgs_result *ret_res, char *errbuf)
{
  float *xf = malloc(P->nx * sizeof *xf);
  int    status;
  if (!xf) return plm_Fail(errbuf, PLM_EMEM, "potts: out of memory for %zu parameters", P->nx);
  for (size_t k = 0; k < P->nx; k++) xf[k] = (float)x[k];
  status = plm_lbfgs_MinimizeF(P->nx, xf, fit_eval, progress, P, o, ret_res, errbuf);
  for (size_t k = 0; k < P->nx; k++) x[k] = xf[k];
  free(xf);
  return status;
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
