/* probewin.c: a residue's attention to its sequence neighbours as probe features (see probewin.h).
 *
 *   plm_probe_WindowBand()
 */
#include <stddef.h>
#include "probewin.h"

void
plm_probe_WindowBand(const float *m, int T, int lead, int L, int W, float *band)
{
#define A(i, j) (m[(size_t)(lead + (i)) * T + lead + (j)] + m[(size_t)(lead + (j)) * T + lead + (i)])
  for (int i = 0; i < L; i++) {
    float *o = band + (size_t)i * 2 * W;
    for (int k = 1; k <= W; k++) {
      o[W - k]     = i - k >= 0 ? A(i, i - k) : 0.0f;
      o[W + k - 1] = i + k < L ? A(i, i + k) : 0.0f;
    }
  }
#undef A
}
