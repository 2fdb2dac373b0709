/* svg.c: SVG primitives and figures (see svg.h).
 *
 *   primitives: plm_svg_Begin() plm_svg_End() plm_svg_Text() plm_svg_Image() plm_svg_Heat()
 *   colours:    plm_svg_TruthColor() plm_svg_MarkColor() plm_svg_Thumb()
 *   contacts:   plm_svg_TopPairs() contact_Pixels() contact_Marks() plm_svg_ContactMaps()
 *   heads:      plm_svg_HeadGrid()
 */
#include <stdlib.h>
#include <string.h>
#include "base64.h"
#include "error.h"
#include "png.h"
#include "svg.h"

#define PANEL  300.0   /* side of a contact-map panel, px */
#define MARGIN 30.0
#define CELL   56.0    /* head-grid pitch, px */

/* ---------------- primitives ---------------- */

int
plm_svg_Begin(FILE *fp, double w, double h, int standalone)
{
  if (standalone) fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n", fp);
  fprintf(fp, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%g\" height=\"%g\" viewBox=\"0 0 %g %g\" "
              "font-family=\"sans-serif\">\n", w, h, w, h);
  return ferror(fp) ? PLM_EIO : PLM_OK;
}

int
plm_svg_End(FILE *fp, char *errbuf)
{
  fputs("</svg>\n", fp);
  return ferror(fp) ? plm_Fail(errbuf, PLM_EIO, "SVG: write failed") : PLM_OK;
}

void
plm_svg_Text(FILE *fp, double x, double y, const char *anchor, double size, const char *text)
{
  fprintf(fp, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\" font-size=\"%g\">", x, y, anchor, size);
  for (const char *c = text; *c; c++)
    switch (*c) {
    case '<': fputs("&lt;", fp); break;
    case '>': fputs("&gt;", fp); break;
    case '&': fputs("&amp;", fp); break;
    default:  fputc(*c, fp);
    }
  fputs("</text>\n", fp);
}

int
plm_svg_Image(FILE *fp, double x, double y, double w, double h, const uint8_t *rgb, int pw, int ph, char *errbuf)
{
  uint8_t *png = NULL;
  size_t   n;
  int      status;

  PLM_XCHECK(plm_png_EncodeRGB(rgb, pw, ph, &png, &n, errbuf));
  fprintf(fp, "<image x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" preserveAspectRatio=\"none\" "
              "style=\"image-rendering:pixelated\" href=\"data:image/png;base64,", x, y, w, h);
  PLM_XCHECK(plm_base64_Write(fp, png, n, errbuf));
  fputs("\"/>\n", fp);
 ERROR:
  free(png);
  return status;
}

/* white (0) to ColorBrewer's darkest blue (1), linear in RGB */
void
plm_svg_Heat(float v, uint8_t rgb[3])
{
  static const float hi[3] = { 8.0f, 48.0f, 107.0f };
  v = v < 0.0f ? 0.0f : (v > 1.0f ? 1.0f : v);
  for (int k = 0; k < 3; k++) rgb[k] = (uint8_t)(255.0f + (hi[k] - 255.0f) * v + 0.5f);
}

/* ---------------- colours of the figures ---------------- */

/* contact dark grey, none white, unknown (255) light red */
void
plm_svg_TruthColor(uint8_t t, uint8_t rgb[3])
{
  if      (t == 1) rgb[0] = rgb[1] = rgb[2] = 90;
  else if (t == 0) rgb[0] = rgb[1] = rgb[2] = 255;
  else { rgb[0] = 250; rgb[1] = 220; rgb[2] = 220; }
}

/* green when a true contact, red when not, grey when unknown (ColorBrewer's RdYlGn ends) */
void
plm_svg_MarkColor(uint8_t t, uint8_t rgb[3])
{
  static const uint8_t col[3][3] = { { 0xd7, 0x19, 0x1c }, { 0x1a, 0x96, 0x41 }, { 0x88, 0x88, 0x88 } };
  memcpy(rgb, col[t < 2 ? t : 2], 3);
}

/* max-pool an L x L map onto p x p pixels, scaled by the map's own maximum so
 * every head's pattern is visible whatever its range */
void
plm_svg_Thumb(const float *a, int L, int p, uint8_t *rgb)
{
  float mx = 0.0f;
  for (size_t c = 0; c < (size_t)L * L; c++) if (a[c] > mx) mx = a[c];
  for (int y = 0; y < p; y++)
    for (int x = 0; x < p; x++) {
      float v = 0.0f;
      for (int i = y * L / p; i < (y + 1) * L / p; i++)
        for (int j = x * L / p; j < (x + 1) * L / p; j++) if (a[(size_t)i * L + j] > v) v = a[(size_t)i * L + j];
      plm_svg_Heat(mx > 0.0f ? v / mx : 0.0f, rgb + 3 * ((size_t)y * p + x));
    }
}

/* ---------------- contact maps ---------------- */

typedef struct { float s; int i, j; } scored;

static int
scored_Cmp(const void *a, const void *b)
{
  const scored *x = a, *y = b;
  if (x->s != y->s) return x->s < y->s ? 1 : -1;
  return x->i != y->i ? x->i - y->i : x->j - y->j;   /* ties: a stable, documented order */
}

int
plm_svg_TopPairs(const float *score, int L, int minsep, int n, int **ret_pairs, int *ret_n, char *errbuf)
{
  scored *all = NULL;
  int    *pairs = NULL;
  size_t  m = 0;
  int     status;

  *ret_pairs = NULL;
  *ret_n     = 0;
  if (minsep < 1) minsep = 1;
  if (L > minsep && (all = malloc(sizeof *all * (size_t)(L - minsep) * (size_t)(L - minsep + 1) / 2)) == NULL)
    PLM_XFAIL(PLM_EMEM, errbuf, "out of memory");
  for (int i = 0; i < L; i++)
    for (int j = i + minsep; j < L; j++) all[m++] = (scored){ score[(size_t)i * L + j], i, j };
  qsort(all, m, sizeof *all, scored_Cmp);
  if ((size_t)n > m) n = (int)m;
  if (n > 0 && (pairs = malloc(sizeof *pairs * 2 * (size_t)n)) == NULL) PLM_XFAIL(PLM_EMEM, errbuf, "out of memory");
  for (int k = 0; k < n; k++) { pairs[2 * k] = all[k].i; pairs[2 * k + 1] = all[k].j; }
  free(all);
  *ret_pairs = pairs;
  *ret_n     = n;
  return PLM_OK;
 ERROR:
  free(all);
  return status;
}

/* the L x L map as pixels: predicted probabilities as heat, or true contacts shaded */
static void
contact_Pixels(const float *pred, const uint8_t *truth, int L, uint8_t *rgb)
{
  for (size_t c = 0; c < (size_t)L * L; c++)
    if (pred) plm_svg_Heat(pred[c], rgb + 3 * c);
    else      plm_svg_TruthColor(truth[c], rgb + 3 * c);
}

/* top-L pairs as circles coloured by plm_svg_MarkColor() */
static void
contact_Marks(FILE *fp, double x0, double y0, const int *pairs, int n, const uint8_t *truth, int L)
{
  double  s = PANEL / L, r = s * 0.45 > 1.5 ? s * 0.45 : 1.5;
  uint8_t col[3];
  for (int k = 0; k < n; k++) {
    int i = pairs[2 * k], j = pairs[2 * k + 1];
    plm_svg_MarkColor(truth ? truth[(size_t)i * L + j] : 255, col);
    fprintf(fp, "<circle class=\"topl\" cx=\"%.2f\" cy=\"%.2f\" r=\"%.2f\" fill=\"none\" stroke=\"#%02x%02x%02x\" stroke-width=\"1\"/>\n",
            x0 + (j + 0.5) * s, y0 + (i + 0.5) * s, r, col[0], col[1], col[2]);
  }
}

/* one panel: frame, image or a note, caption */
static int
contact_Panel(FILE *fp, double x0, const float *pred, const uint8_t *truth, int L, const char *caption,
              uint8_t *rgb, char *errbuf)
{
  int status = PLM_OK;
  if (pred || truth) {
    contact_Pixels(pred, truth, L, rgb);
    status = plm_svg_Image(fp, x0, MARGIN, PANEL, PANEL, rgb, L, L, errbuf);
  }
  else plm_svg_Text(fp, x0 + PANEL / 2, MARGIN + PANEL / 2, "middle", 12, "(absent)");
  fprintf(fp, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"none\" stroke=\"black\"/>\n",
          x0, MARGIN, PANEL, PANEL);
  plm_svg_Text(fp, x0 + PANEL / 2, MARGIN - 10, "middle", 13, caption);
  return status;
}

const uint8_t     plm_svg_TruthKey[3]  = { 1, 0, 255 };
const char *const plm_svg_TruthName[3] = { "contact", "none", "unknown" };

/* at most about 10 ticks along a side */
int
plm_svg_TickStep(int L)
{
  static const int steps[] = { 10, 20, 50, 100, 200, 500, 1000, 2000, 5000 };
  int step = steps[0];
  for (size_t k = 0; k < sizeof steps / sizeof *steps && L / step > 10; k++) step = steps[k];
  return step;
}

/* residue numbers (1-based) along the bottom and left edges of a panel */
static void
contact_Ticks(FILE *fp, double x0, int L)
{
  int  step = plm_svg_TickStep(L);
  char lab[16];

  for (int r = step; r <= L; r += step) {
    double c = (r - 0.5) * PANEL / L;
    snprintf(lab, sizeof lab, "%d", r);
    fprintf(fp, "<path class=\"tick\" d=\"M%.1f %.1fv4M%.1f %.1fh-4\" stroke=\"black\"/>\n",
            x0 + c, MARGIN + PANEL, x0, MARGIN + c);
    plm_svg_Text(fp, x0 + c, MARGIN + PANEL + 14, "middle", 9, lab);
    plm_svg_Text(fp, x0 - 5, MARGIN + c + 3, "end", 9, lab);
  }
}

/* the probability scale of the predicted panel and the colours of the true one */
static void
contact_Legend(FILE *fp, double x, double y)
{
  uint8_t rgb[3];

  plm_svg_Text(fp, x, y + 9, "start", 10, "P(contact) 0");
  for (int i = 0; i < 50; i++) {
    plm_svg_Heat((i + 0.5f) / 50.0f, rgb);
    fprintf(fp, "<rect x=\"%.1f\" y=\"%.1f\" width=\"2.5\" height=\"10\" fill=\"#%02x%02x%02x\"/>\n",
            x + 72 + 2 * i, y, rgb[0], rgb[1], rgb[2]);
  }
  plm_svg_Text(fp, x + 176, y + 9, "start", 10, "1");
  plm_svg_Text(fp, x + PANEL + MARGIN, y + 9, "start", 10, "true:");
  for (int k = 0; k < 3; k++) {
    plm_svg_TruthColor(plm_svg_TruthKey[k], rgb);
    fprintf(fp, "<rect x=\"%.1f\" y=\"%.1f\" width=\"10\" height=\"10\" fill=\"#%02x%02x%02x\" stroke=\"#999\"/>\n",
            x + PANEL + MARGIN + 32 + 74 * k, y, rgb[0], rgb[1], rgb[2]);
    plm_svg_Text(fp, x + PANEL + MARGIN + 46 + 74 * k, y + 9, "start", 10, plm_svg_TruthName[k]);
  }
}

int
plm_svg_ContactMaps(FILE *fp, const float *pred, const uint8_t *truth, int L, int minsep, int standalone,
                    char *errbuf)
{
  uint8_t *rgb = NULL;
  int     *pairs = NULL, n = 0, ntrue = 0;
  char     line[128];
  int      status;

  if (L < 1) return plm_Fail(errbuf, PLM_EINVAL, "contact map of no residues");
  if ((rgb = malloc((size_t)L * L * 3)) == NULL) PLM_XFAIL(PLM_EMEM, errbuf, "out of memory");
  if (pred) PLM_XCHECK(plm_svg_TopPairs(pred, L, minsep, L, &pairs, &n, errbuf));
  for (int k = 0; truth && k < n; k++) ntrue += truth[(size_t)pairs[2 * k] * L + pairs[2 * k + 1]] == 1;
  plm_svg_Begin(fp, 2 * PANEL + 3 * MARGIN, PANEL + 3.5 * MARGIN, standalone);
  fputs("<g class=\"contactmaps\">\n", fp);
  PLM_XCHECK(contact_Panel(fp, MARGIN, pred, NULL, L, "predicted (contacts), top-L marked", rgb, errbuf));
  contact_Marks(fp, MARGIN, MARGIN, pairs, n, truth, L);
  PLM_XCHECK(contact_Panel(fp, 2 * MARGIN + PANEL, NULL, truth, L, "true contacts (contacts_true)", rgb, errbuf));
  contact_Marks(fp, 2 * MARGIN + PANEL, MARGIN, pairs, n, truth, L);
  if (pred && truth) snprintf(line, sizeof line, "top-L (L=%d, |i-j|>=%d): %d of %d true (green), false red", L, minsep, ntrue, n);
  else               snprintf(line, sizeof line, "L=%d", L);
  plm_svg_Text(fp, MARGIN, PANEL + 2 * MARGIN, "start", 12, line);
  contact_Ticks(fp, MARGIN, L);
  contact_Ticks(fp, 2 * MARGIN + PANEL, L);
  contact_Legend(fp, MARGIN, PANEL + 2.3 * MARGIN);
  fputs("</g>\n", fp);
  status = plm_svg_End(fp, errbuf);
 ERROR:
  free(rgb);
  free(pairs);
  return status;
}

/* ---------------- head grid ---------------- */

int
plm_svg_HeadGrid(FILE *fp, const float *att, int nl, int nh, int L, const int *layer_ids, const int *head_ids,
                 int standalone, char *errbuf)
{
  int      p = L < PLM_SVG_THUMB ? L : PLM_SVG_THUMB;
  uint8_t *rgb = NULL;
  char     lab[32];
  int      status = PLM_OK;

  if (L < 1 || nl < 1 || nh < 1) return plm_Fail(errbuf, PLM_EINVAL, "head grid of no maps");
  if ((rgb = malloc((size_t)p * p * 3)) == NULL) return plm_Fail(errbuf, PLM_EMEM, "out of memory");
  plm_svg_Begin(fp, MARGIN + nh * CELL + 10, MARGIN + nl * CELL + 10, standalone);
  fputs("<g class=\"headgrid\">\n", fp);
  for (int h = 0; h < nh; h++) {
    snprintf(lab, sizeof lab, "H%d", head_ids[h]);
    plm_svg_Text(fp, MARGIN + (h + 0.5) * CELL, MARGIN - 8, "middle", 11, lab);
  }
  for (int l = 0; l < nl && status == PLM_OK; l++) {
    snprintf(lab, sizeof lab, "L%d", layer_ids[l]);
    plm_svg_Text(fp, MARGIN - 4, MARGIN + (l + 0.5) * CELL + 4, "end", 11, lab);
    for (int h = 0; h < nh && status == PLM_OK; h++) {
      double x = MARGIN + h * CELL + 3, y = MARGIN + l * CELL + 3, s = CELL - 6;
      fprintf(fp, "<g class=\"head\" data-layer=\"%d\" data-head=\"%d\"><title>layer %d head %d</title>\n",
              l, h, layer_ids[l], head_ids[h]);
      plm_svg_Thumb(att + ((size_t)l * nh + h) * (size_t)L * L, L, p, rgb);
      status = plm_svg_Image(fp, x, y, s, s, rgb, p, p, errbuf);
      fprintf(fp, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"none\" stroke=\"#999\"/></g>\n",
              x, y, s, s);
    }
  }
  fputs("</g>\n", fp);
  if (status == PLM_OK) status = plm_svg_End(fp, errbuf);
  free(rgb);
  return status;
}
