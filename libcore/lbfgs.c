/* lbfgs.c: limited-memory BFGS with a backtracking line search (see lbfgs.h), in double
 * and in single precision from one body (lbfgs_body.h). */
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
