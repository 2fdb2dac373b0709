/* plmplot.c: figures from TSV tables, drawn by the figure module (PNG and SVG).
 *
 *   plmplot scatter -x COL -y COL [--fit] [--label COL] -o fig.png -o fig.svg table.tsv
 *   plmplot lines   -x COL -y COL [-y COL...] [--group COL] -o fig.svg table.tsv
 *   plmplot heatmap --row COL --col COL --value COL [--row-max] -o fig.png table.tsv
 *   plmplot bars    -x COL -y COL [--mark V] -o fig.png table.tsv
 *
 * The experiments' figures (the .mk files of experiments/) are tables first and figures
 * second, so every figure can be redrawn from its TSV. Columns are named by
 * their header; '#' lines are skipped (the tools' summaries). The format of
 * each -o is its extension. With --fit, scatter prints the least-squares line
 * as a TSV row on stdout. man/man1/plmplot.1 is the contract.
 *
 *   opts, usage          the options
 *   keys_Index()         distinct values of a column as the categories of an axis
 *   plot_Scatter() plot_Lines() plot_Heatmap() plot_Bars()   one figure each
 *   write_all()          every -o file
 *   main()
 */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"
#include "error.h"
#include "figure.h"
#include "linfit.h"
#include "tsvtab.h"

#define TOOL  "plmplot"
#define MAXY  16
#define MAXO  8

typedef struct opts {
  const char *x, *y[MAXY], *group, *label, *row, *col, *value, *out[MAXO];
  int         ny, nout, fit, rowmax, diverging;
  double      vmin, vmax, mark;
  plm_fig_axis ax;
} opts;

static const char usage[] =
  "Usage: plmplot scatter -x COL -y COL [--fit] [--label COL] [options] -o FILE TSV\n"
  "       plmplot lines   -x COL -y COL [-y COL...] [--group COL] [options] -o FILE TSV\n"
  "       plmplot heatmap --row COL --col COL --value COL [--row-max] [options] -o FILE TSV\n"
  "       plmplot bars    -x COL -y COL [--mark V] [options] -o FILE TSV\n"
  "Draw a figure from a TSV table (columns by header name, '#' lines skipped; TSV '-' is stdin).\n"
  "  -o, --output FILE  write FILE, SVG or PNG by its extension (repeatable)\n"
  "  -x COL / -y COL    the x and y columns (lines: -y repeatable, one series each;\n"
  "                     bars: -x the bar labels, -y the lengths)\n"
  "      --fit          scatter: the least-squares line, drawn and printed as a TSV row\n"
  "      --label COL    scatter: label each point with COL\n"
  "      --group COL    lines: one series per distinct value of COL\n"
  "      --row COL / --col COL / --value COL   heatmap: the grid's rows, columns and cells\n"
  "      --row-max      heatmap: bars of each row's maximum beside the grid\n"
  "      --diverging    heatmap: red-white-blue around 0 instead of white-blue\n"
  "      --vmin X / --vmax X   heatmap: the colour scale (default: the data's range)\n"
  "      --mark X       bars: a grey line at X (e.g. the background)\n"
  "      --title T / --xlabel T / --ylabel T\n"
  "  -h, --help / -V, --version\n";

/* ------------------------------------------------------------ categories */

typedef struct keys {
  int          n;
  const char **name;   /* n distinct values */
  int         *of;     /* nrow: the key of each row */
} keys;

static void keys_Free(keys *k) { free(k->name); free(k->of); }

static int
keys_Cmp(const void *a, const void *b)
{
  double x = strtod(*(const char *const *)a, NULL), y = strtod(*(const char *const *)b, NULL);
  return (x > y) - (x < y);
}

/* distinct values of column c in order of appearance, or numeric order when all are numbers */
static int
keys_Index(const plm_tsv *t, int c, keys *k, char *errbuf)
{
  int numeric = 1;
  k->n = 0;
  k->name = malloc(sizeof *k->name * (t->nrow + 1));
  k->of   = malloc(sizeof *k->of * (t->nrow + 1));
  if (!k->name || !k->of) return plm_Fail(errbuf, PLM_EMEM, "out of memory");
  for (size_t r = 0; r < t->nrow; r++) {
    const char *s = t->cell[r * t->ncol + c];
    char       *end;
    int         j;
    strtod(s, &end);
    if (end == s || *end) numeric = 0;
    for (j = 0; j < k->n && strcmp(k->name[j], s) != 0; j++) ;
    if (j == k->n) k->name[k->n++] = s;
  }
  if (numeric) qsort(k->name, k->n, sizeof *k->name, keys_Cmp);
  for (size_t r = 0; r < t->nrow; r++)
    for (int j = 0; j < k->n; j++)
      if (strcmp(k->name[j], t->cell[r * t->ncol + c]) == 0) { k->of[r] = j; break; }
  return PLM_OK;
}

/* ---------------------------------------------------------------- plots */

/* the width the title needs (13 px text, about 7.5 px a character), so no figure cuts it */
static double
title_Width(const plm_fig_axis *ax)
{
  return ax->title ? 20.0 + 7.5 * (double)strlen(ax->title) : 0.0;
}

static int
plot_Scatter(const opts *o, const plm_tsv *t, plm_fig **fig, char *errbuf)
{
  double     *x = malloc(sizeof *x * (t->nrow + 1)), *y = malloc(sizeof *y * (t->nrow + 1)), line[2];
  const char **lab = NULL;
  plm_linfit  f;
  int         cx, cy, cl = -1, status;

  if (!x || !y) PLM_XFAIL(PLM_EMEM, errbuf, "out of memory");
  PLM_XCHECK(plm_tsv_Column(t, o->x, &cx, errbuf));
  PLM_XCHECK(plm_tsv_Column(t, o->y[0], &cy, errbuf));
  if (o->label) PLM_XCHECK(plm_tsv_Column(t, o->label, &cl, errbuf));
  PLM_XCHECK(plm_tsv_Numbers(t, cx, x, errbuf));
  PLM_XCHECK(plm_tsv_Numbers(t, cy, y, errbuf));
  if (cl >= 0) {
    if ((lab = malloc(sizeof *lab * (t->nrow + 1))) == NULL) PLM_XFAIL(PLM_EMEM, errbuf, "out of memory");
    for (size_t r = 0; r < t->nrow; r++) lab[r] = t->cell[r * t->ncol + cl];
  }
  if (o->fit) {
    if (plm_linfit_Fit(x, y, t->nrow, &f, errbuf) != PLM_OK) {
      char why[PLM_ERRBUFSIZE];
      snprintf(why, sizeof why, "%s", errbuf);
      PLM_XFAIL(PLM_EINVAL, errbuf, "%s: --fit of '%s' on '%s': %s", t->path, o->y[0], o->x, why);
    }
    line[0] = f.slope; line[1] = f.intercept;
    printf("x\ty\tn\tslope\tintercept\tpearson_r\n%s\t%s\t%zu\t%.10g\t%.10g\t%.10g\n", o->x, o->y[0], f.n, f.slope, f.intercept, f.r);
  }
  PLM_XCHECK(plm_fig_Create(fmax(title_Width(&o->ax), lab ? 660 : 600), 460, fig, errbuf));   /* labels may pass the box */
  plm_fig_Scatter(*fig, 80, 44, 480, 360, x, y, (int)t->nrow, lab, o->fit ? line : NULL, &o->ax);
  if (o->fit) {
    char eq[128];
    snprintf(eq, sizeof eq, "slope %.4g, intercept %.4g, r = %.3f, n = %zu", f.slope, f.intercept, f.r, f.n);
    plm_fig_Text(*fig, 560, 36, 'e', 10, eq);
  }
  status = PLM_OK;
 ERROR:
  free(x); free(y); free(lab);
  return status;
}

/* x values (numeric, sorted) shared by every series; a series is a -y column, or a -y column of one group */
static int
plot_Lines(const opts *o, const plm_tsv *t, plm_fig **fig, char *errbuf)
{
  double      *x = malloc(sizeof *x * (t->nrow + 1)), *v = malloc(sizeof *v * (t->nrow + 1)), *xs = NULL, *ys = NULL;
  keys         kx = { 0 }, kg = { 0 };
  char       **names = NULL;
  int          cx, cy, cg = -1, ng = 1, ns = 0, status, i;
  size_t       wlab = 1;

  if (!x || !v) PLM_XFAIL(PLM_EMEM, errbuf, "out of memory");
  PLM_XCHECK(plm_tsv_Column(t, o->x, &cx, errbuf));
  PLM_XCHECK(plm_tsv_Numbers(t, cx, x, errbuf));
  PLM_XCHECK(keys_Index(t, cx, &kx, errbuf));
  if (t->nrow == 0) PLM_XFAIL(PLM_EFORMAT, errbuf, "%s: no rows to draw", t->path);
  if (o->group) { PLM_XCHECK(plm_tsv_Column(t, o->group, &cg, errbuf)); PLM_XCHECK(keys_Index(t, cg, &kg, errbuf)); ng = kg.n; }
  ns = ng * o->ny;
  xs = malloc(sizeof *xs * kx.n);
  ys = malloc(sizeof *ys * (size_t)kx.n * ns);
  names = calloc(ns, sizeof *names);
  if (!xs || !ys || !names) PLM_XFAIL(PLM_EMEM, errbuf, "out of memory");
  for (i = 0; i < kx.n * ns; i++) ys[i] = NAN;
  for (size_t r = 0; r < t->nrow; r++) xs[kx.of[r]] = x[r];
  for (int k = 0; k < kx.n; k++) if (isnan(xs[k])) PLM_XFAIL(PLM_EFORMAT, errbuf, "%s: x column '%s' has a missing value", t->path, o->x);
  for (int j = 0; j < o->ny; j++) {
    PLM_XCHECK(plm_tsv_Column(t, o->y[j], &cy, errbuf));
    PLM_XCHECK(plm_tsv_Numbers(t, cy, v, errbuf));
    for (size_t r = 0; r < t->nrow; r++) {
      int s = (cg >= 0 ? kg.of[r] : 0) * o->ny + j;
      if (!isnan(ys[(size_t)s * kx.n + kx.of[r]]))
        PLM_XFAIL(PLM_EFORMAT, errbuf, "%s line %ld: a second '%s' at %s = %s%s%s", t->path, t->line[r], o->y[j], o->x,
                  t->cell[r * t->ncol + cx], cg >= 0 ? " in group " : "", cg >= 0 ? t->cell[r * t->ncol + cg] : "");
      ys[(size_t)s * kx.n + kx.of[r]] = v[r];
    }
    for (int g = 0; g < ng; g++) {
      size_t need = strlen(o->y[j]) + (cg >= 0 ? strlen(kg.name[g]) + 4 : 0) + 1;
      if ((names[g * o->ny + j] = malloc(need)) == NULL) PLM_XFAIL(PLM_EMEM, errbuf, "out of memory");
      if (cg < 0)         snprintf(names[g * o->ny + j], need, "%s", o->y[j]);
      else if (o->ny > 1) snprintf(names[g * o->ny + j], need, "%s %s", kg.name[g], o->y[j]);
      else                snprintf(names[g * o->ny + j], need, "%s", kg.name[g]);
    }
  }
  for (i = 0; i < ns; i++) if (strlen(names[i]) > wlab) wlab = strlen(names[i]);
  PLM_XCHECK(plm_fig_Create(fmax(title_Width(&o->ax), 600 + 6.5 * (double)(wlab < 60 ? wlab : 60)), 460, fig, errbuf));
  plm_fig_Lines(*fig, 80, 44, 480, 360, xs, kx.n, ys, ns, (const char *const *)names, &o->ax);
  status = PLM_OK;
 ERROR:
  if (names) for (i = 0; i < ns; i++) free(names[i]);
  free(names); free(x); free(v); free(xs); free(ys);
  keys_Free(&kx); keys_Free(&kg);
  return status;
}

static int
plot_Heatmap(const opts *o, const plm_tsv *t, plm_fig **fig, char *errbuf)
{
  double *v = malloc(sizeof *v * (t->nrow + 1)), *grid = NULL, *rmax = NULL, lo = INFINITY, hi = -INFINITY, cell, left;
  keys    kr = { 0 }, kc = { 0 };
  int     cr, cc, cv, status;
  size_t  wlab = 1;
  char    lab[64];

  if (!v) PLM_XFAIL(PLM_EMEM, errbuf, "out of memory");
  PLM_XCHECK(plm_tsv_Column(t, o->row, &cr, errbuf));
  PLM_XCHECK(plm_tsv_Column(t, o->col, &cc, errbuf));
  PLM_XCHECK(plm_tsv_Column(t, o->value, &cv, errbuf));
  PLM_XCHECK(plm_tsv_Numbers(t, cv, v, errbuf));
  if (t->nrow == 0) PLM_XFAIL(PLM_EFORMAT, errbuf, "%s: no rows to draw", t->path);
  PLM_XCHECK(keys_Index(t, cr, &kr, errbuf));
  PLM_XCHECK(keys_Index(t, cc, &kc, errbuf));
  grid = malloc(sizeof *grid * (size_t)kr.n * kc.n);
  rmax = malloc(sizeof *rmax * kr.n);
  if (!grid || !rmax) PLM_XFAIL(PLM_EMEM, errbuf, "out of memory");
  for (int i = 0; i < kr.n * kc.n; i++) grid[i] = NAN;
  for (size_t r = 0; r < t->nrow; r++) {
    double *g = &grid[(size_t)kr.of[r] * kc.n + kc.of[r]];
    if (!isnan(*g))
      PLM_XFAIL(PLM_EFORMAT, errbuf, "%s line %ld: a second value for %s = %s, %s = %s", t->path, t->line[r], o->row,
                t->cell[r * t->ncol + cr], o->col, t->cell[r * t->ncol + cc]);
    *g = v[r];
    if (isfinite(v[r])) { lo = fmin(lo, v[r]); hi = fmax(hi, v[r]); }
  }
  if (!isfinite(lo)) { lo = 0.0; hi = 1.0; }
  if (!isnan(o->vmin)) lo = o->vmin;
  if (!isnan(o->vmax)) hi = o->vmax;
  for (int r = 0; r < kr.n; r++) {
    rmax[r] = NAN;
    for (int c = 0; c < kc.n; c++) if (!isnan(grid[(size_t)r * kc.n + c]) && !(rmax[r] >= grid[(size_t)r * kc.n + c])) rmax[r] = grid[(size_t)r * kc.n + c];
    if (strlen(kr.name[r]) > wlab) wlab = strlen(kr.name[r]);
  }
  cell = fmax(6.0, fmin(28.0, 600.0 / (kr.n > kc.n ? kr.n : kc.n)));
  left = 20.0 + 6.0 * (double)(wlab < 30 ? wlab : 30);
  PLM_XCHECK(plm_fig_Create(fmax(title_Width(&o->ax), left + kc.n * cell + (o->rowmax ? 200 : 40)), 70 + kr.n * cell + 60, fig, errbuf));
  plm_fig_Grid(*fig, left, 70, cell, grid, kr.n, kc.n, kr.name, kc.name, lo, hi, o->diverging);
  plm_fig_ColorBar(*fig, left, 70 + kr.n * cell + 12, fmin(200, fmax(100, kc.n * cell)), lo, hi, o->diverging);
  if (o->rowmax) {
    double bmax = 0.0;
    for (int r = 0; r < kr.n; r++) if (rmax[r] > bmax) bmax = rmax[r];
    plm_fig_Bars(*fig, left + kc.n * cell + 12, 70, cell, 120, rmax, kr.n, bmax, NAN);
    snprintf(lab, sizeof lab, "max per %s", o->row);
    plm_fig_Text(*fig, left + kc.n * cell + 12, 62, 's', 10, lab);
  }
  if (o->ax.title)  plm_fig_Text(*fig, 10, 18, 's', 13, o->ax.title);
  if (o->ax.xlabel) plm_fig_Text(*fig, left + kc.n * cell / 2, 44, 'm', 11, o->ax.xlabel);
  if (o->ax.ylabel) plm_fig_Text(*fig, 10, 44, 's', 11, o->ax.ylabel);
  status = PLM_OK;
 ERROR:
  free(v); free(grid); free(rmax);
  keys_Free(&kr); keys_Free(&kc);
  return status;
}

/* one horizontal bar per row, in the table's order */
static int
plot_Bars(const opts *o, const plm_tsv *t, plm_fig **fig, char *errbuf)
{
  double      *v = malloc(sizeof *v * (t->nrow + 1)), vmax = 0.0, cell = 18, left;
  const char **lab = malloc(sizeof *lab * (t->nrow + 1));
  int          cx, cy, status;
  size_t       wlab = 1;

  if (!v || !lab) PLM_XFAIL(PLM_EMEM, errbuf, "out of memory");
  PLM_XCHECK(plm_tsv_Column(t, o->x, &cx, errbuf));
  PLM_XCHECK(plm_tsv_Column(t, o->y[0], &cy, errbuf));
  PLM_XCHECK(plm_tsv_Numbers(t, cy, v, errbuf));
  if (t->nrow == 0) PLM_XFAIL(PLM_EFORMAT, errbuf, "%s: no rows to draw", t->path);
  for (size_t r = 0; r < t->nrow; r++) {
    lab[r] = t->cell[r * t->ncol + cx];
    if (v[r] < 0.0) PLM_XFAIL(PLM_EFORMAT, errbuf, "%s line %ld, column '%s': bars are lengths, %g is negative", t->path, t->line[r], o->y[0], v[r]);
    if (v[r] > vmax) vmax = v[r];
    if (strlen(lab[r]) > wlab) wlab = strlen(lab[r]);
  }
  if (!isnan(o->mark) && o->mark > vmax) vmax = o->mark;
  if (t->nrow > 400) cell = fmax(2.0, 7200.0 / t->nrow);
  left = 20.0 + 6.0 * (double)(wlab < 40 ? wlab : 40);
  PLM_XCHECK(plm_fig_Create(fmax(title_Width(&o->ax), left + 420), 60 + t->nrow * cell + 40, fig, errbuf));
  for (size_t r = 0; r < t->nrow; r++)
    if (cell >= 8.0) plm_fig_Text(*fig, left - 4, 60 + (r + 0.5) * cell + 3.5, 'e', 10, lab[r]);
  plm_fig_Bars(*fig, left, 60, cell, 340, v, (int)t->nrow, vmax, o->mark);
  if (o->ax.title)  plm_fig_Text(*fig, 10, 18, 's', 13, o->ax.title);
  if (o->ax.xlabel) plm_fig_Text(*fig, left + 170, 60 + t->nrow * cell + 24, 'm', 11, o->ax.xlabel);
  if (o->ax.ylabel) plm_fig_Text(*fig, 10, 44, 's', 11, o->ax.ylabel);
  status = PLM_OK;
 ERROR:
  free(v); free(lab);
  return status;
}

/* ---------------------------------------------------------------- main */

static int
write_all(const opts *o, const plm_fig *fig, char *errbuf)
{
  int status = PLM_OK;
  for (int k = 0; k < o->nout && status == PLM_OK; k++) {
    const char *dot = strrchr(o->out[k], '.');
    status = dot && strcmp(dot, ".svg") == 0 ? plm_fig_WriteSVG(fig, o->out[k], errbuf) : plm_fig_WritePNG(fig, o->out[k], errbuf);
  }
  return status;
}

int
main(int argc, char **argv)
{
  enum { O_FIT = 256, O_LABEL, O_GROUP, O_ROW, O_COL, O_VALUE, O_ROWMAX, O_DIV, O_VMIN, O_VMAX, O_MARK, O_TITLE, O_XLAB, O_YLAB };
  static const struct option lo[] = {
    { "output", 1, 0, 'o' }, { "fit", 0, 0, O_FIT }, { "label", 1, 0, O_LABEL }, { "group", 1, 0, O_GROUP },
    { "row", 1, 0, O_ROW }, { "col", 1, 0, O_COL }, { "value", 1, 0, O_VALUE }, { "row-max", 0, 0, O_ROWMAX },
    { "diverging", 0, 0, O_DIV }, { "vmin", 1, 0, O_VMIN }, { "vmax", 1, 0, O_VMAX }, { "mark", 1, 0, O_MARK },
    { "title", 1, 0, O_TITLE }, { "xlabel", 1, 0, O_XLAB }, { "ylabel", 1, 0, O_YLAB },
    { "help", 0, 0, 'h' }, { "version", 0, 0, 'V' }, { 0, 0, 0, 0 }
  };
  opts        o = { .vmin = NAN, .vmax = NAN, .mark = NAN };
  const char *kind;
  char        errbuf[PLM_ERRBUFSIZE];
  plm_tsv    *t = NULL;
  plm_fig    *fig = NULL;
  int         c, status;

  plm_cli_Init();
  if (argc > 1 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) { fputs(usage, stdout); return 0; }
  if (argc > 1 && (strcmp(argv[1], "-V") == 0 || strcmp(argv[1], "--version") == 0)) plm_cli_Version(TOOL);
  if (argc < 2 || argv[1][0] == '-') plm_cli_Usage(TOOL, "give a figure kind first: scatter, lines, heatmap or bars");
  kind = argv[1];
  if (strcmp(kind, "scatter") && strcmp(kind, "lines") && strcmp(kind, "heatmap") && strcmp(kind, "bars"))
    plm_cli_Usage(TOOL, "unknown figure kind '%s' (scatter, lines, heatmap or bars)", kind);
  argc--; argv++;
  while ((c = getopt_long(argc, argv, "o:x:y:hV", lo, NULL)) != -1)
    switch (c) {
    case 'o': if (o.nout == MAXO) plm_cli_Usage(TOOL, "at most %d -o files", MAXO);
              { const char *d = strrchr(optarg, '.');
                if (!d || (strcmp(d, ".png") && strcmp(d, ".svg"))) plm_cli_Usage(TOOL, "-o %s: the name must end in .png or .svg", optarg); }
              o.out[o.nout++] = optarg; break;
    case 'x': o.x = optarg; break;
    case 'y': if (o.ny == MAXY) plm_cli_Usage(TOOL, "at most %d -y columns", MAXY);
              o.y[o.ny++] = optarg; break;
    case O_FIT: o.fit = 1; break;
    case O_LABEL: o.label = optarg; break;
    case O_GROUP: o.group = optarg; break;
    case O_ROW: o.row = optarg; break;
    case O_COL: o.col = optarg; break;
    case O_VALUE: o.value = optarg; break;
    case O_ROWMAX: o.rowmax = 1; break;
    case O_DIV: o.diverging = 1; break;
    case O_VMIN: o.vmin = plm_cli_Number(TOOL, "--vmin", optarg, -HUGE_VAL, HUGE_VAL); break;
    case O_VMAX: o.vmax = plm_cli_Number(TOOL, "--vmax", optarg, -HUGE_VAL, HUGE_VAL); break;
    case O_MARK: o.mark = plm_cli_Number(TOOL, "--mark", optarg, 0.0, HUGE_VAL); break;
    case O_TITLE: o.ax.title = optarg; break;
    case O_XLAB: o.ax.xlabel = optarg; break;
    case O_YLAB: o.ax.ylabel = optarg; break;
    case 'h': fputs(usage, stdout); return 0;
    case 'V': plm_cli_Version(TOOL);
    default:  plm_cli_Usage(TOOL, "unknown option");
    }
  if (optind != argc - 1) plm_cli_Usage(TOOL, "give one TSV file ('-' for stdin)");
  if (o.nout == 0) plm_cli_Usage(TOOL, "give at least one -o FILE.png or FILE.svg");
  if (strcmp(kind, "heatmap") == 0) {
    if (!o.row || !o.col || !o.value) plm_cli_Usage(TOOL, "heatmap needs --row, --col and --value");
  } else {
    if (!o.x || o.ny == 0) plm_cli_Usage(TOOL, "%s needs -x and -y", kind);
    if (o.ny > 1 && strcmp(kind, "lines")) plm_cli_Usage(TOOL, "only lines takes more than one -y");
  }
  if (o.fit && strcmp(kind, "scatter")) plm_cli_Usage(TOOL, "--fit is for scatter");
  if (o.group && strcmp(kind, "lines")) plm_cli_Usage(TOOL, "--group is for lines");
  if (!isnan(o.vmin) && !isnan(o.vmax) && !(o.vmax > o.vmin)) plm_cli_Usage(TOOL, "--vmax must exceed --vmin");

  if ((status = plm_tsv_Read(argv[optind], &t, errbuf)) == PLM_OK) {
    if      (kind[0] == 's') status = plot_Scatter(&o, t, &fig, errbuf);
    else if (kind[0] == 'l') status = plot_Lines(&o, t, &fig, errbuf);
    else if (kind[0] == 'h') status = plot_Heatmap(&o, t, &fig, errbuf);
    else                     status = plot_Bars(&o, t, &fig, errbuf);
  }
  if (status == PLM_OK) status = write_all(&o, fig, errbuf);
  plm_fig_Destroy(fig);
  plm_tsv_Destroy(t);
  if (status != PLM_OK) plm_cli_Die(TOOL, "%s", errbuf);
  return 0;
}
