/* apc.h: symmetrization and average product correction of attention maps.
 *
 * Exactly fair-esm's contact-head features: for an L x L map A (the residue
 * block of a T x T attention map, special tokens cut away and the rows and
 * columns of inline <eos> tokens zeroed by the caller, as fair-esm does),
 * S = A + A^T (no halving), then APC over the whole matrix, diagonal included:
 *   F = S - r r^T / sum(r),   r[i] = sum_j S[i][j] = row sum + column sum of A.
 * A weighted sum over many maps, as the contact head's logistic regression
 * takes, needs no F at all:
 *   sum_h w_h F_h = B + B^T - sum_h (w_h / sum(r_h)) r_h r_h^T,   B = sum_h w_h A_h,
 * that is one pass over each map plus one matrix product at the end (the CPU
 * backend's contact_accum, backend.h).
 *
 *   plm_apc_RowSums()   r and sum(r) (the sum in double)
 *   plm_apc_AddRowSums()  r += what rows i0 .. i0+n-1 of A add to r (a points at row i0), so
 *                       that a map seen in blocks of rows, in order, gives RowSums's r bit for bit
 *   plm_apc_Map()       F of one map
 */
#ifndef PLM_APC_H
#define PLM_APC_H

double plm_apc_RowSums(const float *a, int lda, int L, float *r);
void   plm_apc_AddRowSums(const float *a, int lda, int i0, int n, int L, float *r);
int    plm_apc_Map(const float *a, int lda, int L, float *out, int ldout, char *errbuf);

#endif
