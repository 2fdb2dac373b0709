/* lmscore.c: what a masked language model thinks of proteins and of their variants.
 *
 *   seqread prots.fasta | lmscore -m esm2_t33_650M_UR50D.pt --tsv ppl.tsv > scored.tsr
 *   seqread wt.fasta | lmscore -m esm1v_1.pt ... -m esm1v_5.pt --dms dms.csv > dms_scored.csv
 *
 * Per record: each residue masked in turn (the masked copies batched), pseudo-log-likelihood and
 * pseudo-perplexity, per-residue entropy and the L x 20 log-probabilities (libcore/analysis/lmscore.h);
 * optionally every single substitution's score, with a heatmap. With --dms: the variants of a
 * table scored against the one input record under fair-esm's strategies, averaged over models.
 * man/man1/lmscore.1 is the contract.
 *
 *   main()            options, models, the record loop or the table
 *   score_record()    one protein through every model, tensors and metadata on the record
 *   score_table()     the --dms table
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "backend.h"
#include "cli.h"
#include "error.h"
#include "figure.h"
#include "lm.h"
#include "lmcost.h"
#include "lmscore.h"
#include "lmtokens.h"
#include "membudget.h"
#include "progress.h"
#include "record.h"
#include "stream.h"
#include "variant.h"

#define TOOL "lmscore"
#define MAXMODELS 32

static const char usage_text[] =
  "Usage: lmscore -m MODEL [-m MODEL...] [options] [FILE...]\n"
  "Score every record of a stream (FILEs or stdin) with masked language models: each residue\n"
  "masked in turn, the masked copies batched. Records gain the pseudo-log-likelihood and\n"
  "pseudo-perplexity (metadata lm_pll, lm_pppl), 'lm_entropy' [L] and 'lm_logprobs' [L x 20];\n"
  "with several models, their mean.\n"
  "\n"
  "  -m, --model PATH      a model with an LM head (as attn -m); repeat to average models\n"
  "      --landscape       add 'lm_landscape' [L x 20]: every single substitution's score\n"
  "      --figures DIR     the landscape as a heatmap, DIR/ID.landscape.svg and .png\n"
  "      --strategy S      masked-marginals (default), wt-marginals or pseudo-ppl (--dms only),\n"
  "                        as fair-esm's examples/variant-prediction/predict.py defines them\n"
  "      --dms FILE        score the variants of a CSV/TSV table (e.g. A25G or A25G:K30R)\n"
  "                        against the one input record; the table with a column per model\n"
  "                        and their mean 'lmscore' goes to stdout (or -o)\n"
  "      --mutant-col NAME the table's variant column (default mutant)\n"
  "      --offset N        number of the sequence's first residue in the table (default 1;\n"
  "                        predict.py's --offset-idx)\n"
  "      --tsv FILE        a summary line per record and model: id, length, model, pll,\n"
  "                        pppl, mean_entropy, windows\n"
  "      --window W        residues per window for long proteins (default: the model's limit)\n"
  "      --overlap O       least overlap of windows (default W/2: 511 for 1022)\n"
  "      --sigmoid S       width of the windows' sigmoid ramps (default 16, as esm-variants)\n"
  "      --batch-tokens N  tokens of masked copies per forward pass (default 1024; 1: one\n"
  "                        masked copy at a time)\n"
  "      --threads N       threads (default: the online CPUs)\n"
  "      --max-memory SIZE most memory to hold (K, M, G; default: what is free at the start)\n"
  "                        a record whose masked batches would need more is refused, naming it\n"
  "      --backend NAME    compute backend: auto (default), cpu, opencl or opencl:P:D, as in attn(1)\n"
  "      --device P:D      OpenCL device D of platform P (--backend opencl:P:D)\n"
  "      --precision P     model weights f32 (default) or f16 (rounded to half), as in attn(1)\n"
  "  -o, --output FILE     write the stream (or the --dms table) to FILE, not stdout\n"
  "  -z, --compress LEVEL  zlib level of the output stream, 0 (default) to 9\n"
  "  -h, --help            this text\n"
  "  -V, --version         version\n"
  "\n"
  "Progress goes to stderr when it is a terminal.\n"
  "No model here defines an exact perplexity (masked LMs; XLNet runs without its query stream):\n"
  "the perplexity reported is the pseudo-perplexity exp(-PLL / L). See lmscore(1).\n";

enum { OPT_LANDSCAPE = 256, OPT_FIGURES, OPT_STRATEGY, OPT_DMS, OPT_MUTCOL, OPT_OFFSET, OPT_TSV, OPT_WINDOW,
       OPT_OVERLAP, OPT_SIGMOID, OPT_BATCH_TOKENS, OPT_THREADS, OPT_BACKEND, OPT_DEVICE, OPT_PRECISION, OPT_VERSION };

enum { WT_MARGINALS, MASKED_MARGINALS, PSEUDO_PPL };
static const char *strategy_name[] = { "wt-marginals", "masked-marginals", "pseudo-ppl" };

typedef struct opts {
  const char      *model[MAXMODELS];
  int              nmodels;
  int              landscape, strategy, offset, zlevel, threads;
  size_t           max_memory;   /* --max-memory, bytes (0: membudget.h's default) */
  const char      *figures, *dms, *mutcol, *tsv, *output, *backend;
  char             device_spec[64];
  plm_dtype        weights;
  plm_lmscore_opts s;
  char           **files;
  int              nfiles;
} opts;

static void
parse_options(int argc, char **argv, opts *o)
{
  static const struct option longopts[] = {
    { "model", required_argument, 0, 'm' },             { "landscape", no_argument, 0, OPT_LANDSCAPE },
    { "figures", required_argument, 0, OPT_FIGURES },    { "strategy", required_argument, 0, OPT_STRATEGY },
    { "dms", required_argument, 0, OPT_DMS },            { "mutant-col", required_argument, 0, OPT_MUTCOL },
    { "offset", required_argument, 0, OPT_OFFSET },      { "tsv", required_argument, 0, OPT_TSV },
    { "window", required_argument, 0, OPT_WINDOW },      { "overlap", required_argument, 0, OPT_OVERLAP },
    { "sigmoid", required_argument, 0, OPT_SIGMOID },    { "batch-tokens", required_argument, 0, OPT_BATCH_TOKENS },
    { "threads", required_argument, 0, OPT_THREADS },    { "backend", required_argument, 0, OPT_BACKEND },
    { "device", required_argument, 0, OPT_DEVICE },      { "precision", required_argument, 0, OPT_PRECISION },
    { "output", required_argument, 0, 'o' },             { "compress", required_argument, 0, 'z' },
    { "help", no_argument, 0, 'h' },                     { "version", no_argument, 0, OPT_VERSION },
    { "max-memory", required_argument, 0, PLM_OPT_MAX_MEMORY },
    { 0, 0, 0, 0 }
  };
  int c, strategy_given = 0;

  memset(o, 0, sizeof *o);
  o->backend        = plm_backend_Default();
  o->strategy       = MASKED_MARGINALS;
  o->offset         = 1;
  o->mutcol         = "mutant";
  o->s.scale        = 16.0;
  o->s.batch_tokens = 1024;
  o->threads        = (int)sysconf(_SC_NPROCESSORS_ONLN);
  if (o->threads < 1) o->threads = 1;
  while ((c = getopt_long(argc, argv, "m:o:z:hV", longopts, NULL)) != -1) {
    switch (c) {
    case 'm':
      if (o->nmodels == MAXMODELS) plm_cli_Usage(TOOL, "at most %d models", MAXMODELS);
      o->model[o->nmodels++] = optarg;
      break;
    case OPT_LANDSCAPE: o->landscape = 1; break;
    case OPT_FIGURES:   o->figures = optarg; o->landscape = 1; break;
    case OPT_STRATEGY:
      strategy_given = 1;
      for (o->strategy = 0; o->strategy < 3 && strcmp(optarg, strategy_name[o->strategy]) != 0; o->strategy++) ;
      if (o->strategy == 3) plm_cli_Usage(TOOL, "--strategy is wt-marginals, masked-marginals or pseudo-ppl, not '%s'", optarg);
      break;
    case OPT_DMS:       o->dms = optarg; break;
    case PLM_OPT_MAX_MEMORY: o->max_memory = plm_cli_Size(TOOL, "--max-memory", optarg); break;
    case OPT_MUTCOL:    o->mutcol = optarg; break;
    case OPT_OFFSET:    o->offset = (int)plm_cli_Integer(TOOL, "--offset", optarg, -1000000000L, 1000000000L); break;
    case OPT_TSV:       o->tsv = optarg; break;
    case OPT_WINDOW:    o->s.window = (int)plm_cli_Integer(TOOL, "--window", optarg, 2, 1000000); break;
    case OPT_OVERLAP:   o->s.overlap = (int)plm_cli_Integer(TOOL, "--overlap", optarg, 1, 1000000); break;
    case OPT_SIGMOID:   o->s.scale = plm_cli_Number(TOOL, "--sigmoid", optarg, 1e-6, 1e6); break;
    case OPT_BATCH_TOKENS: o->s.batch_tokens = plm_cli_Integer(TOOL, "--batch-tokens", optarg, 1, 1L << 30); break;
    case OPT_THREADS:   o->threads = (int)plm_cli_Integer(TOOL, "--threads", optarg, 1, 1024); break;
    case OPT_BACKEND:   o->backend = optarg; break;
    case OPT_DEVICE:    o->backend = plm_cli_Device(TOOL, optarg, o->device_spec, sizeof o->device_spec); break;
    case OPT_PRECISION:
      if (plm_dtype_FromName(optarg, &o->weights) != PLM_OK || (o->weights != PLM_F32 && o->weights != PLM_F16))
        plm_cli_Usage(TOOL, "--precision is f32 or f16, not '%s'", optarg);
      break;
    case 'o':           o->output = optarg; break;
    case 'z':           o->zlevel = (int)plm_cli_Integer(TOOL, "--compress", optarg, 0, 9); break;
    case 'h':           fputs(usage_text, stdout); exit(0);
    case OPT_VERSION:
    case 'V':           plm_cli_Version(TOOL);
    default:            plm_cli_Usage(TOOL, "unknown option");
    }
  }
  if (!o->nmodels) plm_cli_Usage(TOOL, "no model: give -m MODEL");
  if (o->s.overlap && o->s.window && o->s.overlap >= o->s.window) plm_cli_Usage(TOOL, "--overlap must be less than --window");
  if (o->strategy == PSEUDO_PPL && !o->dms) plm_cli_Usage(TOOL, "--strategy pseudo-ppl scores a --dms table (a landscape would take L x 19 x L passes)");
  if (strategy_given && !o->dms && !o->landscape) plm_cli_Usage(TOOL, "--strategy applies to --landscape, --figures and --dms");
  if (o->dms && (o->landscape || o->tsv)) plm_cli_Usage(TOOL, "--dms writes a table: --landscape, --figures and --tsv go without it");
  o->files  = argv + optind;
  o->nfiles = argc - optind;
}

/* the models, opened once */
typedef struct models {
  plm_lm      *m[MAXMODELS];
  plm_lmtokens tk[MAXMODELS];
  int          n;
} models;

/* ---------------------------------------------------------------------------
 * one protein
 */

/* what the records gain: the mean over models */
typedef struct mean {
  int    L;
  double pll;
  float *logprobs, *entropy, *landscape;   /* L x 20, L, L x 20 */
  float *H;                                /* L: one model's entropy */
} mean;

static void
mean_Clear(mean *a)
{
  free(a->logprobs); free(a->entropy); free(a->landscape); free(a->H);
  memset(a, 0, sizeof *a);
}

static int
mean_Create(mean *a, int L, char *errbuf)
{
  memset(a, 0, sizeof *a);
  a->L = L;
  if ((a->logprobs = calloc((size_t)L * PLM_NAMINO, sizeof(float))) == NULL || (a->entropy = calloc((size_t)L, sizeof(float))) == NULL ||
      (a->landscape = calloc((size_t)L * PLM_NAMINO, sizeof(float))) == NULL || (a->H = calloc((size_t)L, sizeof(float))) == NULL) {
    mean_Clear(a);
    return plm_Fail(errbuf, PLM_EMEM, "out of memory");
  }
  return PLM_OK;
}

/* add the model's share (1/n) of s to the mean; buf: L x 20 workspace */
static void
mean_Add(mean *a, const plm_lmscore *s, const plm_lmtokens *tk, int strategy, int landscape, int n, float *buf)
{
  float w = 1.0f / (float)n;
  a->pll += plm_lmscore_PLL(s) / n;
  plm_lmscore_Entropy(s, a->H);
  for (int i = 0; i < a->L; i++) a->entropy[i] += w * a->H[i];
  plm_lmscore_Amino(s->masked, s->L, s->V, tk, buf);
  for (int k = 0; k < a->L * PLM_NAMINO; k++) a->logprobs[k] += w * buf[k];
  if (landscape) {
    plm_lmscore_Landscape(s, strategy == WT_MARGINALS ? s->wt : s->masked, tk, buf);
    for (int k = 0; k < a->L * PLM_NAMINO; k++) a->landscape[k] += w * buf[k];
  }
}

static int
add_tensor(plm_record *rec, const char *name, int rank, int64_t d0, int64_t d1, const float *v, char *errbuf)
{
  int64_t     shape[2] = { d0, d1 };
  plm_tensor *t = NULL;
  int         status;

  PLM_XCHECK(plm_tensor_Create(name, PLM_F32, rank, shape, &t, errbuf));
  memcpy(t->data, v, sizeof *v * (size_t)plm_tensor_Numel(t));
  PLM_XCHECK(plm_record_AddTensor(rec, t, errbuf));
  return PLM_OK;

ERROR:
  plm_tensor_Destroy(t);
  return status;
}

static int
set_number(plm_record *rec, const char *key, double v, char *errbuf)
{
  char num[64];
  snprintf(num, sizeof num, "%.9g", v);
  return plm_record_SetMeta(rec, key, num, errbuf);
}

/* DIR/ID.landscape.{svg,png}, the id's '/' and spaces made '_' */
static int
write_figures(const opts *o, const plm_record *rec, const mean *a, const char *models_csv, char *errbuf)
{
  plm_fig *fig = NULL;
  char     path[4096], title[512], id[256];
  int      status;

  snprintf(id, sizeof id, "%s", rec->id);
  for (char *p = id; *p; p++) if (*p == '/' || *p == ' ' || *p == '\t') *p = '_';
  snprintf(title, sizeof title, "%.60s: %s, %.200s", rec->id, strategy_name[o->strategy], models_csv);
  PLM_XCHECK(plm_lmscore_Figure(a->landscape, rec->seq, a->L, title, &fig, errbuf));
  snprintf(path, sizeof path, "%s/%s.landscape.svg", o->figures, id);
  PLM_XCHECK(plm_fig_WriteSVG(fig, path, errbuf));
  snprintf(path, sizeof path, "%s/%s.landscape.png", o->figures, id);
  PLM_XCHECK(plm_fig_WritePNG(fig, path, errbuf));
  plm_fig_Destroy(fig);
  return PLM_OK;

ERROR:
  plm_fig_Destroy(fig);
  return status;
}

/* what one record's masked batches will hold, refused before they are allocated: each model's
 * forward over a batch of masked copies of one window (logits kept) and the L x 20 tables */
static int
check_memory(const opts *o, const models *ms, const plm_record *rec, char *errbuf)
{
  plm_lm_request lreq = { .logits = 1 };
  long long      L = (long long)strlen(rec->seq), T;
  double         need = 0.0;

  for (int k = 0; k < ms->n; k++) {
    int       W = o->s.window > 0 ? o->s.window : plm_lmscore_Limit(ms->m[k], &ms->tk[k]);
    long long B;
    T    = (W > 0 && W < L ? W : L) + 2;
    B    = o->s.batch_tokens / T > 1 ? o->s.batch_tokens / T : 1;
    if (B > L) B = L > 0 ? L : 1;
    need = fmax(need, plm_lm_EstimateBytes(ms->m[k], T, (int)B, &lreq, &(plm_long){ PLM_LONG_ERROR, 0, 0 }) +
                      2.0 * (double)L * ms->m[k]->vocab * sizeof(float));   /* the masked and wild-type L x V */
  }
  need += (double)L * PLM_NAMINO * sizeof(float) * 8.0;                      /* the means and tables */
  return plm_mem_Check(plm_mem_Limit(o->max_memory), need, errbuf);
}

static int
score_record(const opts *o, models *ms, plm_record *rec, FILE *tsv, char *errbuf)
{
  plm_lmscore_opts so = o->s;
  plm_lmscore      s;
  mean             a = { 0 };
  float           *buf = NULL;
  char             models_csv[2048] = "";
  int              status;

  memset(&s, 0, sizeof s);
  PLM_XCHECK(check_memory(o, ms, rec, errbuf));
  so.masked = 1;
  so.wt     = o->landscape && o->strategy == WT_MARGINALS;
  for (int k = 0; k < ms->n; k++) {
    PLM_XCHECK(plm_lmscore_Run(ms->m[k], &ms->tk[k], rec->seq, &so, &s, errbuf));
    if (k == 0) {
      PLM_XCHECK(mean_Create(&a, s.L, errbuf));
      if ((buf = malloc(sizeof *buf * (size_t)s.L * PLM_NAMINO)) == NULL) PLM_XFAIL(PLM_EMEM, errbuf, "out of memory");
    } else if (s.L != a.L)
      PLM_XFAIL(PLM_EINVAL, errbuf, "%s reads %d residues where %s read %d", ms->m[k]->name, s.L, ms->m[0]->name, a.L);
    mean_Add(&a, &s, &ms->tk[k], o->strategy, o->landscape, ms->n, buf);
    if (tsv) {
      double pll = plm_lmscore_PLL(&s), h = 0.0;
      for (int i = 0; i < s.L; i++) h += a.H[i];
      fprintf(tsv, "%s\t%d\t%s\t%.9g\t%.9g\t%.9g\t%d\n", rec->id, s.L, ms->m[k]->name, pll, exp(-pll / s.L), h / s.L, s.nwin);
    }
    snprintf(models_csv + strlen(models_csv), sizeof models_csv - strlen(models_csv), "%s%s", k ? "," : "", ms->m[k]->name);
    if (k == 0) { char nw[16]; snprintf(nw, sizeof nw, "%d", s.nwin); PLM_XCHECK(plm_record_SetMeta(rec, "lm_windows", nw, errbuf)); }
    plm_lmscore_Clear(&s);
  }
  PLM_XCHECK(set_number(rec, "lm_pll", a.pll, errbuf));
  PLM_XCHECK(set_number(rec, "lm_pppl", exp(-a.pll / a.L), errbuf));
  PLM_XCHECK(plm_record_SetMeta(rec, "lm_models", models_csv, errbuf));
  PLM_XCHECK(add_tensor(rec, "lm_logprobs", 2, a.L, PLM_NAMINO, a.logprobs, errbuf));
  PLM_XCHECK(add_tensor(rec, "lm_entropy", 1, a.L, 0, a.entropy, errbuf));
  if (o->landscape) {
    PLM_XCHECK(plm_record_SetMeta(rec, "lm_strategy", strategy_name[o->strategy], errbuf));
    PLM_XCHECK(add_tensor(rec, "lm_landscape", 2, a.L, PLM_NAMINO, a.landscape, errbuf));
  }
  if (o->figures) PLM_XCHECK(write_figures(o, rec, &a, models_csv, errbuf));
  mean_Clear(&a);
  free(buf);
  return PLM_OK;

ERROR:
  plm_lmscore_Clear(&s);
  mean_Clear(&a);
  free(buf);
  return status;
}

/* ---------------------------------------------------------------------------
 * a --dms table
 */

/* the score of row r's substitutions under one model: the sum of their marginal scores, or the
 * mutant's pseudo-log-likelihood */
static int
score_variant(const opts *o, plm_lm *m, const plm_lmtokens *tk, const char *seq, const plm_lmscore *s,
              const plm_subst *sub, int n, double wt_pll, double *ret, char *errbuf)
{
  plm_lmscore_opts so = o->s;
  plm_lmscore      ms;
  char            *mut;
  int              status;

  *ret = 0.0;
  if (o->strategy != PSEUDO_PPL) {
    const float *lp = o->strategy == WT_MARGINALS ? s->wt : s->masked;
    for (int k = 0; k < n; k++) {
      const float *row = lp + (size_t)sub[k].pos * s->V;
      *ret += row[tk->amino[strchr(PLM_AMINO, sub[k].mt) - PLM_AMINO]] - row[s->tok[sub[k].pos]];
    }
    return PLM_OK;
  }
  if (n == 0) { *ret = wt_pll; return PLM_OK; }
  if ((mut = plm_variant_Apply(seq, sub, n)) == NULL) return plm_Fail(errbuf, PLM_EMEM, "out of memory");
  so.masked = 1; so.wt = 0;
  status = plm_lmscore_Run(m, tk, mut, &so, &ms, errbuf);
  free(mut);
  if (status == PLM_OK) *ret = plm_lmscore_PLL(&ms);
  plm_lmscore_Clear(&ms);
  return status;
}

static int
score_table(const opts *o, models *ms, const plm_record *rec, FILE *out, char *errbuf)
{
  plm_vtable   *t = NULL;
  plm_subst   **sub = NULL;
  int          *nsub = NULL, status;
  double       *score = NULL;           /* rows x models */
  plm_lmscore   s;
  char          cause[PLM_ERRBUFSIZE];

  memset(&s, 0, sizeof s);
  PLM_XCHECK(plm_vtable_Read(o->dms, o->mutcol, &t, errbuf));
  if ((sub = calloc((size_t)t->n + 1, sizeof *sub)) == NULL || (nsub = calloc((size_t)t->n + 1, sizeof *nsub)) == NULL ||
      (score = calloc(((size_t)t->n + 1) * ms->n, sizeof *score)) == NULL)
    PLM_XFAIL(PLM_EMEM, errbuf, "out of memory");
  for (int r = 0; r < t->n; r++)      /* every row checked before any pass runs */
    if (plm_variant_Parse(t->field[r], rec->seq, o->offset, &sub[r], &nsub[r], cause) != PLM_OK)
      PLM_XFAIL(PLM_EINVAL, errbuf, "%s: row %d: %s", o->dms, r + 1, cause);
  for (int k = 0; k < ms->n; k++) {
    plm_lmscore_opts so = o->s;
    double           wt_pll = 0.0;
    so.masked = o->strategy != WT_MARGINALS;
    so.wt     = o->strategy == WT_MARGINALS;
    PLM_XCHECK(plm_lmscore_Run(ms->m[k], &ms->tk[k], rec->seq, &so, &s, errbuf));
    if (so.masked) wt_pll = plm_lmscore_PLL(&s);
    for (int r = 0; r < t->n; r++)
      if (score_variant(o, ms->m[k], &ms->tk[k], rec->seq, &s, sub[r], nsub[r], wt_pll, &score[(size_t)r * ms->n + k], cause) != PLM_OK)
        PLM_XFAIL(PLM_EINVAL, errbuf, "%s: row %d (\"%.60s\"): %s: %s", o->dms, r + 1, t->field[r], ms->m[k]->name, cause);
    plm_lmscore_Clear(&s);
  }
  fputs(t->header, out);
  for (int k = 0; k < ms->n; k++) fprintf(out, "%c%s", t->sep, ms->m[k]->name);
  fprintf(out, "%clmscore\n", t->sep);
  for (int r = 0; r < t->n; r++) {
    double sum = 0.0;
    fputs(t->line[r], out);
    for (int k = 0; k < ms->n; k++) { fprintf(out, "%c%.9g", t->sep, score[(size_t)r * ms->n + k]); sum += score[(size_t)r * ms->n + k]; }
    fprintf(out, "%c%.9g\n", t->sep, sum / ms->n);
  }
  status = PLM_OK;

ERROR:
  plm_lmscore_Clear(&s);
  for (int r = 0; t && sub && r < t->n; r++) free(sub[r]);
  free(sub); free(nsub); free(score);
  plm_vtable_Destroy(t);
  return status;
}

/* ---------------------------------------------------------------------------
 * main
 */

static void
die_writing(plm_streamwriter *w, const char *fmt, const char *msg)
{
  if (w) plm_stream_AbortWrite(w);
  plm_cli_Die(TOOL, fmt, msg);
}

int
main(int argc, char **argv)
{
  char              errbuf[PLM_ERRBUFSIZE], note[PLM_ERRBUFSIZE];
  opts              o;
  models            ms = { .n = 0 };
  plm_backend      *be = NULL;
  plm_streamwriter *w = NULL;
  FILE             *tsv = NULL, *table = stdout;
  static char      *stdin_only[] = { "-" };
  char            **files;
  int               nfiles, nin = 0;
  plm_record       *first = NULL;
  plm_progress     *prog;
  long long         total = 0, before = 0, ndone = 0, nres = 0;   /* progress: input bytes, records, residues */

  plm_cli_Init();
  parse_options(argc, argv, &o);
  files  = o.nfiles ? o.files : stdin_only;
  nfiles = o.nfiles ? o.nfiles : 1;

  if (plm_backend_CreateOrCpu(o.backend, o.threads, &be, note, errbuf) != PLM_OK) plm_cli_Die(TOOL, "%s", errbuf);
  if (note[0]) fprintf(stderr, "%s: warning: %s\n", TOOL, note);
  if (plm_backend_SetWeights(be, o.weights, errbuf) != PLM_OK) plm_cli_Die(TOOL, "%s", errbuf);
  for (int k = 0; k < o.nmodels; k++) {
    if (plm_lm_Open(o.model[k], be, &ms.m[k], errbuf) != PLM_OK) plm_cli_Die(TOOL, "%s", errbuf);
    ms.n++;
    if (!ms.m[k]->has_lmhead) plm_cli_Die(TOOL, "%s has no LM head: lmscore needs the model's logits", ms.m[k]->path);
    if (plm_lmtokens_Setup(ms.m[k], &ms.tk[k], errbuf) != PLM_OK) plm_cli_Die(TOOL, "%s", errbuf);
  }
  if (o.figures && mkdir(o.figures, 0777) != 0 && errno != EEXIST) plm_cli_Die(TOOL, "%s: %s", o.figures, strerror(errno));
  if (o.tsv) {
    if ((tsv = fopen(o.tsv, "w")) == NULL) plm_cli_Die(TOOL, "%s: %s", o.tsv, strerror(errno));
    fputs("id\tlength\tmodel\tpll\tpppl\tmean_entropy\twindows\n", tsv);
  }
  if (o.dms && o.output && (table = fopen(o.output, "w")) == NULL) plm_cli_Die(TOOL, "%s: %s", o.output, strerror(errno));
  if (!o.dms && plm_stream_OpenWrite(o.output ? o.output : "-", o.zlevel, &w, errbuf) != PLM_OK) plm_cli_Die(TOOL, "%s", errbuf);

  for (int f = 0; f < nfiles; f++) total += plm_progress_FileSize(files[f]);
  prog = plm_progress_Create(TOOL, PLM_PROGRESS_AUTO, total);      /* on a terminal only */
  for (int f = 0; f < nfiles; f++) {
    plm_streamreader *r;
    plm_record       *rec;
    int               status;
    long long         nrec = 0;

    if (plm_stream_OpenRead(files[f], &r, errbuf) != PLM_OK) die_writing(w, "%s", errbuf);
    plm_stream_SetMaxMemory(r, o.max_memory);
    while ((status = plm_stream_Read(r, &rec, errbuf)) == PLM_OK) {
      char cause[PLM_ERRBUFSIZE];
      nrec++;
      if (o.dms) {                      /* the table's wild type: exactly one record */
        if (nin++ > 0) {
          snprintf(errbuf, sizeof errbuf, "%.200s: record %lld (\"%.60s\"): --dms scores one wild type, and the input holds more than one record",
                   plm_cli_InputName(files[f]), nrec, rec->id);
          plm_record_Destroy(rec);
          status = PLM_EINVAL;
          break;
        }
        first = rec;
        continue;
      }
      plm_progress_Update(prog, ndone++, nres, total ? before + plm_stream_Tell(r) : -1);
      nres += (long long)strlen(rec->seq);
      status = score_record(&o, &ms, rec, tsv, cause);
      if (status == PLM_OK) status = plm_stream_Write(w, rec, cause);
      if (status != PLM_OK) snprintf(errbuf, sizeof errbuf, "%.200s: record %lld (\"%.60s\"): %.200s", plm_cli_InputName(files[f]), nrec, rec->id, cause);
      plm_record_Destroy(rec);
      if (status != PLM_OK) break;
    }
    plm_stream_CloseRead(r);
    if (status != PLM_EOF) die_writing(w, "%s", errbuf);
    before += plm_progress_FileSize(files[f]);
  }
  plm_progress_Update(prog, ndone, nres, total ? total : -1);
  plm_progress_Finish(prog);
  if (o.dms) {
    if (!first) plm_cli_Die(TOOL, "--dms: no input record: give the wild type's sequence as one record");
    if (score_table(&o, &ms, first, table, errbuf) != PLM_OK) plm_cli_Die(TOOL, "%s", errbuf);
    plm_record_Destroy(first);
    if (fflush(table) != 0 || ferror(table) || (table != stdout && fclose(table) != 0))
      plm_cli_Die(TOOL, "writing %s failed", o.output ? o.output : "stdout");
  }
  if (w && plm_stream_CloseWrite(w, errbuf) != PLM_OK) plm_cli_Die(TOOL, "%s", errbuf);
  if (tsv && (fflush(tsv) != 0 || ferror(tsv) || fclose(tsv) != 0)) plm_cli_Die(TOOL, "writing %s failed", o.tsv);
  for (int k = 0; k < ms.n; k++) plm_lm_Close(ms.m[k]);
  plm_backend_Destroy(be);
  return 0;
}
