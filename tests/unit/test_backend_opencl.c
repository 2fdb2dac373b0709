/* test_backend_opencl.c: every operator of the OpenCL backend against the CPU backend.
 *
 *   device listing and "P:D" parsing; a device that does not exist is refused with a message;
 *   each operator on random inputs of odd sizes, one token, and rows of thousands of columns,
 *   compared with the CPU backend's result (worst error relative to the result's largest
 *   magnitude, printed in every PASS line);
 *   a failing operator is reported by the next sync, and only by that one.
 * Without an OpenCL platform or device, one SKIP line says so. Under ASan, run with
 * ASAN_OPTIONS=detect_leaks=0: OpenCL drivers keep allocations until exit.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "error.h"
#include "backend.h"
#include "backend_opencl.h"
#include "test.h"

static plm_backend *cpu, *gpu;
static uint64_t     seed = 12345;

static float
rnd(void)
{
  seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
  return (float)((seed >> 40) / 16777216.0);    /* [0, 1) */
}

static float *
rnd_array(size_t n, float lo, float hi)
{
  float *x = malloc(sizeof *x * (n ? n : 1));
  for (size_t i = 0; i < n; i++) x[i] = lo + (hi - lo) * rnd();
  return x;
}

/* one array on both backends */
typedef struct pair { plm_buf *c, *g; size_t n; } pair;

static pair
pair_new(const float *host, size_t n)
{
  char eb[PLM_ERRBUFSIZE];
  pair p = { NULL, NULL, n };
  if (plm_buf_Create(cpu, n, &p.c, eb) != PLM_OK || plm_buf_Create(gpu, n, &p.g, eb) != PLM_OK) {
    printf("  buffer: %s\n", eb);
    exit(1);
  }
  if (host) { plm_buf_Write(cpu, p.c, 0, host, n); plm_buf_Write(gpu, p.g, 0, host, n); }
  return p;
}

static pair
pair_rnd(size_t n, float lo, float hi)
{
  float *x = rnd_array(n, lo, hi);
  pair   p = pair_new(x, n);
  free(x);
  return p;
}

static void
pair_free(pair *p)
{
  plm_buf_Destroy(cpu, p->c);
  plm_buf_Destroy(gpu, p->g);
}

/* both backends' contents compared: worst difference over the largest CPU magnitude */
static void
check(const char *what, const pair *p, double tol)
{
  char   eb[PLM_ERRBUFSIZE];
  float *a = malloc(sizeof *a * p->n), *b = malloc(sizeof *b * p->n);
  double e = 0.0, scale = 0.0, r;
  int    ok;

  plm_buf_Read(cpu, p->c, 0, a, p->n);
  plm_buf_Read(gpu, p->g, 0, b, p->n);
  ok = plm_backend_Sync(gpu, eb) == PLM_OK;
  if (!ok) printf("  %s: %s\n", what, eb);
  for (size_t i = 0; i < p->n; i++) {
    double d = fabs((double)a[i] - b[i]);
    if (!(d <= e)) e = d;
    scale = fmax(scale, fabs(a[i]));
  }
  /* relative to the output's size, but never to less than 1e-2: an output that is a near-cancelling
   * sum (one contact logit at L = 1) is ~1e-8 on one side and ~0 on the other, whichever GEMM library
   * ordered the additions, and both are right to float32 rounding of its O(1) terms */
  r = e / fmax(scale, 1e-2);
  TEST(ok && r <= tol, "opencl %s: %zu values, max abs err %.2e, max rel err %.2e (tol %.0e)", what, p->n, e, r, tol);
  free(a);
  free(b);
}

/* ---------------------------------------------------------------------------
 * operators
 */

typedef struct gemm_case { int ta, tb, M, N, K, batch; float alpha, beta; } gemm_case;

static void
test_gemm(void)
{
  static const gemm_case cases[] = {
    { 0, 1,  1,  1,  1, 1, 1.0f, 0.0f }, { 0, 1,  7,  5,  3, 1, 1.0f, 0.0f }, { 0, 0, 33, 17, 65, 4, 0.5f, 0.0f },
    { 1, 0, 13, 31,  7, 3, 1.0f, 1.0f }, { 1, 1,  9, 11, 13, 2, 2.0f, 0.5f }, { 0, 1, 130, 129, 20, 5, 1.0f, 0.0f },
  };
  for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
    const gemm_case *k = &cases[c];
    int      ar = k->ta ? k->K : k->M, ac = k->ta ? k->M : k->K, br = k->tb ? k->N : k->K, bc = k->tb ? k->K : k->N;
    int      lda = ac + 3, ldb = bc + 1, ldc = k->N + 2;
    size_t   sa = (size_t)ar * lda + 5, sb = (size_t)br * ldb, sc = (size_t)k->M * ldc + 1;
    pair     A = pair_rnd(7 + sa * k->batch, -1, 1), B = pair_rnd(sb * k->batch, -1, 1), C = pair_rnd(3 + sc * k->batch, -1, 1);
    char     what[128];
    plm_gemm g = { .transA = k->ta, .transB = k->tb, .M = k->M, .N = k->N, .K = k->K, .batch = k->batch,
                   .alpha = k->alpha, .beta = k->beta, .offA = 7, .lda = lda, .strideA = sa,
                   .ldb = ldb, .strideB = sb, .offC = 3, .ldc = ldc, .strideC = sc };
    g.A = A.c; g.B = B.c; g.C = C.c; plm_op_Gemm(cpu, &g);
    g.A = A.g; g.B = B.g; g.C = C.g; plm_op_Gemm(gpu, &g);
    snprintf(what, sizeof what, "gemm %c%c M=%d N=%d K=%d batch=%d alpha=%g beta=%g", k->ta ? 'T' : 'N', k->tb ? 'T' : 'N',
             k->M, k->N, k->K, k->batch, k->alpha, k->beta);
    check(what, &C, 1e-5);
    pair_free(&A); pair_free(&B); pair_free(&C);
  }
}

static void
test_linear(void)
{
  static const int cases[][4] = { { 1, 5, 3, 1 }, { 37, 20, 13, 1 }, { 64, 48, 200, 0 } };   /* rows in out bias */
  for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
    int  rows = cases[c][0], in = cases[c][1], out = cases[c][2];
    pair x = pair_rnd((size_t)rows * in, -1, 1), W = pair_rnd((size_t)out * in, -1, 1), b = pair_rnd((size_t)out, -1, 1);
    pair y = pair_rnd((size_t)rows * out, -9, 9);
    char what[96];
    plm_op_Linear(cpu, x.c, rows, in, W.c, cases[c][3] ? b.c : NULL, out, y.c);
    plm_op_Linear(gpu, x.g, rows, in, W.g, cases[c][3] ? b.g : NULL, out, y.g);
    snprintf(what, sizeof what, "linear %dx%d -> %d%s", rows, in, out, cases[c][3] ? " + bias" : ", no bias");
    check(what, &y, 1e-5);
    pair_free(&x); pair_free(&W); pair_free(&b); pair_free(&y);
  }
}

static void
test_layernorm(void)
{
  static const int cases[][3] = { { 1, 1, 0 }, { 5, 320, 0 }, { 3, 3001, 1 }, { 7, 33, 1 } };   /* rows cols in-place */
  for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
    int    rows = cases[c][0], cols = cases[c][1], inplace = cases[c][2];
    size_t n = (size_t)rows * cols;
    pair   x = pair_rnd(n, -3, 5), y = pair_new(NULL, n), g = pair_rnd((size_t)cols, 0.5f, 1.5f), b = pair_rnd((size_t)cols, -1, 1);
    char   what[96];
    plm_op_LayerNorm(cpu, x.c, inplace ? x.c : y.c, rows, cols, g.c, b.c, 1e-5f);
    plm_op_LayerNorm(gpu, x.g, inplace ? x.g : y.g, rows, cols, g.g, b.g, 1e-5f);
    snprintf(what, sizeof what, "layernorm %dx%d%s", rows, cols, inplace ? " in place" : "");
    check(what, inplace ? &x : &y, 1e-5);
    pair_free(&x); pair_free(&y); pair_free(&g); pair_free(&b);
  }
}

static void
test_gelu(void)
{
  static const size_t ns[] = { 1, 1000, 100003 };
  for (size_t c = 0; c < sizeof ns / sizeof ns[0]; c++) {
    pair x = pair_rnd(ns[c], -6, 6);
    char what[64];
    plm_op_Gelu(cpu, x.c, x.n);
    plm_op_Gelu(gpu, x.g, x.n);
    snprintf(what, sizeof what, "gelu n=%zu", ns[c]);
    check(what, &x, 1e-5);
    plm_op_GeluTanh(cpu, x.c, x.n);
    plm_op_GeluTanh(gpu, x.g, x.n);
    snprintf(what, sizeof what, "gelu_tanh n=%zu", ns[c]);
    check(what, &x, 1e-5);
    pair_free(&x);
  }
}

static void
test_softmax(void)
{
  static const int cases[][2] = { { 1, 1 }, { 7, 33 }, { 3, 4099 }, { 48, 258 } };
  for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
    int  rows = cases[c][0], cols = cases[c][1];
    pair x = pair_rnd((size_t)rows * cols, -60, 60);    /* exp overflows without the max subtracted */
    char what[64];
    plm_op_SoftmaxRows(cpu, x.c, rows, cols);
    plm_op_SoftmaxRows(gpu, x.g, rows, cols);
    snprintf(what, sizeof what, "softmax %dx%d", rows, cols);
    check(what, &x, 1e-5);
    pair_free(&x);
  }
}

static void
test_rotary(void)
{
  static const int cases[][3] = { { 1, 1, 2 }, { 17, 3, 8 }, { 130, 20, 16 } };   /* T H hd */
  for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
    int  T = cases[c][0], H = cases[c][1], hd = cases[c][2], ld = H * hd + 2;
    pair x = pair_rnd((size_t)T * ld, -2, 2), cs = pair_rnd((size_t)T * hd / 2, -1, 1), sn = pair_rnd((size_t)T * hd / 2, -1, 1);
    char what[64];
    plm_op_Rotary(cpu, x.c, T, H, hd, ld, cs.c, sn.c);
    plm_op_Rotary(gpu, x.g, T, H, hd, ld, cs.g, sn.g);
    snprintf(what, sizeof what, "rotary T=%d H=%d hd=%d", T, H, hd);
    check(what, &x, 1e-6);
    pair_free(&x); pair_free(&cs); pair_free(&sn);
  }
}

static void
test_elementwise(void)
{
  pair y = pair_rnd(1001, -1, 1), x = pair_rnd(1500, -1, 1);
  plm_op_Add(cpu, y.c, 3, x.c, 17, 997);
  plm_op_Add(gpu, y.g, 3, x.g, 17, 997);
  check("add n=997 at offsets 3, 17", &y, 0);
  plm_op_Scale(cpu, y.c, 1001, -0.37f);
  plm_op_Scale(gpu, y.g, 1001, -0.37f);
  check("scale n=1001", &y, 0);
  plm_op_Zero(cpu, x.c, 999);
  plm_op_Zero(gpu, x.g, 999);
  check("zero 999 of 1500", &x, 0);
  plm_op_AddRows(cpu, y.c, 2, 31, x.c, 40, 61, 20, 31);
  plm_op_AddRows(gpu, y.g, 2, 31, x.g, 40, 61, 20, 31);
  check("add_rows 20x31, strides 31 and 61", &y, 0);
  pair_free(&y); pair_free(&x);
}

static void
test_embed(void)
{
  static const int Ts[] = { 1, 29 };
  int32_t ids[29];
  for (size_t c = 0; c < sizeof Ts / sizeof Ts[0]; c++) {
    int  T = Ts[c], D = 37, V = 33;
    pair tab = pair_rnd((size_t)V * D, -2, 2), out = pair_rnd((size_t)T * D, -9, 9);
    char what[64];
    for (int t = 0; t < T; t++) ids[t] = t % 5 == 2 ? 32 : (int32_t)(rnd() * V);
    plm_op_Embed(cpu, tab.c, ids, T, D, 32, 0.88f, 1.0f - 6.0f / 29.0f, out.c);
    plm_op_Embed(gpu, tab.g, ids, T, D, 32, 0.88f, 1.0f - 6.0f / 29.0f, out.g);
    snprintf(what, sizeof what, "embed T=%d D=%d with token dropout", T, D);
    check(what, &out, 1e-6);
    pair_free(&tab); pair_free(&out);
  }
}

/* two layers' steps into one accumulator and their APC factors, then the model's finish
 * (acc + acc^T - u^T v); att rows are probabilities */
static void
test_contact(void)
{
  static const int cases[][3] = { { 3, 3, 0 }, { 4, 20, 1 }, { 5, 129, 1 }, { 20, 300, 0 } };   /* H T drop */
  for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
    int      H = cases[c][0], T = cases[c][1], L = T - 2, K = 2 * H;
    size_t   TT = (size_t)T * T;
    pair     att = pair_rnd(TT * H, 0, 1), acc = pair_new(NULL, (size_t)L * L);
    pair     u = pair_new(NULL, (size_t)K * L), v = pair_new(NULL, (size_t)K * L);
    float   *w = rnd_array((size_t)K, -1, 1);
    uint8_t *drop = calloc((size_t)L, 1);
    char     what[128], tail[64];

    plm_op_SoftmaxRows(cpu, att.c, H * T, T);
    plm_op_SoftmaxRows(gpu, att.g, H * T, T);
    if (cases[c][2]) drop[L / 2] = drop[L - 1] = 1;
    for (int layer = 0; layer < 2; layer++) {
      plm_contact_step s = { .H = H, .T = T, .row0 = 0, .rows = T, .first = 1, .L = L, .drop = cases[c][2] ? drop : NULL,
                             .w = w + layer * H, .k0 = layer * H };
      s.att = att.c; s.acc = acc.c; s.u = u.c; s.v = v.c; plm_op_ContactAccum(cpu, &s); plm_op_ContactFactors(cpu, &s);
      s.att = att.g; s.acc = acc.g; s.u = u.g; s.v = v.g; plm_op_ContactAccum(gpu, &s); plm_op_ContactFactors(gpu, &s);
    }
    snprintf(tail, sizeof tail, "H=%d T=%d L=%d%s, two layers", H, T, L, cases[c][2] ? ", dropped positions" : "");
    snprintf(what, sizeof what, "contact_accum attention after the drop, %s", tail); check(what, &att, 1e-5);
    snprintf(what, sizeof what, "contact_accum acc, %s", tail);                      check(what, &acc, 1e-6);
    snprintf(what, sizeof what, "contact_accum u, %s", tail);                        check(what, &u, 1e-5);
    snprintf(what, sizeof what, "contact_accum v, %s", tail);                        check(what, &v, 1e-5);
    for (int b = 0; b < 2; b++) {
      plm_backend *be = b ? gpu : cpu;
      plm_op_AddTranspose(be, b ? acc.g : acc.c, L);
      plm_op_Gemm(be, &(plm_gemm){ .transA = 1, .M = L, .N = L, .K = K, .alpha = -1.0f, .beta = 1.0f,
                                   .A = b ? u.g : u.c, .lda = L, .B = b ? v.g : v.c, .ldb = L,
                                   .C = b ? acc.g : acc.c, .ldc = L });
    }
    snprintf(what, sizeof what, "add_transpose and u^T v: the contact logits, %s", tail);
    check(what, &acc, 1e-5);
    free(w); free(drop);
    pair_free(&att); pair_free(&acc); pair_free(&u); pair_free(&v);
  }
}

/* map reads in place; a failing read is reported by the next sync only */
static void
test_map_and_errors(void)
{
  char         eb[PLM_ERRBUFSIZE];
  float        host[10], big[4];
  pair         x = pair_rnd(10, -1, 1);
  const float *p;
  int          ok = 1;

  plm_buf_Read(cpu, x.c, 0, host, 10);
  p = plm_buf_Map(gpu, x.g, 2, 8);
  for (int i = 0; p && i < 8; i++) ok = ok && p[i] == host[i + 2];
  plm_buf_Unmap(gpu, x.g, p);
  TEST(p && ok && plm_backend_Sync(gpu, eb) == PLM_OK, "opencl map of 8 floats at offset 2 reads what was written");

  plm_buf_Read(gpu, x.g, 8, big, 4);    /* past the end */
  TEST(plm_backend_Sync(gpu, eb) != PLM_OK && strstr(eb, "OpenCL read") != NULL, "opencl bad read reported at sync: %s", eb);
  TEST(plm_backend_Sync(gpu, eb) == PLM_OK, "opencl the next sync is clean");
  pair_free(&x);
}

/* ---------------------------------------------------------------------------
 * devices
 */

/* 0 when there is no device to test on */
static int
test_devices(void)
{
  char               eb[PLM_ERRBUFSIZE];
  plm_opencl_device *d = NULL;
  int                n = 0, p, dv;

  if (plm_opencl_Devices(&d, &n, eb) != PLM_OK) { test_skip("opencl backend: %s", eb); return 0; }
  if (n == 0) { test_skip("opencl backend: no OpenCL platform or device on this machine"); free(d); return 0; }
  TEST(d[0].name[0] && d[0].platform == 0 && d[0].device == 0, "opencl %d device(s), first %d:%d %s (%s, %s)",
       n, d[0].platform, d[0].device, d[0].name, d[0].platform_name, d[0].version);
  free(d);
  TEST(plm_opencl_ParseDevice("1:2", &p, &dv, eb) == PLM_OK && p == 1 && dv == 2 &&
       plm_opencl_ParseDevice("1", &p, &dv, eb) == PLM_EINVAL && plm_opencl_ParseDevice("0:1x", &p, &dv, eb) == PLM_EINVAL,
       "opencl device spec P:D parsed, malformed ones refused");
  setenv(PLM_OPENCL_DEVICE_ENV, "99:0", 1);
  TEST(plm_backend_Create("opencl", 1, &gpu, eb) == PLM_EUNSUP && strstr(eb, "no platform 99"),
       "opencl a missing device is refused: %s", eb);
  unsetenv(PLM_OPENCL_DEVICE_ENV);
  return 1;
}

int
main(void)
{
  char eb[PLM_ERRBUFSIZE];
  int  status;

  if (!test_devices()) return test_done();
  if (plm_backend_Create("cpu", 2, &cpu, eb) != PLM_OK) { TEST(0, "cpu backend: %s", eb); return test_done(); }
  if ((status = plm_backend_Create("opencl", 1, &gpu, eb)) != PLM_OK) {
    if (status == PLM_EUNSUP) test_skip("opencl backend: %s", eb);
    else TEST(0, "opencl backend: %s", eb);
    plm_backend_Destroy(cpu);
    return test_done();
  }
  test_gemm();
  test_linear();
  test_layernorm();
  test_gelu();
  test_softmax();
  test_rotary();
  test_elementwise();
  test_embed();
  test_contact();
  test_map_and_errors();
  plm_backend_Destroy(gpu);
  plm_backend_Destroy(cpu);
  return test_done();
}
