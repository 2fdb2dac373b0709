/* test_contactprec.c: unit tests of top-L contact precision (libcore/analysis/contactprec.c).
 *
 *   hand-made maps: ties in row-major order, unknowns skipped, too few
 *   candidates counted as misses, bad true states refused; calibration
 *   (count-weighted squared gaps, NaN for non-probabilities) and the mean
 *   false-positive distance worked out by hand;
 *   numpy oracle ($PYTHON): fair-esm's compute_precisions transcribed to
 *   numpy, on random maps with 10% unknowns, for the short, medium, long and
 *   all ranges at L, L/2 and L/5.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "contactprec.h"
#include "error.h"
#include "test.h"

static char tmpdir[] = "/tmp/test_contactprec.XXXXXX";
static const double divs[3] = { 1, 2, 5 };

static void
test_by_hand(void)
{
  enum { L = 12 };
  float   pred[L * L];
  uint8_t truth[L * L];
  double  prec[3] = { 0 };
  char    eb[PLM_ERRBUFSIZE];

  for (int k = 0; k < L * L; k++) { pred[k] = 0.5f; truth[k] = 0; }
  truth[0 * L + 6] = 1;             /* first in row-major order among equal scores */
  TEST(plm_contactprec_TopL(pred, truth, L, 6, 0, divs, 3, prec, eb) == PLM_OK && prec[2] == 0.5 && fabs(prec[0] - 1.0 / 12) < 1e-15,
       "ties rank in row-major order");
  truth[0 * L + 6] = PLM_CONTACT_UNKNOWN; truth[0 * L + 7] = 1;
  TEST(plm_contactprec_TopL(pred, truth, L, 6, 0, divs, 3, prec, eb) == PLM_OK && prec[2] == 0.5,
       "unknown pairs are not candidates");
  /* 21 candidates at separation >= 6 when L = 12; >= 11: 1 candidate, top-L = 12 */
  truth[0 * L + 11] = 1;
  TEST(plm_contactprec_TopL(pred, truth, L, 11, 0, divs, 3, prec, eb) == PLM_OK && fabs(prec[0] - 1.0 / 12) < 1e-15,
       "missing candidates count as misses");
  TEST(plm_contactprec_TopL(pred, truth, 4, 1, 0, divs, 3, prec, eb) == PLM_OK && isnan(prec[2]), "top L/5 of L = 4 is NaN");
  truth[1 * L + 9] = 7;
  TEST(plm_contactprec_TopL(pred, truth, L, 6, 0, divs, 3, prec, eb) == PLM_EFORMAT, "true state 7 refused: %s", eb);
}

/* calibration and false-positive distance on maps small enough to check by hand */
static void
test_calibration_fpdist(void)
{
  enum { L = 10 };
  float   pred[L * L];
  uint8_t truth[L * L];
  double  v;
  int     st;
  char    eb[PLM_ERRBUFSIZE];

  for (int k = 0; k < L * L; k++) { pred[k] = 0.12f; truth[k] = 0; }
  truth[0 * L + 6] = truth[0 * L + 7] = 1;   /* 2 of the 10 pairs at separation >= 6 */
  /* one bin [0.10, 0.15): mean p 0.12, frequency 0.2 -> (0.08)^2 */
  st = plm_contactprec_Calibration(pred, truth, L, 6, 20, &v, eb);
  TEST(st == PLM_OK && fabs(v - 0.0064) < 1e-7,
       "calibration: one bin, gap 0.08 -> %.6f", v);
  pred[0 * L + 6] = 1.0f; pred[0 * L + 7] = 1.0f;   /* bins 19 (gap 0) and 2 (0.12 vs 0: gap 0.12, 8 of 10 pairs) */
  st = plm_contactprec_Calibration(pred, truth, L, 6, 20, &v, eb);
  TEST(st == PLM_OK && fabs(v - 0.8 * 0.0144) < 1e-7,
       "calibration: count-weighted over two bins -> %.6f", v);
  pred[1 * L + 8] = 3.0f;
  st = plm_contactprec_Calibration(pred, truth, L, 6, 20, &v, eb);
  TEST(st == PLM_OK && isnan(v), "calibration of scores outside [0, 1] is NaN");
  /* top L = 10 of the 10 candidates: 8 false positives; contacts (0,6), (0,7) */
  pred[1 * L + 8] = 0.12f;
  st = plm_contactprec_FPDistance(pred, truth, L, 6, &v, eb);
  TEST(st == PLM_OK && fabs(v - 14.0 / 8) < 1e-12,
       "false-positive Chebyshev distance to the nearest contact: mean %.4f (14/8)", v);
  truth[0 * L + 6] = truth[0 * L + 7] = 0;
  st = plm_contactprec_FPDistance(pred, truth, L, 6, &v, eb);
  TEST(st == PLM_OK && isnan(v), "no true contact: NaN");
}

static const char *oracle_py =
  "import sys, numpy as np\n"
  "L = int(sys.argv[1]); pred = np.fromfile(sys.argv[2], '<f4').reshape(L, L)\n"
  "t = np.fromfile(sys.argv[3], np.uint8).reshape(L, L).astype(np.int64); t[t == 255] = -1\n"
  "def prec(minsep, maxsep):\n"
  "    sep = np.arange(L)[None, :] - np.arange(L)[:, None]\n"
  "    valid = (sep >= minsep) & (t >= 0)\n"
  "    if maxsep is not None: valid &= sep < maxsep\n"
  "    p = np.where(valid, pred, -np.inf)\n"
  "    x, y = np.triu_indices(L, minsep)\n"
  "    pu, tu = p[x, y], t[x, y]\n"
  "    top = tu[np.argsort(-pu, kind='stable')[:L]]\n"
  "    top = np.pad(top, (0, L - len(top)))\n"
  "    cum = np.cumsum(top)\n"
  "    gi = (np.arange(0.1, 1.1, 0.1, dtype=np.float32) * L).astype(np.int64) - 1\n"
  "    b = cum[gi] / (gi + 1)\n"
  "    return [b[9], b[4], b[1]]\n"
  "for r in [(6, 12), (12, 24), (24, None), (6, None)]:\n"
  "    print(' '.join('%.17g' % v for v in prec(*r)))\n";

static int
write_raw(const char *path, const void *buf, size_t n)
{
  FILE *fp = fopen(path, "wb");
  int   ok = fp && fwrite(buf, 1, n, fp) == n;
  if (fp && fclose(fp) != 0) ok = 0;
  return ok;
}

static void
test_vs_numpy(const char *python, int L, unsigned seed)
{
  static const int ranges[4][2] = { { 6, 12 }, { 12, 24 }, { 24, 0 }, { 6, 0 } };
  float   *pred = malloc(sizeof(float) * L * L);
  uint8_t *truth = malloc((size_t)L * L);
  char     cmd[1024], eb[PLM_ERRBUFSIZE];
  double   worst = 0, want;
  FILE    *fp;
  int      ok = 1;

  srand(seed);
  for (int i = 0; i < L; i++)
    for (int j = i; j < L; j++) {
      double sc = (double)rand() / RAND_MAX, close = 1.0 / (1 + abs(i - j) / 8.0);
      uint8_t s = rand() % 10 == 0 ? PLM_CONTACT_UNKNOWN : (double)rand() / RAND_MAX < 0.3 * close + 0.4 * sc * close;
      pred[i * L + j] = pred[j * L + i] = (float)sc;
      truth[i * L + j] = truth[j * L + i] = s;
    }
  snprintf(cmd, sizeof cmd, "%s %s/o.py %d %s/p.f32 %s/t.u8 > %s/o.txt", python, tmpdir, L, tmpdir, tmpdir, tmpdir);
  ok = write_raw(strcat(strcpy(eb, tmpdir), "/p.f32"), pred, sizeof(float) * L * L) &&
       write_raw(strcat(strcpy(eb, tmpdir), "/t.u8"), truth, (size_t)L * L) && system(cmd) == 0 &&
       (fp = fopen(strcat(strcpy(eb, tmpdir), "/o.txt"), "r")) != NULL;
  for (int r = 0; ok && r < 4; r++) {
    double prec[3];
    ok &= plm_contactprec_TopL(pred, truth, L, ranges[r][0], ranges[r][1], divs, 3, prec, eb) == PLM_OK;
    for (int k = 0; ok && k < 3; k++) {
      ok &= fscanf(fp, "%lf", &want) == 1;
      if (fabs(want - prec[k]) > worst) worst = fabs(want - prec[k]);
    }
  }
  if (ok) fclose(fp);
  TEST(ok && worst < 1e-12, "L = %d: 4 ranges x 3 cutoffs equal fair-esm's compute_precisions (max diff %.1e)", L, worst);
  free(pred); free(truth);
}

int
main(void)
{
  const char *python = getenv("PYTHON");
  char        cmd[256];

  if (!mkdtemp(tmpdir)) { perror("mkdtemp"); return 1; }
  test_by_hand();
  test_calibration_fpdist();
  snprintf(cmd, sizeof cmd, "%s -c 'import numpy' 2>/dev/null", python ? python : "false");
  if (python && *python && system(cmd) == 0) {
    snprintf(cmd, sizeof cmd, "%s/o.py", tmpdir);
    if (!write_raw(cmd, oracle_py, strlen(oracle_py))) TEST(0, "write the oracle");
    for (int k = 0; k < 4; k++) test_vs_numpy(python, (int[]){ 37, 80, 150, 301 }[k], 17u + k);
  } else test_skip("numpy oracle: PYTHON with numpy absent");
  snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
  if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", tmpdir);
  return test_done();
}
