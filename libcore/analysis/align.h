/* align.h: map a protein sequence onto a structure's residues.
 *
 * Global alignment (Gotoh's affine-gap Needleman-Wunsch) under BLOSUM62,
 * a gap of k residues costing PLM_ALIGN_GAPOPEN + k * PLM_ALIGN_GAPEXTEND
 * (BLAST's 11/1). End gaps are free: a structure usually lacks disordered
 * termini, and a sequence may be a fragment of the deposited chain, so
 * neither overhang should pull the alignment apart. Memory is one byte per
 * DP cell; more than PLM_ALIGN_MAXCELLS cells (5000 x 5000) is refused.
 *
 *   plm_align_Map()       map[i] = position in ref aligned to seq[i], or -1;
 *                         identities and aligned pairs (identity = nident / naligned)
 *   plm_align_Blosum62()  the substitution score of two residues (unknown -> X)
 */
#ifndef PLM_ALIGN_H
#define PLM_ALIGN_H
#include <stdint.h>

#define PLM_ALIGN_GAPOPEN   11
#define PLM_ALIGN_GAPEXTEND 1
#define PLM_ALIGN_MAXCELLS  ((int64_t)25000000)

int plm_align_Map(const char *seq, const char *ref, int *map, int *ret_nident, int *ret_naligned, char *errbuf);
int plm_align_Blosum62(char a, char b);

#endif
