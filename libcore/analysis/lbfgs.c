/* lbfgs.c: limited-memory BFGS with a backtracking line search (see lbfgs.h). */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "error.h"
#include "lbfgs.h"

#define ARMIJO_C1   1e-4
#define BACKTRACK   0.5

void
plm_lbfgs_Defaults(plm_lbfgs_opts *o)
{
  o->m = 5;
  o->eps = 1e-3;
  o->max_iter = 100;
  o->max_linesearch = 20;
}

typedef struct {
  size_t  n;
  int     m, k;          /* memory size; pairs stored so far */
  double *s, *y, *rho;   /* m x n ring buffers, m curvatures */
  double *alpha;
} lbfgs_mem;

static double
dot(const double *a, const double *b, size_t n)
{
  double s = 0.0;
  for (size_t i = 0; i < n; i++) s += a[i] * b[i];
  return s;
}

/* d = -H g by the two-loop recursion; H0 = (s'y / y'y) I from the newest pair */
static void
direction(const lbfgs_mem *M, const double *g, double *d)
{
  size_t n = M->n;
  int    npair = M->k < M->m ? M->k : M->m;
  for (size_t i = 0; i < n; i++) d[i] = -g[i];
  for (int t = 0; t < npair; t++) {
    int     slot = (M->k - 1 - t) % M->m;
    double *s = M->s + (size_t)slot * n, *y = M->y + (size_t)slot * n;
    M->alpha[slot] = M->rho[slot] * dot(s, d, n);
    for (size_t i = 0; i < n; i++) d[i] -= M->alpha[slot] * y[i];
  }
  if (npair > 0) {
    int     slot = (M->k - 1) % M->m;
    double *y = M->y + (size_t)slot * n;
    double  gamma = 1.0 / (M->rho[slot] * dot(y, y, n));
    for (size_t i = 0; i < n; i++) d[i] *= gamma;
  }
  for (int t = npair - 1; t >= 0; t--) {
    int     slot = (M->k - 1 - t) % M->m;
    double *s = M->s + (size_t)slot * n, *y = M->y + (size_t)slot * n;
    double  beta = M->rho[slot] * dot(y, d, n);
    for (size_t i = 0; i < n; i++) d[i] += (M->alpha[slot] - beta) * s[i];
  }
}

/* remember s = xnew - x, y = gnew - g, unless y's <= 0 would break positive definiteness */
static void
remember(lbfgs_mem *M, const double *x, const double *xnew, const double *g, const double *gnew)
{
  size_t  n = M->n;
  int     slot = M->k % M->m;
  double *s = M->s + (size_t)slot * n, *y = M->y + (size_t)slot * n;
  for (size_t i = 0; i < n; i++) { s[i] = xnew[i] - x[i]; y[i] = gnew[i] - g[i]; }
  double ys = dot(y, s, n);
  if (ys <= 1e-300) return;
  M->rho[slot] = 1.0 / ys;
  M->k++;
}

/* backtrack from step t along d until f(x + t d) <= f + c1 t g'd; ret_ok 0 when no step decreased f */
static int
line_search(size_t n, const double *x, double f, const double *g, const double *d, double t,
            double *xnew, double *gnew, double *ret_fnew, int *ret_ok, int *nevals,
            plm_lbfgs_eval eval, void *ctx, const plm_lbfgs_opts *o, char *errbuf)
{
  double gd = dot(g, d, n);
  int    status;
  *ret_ok = 0;
  for (int ls = 0; ls < o->max_linesearch; ls++, t *= BACKTRACK) {
    for (size_t i = 0; i < n; i++) xnew[i] = x[i] + t * d[i];
    if ((status = eval(ctx, xnew, gnew, ret_fnew, errbuf)) != PLM_OK) return status;
    (*nevals)++;
    if (isfinite(*ret_fnew) && *ret_fnew <= f + ARMIJO_C1 * t * gd) { *ret_ok = 1; return PLM_OK; }
  }
  return PLM_OK;
}

int
plm_lbfgs_Minimize(size_t n, double *x, plm_lbfgs_eval eval, plm_lbfgs_progress progress, void *ctx,
                   const plm_lbfgs_opts *o, plm_lbfgs_result *ret_res, char *errbuf)
{
  lbfgs_mem M = { n, o->m, 0, NULL, NULL, NULL, NULL };
  double   *g = NULL, *d = NULL, *xnew = NULL, *gnew = NULL, *xcur = x;
  double    f, fnew;
  int       status, ok, iter = 0, nevals = 0, converged = 0;

  if (n == 0 || o->m < 1 || o->max_linesearch < 1) PLM_XFAIL(PLM_EINVAL, errbuf, "lbfgs: bad size or options");
  if (!(g = malloc(n * sizeof *g)) || !(d = malloc(n * sizeof *d)) || !(xnew = malloc(n * sizeof *xnew)) ||
      !(gnew = malloc(n * sizeof *gnew)) || !(M.s = malloc((size_t)o->m * n * sizeof *M.s)) ||
      !(M.y = malloc((size_t)o->m * n * sizeof *M.y)) || !(M.rho = calloc((size_t)o->m, sizeof *M.rho)) ||
      !(M.alpha = calloc((size_t)o->m, sizeof *M.alpha)))
    PLM_XFAIL(PLM_EMEM, errbuf, "lbfgs: out of memory for %zu variables (memory %d)", n, o->m);

  PLM_XCHECK(eval(ctx, xcur, g, &f, errbuf));
  nevals++;
  if (!isfinite(f)) PLM_XFAIL(PLM_EINVAL, errbuf, "lbfgs: objective is not finite at the start");
  while (o->max_iter == 0 || iter < o->max_iter) {
    double gnorm = sqrt(dot(g, g, n)), xnorm = sqrt(dot(xcur, xcur, n));
    if (o->eps > 0 && gnorm / (xnorm > 1.0 ? xnorm : 1.0) < o->eps) { converged = 1; break; }
    direction(&M, g, d);
    if (dot(g, d, n) >= 0) {           /* lost descent (round-off): restart from steepest descent */
      M.k = 0;
      direction(&M, g, d);
    }
    /* the first step has no curvature to scale it: make it unit length */
    double t0 = M.k == 0 ? 1.0 / sqrt(dot(d, d, n)) : 1.0;
    PLM_XCHECK(line_search(n, xcur, f, g, d, t0, xnew, gnew, &fnew, &ok, &nevals, eval, ctx, o, errbuf));
    if (!ok) break;
    remember(&M, xcur, xnew, g, gnew);
    double *tmp = xcur; xcur = xnew; xnew = tmp;
    tmp = g; g = gnew; gnew = tmp;
    f = fnew;
    iter++;
    if (progress) progress(ctx, iter, f, sqrt(dot(g, g, n)), sqrt(dot(xcur, xcur, n)));
  }
  ret_res->f = f; ret_res->iters = iter; ret_res->nevals = nevals; ret_res->converged = converged;
  status = PLM_OK;

ERROR:
  /* the swaps may leave the best point in our buffer and the caller's x as scratch */
  if (xcur != x) { memcpy(x, xcur, n * sizeof *x); xnew = xcur; }
  free(g); free(d); free(xnew); free(gnew);
  free(M.s); free(M.y); free(M.rho); free(M.alpha);
  return status;
}
