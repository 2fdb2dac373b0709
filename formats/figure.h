/* figure.h: figures drawn once and written twice, as SVG and as PNG.
 *
 * A figure is a list of marks (filled rectangles, lines, text, images) in pixel
 * coordinates. The SVG writer (svg.h's primitives) renders them as vector
 * marks; the PNG writer rasterizes them (png.h), text in a fixed 6 x 10
 * bitmap font (figfont.h), so the PNG is a quick look where SVG is not shown
 * and the SVG the figure for papers. A mark that cannot be
 * stored marks the figure failed, and the writers report it (as ferror()
 * does for stdio), so drawing code needs no status per mark.
 *
 * Plots built on the marks, sized by their data (any layers x heads):
 *   plm_fig_Grid()     a heat grid of nr x nc values, labelled rows and columns, NaN cells grey
 *   plm_fig_Bars()     horizontal bars, one per row, aligned with a grid's rows
 *   plm_fig_Lines()    series over a shared x axis (e.g. a value per layer), with a legend; the y axis includes 0
 *   plm_fig_ColorBar() the grid's scale, min to max
 *   plm_fig_Scatter()  points with numbered axes, optional labels and a fitted line (figscatter.c)
 *   plm_fig_Ticks()    "nice" tick values over a range (figscatter.c)
 * attnview's figures for papers, in svg.h's colours, one figure pixel per pixel at any L:
 *   plm_fig_ContactMap() an L x L map: predicted above the diagonal (top-L marked), true below
 *   plm_fig_HeadGrid()   layer x head attention thumbnails, as plm_svg_HeadGrid()
 *
 *   plm_fig_Create() / plm_fig_Destroy()
 *   plm_fig_Rect() plm_fig_Line() plm_fig_Text() plm_fig_Image()   the marks
 *   plm_fig_WriteSVG() plm_fig_WritePNG()          to a file
 *   plm_fig_Color()    sequential (white to blue) or diverging (red, white, blue) colour of a value
 */
#ifndef PLM_FIGURE_H
#define PLM_FIGURE_H
#include <stdint.h>

#define PLM_FIG_MAXSIDE 16384   /* pixels, each side */

typedef struct plm_fig_mark {
  char     kind;            /* 'r' rectangle, 'l' line, 't' text, 'i' image */
  double   x, y, w, h;      /* rectangle or image; line from (x, y) to (w, h); text at (x, y), size h */
  uint8_t  rgb[3];
  char    *text;            /* text: the string; its anchor in anchor */
  char     anchor;          /* 's' start, 'm' middle, 'e' end */
  uint8_t *px;              /* image: pw x ph RGB pixels (a copy), stretched to w x h */
  int      pw, ph;
} plm_fig_mark;

typedef struct plm_fig {
  double        width, height;
  plm_fig_mark *m;
  size_t        n, alloc;
  int           failed;     /* a mark could not be stored */
} plm_fig;

typedef struct plm_fig_axis {   /* labels of a plot; NULL entries are left blank */
  const char *title, *xlabel, *ylabel;
} plm_fig_axis;

int  plm_fig_Create(double width, double height, plm_fig **ret_fig, char *errbuf);
void plm_fig_Destroy(plm_fig *fig);
void plm_fig_Rect(plm_fig *fig, double x, double y, double w, double h, const uint8_t rgb[3]);
void plm_fig_Line(plm_fig *fig, double x0, double y0, double x1, double y1, const uint8_t rgb[3]);
void plm_fig_Text(plm_fig *fig, double x, double y, char anchor, double size, const char *text);
void plm_fig_Image(plm_fig *fig, double x, double y, double w, double h, const uint8_t *rgb, int pw, int ph);
void plm_fig_Color(double v, int diverging, uint8_t rgb[3]);

void plm_fig_Grid(plm_fig *fig, double x0, double y0, double cell, const double *v, int nr, int nc,
                  const char *const *rowlab, const char *const *collab, double vmin, double vmax, int diverging);
void plm_fig_Bars(plm_fig *fig, double x0, double y0, double cell, double width, const double *v, int n,
                  double vmax, double mark);
void plm_fig_Lines(plm_fig *fig, double x0, double y0, double w, double h, const double *xs, int n,
                   const double *y, int nseries, const char *const *names, const plm_fig_axis *ax);
void plm_fig_ColorBar(plm_fig *fig, double x0, double y0, double w, double vmin, double vmax, int diverging);
void plm_fig_Scatter(plm_fig *fig, double x0, double y0, double w, double h, const double *xs, const double *ys, int n,
                     const char *const *labels, const double *fit, const plm_fig_axis *ax);
int  plm_fig_Ticks(double lo, double hi, int target, double *ticks, int max);
int  plm_fig_ContactMap(const float *pred, const uint8_t *truth, int L, int minsep, plm_fig **ret_fig, char *errbuf);
int  plm_fig_HeadGrid(const float *att, int nl, int nh, int L, const int *layer_ids, const int *head_ids,
                      plm_fig **ret_fig, char *errbuf);

int  plm_fig_WriteSVG(const plm_fig *fig, const char *path, char *errbuf);
int  plm_fig_WritePNG(const plm_fig *fig, const char *path, char *errbuf);

#endif
