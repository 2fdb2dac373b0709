/* test_backend.c: every operator of every compute backend (libcore/backend/backend.h) against a naive
 * double-precision reference, and apc.c against its definition.
 *
 *   for each backend in plm_backend_Names(), with 1 and 3 threads (so work splits unevenly):
 *   buffers: write/read/map round trips, wrapped host memory;
 *   gemm (every transpose, batches, strides, offsets, alpha/beta), linear (with and without bias),
 *   linear with half-precision weights (plm_buf_WrapWeight under f16) against the half-rounded
 *   matrix, f32 WrapWeight as plm_buf_Wrap, a half buffer misused reported at sync,
 *   layernorm, gelu, softmax, rotary, add, scale, zero, embed (token dropout), contact head
 *   (contact_accum in blocks of query rows + contact_factors + add_transpose + gemm against
 *   sum_h w_h APC(sym(A_h)); blocks equal whole maps bit for bit on the CPU) at edge sizes 1 and
 *   odd sizes; the half-precision array conversions against the scalar ones; unknown backend
 *   names and thread counts refused.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "apc.h"
#include "backend.h"
#include "error.h"
#include "tensor.h"
#include "test.h"

static uint64_t rng_state = 12345;

static float
urand(void)    /* uniform in [-1, 1) */
{
  rng_state = rng_state * 6364136223846793005ULL + 1442695040888963407ULL;
  return (float)((double)(rng_state >> 11) / 4503599627370496.0 - 1.0);
}

static float *
rand_array(size_t n, float scale)
{
  float *x = malloc(sizeof *x * (n ? n : 1));
  for (size_t i = 0; i < n; i++) x[i] = scale * urand();
  return x;
}

static plm_buf *
upload(plm_backend *be, const float *x, size_t n)
{
  char     eb[PLM_ERRBUFSIZE];
  plm_buf *b = NULL;
  if (plm_buf_Create(be, n ? n : 1, &b, eb) != PLM_OK) { printf("buf_Create: %s\n", eb); exit(1); }
  if (x && n) plm_buf_Write(be, b, 0, x, n);
  return b;
}

static float *
download(plm_backend *be, const plm_buf *b, size_t n)
{
  float *x = malloc(sizeof *x * (n ? n : 1));
  if (n) plm_buf_Read(be, b, 0, x, n);
  return x;
}

/* max |got - want| / (1 + |want|) */
static double
max_err(const float *got, const double *want, size_t n)
{
  double e = 0.0;
  for (size_t i = 0; i < n; i++) {
    double d = fabs(got[i] - want[i]) / (1.0 + fabs(want[i]));
    if (!(d <= e)) e = d;
  }
  return e;
}

/* ------------------------------------------------------------------ gemm */

static void
test_gemm(plm_backend *be, const char *tag, int tA, int tB, int M, int N, int K, int batch, float alpha, float beta)
{
  int     lda = (tA ? M : K) + 3, ldb = (tB ? K : N) + 1, ldc = N + 2;
  size_t  sA = (size_t)(tA ? K : M) * lda + 5, sB = (size_t)(tB ? N : K) * ldb + 7, sC = (size_t)M * ldc + 1;
  size_t  offA = 3, offB = 2, offC = 4;
  size_t  nA = offA + sA * batch, nB = offB + sB * batch, nC = offC + sC * batch;
  float  *A = rand_array(nA, 1), *B = rand_array(nB, 1), *C = rand_array(nC, 1), *got;
  double *want = malloc(sizeof *want * nC);
  plm_buf *bA = upload(be, A, nA), *bB = upload(be, B, nB), *bC = upload(be, C, nC);

  for (size_t i = 0; i < nC; i++) want[i] = C[i];
  for (int b = 0; b < batch; b++)
    for (int i = 0; i < M; i++)
      for (int j = 0; j < N; j++) {
        double s = 0.0;
        for (int k = 0; k < K; k++) {
          double a = A[offA + b * sA + (tA ? (size_t)k * lda + i : (size_t)i * lda + k)];
          double v = B[offB + b * sB + (tB ? (size_t)j * ldb + k : (size_t)k * ldb + j)];
          s += a * v;
        }
        size_t c = offC + b * sC + (size_t)i * ldc + j;
        want[c] = alpha * s + beta * C[c];
      }
  plm_op_Gemm(be, &(plm_gemm){ .transA = tA, .transB = tB, .M = M, .N = N, .K = K, .batch = batch,
                               .alpha = alpha, .beta = beta,
                               .A = bA, .offA = offA, .lda = lda, .strideA = sA,
                               .B = bB, .offB = offB, .ldb = ldb, .strideB = sB,
                               .C = bC, .offC = offC, .ldc = ldc, .strideC = sC });
  got = download(be, bC, nC);
  double e = max_err(got, want, nC);
  TEST(e < 1e-5 * (1 + sqrt(K)), "%s gemm %c%c M=%d N=%d K=%d batch=%d alpha=%g beta=%g: max err %.1e",
       tag, tA ? 'T' : 'N', tB ? 'T' : 'N', M, N, K, batch, alpha, beta, e);
  plm_buf_Destroy(be, bA); plm_buf_Destroy(be, bB); plm_buf_Destroy(be, bC);
  free(A); free(B); free(C); free(got); free(want);
}

/* ----------------------------------------------------------------- linear */

static void
test_linear(plm_backend *be, const char *tag, int rows, int in, int out, int bias)
{
  float   *x = rand_array((size_t)rows * in, 1), *W = rand_array((size_t)out * in, 1), *b = rand_array((size_t)out, 1), *got;
  double  *want = malloc(sizeof *want * ((size_t)rows * out + 1));
  plm_buf *bx = upload(be, x, (size_t)rows * in), *bW = upload(be, W, (size_t)out * in), *bb = upload(be, b, (size_t)out);
  plm_buf *by = upload(be, NULL, (size_t)rows * out);

  for (int r = 0; r < rows; r++)
    for (int o = 0; o < out; o++) {
      double s = bias ? b[o] : 0.0;
      for (int i = 0; i < in; i++) s += (double)x[(size_t)r * in + i] * W[(size_t)o * in + i];
      want[(size_t)r * out + o] = s;
    }
  plm_op_Linear(be, bx, rows, in, bW, bias ? bb : NULL, out, by);
  got = download(be, by, (size_t)rows * out);
  double e = max_err(got, want, (size_t)rows * out);
  TEST(e < 1e-5 * (1 + sqrt(in)), "%s linear rows=%d in=%d out=%d %s: max err %.1e", tag, rows, in, out, bias ? "bias" : "no bias", e);
  plm_buf_Destroy(be, bx); plm_buf_Destroy(be, bW); plm_buf_Destroy(be, bb); plm_buf_Destroy(be, by);
  free(x); free(W); free(b); free(got); free(want);
}

/* linear with W from plm_buf_WrapWeight under f16: the float32 product of the half-rounded W, to
 * the float32 tolerance above; and far enough from the unrounded W's result to show it rounded */
static void
test_linear_f16(plm_backend *be, const char *tag, int rows, int in, int out, int bias)
{
  char     eb[PLM_ERRBUFSIZE];
  float   *x = rand_array((size_t)rows * in, 1), *W = rand_array((size_t)out * in, 1), *b = rand_array((size_t)out, 1), *got;
  double  *want = malloc(sizeof *want * ((size_t)rows * out + 1)), *exact = malloc(sizeof *exact * ((size_t)rows * out + 1));
  plm_buf *bx = upload(be, x, (size_t)rows * in), *bb = upload(be, b, (size_t)out), *bW = NULL;
  plm_buf *by = upload(be, NULL, (size_t)rows * out);
  int      wrapped;

  for (int r = 0; r < rows; r++)
    for (int o = 0; o < out; o++) {
      double s = bias ? b[o] : 0.0, t = s;
      for (int i = 0; i < in; i++) {
        float w = W[(size_t)o * in + i];
        s += (double)x[(size_t)r * in + i] * plm_f16_to_f32(plm_f32_to_f16(w));
        t += (double)x[(size_t)r * in + i] * w;
      }
      want[(size_t)r * out + o]  = s;
      exact[(size_t)r * out + o] = t;
    }
  wrapped = plm_backend_SetWeights(be, PLM_F16, eb) == PLM_OK && plm_buf_WrapWeight(be, W, (size_t)out * in, &bW, eb) == PLM_OK;
  TEST(wrapped, "%s f16 weights: wrap %d x %d%s%s", tag, out, in, wrapped ? "" : ": ", wrapped ? "" : eb);
  if (wrapped) {
    plm_op_Linear(be, bx, rows, in, bW, bias ? bb : NULL, out, by);
    got = download(be, by, (size_t)rows * out);
    double e = max_err(got, want, (size_t)rows * out), d = max_err(got, exact, (size_t)rows * out);
    TEST(plm_backend_Sync(be, eb) == PLM_OK && e < 1e-5 * (1 + sqrt(in)),
         "%s f16 linear rows=%d in=%d out=%d %s: max err %.1e against the half-rounded W", tag, rows, in, out, bias ? "bias" : "no bias", e);
    if (in * out >= 16)
      TEST(d > 10 * e && d > 1e-5 * (1 + sqrt(in)), "%s f16 linear rows=%d in=%d out=%d: %.1e from the unrounded W's result (rounded)",
           tag, rows, in, out, d);
    free(got);
  }
  plm_backend_SetWeights(be, PLM_F32, eb);
  plm_buf_Destroy(be, bx); plm_buf_Destroy(be, bW); plm_buf_Destroy(be, bb); plm_buf_Destroy(be, by);
  free(x); free(W); free(b); free(want); free(exact);
}

/* the weight precision setting itself: f32 WrapWeight is plm_buf_Wrap; other dtypes refused; a half
 * buffer anywhere but Linear's W is an error at sync, not a crash, and the backend goes on working */
static void
test_weights_setting(plm_backend *be, const char *tag)
{
  char     eb[PLM_ERRBUFSIZE];
  float   *W = rand_array(60, 1), y[60];
  plm_buf *bw = NULL, *bc = upload(be, NULL, 36);

  TEST(plm_backend_SetWeights(be, PLM_BF16, eb) == PLM_EINVAL && strstr(eb, "bf16"), "%s weight precision bf16 refused: %s", tag, eb);
  TEST(plm_backend_SetWeights(be, PLM_F32, eb) == PLM_OK && plm_buf_WrapWeight(be, W, 60, &bw, eb) == PLM_OK,
       "%s f32 WrapWeight", tag);
  memset(y, 0, sizeof y);
  plm_buf_Read(be, bw, 0, y, 60);
  TEST(plm_backend_Sync(be, eb) == PLM_OK && memcmp(y, W, sizeof y) == 0, "%s f32 WrapWeight reads back exactly, as plm_buf_Wrap", tag);
  plm_buf_Destroy(be, bw);
  bw = NULL;
  TEST(plm_backend_SetWeights(be, PLM_F16, eb) == PLM_OK && plm_buf_WrapWeight(be, W, 60, &bw, eb) == PLM_OK, "%s f16 WrapWeight", tag);
  plm_op_Gemm(be, &(plm_gemm){ .M = 6, .N = 6, .K = 10, .alpha = 1.0f, .A = bw, .lda = 10, .B = bw, .ldb = 6, .C = bc, .ldc = 6 });
  TEST(plm_backend_Sync(be, eb) == PLM_EINVAL && strstr(eb, "half"), "%s half weight as a gemm operand: error at sync: %s", tag, eb);
  plm_buf_Read(be, bw, 0, y, 10);
  TEST(plm_backend_Sync(be, eb) == PLM_EINVAL, "%s half weight read: error at sync: %s", tag, eb);
  TEST(plm_buf_Map(be, bw, 0, 10) == NULL && plm_backend_Sync(be, eb) == PLM_EINVAL, "%s half weight map: NULL, error at sync", tag);
  plm_op_Gelu(be, bc, 36);
  TEST(plm_backend_Sync(be, eb) == PLM_OK, "%s the backend works on after the misuse", tag);
  plm_backend_SetWeights(be, PLM_F32, eb);
  plm_buf_Destroy(be, bw); plm_buf_Destroy(be, bc);
  free(W);
}

/* ------------------------------------------------------- rowwise operators */

static void
test_layernorm(plm_backend *be, const char *tag, int rows, int cols, int inplace)
{
  size_t   n = (size_t)rows * cols;
  float   *x = rand_array(n, 3), *g = rand_array((size_t)cols, 1), *b = rand_array((size_t)cols, 1), *got;
  double  *want = malloc(sizeof *want * n);
  plm_buf *bx = upload(be, x, n), *bg = upload(be, g, (size_t)cols), *bb = upload(be, b, (size_t)cols);
  plm_buf *by = inplace ? bx : upload(be, NULL, n);

  for (int r = 0; r < rows; r++) {
    double m = 0, v = 0;
    for (int c = 0; c < cols; c++) m += x[(size_t)r * cols + c];
    m /= cols;
    for (int c = 0; c < cols; c++) v += (x[(size_t)r * cols + c] - m) * (x[(size_t)r * cols + c] - m);
    v /= cols;
    for (int c = 0; c < cols; c++) want[(size_t)r * cols + c] = (x[(size_t)r * cols + c] - m) / sqrt(v + 1e-5) * g[c] + b[c];
  }
  plm_op_LayerNorm(be, bx, by, rows, cols, bg, bb, 1e-5f);
  got = download(be, by, n);
  double e = max_err(got, want, n);
  TEST(e < 2e-6, "%s layernorm %dx%d%s: max err %.1e", tag, rows, cols, inplace ? " in place" : "", e);
  plm_buf_Destroy(be, bx); plm_buf_Destroy(be, bg); plm_buf_Destroy(be, bb);
  if (!inplace) plm_buf_Destroy(be, by);
  free(x); free(g); free(b); free(got); free(want);
}

static void
test_gelu(plm_backend *be, const char *tag, size_t n)
{
  float   *x = rand_array(n, 8), *got;
  double  *want = malloc(sizeof *want * (n + 1)), e = 0;
  plm_buf *bx = upload(be, x, n);

  for (size_t i = 0; i < n; i++) want[i] = x[i] * 0.5 * (1.0 + erf(x[i] / sqrt(2.0)));
  plm_op_Gelu(be, bx, n);
  got = download(be, bx, n);
  for (size_t i = 0; i < n; i++) e = fmax(e, fabs(got[i] - want[i]) / (1 + fabs(x[i])));
  TEST(e < 3e-7, "%s gelu n=%zu: max err %.1e (relative to 1 + |x|)", tag, n, e);
  plm_buf_Destroy(be, bx);
  free(x); free(got); free(want);
}

static void
test_gelu_tanh(plm_backend *be, const char *tag, size_t n)
{
  float   *x = rand_array(n, 8), *got;
  double  *want = malloc(sizeof *want * (n + 1)), e = 0;
  plm_buf *bx = upload(be, x, n);

  for (size_t i = 0; i < n; i++) want[i] = 0.5 * x[i] * (1.0 + tanh(sqrt(2.0 / M_PI) * (x[i] + 0.044715 * pow(x[i], 3))));
  plm_op_GeluTanh(be, bx, n);
  got = download(be, bx, n);
  for (size_t i = 0; i < n; i++) e = fmax(e, fabs(got[i] - want[i]) / (1 + fabs(x[i])));
  TEST(e < 5e-7, "%s gelu_tanh n=%zu: max err %.1e (relative to 1 + |x|)", tag, n, e);
  plm_buf_Destroy(be, bx);
  free(x); free(got); free(want);
}

/* y += x over a rows x cols block: the XLNet relative shift, x rows read one short of their stride */
static void
test_add_rows(plm_backend *be, const char *tag, int T)
{
  size_t   ny = (size_t)T * T + 3, nx = (size_t)2 * T * T + 1;
  float   *x = rand_array(nx, 1), *y = rand_array(ny, 1), *got;
  double  *want = malloc(sizeof *want * ny);
  plm_buf *bx = upload(be, x, nx), *by = upload(be, y, ny);

  for (size_t i = 0; i < ny; i++) want[i] = y[i];
  for (int i = 0; i < T; i++)
    for (int j = 0; j < T; j++) want[3 + (size_t)i * T + j] = (float)(y[3 + (size_t)i * T + j] + x[1 + (size_t)i * 2 * T + T - i + j]);
  plm_op_AddRows(be, by, 3, T, bx, 1 + (size_t)T, 2 * T - 1, T, T);
  got = download(be, by, ny);
  TEST(max_err(got, want, ny) == 0.0, "%s add_rows %dx%d, strides %d and %d", tag, T, T, T, 2 * T - 1);
  plm_buf_Destroy(be, bx); plm_buf_Destroy(be, by);
  free(x); free(y); free(got); free(want);
}

static void
test_softmax(plm_backend *be, const char *tag, int rows, int cols, float scale)
{
  size_t   n = (size_t)rows * cols;
  float   *x = rand_array(n, scale), *got;
  double  *want = malloc(sizeof *want * n), e = 0;
  plm_buf *bx = upload(be, x, n);

  for (int r = 0; r < rows; r++) {
    double mx = -INFINITY, s = 0;
    for (int c = 0; c < cols; c++) mx = fmax(mx, x[(size_t)r * cols + c]);
    for (int c = 0; c < cols; c++) s += exp(x[(size_t)r * cols + c] - mx);
    for (int c = 0; c < cols; c++) want[(size_t)r * cols + c] = exp(x[(size_t)r * cols + c] - mx) / s;
  }
  plm_op_SoftmaxRows(be, bx, rows, cols);
  got = download(be, bx, n);
  for (size_t i = 0; i < n; i++) e = fmax(e, fabs(got[i] - want[i]));
  TEST(e < 1e-6, "%s softmax %dx%d (logits up to %g): max abs err %.1e", tag, rows, cols, scale, e);
  plm_buf_Destroy(be, bx);
  free(x); free(got); free(want);
}

static void
test_rotary(plm_backend *be, const char *tag, int T, int H, int hd)
{
  int      ld = H * hd + 3, half = hd / 2;
  size_t   n = (size_t)T * ld;
  float   *x = rand_array(n, 1), *c = malloc(sizeof *c * T * half), *s = malloc(sizeof *s * T * half), *got;
  double  *want = malloc(sizeof *want * n);
  plm_buf *bx, *bc, *bs;

  for (int t = 0; t < T; t++)
    for (int i = 0; i < half; i++) { c[t * half + i] = cosf(0.1f * t * (i + 1)); s[t * half + i] = sinf(0.1f * t * (i + 1)); }
  for (size_t i = 0; i < n; i++) want[i] = x[i];
  for (int t = 0; t < T; t++)
    for (int h = 0; h < H; h++)
      for (int i = 0; i < half; i++) {
        size_t p = (size_t)t * ld + (size_t)h * hd + i;
        want[p]        = (double)x[p] * c[t * half + i] - (double)x[p + half] * s[t * half + i];
        want[p + half] = (double)x[p + half] * c[t * half + i] + (double)x[p] * s[t * half + i];
      }
  bx = upload(be, x, n); bc = upload(be, c, (size_t)T * half); bs = upload(be, s, (size_t)T * half);
  plm_op_Rotary(be, bx, T, H, hd, ld, bc, bs);
  got = download(be, bx, n);
  double e = max_err(got, want, n);
  TEST(e < 1e-6, "%s rotary T=%d H=%d hd=%d: max err %.1e", tag, T, H, hd, e);
  plm_buf_Destroy(be, bx); plm_buf_Destroy(be, bc); plm_buf_Destroy(be, bs);
  free(x); free(c); free(s); free(got); free(want);
}

/* --------------------------------------------------------- elementwise */

static void
test_elementwise(plm_backend *be, const char *tag, size_t n)
{
  size_t   offx = 5, offy = 2;
  float   *x = rand_array(n + offx, 1), *y = rand_array(n + offy, 1), *got;
  double  *want = malloc(sizeof *want * (n + offy + 1));
  plm_buf *bx = upload(be, x, n + offx), *by = upload(be, y, n + offy);
  int      ok;

  for (size_t i = 0; i < n + offy; i++) want[i] = i < offy ? y[i] : (float)(y[i] + x[i - offy + offx]);
  plm_op_Add(be, by, offy, bx, offx, n);
  got = download(be, by, n + offy);
  TEST(max_err(got, want, n + offy) == 0.0, "%s add n=%zu with offsets", tag, n);
  free(got);
  for (size_t i = 0; i < n + offy; i++) want[i] = (float)want[i] * 0.375f;
  plm_op_Scale(be, by, n + offy, 0.375f);
  got = download(be, by, n + offy);
  TEST(max_err(got, want, n + offy) == 0.0, "%s scale n=%zu", tag, n + offy);
  free(got);
  plm_op_Zero(be, by, n + offy);
  got = download(be, by, n + offy);
  ok = 1;
  for (size_t i = 0; i < n + offy; i++) ok &= got[i] == 0.0f;
  TEST(ok, "%s zero n=%zu", tag, n + offy);
  plm_buf_Destroy(be, bx); plm_buf_Destroy(be, by);
  free(x); free(y); free(got); free(want);
}

static void
test_embed(plm_backend *be, const char *tag, int T, int D)
{
  int32_t *ids = malloc(sizeof *ids * T);
  float   *table = rand_array((size_t)33 * D, 1), *got;
  double  *want = malloc(sizeof *want * T * D);
  plm_buf *bt = upload(be, table, (size_t)33 * D), *bo = upload(be, NULL, (size_t)T * D);
  float    mul = 0.88f, div = 1.0f - 2.0f / T;

  for (int t = 0; t < T; t++) ids[t] = t % 5 == 2 ? 32 : (int32_t)(t * 7 % 33);
  for (int t = 0; t < T; t++)
    for (int c = 0; c < D; c++) want[(size_t)t * D + c] = ids[t] == 32 ? 0.0 : (double)((table[(size_t)ids[t] * D + c] * mul) / div);
  plm_op_Embed(be, bt, ids, T, D, 32, mul, div, bo);
  got = download(be, bo, (size_t)T * D);
  TEST(max_err(got, want, (size_t)T * D) == 0.0, "%s embed T=%d D=%d with <mask> rows dropped", tag, T, D);
  plm_buf_Destroy(be, bt); plm_buf_Destroy(be, bo);
  free(ids); free(table); free(got); free(want);
}

/* --------------------------------------------------------- contact head */

/* sum over H heads of w_h APC(sym(A_h)) on the residue block, in double, straight from the definition */
static void
contact_reference(const float *att, int H, int T, int first, int L, const uint8_t *drop, const float *w, double *z)
{
  double *s = malloc(sizeof *s * L * L), *r = malloc(sizeof *r * L);
  memset(z, 0, sizeof *z * L * L);
  for (int h = 0; h < H; h++) {
    double tot = 0;
    for (int i = 0; i < L; i++)
      for (int j = 0; j < L; j++) {
        double aij = (drop && (drop[i] || drop[j])) ? 0 : att[(size_t)h * T * T + (size_t)(first + i) * T + first + j];
        double aji = (drop && (drop[i] || drop[j])) ? 0 : att[(size_t)h * T * T + (size_t)(first + j) * T + first + i];
        s[i * L + j] = aij + aji;
      }
    for (int i = 0; i < L; i++) { r[i] = 0; for (int j = 0; j < L; j++) r[i] += s[i * L + j]; tot += r[i]; }
    for (int i = 0; i < L; i++)
      for (int j = 0; j < L; j++) z[i * L + j] += w[h] * (s[i * L + j] - (tot != 0 ? r[i] * r[j] / tot : 0));
  }
  free(s); free(r);
}

/* the contact head over nl layers, each layer's maps fed Q query rows at a time (Q >= T: whole);
 * returns the L x L result (the caller frees it) */
static float *
test_contact(plm_backend *be, const char *tag, int nl, int H, int T, int with_drop, int Q)
{
  int      L = T - 2, K = nl * H;
  float   *w = rand_array((size_t)K, 2), *got;
  double  *want = calloc((size_t)L * L + 1, sizeof *want), *part = malloc(sizeof *part * ((size_t)L * L + 1));
  uint8_t *drop = calloc((size_t)L + 1, 1);
  plm_buf *acc = upload(be, NULL, (size_t)L * L), *u = upload(be, NULL, (size_t)K * L), *v = upload(be, NULL, (size_t)K * L);

  if (Q > T) Q = T;
  if (with_drop && L > 2) drop[L / 2] = 1;
  plm_op_Zero(be, acc, (size_t)L * L);
  for (int l = 0; l < nl; l++) {
    float           *att = rand_array((size_t)H * T * T, 1), *blk = malloc(sizeof *blk * (size_t)H * Q * T);
    plm_contact_step s = { .H = H, .T = T, .first = 1, .L = L, .drop = with_drop ? drop : NULL, .w = w + l * H,
                           .acc = acc, .u = u, .v = v, .k0 = l * H };
    for (size_t i = 0; i < (size_t)H * T * T; i++) att[i] = fabsf(att[i]);
    contact_reference(att, H, T, 1, L, with_drop ? drop : NULL, w + l * H, part);
    for (size_t i = 0; i < (size_t)L * L; i++) want[i] += part[i];
    for (s.row0 = 0; s.row0 < T; s.row0 += Q) {    /* the block as the model lays it out: H x rows x T */
      s.rows = T - s.row0 < Q ? T - s.row0 : Q;
      for (int h = 0; h < H; h++)
        memcpy(blk + (size_t)h * s.rows * T, att + ((size_t)h * T + s.row0) * T, sizeof *blk * (size_t)s.rows * T);
      s.att = upload(be, blk, (size_t)H * s.rows * T);
      plm_op_ContactAccum(be, &s);
      plm_buf_Destroy(be, s.att);
    }
    plm_op_ContactFactors(be, &s);
    free(att); free(blk);
  }
  plm_op_AddTranspose(be, acc, L);
  plm_op_Gemm(be, &(plm_gemm){ .transA = 1, .M = L, .N = L, .K = K, .alpha = -1.0f, .beta = 1.0f,
                               .A = u, .lda = L, .B = v, .ldb = L, .C = acc, .ldc = L });
  got = download(be, acc, (size_t)L * L);
  double e = max_err(got, want, (size_t)L * L);
  TEST(e < 2e-5, "%s contact head %d layers x %d heads, T=%d%s, %d-row blocks: max err %.1e", tag, nl, H, T,
       with_drop ? ", one <eos> dropped" : "", Q, e);
  plm_buf_Destroy(be, acc); plm_buf_Destroy(be, u); plm_buf_Destroy(be, v);
  free(w); free(want); free(part); free(drop);
  return got;
}

/* the same maps whole and in blocks of Q rows: both right, and on the CPU identical (apc.h) */
static void
test_contact_blocks(plm_backend *be, const char *tag, int nl, int H, int T, int with_drop, int Q)
{
  uint64_t seed = rng_state;
  size_t   n = (size_t)(T - 2) * (T - 2);
  float   *whole = test_contact(be, tag, nl, H, T, with_drop, T), *blocked;

  rng_state = seed;
  blocked = test_contact(be, tag, nl, H, T, with_drop, Q);
  if (strcmp(be->ops->name, "cpu") == 0)
    TEST(memcmp(whole, blocked, sizeof *whole * n) == 0, "%s contact head in %d-row blocks equals whole maps bit for bit", tag, Q);
  free(whole); free(blocked);
}

/* ----------------------------------------------------------------- buffers */

static void
test_buffers(plm_backend *be, const char *tag)
{
  char         eb[PLM_ERRBUFSIZE];
  float       *x = rand_array(100, 1), y[100];
  plm_buf     *b = upload(be, x, 100), *wb = NULL;
  const float *m;

  plm_buf_Read(be, b, 10, y, 50);
  TEST(memcmp(y, x + 10, 50 * sizeof(float)) == 0, "%s buffer write/read round trip at an offset", tag);
  m = plm_buf_Map(be, b, 20, 30);
  TEST(m && memcmp(m, x + 20, 30 * sizeof(float)) == 0, "%s buffer map", tag);
  plm_buf_Unmap(be, b, m);
  TEST(plm_buf_Wrap(be, x, 100, &wb, eb) == PLM_OK, "%s wrap host memory", tag);
  plm_buf_Read(be, wb, 0, y, 100);
  TEST(memcmp(y, x, sizeof y) == 0, "%s wrapped buffer reads back", tag);
  TEST(plm_backend_Sync(be, eb) == PLM_OK, "%s sync after the operators", tag);
  plm_buf_Destroy(be, b); plm_buf_Destroy(be, wb);
  free(x);
}

static void
test_backend(const char *name, int nthreads)
{
  char         eb[PLM_ERRBUFSIZE], tag[64];
  plm_backend *be;

  snprintf(tag, sizeof tag, "%s/%dt", name, nthreads);
  switch (plm_backend_Create(name, nthreads, &be, eb)) {
  case PLM_OK:     break;
  case PLM_EUNSUP: test_skip("%s: no device: %s", tag, eb); return;
  default:         TEST(0, "%s: create: %s", tag, eb); return;
  }
  test_buffers(be, tag);
  for (int tA = 0; tA < 2; tA++)
    for (int tB = 0; tB < 2; tB++) test_gemm(be, tag, tA, tB, 7, 5, 3, 1, 1.0f, 0.0f);
  test_gemm(be, tag, 0, 0, 1, 1, 1, 1, 1.0f, 0.0f);
  test_gemm(be, tag, 0, 1, 37, 29, 16, 5, 0.5f, 1.0f);      /* QK^T per head */
  test_gemm(be, tag, 0, 0, 37, 16, 37, 5, 1.0f, 0.0f);      /* AV per head */
  test_gemm(be, tag, 1, 0, 64, 64, 120, 1, -1.0f, 1.0f);    /* the contact head's u^T v */
  test_gemm(be, tag, 0, 0, 301, 1, 257, 2, 1.0f, 0.25f);
  test_linear(be, tag, 1, 1, 1, 1);
  test_linear(be, tag, 3, 96, 33, 1);
  test_linear(be, tag, 261, 75, 301, 0);
  test_linear(be, tag, 600, 320, 1280, 1);
  test_weights_setting(be, tag);
  test_linear_f16(be, tag, 1, 1, 1, 1);
  test_linear_f16(be, tag, 3, 96, 33, 1);
  test_linear_f16(be, tag, 261, 75, 301, 0);
  test_linear_f16(be, tag, 600, 320, 1280, 1);
  test_linear_f16(be, tag, 5, 33, 7, 0);        /* smaller after larger: the widening scratch is reused */
  test_layernorm(be, tag, 1, 1, 0);
  test_layernorm(be, tag, 37, 320, 0);
  test_layernorm(be, tag, 1025, 61, 1);
  test_gelu(be, tag, 1);
  test_gelu(be, tag, 1001);
  test_gelu(be, tag, 300007);
  test_gelu_tanh(be, tag, 1);
  test_gelu_tanh(be, tag, 300007);
  test_softmax(be, tag, 1, 1, 1);
  test_softmax(be, tag, 3, 7, 1);
  test_softmax(be, tag, 517, 259, 30);
  test_softmax(be, tag, 20, 1030, 100);
  test_rotary(be, tag, 1, 1, 2);
  test_rotary(be, tag, 37, 5, 16);
  test_rotary(be, tag, 300, 20, 64);
  test_elementwise(be, tag, 1);
  test_elementwise(be, tag, 1001);
  test_elementwise(be, tag, 700001);
  test_add_rows(be, tag, 1);
  test_add_rows(be, tag, 77);
  test_embed(be, tag, 1, 1);
  test_embed(be, tag, 77, 96);
  test_contact_blocks(be, tag, 1, 1, 3, 0, 1);
  test_contact_blocks(be, tag, 2, 3, 11, 1, 4);
  test_contact_blocks(be, tag, 3, 6, 70, 0, 64);
  test_contact_blocks(be, tag, 2, 20, 203, 1, 17);
  plm_backend_Destroy(be);
}

static void
test_apc_map(void)
{
  char    eb[PLM_ERRBUFSIZE];
  int     T = 41, L = 37;
  float  *a = rand_array((size_t)T * T, 1), *out = malloc(sizeof *out * L * L);
  double *want = malloc(sizeof *want * L * L);
  float   w = 1.0f;

  contact_reference(a, 1, T, 2, L, NULL, &w, want);
  TEST(plm_apc_Map(a + 2 * T + 2, T, L, out, L, eb) == PLM_OK && max_err(out, want, (size_t)L * L) < 1e-5,
       "apc: plm_apc_Map is APC(A + A^T) over the whole block, diagonal included");
  free(a); free(out); free(want);
}

/* the array conversions (F16C where the processor has it) against the scalar ones: every half
 * value widened, and floats around every rounding boundary (ties, subnormals, overflow) rounded */
static void
test_half_arrays(void)
{
  uint16_t *h = malloc(sizeof *h * 65536), *r = malloc(sizeof *r * 65536 * 4);
  float    *f = malloc(sizeof *f * 65536), *g = malloc(sizeof *g * 65536 * 4);
  size_t    bad_w = 0, bad_r = 0, n = 0;

  for (int i = 0; i < 65536; i++) h[i] = (uint16_t)i;
  plm_f16_ToF32Array(h, f, 65536);
  for (int i = 0; i < 65536; i++) {
    float want = plm_f16_to_f32((uint16_t)i);
    if (memcmp(&want, &f[i], sizeof want) != 0 && !(isnan(want) && isnan(f[i]))) bad_w++;
    if (isnan(want)) continue;
    /* the value, and the floats just below, just above and halfway to the next half */
    float next = plm_f16_to_f32((uint16_t)(i + 1 < 65536 ? i + 1 : i));
    g[n++] = want;
    g[n++] = nextafterf(want, -INFINITY);
    g[n++] = nextafterf(want, INFINITY);
    g[n++] = isfinite(next) ? want + (next - want) / 2 : want;
  }
  plm_f32_ToF16Array(g, r, n);
  for (size_t i = 0; i < n; i++) if (r[i] != plm_f32_to_f16(g[i])) bad_r++;
  TEST(bad_w == 0, "f16 -> f32 over arrays equals the scalar conversion on all 65536 halves (%zu differ)", bad_w);
  TEST(bad_r == 0, "f32 -> f16 over arrays equals the scalar rounding on %zu floats at rounding boundaries (%zu differ)", n, bad_r);
  free(h); free(r); free(f); free(g);
}

int
main(void)
{
  char         eb[PLM_ERRBUFSIZE], names[256];
  plm_backend *be;

  snprintf(names, sizeof names, "%s", plm_backend_Names());
  for (char *name = strtok(names, ", "); name; name = strtok(NULL, ", ")) {
    test_backend(name, 1);
    test_backend(name, 3);
  }
  test_apc_map();
  test_half_arrays();
  TEST(plm_backend_Create("nosuch", 1, &be, eb) == PLM_ENOTFOUND && strstr(eb, "nosuch"), "unknown backend refused: %s", eb);
  TEST(plm_backend_Create("cpu", 0, &be, eb) == PLM_EINVAL, "zero threads refused: %s", eb);
  return test_done();
}
