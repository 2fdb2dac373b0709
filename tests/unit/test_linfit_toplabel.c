/* test_linfit_toplabel.c: unit tests of the least-squares line (libcore/analysis/linfit.c)
 * and of contact labels from a score map's top pairs (libcore/analysis/toplabel.c).
 *
 * linfit: an exact line is recovered; NaN pairs are left out; r is -1 for a
 * falling line; x far from 0 (1e8 + small) keeps its digits; a constant x and
 * fewer than two pairs are refused. toplabel: on a map scored by separation,
 * the top ceil(x L) pairs are 1 (symmetric), the rest of the pairs 0, pairs
 * closer than min-sep and NaN scores 255; ties go by position.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "error.h"
#include "linfit.h"
#include "toplabel.h"
#include "test.h"

int
main(void)
{
  char       eb[PLM_ERRBUFSIZE];
  plm_linfit f = { 0 };
  double     x[6] = { 1, 2, 3, 4, 5, 6 }, y[6], big[4] = { 1e8 + 1, 1e8 + 2, 1e8 + 3, 1e8 + 4 }, yb[4] = { 1, 3, 2, 4 };
  float      s[100];
  uint8_t    lab[100];

  for (int i = 0; i < 6; i++) y[i] = 2.5 * x[i] - 1.0;
  TEST(plm_linfit_Fit(x, y, 6, &f, eb) == PLM_OK && fabs(f.slope - 2.5) < 1e-12 && fabs(f.intercept + 1.0) < 1e-12 &&
       fabs(f.r - 1.0) < 1e-12 && f.n == 6, "exact line: slope %g intercept %g r %g", f.slope, f.intercept, f.r);
  y[2] = NAN; x[4] = NAN;
  TEST(plm_linfit_Fit(x, y, 6, &f, eb) == PLM_OK && f.n == 4 && fabs(f.slope - 2.5) < 1e-12, "NaN pairs left out (n %zu)", f.n);
  for (int i = 0; i < 6; i++) { x[i] = i; y[i] = -x[i]; }
  TEST(plm_linfit_Fit(x, y, 6, &f, eb) == PLM_OK && fabs(f.r + 1.0) < 1e-12, "falling line: r = %g", f.r);
  /* numpy: polyfit([1,2,3,4], [1,3,2,4], 1) = [0.8, 0.5], corrcoef 0.8 */
  TEST(plm_linfit_Fit(big, yb, 4, &f, eb) == PLM_OK && fabs(f.slope - 0.8) < 1e-9 && fabs(f.r - 0.8) < 1e-9,
       "x near 1e8 keeps its digits: slope %.12g r %.12g", f.slope, f.r);
  TEST(plm_linfit_Fit(yb, big, 1, &f, eb) == PLM_EINVAL && strstr(eb, "two points"), "one point refused: %s", eb);
  for (int i = 0; i < 4; i++) big[i] = 3;
  TEST(plm_linfit_Fit(big, yb, 4, &f, eb) == PLM_EINVAL && strstr(eb, "constant"), "constant x refused: %s", eb);

  /* L = 10, score = separation; min-sep 6: pairs (0,6..9) (1,7..9) (2,8..9) (3,9): 10 pairs; top ceil(0.3 * 10) = 3 */
  for (int i = 0; i < 10; i++) for (int j = 0; j < 10; j++) s[i * 10 + j] = (float)abs(j - i);
  TEST(plm_toplabel_Make(s, 10, 6, 0.3, lab, eb) == PLM_OK, "toplabel runs");
  TEST(lab[0 * 10 + 9] == 1 && lab[9 * 10 + 0] == 1 && lab[0 * 10 + 8] == 1 && lab[1 * 10 + 9] == 1, "the three widest pairs are 1, both triangles");
  TEST(lab[0 * 10 + 7] == 0 && lab[2 * 10 + 8] == 0 && lab[3 * 10 + 9] == 0 && lab[0 * 10 + 6] == 0, "other pairs >= min-sep are 0");
  TEST(lab[0 * 10 + 5] == 255 && lab[4 * 10 + 4] == 255, "pairs closer than min-sep are unknown");
  int ones = 0; for (int k = 0; k < 100; k++) ones += lab[k] == 1;
  TEST(ones == 6, "3 pairs x 2 triangles labelled, got %d", ones);
  for (int k = 0; k < 100; k++) s[k] = 1.0f;
  s[0 * 10 + 9] = NAN;
  TEST(plm_toplabel_Make(s, 10, 6, 0.1, lab, eb) == PLM_OK && lab[0 * 10 + 9] == 255 && lab[0 * 10 + 6] == 1 && lab[0 * 10 + 7] == 0,
       "NaN unknown; ties by position: (0, 6) first");
  TEST(plm_toplabel_Make(s, 10, 6, 0.0, lab, eb) == PLM_EINVAL, "x = 0 refused");
  return test_done();
}
