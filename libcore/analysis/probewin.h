/* probewin.h: attention features of one residue, for token probes on attention
 * (secondary structure from attention, Rao et al. 2021, appendix).
 *
 * A helix shows as attention between i and i +- 3, 4; a strand's neighbours
 * and turns have their own offsets. The features of residue i in one layer
 * are, per head h and offset k in -W..-1, 1..W, the symmetrized attention
 * a(i, i+k) + a(i+k, i), 0 past either end: nh * 2W numbers. Only this band
 * is kept, L * 2W numbers per head, not the L x L map, so a probe over many
 * proteins of a large model fits in memory.
 *
 *   plm_probe_WindowBand()   one head's T x T attention -> band [L][2W]: offsets -W..-1, 1..W of each residue
 */
#ifndef PLM_PROBEWIN_H
#define PLM_PROBEWIN_H

void plm_probe_WindowBand(const float *m, int T, int lead, int L, int W, float *band);

#endif
