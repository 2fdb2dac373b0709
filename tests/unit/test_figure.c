/* test_figure.c: unit tests of formats/figure.c.
 *
 *   a figure of two rectangles, a line, text and a 2 x 1 image drawn 4 x 2, written
 *   as PNG, decoded by tests/unit/figure_oracle.py (python's zlib and struct:
 *   signature, CRCs, IHDR, filter bytes): size and the pixels inside, outside and
 *   on the line, a pixel of the first glyph where the bitmap font has it, and
 *   both image pixels stretched;
 *   the same figure as SVG holds the rectangles, the line and the escaped text;
 *   plm_fig_Color() at its ends; a grid of 3 x 5 cells of any shape is 15 rectangles;
 *   figures larger than PLM_FIG_MAXSIDE and unwritable paths are refused;
 *   a line plot of values 0.50 to 0.53 has an axis tick at 0 (honest axes);
 *   a contact map of 30 residues has ticks 10, 20, 30 on both edges and a legend;
 *   every printable glyph but space has pixels, i and j their dots ("|i-j|" in captions).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "error.h"
#include "figfont.h"
#include "figure.h"
#include "test.h"

#define ORACLE "tests/unit/figure_oracle.py"

static const uint8_t RED[3] = { 255, 0, 0 }, BLUE[3] = { 0, 0, 255 }, GREEN[3] = { 0, 128, 0 };
static const uint8_t IMG[6] = { 10, 20, 30, 40, 50, 60 };

static plm_fig *
small_figure(void)
{
  char     eb[PLM_ERRBUFSIZE];
  plm_fig *fig = NULL;
  if (plm_fig_Create(40, 30, &fig, eb) != PLM_OK) return NULL;
  plm_fig_Rect(fig, 2, 3, 10, 5, RED);       /* x 2..11, y 3..7 */
  plm_fig_Rect(fig, 30, 20, 20, 20, BLUE);   /* clipped at the edges */
  plm_fig_Line(fig, 0, 15, 39, 15, GREEN);
  plm_fig_Text(fig, 5, 25, 's', 10, "a<b&c");
  plm_fig_Image(fig, 14, 3, 4, 2, IMG, 2, 1);   /* x 14..17, y 3..4 */
  return fig;
}

static void
test_png(plm_fig *fig)
{
  char        eb[PLM_ERRBUFSIZE], path[] = "/tmp/figure_pngXXXXXX", cmd[512], out[256] = "";
  const char *py = getenv("PYTHON");
  int         fd = mkstemp(path), gx = -1, gy = -1;
  FILE       *p;

  /* the first lit pixel of 'a', drawn with its top-left at (5, 25 - ascent) */
  for (int r = 0; r < PLM_FIGFONT_ROWS && gx < 0; r++)
    for (int b = 0; b < PLM_FIGFONT_COLS && gx < 0; b++)
      if (plm_figfont_Glyph['a' - 32][r] >> (PLM_FIGFONT_COLS - 1 - b) & 1) { gx = 5 + b; gy = 25 - PLM_FIGFONT_ASCENT + r; }

  if (fd >= 0) close(fd);
  TEST(fd >= 0 && plm_fig_WritePNG(fig, path, eb) == PLM_OK, "PNG written");
  if (!py || !*py || access(ORACLE, R_OK) != 0) { test_skip("PNG decoded by python: no PYTHON"); unlink(path); return; }
  snprintf(cmd, sizeof cmd, "%s %s png %s 2,3 11,7 12,7 35,25 39,29 20,15 20,16 %d,%d 15,4 16,3 2>&1", py, ORACLE, path, gx, gy);
  if ((p = popen(cmd, "r")) != NULL) {
    size_t n = fread(out, 1, sizeof out - 1, p);
    out[n] = '\0';
    pclose(p);
  }
  for (char *c = out; *c; c++) if (*c == '\n') *c = ' ';
  TEST(!strcmp(out, "40 30 255 0 0 255 0 0 255 255 255 0 0 255 0 0 255 0 128 0 255 255 255 0 0 0 10 20 30 40 50 60 "),
       "PNG decoded by python's zlib: 40 x 30, rectangle, edge, clipped rectangle, line, text, image pixels right (%s)", out);
  unlink(path);
}

static void
test_svg(plm_fig *fig)
{
  char  eb[PLM_ERRBUFSIZE], path[] = "/tmp/figure_svgXXXXXX", buf[4096];
  int   fd = mkstemp(path);
  FILE *fp;
  size_t n = 0;

  if (fd >= 0) close(fd);
  TEST(fd >= 0 && plm_fig_WriteSVG(fig, path, eb) == PLM_OK, "SVG written");
  if ((fp = fopen(path, "r")) != NULL) { n = fread(buf, 1, sizeof buf - 1, fp); fclose(fp); }
  buf[n] = '\0';
  TEST(strstr(buf, "width=\"40\"") && strstr(buf, "fill=\"#ff0000\"") && strstr(buf, "<line x1=\"0.00\" y1=\"15.00\"") &&
       strstr(buf, "a&lt;b&amp;c") && strstr(buf, "data:image/png;base64,") && strstr(buf, "</svg>"),
       "SVG holds the rectangles, the line, the escaped text and the image");
  unlink(path);
}

static void
test_grid(void)
{
  char            eb[PLM_ERRBUFSIZE];
  const char     *rl[3] = { "1", "5", "9" }, *cl[5] = { "a", "b", "c", "d", "e" };
  double          v[15];
  plm_fig        *fig = NULL;
  uint8_t         lo[3], hi[3], neg[3];
  int             rects = 0;

  for (int i = 0; i < 15; i++) v[i] = i;
  plm_fig_Color(0.0, 0, lo); plm_fig_Color(1.0, 0, hi); plm_fig_Color(-1.0, 1, neg);
  TEST(lo[0] == 255 && lo[2] == 255 && hi[0] == 8 && hi[2] == 107 && neg[0] == 178 && neg[2] == 43,
       "colours: white at 0, dark blue at 1, red at -1 (diverging)");
  TEST(plm_fig_Create(200, 100, &fig, eb) == PLM_OK, "figure created");
  plm_fig_Grid(fig, 20, 20, 10, v, 3, 5, rl, cl, 0.0, 14.0, 0);
  for (size_t i = 0; i < fig->n; i++) rects += fig->m[i].kind == 'r';
  TEST(rects == 15 && !fig->failed, "3 x 5 grid: 15 cells (%d)", rects);
  plm_fig_Destroy(fig);
  TEST(plm_fig_Create(PLM_FIG_MAXSIDE + 1, 10, &fig, eb) == PLM_ELIMIT, "oversized figure refused (%s)", eb);
  TEST(plm_fig_Create(10, 10, &fig, eb) == PLM_OK && plm_fig_WriteSVG(fig, "/nonexistent/x.svg", eb) == PLM_EIO &&
       plm_fig_WritePNG(fig, "/nonexistent/x.png", eb) == PLM_EIO, "unwritable path refused (%s)", eb);
  plm_fig_Destroy(fig);
}

static void
test_lines(void)
{
  char          eb[PLM_ERRBUFSIZE];
  const double  xs[4] = { 1, 2, 3, 4 }, y[4] = { 0.50, 0.51, 0.53, 0.52 };
  const char   *names[1] = { "p" };
  plm_fig      *fig = NULL;
  int           zero = 0;

  TEST(plm_fig_Create(400, 300, &fig, eb) == PLM_OK, "line figure created");
  plm_fig_Lines(fig, 50, 20, 200, 200, xs, 4, y, 1, names, &(plm_fig_axis){ NULL, NULL, NULL });
  for (size_t i = 0; i < fig->n; i++) zero += fig->m[i].kind == 't' && fig->m[i].anchor == 'e' && !strcmp(fig->m[i].text, "0");
  TEST(zero == 1 && !fig->failed, "the value axis starts at 0 for values 0.50-0.53");
  plm_fig_Destroy(fig);
}

static void
test_contactmap(void)
{
  char     eb[PLM_ERRBUFSIZE];
  float    pred[30 * 30];
  uint8_t  truth[30 * 30];
  plm_fig *fig = NULL;
  int      ticks = 0, legend = 0;

  for (int c = 0; c < 30 * 30; c++) { pred[c] = (c % 7) / 7.0f; truth[c] = c % 3 == 0; }
  TEST(plm_fig_ContactMap(pred, truth, 30, 6, &fig, eb) == PLM_OK, "contact map drawn (%s)", eb);
  for (size_t i = 0; fig && i < fig->n; i++) {
    const plm_fig_mark *m = &fig->m[i];
    if (m->kind != 't') continue;
    ticks  += !strcmp(m->text, "10") || !strcmp(m->text, "20") || !strcmp(m->text, "30");
    legend += !strcmp(m->text, "P(contact)") || !strcmp(m->text, "contact") || !strcmp(m->text, "unknown");
  }
  TEST(ticks == 6, "residue ticks 10, 20, 30 on the top and the left (%d)", ticks);
  TEST(legend == 3, "legend: the probability scale and the truth colours (%d)", legend);
  plm_fig_Destroy(fig);
}

static void
test_font(void)
{
  int empty = 0;

  for (int c = 33; c < 127; c++) {
    int any = 0;
    for (int r = 0; r < PLM_FIGFONT_ROWS; r++) any |= plm_figfont_Glyph[c - 32][r];
    if (!any) { empty++; TEST(0, "glyph '%c' has pixels", c); }
  }
  TEST(empty == 0, "every printable glyph has pixels (%d empty)", empty);
  /* the dot sits above the stem with a blank row between, as the x-height letters start at row 2 */
  TEST(plm_figfont_Glyph['i' - 32][0] && !plm_figfont_Glyph['i' - 32][1], "i has its dot");
  TEST(plm_figfont_Glyph['j' - 32][0] && !plm_figfont_Glyph['j' - 32][1], "j has its dot");
  TEST(plm_figfont_Glyph['|' - 32][0] && plm_figfont_Glyph['|' - 32][8], "| runs from cap height to below the baseline");
}

int
main(void)
{
  plm_fig *fig = small_figure();
  TEST(fig != NULL && !fig->failed, "small figure drawn");
  if (fig) { test_png(fig); test_svg(fig); }
  plm_fig_Destroy(fig);
  test_grid();
  test_font();
  test_lines();
  test_contactmap();
  return test_done();
}
