/* test_probewin.c: unit tests of a residue's attention band (libcore/analysis/probewin.c).
 *
 * A 6 x 6 token map (bos, 4 residues, eos) with a(r, c) = 10 r + c: the band of
 * residue i holds a(i, i+k) + a(i+k, i) for k = -W..-1, 1..W on the residue
 * block (bos skipped), 0 past either end, in that order.
 */
#include "probewin.h"
#include "test.h"

int
main(void)
{
  float m[36], band[4 * 4];
  for (int r = 0; r < 6; r++) for (int c = 0; c < 6; c++) m[r * 6 + c] = (float)(10 * r + c);
  plm_probe_WindowBand(m, 6, 1, 4, 2, band);
  /* residue i is token i + 1: a(i, j) + a(j, i) = 11 (i + 1) + 11 (j + 1) */
  TEST(band[0] == 0 && band[1] == 0 && band[2] == 11 * (1 + 2) && band[3] == 11 * (1 + 3), "residue 0: nothing before, i+1 and i+2 after");
  TEST(band[4 + 0] == 0 && band[4 + 1] == 11 * (2 + 1) && band[4 + 2] == 11 * (2 + 3) && band[4 + 3] == 11 * (2 + 4), "residue 1: i-1, then i+1, i+2");
  TEST(band[12 + 0] == 11 * (4 + 2) && band[12 + 1] == 11 * (4 + 3) && band[12 + 2] == 0 && band[12 + 3] == 0, "residue 3: i-2, i-1, nothing after (eos not a residue)");
  return test_done();
}
