/* linfit.h: an ordinary least-squares line y = slope * x + intercept, and Pearson's r.
 *
 * Pairs where x or y is not finite (NaN marks a missing value) are left out,
 * so a TSV column with NA cells can be fitted as it is.
 *
 *   plm_linfit_Fit()   the fit of n pairs; needs two finite pairs and x not constant
 */
#ifndef PLM_LINFIT_H
#define PLM_LINFIT_H
#include <stddef.h>

typedef struct plm_linfit {
  size_t n;                  /* pairs used */
  double slope, intercept;
  double r;                  /* Pearson correlation; NaN when y is constant */
} plm_linfit;

int plm_linfit_Fit(const double *x, const double *y, size_t n, plm_linfit *fit, char *errbuf);

#endif
