/* contactprec.h: scores of a predicted contact map against the true one:
 * precision of the top-scored pairs, calibration, false-positive distance.
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
 *   plm_contactprec_TopL()         precisions at L/x for each divisor x
 *   plm_contactprec_Calibration()  the known pairs at separation >= minsep,
 *        binned by predicted probability into nbins equal bins of [0, 1]:
 *        sum_b n_b (mean p_b - contact frequency_b)^2 / sum_b n_b, the
 *        reliability term of the Brier score; NaN when a score lies outside
 *        [0, 1] (scores, not probabilities) or no pair is known
 *   plm_contactprec_FPDistance()   for the false positives among the top L
 *        pairs at separation >= minsep (ranked as above), the mean Chebyshev
 *        distance max(|i - k|, |j - l|) in index space to the nearest true
 *        contact (k, l), l - k >= minsep: 1 means off by one residue. Needs
 *        only the true map; NaN without false positives or true contacts.
 */
#ifndef PLM_CONTACTPREC_H
#define PLM_CONTACTPREC_H
#include <stdint.h>

#define PLM_CONTACT_UNKNOWN 255

/* maxsep 0: no upper bound. ret_prec[k] is NaN when floor(L/div[k]) is 0. */
int plm_contactprec_TopL(const float *pred, const uint8_t *truth, int L, int minsep, int maxsep,
                         const double *div, int ndiv, double *ret_prec, char *errbuf);

int plm_contactprec_Calibration(const float *pred, const uint8_t *truth, int L, int minsep, int nbins, double *ret_mse,
                                char *errbuf);
int plm_contactprec_FPDistance(const float *pred, const uint8_t *truth, int L, int minsep, double *ret_mean, char *errbuf);

#endif
