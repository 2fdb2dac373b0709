/* probewin.h: attention features of one residue, for token probes on attention
 * (secondary structure from attention, Rao et al. 2021, appendix).
 *
 * A helix shows as attention between i and i +- 3, 4; a strand's neighbours
 * and turns have their own offsets. The features of residue i in one layer
 * are, per head h and offset k in -W..-1, 1..W, the (symmetrized) attention
 * between i and i + k, 0 past either end: nh * 2W numbers.
 *
 *   plm_probe_WindowFeatures()   att [nh][L][L] -> out [nh * 2W], head-major, offsets -W..-1, 1..W
 */
#ifndef PLM_PROBEWIN_H
#define PLM_PROBEWIN_H

void plm_probe_WindowFeatures(const float *att, int nh, int L, int i, int W, float *out);

#endif
