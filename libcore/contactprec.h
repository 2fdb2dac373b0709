/* contactprec.h: precision of the top-scored residue pairs of a contact map.
 *
 * The definition of fair-esm's evaluation (compute_precisions in its
 * contact-prediction example): candidates are the pairs i < j whose
 * separation j - i lies in [minsep, maxsep) and whose true state is known;
 * they are ranked by predicted score, and precision at L/x is the number of
 * true contacts among the top floor(L/x) divided by floor(L/x), L the full
 * sequence length. If fewer candidates than floor(L/x) exist, the missing
 * ones count as misses (fair-esm pads with zeros). Ties rank in row-major
 * order of (i, j), which is what a stable sort of fair-esm's upper-triangle
 * list gives (torch's sort makes no promise); NaN scores rank last.
 * Truth is u8: 1 contact, 0 none, PLM_CONTACT_UNKNOWN excluded.
 *
 *   plm_contactprec_TopL()  precisions at L/x for each divisor x
 */
#ifndef PLM_CONTACTPREC_H
#define PLM_CONTACTPREC_H
#include <stdint.h>

#define PLM_CONTACT_UNKNOWN 255

/* maxsep 0: no upper bound. ret_prec[k] is NaN when floor(L/div[k]) is 0. */
int plm_contactprec_TopL(const float *pred, const uint8_t *truth, int L, int minsep, int maxsep,
                         const double *div, int ndiv, double *ret_prec, char *errbuf);

#endif
