/* attn.c: run a protein language model over a record stream; add attention maps, representations,
 * logits and contacts to each record.
 *
 *   seqread prots.fasta | attn -m esm2_t33_650M_UR50D.pt --contacts > contacts.tsr
 *
 * Records are read a batch at a time (--batch-tokens) and each batch runs as one forward pass
 * (plm_lm_RunBatch, libcore/model/lm.h); records come out in input order. What each record gains is
 * chosen by options. -o FILE --resume keeps the intact records of a cut output and goes on.
 * man/man1/attn.1 is the contract: tensor names, shapes and metadata.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "backend.h"
#include "backend_opencl.h"
#include "cli.h"
#include "error.h"
#include "lm.h"
#include "lmcost.h"
#include "membudget.h"
#include "msa.h"
#include "msarows.h"
#include "progress.h"
#include "record.h"
#include "resume.h"
#include "stream.h"
#include "vocab.h"

#define TOOL "attn"

static const char usage_text[] =
  "Usage: attn -m MODEL [options] [FILE...]\n"
  "Run a protein language model on every record of a stream (FILEs or stdin) and add tensors.\n"
  "\n"
  "  -m, --model PATH      fair-esm .pt (merges PATH-stem-contact-regression.pt beside it),\n"
  "                        HuggingFace folder, or .safetensors\n"
  "      --attentions      add 'attentions' [layers x heads x T x T], special tokens included\n"
  "      --layers LIST     only these layers, 1-based, e.g. 1,3-5 (implies --attentions)\n"
  "      --heads LIST      only these heads, 1-based (implies --attentions)\n"
  "      --attn-dtype T    f32 (default) or f16\n"
  "      --repr LIST       add 'repr<K>' [T x D]: K = 0 embeddings .. N last layer; 'all';\n"
  "                        'last' or -1 the last layer, -2 the one before (fair-esm's)\n"
  "      --embeddings      add 'embeddings' [T x D], the final LayerNorm's output, for models\n"
  "                        whose repr<N> is the last block's output before it (ESM C)\n"
  "      --residues-only   repr<K> and embeddings without the special-token rows: [L x D]\n"
  "                        (fair-esm's [1:-1])\n"
  "      --logits          add 'logits' [T x V], V the model's vocabulary (33 for ESM)\n"
  "      --contacts        add 'contacts' [L x L], the model's own contact head\n"
  "      --mean[=LIST]     add 'mean<K>' [D], the mean over residues of repr<K>; with a\n"
  "                        LIST, of those layers, without storing their repr<K>\n"
  "      --bos             add 'bos<K>' [D], the leading special token's row of repr<K>\n"
  "                        (BOS, [CLS]; XLNet: its trailing <cls>)\n"
  "                        (--mean/--bos: the --repr layers, else the last layer; with\n"
  "                        --embeddings also 'mean_embeddings' / 'bos_embeddings')\n"
  "      --long POLICY     proteins over the model's limit: error (default), truncate,\n"
  "                        window:W:S (windows of W residues every S, averaged)\n"
  "      --attn-memory SIZE\n"
  "                        most bytes for one layer's attention maps (heads x rows x T\n"
  "                        float32, 4 bytes each; K, M, G; default 16M on the CPU, 1G on OpenCL):\n"
  "                        longer proteins run attention in blocks of query rows (ESM)\n"
  "      --max-memory SIZE most memory the run may hold (K, M, G; default: what the machine\n"
  "                        has available at the start); a record that would need more is refused\n"
  "      --threads N       threads (default: the online CPUs)\n"
  "      --backend NAME    compute backend: auto (default: $PLMSCOPE_BACKEND, else the\n"
  "                        first OpenCL GPU if any, else the CPU), cpu, opencl, or\n"
  "                        opencl:P:D; where OpenCL cannot run, a warning and the CPU\n"
  "      --device P:D      OpenCL device D of platform P (--backend opencl:P:D)\n"
  "      --list-devices    list the OpenCL platforms and devices, then exit\n"
  "      --precision P     model weights f32 (default) or f16: matrices rounded to half,\n"
  "                        float32 arithmetic, half the memory for the weights\n"
  "      --msa             MSA Transformer: the records of each input are the rows of one\n"
  "                        alignment (aligned FASTA or A3M via seqread, query first; A3M\n"
  "                        insertions dropped); one record out, the query's, with\n"
  "                        'row_attentions' [layers x heads x C x C] for --attentions\n"
  "                        (C = columns + BOS), contacts, logits and repr<K> of the query row\n"
  "      --col-attentions  with --msa: add 'col_attentions' [(layers x heads) x C x R x R],\n"
  "                        layer-major (layer l, head h at l x heads + h)\n"
  "      --all-rows        with --msa: tokens, logits and repr<K> of all R rows [R x C ...]\n"
  "      --msa-rows N      with --msa: at most N rows (default 1024, the model's limit),\n"
  "                        chosen by --msa-select: greedy (default; max Hamming diversity)\n"
  "                        or random (--seed S, default 1); the query is always kept\n"
  "  -o, --output FILE     write the stream to FILE (default: stdout, never a terminal)\n"
  "      --batch-tokens N  run up to N tokens of consecutive records as one forward pass\n"
  "                        (default 1024; 1: one protein at a time); output in input order\n"
  "      --resume          with -o: keep the intact records of a FILE a cut run left, skip\n"
  "                        as many input records (their ids must match), and go on\n"
  "      --progress        a progress line on stderr even when it is not a terminal\n"
  "      --quiet           no progress line (default when stderr is not a terminal)\n"
  "  -z, --compress LEVEL  zlib level of the output stream, 0 (default) to 9\n"
  "  -h, --help            this text\n"
  "  -V, --version         version\n"
  "\n"
  "Every record also gains 'tokens' [T] (i32) and the metadata model, model_path, model_arch and\n"
  "special_tokens, the token layout, which depends on the model: bos,eos for ESM (token 0 is BOS,\n"
  "token T-1 is EOS, residue i is token i), cls,sep for BERT and ALBERT, sep,cls for XLNet.\n"
  "To get .npy files: attn ... | plmstream npy -o DIR. See attn(1).\n";

enum { OPT_ATTN = 256, OPT_LAYERS, OPT_HEADS, OPT_ADTYPE, OPT_REPR, OPT_LOGITS, OPT_CONTACTS, OPT_MEAN,
       OPT_BOS, OPT_EMB, OPT_LONG, OPT_ATTN_MEMORY, OPT_THREADS, OPT_BACKEND, OPT_DEVICE, OPT_DEVICES, OPT_VERSION,
       OPT_PRECISION, OPT_BATCH_TOKENS, OPT_RESUME, OPT_PROGRESS, OPT_QUIET, OPT_RESIDUES, OPT_MAX_MEMORY,
       OPT_MSA, OPT_COLS, OPT_ALLROWS, OPT_MSAROWS, OPT_MSASELECT, OPT_SEED };

typedef struct opts {
  const char *model, *layers, *heads, *repr, *backend;
  char        device_spec[64];                    /* "opencl:P:D" from --device */
  int         attentions, logits, contacts, mean, bos, threads, zlevel, list_devices, resume;
  long        batch_tokens;                       /* --batch-tokens */
  int         progress;                           /* PLM_PROGRESS_AUTO, _ON (--progress), _OFF (--quiet) */
  const char *output;        /* -o FILE; NULL: stdout */
  const char *mean_layers;   /* --mean=LIST; NULL: the --repr layers, else the last */
  int         residues_only; /* --residues-only: repr<K> without the special-token rows */
  int         embeddings;    /* --embeddings: the final LayerNorm's output (ESM C) */
  int         msa, col_attentions, all_rows, msa_rows, msa_select;   /* --msa and its options */
  uint64_t    seed;
  plm_dtype   adtype;
  size_t      attn_memory;                        /* --attn-memory, bytes (0: lm.h's default) */
  size_t      max_memory;                         /* --max-memory, bytes (0: membudget.h's default) */
  plm_dtype   weights;     /* --precision */
  plm_long    lp;
  char      **files;
  int         nfiles;
} opts;

static void
parse_options(int argc, char **argv, opts *o)
{
  static const struct option longopts[] = {
    { "model", required_argument, 0, 'm' },          { "attentions", no_argument, 0, OPT_ATTN },
    { "layers", required_argument, 0, OPT_LAYERS },  { "heads", required_argument, 0, OPT_HEADS },
    { "attn-dtype", required_argument, 0, OPT_ADTYPE }, { "repr", required_argument, 0, OPT_REPR },
    { "logits", no_argument, 0, OPT_LOGITS },        { "contacts", no_argument, 0, OPT_CONTACTS },
    { "mean", optional_argument, 0, OPT_MEAN },            { "bos", no_argument, 0, OPT_BOS },
    { "embeddings", no_argument, 0, OPT_EMB },
    { "long", required_argument, 0, OPT_LONG },      { "threads", required_argument, 0, OPT_THREADS },
    { "backend", required_argument, 0, OPT_BACKEND }, { "list-devices", no_argument, 0, OPT_DEVICES },
    { "device", required_argument, 0, OPT_DEVICE },    { "attn-memory", required_argument, 0, OPT_ATTN_MEMORY },
    { "compress", required_argument, 0, 'z' },      { "output", required_argument, 0, 'o' },
    { "batch-tokens", required_argument, 0, OPT_BATCH_TOKENS }, { "resume", no_argument, 0, OPT_RESUME },
    { "progress", no_argument, 0, OPT_PROGRESS },    { "quiet", no_argument, 0, OPT_QUIET },
    { "precision", required_argument, 0, OPT_PRECISION }, { "residues-only", no_argument, 0, OPT_RESIDUES },
    { "max-memory", required_argument, 0, OPT_MAX_MEMORY },
    { "msa", no_argument, 0, OPT_MSA },              { "col-attentions", no_argument, 0, OPT_COLS },
    { "all-rows", no_argument, 0, OPT_ALLROWS },     { "msa-rows", required_argument, 0, OPT_MSAROWS },
    { "msa-select", required_argument, 0, OPT_MSASELECT }, { "seed", required_argument, 0, OPT_SEED },
    { "help", no_argument, 0, 'h' },                 { "version", no_argument, 0, OPT_VERSION },
    { 0, 0, 0, 0 }
  };
  char errbuf[PLM_ERRBUFSIZE];
  long n;
  char *end;
  int  c;

  memset(o, 0, sizeof *o);
  o->backend = plm_backend_Default();
  o->adtype  = PLM_F32;
  o->batch_tokens = 1024;   /* larger batches leave the CPU caches (bench/batch.sh: 4096 ran slower than 1024) */
  o->progress     = PLM_PROGRESS_AUTO;
  o->msa_rows = 1024;
  o->seed     = 1;
  o->threads = (int)sysconf(_SC_NPROCESSORS_ONLN);
  if (o->threads < 1) o->threads = 1;
  while ((c = getopt_long(argc, argv, "m:o:z:hV", longopts, NULL)) != -1) {
    switch (c) {
    case 'm':          o->model = optarg; break;
    case OPT_ATTN:     o->attentions = 1; break;
    case OPT_LAYERS:   o->layers = optarg; o->attentions = 1; break;
    case OPT_HEADS:    o->heads = optarg; o->attentions = 1; break;
    case OPT_ADTYPE:
      if      (strcmp(optarg, "f32") == 0) o->adtype = PLM_F32;
      else if (strcmp(optarg, "f16") == 0) o->adtype = PLM_F16;
      else plm_cli_Usage(TOOL, "--attn-dtype is f32 or f16, not '%s'", optarg);
      break;
    case OPT_REPR:     o->repr = optarg; break;
    case OPT_ATTN_MEMORY: o->attn_memory = plm_cli_Size(TOOL, "--attn-memory", optarg); break;
    case OPT_MAX_MEMORY:  o->max_memory = plm_cli_Size(TOOL, "--max-memory", optarg); break;
    case OPT_LOGITS:   o->logits = 1; break;
    case OPT_CONTACTS: o->contacts = 1; break;
    case OPT_MEAN:     o->mean = 1; o->mean_layers = optarg; break;
    case OPT_RESIDUES: o->residues_only = 1; break;
    case OPT_MSA:      o->msa = 1; break;
    case OPT_COLS:     o->col_attentions = 1; o->attentions = 1; break;
    case OPT_ALLROWS:  o->all_rows = 1; break;
    case OPT_MSAROWS:
      n = strtol(optarg, &end, 10);
      if (end == optarg || *end || n < 1 || n > (1L << 24)) plm_cli_Usage(TOOL, "--msa-rows wants a count of rows, 1 or more, not '%s'", optarg);
      o->msa_rows = (int)n;
      break;
    case OPT_MSASELECT:
      if (plm_msarows_Parse(optarg, &o->msa_select, errbuf) != PLM_OK) plm_cli_Usage(TOOL, "--msa-select: %s", errbuf);
      break;
    case OPT_SEED:
      o->seed = strtoull(optarg, &end, 10);
      if (end == optarg || *end) plm_cli_Usage(TOOL, "--seed wants a number, not '%s'", optarg);
      break;
    case OPT_BOS:      o->bos = 1; break;
    case OPT_EMB:      o->embeddings = 1; break;
    case OPT_LONG:
      if (plm_lm_ParseLong(optarg, &o->lp, errbuf) != PLM_OK) plm_cli_Usage(TOOL, "%s", errbuf);
      break;
    case OPT_THREADS:
      n = strtol(optarg, &end, 10);
      if (end == optarg || *end || n < 1 || n > 1024) plm_cli_Usage(TOOL, "--threads wants 1 to 1024, not '%s'", optarg);
      o->threads = (int)n;
      break;
    case OPT_BATCH_TOKENS:
      n = strtol(optarg, &end, 10);
      if (end == optarg || *end || n < 1 || n > (1L << 30)) plm_cli_Usage(TOOL, "--batch-tokens wants a count of tokens, 1 or more, not '%s'", optarg);
      o->batch_tokens = n;
      break;
    case 'o':          o->output = optarg; break;
    case OPT_RESUME:   o->resume = 1; break;
    case OPT_PROGRESS: o->progress = PLM_PROGRESS_ON; break;
    case OPT_QUIET:    o->progress = PLM_PROGRESS_OFF; break;
    case OPT_BACKEND:  o->backend = optarg; break;
    case OPT_DEVICE:   o->backend = plm_cli_Device(TOOL, optarg, o->device_spec, sizeof o->device_spec); break;
    case OPT_DEVICES:  o->list_devices = 1; break;
    case OPT_PRECISION:
      if (plm_dtype_FromName(optarg, &o->weights) != PLM_OK || (o->weights != PLM_F32 && o->weights != PLM_F16))
        plm_cli_Usage(TOOL, "--precision is f32 or f16, not '%s'", optarg);
      break;
    case 'z':
      if (optarg[0] < '0' || optarg[0] > '9' || optarg[1]) plm_cli_Usage(TOOL, "--compress wants a level 0 to 9, not '%s'", optarg);
      o->zlevel = optarg[0] - '0';
      break;
    case 'h':          fputs(usage_text, stdout); exit(0);
    case OPT_VERSION:
    case 'V':          plm_cli_Version(TOOL);
    default:           plm_cli_Usage(TOOL, "unknown option");
    }
  }
  if (!o->model && !o->list_devices) plm_cli_Usage(TOOL, "no model: give -m MODEL");
  if (o->resume && !o->output) plm_cli_Usage(TOOL, "--resume needs -o FILE, the output a cut run left");
  if (!o->msa && (o->col_attentions || o->all_rows)) plm_cli_Usage(TOOL, "--col-attentions and --all-rows need --msa");
  if (o->msa && (o->heads || o->resume || o->adtype == PLM_F16))
    plm_cli_Usage(TOOL, "--msa runs all heads in f32, without --resume: drop --heads, --attn-dtype f16, --resume");
  if (o->msa && o->all_rows && (o->mean || o->bos || o->residues_only))
    plm_cli_Usage(TOOL, "--all-rows keeps whole rows: --mean, --bos and --residues-only work on the query row only");
  o->files  = argv + optind;
  o->nfiles = argc - optind;
}

/* one list item's number: "last", or negative from the end as fair-esm's repr_layers (-1: hi) */
static long
list_number(const char *p, int hi, char **end)
{
  if (strncmp(p, "last", 4) == 0) { *end = (char *)p + 4; return hi; }
  long v = strtol(p, end, 10);
  return *end != p && *p == '-' ? hi + 1 + v : v;
}

/* "1,3-5", "all", "last" or "-1", numbers lo..hi -> flags[number - lo] */
static int
parse_list(const char *s, int lo, int hi, uint8_t *flags, char *errbuf)
{
  const char *p = s;

  if (strcmp(s, "all") == 0) { for (int i = lo; i <= hi; i++) flags[i - lo] = 1; return PLM_OK; }
  while (*p) {
    char *end;
    long  a = list_number(p, hi, &end), b = a;
    if (end == p) break;
    if (*end == '-') { p = end + 1; b = list_number(p, hi, &end); if (end == p) break; }
    if (a < lo || b > hi || a > b)
      return a == b ? plm_Fail(errbuf, PLM_EINVAL, "'%s': layer %ld is outside %d-%d", s, a, lo, hi)
                    : plm_Fail(errbuf, PLM_EINVAL, "'%s': %ld-%ld is outside %d-%d", s, a, b, lo, hi);
    for (long i = a; i <= b; i++) flags[i - lo] = 1;
    p = end;
    if (*p == ',') p++;
    else if (*p) break;
  }
  if (*p || p == s) return plm_Fail(errbuf, PLM_EINVAL, "cannot read the list '%s' (e.g. 1,3-5, last or -1)", s);
  return PLM_OK;
}

/* "1,2,5" from flags[0..n-1], as 1-based numbers */
static void
list_string(const uint8_t *flags, int n, char *buf, size_t size)
{
  size_t used = 0;
  buf[0] = '\0';
  for (int i = 0; i < n && used < size; i++)
    if (!flags || flags[i]) used += (size_t)snprintf(buf + used, size - used, "%s%d", used ? "," : "", i + 1);
}

/* what the model computes for every record, from the options */
typedef struct plan {
  plm_lm_request req;
  uint8_t        repr[PLM_LM_MAXLAYERS + 1];   /* computed */
  uint8_t        keep[PLM_LM_MAXLAYERS + 1];   /* added to the record as repr<K> */
  uint8_t        mean[PLM_LM_MAXLAYERS + 1];   /* --mean=LIST: pooled into mean<K> */
  uint8_t        layers[PLM_LM_MAXLAYERS], heads[1024];
  char           layer_list[4096], head_list[4096];
  int            lead, trail;                  /* special tokens before and after the residues */
} plan;

static void
make_plan(const opts *o, const plm_lm *m, plan *pl)
{
  char errbuf[PLM_ERRBUFSIZE];

  memset(pl, 0, sizeof *pl);
  if (plm_vocab_SpecialSpan(m->special_tokens, &pl->lead, &pl->trail, errbuf) != PLM_OK) plm_cli_Die(TOOL, "%s: %s", m->path, errbuf);
  if (m->nheads > (int)sizeof pl->heads) plm_cli_Die(TOOL, "%s: %d heads is more than attn handles", m->path, m->nheads);
  if (o->repr && parse_list(o->repr, 0, m->nlayers, pl->keep, errbuf) != PLM_OK) plm_cli_Usage(TOOL, "--repr %s", errbuf);
  memcpy(pl->repr, pl->keep, sizeof pl->repr);
  if (((o->mean && !o->mean_layers) || o->bos) && !o->repr) pl->repr[m->nlayers] = 1;
  /* --mean=LIST: those layers' means, without keeping their [T x D] rows */
  if (o->mean_layers && parse_list(o->mean_layers, 0, m->nlayers, pl->mean, errbuf) != PLM_OK)
    plm_cli_Usage(TOOL, "--mean %s", errbuf);
  for (int k = 0; k <= m->nlayers; k++) pl->repr[k] |= pl->mean[k];
  if (o->attentions) {
    if (parse_list(o->layers ? o->layers : "all", 1, m->nlayers, pl->layers, errbuf) != PLM_OK)
      plm_cli_Usage(TOOL, "--layers %s", errbuf);
    if (parse_list(o->heads ? o->heads : "all", 1, m->nheads, pl->heads, errbuf) != PLM_OK)
      plm_cli_Usage(TOOL, "--heads %s", errbuf);
    list_string(pl->layers, m->nlayers, pl->layer_list, sizeof pl->layer_list);
    list_string(pl->heads, m->nheads, pl->head_list, sizeof pl->head_list);
    pl->req.attn_layers = pl->layers;
    pl->req.attn_heads  = pl->heads;
  }
  pl->req.logits     = o->logits;
  pl->req.contacts   = o->contacts;
  pl->req.repr       = pl->repr;
  pl->req.embeddings = o->embeddings;
  pl->req.attn_dtype = o->adtype;
  pl->req.attn_bytes = o->attn_memory;
}

/* move one output tensor into the record, which owns it from then on, even when adding fails */
static int
give(plm_record *rec, plm_tensor **t, char *errbuf)
{
  int status = PLM_OK;
  if (*t) { status = plm_record_AddTensor(rec, *t, errbuf); *t = NULL; }
  return status;
}

/* mean<K> (K: the layer, or "_embeddings"), the mean of a T x D representation's residue rows lead .. T-trail-1, and bos<K>:
 * the leading special token's row, or, for a model with none before the residues (XLNet), the
 * last row, its <cls>, the one XLNet's sequence summary reads */
static int
add_pooled(plm_record *rec, const plm_tensor *r, const char *K, int mean, int bos, int lead, int trail, char *errbuf)
{
  plm_tensor *t = NULL;
  int64_t     T = r->shape[0], D = r->shape[1], L = T - lead - trail;
  const float *x = r->data;
  char        name[32];
  int         status;

  if (mean) {
    snprintf(name, sizeof name, "mean%s", K);
    PLM_XCHECK(plm_tensor_Create(name, PLM_F32, 1, &D, &t, errbuf));
    for (int64_t d = 0; d < D; d++) {
      double s = 0.0;
      for (int64_t i = lead; i < lead + L; i++) s += x[i * D + d];
      ((float *)t->data)[d] = L > 0 ? (float)(s / (double)L) : 0.0f;
    }
    PLM_XCHECK(give(rec, &t, errbuf));
  }
  if (bos) {
    snprintf(name, sizeof name, "bos%s", K);
    PLM_XCHECK(plm_tensor_Create(name, PLM_F32, 1, &D, &t, errbuf));
    memcpy(t->data, x + (lead > 0 ? 0 : (T - 1) * D), sizeof(float) * (size_t)D);
    PLM_XCHECK(give(rec, &t, errbuf));
  }
  return PLM_OK;

ERROR:
  plm_tensor_Destroy(t);
  return status;
}

/* --residues-only: repr<K> [T x D] -> [L x D], the residue rows without the special tokens'
 * (what every fair-esm user slices as [1:-1]) */
static int
residue_rows(plm_tensor **r, int lead, int trail, char *errbuf)
{
  plm_tensor *t = NULL;
  int64_t     shape[2] = { (*r)->shape[0] - lead - trail, (*r)->shape[1] };
  int         status;

  if (shape[0] < 0) shape[0] = 0;
  PLM_XCHECK(plm_tensor_Create((*r)->name, PLM_F32, 2, shape, &t, errbuf));
  memcpy(t->data, (const float *)(*r)->data + (size_t)lead * (size_t)shape[1], sizeof(float) * (size_t)(shape[0] * shape[1]));
  plm_tensor_Destroy(*r);
  *r = t;
  return PLM_OK;

ERROR:
  return status;
}

/* --list-devices: one line per OpenCL device, numbered as --backend opencl:P:D takes them */
static int
list_devices(char *errbuf)
{
  plm_opencl_device *dev;
  int                n, status;

  PLM_XCHECK(plm_opencl_Devices(&dev, &n, errbuf));
  if (n == 0) puts("no OpenCL device (an OpenCL platform is installed, but it offers no device)");
  for (int i = 0; i < n; i++)
    printf("%d:%d\t%s\t%s\t%s\t%s\t%u compute units\t%.1f GiB\n", dev[i].platform, dev[i].device,
           dev[i].platform_name, dev[i].name, dev[i].version, dev[i].is_gpu ? "GPU" : "not a GPU",
           dev[i].compute_units, (double)dev[i].global_mem / (1024.0 * 1024.0 * 1024.0));
  free(dev);
  return PLM_OK;

ERROR:
  return status;
}

static int
annotate(plm_record *rec, plm_lm *m, const opts *o, const plan *pl, plm_lm_output *out, char *errbuf)
{
  int status;

  PLM_XCHECK(give(rec, &out->tokens, errbuf));
  PLM_XCHECK(give(rec, &out->logits, errbuf));
  PLM_XCHECK(give(rec, &out->contacts, errbuf));
  if (out->attentions) {
    PLM_XCHECK(give(rec, &out->attentions, errbuf));
    PLM_XCHECK(plm_record_SetMeta(rec, "attention_layers", pl->layer_list, errbuf));
    PLM_XCHECK(plm_record_SetMeta(rec, "attention_heads", pl->head_list, errbuf));
  }
  for (int k = 0; k <= m->nlayers; k++) {
    if (!out->repr[k]) continue;
    int  default_layer = o->repr ? pl->keep[k] : k == m->nlayers;   /* --mean/--bos without a list */
    char K[16];
    snprintf(K, sizeof K, "%d", k);
    PLM_XCHECK(add_pooled(rec, out->repr[k], K, o->mean_layers ? pl->mean[k] : o->mean && default_layer,
                          o->bos && default_layer, pl->lead, pl->trail, errbuf));
    if (pl->keep[k] && o->residues_only) PLM_XCHECK(residue_rows(&out->repr[k], pl->lead, pl->trail, errbuf));
    if (pl->keep[k]) PLM_XCHECK(give(rec, &out->repr[k], errbuf));
  }
  if (out->embeddings) {
    PLM_XCHECK(add_pooled(rec, out->embeddings, "_embeddings", o->mean && !o->mean_layers, o->bos, pl->lead, pl->trail, errbuf));
    if (o->residues_only) PLM_XCHECK(residue_rows(&out->embeddings, pl->lead, pl->trail, errbuf));
    PLM_XCHECK(give(rec, &out->embeddings, errbuf));
  }
  PLM_XCHECK(plm_record_SetMeta(rec, "model", m->name, errbuf));
  PLM_XCHECK(plm_record_SetMeta(rec, "model_path", m->path, errbuf));
  PLM_XCHECK(plm_record_SetMeta(rec, "model_arch", m->arch, errbuf));
  PLM_XCHECK(plm_record_SetMeta(rec, "special_tokens", m->special_tokens, errbuf));
  PLM_XCHECK(plm_record_SetMeta(rec, "backend", m->be->desc, errbuf));
  if (out->note[0]) PLM_XCHECK(plm_record_SetMeta(rec, "attn_note", out->note, errbuf));
  if (o->weights == PLM_F16) PLM_XCHECK(plm_record_SetMeta(rec, "weights_precision", "f16", errbuf));
  if (o->residues_only && (o->repr || o->embeddings)) PLM_XCHECK(plm_record_SetMeta(rec, "repr_rows", "residues", errbuf));
  return PLM_OK;

ERROR:
  return status;
}

/* --msa: the query row of an R x C ... tensor, [C ...], unless --all-rows */
static int
query_row(plm_tensor **t, int all_rows, char *errbuf)
{
  plm_tensor *q = NULL;
  int         status;
  if (!*t || all_rows) return PLM_OK;
  PLM_XCHECK(plm_tensor_Create((*t)->name, (*t)->dtype, (*t)->rank - 1, (*t)->shape + 1, &q, errbuf));
  memcpy(q->data, (*t)->data, plm_tensor_Nbytes(q));
  plm_tensor_Destroy(*t);
  *t = q;
  return PLM_OK;
ERROR:
  return status;
}

/* --msa: the records of one input are the rows of one alignment, the query first; rows chosen
 * (--msa-rows), run, and the query's record written with what the options ask */
static int
msa_input(plm_streamreader *r, const char *file, plm_lm *m, const opts *o, const plan *pl, plm_streamwriter *w, char *errbuf)
{
  plm_record    **rec = NULL, *got;
  char          **rows = NULL, cause[PLM_ERRBUFSIZE], buf[64];
  const char    **sel = NULL;
  int            *idx = NULL, n = 0, cap = 0, k = 0, status;
  plm_msa_output  out;
  plm_lm_output   lo;

  memset(&out, 0, sizeof out);
  memset(&lo, 0, sizeof lo);
  while ((status = plm_stream_Read(r, &got, errbuf)) == PLM_OK) {
    if (n == cap) {
      int   c = cap ? 2 * cap : 256;
      void *a = realloc(rec, sizeof *rec * (size_t)c), *b;
      if (a) rec = a;
      if (!a || (b = realloc(rows, sizeof *rows * (size_t)c)) == NULL) { plm_record_Destroy(got); PLM_XFAIL(PLM_EMEM, errbuf, "out of memory"); }
      rows = b;
      cap = c;
    }
    rec[n] = got;
    if ((status = plm_msa_Strip(got->seq, &rows[n], cause)) != PLM_OK) { n++; goto FAILED; }
    n++;
  }
  if (status != PLM_EOF) goto ERROR;
  if (n == 0) PLM_XFAIL(PLM_EFORMAT, errbuf, "%s: no records: --msa wants the rows of an alignment, the query first", file);
  if ((idx = malloc(sizeof *idx * (size_t)n)) == NULL || (sel = malloc(sizeof *sel * (size_t)n)) == NULL)
    PLM_XFAIL(PLM_EMEM, errbuf, "out of memory");
  if ((status = plm_msarows_Select((const char *const *)rows, n, o->msa_rows, o->msa_select, o->seed, idx, &k, cause)) != PLM_OK) {
    if (status == PLM_EFORMAT) strncat(cause, " (read alignments with seqread --keep-gaps)", sizeof cause - strlen(cause) - 1);
    goto FAILED;
  }
  for (int i = 0; i < k; i++) sel[i] = rows[idx[i]];
  if ((status = plm_msa_Run(m, sel, k, &pl->req, o->col_attentions, &out, cause)) != PLM_OK) goto FAILED;

  /* the query row's outputs in plm_lm_output form, so the single-sequence code adds them */
  if ((status = query_row(&out.tokens, o->all_rows, cause)) != PLM_OK ||
      (status = query_row(&out.logits, o->all_rows, cause)) != PLM_OK) goto FAILED;
  lo.tokens = out.tokens; out.tokens = NULL;
  lo.logits = out.logits; out.logits = NULL;
  lo.contacts = out.contacts; out.contacts = NULL;
  for (int K = 0; K <= m->nlayers; K++) {
    if ((status = query_row(&out.repr[K], o->all_rows, cause)) != PLM_OK) goto FAILED;
    lo.repr[K] = out.repr[K]; out.repr[K] = NULL;
  }
  lo.attentions = out.row_attentions; out.row_attentions = NULL;
  if ((status = annotate(rec[0], m, o, pl, &lo, cause)) != PLM_OK) goto FAILED;
  if (out.col_attentions) {                   /* a stream tensor has rank <= 4: layers and heads as one axis */
    plm_tensor *t = out.col_attentions;
    t->shape[0] *= t->shape[1];
    memmove(t->shape + 1, t->shape + 2, 3 * sizeof t->shape[0]);
    t->rank = 4;
    if ((status = give(rec[0], &out.col_attentions, cause)) != PLM_OK) goto FAILED;
  }
  snprintf(buf, sizeof buf, "%d", n);
  if ((status = plm_record_SetMeta(rec[0], "msa_depth", buf, cause)) != PLM_OK) goto FAILED;
  snprintf(buf, sizeof buf, "%d", k);
  if ((status = plm_record_SetMeta(rec[0], "msa_rows", buf, cause)) != PLM_OK) goto FAILED;
  if (k < n) snprintf(buf, sizeof buf, o->msa_select == PLM_MSAROWS_GREEDY ? "greedy" : "random:%llu", (unsigned long long)o->seed);
  else       snprintf(buf, sizeof buf, "all");
  if ((status = plm_record_SetMeta(rec[0], "msa_selection", buf, cause)) != PLM_OK) goto FAILED;
  if ((status = plm_stream_Write(w, rec[0], cause)) != PLM_OK) goto FAILED;
  status = PLM_OK;
  goto ERROR;

FAILED:
  snprintf(errbuf, PLM_ERRBUFSIZE, "%.150s: alignment of %d records (query \"%.60s\"): %.200s", file, n, n ? rec[0]->id : "", cause);
ERROR:
  plm_lmout_Clear(&lo);
  plm_msa_OutputClear(&out);
  for (int i = 0; i < n; i++) { plm_record_Destroy(rec[i]); free(rows[i]); }
  free(rec); free(rows); free(idx); free(sel);
  return status;
}

/* one batch of records: read, run as one forward pass, written in input order */
typedef struct batch {
  plm_record   **rec;
  const char   **seq;
  long long     *nrec;            /* each record's number in its file, for messages */
  plm_lm_output *out;
  int            n, cap;
  long           tokens;
  double         need;            /* the batch's memory estimate (lmcost.h) */
  long long      done, residues;  /* records and residues run so far, for the progress line */
} batch;

static int
batch_run(batch *bt, plm_lm *m, const opts *o, const plan *pl, plm_streamwriter *w, const char *file, char *errbuf)
{
  bt->done += bt->n;
  for (int i = 0; i < bt->n; i++) bt->residues += (long long)strlen(bt->rec[i]->seq);
  char cause[PLM_ERRBUFSIZE];
  int  bad = -1, status;

  if (bt->n == 0) return PLM_OK;
  for (int i = 0; i < bt->n; i++) bt->seq[i] = bt->rec[i]->seq;
  status = plm_lm_RunBatch(m, bt->seq, bt->n, &pl->req, &o->lp, bt->out, &bad, cause);
  for (int i = 0; i < bt->n && status == PLM_OK; i++) {
    if (bt->out[i].note[0]) fprintf(stderr, "%s: warning: %s: record %lld (\"%.120s\"): %s\n", TOOL, file, bt->nrec[i], bt->rec[i]->id, bt->out[i].note);
    status = annotate(bt->rec[i], m, o, pl, &bt->out[i], cause);
    if (status == PLM_OK) status = plm_stream_Write(w, bt->rec[i], cause);
    if (status != PLM_OK) bad = i;
  }
  if (status != PLM_OK) {
    if (bad >= 0) snprintf(errbuf, PLM_ERRBUFSIZE, "%.200s: record %lld (\"%.60s\"): %.200s", file, bt->nrec[bad], bt->rec[bad]->id, cause);
    else snprintf(errbuf, PLM_ERRBUFSIZE, "%.200s: records %lld-%lld: %.200s", file, bt->nrec[0], bt->nrec[bt->n - 1], cause);
  }
  for (int i = 0; i < bt->n; i++) { plm_lmout_Clear(&bt->out[i]); plm_record_Destroy(bt->rec[i]); }
  bt->n = 0;
  bt->tokens = 0;
  bt->need = 0.0;
  return status;
}

static int
batch_add(batch *bt, plm_record *rec, long long nrec, char *errbuf)
{
  if (bt->n == bt->cap) {
    int cap = bt->cap ? 2 * bt->cap : 64;
    void *a = realloc(bt->rec, sizeof *bt->rec * (size_t)cap), *b, *c, *d;
    if (a) bt->rec = a;
    b = realloc(bt->seq, sizeof *bt->seq * (size_t)cap);   if (b) bt->seq = b;
    c = realloc(bt->nrec, sizeof *bt->nrec * (size_t)cap); if (c) bt->nrec = c;
    d = realloc(bt->out, sizeof *bt->out * (size_t)cap);   if (d) bt->out = d;
    if (!a || !b || !c || !d) { plm_record_Destroy(rec); return plm_Fail(errbuf, PLM_EMEM, "out of memory"); }
    bt->cap = cap;
  }
  bt->rec[bt->n]  = rec;
  bt->nrec[bt->n] = nrec;
  bt->n++;
  bt->tokens += (long)strlen(rec->seq) + 2;
  return PLM_OK;
}

int
main(int argc, char **argv)
{
  char              errbuf[PLM_ERRBUFSIZE], note[PLM_ERRBUFSIZE], cause[PLM_ERRBUFSIZE];
  size_t            limit;
  opts              o;
  plan              pl;
  plm_backend      *be = NULL;
  plm_lm           *m = NULL;
  plm_streamwriter *w = NULL;
  static char      *stdin_only[] = { "-" };
  char            **files;
  int               nfiles;
  plm_resume       *rs;
  batch             bt = { 0 };
  plm_progress     *prog;
  long long         total = 0, before = 0;   /* input bytes: all files, files finished */

  plm_cli_Init();
  parse_options(argc, argv, &o);
  if (o.list_devices) {
    if (list_devices(errbuf) != PLM_OK) plm_cli_Die(TOOL, "%s", errbuf);
    return 0;
  }
  files  = o.nfiles ? o.files : stdin_only;
  nfiles = o.nfiles ? o.nfiles : 1;

  if (plm_backend_CreateOrCpu(o.backend, o.threads, &be, note, errbuf) != PLM_OK) plm_cli_Die(TOOL, "%s", errbuf);
  if (note[0]) fprintf(stderr, "%s: warning: %s\n", TOOL, note);
  if (plm_backend_SetWeights(be, o.weights, errbuf) != PLM_OK) plm_cli_Die(TOOL, "%s", errbuf);
  if (plm_lm_Open(o.model, be, &m, errbuf) != PLM_OK) plm_cli_Die(TOOL, "%s", errbuf);
  /* a missing contact head matters only to --contacts (ESM-1v, ESM C: none published) */
  if (o.contacts && !m->has_contacts)
    plm_cli_Die(TOOL, "%s has no contact regression weights: --contacts is unavailable%s%s%s", m->path,
                m->note[0] ? " (" : "", m->note[0] ? m->note : "", m->note[0] ? ")" : "");
  if (o.embeddings && !m->has_embeddings)
    plm_cli_Die(TOOL, "%s: --embeddings is for models with a LayerNorm after the last block's repr<N> (ESM C); this %s model's repr<%d> already is after it",
                m->path, m->arch, m->nlayers);
  if (o.logits && !m->has_lmhead) plm_cli_Die(TOOL, "%s has no LM head: --logits is unavailable", m->path);
  if (o.msa && strcmp(m->arch, "msa") != 0) plm_cli_Die(TOOL, "--msa needs an MSA Transformer; %s is %s", m->path, m->arch);
  make_plan(&o, m, &pl);
  limit = plm_mem_Limit(o.max_memory);
  /* a resumed run's kept records are units of one record each, keyed by their ids */
  if (plm_resume_OpenStream(TOOL, o.output, o.zlevel, o.resume, NULL, NULL, &rs, &w, errbuf) != PLM_OK)
    plm_cli_Die(TOOL, "%s", errbuf);
  for (int f = 0; f < nfiles; f++) total += plm_progress_FileSize(files[f]);
  prog = plm_progress_Create(TOOL, o.progress, total);
  for (int f = 0; f < nfiles; f++) {
    plm_streamreader *r;
    plm_record       *rec;
    int               status;
    long long         nrec = 0;

    if (plm_stream_OpenRead(files[f], &r, errbuf) != PLM_OK) { plm_stream_AbortWrite(w); plm_cli_Die(TOOL, "%s", errbuf); }
    plm_stream_SetMaxMemory(r, o.max_memory);
    if (o.msa) {
      status = msa_input(r, plm_cli_InputName(files[f]), m, &o, &pl, w, errbuf);
      plm_stream_CloseRead(r);
      if (status != PLM_OK) { plm_progress_Finish(prog); plm_stream_AbortWrite(w); plm_cli_Die(TOOL, "%s", errbuf); }
      continue;
    }
    while ((status = plm_stream_Read(r, &rec, errbuf)) == PLM_OK) {
      nrec++;
      int skip;
      if ((status = plm_resume_Skip(rs, plm_cli_InputName(files[f]), nrec, rec->id, &skip, errbuf)) != PLM_OK || skip) {
        plm_record_Destroy(rec);                                  /* already in the output */
        if (status != PLM_OK) break;
        continue;
      }
      /* a batch holds at most --batch-tokens tokens (one record alone may hold more) */
      if (bt.n > 0 && bt.tokens + (long)strlen(rec->seq) + 2 > o.batch_tokens) {
        if ((status = batch_run(&bt, m, &o, &pl, w, plm_cli_InputName(files[f]), errbuf)) != PLM_OK) { plm_record_Destroy(rec); break; }
        plm_progress_Update(prog, bt.done, bt.residues, total ? before + plm_stream_Tell(r) : -1);
      }
      /* what this record will cost, refused before anything is allocated for it; the records
       * before it are run and written first */
      double need = plm_lm_EstimateBytes(m, (long long)strlen(rec->seq) + 2, 1, &pl.req, &o.lp);
      if (plm_mem_Check(limit, bt.need + need, cause) != PLM_OK) {
        snprintf(errbuf, sizeof errbuf, "%.200s: record %lld (\"%.60s\"): %.200s", plm_cli_InputName(files[f]), nrec, rec->id, cause);
        plm_record_Destroy(rec);
        if (batch_run(&bt, m, &o, &pl, w, plm_cli_InputName(files[f]), cause) != PLM_OK) memcpy(errbuf, cause, sizeof cause);
        status = PLM_ELIMIT;
        break;
      }
      bt.need += need;
      if ((status = batch_add(&bt, rec, nrec, errbuf)) != PLM_OK) break;
      if (bt.tokens >= o.batch_tokens) {
        if ((status = batch_run(&bt, m, &o, &pl, w, plm_cli_InputName(files[f]), errbuf)) != PLM_OK) break;
        plm_progress_Update(prog, bt.done, bt.residues, total ? before + plm_stream_Tell(r) : -1);
      }
    }
    if (status == PLM_EOF) status = batch_run(&bt, m, &o, &pl, w, plm_cli_InputName(files[f]), errbuf) == PLM_OK ? PLM_EOF : PLM_EIO;
    plm_stream_CloseRead(r);
    if (status != PLM_EOF) { plm_progress_Finish(prog); plm_stream_AbortWrite(w); plm_resume_Abort(rs); plm_cli_Die(TOOL, "%s", errbuf); }
    before += plm_progress_FileSize(files[f]);
  }
  plm_progress_Update(prog, bt.done, bt.residues, total ? total : -1);
  plm_progress_Finish(prog);
  if (plm_resume_Finish(rs, errbuf) != PLM_OK) { plm_stream_AbortWrite(w); plm_cli_Die(TOOL, "%s", errbuf); }
  if (plm_stream_CloseWrite(w, errbuf) != PLM_OK) plm_cli_Die(TOOL, "%s", errbuf);
  free(bt.rec); free(bt.seq); free(bt.nrec); free(bt.out);
  plm_lm_Close(m);
  plm_backend_Destroy(be);
  return 0;
}
