/* figure.c: figures as lists of marks, written as SVG and PNG (see figure.h).
 *
 *   marks:    fig_Add() plm_fig_Create() plm_fig_Destroy() plm_fig_Rect() plm_fig_Line() plm_fig_Text()
 *             plm_fig_Image() fig_Box()
 *   colour:   plm_fig_Color()
 *   plots:    plm_fig_Grid() plm_fig_Bars() axis_Range() plm_fig_Lines() plm_fig_ColorBar()
 *   attnview: plm_fig_ContactMap() plm_fig_HeadGrid()
 *   writers:  plm_fig_WriteSVG() raster_Rect() raster_Text() raster_Line() raster_Image() plm_fig_WritePNG()
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "error.h"
#include "figfont.h"
#include "figure.h"
#include "growbuf.h"
#include "png.h"
#include "svg.h"

static const uint8_t BLACK[3] = { 0, 0, 0 }, GREY[3] = { 200, 200, 200 }, MID[3] = { 120, 120, 120 },
                     FRAME[3] = { 153, 153, 153 };

/* ------------------------------------------------------------------ marks */

static plm_fig_mark *
fig_Add(plm_fig *fig, char kind, double x, double y, double w, double h, const uint8_t rgb[3])
{
  plm_fig_mark *m;
  if (fig->failed || plm_grow((void **)&fig->m, &fig->alloc, fig->n + 1, sizeof *fig->m) != PLM_OK) { fig->failed = 1; return NULL; }
  m = &fig->m[fig->n++];
  *m = (plm_fig_mark){ .kind = kind, .x = x, .y = y, .w = w, .h = h };
  memcpy(m->rgb, rgb, 3);
  return m;
}

int
plm_fig_Create(double width, double height, plm_fig **ret_fig, char *errbuf)
{
  *ret_fig = NULL;
  if (!(width >= 1.0 && height >= 1.0 && width <= PLM_FIG_MAXSIDE && height <= PLM_FIG_MAXSIDE))
    return plm_Fail(errbuf, PLM_ELIMIT, "figure of %g x %g pixels: each side must be 1..%d", width, height, PLM_FIG_MAXSIDE);
  if ((*ret_fig = calloc(1, sizeof **ret_fig)) == NULL) return plm_Fail(errbuf, PLM_EMEM, "out of memory");
  (*ret_fig)->width  = ceil(width);
  (*ret_fig)->height = ceil(height);
  return PLM_OK;
}

void
plm_fig_Destroy(plm_fig *fig)
{
  if (!fig) return;
  for (size_t i = 0; i < fig->n; i++) { free(fig->m[i].text); free(fig->m[i].px); }
  free(fig->m);
  free(fig);
}

void plm_fig_Rect(plm_fig *fig, double x, double y, double w, double h, const uint8_t rgb[3]) { fig_Add(fig, 'r', x, y, w, h, rgb); }
void plm_fig_Line(plm_fig *fig, double x0, double y0, double x1, double y1, const uint8_t rgb[3]) { fig_Add(fig, 'l', x0, y0, x1, y1, rgb); }

void
plm_fig_Text(plm_fig *fig, double x, double y, char anchor, double size, const char *text)
{
  plm_fig_mark *m = fig_Add(fig, 't', x, y, 0.0, size, BLACK);
  if (!m) return;
  m->anchor = anchor;
  if ((m->text = strdup(text)) == NULL) { fig->n--; fig->failed = 1; }
}

/* the pixels are copied, so the caller may reuse its buffer for the next image */
void
plm_fig_Image(plm_fig *fig, double x, double y, double w, double h, const uint8_t *rgb, int pw, int ph)
{
  plm_fig_mark *m = fig_Add(fig, 'i', x, y, w, h, BLACK);
  if (!m) return;
  if (pw < 1 || ph < 1 || (m->px = malloc((size_t)pw * ph * 3)) == NULL) { fig->n--; fig->failed = 1; return; }
  memcpy(m->px, rgb, (size_t)pw * ph * 3);
  m->pw = pw;
  m->ph = ph;
}

/* a 1-pixel outline just inside the box */
static void
fig_Box(plm_fig *fig, double x, double y, double w, double h, const uint8_t rgb[3])
{
  plm_fig_Rect(fig, x, y, w, 1, rgb);
  plm_fig_Rect(fig, x, y + h - 1, w, 1, rgb);
  plm_fig_Rect(fig, x, y, 1, h, rgb);
  plm_fig_Rect(fig, x + w - 1, y, 1, h, rgb);
}

/* sequential: white (0) to ColorBrewer's darkest blue (1), as svg.h's heat;
 * diverging: red (-1), white (0), blue (+1) */
void
plm_fig_Color(double v, int diverging, uint8_t rgb[3])
{
  static const double blue[3] = { 8.0, 48.0, 107.0 }, red[3] = { 178.0, 24.0, 43.0 };
  const double       *hi = diverging && v < 0.0 ? red : blue;
  double              t = fabs(v);
  if (isnan(v)) { memcpy(rgb, GREY, 3); return; }
  if (!diverging && v < 0.0) t = 0.0;
  if (t > 1.0) t = 1.0;
  for (int k = 0; k < 3; k++) rgb[k] = (uint8_t)(255.0 + (hi[k] - 255.0) * t + 0.5);
}

/* ------------------------------------------------------------------ plots */

/* nr x nc cells of side cell from (x0, y0); row labels on the left, column labels above */
void
plm_fig_Grid(plm_fig *fig, double x0, double y0, double cell, const double *v, int nr, int nc,
             const char *const *rowlab, const char *const *collab, double vmin, double vmax, int diverging)
{
  uint8_t rgb[3];
  double  span = vmax > vmin ? vmax - vmin : 1.0, fs = fmin(11.0, cell * 0.6);

  for (int r = 0; r < nr; r++) {
    plm_fig_Text(fig, x0 - 4, y0 + (r + 0.5) * cell + fs * 0.35, 'e', fs, rowlab[r]);
    for (int c = 0; c < nc; c++) {
      double x = v[(size_t)r * nc + c];
      plm_fig_Color(diverging ? x / fmax(fabs(vmin), fabs(vmax)) : (x - vmin) / span, diverging, rgb);
      plm_fig_Rect(fig, x0 + c * cell, y0 + r * cell, cell, cell, rgb);
    }
  }
  for (int c = 0; c < nc; c++)
    if (nc <= 40 || c % ((nc + 39) / 40) == 0) plm_fig_Text(fig, x0 + (c + 0.5) * cell, y0 - 4, 'm', fs, collab[c]);
}

/* bar r of length v[r] / vmax * width at row r of a grid of pitch cell; a grey
 * line at mark (e.g. the background) unless NaN */
void
plm_fig_Bars(plm_fig *fig, double x0, double y0, double cell, double width, const double *v, int n, double vmax, double mark)
{
  char lab[32];
  for (int r = 0; r < n; r++) {
    double len = isnan(v[r]) || !(vmax > 0.0) ? 0.0 : v[r] / vmax * width;
    plm_fig_Rect(fig, x0, y0 + r * cell + cell * 0.15, len, cell * 0.7, MID);
    if (cell >= 8.0 && !isnan(v[r])) {
      snprintf(lab, sizeof lab, "%.3f", v[r]);
      plm_fig_Text(fig, x0 + len + 3, y0 + (r + 0.5) * cell + 3.5, 's', 9, lab);
    }
  }
  plm_fig_Line(fig, x0, y0, x0, y0 + n * cell, BLACK);
  if (!isnan(mark) && vmax > 0.0)
    plm_fig_Line(fig, x0 + mark / vmax * width, y0, x0 + mark / vmax * width, y0 + n * cell, GREY);
}

/* min and max of the finite values, widened when flat */
static void
axis_Range(const double *v, size_t n, double *lo, double *hi)
{
  *lo = INFINITY; *hi = -INFINITY;
  for (size_t i = 0; i < n; i++) if (isfinite(v[i])) { *lo = fmin(*lo, v[i]); *hi = fmax(*hi, v[i]); }
  if (!isfinite(*lo)) { *lo = 0.0; *hi = 1.0; }
  if (*hi - *lo < 1e-12) { *lo -= 0.5; *hi += 0.5; }
}

/* y[s * n + i] of series s at xs[i], in the box (x0, y0, w, h); the legend right of the box */
void
plm_fig_Lines(plm_fig *fig, double x0, double y0, double w, double h, const double *xs, int n,
              const double *y, int nseries, const char *const *names, const plm_fig_axis *ax)
{
  static const uint8_t pal[8][3] = { { 31, 119, 180 }, { 255, 127, 14 }, { 44, 160, 44 }, { 214, 39, 40 },
                                     { 148, 103, 189 }, { 140, 86, 75 }, { 227, 119, 194 }, { 127, 127, 127 } };
  double xlo, xhi, ylo, yhi;
  char   lab[32];

  axis_Range(xs, (size_t)n, &xlo, &xhi);
  axis_Range(y, (size_t)n * nseries, &ylo, &yhi);
  /* the value axis always reaches 0, so a 3% wiggle does not fill the plot's height */
  if (ylo > 0.0) ylo = 0.0;
  if (yhi < 0.0) yhi = 0.0;
#define PX(v) (x0 + ((v) - xlo) / (xhi - xlo) * w)
#define PY(v) (y0 + h - ((v) - ylo) / (yhi - ylo) * h)
  plm_fig_Line(fig, x0, y0 + h, x0 + w, y0 + h, BLACK);
  plm_fig_Line(fig, x0, y0, x0, y0 + h, BLACK);
  for (int i = 0; i < n; i++)
    if (n <= 40 || i % ((n + 39) / 40) == 0) {
      snprintf(lab, sizeof lab, "%g", xs[i]);
      plm_fig_Line(fig, PX(xs[i]), y0 + h, PX(xs[i]), y0 + h + 4, BLACK);
      plm_fig_Text(fig, PX(xs[i]), y0 + h + 15, 'm', 10, lab);
    }
  for (int t = 0; t <= 4; t++) {
    double v = ylo + (yhi - ylo) * t / 4.0;
    snprintf(lab, sizeof lab, "%.3g", v);
    plm_fig_Line(fig, x0 - 4, PY(v), x0, PY(v), BLACK);
    plm_fig_Text(fig, x0 - 6, PY(v) + 3.5, 'e', 10, lab);
  }
  for (int s = 0; s < nseries; s++) {
    const uint8_t *c = pal[s % 8];
    const double  *ys = y + (size_t)s * n;
    for (int i = 0; i < n; i++) {
      if (!isfinite(ys[i])) continue;
      plm_fig_Rect(fig, PX(xs[i]) - 2, PY(ys[i]) - 2, 4, 4, c);
      if (i + 1 < n && isfinite(ys[i + 1])) plm_fig_Line(fig, PX(xs[i]), PY(ys[i]), PX(xs[i + 1]), PY(ys[i + 1]), c);
    }
    plm_fig_Rect(fig, x0 + w + 12, y0 + 14 * s + 2, 10, 4, c);
    plm_fig_Text(fig, x0 + w + 26, y0 + 14 * s + 8, 's', 10, names[s]);
  }
#undef PX
#undef PY
  if (ax->title)  plm_fig_Text(fig, 10, 18, 's', 13, ax->title);
  if (ax->xlabel) plm_fig_Text(fig, x0 + w / 2, y0 + h + 32, 'm', 11, ax->xlabel);
  if (ax->ylabel) plm_fig_Text(fig, x0 - 10, y0 - 10, 's', 11, ax->ylabel);
}

void
plm_fig_ColorBar(plm_fig *fig, double x0, double y0, double w, double vmin, double vmax, int diverging)
{
  char    lab[32];
  uint8_t rgb[3];
  for (int i = 0; i < 50; i++) {
    double t = (i + 0.5) / 50.0;
    plm_fig_Color(diverging ? 2.0 * t - 1.0 : t, diverging, rgb);
    plm_fig_Rect(fig, x0 + w * i / 50.0, y0, w / 50.0 + 0.5, 10, rgb);
  }
  snprintf(lab, sizeof lab, "%.3g", vmin);
  plm_fig_Text(fig, x0, y0 + 22, 's', 10, lab);
  snprintf(lab, sizeof lab, "%.3g", vmax);
  plm_fig_Text(fig, x0 + w, y0 + 22, 'e', 10, lab);
}

/* ------------------------------------------------------- attnview figures */

/* One panel, not svg.h's two: each residue pair is s x s pixels, s a whole
 * number so every cell is alike, small proteins scaled up to about MAPSIDE.
 * Above the diagonal the predicted probabilities (grey without a contacts
 * tensor), top-L pairs outlined; on and below it the true contacts. Residue
 * numbers (1-based) tick the top and left edges; a legend under the map gives
 * the probability scale and the truth colours. */
#define MAPSIDE 480
#define MAP_X0  40.0
#define MAP_Y0  48.0
#define MAP_FOOT 62.0    /* the caption and the legend under the map */

/* residue numbers (1-based) along the top and left edges */
static void
map_Ticks(plm_fig *fig, int L, int s)
{
  int  step = plm_svg_TickStep(L);
  char lab[16];

  for (int r = step; r <= L; r += step) {
    double c = (r - 0.5) * s;
    snprintf(lab, sizeof lab, "%d", r);
    plm_fig_Line(fig, MAP_X0 + c, MAP_Y0 - 5, MAP_X0 + c, MAP_Y0 - 1, BLACK);
    plm_fig_Text(fig, MAP_X0 + c, MAP_Y0 - 7, 'm', 10, lab);
    plm_fig_Line(fig, MAP_X0 - 5, MAP_Y0 + c, MAP_X0 - 1, MAP_Y0 + c, BLACK);
    plm_fig_Text(fig, MAP_X0 - 7, MAP_Y0 + c + 3.5, 'e', 10, lab);
  }
}

/* the probability strip (0 to 1, the colours of the upper triangle) and swatches of the truth */
static void
map_Legend(plm_fig *fig, double x, double y)
{
  uint8_t rgb[3];

  plm_fig_Text(fig, x, y + 9, 's', 10, "P(contact)");
  for (int i = 0; i < 50; i++) {
    plm_svg_Heat((i + 0.5f) / 50.0f, rgb);
    plm_fig_Rect(fig, x + 66 + 2 * i, y, 2.5, 10, rgb);
  }
  fig_Box(fig, x + 66, y, 100, 10, FRAME);
  plm_fig_Text(fig, x + 66, y + 22, 'm', 10, "0");
  plm_fig_Text(fig, x + 166, y + 22, 'm', 10, "1");
  plm_fig_Text(fig, x + 190, y + 9, 's', 10, "true:");
  for (int k = 0; k < 3; k++) {
    plm_svg_TruthColor(plm_svg_TruthKey[k], rgb);
    plm_fig_Rect(fig, x + 226 + 74 * k, y, 10, 10, rgb);
    fig_Box(fig, x + 226 + 74 * k, y, 10, 10, FRAME);
    plm_fig_Text(fig, x + 240 + 74 * k, y + 9, 's', 10, plm_svg_TruthName[k]);
  }
}

int
plm_fig_ContactMap(const float *pred, const uint8_t *truth, int L, int minsep, plm_fig **ret_fig, char *errbuf)
{
  int      s = L < MAPSIDE ? MAPSIDE / L : 1, side, *pairs = NULL, n = 0, ntrue = 0, status;
  double   x0 = MAP_X0, y0 = MAP_Y0;
  uint8_t *rgb = NULL, col[3];
  plm_fig *fig = NULL;
  char     line[128];

  *ret_fig = NULL;
  if (L < 1) return plm_Fail(errbuf, PLM_EINVAL, "contact map of no residues");
  side = L * s;
  PLM_XCHECK(plm_fig_Create(x0 + 20 + (side > 460 ? side : 460), y0 + side + MAP_FOOT, &fig, errbuf));
  if ((rgb = malloc((size_t)L * L * 3)) == NULL) PLM_XFAIL(PLM_EMEM, errbuf, "out of memory");
  for (int i = 0; i < L; i++)
    for (int j = 0; j < L; j++) {
      uint8_t *px = rgb + 3 * ((size_t)i * L + j);
      if (j <= i)    plm_svg_TruthColor(truth ? truth[(size_t)i * L + j] : 255, px);
      else if (pred) plm_svg_Heat(pred[(size_t)i * L + j], px);
      else           memcpy(px, GREY, 3);
    }
  plm_fig_Image(fig, x0, y0, side, side, rgb, L, L);
  if (pred) PLM_XCHECK(plm_svg_TopPairs(pred, L, minsep, L, &pairs, &n, errbuf));
  for (int k = 0; k < n; k++) {
    int     i = pairs[2 * k], j = pairs[2 * k + 1];
    uint8_t t = truth ? truth[(size_t)i * L + j] : 255;
    ntrue += t == 1;
    plm_svg_MarkColor(t, col);
    fig_Box(fig, x0 + j * s, y0 + i * s, s, s, col);
  }
  fig_Box(fig, x0 - 1, y0 - 1, side + 2, side + 2, BLACK);
  plm_fig_Text(fig, x0, 20, 's', 12, pred ? "above: predicted (contacts), top-L boxed; below: true"
                                          : "above: no contacts tensor; below: true contacts");
  if (pred && truth) snprintf(line, sizeof line, "top-L (L=%d, |i-j|>=%d): %d of %d true (green), false red", L, minsep, ntrue, n);
  else               snprintf(line, sizeof line, "L=%d", L);
  plm_fig_Text(fig, x0, y0 + side + 20, 's', 12, line);
  map_Ticks(fig, L, s);
  map_Legend(fig, x0, y0 + side + 32);
  *ret_fig = fig;
  fig = NULL;
  status = PLM_OK;
 ERROR:
  plm_fig_Destroy(fig);
  free(rgb);
  free(pairs);
  return status;
}

/* thumbnails of PLM_SVG_THUMB pixels at most, each map pixel a whole number of figure pixels */
int
plm_fig_HeadGrid(const float *att, int nl, int nh, int L, const int *layer_ids, const int *head_ids,
                 plm_fig **ret_fig, char *errbuf)
{
  int      p = L < PLM_SVG_THUMB ? L : PLM_SVG_THUMB, side, status;
  double   x0 = 30, y0 = 24, pitch;
  uint8_t *rgb = NULL;
  plm_fig *fig = NULL;
  char     lab[32];

  *ret_fig = NULL;
  if (L < 1 || nl < 1 || nh < 1) return plm_Fail(errbuf, PLM_EINVAL, "head grid of no maps");
  side  = p * (PLM_SVG_THUMB / p);
  pitch = side + 6;
  PLM_XCHECK(plm_fig_Create(x0 + nh * pitch + 10, y0 + nl * pitch + 10, &fig, errbuf));
  if ((rgb = malloc((size_t)p * p * 3)) == NULL) PLM_XFAIL(PLM_EMEM, errbuf, "out of memory");
  for (int h = 0; h < nh; h++) {
    snprintf(lab, sizeof lab, "H%d", head_ids[h]);
    plm_fig_Text(fig, x0 + (h + 0.5) * pitch, y0 - 8, 'm', 11, lab);
  }
  for (int l = 0; l < nl; l++) {
    snprintf(lab, sizeof lab, "L%d", layer_ids[l]);
    plm_fig_Text(fig, x0 - 4, y0 + (l + 0.5) * pitch + 4, 'e', 11, lab);
    for (int h = 0; h < nh; h++) {
      double x = x0 + h * pitch + 3, y = y0 + l * pitch + 3;
      plm_svg_Thumb(att + ((size_t)l * nh + h) * (size_t)L * L, L, p, rgb);
      plm_fig_Image(fig, x, y, side, side, rgb, p, p);
      fig_Box(fig, x - 1, y - 1, side + 2, side + 2, FRAME);
    }
  }
  *ret_fig = fig;
  fig = NULL;
  status = PLM_OK;
 ERROR:
  plm_fig_Destroy(fig);
  free(rgb);
  return status;
}

/* ---------------------------------------------------------------- writers */

int
plm_fig_WriteSVG(const plm_fig *fig, const char *path, char *errbuf)
{
  FILE *fp;
  int   status;

  if (fig->failed) return plm_Fail(errbuf, PLM_EMEM, "%s: out of memory drawing the figure", path);
  if ((fp = fopen(path, "w")) == NULL) return plm_Fail(errbuf, PLM_EIO, "%s: %s", path, strerror(errno));
  plm_svg_Begin(fp, fig->width, fig->height, 1);
  fputs("<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n", fp);
  status = PLM_OK;
  for (size_t i = 0; i < fig->n && status == PLM_OK; i++) {
    const plm_fig_mark *m = &fig->m[i];
    if (m->kind == 'r')
      fprintf(fp, "<rect x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" height=\"%.2f\" fill=\"#%02x%02x%02x\"/>\n", m->x, m->y, m->w, m->h,
              m->rgb[0], m->rgb[1], m->rgb[2]);
    else if (m->kind == 'l')
      fprintf(fp, "<line x1=\"%.2f\" y1=\"%.2f\" x2=\"%.2f\" y2=\"%.2f\" stroke=\"#%02x%02x%02x\"/>\n", m->x, m->y, m->w, m->h,
              m->rgb[0], m->rgb[1], m->rgb[2]);
    else if (m->kind == 'i') status = plm_svg_Image(fp, m->x, m->y, m->w, m->h, m->px, m->pw, m->ph, errbuf);
    else plm_svg_Text(fp, m->x, m->y, m->anchor == 's' ? "start" : m->anchor == 'm' ? "middle" : "end", m->h, m->text);
  }
  if (status == PLM_OK) status = plm_svg_End(fp, errbuf);
  if (fclose(fp) != 0 && status == PLM_OK) status = plm_Fail(errbuf, PLM_EIO, "%s: write failed", path);
  return status;
}

static void
raster_Rect(uint8_t *px, int W, int H, const plm_fig_mark *m)
{
  int x0 = (int)fmax(0.0, floor(m->x + 0.5)), x1 = (int)fmin(W, floor(m->x + m->w + 0.5));
  int y0 = (int)fmax(0.0, floor(m->y + 0.5)), y1 = (int)fmin(H, floor(m->y + m->h + 0.5));
  for (int y = y0; y < y1; y++)
    for (int x = x0; x < x1; x++) memcpy(px + 3 * ((size_t)y * W + x), m->rgb, 3);
}

/* the bitmap font, doubled from 16 px up; a non-printable character is drawn as '?' */
static void
raster_Text(uint8_t *px, int W, int H, const plm_fig_mark *m)
{
  int    sc = m->h >= 16.0 ? 2 : 1, n = (int)strlen(m->text), w = n * PLM_FIGFONT_COLS * sc;
  double x0 = m->anchor == 's' ? m->x : m->anchor == 'm' ? m->x - w / 2.0 : m->x - w;
  int    xl = (int)floor(x0 + 0.5), yt = (int)floor(m->y + 0.5) - PLM_FIGFONT_ASCENT * sc;

  for (int k = 0; k < n; k++) {
    unsigned char  c = (unsigned char)m->text[k];
    const uint8_t *g = plm_figfont_Glyph[(c >= 32 && c < 127 ? c : '?') - 32];
    for (int r = 0; r < PLM_FIGFONT_ROWS * sc; r++)
      for (int b = 0; b < PLM_FIGFONT_COLS * sc; b++) {
        int x = xl + (k * PLM_FIGFONT_COLS) * sc + b, y = yt + r;
        if ((g[r / sc] >> (PLM_FIGFONT_COLS - 1 - b / sc) & 1) && x >= 0 && x < W && y >= 0 && y < H)
          memcpy(px + 3 * ((size_t)y * W + x), m->rgb, 3);
      }
  }
}

/* one pixel per step along the longer axis */
static void
raster_Line(uint8_t *px, int W, int H, const plm_fig_mark *m)
{
  double dx = m->w - m->x, dy = m->h - m->y;
  int    n = (int)fmin(2.0 * PLM_FIG_MAXSIDE, ceil(fmax(fabs(dx), fabs(dy)))) + 1;
  for (int i = 0; i < n; i++) {
    int x = (int)floor(m->x + dx * i / (n > 1 ? n - 1 : 1)), y = (int)floor(m->y + dy * i / (n > 1 ? n - 1 : 1));
    if (x >= 0 && x < W && y >= 0 && y < H) memcpy(px + 3 * ((size_t)y * W + x), m->rgb, 3);
  }
}

/* nearest pixel, so an image drawn at a whole multiple of its size is exact */
static void
raster_Image(uint8_t *px, int W, int H, const plm_fig_mark *m)
{
  int x0 = (int)floor(m->x + 0.5), w = (int)floor(m->x + m->w + 0.5) - x0;
  int y0 = (int)floor(m->y + 0.5), h = (int)floor(m->y + m->h + 0.5) - y0;
  for (int y = y0 > 0 ? y0 : 0; y < y0 + h && y < H; y++)
    for (int x = x0 > 0 ? x0 : 0; x < x0 + w && x < W; x++)
      memcpy(px + 3 * ((size_t)y * W + x), m->px + 3 * ((size_t)((y - y0) * m->ph / h) * m->pw + (x - x0) * m->pw / w), 3);
}

int
plm_fig_WritePNG(const plm_fig *fig, const char *path, char *errbuf)
{
  int      W = (int)fig->width, H = (int)fig->height, status;
  uint8_t *px = NULL, *png = NULL;
  size_t   n;
  FILE    *fp = NULL;

  if (fig->failed) return plm_Fail(errbuf, PLM_EMEM, "%s: out of memory drawing the figure", path);
  if ((px = malloc((size_t)W * H * 3)) == NULL) return plm_Fail(errbuf, PLM_EMEM, "out of memory");
  memset(px, 255, (size_t)W * H * 3);
  for (size_t i = 0; i < fig->n; i++) {
    if (fig->m[i].kind == 'r') raster_Rect(px, W, H, &fig->m[i]);
    else if (fig->m[i].kind == 'l') raster_Line(px, W, H, &fig->m[i]);
    else if (fig->m[i].kind == 'i') raster_Image(px, W, H, &fig->m[i]);
    else raster_Text(px, W, H, &fig->m[i]);
  }
  PLM_XCHECK(plm_png_EncodeRGB(px, W, H, &png, &n, errbuf));
  if ((fp = fopen(path, "wb")) == NULL) PLM_XFAIL(PLM_EIO, errbuf, "%s: %s", path, strerror(errno));
  if (fwrite(png, 1, n, fp) != n) PLM_XFAIL(PLM_EIO, errbuf, "%s: write failed", path);
  status = PLM_OK;
 ERROR:
  if (fp && fclose(fp) != 0 && status == PLM_OK) status = plm_Fail(errbuf, PLM_EIO, "%s: write failed", path);
  free(px);
  free(png);
  return status;
}
