/* test_potts.c: unit tests of libcore/potts (pseudolikelihood Potts models)
 * and libcore/lbfgs.
 *
 *   the objective's gradient against central finite differences, gap as a
 *   state and gap as missing data, 1 and 3 threads (bit-identical)
 *   sequence weights under plmc's and GREMLIN's identity rules
 *   the zero-sum gauge (norms blind to gauge shifts) and both APC variants
 *   L-BFGS on the Rosenbrock function and a fit that lowers the objective
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "error.h"
#include "lbfgs.h"
#include "potts.h"
#include "test.h"

/* a tiny alignment with gaps: 7 sequences x 5 columns */
static const char *tiny[] = { "ACD-E", "ACDWE", "AC-WF", "GCDWE", "-KDWE", "ACDWE", "GKLYF" };
#define TN 7
#define TL 5

static void
encode(uint8_t *x)
{
  for (int n = 0; n < TN; n++)
    for (int i = 0; i < TL; i++) x[n * TL + i] = (uint8_t)plm_potts_Code(tiny[n][i]);
}

static double
urand(unsigned *s)
{
  *s = *s * 1103515245u + 12345u;
  return ((*s >> 8) & 0xffff) / 65536.0 - 0.5;
}

static void
test_code(void)
{
  TEST(plm_potts_Code('A') == 0 && plm_potts_Code('Y') == 19 && plm_potts_Code('-') == PLM_POTTS_GAP &&
       plm_potts_Code('.') == PLM_POTTS_GAP && plm_potts_Code('w') == plm_potts_Code('W'), "codes of A, Y, gaps, lowercase");
  TEST(plm_potts_Code('X') < 0 && plm_potts_Code('B') < 0 && plm_potts_Code('*') < 0 && plm_potts_Code(0) < 0,
       "X, B, * and NUL are not states");
}

static void
test_gradient(int gap_state)
{
  uint8_t   x8[TN * TL];
  double    w[TN] = { 1, 0.5, 1, 0.25, 1, 0.5, 2 };
  plm_potts *P1 = NULL, *P3 = NULL;
  char      errbuf[PLM_ERRBUFSIZE];
  unsigned  seed = 7;

  encode(x8);
  plm_potts_msa msa = { TN, TL, x8, w };
  int ok = plm_potts_Create(&msa, gap_state, 0.3, 0.7, 1, &P1, errbuf) == PLM_OK &&
           plm_potts_Create(&msa, gap_state, 0.3, 0.7, 3, &P3, errbuf) == PLM_OK;
  TEST(ok, "create objectives (gaps %s)", gap_state ? "as a state" : "missing");
  if (!ok) { plm_potts_Destroy(P1); plm_potts_Destroy(P3); return; }
  size_t  n = plm_potts_Nparams(P1);
  int     q = plm_potts_Nstates(P1);
  float  *x = malloc(n * sizeof *x), *g = malloc(n * sizeof *g), *g3 = malloc(n * sizeof *g3);
  double  f, f3, maxerr = 0.0;
  TEST(n == (size_t)TL * q + (size_t)TL * (TL - 1) / 2 * q * q, "parameter count %zu for q %d", n, q);
  for (size_t k = 0; k < n; k++) x[k] = (float)urand(&seed);
  plm_potts_Eval(P1, x, g, &f, errbuf);
  plm_potts_Eval(P3, x, g3, &f3, errbuf);
  TEST(f == f3 && !memcmp(g, g3, n * sizeof *g), "3 threads give bit-identical f and gradient");
  /* every field and a spread of couplings, by central differences: the evaluation is in
   * single precision, so the step is large (f is quadratic enough at this scale) and the
   * bound is float's; a wrong term shows as an error of order 1 */
  for (size_t k = 0; k < n; k += (k < (size_t)TL * q ? 1 : 7)) {
    float  save = x[k], h = 1.0f / 256;
    double fp, fm;
    x[k] = save + h; plm_potts_Eval(P1, x, g3, &fp, errbuf);
    x[k] = save - h; plm_potts_Eval(P1, x, g3, &fm, errbuf);
    x[k] = save;
    double err = fabs((fp - fm) / (2.0 * h) - g[k]) / (1.0 + fabs(g[k]));
    if (err > maxerr) maxerr = err;
  }
  TEST(maxerr < 2e-4, "gradient matches finite differences (gaps %s): max rel err %.2e",
       gap_state ? "as a state" : "missing", maxerr);
  free(x); free(g); free(g3);
  plm_potts_Destroy(P1); plm_potts_Destroy(P3);
}

static void
test_weights(void)
{
  /* 4 columns: rows 0-2 share 3 of 4 columns pairwise (0.75), row 3 shares at most 1 */
  const uint8_t x[] = { 0, 1, 2, 3,   0, 1, 2, 4,   0, 1, 5, 3,   6, 7, 8, 3 };
  double w[4], neff;
  char   errbuf[PLM_ERRBUFSIZE];
  plm_potts_Weights(x, 4, 4, 0.75, PLM_POTTS_ID_PLMC, w, &neff, errbuf);
  /* plmc: 3 >= 0.75 * 4: rows 0 and 1 neighbour, 0 and 2 too, 1 and 2 share only 2 */
  TEST(w[0] == 1.0 / 3 && w[1] == 0.5 && w[2] == 0.5 && w[3] == 1.0, "plmc rule (m >= theta L) weights");
  TEST(fabs(neff - (1.0 / 3 + 2)) < 1e-12, "Neff is the sum of the weights");
  plm_potts_Weights(x, 4, 4, 0.75, PLM_POTTS_ID_GREMLIN, w, &neff, errbuf);
  TEST(w[0] == 1.0 && w[1] == 1.0 && w[3] == 1.0, "GREMLIN rule (m > floor(theta L)): 3 of 4 is not enough");
}

static void
test_scores(void)
{
  int     L = 4, q = 21;
  size_t  n = (size_t)L * q + (size_t)L * (L - 1) / 2 * q * q;
  double *x = calloc(n, sizeof *x), *y = calloc(n, sizeof *y);
  float   fn1[16], apc1[16], fn2[16], apc2[16], full[16];
  unsigned seed = 3;
  char    errbuf[PLM_ERRBUFSIZE];
  for (size_t k = 0; k < n; k++) y[k] = x[k] = urand(&seed);
  /* a gauge shift: J_ij(a, b) + u(a) + v(b) leaves the distribution's form, and the zero-sum norms, alone */
  for (size_t p = 0; p < (size_t)L * (L - 1) / 2; p++)
    for (int a = 0; a < q; a++)
      for (int b = 0; b < q; b++) y[(size_t)L * q + p * q * q + (size_t)a * q + b] += 0.3 * a - 0.2 * b + 1.0;
  plm_potts_Scores(x, L, q, 1, 0, fn1, apc1, errbuf);
  plm_potts_Scores(y, L, q, 1, 0, fn2, apc2, errbuf);
  double d = 0;
  for (int k = 0; k < 16; k++) d = fmax(d, fabs(fn1[k] - fn2[k]));
  TEST(d < 1e-5, "zero-sum gauge: norms blind to a gauge shift (max diff %.1e)", d);
  plm_potts_Scores(y, L, q, 0, 0, fn2, apc2, errbuf);
  TEST(fabs(fn2[1] - fn1[1]) > 0.1, "without the gauge the shift shows");
  /* APC by hand for pair (0,1) */
  double r0 = 0, r1 = 0, tot = 0;
  for (int j = 0; j < L; j++) { r0 += fn1[j]; r1 += fn1[L + j]; }
  for (int k = 0; k < 16; k++) tot += fn1[k];
  double off = fn1[1] - (r0 / (L - 1)) * (r1 / (L - 1)) / (tot / (L * (L - 1)));
  double all = fn1[1] - r0 * r1 / tot;
  plm_potts_Scores(x, L, q, 1, 1, fn2, full, errbuf);
  TEST(fabs(apc1[1] - off) < 1e-5 && fabs(full[1] - all) < 1e-5 && apc1[1] == apc1[L] && apc1[0] == 0.0f,
       "APC: off-diagonal means (plmc) and full-matrix means (GREMLIN), symmetric, zero diagonal");
  free(x); free(y);
}

static int
rosenbrock(void *ctx, const double *x, double *g, double *ret_f, char *errbuf)
{
  double a = 1.0 - x[0], b = x[1] - x[0] * x[0];
  *ret_f = a * a + 100.0 * b * b;
  g[0] = -2.0 * a - 400.0 * x[0] * b;
  g[1] = 200.0 * b;
  return PLM_OK;
}

static void
test_lbfgs(void)
{
  double           x[2] = { -1.2, 1.0 };
  plm_lbfgs_opts   o;
  plm_lbfgs_result r;
  char             errbuf[PLM_ERRBUFSIZE];
  plm_lbfgs_Defaults(&o);
  o.max_iter = 500; o.eps = 1e-8;
  int status = plm_lbfgs_Minimize(2, x, rosenbrock, NULL, NULL, &o, &r, errbuf);
  TEST(status == PLM_OK && fabs(x[0] - 1.0) < 1e-5 && fabs(x[1] - 1.0) < 1e-5,
       "L-BFGS finds Rosenbrock's minimum (1, 1): (%.7f, %.7f) in %d iterations", x[0], x[1], r.iters);
}

static void
test_fit(void)
{
  uint8_t          x8[TN * TL];
  double           w[TN], neff, f0, *x;
  float           *xf, *g;
  plm_potts       *P = NULL;
  plm_lbfgs_opts   o;
  plm_lbfgs_result r;
  char             errbuf[PLM_ERRBUFSIZE];

  encode(x8);
  plm_potts_Weights(x8, TN, TL, 0.8, PLM_POTTS_ID_PLMC, w, &neff, errbuf);
  plm_potts_msa msa = { TN, TL, x8, w };
  if (plm_potts_Create(&msa, 1, 0.01, 0.5, 2, &P, errbuf) != PLM_OK) { TEST(0, "create: %s", errbuf); return; }
  x = malloc(plm_potts_Nparams(P) * sizeof *x);
  xf = malloc(plm_potts_Nparams(P) * sizeof *xf);
  g = malloc(plm_potts_Nparams(P) * sizeof *g);
  plm_potts_InitFields(P, x);
  for (size_t k = 0; k < plm_potts_Nparams(P); k++) xf[k] = (float)x[k];
  plm_potts_Eval(P, xf, g, &f0, errbuf);
  plm_lbfgs_Defaults(&o);
  o.max_iter = 0; o.eps = 1e-4;   /* single precision: 1e-6 is below its noise here */
  int status = plm_potts_Fit(P, x, &o, NULL, &r, errbuf);
  TEST(status == PLM_OK && r.converged && r.f < f0, "fit converges and lowers f (%.4f -> %.4f, %d iterations)", f0, r.f, r.iters);
  free(x); free(xf); free(g);
  plm_potts_Destroy(P);
}

int
main(void)
{
  test_code();
  test_gradient(1);
  test_gradient(0);
  test_weights();
  test_scores();
  test_lbfgs();
  test_fit();
  return test_done();
}
