/* probe.h: probing classifiers (Vig et al. 2021, §4.3): what a layer's
 * representations or attention make linearly predictable, and how well.
 *
 * A probe is a penalized logistic regression (logreg.h) trained on one
 * layer's features of the training proteins and scored on the held-out ones.
 * The split is by protein: a protein is held out when a hash of (seed, id)
 * falls below the validation fraction, so it does not depend on record order
 * or on which other proteins are in the stream.
 *
 *   plm_probe_Coin()          1 with probability p, fixed by (seed, key): the split, pair sampling
 *   plm_probe_PairFeatures()  |a - b| then a * b, element-wise: 2D features of residue pair (i, j)
 *   plm_probe_Moments()       each column's mean and sd over the training rows
 *   plm_probe_Scale()         z-score rows with those (a constant column becomes 0)
 *   plm_probe_MacroF1()       macro-averaged F1 over K classes
 *   plm_probe_TopPrecision()  precision of the top k scores among known items (ties: the earlier item first)
 */
#ifndef PLM_PROBE_H
#define PLM_PROBE_H
#include <stdint.h>

int    plm_probe_Coin(uint64_t seed, const char *key, double p);
void   plm_probe_PairFeatures(const float *a, const float *b, int D, float *out);
void   plm_probe_Moments(const float *X, int64_t n, int d, double *mean, double *sd);
void   plm_probe_Scale(float *X, int64_t n, int d, const double *mean, const double *sd);
double plm_probe_MacroF1(const uint8_t *pred, const uint8_t *truth, int64_t n, int K);
int    plm_probe_TopPrecision(const double *score, const uint8_t *truth, int n, int k, double *ret_prec, char *errbuf);

#endif
