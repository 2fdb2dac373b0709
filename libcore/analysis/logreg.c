/* logreg.c: penalized logistic regression, binary and multinomial (see logreg.h).
 *
 *   binary: proximal Newton with coordinate-descent inner solves
 *     problem_Init(), margins(), objective(), grad_hess(),
 *     newton_direction(): cd_sweeps() + face_newton() (cholesky()) rounds
 *     line_search(), kkt_violation(), plm_logreg_Fit()
 *   multinomial: L-BFGS (libcore/analysis/lbfgs.c) on the smooth L2-penalized softmax loss
 *     softmax_loss(), softmax_eval(), plm_logreg_FitMultinomial()
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <cblas.h>
#include "error.h"
#include "lbfgs.h"
#include "logreg.h"

#define HESS_BLOCK   1024   /* rows per dsyrk call: bounds the scratch copy of X */
#define CD_SWEEPS    10     /* coordinate-descent sweeps per inner round */
#define CD_ROUNDS    50     /* inner rounds (sweeps + face Newton solve) per Newton step */
#define INNER_TOL    1e-3   /* model optimality asked for, relative to the current KKT violation */
#define LS_SIGMA     0.01   /* Armijo sufficient-decrease fraction, as liblinear */

static const char *penalty_names[] = { "l1", "l2", "elasticnet" };

const char *plm_logreg_PenaltyName(plm_logreg_penalty p) { return penalty_names[p]; }

int
plm_logreg_PenaltyFromName(const char *name, plm_logreg_penalty *ret_p)
{
  for (int k = 0; k < 3; k++)
    if (strcmp(name, penalty_names[k]) == 0) { *ret_p = (plm_logreg_penalty)k; return PLM_OK; }
  return PLM_ENOTFOUND;
}

void
plm_logreg_DefaultOpts(plm_logreg_opts *opts)
{
  opts->penalty  = PLM_LOGREG_L1;
  opts->C        = 0.15;
  opts->l1_ratio = 0.5;
  opts->tol      = 1e-9;
  opts->max_iter = 200;
}

/* log(1 + exp(-m)) without overflow */
static double
logloss(double m)
{
  return m > 0 ? log1p(exp(-m)) : -m + log1p(exp(m));
}

static double
sigmoid(double m)
{
  if (m >= 0) return 1.0 / (1.0 + exp(-m));
  double e = exp(m);
  return e / (1.0 + e);
}

double
plm_logreg_Prob(const double *w, int d, const float *x)
{
  double m = w[d];
  for (int j = 0; j < d; j++) m += w[j] * x[j];
  return sigmoid(m);
}

/* ---------------------------------------------------------------------------
 * binary
 */

/* The binary problem with the bias as coefficient d of p = d + 1. */
typedef struct problem {
  const float *X;
  int64_t      n;
  int          d, p;
  double      *ys;        /* labels as -1/+1 */
  double      *cw;        /* C times the sample weight */
  double       l1, l2;
  int          pen_bias;  /* is coefficient d penalized? */
} problem;

static int
problem_Init(problem *pb, const float *X, int64_t n, int d, const uint8_t *y, const double *sw,
             const plm_logreg_opts *o, char *errbuf)
{
  int64_t npos = 0;
  int     status;

  memset(pb, 0, sizeof *pb);
  if (n < 1 || d < 0)                       PLM_XFAIL(PLM_EINVAL, errbuf, "logreg: no training examples");
  if (!(o->C > 0))                          PLM_XFAIL(PLM_EINVAL, errbuf, "logreg: C must be > 0");
  if (!(o->l1_ratio >= 0 && o->l1_ratio <= 1)) PLM_XFAIL(PLM_EINVAL, errbuf, "logreg: l1 ratio must be in [0, 1]");
  pb->X = X; pb->n = n; pb->d = d; pb->p = d + 1;
  switch (o->penalty) {
  case PLM_LOGREG_L1:         pb->l1 = 1; pb->l2 = 0; pb->pen_bias = 1; break;
  case PLM_LOGREG_L2:         pb->l1 = 0; pb->l2 = 1; pb->pen_bias = 1; break;
  case PLM_LOGREG_ELASTICNET: pb->l1 = o->l1_ratio; pb->l2 = 1 - o->l1_ratio; pb->pen_bias = 0; break;
  }
  if (!(pb->ys = malloc(sizeof(double) * n)) || !(pb->cw = malloc(sizeof(double) * n)))
    PLM_XFAIL(PLM_EMEM, errbuf, "logreg: out of memory for %lld examples", (long long)n);
  for (int64_t i = 0; i < n; i++) {
    if (sw && !(sw[i] >= 0)) PLM_XFAIL(PLM_EINVAL, errbuf, "logreg: sample weight %lld is negative", (long long)i);
    pb->ys[i] = y[i] ? 1.0 : -1.0;
    pb->cw[i] = o->C * (sw ? sw[i] : 1.0);
    npos     += y[i] != 0;
  }
  /* one class alone has no finite optimum without a penalized bias, and sklearn refuses it too */
  if (npos == 0 || npos == n) PLM_XFAIL(PLM_EINVAL, errbuf, "logreg: training labels hold only one class");
  return PLM_OK;

ERROR:
  free(pb->ys); free(pb->cw);
  pb->ys = pb->cw = NULL;
  return status;
}

static void
problem_Free(problem *pb) { free(pb->ys); free(pb->cw); }

static int is_l1(const problem *pb, int j) { return pb->l1 > 0 && (j < pb->d || pb->pen_bias); }
static int is_l2(const problem *pb, int j) { return pb->l2 > 0 && (j < pb->d || pb->pen_bias); }

/* z_i = w.x_i + b, in double whatever the precision of X */
static void
margins(const problem *pb, const double *w, double *z)
{
  for (int64_t i = 0; i < pb->n; i++) {
    const float *x = pb->X + i * pb->d;
    double       m = w[pb->d];
    for (int j = 0; j < pb->d; j++) m += w[j] * x[j];
    z[i] = m;
  }
}

static double
penalty(const problem *pb, const double *w)
{
  double f = 0;
  for (int j = 0; j < pb->p; j++) {
    if (is_l1(pb, j)) f += pb->l1 * fabs(w[j]);
    if (is_l2(pb, j)) f += 0.5 * pb->l2 * w[j] * w[j];
  }
  return f;
}

static double
objective(const problem *pb, const double *w, const double *z)
{
  double f = 0;
  for (int64_t i = 0; i < pb->n; i++) f += pb->cw[i] * logloss(pb->ys[i] * z[i]);
  return f + penalty(pb, w);
}

/* Gradient g and Hessian H (p x p, row-major) of the smooth part: the loss and
 * the L2 term. H = X~' D X~ over X~ = [X 1] is accumulated in blocks of rows
 * scaled by sqrt(D), so the copy of X stays small and the sums are double. */
static int
grad_hess(const problem *pb, const double *w, const double *z, double *g, double *H, char *errbuf)
{
  int     p = pb->p, d = pb->d;
  double *B = malloc(sizeof(double) * HESS_BLOCK * p);
  int     status;

  if (!B) PLM_XFAIL(PLM_EMEM, errbuf, "logreg: out of memory for the Hessian");
  memset(g, 0, sizeof(double) * p);
  memset(H, 0, sizeof(double) * p * p);
  for (int64_t i0 = 0; i0 < pb->n; i0 += HESS_BLOCK) {
    int nb = (int)(pb->n - i0 < HESS_BLOCK ? pb->n - i0 : HESS_BLOCK);
    for (int r = 0; r < nb; r++) {
      int64_t      i  = i0 + r;
      const float *x  = pb->X + i * d;
      double       s  = sigmoid(pb->ys[i] * z[i]);
      double       gi = pb->cw[i] * pb->ys[i] * (s - 1.0);
      double       hi = sqrt(pb->cw[i] * s * (1.0 - s));
      double      *b  = B + (size_t)r * p;
      for (int j = 0; j < d; j++) { g[j] += gi * x[j]; b[j] = hi * x[j]; }
      g[d] += gi;
      b[d]  = hi;
    }
    cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, p, nb, 1.0, B, p, 1.0, H, p);
  }
  for (int j = 0; j < p; j++) {
    for (int k = 0; k < j; k++) H[(size_t)j * p + k] = H[(size_t)k * p + j];
    if (is_l2(pb, j)) { g[j] += pb->l2 * w[j]; H[(size_t)j * p + j] += pb->l2; }
  }
  free(B);
  return PLM_OK;

ERROR:
  free(B);
  return status;
}

static double
soft_threshold(double u, double t)
{
  return u > t ? u - t : u < -t ? u + t : 0.0;
}

/* The quadratic model's coordinate j: its gradient is g + H dir, its point u = w + dir. */
static double
model_violation(const problem *pb, const double *w, const double *g, const double *dir, const double *Hd, int j)
{
  double gj = g[j] + Hd[j], u = w[j] + dir[j];
  if (!is_l1(pb, j)) return fabs(gj);
  if (u > 0)         return fabs(gj + pb->l1);
  if (u < 0)         return fabs(gj - pb->l1);
  return fmax(fabs(gj) - pb->l1, 0.0);
}

/* dir[j] += step, keeping Hd = H dir */
static void
move(const double *H, int p, int j, double step, double *dir, double *Hd)
{
  const double *Hj = H + (size_t)j * p;
  dir[j] += step;
  for (int k = 0; k < p; k++) Hd[k] += step * Hj[k];
}

/* Cyclic coordinate descent on the model g.dir + dir'H dir/2 + l1 |w + dir|_1,
 * soft-thresholding each coordinate; a coordinate at zero whose model gradient
 * lies well inside [-l1, l1] is skipped (liblinear's shrinking). The small
 * ridge (liblinear's nu) keeps a zero-curvature coordinate finite. */
static void
cd_sweeps(const problem *pb, const double *w, const double *g, const double *H, int nsweep, double *dir, double *Hd)
{
  int p = pb->p;
  for (int sweep = 0; sweep < nsweep; sweep++)
    for (int j = 0; j < p; j++) {
      double hjj = H[(size_t)j * p + j] + 1e-12, gj = g[j] + Hd[j], u = w[j] + dir[j], step;
      if (u == 0 && is_l1(pb, j) && fabs(gj) < 0.5 * pb->l1) continue;
      step = is_l1(pb, j) ? soft_threshold(u - gj / hjj, pb->l1 / hjj) - u : -gj / hjj;
      if (step != 0) move(H, p, j, step, dir, Hd);
    }
}

/* In-place Cholesky factor (lower, row-major) of the n x n matrix A; 0 if A is not positive definite. */
static int
cholesky(double *A, int n)
{
  for (int j = 0; j < n; j++) {
    double *Aj = A + (size_t)j * n, d = Aj[j];
    for (int k = 0; k < j; k++) d -= Aj[k] * Aj[k];
    if (!(d > 0)) return 0;
    Aj[j] = sqrt(d);
    for (int i = j + 1; i < n; i++) {
      double *Ai = A + (size_t)i * n, v = Ai[j];
      for (int k = 0; k < j; k++) v -= Ai[k] * Aj[k];
      Ai[j] = v / Aj[j];
    }
  }
  return 1;
}

/* solve L L' x = b in place */
static void
cholesky_solve(const double *Lf, int n, double *b)
{
  for (int i = 0; i < n; i++) {
    for (int k = 0; k < i; k++) b[i] -= Lf[(size_t)i * n + k] * b[k];
    b[i] /= Lf[(size_t)i * n + i];
  }
  for (int i = n - 1; i >= 0; i--) {
    for (int k = i + 1; k < n; k++) b[i] -= Lf[(size_t)k * n + i] * b[k];
    b[i] /= Lf[(size_t)i * n + i];
  }
}

/* The model's exact minimizer on the current orthant face: the coordinates
 * A with w + dir != 0 (and the unpenalized ones) keep their signs s, the
 * others stay at zero, so the model is smooth there and its minimizer solves
 *   H_AA dir_A = -(g_A + l1 s_A + H_AZ dir_Z).
 * Move dir toward it as far as no sign flips (a coordinate reaching zero stops
 * there): the model decreases all the way, and coordinate descent alone
 * crawls on the ill-conditioned H of correlated features. ws holds p*p + 3p. */
static void
face_newton(const problem *pb, const double *w, const double *g, const double *H, double *dir, double *Hd, double *ws)
{
  int     p = pb->p, na = 0;
  int    *A = (int *)(ws + (size_t)p * p + 2 * p);
  double *M = ws, *b = ws + (size_t)p * p, *target = b + p, t = 1.0;

  for (int j = 0; j < p; j++) if (w[j] + dir[j] != 0 || !is_l1(pb, j)) A[na++] = j;
  if (na == 0) return;
  for (int a = 0; a < na; a++) {
    int j = A[a], sj = (w[j] + dir[j] > 0) - (w[j] + dir[j] < 0);
    for (int c = 0; c < na; c++) M[(size_t)a * na + c] = H[(size_t)j * p + A[c]];
    M[(size_t)a * na + a] += 1e-12;
    /* H_AZ dir_Z = (H dir)_A - H_AA dir_A */
    b[a] = -(g[j] + (is_l1(pb, j) ? pb->l1 * sj : 0) + Hd[j]);
    for (int c = 0; c < na; c++) b[a] += H[(size_t)j * p + A[c]] * dir[A[c]];
  }
  if (!cholesky(M, na)) return;
  cholesky_solve(M, na, b);
  for (int a = 0; a < na; a++) {
    int    j = A[a];
    double u0 = w[j] + dir[j], u1 = w[j] + b[a];
    target[a] = b[a];
    if (is_l1(pb, j) && u0 * u1 < 0 && u0 / (u0 - u1) < t) t = u0 / (u0 - u1);
  }
  for (int a = 0; a < na; a++) {
    int    j = A[a];
    double step = t * (target[a] - dir[j]);
    if (is_l1(pb, j) && t < 1 && fabs(w[j] + dir[j] + step) <= 1e-15 * fmax(1.0, fabs(w[j]))) step = -w[j] - dir[j];
    if (step != 0) move(H, p, j, step, dir, Hd);
  }
}

/* Minimize the quadratic model to within tol on its optimality conditions:
 * rounds of coordinate descent (which finds the zero pattern) and a Newton
 * solve on the face it found (which converges on it); the first round starts
 * from dir = 0, as newGLMNET does. */
static void
newton_direction(const problem *pb, const double *w, const double *g, const double *H, double tol,
                 double *dir, double *Hd, double *ws)
{
  int p = pb->p;

  memset(dir, 0, sizeof(double) * p);
  memset(Hd,  0, sizeof(double) * p);
  for (int round = 0; round < CD_ROUNDS; round++) {
    double v = 0;
    cd_sweeps(pb, w, g, H, CD_SWEEPS, dir, Hd);
    for (int j = 0; j < p; j++) v = fmax(v, model_violation(pb, w, g, dir, Hd, j));
    if (v <= tol) break;
    face_newton(pb, w, g, H, dir, Hd, ws);
  }
}

/* penalty(wt) - penalty(w), coordinate by coordinate */
static double
penalty_change(const problem *pb, const double *w, const double *wt)
{
  double c = 0;
  for (int j = 0; j < pb->p; j++) {
    if (is_l1(pb, j)) c += pb->l1 * (fabs(wt[j]) - fabs(w[j]));
    if (is_l2(pb, j)) c += 0.5 * pb->l2 * (wt[j] - w[j]) * (wt[j] + w[j]);
  }
  return c;
}

/* Backtrack along dir from w until the Armijo condition of newGLMNET holds;
 * on success w, z and *f are updated; zd and wt are scratch. The change of f
 * is summed example by example, not taken as a difference of two totals:
 * near the optimum the totals agree to more digits than double holds, and a
 * good step would look like no decrease. Returns 0 when no step decreases f,
 * which at the optimum means double precision is exhausted. */
static int
line_search(const problem *pb, double *w, double *z, double *zd, const double *g, const double *dir,
            double *wt, double *f)
{
  int    p = pb->p, ok = 0;
  double delta = 0;

  margins(pb, dir, zd);
  for (int j = 0; j < p; j++) {
    delta += g[j] * dir[j];
    if (is_l1(pb, j)) delta += pb->l1 * (fabs(w[j] + dir[j]) - fabs(w[j]));
  }
  for (double t = 1.0; t > 1e-20 && !ok; t *= 0.5) {
    double df = 0;
    for (int j = 0; j < p; j++) wt[j] = w[j] + t * dir[j];
    for (int64_t i = 0; i < pb->n; i++)
      df += pb->cw[i] * (logloss(pb->ys[i] * (z[i] + t * zd[i])) - logloss(pb->ys[i] * z[i]));
    df += penalty_change(pb, w, wt);
    if (df <= LS_SIGMA * t * delta && df < 0) {
      memcpy(w, wt, sizeof(double) * p);
      for (int64_t i = 0; i < pb->n; i++) z[i] += t * zd[i];
      *f += df;
      ok = 1;
    }
  }
  return ok;
}

/* largest distance of the gradient from the subdifferential of the L1 term */
static double
kkt_violation(const problem *pb, const double *w, const double *g)
{
  double v = 0;
  for (int j = 0; j < pb->p; j++) {
    double vj;
    if (!is_l1(pb, j))  vj = fabs(g[j]);
    else if (w[j] > 0)  vj = fabs(g[j] + pb->l1);
    else if (w[j] < 0)  vj = fabs(g[j] - pb->l1);
    else                vj = fmax(fabs(g[j]) - pb->l1, 0.0);
    if (vj > v) v = vj;
  }
  return v;
}

int
plm_logreg_Fit(const float *X, int64_t n, int d, const uint8_t *y, const double *sw,
               const plm_logreg_opts *opts, double *ret_w, plm_logreg_info *ret_info, char *errbuf)
{
  problem pb;
  double *z = NULL, *zd = NULL, *g = NULL, *H = NULL, *dir = NULL, *Hd = NULL, *wt = NULL, *ws = NULL;
  double  f, v = 0, v0 = 0;
  int     it, converged = 0, status;

  PLM_XCHECK(problem_Init(&pb, X, n, d, y, sw, opts, errbuf));
  z   = malloc(sizeof(double) * n);
  zd  = malloc(sizeof(double) * n);
  g   = malloc(sizeof(double) * pb.p);
  dir = malloc(sizeof(double) * pb.p);
  Hd  = malloc(sizeof(double) * pb.p);
  wt  = malloc(sizeof(double) * pb.p);
  H   = malloc(sizeof(double) * pb.p * pb.p);
  ws  = malloc(sizeof(double) * ((size_t)pb.p * pb.p + 3 * pb.p));
  if (!z || !zd || !g || !dir || !Hd || !wt || !H || !ws) PLM_XFAIL(PLM_EMEM, errbuf, "logreg: out of memory");

  memset(ret_w, 0, sizeof(double) * pb.p);
  margins(&pb, ret_w, z);
  f = objective(&pb, ret_w, z);
  for (it = 0; it < opts->max_iter; it++) {
    PLM_XCHECK(grad_hess(&pb, ret_w, z, g, H, errbuf));
    v = kkt_violation(&pb, ret_w, g);
    if (it == 0) v0 = v;
    if (v <= opts->tol * v0) { converged = 1; break; }
    newton_direction(&pb, ret_w, g, H, INNER_TOL * v, dir, Hd, ws);
    if (!line_search(&pb, ret_w, z, zd, g, dir, wt, &f)) break;
  }
  if (ret_info) {
    ret_info->niter     = it;
    ret_info->converged = converged;
    ret_info->kkt       = v;
    ret_info->objective = f;
  }
  status = PLM_OK;

ERROR:
  free(z); free(zd); free(g); free(H); free(dir); free(Hd); free(wt); free(ws);
  problem_Free(&pb);
  return status;
}

/* ---------------------------------------------------------------------------
 * multinomial
 */

typedef struct mproblem {
  const float   *X;
  const uint8_t *y;
  const double  *sw;
  int64_t        n;
  int            d, p, K;   /* p = d + 1 coefficients per class, bias last */
  double         C;
} mproblem;

/* objective and its gradient G at W (K x p); scores is scratch of K */
static double
softmax_loss(const mproblem *pb, const double *W, double *G, double *scores)
{
  int    p = pb->p, d = pb->d, K = pb->K;
  double f = 0;

  memset(G, 0, sizeof(double) * K * p);
  for (int64_t i = 0; i < pb->n; i++) {
    const float *x = pb->X + i * d;
    double       mx = -INFINITY, lse = 0, c = pb->C * (pb->sw ? pb->sw[i] : 1.0);
    for (int k = 0; k < K; k++) {
      const double *Wk = W + (size_t)k * p;
      double        s  = Wk[d];
      for (int j = 0; j < d; j++) s += Wk[j] * x[j];
      scores[k] = s;
      if (s > mx) mx = s;
    }
    for (int k = 0; k < K; k++) lse += exp(scores[k] - mx);
    lse = mx + log(lse);
    f  += c * (lse - scores[pb->y[i]]);
    for (int k = 0; k < K; k++) {
      double  r  = c * (exp(scores[k] - lse) - (k == pb->y[i]));
      double *Gk = G + (size_t)k * p;
      for (int j = 0; j < d; j++) Gk[j] += r * x[j];
      Gk[d] += r;
    }
  }
  for (int k = 0; k < K; k++)
    for (int j = 0; j < d; j++) {
      double wkj = W[(size_t)k * p + j];
      f += 0.5 * wkj * wkj;
      G[(size_t)k * p + j] += wkj;
    }
  return f;
}

/* plm_lbfgs_eval over the mproblem; scores is scratch of K */
typedef struct mctx { const mproblem *pb; double *scores; } mctx;

static int
softmax_eval(void *ctx, const double *W, double *G, double *ret_f, char *errbuf)
{
  const mctx *c = ctx;
  *ret_f = softmax_loss(c->pb, W, G, c->scores);
  return PLM_OK;
}

int
plm_logreg_FitMultinomial(const float *X, int64_t n, int d, const uint8_t *y, int K,
                          const double *sw, const plm_logreg_opts *opts, double *ret_W,
                          plm_logreg_info *ret_info, char *errbuf)
{
  mproblem         pb = { X, y, sw, n, d, d + 1, K, opts->C };
  mctx             ctx = { &pb, NULL };
  plm_lbfgs_opts   lo;
  plm_lbfgs_result res;
  int              status;

  if (n < 1 || K < 2 || K > 256 || !(opts->C > 0))
    PLM_XFAIL(PLM_EINVAL, errbuf, "logreg: multinomial needs examples, 2 <= K <= 256 and C > 0");
  for (int64_t i = 0; i < n; i++)
    if (y[i] >= K) PLM_XFAIL(PLM_EINVAL, errbuf, "logreg: class %d of example %lld is not below K = %d", y[i], (long long)i, K);
  if (!(ctx.scores = malloc(sizeof(double) * K))) PLM_XFAIL(PLM_EMEM, errbuf, "logreg: out of memory");

  plm_lbfgs_Defaults(&lo);
  lo.m = 10; lo.eps = opts->tol; lo.max_iter = opts->max_iter; lo.max_linesearch = 60;
  memset(ret_W, 0, sizeof(double) * K * (d + 1));
  PLM_XCHECK(plm_lbfgs_Minimize((size_t)K * (d + 1), ret_W, softmax_eval, NULL, &ctx, &lo, &res, errbuf));
  if (ret_info) { ret_info->niter = res.iters; ret_info->converged = res.converged; ret_info->kkt = NAN; ret_info->objective = res.f; }
  status = PLM_OK;

ERROR:
  free(ctx.scores);
  return status;
}
