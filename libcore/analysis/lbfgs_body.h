/* lbfgs_body.h: the body of lbfgs.c, included once per precision (private to lbfgs.c).
 *
 * Before each inclusion lbfgs.c defines REAL (the vectors' type), LB(name) (the static
 * functions' names for that type), LB(dot) (a double sum of products) and LB(axpy)
 * (y += a x), PLM_LBFGS_MINIMIZE and PLM_LBFGS_EVAL. Whatever REAL is, dot products, f,
 * step lengths and curvatures are double; with REAL double this computes exactly what
 * the double-only code it replaced did.
 */
typedef struct {
  size_t  n;
  int     m, k;          /* memory size; pairs stored so far */
  REAL  *s, *y;         /* m x n ring buffers */
  double *rho;           /* m curvatures */
  double *alpha;
} LB(mem);

/* d = -H g by the two-loop recursion; H0 = (s'y / y'y) I from the newest pair */
static void
LB(direction)(const LB(mem) *M, const REAL *g, REAL *d)
{
  size_t n = M->n;
  int    npair = M->k < M->m ? M->k : M->m;
  for (size_t i = 0; i < n; i++) d[i] = -g[i];
  for (int t = 0; t < npair; t++) {
    int     slot = (M->k - 1 - t) % M->m;
    REAL  *s = M->s + (size_t)slot * n, *y = M->y + (size_t)slot * n;
    M->alpha[slot] = M->rho[slot] * LB(dot)(s, d, n);
    REAL   a = (REAL)M->alpha[slot];
    LB(axpy)(n, -a, y, d);
  }
  if (npair > 0) {
    int     slot = (M->k - 1) % M->m;
    REAL  *y = M->y + (size_t)slot * n;
    REAL   gamma = (REAL)(1.0 / (M->rho[slot] * LB(dot)(y, y, n)));
    for (size_t i = 0; i < n; i++) d[i] *= gamma;
  }
  for (int t = npair - 1; t >= 0; t--) {
    int     slot = (M->k - 1 - t) % M->m;
    REAL  *s = M->s + (size_t)slot * n, *y = M->y + (size_t)slot * n;
    REAL   c = (REAL)(M->alpha[slot] - M->rho[slot] * LB(dot)(y, d, n));
    LB(axpy)(n, c, s, d);
  }
}

/* take the step found, whose point and gradient the line search left in the oldest pair's
 * slot (direction() is done with it): x, g = xnew, gnew and that slot becomes
 * s = xnew - x, y = gnew - g, kept unless y's <= 0 would break positive definiteness.
 * Two vectors fewer than separate xnew and gnew: potts's millions of couplings feel it. */
static void
LB(remember)(LB(mem) *M, REAL *x, REAL *g)
{
  size_t  n = M->n;
  int     slot = M->k % M->m;
  REAL   *s = M->s + (size_t)slot * n, *y = M->y + (size_t)slot * n;
  for (size_t i = 0; i < n; i++) {
    REAL xn = s[i], gn = y[i];
    s[i] = xn - x[i]; x[i] = xn;
    y[i] = gn - g[i]; g[i] = gn;
  }
  double ys = LB(dot)(y, s, n);
  if (ys <= 1e-300) return;
  M->rho[slot] = 1.0 / ys;
  M->k++;
}

/* backtrack from step t along d until f(x + t d) <= f + c1 t g'd; ret_ok 0 when no step decreased f */
static int
LB(line_search)(size_t n, const REAL *x, double f, const REAL *g, const REAL *d, double t,
                REAL *xnew, REAL *gnew, double *ret_fnew, int *ret_ok, int *nevals,
                PLM_LBFGS_EVAL eval, void *ctx, const plm_lbfgs_opts *o, char *errbuf)
{
  double gd = LB(dot)(g, d, n);
  int    status;
  *ret_ok = 0;
  for (int ls = 0; ls < o->max_linesearch; ls++, t *= BACKTRACK) {
    memcpy(xnew, x, n * sizeof *xnew);
    LB(axpy)(n, (REAL)t, d, xnew);
    if ((status = eval(ctx, xnew, gnew, ret_fnew, errbuf)) != PLM_OK) return status;
    (*nevals)++;
    /* f + c1 t g'd rounds to f when t d no longer moves x: only a real decrease counts */
    if (isfinite(*ret_fnew) && *ret_fnew < f && *ret_fnew <= f + ARMIJO_C1 * t * gd) { *ret_ok = 1; return PLM_OK; }
  }
  return PLM_OK;
}

int
PLM_LBFGS_MINIMIZE(size_t n, REAL *x, PLM_LBFGS_EVAL eval, plm_lbfgs_progress progress, void *ctx,
                   const plm_lbfgs_opts *o, plm_lbfgs_result *ret_res, char *errbuf)
{
  LB(mem) M = { n, o->m, 0, NULL, NULL, NULL, NULL };
  REAL   *g = NULL, *d = NULL;
  double  f, fnew;
  int     status, ok, iter = 0, nevals = 0, converged = 0;

  if (n == 0 || o->m < 1 || o->max_linesearch < 1) PLM_XFAIL(PLM_EINVAL, errbuf, "lbfgs: bad size or options");
  if (!(g = malloc(n * sizeof *g)) || !(d = malloc(n * sizeof *d)) ||
      !(M.s = malloc((size_t)o->m * n * sizeof *M.s)) || !(M.y = malloc((size_t)o->m * n * sizeof *M.y)) ||
      !(M.rho = calloc((size_t)o->m, sizeof *M.rho)) || !(M.alpha = calloc((size_t)o->m, sizeof *M.alpha)))
    PLM_XFAIL(PLM_EMEM, errbuf, "lbfgs: out of memory for %zu variables (memory %d)", n, o->m);

  PLM_XCHECK(eval(ctx, x, g, &f, errbuf));
  nevals++;
  if (!isfinite(f)) PLM_XFAIL(PLM_EINVAL, errbuf, "lbfgs: objective is not finite at the start");
  while (o->max_iter == 0 || iter < o->max_iter) {
    double gnorm = sqrt(LB(dot)(g, g, n)), xnorm = sqrt(LB(dot)(x, x, n));
    if (o->eps > 0 && gnorm / (xnorm > 1.0 ? xnorm : 1.0) < o->eps) { converged = 1; break; }
    LB(direction)(&M, g, d);
    if (LB(dot)(g, d, n) >= 0) {           /* lost descent (round-off): restart from steepest descent */
      M.k = 0;
      LB(direction)(&M, g, d);
    }
    /* the first step has no curvature to scale it: make it unit length */
    double t0 = M.k == 0 ? 1.0 / sqrt(LB(dot)(d, d, n)) : 1.0;
    size_t free_slot = (size_t)(M.k % M.m) * n;
    PLM_XCHECK(LB(line_search)(n, x, f, g, d, t0, M.s + free_slot, M.y + free_slot, &fnew, &ok, &nevals, eval, ctx, o, errbuf));
    if (!ok) break;
    LB(remember)(&M, x, g);
    f = fnew;
    iter++;
    if (progress) progress(ctx, iter, f, sqrt(LB(dot)(g, g, n)), sqrt(LB(dot)(x, x, n)));
  }
  ret_res->f = f; ret_res->iters = iter; ret_res->nevals = nevals; ret_res->converged = converged;
  status = PLM_OK;

ERROR:
  free(g); free(d);
  free(M.s); free(M.y); free(M.rho); free(M.alpha);
  return status;
}
