/* potts.h: Potts models of protein families fitted by pseudolikelihood.
 *
 * The model of an alignment of L columns over q states is
 *   P(x) ~ exp( sum_i h_i(x_i) + sum_{i<j} J_ij(x_i, x_j) ),
 * fitted, as plmc and GREMLIN do, by minimizing the weighted negative
 * symmetric pseudolikelihood plus L2 penalties:
 *   f = - sum_n w_n sum_i log P(x_ni | x_n,-i) + lh |h|^2 + lJ |J|^2.
 *
 * States: codes 0..19 are "ACDEFGHIKLMNPQRSTVWY", 20 is the gap. With the
 * gap as a state q = 21 (GREMLIN); without it q = 20 and a gap is missing
 * data (plmc -g): a gapped site has no conditional term and contributes no
 * coupling to the others.
 *
 * Parameters live in one vector x: L*q fields (h_i(a) at i*q + a), then one
 * q x q block per pair i < j in row order (J_ij(a, b), a at i, b at j).
 * The gradient splits its sites over nthreads POSIX threads; the sum is
 * taken in a fixed order, so results do not depend on the thread count.
 * Evaluation and search run in single precision (plm_potts_Eval takes float
 * vectors); plm_potts_Fit converts the caller's double x in and out.
 *
 *   plm_potts_Code()         residue character -> code, or -1 if not one of the 21
 *   plm_potts_Weights()      1 / (number of sequences at identity >= theta), and Neff
 *   plm_potts_Create()       an objective over an encoded alignment
 *   plm_potts_EstimateBytes() what Create, the parameters and an L-BFGS fit keeping m pairs will
 *                            hold for L columns (the site gradients grow as L^2 q^2), before any is allocated
 *   plm_potts_Destroy()
 *   plm_potts_Nparams()      length of x
 *   plm_potts_InitFields()   h_i(a) = log(weighted count + 1), zero-sum (plmc's start)
 *   plm_potts_Eval()         f(x) and its gradient (float x and g, double f)
 *   plm_potts_Fit()          L-BFGS from the given x (progress gets the plm_potts as ctx)
 *   plm_potts_Scores()       Frobenius norms of the couplings, and their APC
 */
#ifndef PLM_POTTS_H
#define PLM_POTTS_H
#include <stddef.h>
#include <stdint.h>
#include "lbfgs.h"

#define PLM_POTTS_NAA   20
#define PLM_POTTS_GAP   20
#define PLM_POTTS_ALPHABET "ACDEFGHIKLMNPQRSTVWY-"

/* when are two sequences neighbours for the weights (m identical columns of L)? */
typedef enum plm_potts_idrule {
  PLM_POTTS_ID_PLMC = 0,     /* m >= theta * L */
  PLM_POTTS_ID_GREMLIN       /* m > floor(theta * L) */
} plm_potts_idrule;

typedef struct plm_potts_msa {
  int            N, L;       /* sequences, columns */
  const uint8_t *x;          /* N x L codes 0..20 */
  const double  *w;          /* N weights */
} plm_potts_msa;

typedef struct plm_potts plm_potts;

int    plm_potts_Code(int c);
int    plm_potts_Weights(const uint8_t *x, int N, int L, double theta, plm_potts_idrule rule,
                         double *w, double *ret_neff, char *errbuf);

int    plm_potts_Create(const plm_potts_msa *msa, int gap_state, double lambda_h, double lambda_J,
                        int nthreads, plm_potts **ret_P, char *errbuf);
void   plm_potts_Destroy(plm_potts *P);
size_t plm_potts_Nparams(const plm_potts *P);
double plm_potts_EstimateBytes(int L, int gap_state, int nthreads, int m);
int    plm_potts_Nstates(const plm_potts *P);
void   plm_potts_InitFields(const plm_potts *P, double *x);
int    plm_potts_Eval(plm_potts *P, const float *x, float *g, double *ret_f, char *errbuf);
int    plm_potts_Fit(plm_potts *P, double *x, const plm_lbfgs_opts *o, plm_lbfgs_progress progress,
                     plm_lbfgs_result *ret_res, char *errbuf);

/* L x L scores: fn = Frobenius norm of J_ij over the amino-acid states
 * (the gap row and column left out), after the zero-sum gauge over all q
 * states when zero_sum is set; apc = fn - mean_i mean_j / mean, the means
 * over the off-diagonal entries, or over all L x L with a zero diagonal
 * (GREMLIN) when apc_diag is set. Diagonals are 0. */
int    plm_potts_Scores(const double *x, int L, int q, int zero_sum, int apc_diag, float *fn, float *apc,
                        char *errbuf);

#endif
