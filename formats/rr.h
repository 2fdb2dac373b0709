/* rr.h: CASP RR contact predictions, the interop exit for contact maps.
 *
 * One target is: "PFRMAT RR", "TARGET id", "MODEL 1", the sequence in lines
 * of 50 residues, one "i j 0 8 p" line per pair (1-based, i < j,
 * j - i >= minsep, highest p first, ties by i then j), and "END".
 *
 *   plm_rr_Write()   one target's contact map (L x L scores, upper triangle used)
 */
#ifndef PLM_RR_H
#define PLM_RR_H
#include <stdint.h>
#include <stdio.h>

int plm_rr_Write(FILE *fp, const char *target, const char *residues, const float *scores, int64_t L,
                 int64_t minsep, int64_t top, char *errbuf);

#endif
