/* msarows.h: choosing rows of a deep alignment for the MSA Transformer, as its paper does
 * (Rao et al. 2021, "MSA Transformer", and fair-esm's examples/contact_prediction).
 *
 * Rows are aligned strings of one length, the query first; the query is always kept and the
 * chosen rows come back in their input order.
 *
 *   PLM_MSAROWS_GREEDY  max-Hamming diversity: starting from the query, repeatedly add the
 *                       row whose mean Hamming distance to the rows chosen so far is largest
 *                       (the first such row on ties), fair-esm's greedy_select(mode="max")
 *   PLM_MSAROWS_RANDOM  the query plus N-1 other rows drawn uniformly without replacement,
 *                       from a seeded generator (the same seed, the same rows)
 *
 *   plm_msarows_Select()  R rows -> the indices of min(N, R) chosen rows, ascending, in idx (room
 *                         for R: the rest is scratch)
 *   plm_msarows_Parse()   "greedy" | "random"
 */
#ifndef PLM_MSAROWS_H
#define PLM_MSAROWS_H
#include <stdint.h>

enum plm_msarows_mode { PLM_MSAROWS_GREEDY, PLM_MSAROWS_RANDOM };

int plm_msarows_Select(const char *const *rows, int R, int N, int mode, uint64_t seed, int *idx, int *ret_n, char *errbuf);
int plm_msarows_Parse(const char *s, int *ret_mode, char *errbuf);

#endif
