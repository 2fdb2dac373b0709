/* linfit.c: least-squares line and Pearson's r (see linfit.h).
 *
 * Two passes (means, then centred sums) rather than the one-pass sums of
 * squares, which lose every digit when x sits far from 0 (e.g. years, Neff).
 *
 *   plm_linfit_Fit()
 */
#include <math.h>
#include "error.h"
#include "linfit.h"

int
plm_linfit_Fit(const double *x, const double *y, size_t n, plm_linfit *fit, char *errbuf)
{
  double mx = 0.0, my = 0.0, sxx = 0.0, syy = 0.0, sxy = 0.0;
  size_t m = 0;

  for (size_t i = 0; i < n; i++)
    if (isfinite(x[i]) && isfinite(y[i])) { mx += x[i]; my += y[i]; m++; }
  fit->n = m;
  fit->slope = fit->intercept = fit->r = NAN;   /* what a refused fit leaves */
  if (m < 2) return plm_Fail(errbuf, PLM_EINVAL, "a line needs two points with both values, got %zu", m);
  mx /= (double)m;
  my /= (double)m;
  for (size_t i = 0; i < n; i++)
    if (isfinite(x[i]) && isfinite(y[i])) {
      double dx = x[i] - mx, dy = y[i] - my;
      sxx += dx * dx; syy += dy * dy; sxy += dx * dy;
    }
  if (!(sxx > 0.0)) return plm_Fail(errbuf, PLM_EINVAL, "x is constant (%g) over the %zu points: no line", mx, m);
  fit->slope     = sxy / sxx;
  fit->intercept = my - fit->slope * mx;
  fit->r         = syy > 0.0 ? sxy / sqrt(sxx * syy) : NAN;
  return PLM_OK;
}
