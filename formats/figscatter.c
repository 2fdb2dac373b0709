/* figscatter.c: a scatter plot with numbered axes and an optional fitted line (see figure.h).
 *
 *   plm_fig_Ticks()    "nice" tick values (1, 2 or 5 times a power of ten) covering a range
 *   scatter_Range()    the range of v over the drawn points (both values finite), padded 5%, widened when flat
 *   plm_fig_Scatter()
 */
#include <math.h>
#include <stdio.h>
#include "figure.h"

static const uint8_t BLACK[3] = { 0, 0, 0 }, DOT[3] = { 31, 119, 180 }, FIT[3] = { 214, 39, 40 };

/* at most max ticks (max >= 2) from a multiple of step >= lo up to hi; returns their count */
int
plm_fig_Ticks(double lo, double hi, int target, double *ticks, int max)
{
  double raw = (hi - lo) / (target > 1 ? target : 1), p, step, t;
  int    n = 0;
  if (!(hi > lo) || !isfinite(raw)) { ticks[0] = lo; return 1; }
  p    = pow(10.0, floor(log10(raw)));
  step = raw / p < 1.5 ? p : raw / p < 3.5 ? 2 * p : raw / p < 7.5 ? 5 * p : 10 * p;
  for (t = ceil(lo / step - 1e-9) * step; t <= hi + step * 1e-9 && n < max; t += step)
    ticks[n++] = fabs(t) < step * 1e-9 ? 0.0 : t;
  return n;
}

static void
scatter_Range(const double *v, const double *other, int n, double *lo, double *hi)
{
  *lo = INFINITY; *hi = -INFINITY;
  for (int i = 0; i < n; i++) if (isfinite(v[i]) && isfinite(other[i])) { *lo = fmin(*lo, v[i]); *hi = fmax(*hi, v[i]); }
  if (!isfinite(*lo)) { *lo = 0.0; *hi = 1.0; }
  if (*hi - *lo < 1e-12 * fmax(1.0, fabs(*hi))) { *lo -= 0.5; *hi += 0.5; }
  else { double pad = 0.05 * (*hi - *lo); *lo -= pad; *hi += pad; }
}

/* n points (xs[i], ys[i]) in the box (x0, y0, w, h); pairs with a NaN are not drawn; labels[i]
 * (may be NULL) beside each point; fit (slope, intercept; may be NULL) as a line across the box */
void
plm_fig_Scatter(plm_fig *fig, double x0, double y0, double w, double h, const double *xs, const double *ys, int n,
                const char *const *labels, const double *fit, const plm_fig_axis *ax)
{
  double xlo, xhi, ylo, yhi, t[32];
  char   lab[32];
  int    nt;

  scatter_Range(xs, ys, n, &xlo, &xhi);
  scatter_Range(ys, xs, n, &ylo, &yhi);
#define PX(v) (x0 + ((v) - xlo) / (xhi - xlo) * w)
#define PY(v) (y0 + h - ((v) - ylo) / (yhi - ylo) * h)
  plm_fig_Line(fig, x0, y0 + h, x0 + w, y0 + h, BLACK);
  plm_fig_Line(fig, x0, y0, x0, y0 + h, BLACK);
  nt = plm_fig_Ticks(xlo, xhi, 6, t, 32);
  for (int k = 0; k < nt; k++) {
    snprintf(lab, sizeof lab, "%.4g", t[k]);
    plm_fig_Line(fig, PX(t[k]), y0 + h, PX(t[k]), y0 + h + 4, BLACK);
    plm_fig_Text(fig, PX(t[k]), y0 + h + 15, 'm', 10, lab);
  }
  nt = plm_fig_Ticks(ylo, yhi, 5, t, 32);
  for (int k = 0; k < nt; k++) {
    snprintf(lab, sizeof lab, "%.4g", t[k]);
    plm_fig_Line(fig, x0 - 4, PY(t[k]), x0, PY(t[k]), BLACK);
    plm_fig_Text(fig, x0 - 6, PY(t[k]) + 3.5, 'e', 10, lab);
  }
  if (fit && isfinite(fit[0]) && isfinite(fit[1])) {
    /* the line clipped to the box: x from the range, then y kept inside */
    double ax0 = xlo, ax1 = xhi, ay0 = fit[0] * ax0 + fit[1], ay1 = fit[0] * ax1 + fit[1];
    if (fit[0] != 0.0) {
      double lo = fmin(ay0, ay1) < ylo ? (ylo - fit[1]) / fit[0] : NAN, hi = fmax(ay0, ay1) > yhi ? (yhi - fit[1]) / fit[0] : NAN;
      if (fit[0] > 0) { if (!isnan(lo)) ax0 = lo; if (!isnan(hi)) ax1 = hi; }
      else            { if (!isnan(hi)) ax0 = hi; if (!isnan(lo)) ax1 = lo; }
      ay0 = fit[0] * ax0 + fit[1];
      ay1 = fit[0] * ax1 + fit[1];
    }
    if (ay0 >= ylo - 1e-9 && ay0 <= yhi + 1e-9) plm_fig_Line(fig, PX(ax0), PY(ay0), PX(ax1), PY(ay1), FIT);
  }
  for (int i = 0; i < n; i++) {
    if (!isfinite(xs[i]) || !isfinite(ys[i])) continue;
    plm_fig_Rect(fig, PX(xs[i]) - 2, PY(ys[i]) - 2, 5, 5, DOT);
    if (labels && labels[i] && labels[i][0]) plm_fig_Text(fig, PX(xs[i]) + 5, PY(ys[i]) - 3, 's', 9, labels[i]);
  }
#undef PX
#undef PY
  if (ax->title)  plm_fig_Text(fig, 10, 18, 's', 13, ax->title);
  if (ax->xlabel) plm_fig_Text(fig, x0 + w / 2, y0 + h + 32, 'm', 11, ax->xlabel);
  if (ax->ylabel) plm_fig_Text(fig, x0 - 10, y0 - 10, 's', 11, ax->ylabel);
}
