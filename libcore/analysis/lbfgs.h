/* lbfgs.h: limited-memory BFGS minimization of a smooth function.
 *
 * The two-loop recursion of Nocedal & Wright (Alg. 7.4) with a backtracking
 * line search that asks for sufficient decrease (Armijo, c1 = 1e-4) and
 * skips the memory update when the curvature y's is not positive, so the
 * implicit Hessian stays positive definite. Small and dependency-free:
 * Debian's liblbfgs would do, but is not a build dependency of plmscope.
 *
 * Stops after max_iter iterations (0: no limit), when
 * ||g|| / max(1, ||x||) < eps (liblbfgs's test, which plmc uses with 1e-3),
 * or when the line search cannot decrease f any further (not an error: at
 * that point x is as good as double precision allows).
 *
 *   plm_lbfgs_Defaults()  m = 5, eps = 1e-3, max_iter 100, max_linesearch 20
 *   plm_lbfgs_Minimize()  x in: start, out: the minimizer found
 *   plm_lbfgs_MinimizeF() the same in single precision (dot products, f and steps in
 *                         double), half the memory: potts's millions of couplings
 */
#ifndef PLM_LBFGS_H
#define PLM_LBFGS_H
#include <stddef.h>

/* f(x) and its gradient g; return PLM_OK or a status with errbuf set */
typedef int (*plm_lbfgs_eval)(void *ctx, const double *x, double *g, double *ret_f, char *errbuf);
typedef int (*plm_lbfgs_evalf)(void *ctx, const float *x, float *g, double *ret_f, char *errbuf);
/* called after each iteration; may be NULL */
typedef void (*plm_lbfgs_progress)(void *ctx, int iter, double f, double gnorm, double xnorm);

typedef struct plm_lbfgs_opts {
  int    m;               /* correction pairs kept */
  double eps;             /* relative gradient-norm stop; 0 disables */
  int    max_iter;        /* 0: until converged */
  int    max_linesearch;  /* function evaluations per line search */
} plm_lbfgs_opts;

typedef struct plm_lbfgs_result {
  double f;
  int    iters;
  int    nevals;
  int    converged;       /* 1: gradient test met; 0: max_iter or no further decrease */
} plm_lbfgs_result;

void plm_lbfgs_Defaults(plm_lbfgs_opts *o);
int  plm_lbfgs_Minimize(size_t n, double *x, plm_lbfgs_eval eval, plm_lbfgs_progress progress, void *ctx,
                        const plm_lbfgs_opts *o, plm_lbfgs_result *ret_res, char *errbuf);
int  plm_lbfgs_MinimizeF(size_t n, float *x, plm_lbfgs_evalf eval, plm_lbfgs_progress progress, void *ctx,
                         const plm_lbfgs_opts *o, plm_lbfgs_result *ret_res, char *errbuf);

#endif
