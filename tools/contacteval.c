/* contacteval.c: score predicted contact maps against true ones.
 *
 *   contacteval [options] [FILE...] > scores.tsv
 *
 * Reads records holding predicted scores (f32 [L, L], default "contacts")
 * and true contacts (u8 [L, L], 1/0, 255 unknown; default "contacts_true").
 * Prints one TSV line per record: precision of the top L/x pairs (x from
 * --top-l, default 1,2,5) in the local, short, medium, long and all ranges,
 * defined as fair-esm's evaluation does, calibration error and false-positive
 * distance (contactprec.h); then the dataset's "mean" line and, unless
 * --bootstrap 0, its 95% bootstrap interval ("ci95_lo", "ci95_hi").
 * Any predictor's scores get here through contactimport(1).
 *
 *   ranges_Init()   the five separation ranges under --min-sep
 *   score_record()  one record's row of values
 *   table_*         the rows kept for the dataset summary
 *   bootstrap_CI()  percentile interval of the column means, seeded
 *   run(), main()
 */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"
#include "contactprec.h"
#include "error.h"
#include "membudget.h"
#include "record.h"
#include "rng.h"
#include "stream.h"

#define TOOL    "contacteval"
#define MAXDIV  8
#define NRANGE  5
#define NEXTRA  2      /* calibration MSE, false-positive distance */
#define MAXCOL  (NRANGE * MAXDIV + NEXTRA)

typedef struct {
  const char *pred, *truth;
  int         minsep, ndiv, nbins, nboot;
  uint64_t    seed;
  double      div[MAXDIV];
  int         missing_error;   /* --missing error: a record without the truth tensor stops the run */
  char      **files;
  int         nfiles;
  size_t      max_memory;   /* --max-memory, bytes (0: membudget.h's default) */
} opts;

typedef struct { const char *name; int minsep, maxsep; } range;

/* local [3, 6) whatever s, short [s, 12), medium [max(s, 12), 24), long [max(s, 24), inf), all [s, inf) */
static void
ranges_Init(int s, range *r)
{
  r[0] = (range){ "local",  3, 6 };
  r[1] = (range){ "short",  s, 12 };
  r[2] = (range){ "medium", s > 12 ? s : 12, 24 };
  r[3] = (range){ "long",   s > 24 ? s : 24, 0 };
  r[4] = (range){ "all",    s, 0 };
}

/* "L", "L/2", "L/1.5" for a divisor */
static void
div_label(double x, char *buf, size_t n)
{
  if (x == 1) snprintf(buf, n, "L");
  else        snprintf(buf, n, "L/%g", x);
}

static int
score_record(const plm_record *rec, const opts *o, const range *r, double *prec, char *errbuf)
{
  plm_tensor *p = plm_record_GetTensor(rec, o->pred), *t = plm_record_GetTensor(rec, o->truth);
  int64_t     L;
  int         status;

  if (!p || !t) PLM_XFAIL(PLM_ENOTFOUND, errbuf, "record \"%s\" lacks tensor \"%s\"%s", rec->id, p ? o->truth : o->pred,
                          p ? " (no structure for it: contacteval's default --missing skip, or truecontacts --missing skip, leaves such records out)" : "");
  L = p->rank == 2 ? p->shape[0] : -1;
  if (p->dtype != PLM_F32 || p->rank != 2 || p->shape[1] != L)
    PLM_XFAIL(PLM_EFORMAT, errbuf, "record \"%s\": \"%s\" must be f32 [L, L]", rec->id, o->pred);
  if (t->dtype != PLM_U8 || t->rank != 2 || t->shape[0] != L || t->shape[1] != L)
    PLM_XFAIL(PLM_EFORMAT, errbuf, "record \"%s\": \"%s\" must be u8 [%lld, %lld] like the prediction",
              rec->id, o->truth, (long long)L, (long long)L);
  if (L > 65536) PLM_XFAIL(PLM_ELIMIT, errbuf, "record \"%s\": L = %lld is too long", rec->id, (long long)L);
  for (int k = 0; k < NRANGE; k++)
    if (r[k].maxsep && r[k].minsep >= r[k].maxsep)   /* emptied by --min-sep */
      for (int m = 0; m < o->ndiv; m++) prec[k * o->ndiv + m] = NAN;
    else if ((status = plm_contactprec_TopL(p->data, t->data, (int)L, r[k].minsep, r[k].maxsep, o->div, o->ndiv,
                                       prec + k * o->ndiv, errbuf)) != PLM_OK) {
      char cause[PLM_ERRBUFSIZE];
      snprintf(cause, sizeof cause, "%s", errbuf);
      PLM_XFAIL(status, errbuf, "record \"%s\": %.400s", rec->id, cause);
    }
  PLM_XCHECK(plm_contactprec_Calibration(p->data, t->data, (int)L, o->minsep, o->nbins, prec + NRANGE * o->ndiv, errbuf));
  PLM_XCHECK(plm_contactprec_FPDistance(p->data, t->data, (int)L, o->minsep, prec + NRANGE * o->ndiv + 1, errbuf));
  return PLM_OK;

ERROR:
  return status;
}

static void
print_row(const char *id, const char *len, const double *v, int nv)
{
  printf("%s\t%s", id, len);
  for (int k = 0; k < nv; k++) {
    if (isnan(v[k])) printf("\tNA");
    else             printf("\t%.4f", v[k]);
  }
  putchar('\n');
}

/* every record's row, for the dataset summary (a few numbers per protein) */
typedef struct { double *v; int64_t n, cap; int nv; } table;

static int
table_Add(table *tb, const double *row, char *errbuf)
{
  if (tb->n == tb->cap) {
    int64_t cap = tb->cap ? 2 * tb->cap : 256;
    double *v = realloc(tb->v, sizeof(double) * (size_t)(cap * tb->nv));
    if (!v) return plm_Fail(errbuf, PLM_EMEM, "out of memory for %lld rows", (long long)cap);
    tb->v = v; tb->cap = cap;
  }
  memcpy(tb->v + tb->n++ * tb->nv, row, sizeof(double) * (size_t)tb->nv);
  return PLM_OK;
}

/* column means over the rows idx[0..n-1] (all rows when idx is NULL), NaN cells skipped */
static void
table_Means(const table *tb, const int64_t *idx, int64_t n, double *mean)
{
  for (int k = 0; k < tb->nv; k++) {
    double  sum = 0;
    int64_t cnt = 0;
    for (int64_t r = 0; r < n; r++) {
      double x = tb->v[(idx ? idx[r] : r) * tb->nv + k];
      if (!isnan(x)) { sum += x; cnt++; }
    }
    mean[k] = cnt ? sum / (double)cnt : NAN;
  }
}

static int
cmp_double(const void *a, const void *b)
{
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* nboot resamples of the rows with replacement (row plm_rng_Next() % n); per
 * column the sorted defined means m[0..c-1] give lo = m[floor(0.025 c)],
 * hi = m[ceil(0.975 c) - 1] */
static int
bootstrap_CI(const table *tb, int nboot, uint64_t seed, double *lo, double *hi, char *errbuf)
{
  int64_t *idx = malloc(sizeof(int64_t) * (size_t)(tb->n ? tb->n : 1));
  double  *means = malloc(sizeof(double) * (size_t)nboot * (size_t)tb->nv), *col = malloc(sizeof(double) * (size_t)nboot);
  uint64_t s = seed;
  int      status;

  if (!idx || !means || !col) PLM_XFAIL(PLM_EMEM, errbuf, "out of memory for the bootstrap");
  for (int b = 0; b < nboot; b++) {
    for (int64_t r = 0; r < tb->n; r++) idx[r] = (int64_t)(plm_rng_Next(&s) % (uint64_t)tb->n);
    table_Means(tb, idx, tb->n, means + (size_t)b * tb->nv);
  }
  for (int k = 0; k < tb->nv; k++) {
    int c = 0;
    for (int b = 0; b < nboot; b++) if (!isnan(means[(size_t)b * tb->nv + k])) col[c++] = means[(size_t)b * tb->nv + k];
    qsort(col, (size_t)c, sizeof(double), cmp_double);
    lo[k] = c ? col[(int)floor(0.025 * c)] : NAN;
    hi[k] = c ? col[(int)ceil(0.975 * c) - 1] : NAN;
  }
  status = PLM_OK;

ERROR:
  free(idx); free(means); free(col);
  return status;
}

static void
print_header(const opts *o, const range *r)
{
  char lab[32];
  printf("id\tL");
  for (int k = 0; k < NRANGE; k++)
    for (int m = 0; m < o->ndiv; m++) { div_label(o->div[m], lab, sizeof lab); printf("\t%s_P@%s", r[k].name, lab); }
  printf("\tcalib_mse\tfp_dist\n");
}

/* the mean line and, with a bootstrap, the interval lines */
static int
print_summary(const table *tb, const opts *o, char *errbuf)
{
  double mean[MAXCOL], lo[MAXCOL], hi[MAXCOL];
  int    status;

  table_Means(tb, NULL, tb->n, mean);
  print_row("mean", "-", mean, tb->nv);
  if (o->nboot > 0 && tb->n > 0) {
    PLM_XCHECK(bootstrap_CI(tb, o->nboot, o->seed, lo, hi, errbuf));
    print_row("ci95_lo", "-", lo, tb->nv);
    print_row("ci95_hi", "-", hi, tb->nv);
  }
  return PLM_OK;
ERROR:
  return status;
}

static int
run(const opts *o, char *errbuf)
{
  static char      *dash[] = { "-" };
  char            **paths = o->nfiles ? o->files : dash;
  int               npaths = o->nfiles ? o->nfiles : 1, status = PLM_OK;
  range             r[NRANGE];
  double            row[MAXCOL];
  table             tb = { NULL, 0, 0, NRANGE * o->ndiv + NEXTRA };
  plm_streamreader *rd = NULL;
  plm_record       *rec = NULL;
  char              len[32];
  long long         nrec = 0, nskipped = 0;

  ranges_Init(o->minsep, r);
  for (int f = 0; f < npaths; f++) {
    PLM_XCHECK(plm_stream_OpenRead(paths[f], &rd, errbuf));
    plm_stream_SetMaxMemory(rd, o->max_memory);
    if (f == 0) print_header(o, r);      /* nothing on stdout before the input is known to be a stream */
    while ((status = plm_stream_Read(rd, &rec, errbuf)) == PLM_OK) {
      nrec++;
      if (!o->missing_error && plm_record_GetTensor(rec, o->pred) && !plm_record_GetTensor(rec, o->truth)) {
        nskipped++;
        plm_record_Destroy(rec);
        rec = NULL;
        continue;
      }
      if ((status = score_record(rec, o, r, row, errbuf)) != PLM_OK) {
        char cause[PLM_ERRBUFSIZE];
        snprintf(cause, sizeof cause, "%s", errbuf);
        PLM_XFAIL(status, errbuf, "%s: %.400s", plm_cli_InputName(paths[f]), cause);
      }
      snprintf(len, sizeof len, "%lld", (long long)plm_record_GetTensor(rec, o->pred)->shape[0]);
      print_row(rec->id, len, row, tb.nv);
      PLM_XCHECK(table_Add(&tb, row, errbuf));
      plm_record_Destroy(rec);
      rec = NULL;
    }
    if (status != PLM_EOF) goto ERROR;
    plm_stream_CloseRead(rd);
    rd = NULL;
  }
  if (nskipped)
    fprintf(stderr, "%s: %lld of %lld records have no \"%s\" (no structure found) and were left out (--missing error refuses them)\n",
            TOOL, nskipped, nrec, o->truth);
  PLM_XCHECK(print_summary(&tb, o, errbuf));
  status = fflush(stdout) == 0 ? PLM_OK : plm_Fail(errbuf, PLM_EIO, "writing the scores failed");

ERROR:
  plm_record_Destroy(rec);
  if (rd) plm_stream_CloseRead(rd);
  free(tb.v);
  return status;
}

static const char usage[] =
  "Usage: contacteval [options] [FILE...] > scores.tsv\n"
  "Precision of the top-scored residue pairs, per record and on average, in the local [3,6),\n"
  "short [6,12), medium [12,24), long [24,) and all [6,) separation ranges; calibration\n"
  "error and false-positive distance; bootstrap intervals of the means (see contacteval(1)).\n"
  "      --pred NAME      predicted scores, f32 [L, L] (default contacts)\n"
  "      --true NAME      true contacts, u8 [L, L]: 1, 0, 255 unknown (default contacts_true)\n"
  "      --min-sep N      smallest separation j - i counted (default 6)\n"
  "      --top-l LIST     divisors x of the top L/x cutoffs (default 1,2,5)\n"
  "      --bins N         calibration bins over [0, 1] (default 20)\n"
  "      --bootstrap B    resamples for the 95%% intervals (default 1000; 0: none)\n"
  "      --seed S         bootstrap seed (default 1)\n"
  "      --missing WHAT   records without true contacts (truecontacts found no structure):\n"
  "                       skip (default; counted on stderr, as truecontacts passes them) or error\n"
  "      --max-memory SIZE\n"
  "                       most memory to hold (K, M, G; default: what is free at the start)\n"
  "                       a record that would need more is refused, naming it\n"
  "  -h, --help / -V, --version\n";

static int
parse_divs(const char *arg, opts *o, char *errbuf)
{
  const char *s = arg;
  o->ndiv = 0;
  while (*s) {
    char  *end;
    double x = strtod(s, &end);
    if (end == s || !(x >= 1 && x <= 1e6) || (*end && *end != ',') || o->ndiv == MAXDIV)
      return plm_Fail(errbuf, PLM_EINVAL, "--top-l: '%s' is not a list of up to %d numbers >= 1", arg, MAXDIV);
    o->div[o->ndiv++] = x;
    s = *end ? end + 1 : end;
  }
  return o->ndiv ? PLM_OK : plm_Fail(errbuf, PLM_EINVAL, "--top-l: empty list");
}

int
main(int argc, char **argv)
{
  static const struct option lo[] = {
    { "pred", 1, 0, 'p' }, { "true", 1, 0, 't' }, { "min-sep", 1, 0, 'm' }, { "top-l", 1, 0, 'l' },
    { "bins", 1, 0, 'b' }, { "bootstrap", 1, 0, 'B' }, { "seed", 1, 0, 's' }, { "missing", 1, 0, 'M' },
    { "max-memory", 1, 0, PLM_OPT_MAX_MEMORY },
    { "help", 0, 0, 'h' }, { "version", 0, 0, 'V' }, { 0, 0, 0, 0 }
  };
  opts o = { "contacts", "contacts_true", 6, 3, 20, 1000, 1, { 1, 2, 5 }, 0, NULL, 0, 0 };
  char errbuf[PLM_ERRBUFSIZE], *end;
  int  c;

  plm_cli_Init();
  while ((c = getopt_long(argc, argv, "hV", lo, NULL)) != -1) {
    switch (c) {
    case 'p': o.pred = optarg; break;
    case 't': o.truth = optarg; break;
    case 'm':
      o.minsep = (int)strtol(optarg, &end, 10);
      if (end == optarg || *end || o.minsep < 1 || o.minsep > 100000) plm_cli_Usage(TOOL, "--min-sep: '%s' is not a separation >= 1", optarg);
      break;
    case 'l': if (parse_divs(optarg, &o, errbuf) != PLM_OK) plm_cli_Usage(TOOL, "%s", errbuf); break;
    case 'b':
      o.nbins = (int)strtol(optarg, &end, 10);
      if (end == optarg || *end || o.nbins < 1 || o.nbins > 10000) plm_cli_Usage(TOOL, "--bins: '%s' is not 1-10000", optarg);
      break;
    case 'B':
      o.nboot = (int)strtol(optarg, &end, 10);
      if (end == optarg || *end || o.nboot < 0 || o.nboot > 1000000) plm_cli_Usage(TOOL, "--bootstrap: '%s' is not 0-1000000", optarg);
      break;
    case 's':
      o.seed = strtoull(optarg, &end, 10);
      if (end == optarg || *end) plm_cli_Usage(TOOL, "--seed: '%s' is not a number", optarg);
      break;
    case 'M':
      if (strcmp(optarg, "skip") && strcmp(optarg, "error")) plm_cli_Usage(TOOL, "--missing is skip or error, not '%s'", optarg);
      o.missing_error = strcmp(optarg, "error") == 0;
      break;
    case PLM_OPT_MAX_MEMORY: o.max_memory = plm_cli_Size(TOOL, "--max-memory", optarg); break;
    case 'h': fputs(usage, stdout); return 0;
    case 'V': plm_cli_Version(TOOL);
    default:  plm_cli_Usage(TOOL, "unknown option");
    }
  }
  o.files  = argv + optind;
  o.nfiles = argc - optind;
  if (run(&o, errbuf) != PLM_OK) plm_cli_Die(TOOL, "%s", errbuf);
  return 0;
}
