/* rr.h: CASP RR contact predictions, the interop exit for contact maps.
 *
 * One target is: "PFRMAT RR", "TARGET id", "MODEL 1", the sequence in lines
 * of 50 residues, one "i j 0 8 p" line per pair (1-based, i < j,
 * j - i >= minsep, highest p first, ties by i then j), and "END".
 *
 *   plm_rr_Write()    one target's contact map (L x L scores, upper triangle used)
 *
 * Reading takes that and the bare form predictors write (PSICOV, CCMpred
 * and FreeContact outputs as DNCON2 collects them): optional header records
 * (PFRMAT TARGET AUTHOR METHOD REMARK MODEL; END stops), sequence lines of
 * letters only, and one pair per line, "i j p" or "i j dmin dmax p", 1-based
 * in either order, or FreeContact's own "i A j B raw corrected" lines (scored by
 * the corrected column). The first line of a pair wins (files list best first).
 *
 *   plm_rr_Read()     the sequence ("" if none), TARGET ("" if none) and pairs
 *   plm_rr_ToMatrix() pairs -> symmetric L x L scores, NaN where none is given
 */
#ifndef PLM_RR_H
#define PLM_RR_H
#include <stdint.h>
#include <stdio.h>

/* least |i-j| of a pair listed when a tool writes RR (plmstream rr, potts --rr): the CASP convention */
#define PLM_RR_MINSEP 6

typedef struct plm_rr_contact { int64_t i, j; float p; } plm_rr_contact;   /* 0-based */

int plm_rr_Read(const char *path, char **ret_seq, char **ret_target, plm_rr_contact **ret_c, int64_t *ret_n,
                char *errbuf);
int plm_rr_ToMatrix(const plm_rr_contact *c, int64_t n, int64_t L, float *scores, char *errbuf);
int plm_rr_Write(FILE *fp, const char *target, const char *residues, const float *scores, int64_t L,
                 int64_t minsep, int64_t top, char *errbuf);

#endif
