/* lbfgs.c: limited-memory BFGS with a backtracking line search (see lbfgs.h), in double
 * and in single precision from one body (lbfgs_body.h). */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "error.h"
#include "lbfgs.h"
#include "simd.h"

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

/* double: plain loops, as before the float variant came */
static double
dot_d(const double *a, const double *b, size_t n)
{
  double s = 0.0;
  for (size_t i = 0; i < n; i++) s += a[i] * b[i];
  return s;
}

static void
axpy_d(size_t n, double a, const double *x, double *y)
{
  for (size_t i = 0; i < n; i++) y[i] += a * x[i];
}

/* float: vector loops, which -O2 leaves scalar; the dot product sums in four double lanes */
typedef double v4d __attribute__((vector_size(32)));
typedef float  v4f __attribute__((vector_size(16)));

static PLM_SIMD_CLONES double
dot_f(const float *a, const float *b, size_t n)
{
  v4d    s0 = { 0, 0, 0, 0 }, s1 = s0;
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    v8f x = v8_load(a + i), y = v8_load(b + i);
    v4f x0 = { x[0], x[1], x[2], x[3] }, x1 = { x[4], x[5], x[6], x[7] };
    v4f y0 = { y[0], y[1], y[2], y[3] }, y1 = { y[4], y[5], y[6], y[7] };
    s0 += __builtin_convertvector(x0, v4d) * __builtin_convertvector(y0, v4d);
    s1 += __builtin_convertvector(x1, v4d) * __builtin_convertvector(y1, v4d);
  }
  s0 += s1;
  double s = (s0[0] + s0[2]) + (s0[1] + s0[3]);
  for (; i < n; i++) s += (double)a[i] * b[i];
  return s;
}

static PLM_SIMD_CLONES void
axpy_f(size_t n, float a, const float *x, float *y)
{
  size_t i = 0;
  v8f    va = v8_splat(a);
  for (; i + 8 <= n; i += 8) v8_store(y + i, v8_load(y + i) + va * v8_load(x + i));
  for (; i < n; i++) y[i] += a * x[i];
}

#define REAL               double
#define LB(name)           name##_d
#define PLM_LBFGS_MINIMIZE plm_lbfgs_Minimize
#define PLM_LBFGS_EVAL     plm_lbfgs_eval
#include "lbfgs_body.h"
#undef REAL
#undef LB
#undef PLM_LBFGS_MINIMIZE
#undef PLM_LBFGS_EVAL

#define REAL               float
#define LB(name)           name##_f
#define PLM_LBFGS_MINIMIZE plm_lbfgs_MinimizeF
#define PLM_LBFGS_EVAL     plm_lbfgs_evalf
#include "lbfgs_body.h"
