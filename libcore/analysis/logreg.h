/* logreg.h: penalized logistic regression, binary and multinomial.
 *
 * Binary fits minimize, over weights w (d features) and bias b,
 *
 *   C * sum_i s_i log(1 + exp(-y_i (w.x_i + b)))  +  l1 |v|_1  +  l2/2 |v|^2
 *
 * with y_i in {-1,+1}, sample weights s_i (1 if none) and v the penalized
 * coefficients. The penalties are scikit-learn's, so its coefficients are the
 * reference:
 *
 *   PLM_LOGREG_L1          l1 = 1, l2 = 0, v = (w, b)   liblinear, penalty='l1'
 *   PLM_LOGREG_L2          l1 = 0, l2 = 1, v = (w, b)   liblinear, penalty='l2'
 *   PLM_LOGREG_ELASTICNET  l1 = r, l2 = 1 - r, v = w    saga, l1_ratio=r
 *
 * liblinear treats the intercept as one more feature of constant value 1
 * (intercept_scaling=1) and penalizes it like the others; saga does not.
 * The solver is a proximal Newton method (as liblinear's newGLMNET): a
 * quadratic model from the exact Hessian, minimized to a tolerance that
 * shrinks with the outer KKT violation by rounds of coordinate descent with
 * soft-thresholding (which find the zero pattern) and an exact Newton solve
 * (Cholesky) on the sign pattern found (which converges on it where
 * correlated features make coordinate descent crawl), then a backtracking
 * line search on the true objective. It stops when the largest violation of the optimality (KKT)
 * conditions falls below tol times its starting value; the result is the
 * optimum itself, not an early stop, and is deterministic.
 *
 * Multinomial fits minimize C * sum_i s_i (-log softmax(W x_i + b)_{y_i})
 * + 1/2 |W|_F^2, bias unpenalized: scikit-learn's
 * LogisticRegression(multi_class='multinomial', penalty='l2'). Solved by
 * L-BFGS (lbfgs.h; tol is its relative gradient-norm test). Only bias
 * differences are determined; the fit starts at zero and every step keeps
 * their sum at zero. info.kkt is NaN for multinomial fits.
 *
 * Features are a dense row-major float32 matrix X (n x d).
 *
 *   plm_logreg_DefaultOpts()    L1, C = 0.15, tol 1e-9, 200 iterations
 *   plm_logreg_Fit()            binary fit: w[0..d-1], then the bias at w[d]
 *   plm_logreg_FitMultinomial() K classes: W as K rows of d weights + bias
 *   plm_logreg_Prob()           sigmoid(w.x + b) of one feature row
 *   plm_logreg_PenaltyName() / plm_logreg_PenaltyFromName()
 */
#ifndef PLM_LOGREG_H
#define PLM_LOGREG_H
#include <stdint.h>

typedef enum plm_logreg_penalty {
  PLM_LOGREG_L1 = 0, PLM_LOGREG_L2 = 1, PLM_LOGREG_ELASTICNET = 2
} plm_logreg_penalty;

typedef struct plm_logreg_opts {
  plm_logreg_penalty penalty;
  double             C;         /* inverse regularization strength, > 0 */
  double             l1_ratio;  /* elastic net only, in [0, 1] */
  double             tol;       /* relative KKT (binary) or gradient (multinomial) tolerance */
  int                max_iter;  /* Newton (binary) or L-BFGS (multinomial) iterations */
} plm_logreg_opts;

typedef struct plm_logreg_info {
  int    niter;       /* iterations taken */
  int    converged;   /* 1 if tol was reached within max_iter */
  double kkt;         /* final largest optimality violation (absolute); binary only */
  double objective;   /* final objective value */
} plm_logreg_info;

void        plm_logreg_DefaultOpts(plm_logreg_opts *opts);
int         plm_logreg_Fit(const float *X, int64_t n, int d, const uint8_t *y, const double *sw,
                           const plm_logreg_opts *opts, double *ret_w, plm_logreg_info *ret_info,
                           char *errbuf);
int         plm_logreg_FitMultinomial(const float *X, int64_t n, int d, const uint8_t *y, int K,
                                      const double *sw, const plm_logreg_opts *opts, double *ret_W,
                                      plm_logreg_info *ret_info, char *errbuf);
double      plm_logreg_Prob(const double *w, int d, const float *x);
const char *plm_logreg_PenaltyName(plm_logreg_penalty p);
int         plm_logreg_PenaltyFromName(const char *name, plm_logreg_penalty *ret_p);

#endif
