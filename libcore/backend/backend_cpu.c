/* backend_cpu.c: the CPU backend: sgemm (OpenBLAS's or oneDNN's) and plain C loops over a small thread pool.
 *
 * Threading (see backend.h): a pool of nthreads (the caller plus nthreads-1
 * workers) and OpenBLAS at one thread. Every operator cuts its work into
 * contiguous ranges of rows, heads or batch items, one per thread; workers
 * poll for a while between operators, which follow each other within
 * microseconds, then sleep. Work too small to pay for a hand-off runs on the
 * calling thread alone.
 *
 * Numerics follow torch's CPU kernels: softmax multiplies by the reciprocal of
 * the sum; erf is the Abramowitz-Stegun form torch vectorizes; exp and erf are
 * simd.h's 8-wide versions: libm's scalar expf alone would make softmax cost
 * more than the matrix products on long proteins.
 *
 * GEMM library ($PLMSCOPE_GEMM, read at open): "openblas", "dnnl" (oneDNN's
 * dnnl_sgemm, when configure found libdnnl-dev), or "auto" (the default):
 * oneDNN where the CPU has AVX-512, else OpenBLAS. oneDNN picks its kernels
 * from cpuid itself, so AVX-512 runs even where the environment pins
 * OpenBLAS to its AVX2 kernels (OPENBLAS_CORETYPE=Haswell), which this code
 * never touches. oneDNN's threads are OpenMP's: each of our threads sets its
 * own OpenMP team size to one before its first product, so oneDNN, like
 * OpenBLAS, runs single-threaded inside our pool and never oversubscribes.
 * Both are float32 with float32 accumulation; their sums differ only in
 * order (the golden tests pass on both: tests/run.sh runs them on each).
 *
 * Half-precision weights (backend.h) are an owned array of halves; Linear
 * widens one into a float32 scratch the backend keeps (grown to the largest
 * matrix), split over the pool, then runs its float32 product as always.
 *
 *   plm_backend_cpu_ops   the operator table (backend.h describes each operator)
 *   pool_*                the thread pool
 */
#include "config.h"
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <cblas.h>
#include "error.h"
#include "apc.h"
#include "backend.h"
#include "tensor.h"
#include "simd.h"
#if PLM_HAVE_DNNL
#include <oneapi/dnnl/dnnl.h>
extern void omp_set_num_threads(int n);   /* libgomp, which oneDNN links; no omp.h needed */
#endif

struct plm_buf {
  float    *p;       /* NULL for a half buffer */
  uint16_t *half;    /* owned halves of a half-precision weight, else NULL */
  size_t    n;
  int       owned;
};

/* ---------------------------------------------------------------------------
 * thread pool
 *
 * Both sides poll briefly, then sleep on a condition variable: polling alone
 * would steal the CPU from the threads it waits for whenever the machine runs
 * more threads than cores (a pipeline's other tools, other jobs).
 */

typedef void (*pool_fn)(void *arg, int64_t begin, int64_t end);

#define POOL_SPINS 4000     /* polls, a few microseconds, before sleeping */

#if defined(__x86_64__) || defined(__i386__)
#define cpu_relax() __builtin_ia32_pause()
#else
#define cpu_relax() ((void)0)
#endif

typedef struct pool pool;
typedef struct worker { pool *p; int k; pthread_t tid; int started; } worker;

struct pool {
  int              n;            /* threads, the caller included */
  worker          *w;            /* w[1..n-1] */
  pthread_mutex_t  mu;
  pthread_cond_t   go, done;
  atomic_uint      gen;          /* bumped once per job */
  atomic_int       pending;      /* workers not yet done with the current job */
  int              quit;
  pool_fn          fn;           /* the current job: [0, nitems) cut into nparts ranges */
  void            *arg;
  int64_t          nitems;
  int              nparts;
};

static void
part_range(int64_t n, int nparts, int k, int64_t *b, int64_t *e)
{
  *b = n * k / nparts;
  *e = n * (k + 1) / nparts;
}

static void *
pool_worker(void *varg)
{
  worker  *w    = varg;
  pool    *p    = w->p;
  unsigned seen = 0;

  for (;;) {
    unsigned g;
    for (int spins = 0; (g = atomic_load_explicit(&p->gen, memory_order_acquire)) == seen && spins < POOL_SPINS; spins++)
      cpu_relax();
    if (g == seen) {
      pthread_mutex_lock(&p->mu);
      while ((g = atomic_load_explicit(&p->gen, memory_order_acquire)) == seen && !p->quit)
        pthread_cond_wait(&p->go, &p->mu);
      pthread_mutex_unlock(&p->mu);
      if (g == seen) return NULL;    /* asked to quit */
    }
    seen = g;
    if (w->k < p->nparts) {
      int64_t b, e;
      part_range(p->nitems, p->nparts, w->k, &b, &e);
      p->fn(p->arg, b, e);
    }
    if (atomic_fetch_sub_explicit(&p->pending, 1, memory_order_acq_rel) == 1) {
      pthread_mutex_lock(&p->mu);
      pthread_cond_signal(&p->done);
      pthread_mutex_unlock(&p->mu);
    }
  }
}

/* run fn over [0, nitems) on as many threads as give each at least `grain` items */
static void
pool_for(pool *p, int64_t nitems, int64_t grain, pool_fn fn, void *arg)
{
  int64_t b, e;
  int     nparts = p->n;

  if (nitems <= 0) return;
  if (grain < 1) grain = 1;
  if (nitems / grain < nparts) nparts = (int)(nitems / grain);
  if (nparts <= 1) { fn(arg, 0, nitems); return; }

  p->fn = fn; p->arg = arg; p->nitems = nitems; p->nparts = nparts;
  atomic_store_explicit(&p->pending, p->n - 1, memory_order_relaxed);
  pthread_mutex_lock(&p->mu);
  atomic_fetch_add_explicit(&p->gen, 1, memory_order_release);
  pthread_cond_broadcast(&p->go);
  pthread_mutex_unlock(&p->mu);

  part_range(nitems, nparts, 0, &b, &e);
  fn(arg, b, e);
  for (int spins = 0; atomic_load_explicit(&p->pending, memory_order_acquire) > 0 && spins < POOL_SPINS; spins++)
    cpu_relax();
  if (atomic_load_explicit(&p->pending, memory_order_acquire) > 0) {
    pthread_mutex_lock(&p->mu);
    while (atomic_load_explicit(&p->pending, memory_order_acquire) > 0) pthread_cond_wait(&p->done, &p->mu);
    pthread_mutex_unlock(&p->mu);
  }
}

static void
pool_destroy(pool *p)
{
  if (!p) return;
  pthread_mutex_lock(&p->mu);
  p->quit = 1;
  pthread_cond_broadcast(&p->go);
  pthread_mutex_unlock(&p->mu);
  for (int k = 1; k < p->n; k++) if (p->w[k].started) pthread_join(p->w[k].tid, NULL);
  pthread_cond_destroy(&p->go);
  pthread_cond_destroy(&p->done);
  pthread_mutex_destroy(&p->mu);
  free(p->w);
  free(p);
}

static int
pool_create(int n, pool **ret_p, char *errbuf)
{
  pool *p = NULL;
  int   status;

  if ((p = calloc(1, sizeof *p)) == NULL || (p->w = calloc((size_t)n, sizeof *p->w)) == NULL) {
    free(p);
    *ret_p = NULL;
    return plm_Fail(errbuf, PLM_EMEM, "out of memory");
  }
  p->n = n;
  pthread_mutex_init(&p->mu, NULL);
  pthread_cond_init(&p->go, NULL);
  pthread_cond_init(&p->done, NULL);
  atomic_init(&p->gen, 0);
  atomic_init(&p->pending, 0);
  for (int k = 1; k < n; k++) {
    p->w[k].p = p;
    p->w[k].k = k;
    if (pthread_create(&p->w[k].tid, NULL, pool_worker, &p->w[k]) != 0)
      PLM_XFAIL(PLM_EMEM, errbuf, "cannot start thread %d of %d", k + 1, n);
    p->w[k].started = 1;
  }
  *ret_p = p;
  return PLM_OK;

ERROR:
  pool_destroy(p);
  *ret_p = NULL;
  return status;
}

typedef enum { GEMM_OPENBLAS, GEMM_DNNL } gemm_lib;

typedef struct cpu {
  pool  *pool;
  gemm_lib gemm;
  float *wide;       /* Linear's float32 copy of a half W */
  size_t nwide;
} cpu;

#define CPU(be)  ((cpu *)(be)->priv)
#define POOL(be) (CPU(be)->pool)

static int cpu_buf_is_half(const plm_buf *b) { return b->half != NULL; }

/* ---------------------------------------------------------------------------
 * buffers
 */

static int
cpu_buf_create(plm_backend *be, size_t n, plm_buf **ret_b, char *errbuf)
{
  plm_buf *b = NULL;
  int      status;

  if ((b = calloc(1, sizeof *b)) == NULL) PLM_XFAIL(PLM_EMEM, errbuf, "out of memory");
  /* 64-byte alignment: whole cache lines for the threads' row ranges */
  if (n > (SIZE_MAX - 63) / sizeof(float) ||
      (b->p = aligned_alloc(64, (n * sizeof(float) + 63) / 64 * 64 + 64)) == NULL)
    PLM_XFAIL(PLM_EMEM, errbuf, "out of memory for a buffer of %zu floats", n);
  memset(b->p, 0, n * sizeof(float));
  b->n = n;
  b->owned = 1;
  *ret_b = b;
  return PLM_OK;

ERROR:
  free(b);
  *ret_b = NULL;
  return status;
}

static int
cpu_buf_wrap(plm_backend *be, const float *host, size_t n, plm_buf **ret_b, char *errbuf)
{
  plm_buf *b;

  if ((b = calloc(1, sizeof *b)) == NULL) { *ret_b = NULL; return plm_Fail(errbuf, PLM_EMEM, "out of memory"); }
  b->p = (float *)host;    /* borrowed: operators never write a wrapped buffer */
  b->n = n;
  *ret_b = b;
  return PLM_OK;
}

/* the model's own copy: the checkpoint's float32 can then leave memory */
static int
cpu_buf_wrap_half(plm_backend *be, const uint16_t *half, size_t n, plm_buf **ret_b, char *errbuf)
{
  plm_buf *b;

  *ret_b = NULL;
  if ((b = calloc(1, sizeof *b)) == NULL || (b->half = malloc(sizeof *half * (n ? n : 1))) == NULL) {
    free(b);
    return plm_Fail(errbuf, PLM_EMEM, "out of memory for %zu half-precision weights", n);
  }
  memcpy(b->half, half, sizeof *half * n);
  b->n = n;
  *ret_b = b;
  return PLM_OK;
}

static void
cpu_buf_destroy(plm_backend *be, plm_buf *b)
{
  if (b->owned) free(b->p);
  free(b->half);
  free(b);
}

static void cpu_write(plm_backend *be, plm_buf *dst, size_t off, const float *src, size_t n)
{ if (!PLM_HALF_MISUSED(be, "write", dst)) memcpy(dst->p + off, src, n * sizeof(float)); }
static void cpu_read(plm_backend *be, const plm_buf *src, size_t off, float *dst, size_t n)
{ if (!PLM_HALF_MISUSED(be, "read", src)) memcpy(dst, src->p + off, n * sizeof(float)); }
static const float *cpu_map(plm_backend *be, const plm_buf *b, size_t off, size_t n)
{ return PLM_HALF_MISUSED(be, "map", b) ? NULL : b->p + off; }
static void cpu_unmap(plm_backend *be, const plm_buf *b, const float *p) { }

/* ---------------------------------------------------------------------------
 * operators; each is a job (a struct of its arguments) and a range function
 */

#define GRAIN_FLOPS  (1 << 18)   /* below this much work per thread a hand-off costs more than it saves */

static int64_t grain_for(double work_per_item)
{ return work_per_item >= GRAIN_FLOPS ? 1 : (int64_t)(GRAIN_FLOPS / (work_per_item > 1 ? work_per_item : 1)); }

/* one row-major single-threaded sgemm through the backend's library */
static void
sgemm(gemm_lib lib, int transA, int transB, int M, int N, int K, float alpha, const float *A, int lda,
      const float *B, int ldb, float beta, float *C, int ldc)
{
#if PLM_HAVE_DNNL
  static _Thread_local int omp_single;
  if (lib == GEMM_DNNL) {
    if (!omp_single) { omp_set_num_threads(1); omp_single = 1; }
    dnnl_sgemm(transA ? 'T' : 'N', transB ? 'T' : 'N', M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
    return;
  }
#endif
  cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
              M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
}

/* gemm: split batch items when there are enough, else rows of op(A) and C */
typedef struct { const plm_gemm *g; int by_rows; gemm_lib lib; } gemm_job;

/* one GEMM of the batch, rows m0 .. m0+m-1 of op(A) and C */
static void
gemm_one(const plm_gemm *g, gemm_lib lib, int64_t i, int m0, int m)
{
  size_t oa = g->offA + (size_t)i * g->strideA + (size_t)m0 * (g->transA ? 1 : (size_t)g->lda);
  size_t ob = g->offB + (size_t)i * g->strideB;
  size_t oc = g->offC + (size_t)i * g->strideC + (size_t)m0 * (size_t)g->ldc;
  sgemm(lib, g->transA, g->transB, m, g->N, g->K, g->alpha, g->A->p + oa, g->lda, g->B->p + ob, g->ldb,
        g->beta, g->C->p + oc, g->ldc);
}

static void
gemm_range(void *arg, int64_t b, int64_t e)
{
  const gemm_job *j = arg;
  int             batch = j->g->batch > 0 ? j->g->batch : 1;
  if (j->by_rows) for (int i = 0; i < batch; i++) gemm_one(j->g, j->lib, i, (int)b, (int)(e - b));
  else            for (int64_t i = b; i < e; i++) gemm_one(j->g, j->lib, i, 0, j->g->M);
}

static void
cpu_gemm(plm_backend *be, const plm_gemm *g)
{
  int      batch = g->batch > 0 ? g->batch : 1;
  gemm_job j = { g, batch < POOL(be)->n, CPU(be)->gemm };
  double   flops = 2.0 * g->M * g->N * g->K;

  if (PLM_HALF_MISUSED(be, "gemm", g->A, g->B, g->C)) return;
  if (j.by_rows) pool_for(POOL(be), g->M, grain_for(flops * batch / (g->M ? g->M : 1)), gemm_range, &j);
  else           pool_for(POOL(be), batch, grain_for(flops), gemm_range, &j);
}

/* linear: y[rows x out] = x[rows x in] W[out x in]^T + b, split by rows, or by blocks of
 * LINEAR_COLS output columns when there are fewer rows than columns: each thread's sgemm packs the
 * whole of the operand it does not split, and W (out x in) is the larger one for a short protein's
 * rows: split by rows, both threads would pack all of it (bench/batch.sh's one-at-a-time path) */
typedef struct { const float *x, *W, *b; int rows, in, out; float *y; gemm_lib lib; } linear_job;

#define LINEAR_COLS 16

static void
linear_part(const linear_job *j, int64_t r0, int64_t r1, int c0, int c1)
{
  float *y = j->y + (size_t)r0 * j->out + c0;
  if (j->b) for (int64_t r = r0; r < r1; r++) memcpy(y + (size_t)(r - r0) * j->out, j->b + c0, sizeof(float) * (size_t)(c1 - c0));
  sgemm(j->lib, 0, 1, (int)(r1 - r0), c1 - c0, j->in, 1.0f, j->x + (size_t)r0 * j->in, j->in, j->W + (size_t)c0 * j->in, j->in,
        j->b ? 1.0f : 0.0f, y, j->out);
}

static void linear_rows(void *arg, int64_t r0, int64_t r1) { const linear_job *j = arg; linear_part(j, r0, r1, 0, j->out); }

static void
linear_cols(void *arg, int64_t b0, int64_t b1)
{
  const linear_job *j = arg;
  int64_t           c1 = b1 * LINEAR_COLS;
  linear_part(j, 0, j->rows, (int)(b0 * LINEAR_COLS), (int)(c1 < j->out ? c1 : j->out));
}

typedef struct { const uint16_t *half; float *wide; } widen_job;

static void
widen_range(void *arg, int64_t b, int64_t e)
{
  const widen_job *j = arg;
  plm_f16_ToF32Array(j->half + b, j->wide + b, (size_t)(e - b));
}

/* the float32 scratch holding W widened, or NULL (noted) when it cannot grow */
static const float *
widen(plm_backend *be, const plm_buf *W, size_t n)
{
  cpu *c = CPU(be);

  if (n > c->nwide) {
    free(c->wide);
    if ((c->wide = malloc(sizeof *c->wide * n)) == NULL) {
      c->nwide = 0;
      if (be->status == PLM_OK) be->status = plm_Fail(be->errmsg, PLM_EMEM, "linear: out of memory widening %zu half weights", n);
      return NULL;
    }
    c->nwide = n;
  }
  pool_for(POOL(be), (int64_t)n, GRAIN_FLOPS, widen_range, &(widen_job){ W->half, c->wide });
  return c->wide;
}

static void
cpu_linear(plm_backend *be, const plm_buf *x, int rows, int in, const plm_buf *W, const plm_buf *b, int out, plm_buf *y)
{
  linear_job j = { x->p, W->p, b ? b->p : NULL, rows, in, out, y->p, CPU(be)->gemm };

  if (PLM_HALF_MISUSED(be, "linear", x, b, y)) return;
  if (W->half && rows > 0 && (j.W = widen(be, W, (size_t)out * in)) == NULL) return;
  if (rows < out && rows > 0)
    pool_for(POOL(be), (out + LINEAR_COLS - 1) / LINEAR_COLS, grain_for(2.0 * in * rows * LINEAR_COLS), linear_cols, &j);
  else
    pool_for(POOL(be), rows, grain_for(2.0 * in * out), linear_rows, &j);
}

/* layernorm, one row at a time: torch's biased variance, eps inside the sqrt; the mean and
 * variance summed in double, 8 lanes then across them */
typedef struct { const float *x, *g, *b; float *y; int cols; float eps; } ln_job;

static PLM_SIMD_CLONES void
layernorm_range(void *arg, int64_t r0, int64_t r1)
{
  const ln_job *j = arg;
  int           n = j->cols;
  for (int64_t r = r0; r < r1; r++) {
    const float *x = j->x + (size_t)r * n;
    float       *y = j->y + (size_t)r * n;
    v8d          vs = { 0 };
    double       mean, var;
    int          c;
    for (c = 0; c + 8 <= n; c += 8) vs += v8d_load(x + c);
    mean = v8d_sum(vs);
    for (; c < n; c++) mean += x[c];
    mean /= n;
    vs = (v8d){ 0 };
    for (c = 0; c + 8 <= n; c += 8) { v8d d = v8d_load(x + c) - mean; vs += d * d; }
    var = v8d_sum(vs);
    for (; c < n; c++) { double d = x[c] - mean; var += d * d; }
    var /= n;
    float rstd = (float)(1.0 / sqrt(var + j->eps)), fmean = (float)mean;
    for (c = 0; c + 16 <= n; c += 16)
      v16_store(y + c, (v16_load(x + c) - fmean) * rstd * v16_load(j->g + c) + v16_load(j->b + c));
    for (; c < n; c++) y[c] = (x[c] - fmean) * rstd * j->g[c] + j->b[c];
  }
}

static void
cpu_layernorm(plm_backend *be, const plm_buf *x, plm_buf *y, int rows, int cols, const plm_buf *gamma,
              const plm_buf *beta, float eps)
{
  ln_job j = { x->p, gamma->p, beta->p, y->p, cols, eps };
  if (PLM_HALF_MISUSED(be, "layernorm", x, y, gamma, beta)) return;
  pool_for(POOL(be), rows, grain_for(8.0 * cols), layernorm_range, &j);
}

/* gelu in place: x * 0.5 * (1 + erf(x / sqrt 2)), in the order fair-esm writes it */
typedef struct { float *x; } gelu_job;

static PLM_SIMD_CLONES void
gelu_range(void *arg, int64_t b, int64_t e)
{
  float  *x = ((gelu_job *)arg)->x;
  int64_t i = b;
  for (; i + 16 <= e; i += 16) {
    v16f v = v16_load(x + i);
    v16_store(x + i, v * 0.5f * (1.0f + v16_erf(v / 1.41421356237309505f)));
  }
  for (; i < e; i++) x[i] = x[i] * 0.5f * (1.0f + plm_erff(x[i] / 1.41421356237309505f));
}

static void
cpu_gelu(plm_backend *be, plm_buf *x, size_t n)
{
  gelu_job j = { x->p };
  if (PLM_HALF_MISUSED(be, "gelu", x)) return;
  pool_for(POOL(be), (int64_t)n, grain_for(30.0), gelu_range, &j);
}

/* tanh gelu in place, in the order HF's gelu_new writes it: 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))) */
static void
gelu_tanh_range(void *arg, int64_t b, int64_t e)
{
  float *x = ((gelu_job *)arg)->x;
  for (int64_t i = b; i < e; i++)
    x[i] = 0.5f * x[i] * (1.0f + tanhf(0.7978845608028654f * (x[i] + 0.044715f * (x[i] * x[i] * x[i]))));
}

static void
cpu_gelu_tanh(plm_backend *be, plm_buf *x, size_t n)
{
  gelu_job j = { x->p };
  if (PLM_HALF_MISUSED(be, "gelu_tanh", x)) return;
  pool_for(POOL(be), (int64_t)n, grain_for(30.0), gelu_tanh_range, &j);
}

/* SwiGLU, as ESM C's SwiGLU module: y [rows, cols] = silu(a) * b, a and b the halves of each
 * x row [2 cols]; silu(a) = a / (1 + e^-a), torch's form */
typedef struct { const float *x; float *y; int cols; } swiglu_job;

/* silu(a) b with simd.h's exp: libm's scalar expf had been a third of this operator's time */
static PLM_SIMD_CLONES void
swiglu_range(void *arg, int64_t r0, int64_t r1)
{
  const swiglu_job *j = arg;
  for (int64_t r = r0; r < r1; r++) {
    const float *a = j->x + (size_t)r * 2 * j->cols, *b = a + j->cols;
    float       *y = j->y + (size_t)r * j->cols;
    int          c = 0;
    for (; c + 16 <= j->cols; c += 16) {
      v16f va = v16_load(a + c);
      v16_store(y + c, va / (1.0f + v16_exp(-va)) * v16_load(b + c));
    }
    for (; c < j->cols; c++) y[c] = a[c] / (1.0f + plm_expf(-a[c])) * b[c];
  }
}

static void
cpu_swiglu(plm_backend *be, const plm_buf *x, plm_buf *y, int rows, int cols)
{
  swiglu_job j = { x->p, y->p, cols };
  if (PLM_HALF_MISUSED(be, "swiglu", x, y)) return;
  pool_for(POOL(be), rows, grain_for(20.0 * cols), swiglu_range, &j);
}

/* softmax of each row in place */
typedef struct { float *x; int cols; } softmax_job;

static PLM_SIMD_CLONES void
softmax_range(void *arg, int64_t r0, int64_t r1)
{
  const softmax_job *j = arg;
  int                n = j->cols;
  for (int64_t r = r0; r < r1; r++) {
    float *x = j->x + (size_t)r * n;
    v16f   vmax = v16_splat(x[0]), vsum = v16_splat(0.0f);
    float  mx, sum, inv;
    int    c;
    for (c = 0; c + 16 <= n; c += 16) vmax = v16_max(vmax, v16_load(x + c));
    mx = vmax[0];
    for (int k = 1; k < 16; k++) mx = vmax[k] > mx ? vmax[k] : mx;
    for (; c < n; c++) mx = x[c] > mx ? x[c] : mx;
    for (c = 0; c + 16 <= n; c += 16) {
      v16f e = v16_exp(v16_load(x + c) - mx);
      v16_store(x + c, e);
      vsum += e;
    }
    sum = v16_sum(vsum);
    for (; c < n; c++) { x[c] = plm_expf(x[c] - mx); sum += x[c]; }
    inv = 1.0f / sum;
    for (c = 0; c + 16 <= n; c += 16) v16_store(x + c, v16_load(x + c) * inv);
    for (; c < n; c++) x[c] *= inv;
  }
}

static void
cpu_softmax_rows(plm_backend *be, plm_buf *x, int rows, int cols)
{
  softmax_job j = { x->p, cols };
  if (PLM_HALF_MISUSED(be, "softmax_rows", x)) return;
  pool_for(POOL(be), rows, grain_for(20.0 * cols), softmax_range, &j);
}

/* rotary: for each row t and head h, the pair (a, b) = (x[j], x[j + hd/2]) becomes
 * (a cos - b sin, b cos + a sin) with the angle of (t, j): torch's x cos + rotate_half(x) sin */
typedef struct { float *x; const float *cos, *sin; int H, hd, ld; } rotary_job;

static void
rotary_range(void *arg, int64_t t0, int64_t t1)
{
  const rotary_job *j = arg;
  int               half = j->hd / 2;
  for (int64_t t = t0; t < t1; t++) {
    const float *c = j->cos + (size_t)t * half, *s = j->sin + (size_t)t * half;
    for (int h = 0; h < j->H; h++) {
      float *x = j->x + (size_t)t * j->ld + (size_t)h * j->hd;
      for (int i = 0; i < half; i++) {
        float a = x[i], b = x[i + half];
        x[i]        = a * c[i] + -b * s[i];
        x[i + half] = b * c[i] + a * s[i];
      }
    }
  }
}

static void
cpu_rotary(plm_backend *be, plm_buf *x, int T, int H, int hd, int ld, const plm_buf *cos, const plm_buf *sin)
{
  rotary_job j = { x->p, cos->p, sin->p, H, hd, ld };
  if (PLM_HALF_MISUSED(be, "rotary", x, cos, sin)) return;
  pool_for(POOL(be), T, grain_for(3.0 * H * hd), rotary_range, &j);
}

/* y += x and x *= a, elementwise */
typedef struct { float *y; const float *x; float a; } elt_job;

static void add_range(void *arg, int64_t b, int64_t e)
{ const elt_job *j = arg; for (int64_t i = b; i < e; i++) j->y[i] += j->x[i]; }
static void scale_range(void *arg, int64_t b, int64_t e)
{ const elt_job *j = arg; for (int64_t i = b; i < e; i++) j->y[i] *= j->a; }

static void
cpu_add(plm_backend *be, plm_buf *y, size_t offy, const plm_buf *x, size_t offx, size_t n)
{
  elt_job j = { y->p + offy, x->p + offx, 0.0f };
  if (PLM_HALF_MISUSED(be, "add", y, x)) return;
  pool_for(POOL(be), (int64_t)n, GRAIN_FLOPS, add_range, &j);
}

/* y += x over rows of cols, y rows ldy apart and x rows ldx apart */
typedef struct { float *y; const float *x; int ldy, ldx, cols; } rows_job;

static void
add_rows_range(void *arg, int64_t r0, int64_t r1)
{
  const rows_job *j = arg;
  for (int64_t r = r0; r < r1; r++) {
    float       *y = j->y + (size_t)r * j->ldy;
    const float *x = j->x + (size_t)r * j->ldx;
    for (int c = 0; c < j->cols; c++) y[c] += x[c];
  }
}

static void
cpu_add_rows(plm_backend *be, plm_buf *y, size_t offy, int ldy, const plm_buf *x, size_t offx, int ldx, int rows, int cols)
{
  rows_job j = { y->p + offy, x->p + offx, ldy, ldx, cols };
  if (PLM_HALF_MISUSED(be, "add_rows", y, x)) return;
  pool_for(POOL(be), rows, grain_for((double)cols), add_rows_range, &j);
}

static void
cpu_scale(plm_backend *be, plm_buf *x, size_t n, float a)
{
  elt_job j = { x->p, NULL, a };
  if (PLM_HALF_MISUSED(be, "scale", x)) return;
  pool_for(POOL(be), (int64_t)n, GRAIN_FLOPS, scale_range, &j);
}

static void cpu_zero(plm_backend *be, plm_buf *x, size_t n) { if (!PLM_HALF_MISUSED(be, "zero", x)) memset(x->p, 0, n * sizeof(float)); }

/* embedding rows; rows of drop_id are zeroed and the others scaled as (row * mul) / div,
 * the two roundings of ESM's token dropout x * (1 - 0.12) / (1 - masked fraction) */
static void
cpu_embed(plm_backend *be, const plm_buf *table, const int32_t *ids, int T, int D, int drop_id,
          float mul, float div, plm_buf *out)
{
  if (PLM_HALF_MISUSED(be, "embed", table, out)) return;
  for (int t = 0; t < T; t++) {
    const float *row = table->p + (size_t)ids[t] * D;
    float       *y   = out->p + (size_t)t * D;
    for (int c = 0; c < D; c++) y[c] = ids[t] == drop_id ? 0.0f : row[c] * mul / div;
  }
}

/* contact head, a block of one layer's rows: zero the dropped rows and columns (fair-esm's eos mask)
 * and add each head's sums (heads over threads), then add the weighted maps into the rows each
 * thread owns; the factors once the layer is whole */
typedef struct { const plm_contact_step *s; int i0, i1; } contact_job;   /* the block's residue rows */

/* head h's residue row i (0-based in the residue block) within the block's buffer */
static float *
head_row(const plm_contact_step *s, int64_t h, int i)
{
  return s->att->p + ((size_t)h * s->rows + (size_t)(i + s->first - s->row0)) * s->T + s->first;
}

static void
contact_sums_range(void *arg, int64_t h0, int64_t h1)
{
  const contact_job      *j = arg;
  const plm_contact_step *s = j->s;
  for (int64_t h = h0; h < h1; h++) {
    float *a = head_row(s, h, j->i0);
    if (s->drop)
      for (int i = j->i0; i < j->i1; i++)
        for (int k = 0; k < s->L; k++)
          if (s->drop[i] || s->drop[k]) a[(size_t)(i - j->i0) * s->T + k] = 0.0f;
    plm_apc_AddRowSums(a, s->T, j->i0, j->i1 - j->i0, s->L, s->v->p + (size_t)(s->k0 + h) * s->L);
  }
}

static PLM_SIMD_CLONES void
contact_axpy_range(void *arg, int64_t b, int64_t e)
{
  const contact_job      *job = arg;
  const plm_contact_step *s = job->s;
  for (int64_t i = job->i0 + b; i < job->i0 + e; i++) {
    float *out = s->acc->p + (size_t)i * s->L;
    for (int h = 0; h < s->H; h++) {
      const float *a = head_row(s, h, (int)i);
      float        w = s->w[h];
      int          j = 0;
      for (; j + 16 <= s->L; j += 16) v16_store(out + j, v16_load(out + j) + w * v16_load(a + j));
      for (; j < s->L; j++) out[j] += w * a[j];
    }
  }
}

static void
cpu_contact_accum(plm_backend *be, const plm_contact_step *s)
{
  int         i0 = s->row0 - s->first, i1 = s->row0 + s->rows - s->first;
  contact_job j = { s, i0 < 0 ? 0 : i0, i1 > s->L ? s->L : i1 };

  if (j.i1 <= j.i0 || PLM_HALF_MISUSED(be, "contact_accum", s->att, s->acc, s->u, s->v)) return;
  pool_for(POOL(be), s->H, grain_for(2.0 * (j.i1 - j.i0) * s->L), contact_sums_range, &j);
  pool_for(POOL(be), j.i1 - j.i0, grain_for(2.0 * s->H * s->L), contact_axpy_range, &j);
}

static void
cpu_contact_factors(plm_backend *be, const plm_contact_step *s)
{
  if (PLM_HALF_MISUSED(be, "contact_factors", s->u, s->v)) return;
  for (int h = 0; h < s->H; h++) {
    const float *v = s->v->p + (size_t)(s->k0 + h) * s->L;
    float       *u = s->u->p + (size_t)(s->k0 + h) * s->L;
    double       total = 0.0;
    float        c;
    for (int i = 0; i < s->L; i++) total += v[i];
    c = total != 0.0 ? (float)(s->w[h] / total) : 0.0f;   /* an all-zero map: F = S = 0 */
    for (int i = 0; i < s->L; i++) u[i] = c * v[i];
  }
}

/* x += x^T over blocks of rows: the pair (i, k), k >= i, belongs to the thread owning row i,
 * which reads both old values before writing either */
typedef struct { float *x; int n; } transpose_job;

#define TRANSPOSE_TILE 32

static void
add_transpose_range(void *arg, int64_t b0, int64_t b1)
{
  const transpose_job *j = arg;
  int                  n = j->n;
  for (int64_t bi = b0; bi < b1; bi++) {
    int i0 = (int)bi * TRANSPOSE_TILE, i1 = i0 + TRANSPOSE_TILE < n ? i0 + TRANSPOSE_TILE : n;
    for (int i = i0; i < i1; i++) {
      float *xi = j->x + (size_t)i * n;
      xi[i] += xi[i];
      for (int k = i + 1; k < n; k++) {
        float s = xi[k] + j->x[(size_t)k * n + i];
        xi[k] = s;
        j->x[(size_t)k * n + i] = s;
      }
    }
  }
}

static void
cpu_add_transpose(plm_backend *be, plm_buf *x, int n)
{
  transpose_job j = { x->p, n };
  if (PLM_HALF_MISUSED(be, "add_transpose", x)) return;
  pool_for(POOL(be), (n + TRANSPOSE_TILE - 1) / TRANSPOSE_TILE, grain_for((double)TRANSPOSE_TILE * n), add_transpose_range, &j);
}

static int
cpu_sync(plm_backend *be, char *errbuf)
{
  int status = be->status;
  if (status != PLM_OK) plm_Fail(errbuf, status, "%s", be->errmsg);
  be->status = PLM_OK;
  return status;
}

/* ---------------------------------------------------------------------------
 * open / close
 */

static void
cpu_close(plm_backend *be)
{
  cpu *c = CPU(be);
  if (!c) return;
  pool_destroy(c->pool);
  free(c->wide);
  free(c);
  be->priv = NULL;
}

/* $PLMSCOPE_GEMM: "openblas", "dnnl", or "auto" (unset or empty too): oneDNN where the CPU has AVX-512 */
static int
gemm_choose(gemm_lib *ret, char *errbuf)
{
  const char *want = getenv(PLM_GEMM_ENV);

  *ret = GEMM_OPENBLAS;
  if (want && strcmp(want, "openblas") == 0) return PLM_OK;
  if (want && *want && strcmp(want, "auto") != 0 && strcmp(want, "dnnl") != 0)
    return plm_Fail(errbuf, PLM_EINVAL, "%s=%s: unknown GEMM library (openblas, dnnl or auto)", PLM_GEMM_ENV, want);
#if PLM_HAVE_DNNL
  if (want && strcmp(want, "dnnl") == 0) { *ret = GEMM_DNNL; return PLM_OK; }
#if defined(__x86_64__) || defined(__i386__)
  if (__builtin_cpu_supports("avx512f")) *ret = GEMM_DNNL;
#endif
  return PLM_OK;
#else
  if (want && strcmp(want, "dnnl") == 0)
    return plm_Fail(errbuf, PLM_EINVAL, "%s=dnnl: this build has no oneDNN (configure found no libdnnl-dev)", PLM_GEMM_ENV);
  return PLM_OK;
#endif
}

static int
cpu_open(plm_backend *be, char *errbuf)
{
  cpu *c;
  int  status;

  openblas_set_num_threads(1);
  if ((c = calloc(1, sizeof *c)) == NULL) return plm_Fail(errbuf, PLM_EMEM, "out of memory");
  be->priv = c;
  PLM_XCHECK(gemm_choose(&c->gemm, errbuf));
  PLM_XCHECK(pool_create(be->nthreads, &c->pool, errbuf));
  snprintf(be->desc, sizeof be->desc, "cpu, %d thread%s, %s sgemm", be->nthreads, be->nthreads == 1 ? "" : "s",
           c->gemm == GEMM_DNNL ? "oneDNN" : "OpenBLAS");
  return PLM_OK;

ERROR:
  cpu_close(be);
  return status;
}

const plm_backend_ops plm_backend_cpu_ops = {
  .name = "cpu",
  .borrows = 1,
  .attn_bytes = (size_t)16 << 20,   /* blocks that stay in cache: faster than whole maps past L ~ 500 */
  .open = cpu_open, .close = cpu_close,
  .buf_create = cpu_buf_create, .buf_wrap = cpu_buf_wrap, .buf_wrap_half = cpu_buf_wrap_half, .buf_is_half = cpu_buf_is_half, .buf_destroy = cpu_buf_destroy,
  .write = cpu_write, .read = cpu_read, .map = cpu_map, .unmap = cpu_unmap,
  .gemm = cpu_gemm, .linear = cpu_linear, .layernorm = cpu_layernorm, .gelu = cpu_gelu, .gelu_tanh = cpu_gelu_tanh, .swiglu = cpu_swiglu,
  .softmax_rows = cpu_softmax_rows, .rotary = cpu_rotary, .add = cpu_add, .add_rows = cpu_add_rows, .scale = cpu_scale, .zero = cpu_zero,
  .embed = cpu_embed, .contact_accum = cpu_contact_accum, .contact_factors = cpu_contact_factors,
  .add_transpose = cpu_add_transpose,
  .sync = cpu_sync,
};
