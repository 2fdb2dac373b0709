/* svg.h: SVG figures: primitives and the attention/contact figures built on them.
 *
 * Heatmaps go in as PNG images (data: URIs, drawn pixelated), as plotting
 * libraries do for images: an L x L map as L^2 rectangles would be megabytes.
 * Marks, labels and frames stay vector. A figure is written either standalone
 * (XML prolog, a file for papers) or inline (an <svg> element inside an HTML
 * page: attnview's page embeds the very same figures).
 *
 * Primitives:
 *   plm_svg_Begin() / plm_svg_End()  open and close the <svg> element; End reports write errors
 *   plm_svg_Text()                   a label, XML-escaped
 *   plm_svg_Image()                  w x h RGB pixels as an embedded PNG
 *   plm_svg_Heat()                   the colour of a value in [0, 1] (white to dark blue)
 * Colours of the figures, shared with their PNG versions (figure.h):
 *   plm_svg_TruthColor()             a true-contact cell: contact, no contact, unknown
 *   plm_svg_TickStep()               residues between ticks on a contact map's edge (10, 20, 50, ...)
 *   plm_svg_TruthKey[] / plm_svg_TruthName[]   the truth values a legend shows, and their names
 *   plm_svg_MarkColor()              a top-L mark: true contact, false, unknown
 *   plm_svg_Thumb()                  an L x L map max-pooled onto p x p pixels
 * Figures:
 *   plm_svg_TopPairs()               the n highest-scoring pairs i < j with j - i >= minsep
 *   plm_svg_ContactMaps()            predicted map (top-L marked) beside the true map (shaded)
 *   plm_svg_HeadGrid()               layer x head thumbnails of attention maps (bertviz's model view)
 */
#ifndef PLM_SVG_H
#define PLM_SVG_H
#include <stdint.h>
#include <stdio.h>

#define PLM_SVG_THUMB 48   /* pixels of a head-grid thumbnail at most (max-pooled) */

int  plm_svg_Begin(FILE *fp, double w, double h, int standalone);
int  plm_svg_End(FILE *fp, char *errbuf);
void plm_svg_Text(FILE *fp, double x, double y, const char *anchor, double size, const char *text);
int  plm_svg_Image(FILE *fp, double x, double y, double w, double h, const uint8_t *rgb, int pw, int ph, char *errbuf);
void plm_svg_Heat(float v, uint8_t rgb[3]);
void plm_svg_TruthColor(uint8_t t, uint8_t rgb[3]);
int  plm_svg_TickStep(int L);
extern const uint8_t     plm_svg_TruthKey[3];
extern const char *const plm_svg_TruthName[3];
void plm_svg_MarkColor(uint8_t t, uint8_t rgb[3]);
void plm_svg_Thumb(const float *a, int L, int p, uint8_t *rgb);

int  plm_svg_TopPairs(const float *score, int L, int minsep, int n, int **ret_pairs, int *ret_n, char *errbuf);
int  plm_svg_ContactMaps(FILE *fp, const float *pred, const uint8_t *truth, int L, int minsep, int standalone,
                         char *errbuf);
int  plm_svg_HeadGrid(FILE *fp, const float *att, int nl, int nh, int L, const int *layer_ids, const int *head_ids,
                      int standalone, char *errbuf);

#endif
