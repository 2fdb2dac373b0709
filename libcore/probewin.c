/* probewin.c: a residue's attention to its sequence neighbours as probe features (see probewin.h).
 *
 *   plm_probe_WindowFeatures()
 */
#include <stddef.h>
#include "probewin.h"

void
plm_probe_WindowFeatures(const float *att, int nh, int L, int i, int W, float *out)
{
  for (int h = 0; h < nh; h++) {
    const float *row = att + ((size_t)h * L + i) * L;
    float       *o = out + (size_t)h * 2 * W;
    for (int k = 1; k <= W; k++) {
      o[W - k]     = i - k >= 0 ? row[i - k] : 0.0f;
      o[W + k - 1] = i + k < L ? row[i + k] : 0.0f;
    }
  }
}
