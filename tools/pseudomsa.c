/* pseudomsa.c: pseudo-MSAs sampled from a masked language model (Rao et al. 2021, Algorithm 1).
 *
 *   seqread query.fasta | pseudomsa -m esm2_t6_8M_UR50D.pt -n 10000 > pseudo.a3m
 *
 * For every input record: start from its sequence, then repeatedly mask a fraction of
 * the positions, redraw them from the model's logits (libcore/analysis/gibbs.h) and write the
 * result as one alignment row; after each row a chain goes back to the query with the
 * restart probability. Output is A3M (query first), or records on the stream; -o FILE --resume
 * keeps the whole pseudo-MSAs of a cut output (libcore/app/resume.h) and goes on.
 * man/man1/pseudomsa.1 is the contract.
 *
 *   main()             options, model, the record loop
 *   sample_record()    one pseudo-MSA
 *   model_logits()     the gibbs callback: the chains' forward passes, batched where the model can
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include "backend.h"
#include "cli.h"
#include "membudget.h"
#include "error.h"
#include "progress.h"
#include "gibbs.h"
#include "lm.h"
#include "lmtokens.h"
#include "lmcost.h"
#include "record.h"
#include "resume.h"
#include "rng.h"
#include "stream.h"

#define TOOL "pseudomsa"
#define AMINO  PLM_AMINO
#define NAMINO PLM_NAMINO

static const char usage_text[] =
  "Usage: pseudomsa -m MODEL [options] [FILE...]\n"
  "Sample a pseudo-MSA from a masked language model for every record of a stream (FILEs\n"
  "or stdin): mask a fraction of positions, redraw them from the logits, write the row,\n"
  "now and then restart from the query (Rao et al. 2021, Algorithm 1). A3M on stdout.\n"
  "\n"
  "  -m, --model PATH      a model with an LM head (as attn -m)\n"
  "  -n, --iterations N    rows sampled per query (default 10000)\n"
  "      --fraction X      fraction of the free positions masked per iteration (default 0.2)\n"
  "      --restart P       probability of restarting from the query after a row (default 0.1)\n"
  "      --argmax          take the most likely amino acid instead of sampling\n"
  "      --temperature T   sampling temperature (default 1; 0 is --argmax)\n"
  "      --top-k K         sample among the K most likely amino acids (default 0: all 20)\n"
  "      --fixed LIST      1-based positions never masked, e.g. 1,10-20\n"
  "      --chains C        chains advancing together, rows interleaved (default 1)\n"
  "      --no-batch        run the chains' forward passes one at a time, not as one batch\n"
  "      --seed S          random seed (default 1): same seed, model, options -> same output\n"
  "      --stream          write records on the stream (query first) instead of A3M\n"
  "  -o, --output FILE     write the A3M (or the stream) to FILE, not stdout\n"
  "      --resume          with -o: keep the whole pseudo-MSAs of a FILE a cut run left, skip\n"
  "                        their queries in the input (their ids must match), and go on\n"
  "      --progress        a progress line on stderr even when it is not a terminal\n"
  "      --quiet           no progress line (default when stderr is not a terminal)\n"
  "  -z, --compress LEVEL  with --stream: zlib level 0 (default) to 9\n"
  "      --threads N       threads (default: the online CPUs)\n"
  "      --backend NAME    compute backend: auto (default), cpu, opencl or opencl:P:D, as in attn(1)\n"
  "      --device P:D      OpenCL device D of platform P (--backend opencl:P:D)\n"
  "      --precision P     model weights f32 (default) or f16 (rounded to half), as in attn(1)\n"
  "      --max-memory SIZE most memory to hold (K, M, G; default: what is free at the start)\n"
  "                        a record that would need more is refused, naming it\n"
  "  -h, --help            this text\n"
  "  -V, --version         version\n"
  "\n"
  "Draws range over the 20 standard amino acids only. Rows are named ID_sample_K, K = 1..N.\n"
  "Same seed and options: --resume gives the bytes of an uninterrupted run. See pseudomsa(1).\n";

enum { OPT_FRACTION = 256, OPT_RESTART, OPT_ARGMAX, OPT_TEMP, OPT_TOPK, OPT_FIXED, OPT_CHAINS,
       OPT_NOBATCH, OPT_SEED, OPT_STREAM, OPT_THREADS, OPT_BACKEND, OPT_DEVICE, OPT_VERSION,
       OPT_PRECISION, OPT_RESUME, OPT_PROGRESS, OPT_QUIET };

typedef struct opts {
  const char    *model, *backend, *fixed;
  char           device_spec[64];       /* "opencl:P:D" from --device */
  plm_gibbs_opts g;
  long           rows;
  int            chains, nobatch, stream, zlevel, threads;
  int            resume, progress;   /* --resume; PLM_PROGRESS_AUTO, _ON (--progress), _OFF (--quiet) */
  const char    *output;     /* -o FILE; NULL: stdout */
  uint64_t       seed;
  plm_dtype      weights;  /* --precision */
  char         **files;
  int            nfiles;
  size_t         max_memory;   /* --max-memory, bytes (0: membudget.h's default) */
} opts;

static void
parse_options(int argc, char **argv, opts *o)
{
  static const struct option longopts[] = {
    { "model", required_argument, 0, 'm' },            { "iterations", required_argument, 0, 'n' },
    { "fraction", required_argument, 0, OPT_FRACTION }, { "restart", required_argument, 0, OPT_RESTART },
    { "argmax", no_argument, 0, OPT_ARGMAX },          { "temperature", required_argument, 0, OPT_TEMP },
    { "top-k", required_argument, 0, OPT_TOPK },       { "fixed", required_argument, 0, OPT_FIXED },
    { "chains", required_argument, 0, OPT_CHAINS },    { "seed", required_argument, 0, OPT_SEED },
    { "no-batch", no_argument, 0, OPT_NOBATCH },
    { "stream", no_argument, 0, OPT_STREAM },          { "compress", required_argument, 0, 'z' },
    { "output", required_argument, 0, 'o' },
    { "threads", required_argument, 0, OPT_THREADS },  { "backend", required_argument, 0, OPT_BACKEND },
    { "device", required_argument, 0, OPT_DEVICE },
    { "max-memory", 1, 0, PLM_OPT_MAX_MEMORY },
    { "help", no_argument, 0, 'h' },                   { "version", no_argument, 0, OPT_VERSION },
    { "precision", required_argument, 0, OPT_PRECISION },
    { "resume", no_argument, 0, OPT_RESUME }, { "progress", no_argument, 0, OPT_PROGRESS }, { "quiet", no_argument, 0, OPT_QUIET },
    { 0, 0, 0, 0 }
  };
  int argmax = 0, c;

  memset(o, 0, sizeof *o);
  o->backend       = plm_backend_Default();
  o->rows          = 10000;
  o->g.fraction    = 0.2;
  o->g.restart     = 0.1;
  o->g.temperature = 1.0;
  o->chains        = 1;
  o->seed          = 1;
  o->progress      = PLM_PROGRESS_AUTO;
  o->threads       = (int)sysconf(_SC_NPROCESSORS_ONLN);
  if (o->threads < 1) o->threads = 1;
  while ((c = getopt_long(argc, argv, "m:n:o:z:hV", longopts, NULL)) != -1) {
    switch (c) {
    case 'm':          o->model = optarg; break;
    case 'o':          o->output = optarg; break;
    case 'n':          o->rows = plm_cli_Integer(TOOL, "--iterations", optarg, 1, 100000000L); break;
    case OPT_FRACTION:
      o->g.fraction = plm_cli_Number(TOOL, "--fraction", optarg, 0.0, 1.0);
      if (o->g.fraction == 0.0) plm_cli_Usage(TOOL, "--fraction must be above 0");
      break;
    case OPT_RESTART:  o->g.restart = plm_cli_Number(TOOL, "--restart", optarg, 0.0, 1.0); break;
    case OPT_ARGMAX:   argmax = 1; break;
    case OPT_TEMP:     o->g.temperature = plm_cli_Number(TOOL, "--temperature", optarg, 0.0, 1e6); break;
    case OPT_TOPK:     o->g.top_k = (int)plm_cli_Integer(TOOL, "--top-k", optarg, 0, NAMINO); break;
    case OPT_FIXED:    o->fixed = optarg; break;
    case OPT_CHAINS:   o->chains = (int)plm_cli_Integer(TOOL, "--chains", optarg, 1, 4096); break;
    case OPT_NOBATCH:  o->nobatch = 1; break;
    case OPT_RESUME:   o->resume = 1; break;
    case OPT_PROGRESS: o->progress = PLM_PROGRESS_ON; break;
    case OPT_QUIET:    o->progress = PLM_PROGRESS_OFF; break;
    case OPT_SEED:     o->seed = (uint64_t)plm_cli_Integer(TOOL, "--seed", optarg, 0, 0x7fffffffffffffffL); break;
    case OPT_STREAM:   o->stream = 1; break;
    case 'z':          o->zlevel = (int)plm_cli_Integer(TOOL, "--compress", optarg, 0, 9); break;
    case OPT_THREADS:  o->threads = (int)plm_cli_Integer(TOOL, "--threads", optarg, 1, 1024); break;
    case OPT_BACKEND:  o->backend = optarg; break;
    case OPT_DEVICE:   o->backend = plm_cli_Device(TOOL, optarg, o->device_spec, sizeof o->device_spec); break;
    case OPT_PRECISION:
      if (plm_dtype_FromName(optarg, &o->weights) != PLM_OK || (o->weights != PLM_F32 && o->weights != PLM_F16))
        plm_cli_Usage(TOOL, "--precision is f32 or f16, not '%s'", optarg);
      break;
    case PLM_OPT_MAX_MEMORY: o->max_memory = plm_cli_Size(TOOL, "--max-memory", optarg); break;
    case 'h':          fputs(usage_text, stdout); exit(0);
    case OPT_VERSION:
    case 'V':          plm_cli_Version(TOOL);
    default:           plm_cli_Usage(TOOL, "unknown option");
    }
  }
  if (argmax) o->g.temperature = 0.0;
  if (!o->model) plm_cli_Usage(TOOL, "no model: give -m MODEL");
  if (o->resume && !o->output) plm_cli_Usage(TOOL, "--resume needs -o FILE, the output a cut run left");
  o->files  = argv + optind;
  o->nfiles = argc - optind;
}

/* ---------------------------------------------------------------------------
 * the model
 */

/* one query's forward passes: the token buffer with its special tokens in place, one row per chain */
typedef struct lmctx {
  plm_lm        *m;
  const plm_lmtokens *tk;
  int32_t       *ids;           /* cap x T, each row the query's tokens with its specials */
  int            T, cap, batch;
  float         *logits;        /* cap x L x V: the residue rows of each chain's logits */
  int            V;
  plm_lm_request req;
  plm_lm_output  out;
} lmctx;

/* room for B chains: the query's row copied into each new one */
static int
lmctx_Reserve(lmctx *c, int B, int L, char *errbuf)
{
  int32_t *ids;
  float   *lg;
  int      V = c->m->vocab, status;

  if (B <= c->cap) return PLM_OK;
  if ((ids = realloc(c->ids, sizeof *ids * (size_t)B * (size_t)c->T)) == NULL) PLM_XFAIL(PLM_EMEM, errbuf, "out of memory");
  c->ids = ids;
  for (int b = (c->cap > 0 ? c->cap : 1); b < B; b++) memcpy(ids + (size_t)b * c->T, ids, sizeof *ids * (size_t)c->T);
  if ((lg = realloc(c->logits, sizeof *lg * (size_t)B * (size_t)L * (size_t)V)) == NULL) PLM_XFAIL(PLM_EMEM, errbuf, "out of memory");
  c->logits = lg;
  c->cap = B;
  return PLM_OK;

ERROR:
  return status;
}

/* keep the residue rows of logits (T x V) for chain b */
static int
keep_logits(lmctx *c, int b, int L, const plm_tensor *logits, const float *rows, char *errbuf)
{
  int V = (int)logits->shape[1];
  if (V != c->m->vocab) return plm_Fail(errbuf, PLM_EFORMAT, "%s: %d logits per token, expected %d", c->m->name, V, c->m->vocab);
  c->V = V;
  memcpy(c->logits + (size_t)b * L * V, rows + (size_t)c->tk->lead * V, sizeof *rows * (size_t)L * V);
  return PLM_OK;
}

/* the gibbs callback: B chains through one batched forward pass where the model has one (and
 * --no-batch is not given), else one pass each; token dropout scaling follows each chain's
 * masked fraction inside the forward */
static int
model_logits(void *ctx, const int32_t *chains, int B, int L, const float **ret_logits, int *ret_V, char *errbuf)
{
  lmctx *c = ctx;
  int    status;

  PLM_XCHECK(lmctx_Reserve(c, B, L, errbuf));
  for (int b = 0; b < B; b++)
    memcpy(c->ids + (size_t)b * c->T + c->tk->lead, chains + (size_t)b * L, sizeof *chains * (size_t)L);
  if (c->batch && c->m->forward_batch) {
    plm_lmout_Clear(&c->out);
    PLM_XCHECK(c->m->forward_batch(c->m, c->ids, B, c->T, &c->out, errbuf));
    for (int b = 0; b < B; b++)
      PLM_XCHECK(keep_logits(c, b, L, c->out.logits, (const float *)c->out.logits->data + (size_t)b * c->T * c->m->vocab, errbuf));
  } else
    for (int b = 0; b < B; b++) {
      plm_lmout_Clear(&c->out);
      PLM_XCHECK(c->m->forward(c->m, c->ids + (size_t)b * c->T, c->T, &c->req, &c->out, errbuf));
      PLM_XCHECK(keep_logits(c, b, L, c->out.logits, c->out.logits->data, errbuf));
    }
  *ret_V      = c->V;
  *ret_logits = c->logits;
  return PLM_OK;

ERROR:
  return status;
}

/* ---------------------------------------------------------------------------
 * output
 */

typedef struct sink {
  plm_streamwriter *w;          /* --stream, or NULL: A3M on fp */
  FILE             *fp;
  const plm_lm     *m;
} sink;

/* one alignment row; k = 0 is the query itself */
static int
write_row(sink *s, const char *qid, long k, const char *row, char *errbuf)
{
  plm_record *rec = NULL;
  char        id[PLM_ERRBUFSIZE], num[32];
  int         status;

  if (k == 0) snprintf(id, sizeof id, "%s", qid);
  else        snprintf(id, sizeof id, "%s_sample_%ld", qid, k);
  if (!s->w) {
    if (fprintf(s->fp, ">%s\n%s\n", id, row) < 0) PLM_XFAIL(PLM_EIO, errbuf, "write failed");
    return PLM_OK;
  }
  snprintf(num, sizeof num, "%ld", k);
  PLM_XCHECK(plm_record_Create(id, row, &rec, errbuf));
  PLM_XCHECK(plm_record_SetAligned(rec, row, errbuf));
  PLM_XCHECK(plm_record_SetMeta(rec, "pseudomsa_query", qid, errbuf));
  PLM_XCHECK(plm_record_SetMeta(rec, "pseudomsa_row", num, errbuf));
  PLM_XCHECK(plm_record_SetMeta(rec, "model", s->m->name, errbuf));
  PLM_XCHECK(plm_stream_Write(s->w, rec, errbuf));
  plm_record_Destroy(rec);
  return PLM_OK;

ERROR:
  plm_record_Destroy(rec);
  return status;
}

/* ---------------------------------------------------------------------------
 * one pseudo-MSA
 */

/* what one query's sampling holds */
typedef struct job {
  int        L;
  char      *qtext;              /* the query's residues, one letter each */
  int32_t   *query;              /* L residue tokens */
  int32_t   *chain;              /* chains x L */
  uint64_t  *rng;                /* one per chain */
  uint8_t   *fixed;              /* L */
  char      *row;                /* L + 1 */
  plm_gibbs *g;
  lmctx      lc;
} job;

static void
job_Clear(job *j)
{
  free(j->qtext); free(j->query); free(j->chain); free(j->rng); free(j->fixed); free(j->row);
  plm_gibbs_Destroy(j->g);
  free(j->lc.ids);
  free(j->lc.logits);
  plm_lmout_Clear(&j->lc.out);
  memset(j, 0, sizeof *j);
}

/* the query's tokens and letters; refuses what the sampler could not write back as letters */
static int
job_Query(job *j, plm_lm *m, const plm_lmtokens *tk, const char *seq, char *errbuf)
{
  int n = 0, status;

  PLM_XCHECK(m->tokenize(m, seq, &j->lc.ids, &j->lc.T, errbuf));
  j->L = j->lc.T - tk->lead - tk->trail;
  if (m->max_tokens && j->lc.T > m->max_tokens)
    PLM_XFAIL(PLM_ELIMIT, errbuf, "%d residues exceed %s's limit of %d", j->L, m->name, m->max_tokens - tk->lead - tk->trail);
  if ((j->qtext = malloc(strlen(seq) + 1)) == NULL) PLM_XFAIL(PLM_EMEM, errbuf, "out of memory");
  for (const char *p = seq; *p; p++)
    if (*p != ' ' && *p != '\t' && *p != '\n' && *p != '\r') j->qtext[n++] = *p;
  j->qtext[n] = '\0';
  if (n != j->L || strchr(j->qtext, '<'))
    PLM_XFAIL(PLM_EUNSUP, errbuf, "inline special tokens (\"<mask>\", ...) in a query are not supported");
  if ((j->query = malloc(sizeof *j->query * (size_t)(j->L + 1))) == NULL) PLM_XFAIL(PLM_EMEM, errbuf, "out of memory");
  memcpy(j->query, j->lc.ids + tk->lead, sizeof *j->query * (size_t)j->L);
  return PLM_OK;

ERROR:
  return status;
}

static int
job_Create(job *j, plm_lm *m, const plm_lmtokens *tk, const opts *o, const char *seq, uint64_t *master, char *errbuf)
{
  int status;

  memset(j, 0, sizeof *j);
  PLM_XCHECK(job_Query(j, m, tk, seq, errbuf));
  if ((j->chain = malloc(sizeof *j->chain * (size_t)o->chains * (size_t)(j->L + 1))) == NULL ||
      (j->rng = malloc(sizeof *j->rng * (size_t)o->chains)) == NULL ||
      (j->fixed = calloc((size_t)j->L + 1, 1)) == NULL ||
      (j->row = malloc((size_t)j->L + 1)) == NULL)
    PLM_XFAIL(PLM_EMEM, errbuf, "out of memory");
  if (o->fixed) PLM_XCHECK(plm_gibbs_ParsePositions(o->fixed, j->L, j->fixed, errbuf));
  PLM_XCHECK(plm_gibbs_Create(j->L, j->fixed, tk->amino, NAMINO, &o->g, &j->g, errbuf));
  /* a generator per chain, so a chain's draws do not depend on the order chains run in */
  for (int c = 0; c < o->chains; c++) {
    j->rng[c] = plm_rng_Next(master);
    memcpy(j->chain + (size_t)c * j->L, j->query, sizeof *j->query * (size_t)j->L);
  }
  j->lc.m = m;
  j->lc.tk = tk;
  j->lc.req.logits = 1;
  j->lc.batch      = !o->nobatch;
  return PLM_OK;

ERROR:
  job_Clear(j);
  return status;
}

/* a chain's tokens as letters: the query's own letter where the query's token stands */
static const char *
row_text(job *j, const plm_lmtokens *tk, const int32_t *chain)
{
  for (int p = 0; p < j->L; p++) {
    j->row[p] = j->qtext[p];
    if (chain[p] != j->query[p])
      for (int a = 0; a < NAMINO; a++)
        if (chain[p] == tk->amino[a]) j->row[p] = AMINO[a];
  }
  j->row[j->L] = '\0';
  return j->row;
}

static int
sample_record(plm_lm *m, const plm_lmtokens *tk, const opts *o, const plm_record *rec, uint64_t *master,
              sink *s, plm_progress *prog, char *errbuf)
{
  job  j;
  long k = 0;
  int  status;
  /* the chains' batched forward pass and the logits kept of each, refused before they are allocated */
  plm_lm_request lreq = { .logits = 1 };
  long long      T = (long long)strlen(rec->seq) + 2;
  double         need = plm_lm_EstimateBytes(m, T, o->chains, &lreq, &(plm_long){ PLM_LONG_ERROR, 0, 0 }) +
                        (double)o->chains * (double)T * (4.0 * m->vocab + 16.0);

  memset(&j, 0, sizeof j);
  PLM_XCHECK(plm_mem_Check(plm_mem_Limit(o->max_memory), need, errbuf));
  PLM_XCHECK(job_Create(&j, m, tk, o, rec->seq, master, errbuf));
  PLM_XCHECK(write_row(s, rec->id, 0, j.qtext, errbuf));
  while (k < o->rows) {
    /* the chains still needed advance together, one forward pass for all; each uses only its own
     * rng, so the rows are those of chains stepping in turn */
    int nc = o->rows - k < o->chains ? (int)(o->rows - k) : o->chains;
    PLM_XCHECK(plm_gibbs_StepBatch(j.g, j.chain, nc, tk->mask, model_logits, &j.lc, j.rng, errbuf));
    for (int c = 0; c < nc; c++) {
      int32_t *chain = j.chain + (size_t)c * j.L;
      PLM_XCHECK(write_row(s, rec->id, ++k, row_text(&j, tk, chain), errbuf));
      if (plm_gibbs_Restart(j.g, &j.rng[c])) memcpy(chain, j.query, sizeof *chain * (size_t)j.L);
    }
    plm_progress_Note(prog, "%.40s: %ld/%ld rows", rec->id, k, o->rows);
  }
  job_Clear(&j);
  return PLM_OK;

ERROR:
  job_Clear(&j);
  return status;
}

/* --stream --resume: a pseudo-MSA (one unit) ends with its row N */
static int
last_row(const plm_record *rec, void *arg)
{
  const char *k = plm_record_GetMeta(rec, "pseudomsa_row");
  return k && strtol(k, NULL, 10) == *(const long *)arg;
}

/* a query kept from a cut run: its generators drawn as sampling it drew them, so the next
 * query's draws are those of an uninterrupted run */
static void
skip_query(const opts *o, uint64_t *master)
{
  for (int c = 0; c < o->chains; c++) plm_rng_Next(master);
}

int
main(int argc, char **argv)
{
  char              errbuf[PLM_ERRBUFSIZE], note[PLM_ERRBUFSIZE];
  opts              o;
  plm_lmtokens      tk;
  sink              s = { NULL, NULL, NULL };
  plm_backend      *be = NULL;
  plm_lm           *m = NULL;
  plm_resume       *rs;
  plm_progress     *prog;
  long long         total = 0, before = 0, ndone = 0, nres = 0;   /* progress: input bytes, records, residues */
  static char      *stdin_only[] = { "-" };
  char            **files;
  int               nfiles, status;
  uint64_t          master;

  plm_cli_Init();
  parse_options(argc, argv, &o);
  files  = o.nfiles ? o.files : stdin_only;
  nfiles = o.nfiles ? o.nfiles : 1;
  master = o.seed;

  if (plm_backend_CreateOrCpu(o.backend, o.threads, &be, note, errbuf) != PLM_OK) plm_cli_Die(TOOL, "%s", errbuf);
  if (note[0]) fprintf(stderr, "%s: warning: %s\n", TOOL, note);
  if (plm_backend_SetWeights(be, o.weights, errbuf) != PLM_OK) plm_cli_Die(TOOL, "%s", errbuf);
  if (plm_lm_Open(o.model, be, &m, errbuf) != PLM_OK) plm_cli_Die(TOOL, "%s", errbuf);
  if (!m->has_lmhead) plm_cli_Die(TOOL, "%s has no LM head: pseudomsa needs the model's logits", m->path);
  if (plm_lmtokens_Setup(m, &tk, errbuf) != PLM_OK) plm_cli_Die(TOOL, "%s", errbuf);
  s.m = m;
  /* one unit per query: its N + 1 records, or its 2 (N + 1) A3M lines */
  status = o.stream ? plm_resume_OpenStream(TOOL, o.output, o.zlevel, o.resume, last_row, &o.rows, &rs, &s.w, errbuf)
                    : plm_resume_OpenText(TOOL, o.output, o.resume, 2 * (o.rows + 1), &rs, &s.fp, errbuf);
  if (status != PLM_OK) plm_cli_Die(TOOL, "%s", errbuf);

  for (int f = 0; f < nfiles; f++) total += plm_progress_FileSize(files[f]);
  prog = plm_progress_Create(TOOL, o.progress, total);
  for (int f = 0; f < nfiles; f++) {
    plm_streamreader *r;
    plm_record       *rec;
    long long         nrec = 0;

    if ((status = plm_stream_OpenRead(files[f], &r, errbuf)) != PLM_OK) break;
    plm_stream_SetMaxMemory(r, o.max_memory);
    while ((status = plm_stream_Read(r, &rec, errbuf)) == PLM_OK) {
      char cause[PLM_ERRBUFSIZE];
      int  skip;
      nrec++;
      plm_progress_Update(prog, ndone++, nres, total ? before + plm_stream_Tell(r) : -1);
      nres += (long long)strlen(rec->seq);
      if ((status = plm_resume_Skip(rs, plm_cli_InputName(files[f]), nrec, rec->id, &skip, errbuf)) == PLM_OK) {
        if (skip) skip_query(&o, &master);
        else if ((status = sample_record(m, &tk, &o, rec, &master, &s, prog, cause)) != PLM_OK)
          snprintf(errbuf, sizeof errbuf, "%.200s: record %lld (\"%.60s\"): %.200s", plm_cli_InputName(files[f]), nrec, rec->id, cause);
      }
      plm_record_Destroy(rec);
      if (status != PLM_OK) break;
    }
    plm_stream_CloseRead(r);
    if (status != PLM_EOF) break;
    before += plm_progress_FileSize(files[f]);
  }
  plm_progress_Update(prog, ndone, nres, total ? total : -1);
  plm_progress_Finish(prog);
  if (status == PLM_EOF) status = plm_resume_Finish(rs, errbuf);
  else plm_resume_Abort(rs);
  if (status != PLM_OK) {
    if (s.w) plm_stream_AbortWrite(s.w);
    plm_cli_Die(TOOL, "%s", errbuf);
  }
  if (s.w && plm_stream_CloseWrite(s.w, errbuf) != PLM_OK) plm_cli_Die(TOOL, "%s", errbuf);
  if (s.fp && (fflush(s.fp) != 0 || ferror(s.fp) || (s.fp != stdout && fclose(s.fp) != 0)))
    plm_cli_Die(TOOL, "%s: write failed", o.output ? o.output : "stdout");
  plm_lm_Close(m);
  plm_backend_Destroy(be);
  return 0;
}
