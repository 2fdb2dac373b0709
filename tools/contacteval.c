/* contacteval.c: score predicted contact maps against true ones.
 *
 *   contacteval [options] [FILE...] > scores.tsv
 *
 * Reads records holding predicted scores (f32 [L, L], default "contacts")
 * and true contacts (u8 [L, L], 1/0, 255 unknown; default "contacts_true").
 * Prints one TSV line per record and a final "mean" line: precision of the
 * top L/x pairs (x from --top-l, default 1,2,5) in the short, medium, long
 * and all ranges, defined as fair-esm's evaluation does (contactprec.h).
 *
 *   ranges_Init()  the four separation ranges under --min-sep
 *   score_record() / run(), main()
 */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"
#include "contactprec.h"
#include "error.h"
#include "record.h"
#include "stream.h"

#define TOOL    "contacteval"
#define MAXDIV  8
#define NRANGE  4

typedef struct {
  const char *pred, *truth;
  int         minsep, ndiv;
  double      div[MAXDIV];
  char      **files;
  int         nfiles;
} opts;

typedef struct { const char *name; int minsep, maxsep; } range;

/* short [s, 12), medium [max(s, 12), 24), long [max(s, 24), inf), all [s, inf) */
static void
ranges_Init(int s, range *r)
{
  r[0] = (range){ "short",  s, 12 };
  r[1] = (range){ "medium", s > 12 ? s : 12, 24 };
  r[2] = (range){ "long",   s > 24 ? s : 24, 0 };
  r[3] = (range){ "all",    s, 0 };
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

  if (!p || !t) PLM_XFAIL(PLM_ENOTFOUND, errbuf, "record \"%s\" lacks tensor \"%s\"", rec->id, p ? o->truth : o->pred);
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

static int
run(const opts *o, char *errbuf)
{
  static char      *dash[] = { "-" };
  char            **paths = o->nfiles ? o->files : dash;
  int               npaths = o->nfiles ? o->nfiles : 1, nv = NRANGE * o->ndiv, status = PLM_OK;
  range             r[NRANGE];
  double            prec[NRANGE * MAXDIV], sum[NRANGE * MAXDIV] = { 0 };
  int64_t           cnt[NRANGE * MAXDIV] = { 0 };
  plm_streamreader *rd = NULL;
  plm_record       *rec = NULL;
  char              lab[32], len[32];

  ranges_Init(o->minsep, r);
  printf("id\tL");
  for (int k = 0; k < NRANGE; k++)
    for (int m = 0; m < o->ndiv; m++) { div_label(o->div[m], lab, sizeof lab); printf("\t%s_P@%s", r[k].name, lab); }
  putchar('\n');
  for (int f = 0; f < npaths; f++) {
    PLM_XCHECK(plm_stream_OpenRead(paths[f], &rd, errbuf));
    while ((status = plm_stream_Read(rd, &rec, errbuf)) == PLM_OK) {
      PLM_XCHECK(score_record(rec, o, r, prec, errbuf));
      snprintf(len, sizeof len, "%lld", (long long)plm_record_GetTensor(rec, o->pred)->shape[0]);
      print_row(rec->id, len, prec, nv);
      for (int k = 0; k < nv; k++) if (!isnan(prec[k])) { sum[k] += prec[k]; cnt[k]++; }
      plm_record_Destroy(rec);
      rec = NULL;
    }
    if (status != PLM_EOF) goto ERROR;
    plm_stream_CloseRead(rd);
    rd = NULL;
  }
  for (int k = 0; k < nv; k++) sum[k] = cnt[k] ? sum[k] / cnt[k] : NAN;
  print_row("mean", "-", sum, nv);
  status = fflush(stdout) == 0 ? PLM_OK : plm_Fail(errbuf, PLM_EIO, "writing the scores failed");

ERROR:
  plm_record_Destroy(rec);
  if (rd) plm_stream_CloseRead(rd);
  return status;
}

static const char usage[] =
  "Usage: contacteval [options] [FILE...] > scores.tsv\n"
  "Precision of the top-scored residue pairs, per record and on average, in the\n"
  "short [6,12), medium [12,24), long [24,) and all [6,) separation ranges.\n"
  "      --pred NAME      predicted scores, f32 [L, L] (default contacts)\n"
  "      --true NAME      true contacts, u8 [L, L]: 1, 0, 255 unknown (default contacts_true)\n"
  "      --min-sep N      smallest separation j - i counted (default 6)\n"
  "      --top-l LIST     divisors x of the top L/x cutoffs (default 1,2,5)\n"
  "  -h, --help / --version\n";

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
    { "help", 0, 0, 'h' }, { "version", 0, 0, 'V' }, { 0, 0, 0, 0 }
  };
  opts o = { "contacts", "contacts_true", 6, 3, { 1, 2, 5 }, NULL, 0 };
  char errbuf[PLM_ERRBUFSIZE], *end;
  int  c;

  plm_cli_Init();
  while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
    switch (c) {
    case 'p': o.pred = optarg; break;
    case 't': o.truth = optarg; break;
    case 'm':
      o.minsep = (int)strtol(optarg, &end, 10);
      if (end == optarg || *end || o.minsep < 1 || o.minsep > 100000) plm_cli_Usage(TOOL, "--min-sep: '%s' is not a separation >= 1", optarg);
      break;
    case 'l': if (parse_divs(optarg, &o, errbuf) != PLM_OK) plm_cli_Usage(TOOL, "%s", errbuf); break;
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
