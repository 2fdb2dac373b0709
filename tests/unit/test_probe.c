/* test_probe.c: unit tests of libcore/analysis/probe.c.
 *
 *   the split: plm_probe_Coin() is a function of (seed, key), lands near p over
 *   many keys, and moves with the seed; pair features |a - b|, a * b and their
 *   symmetry; moments and scaling (a constant column becomes 0); macro F1 and
 *   precision at k on hand-worked cases (unknown items left out, ties by order).
 */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include "error.h"
#include "probe.h"
#include "test.h"

static void
test_coin(void)
{
  char key[32];
  int  n = 0, same = 1, moved = 0;
  for (int i = 0; i < 20000; i++) {
    snprintf(key, sizeof key, "prot%d", i);
    n += plm_probe_Coin(3, key, 0.2);
    same &= plm_probe_Coin(3, key, 0.2) == plm_probe_Coin(3, key, 0.2);
    moved += plm_probe_Coin(3, key, 0.2) != plm_probe_Coin(4, key, 0.2);
  }
  TEST(same && fabs(n / 20000.0 - 0.2) < 0.015 && moved > 4000, "Coin: reproducible, %d of 20000 at p 0.2, %d moved by the seed", n, moved);
  TEST(!plm_probe_Coin(1, "x", 0.0) && plm_probe_Coin(1, "x", 1.0), "Coin: p 0 never, p 1 always");
}

static void
test_features(void)
{
  float a[3] = { 1, -2, 3 }, b[3] = { 4, 5, -6 }, ab[6], ba[6], X[6] = { 1, 5, 3, 5, 5, 5 };
  double m[2], s[2];
  plm_probe_PairFeatures(a, b, 3, ab);
  plm_probe_PairFeatures(b, a, 3, ba);
  TEST(ab[0] == 3 && ab[1] == 7 && ab[2] == 9 && ab[3] == 4 && ab[4] == -10 && ab[5] == -18 && !memcmp(ab, ba, sizeof ab),
       "pair features |a-b|, a*b, symmetric");
  plm_probe_Moments(X, 3, 2, m, s);
  plm_probe_Scale(X, 3, 2, m, s);
  TEST(fabs(m[0] - 3) < 1e-12 && fabs(s[0] - 2) < 1e-12 && s[1] == 0 && X[0] == -1 && X[4] == 1 && X[1] == 0 && X[5] == 0,
       "moments (mean 3, sd 2) and scaling; a constant column becomes 0");
}

static void
test_metrics(void)
{
  char    eb[PLM_ERRBUFSIZE];
  uint8_t pred[6] = { 0, 0, 1, 1, 2, 0 }, truth[6] = { 0, 1, 1, 1, 2, 2 }, lab[5] = { 1, 255, 0, 1, 0 };
  double  sc[5] = { 0.9, 0.95, 0.8, 0.1, 0.8 }, p;
  /* class 0: tp 1 fp 2 fn 0 -> 0.5; class 1: tp 2 fp 0 fn 1 -> 0.8; class 2: tp 1 fp 0 fn 1 -> 2/3 */
  TEST(fabs(plm_probe_MacroF1(pred, truth, 6, 3) - (0.5 + 0.8 + 2.0 / 3.0) / 3.0) < 1e-12, "macro F1 by hand");
  TEST(fabs(plm_probe_MacroF1(pred, truth, 6, 5) - (0.5 + 0.8 + 2.0 / 3.0) / 3.0) < 1e-12, "macro F1 leaves absent classes out");
  /* known items by score: 0 (0.9, 1), 2 (0.8, 0), 4 (0.8, 0), 3 (0.1, 1); item 1 unknown */
  TEST(plm_probe_TopPrecision(sc, lab, 5, 1, &p, eb) == PLM_OK && p == 1.0, "precision at 1 skips the unknown top item");
  TEST(plm_probe_TopPrecision(sc, lab, 5, 2, &p, eb) == PLM_OK && p == 0.5, "precision at 2");
  TEST(plm_probe_TopPrecision(sc, lab, 5, 9, &p, eb) == PLM_OK && p == 0.5, "precision at k beyond the known items: all of them");
  TEST(plm_probe_TopPrecision(sc, (const uint8_t[5]){ 255, 255, 255, 255, 255 }, 5, 2, &p, eb) == PLM_OK && isnan(p), "no known item: NaN");
}

int
main(void)
{
  test_coin();
  test_features();
  test_metrics();
  return test_done();
}
