/* probe.c: probing classifiers per layer (Vig et al. 2021, §4.3): how well
 * a logistic regression on one layer's representations (or attention)
 * predicts a property of held-out proteins.
 *
 *   seqread d.fa | attn -m M.pt --repr all --attentions | probe -p contact:pdb-dir=D --figure fig5 > probe.tsv
 *
 * The task follows from the plugin: ss -> 3-class secondary structure (macro
 * F1), a one-property token plugin such as binding_site -> binary (precision
 * at L/20), a pair plugin such as contact -> contacts (precision at L/5),
 * with attention probes beside the embedding probes. The helpers (split,
 * features, metrics) live in libcore/analysis/probe.h, the trainer in libcore/analysis/logreg.h.
 * man/man1/probe.1 is the contract.
 *
 *   options:   parse_options()
 *   input:     repr_layers() task_of() labels_of() keep_repr() keep_attn() add_protein() read_all() free_data()
 *   probes:    features() pair_kept() fill_rows() train() score_protein() evaluate() run_probe()
 *   output:    metric_name() figure() report()
 */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "annot.h"
#include "cli.h"
#include "error.h"
#include "figure.h"
#include "headstat.h"
#include "logreg.h"
#include "membudget.h"
#include "plugin.h"
#include "probe.h"
#include "probewin.h"
#include "progress.h"
#include "record.h"
#include "stream.h"

#define TOOL     "probe"
#define MAXDIRS  64
#define MAXREPR  1024

static const char usage_text[] =
  "Usage: probe -p PLUGIN[:KEY=VAL,...] [options] [FILE]\n"
  "Per layer, train a logistic-regression probe on the training proteins and score it on the\n"
  "held-out ones. Reads a record stream (FILE or stdin) with repr<K> [T x D] (attn --repr all)\n"
  "and, when the records carry 'attentions' (attn --attentions), attention probes: for\n"
  "contacts the pair's attention per head, for token tasks each residue's attention to\n"
  "its neighbours i +- 1..W per head (secondary structure from attention).\n"
  "\n"
  "  -p, --plugin SPEC     the labels: ss:file=CSV (3-class: helix, strand, other; macro F1),\n"
  "                        a one-property token plugin, e.g. binding_site:file=JSONL\n"
  "                        (binary; precision at L/20), or a pair plugin, e.g.\n"
  "                        contact:pdb-dir=DIR (contacts; precision at L/5)\n"
  "      --plugin-dir DIR  look for plugins in DIR first (repeatable)\n"
  "      --val-frac F      fraction of proteins held out for validation (default 0.2)\n"
  "      --seed N          seed of the split and of the negative-pair sampling (default 1)\n"
  "  -C, --C X             inverse L2 regularization strength (default 1)\n"
  "      --minsep N        contacts: pairs with |i - j| >= N (default 6)\n"
  "      --neg-ratio R     contacts: non-contact training pairs kept per contact (default 5)\n"
  "      --window W        token attention probes: neighbours i +- 1..W (default 4)\n"
  "      --special LIST    special-token layout when the records lack 'special_tokens'\n"
  "      --figure STEM     also draw the per-layer curves as STEM.svg and STEM.png\n"
  "      --max-memory SIZE most memory to hold (K, M, G; default: what is free at the start)\n"
  "                        a record that would need more is refused, naming it\n"
  "      --progress        a progress line on stderr (records read, then probes trained) even\n"
  "                        when it is not a terminal\n"
  "      --quiet           no progress line (default when stderr is not a terminal)\n"
  "  -h, --help            this text\n"
  "  -V, --version         version\n"
  "\n"
  "Output: TSV probe (embedding, attention), layer, metric, value, train_items, val_proteins,\n"
  "then '#' summary lines. See probe(1).\n";

enum { OPT_PDIR = 256, OPT_FRAC, OPT_SEED, OPT_MINSEP, OPT_NEG, OPT_SPECIAL, OPT_FIGURE, OPT_VERSION, OPT_WINDOW, OPT_PROGRESS, OPT_QUIET };
enum { TASK_BINARY, TASK_SS3, TASK_CONTACT };

typedef struct opts {
  const char *spec, *dirs[MAXDIRS], *special, *figure, *input;
  int         ndirs, minsep, window;
  int         progress;     /* PLM_PROGRESS_AUTO, _ON (--progress), _OFF (--quiet) */
  double      frac, C, negratio;
  uint64_t    seed;
  size_t      max_memory;   /* --max-memory, bytes (0: membudget.h's default) */
} opts;

typedef struct prot {
  char    *id;
  int      L, val;
  uint8_t *lab;     /* [L] class or 0/1, [L * L] for contacts; 255 unknown */
  float  **emb;     /* [nrepr][L * D]: the residue rows of repr<K> */
  float  **att;     /* [natt][nh * L * L]: a_ij + a_ji per head; token tasks [natt][nh * L * 2 window] */
} prot;

typedef struct data {
  int      task, K, D, nrepr, natt, nh, window;   /* window: token attention probes, i +- 1..window */
  int      repr_k[MAXREPR];   /* K of each repr<K> kept */
  int     *att_id;            /* the model's numbers of the attention layers */
  prot    *p;
  int      n, alloc;
  int64_t  skipped;
} data;

typedef struct view { int attn, layer, dim; } view;   /* the features of one probe */

typedef struct result { double value; int64_t ntrain; int nval; } result;

static void
parse_options(int argc, char **argv, opts *o)
{
  static const struct option longopts[] = {
    { "plugin", required_argument, 0, 'p' },       { "plugin-dir", required_argument, 0, OPT_PDIR },
    { "val-frac", required_argument, 0, OPT_FRAC }, { "seed", required_argument, 0, OPT_SEED },
    { "C", required_argument, 0, 'C' },            { "minsep", required_argument, 0, OPT_MINSEP },
    { "neg-ratio", required_argument, 0, OPT_NEG }, { "special", required_argument, 0, OPT_SPECIAL },
    { "max-memory", 1, 0, PLM_OPT_MAX_MEMORY },
    { "figure", required_argument, 0, OPT_FIGURE }, { "help", no_argument, 0, 'h' },
    { "version", no_argument, 0, OPT_VERSION },
    { "progress", no_argument, 0, OPT_PROGRESS },  { "quiet", no_argument, 0, OPT_QUIET },
    { "window", required_argument, 0, OPT_WINDOW }, { 0, 0, 0, 0 }
  };
  int c;

  memset(o, 0, sizeof *o);
  o->frac = 0.2; o->C = 1.0; o->seed = 1; o->minsep = 6; o->negratio = 5.0; o->window = 4;
  o->progress = PLM_PROGRESS_AUTO;
  while ((c = getopt_long(argc, argv, "p:C:hV", longopts, NULL)) != -1) {
    switch (c) {
    case 'p':         if (o->spec) plm_cli_Usage(TOOL, "one -p at a time"); o->spec = optarg; break;
    case OPT_PDIR:
      if (o->ndirs == MAXDIRS) plm_cli_Usage(TOOL, "at most %d plugin directories", MAXDIRS);
      o->dirs[o->ndirs++] = optarg; break;
    case OPT_FRAC:    o->frac = plm_cli_Number(TOOL, "--val-frac", optarg, 0.01, 0.99); break;
    case OPT_SEED:    o->seed = (uint64_t)plm_cli_Number(TOOL, "--seed", optarg, 0.0, 9007199254740992.0); break;
    case 'C':         o->C = plm_cli_Number(TOOL, "--C", optarg, 1e-12, 1e12); break;
    case OPT_MINSEP:  o->minsep = (int)plm_cli_Number(TOOL, "--minsep", optarg, 1.0, 1e6); break;
    case OPT_NEG:     o->negratio = plm_cli_Number(TOOL, "--neg-ratio", optarg, 0.01, 1e9); break;
    case OPT_SPECIAL: o->special = optarg; break;
    case OPT_FIGURE:  o->figure = optarg; break;
    case OPT_WINDOW:  o->window = (int)plm_cli_Number(TOOL, "--window", optarg, 1.0, 64.0); break;
    case PLM_OPT_MAX_MEMORY: o->max_memory = plm_cli_Size(TOOL, "--max-memory", optarg); break;
    case OPT_PROGRESS: o->progress = PLM_PROGRESS_ON; break;
    case OPT_QUIET:   o->progress = PLM_PROGRESS_OFF; break;
    case 'h':         fputs(usage_text, stdout); exit(0);
    case OPT_VERSION:
    case 'V':         plm_cli_Version(TOOL);
    default:          plm_cli_Usage(TOOL, "unknown option");
    }
  }
  if (!o->spec) plm_cli_Usage(TOOL, "no labels: give -p PLUGIN");
  if (argc - optind > 1) plm_cli_Usage(TOOL, "one input stream at most (use plmstream cat)");
  o->input = optind < argc ? argv[optind] : "-";
}

/* ------------------------------------------------------------------ input */

/* the K of every repr<K> of the first record, increasing */
static int
repr_layers(const plm_record *rec, data *d, char *errbuf)
{
  d->nrepr = 0;
  for (int k = 0; k <= MAXREPR && d->nrepr < MAXREPR; k++) {
    char name[32];
    snprintf(name, sizeof name, "repr%d", k);
    if (plm_record_GetTensor(rec, name)) d->repr_k[d->nrepr++] = k;
  }
  if (!d->nrepr) return plm_Fail(errbuf, PLM_EINVAL, "record %s: no repr<K> tensors (run attn --repr all)", rec->id);
  return PLM_OK;
}

static int
task_of(const plm_plugin *p, data *d, char *errbuf)
{
  int np = p->nprops(p->state);
  if (p->kind == PLM_PLUGIN_PAIR && np == 1) { d->task = TASK_CONTACT; d->K = 2; }
  else if (!strcmp(p->name, "ss") && np == 3) { d->task = TASK_SS3; d->K = 3; }
  else if (p->kind == PLM_PLUGIN_TOKEN && np == 1) { d->task = TASK_BINARY; d->K = 2; }
  else return plm_Fail(errbuf, PLM_EINVAL, "plugin %s: no probe task (want ss, a one-property token plugin, or a pair plugin)", p->name);
  return PLM_OK;
}

/* the plugin's answer as one label per residue (pair) */
static int
labels_of(const data *d, const plm_tensor *t, int L, uint8_t **ret_lab, char *errbuf)
{
  size_t         n = d->task == TASK_CONTACT ? (size_t)L * L : (size_t)L;
  const uint8_t *a = t->data;
  uint8_t       *lab = malloc(n ? n : 1);

  if (!lab) return plm_Fail(errbuf, PLM_EMEM, "out of memory");
  if (d->task != TASK_SS3) memcpy(lab, a, n);
  else
    for (int i = 0; i < L; i++) {   /* helix, strand, or other (turn_bend and coil), as TAPE's 3 classes */
      uint8_t h = a[i], e = a[L + i], tb = a[2 * L + i];
      lab[i] = (h == PLM_PLUGIN_UNKNOWN || e == PLM_PLUGIN_UNKNOWN || tb == PLM_PLUGIN_UNKNOWN) ? PLM_PLUGIN_UNKNOWN : h ? 0 : e ? 1 : 2;
    }
  *ret_lab = lab;
  return PLM_OK;
}

/* the residue rows of every repr<K> */
static int
keep_repr(data *d, const plm_record *rec, prot *p, const opts *o, char *errbuf)
{
  plm_tensor *f32 = NULL;
  int         status = PLM_OK, lead, L;

  if ((p->emb = calloc((size_t)d->nrepr, sizeof *p->emb)) == NULL) return plm_Fail(errbuf, PLM_EMEM, "out of memory");
  for (int r = 0; r < d->nrepr && status == PLM_OK; r++) {
    char              name[32];
    const plm_tensor *t;
    snprintf(name, sizeof name, "repr%d", d->repr_k[r]);
    if ((t = plm_record_GetTensor(rec, name)) == NULL || t->rank != 2 || (t->dtype != PLM_F32 && t->dtype != PLM_F16))
      return plm_Fail(errbuf, PLM_EFORMAT, "record %s: no f32/f16 %s [T x D] like the first record's", rec->id, name);
    if (!d->D) d->D = (int)t->shape[1];
    if (t->shape[1] != d->D) return plm_Fail(errbuf, PLM_EFORMAT, "record %s: %s has %lld columns, not %d", rec->id, name, (long long)t->shape[1], d->D);
    if (t->dtype == PLM_F16) { PLM_XCHECK(plm_tensor_ToF32(t, name, &f32, errbuf)); t = f32; }
    PLM_XCHECK(plm_annot_ResidueSpan(rec, o->special, (int)t->shape[0], &lead, &L, errbuf));
    if ((p->emb[r] = malloc((size_t)L * d->D * sizeof(float) + 1)) == NULL) PLM_XFAIL(PLM_EMEM, errbuf, "out of memory");
    memcpy(p->emb[r], (const float *)t->data + (size_t)lead * d->D, (size_t)L * d->D * sizeof(float));
    plm_tensor_Destroy(f32);
    f32 = NULL;
  }
 ERROR:
  plm_tensor_Destroy(f32);
  return status;
}

/* symmetrized raw attention of the residue block, per layer and head (no APC); for token
 * tasks only each residue's band of +- window neighbours */
static int
keep_attn(data *d, const plm_record *rec, prot *p, const opts *o, char *errbuf, int first)
{
  const plm_tensor *a = plm_record_GetTensor(rec, "attentions");
  plm_tensor       *f32 = NULL;
  int               status, lead, L, T;

  if (!a || (!first && !d->natt))
    return !a && !d->natt ? PLM_OK : plm_Fail(errbuf, PLM_EFORMAT, "record %s: 'attentions' in some records, not all", rec->id);
  if (a->rank != 4 || a->shape[2] != a->shape[3] || (a->dtype != PLM_F32 && a->dtype != PLM_F16))
    return plm_Fail(errbuf, PLM_EFORMAT, "record %s: 'attentions' is not f32/f16 [layers, heads, T, T]", rec->id);
  if (first) {
    d->natt = (int)a->shape[0]; d->nh = (int)a->shape[1];
    if ((d->att_id = malloc((size_t)d->natt * sizeof *d->att_id)) == NULL) return plm_Fail(errbuf, PLM_EMEM, "out of memory");
    for (int l = 0; l < d->natt; l++) d->att_id[l] = l + 1;
    if (plm_record_GetMeta(rec, "attention_layers"))
      PLM_XCHECK(plm_headstat_ParseIds(plm_record_GetMeta(rec, "attention_layers"), d->natt, d->att_id, errbuf));
  }
  if (a->shape[0] != d->natt || a->shape[1] != d->nh) return plm_Fail(errbuf, PLM_EFORMAT, "record %s: other attention layers or heads", rec->id);
  if (a->dtype == PLM_F16) { PLM_XCHECK(plm_tensor_ToF32(a, "attentions", &f32, errbuf)); a = f32; }
  T = (int)a->shape[2];
  PLM_XCHECK(plm_annot_ResidueSpan(rec, o->special, T, &lead, &L, errbuf));
  if ((p->att = calloc((size_t)d->natt, sizeof *p->att)) == NULL) PLM_XFAIL(PLM_EMEM, errbuf, "out of memory");
  for (int l = 0; l < d->natt; l++) {
    if (d->task != TASK_CONTACT) {   /* token probes: only each residue's band of neighbours */
      if ((p->att[l] = malloc((size_t)d->nh * L * 2 * d->window * sizeof(float) + 1)) == NULL) PLM_XFAIL(PLM_EMEM, errbuf, "out of memory");
      for (int h = 0; h < d->nh; h++)
        plm_probe_WindowBand((const float *)a->data + ((size_t)l * d->nh + h) * T * T, T, lead, L, d->window,
                             p->att[l] + (size_t)h * L * 2 * d->window);
      continue;
    }
    if ((p->att[l] = malloc((size_t)d->nh * L * L * sizeof(float) + 1)) == NULL) PLM_XFAIL(PLM_EMEM, errbuf, "out of memory");
    for (int h = 0; h < d->nh; h++) {
      const float *m = (const float *)a->data + ((size_t)l * d->nh + h) * T * T;
      for (int i = 0; i < L; i++)
        for (int j = 0; j < L; j++)
          p->att[l][((size_t)h * L + i) * L + j] = m[(size_t)(lead + i) * T + lead + j] + m[(size_t)(lead + j) * T + lead + i];
    }
  }
  status = PLM_OK;
 ERROR:
  plm_tensor_Destroy(f32);
  return status;
}

static int
add_protein(data *d, plm_plugin *pl, const plm_record *rec, const opts *o, char *errbuf)
{
  plm_tensor *t = NULL;
  prot       *p;
  int         status;

  /* d->n counts a protein once it is in d->p, so free_data frees what a failure leaves */

  status = plm_plugin_Annotate(pl, rec, "labels", &t, errbuf);
  if (status == PLM_ENOTFOUND) { d->skipped++; return PLM_OK; }
  if (status != PLM_OK) return status;
  if (d->n == d->alloc) {
    prot *np = realloc(d->p, (size_t)(d->alloc ? 2 * d->alloc : 64) * sizeof *np);
    if (!np) PLM_XFAIL(PLM_EMEM, errbuf, "out of memory");
    d->p = np;
    d->alloc = d->alloc ? 2 * d->alloc : 64;
  }
  p = memset(&d->p[d->n++], 0, sizeof *p);
  p->L = (int)t->shape[1];
  p->val = plm_probe_Coin(o->seed, rec->id, o->frac);
  if ((p->id = strdup(rec->id)) == NULL) PLM_XFAIL(PLM_EMEM, errbuf, "out of memory");
  PLM_XCHECK(labels_of(d, t, p->L, &p->lab, errbuf));
  PLM_XCHECK(keep_repr(d, rec, p, o, errbuf));
  PLM_XCHECK(keep_attn(d, rec, p, o, errbuf, d->n == 1));
 ERROR:
  plm_tensor_Destroy(t);
  return status;
}

static void
free_data(data *d)
{
  for (int i = 0; i < d->n; i++) {
    prot *p = &d->p[i];
    for (int r = 0; p->emb && r < d->nrepr; r++) free(p->emb[r]);
    for (int l = 0; p->att && l < d->natt; l++) free(p->att[l]);
    free(p->emb); free(p->att); free(p->lab); free(p->id);
  }
  free(d->p);
  free(d->att_id);
}

/* the whole stream in memory: a probe trains on every training protein at once */
static int
read_all(const opts *o, plm_plugin *pl, data *d, plm_progress *prog, char *errbuf)
{
  plm_streamreader *r = NULL;
  plm_record       *rec = NULL;
  int               status, first = 1;
  long long         nrec = 0, nres = 0, total = plm_progress_FileSize(o->input);

  PLM_XCHECK(task_of(pl, d, errbuf));
  PLM_XCHECK(plm_stream_OpenRead(o->input, &r, errbuf));
  plm_stream_SetMaxMemory(r, o->max_memory);
  while ((status = plm_stream_Read(r, &rec, errbuf)) == PLM_OK) {
    if (first) { PLM_XCHECK(repr_layers(rec, d, errbuf)); first = 0; }
    PLM_XCHECK(add_protein(d, pl, rec, o, errbuf));
    plm_progress_Update(prog, ++nrec, nres += (long long)strlen(rec->seq), total ? plm_stream_Tell(r) : -1);
    plm_record_Destroy(rec);
    rec = NULL;
  }
  if (status != PLM_EOF) goto ERROR;
  status = PLM_OK;
 ERROR:
  plm_record_Destroy(rec);
  if (r) plm_stream_CloseRead(r);
  return status;
}

/* ----------------------------------------------------------------- probes */

/* features of residue i (token tasks) or pair (i, j) (contacts) */
static void
features(const data *d, const view *v, const prot *p, int i, int j, float *out)
{
  if (v->attn && d->task != TASK_CONTACT) {   /* per head, residue i's band (keep_attn) */
    for (int h = 0; h < d->nh; h++)
      memcpy(out + (size_t)h * 2 * d->window, p->att[v->layer] + ((size_t)h * p->L + i) * 2 * d->window, 2 * (size_t)d->window * sizeof *out);
    return;
  }
  if (v->attn) { for (int h = 0; h < d->nh; h++) out[h] = p->att[v->layer][((size_t)h * p->L + i) * p->L + j]; return; }
  if (d->task == TASK_CONTACT) plm_probe_PairFeatures(p->emb[v->layer] + (size_t)i * d->D, p->emb[v->layer] + (size_t)j * d->D, d->D, out);
  else memcpy(out, p->emb[v->layer] + (size_t)i * d->D, (size_t)d->D * sizeof *out);
}

/* a training pair: every contact, and a non-contact with probability q (seeded by protein and pair) */
static int
pair_kept(const opts *o, const prot *p, int i, int j, double q)
{
  uint64_t key = ((uint64_t)(uint32_t)i << 32 | (uint32_t)j) * UINT64_C(0x9e3779b97f4a7c15);
  return p->lab[(size_t)i * p->L + j] == 1 || plm_probe_Coin(o->seed ^ key, p->id, q);
}

/* the training rows (X NULL: only count them) */
static int64_t
fill_rows(const data *d, const view *v, const opts *o, float *X, uint8_t *y)
{
  int64_t n = 0;
  for (int k = 0; k < d->n; k++) {
    const prot *p = &d->p[k];
    int64_t     npos = 0, nneg = 0;
    double      q;
    if (p->val) continue;
    if (d->task != TASK_CONTACT) {
      for (int i = 0; i < p->L; i++) {
        if (p->lab[i] == PLM_PLUGIN_UNKNOWN) continue;
        if (X) { features(d, v, p, i, 0, X + n * v->dim); y[n] = p->lab[i]; }
        n++;
      }
      continue;
    }
    for (int i = 0; i < p->L; i++)
      for (int j = i + o->minsep; j < p->L; j++) { npos += p->lab[(size_t)i * p->L + j] == 1; nneg += p->lab[(size_t)i * p->L + j] == 0; }
    q = nneg ? fmin(1.0, o->negratio * (double)(npos ? npos : 1) / (double)nneg) : 0.0;
    for (int i = 0; i < p->L; i++)
      for (int j = i + o->minsep; j < p->L; j++) {
        if (p->lab[(size_t)i * p->L + j] > 1 || !pair_kept(o, p, i, j, q)) continue;
        if (X) { features(d, v, p, i, j, X + n * v->dim); y[n] = p->lab[(size_t)i * p->L + j]; }
        n++;
      }
  }
  return n;
}

static int
train(const data *d, const view *v, const opts *o, double *W, double *mean, double *sd, int64_t *ret_n, char *errbuf)
{
  int64_t         n = fill_rows(d, v, o, NULL, NULL);
  float          *X = NULL;
  uint8_t        *y = NULL;
  plm_logreg_opts lo;
  plm_logreg_info info;
  int             status;

  *ret_n = n;
  if (n < 2) return plm_Fail(errbuf, PLM_EINVAL, "fewer than 2 labelled training items (of %d proteins)", d->n);
  if (!(X = malloc((size_t)n * v->dim * sizeof *X)) || !(y = malloc((size_t)n))) PLM_XFAIL(PLM_EMEM, errbuf, "out of memory");
  fill_rows(d, v, o, X, y);
  plm_probe_Moments(X, n, v->dim, mean, sd);
  plm_probe_Scale(X, n, v->dim, mean, sd);
  plm_logreg_DefaultOpts(&lo);
  lo.penalty = PLM_LOGREG_L2;
  lo.C = o->C;
  lo.tol = 1e-6;
  if (d->task == TASK_SS3) PLM_XCHECK(plm_logreg_FitMultinomial(X, n, v->dim, y, d->K, NULL, &lo, W, &info, errbuf));
  else PLM_XCHECK(plm_logreg_Fit(X, n, v->dim, y, NULL, &lo, W, &info, errbuf));
 ERROR:
  free(X);
  free(y);
  return status;
}

/* one held-out protein: precision at L/20 (binary) or L/5 (contacts); for
 * ss3 the predicted and true classes of its residues are appended */
static int
score_protein(const data *d, const view *v, const opts *o, const prot *p, const double *W, const double *mean, const double *sd,
              uint8_t *pred, uint8_t *truth, int64_t *nres, double *ret_prec, char *errbuf)
{
  int      pair = d->task == TASK_CONTACT, n = 0, status;
  size_t   cap = pair ? (size_t)p->L * p->L : (size_t)p->L;
  double  *s = malloc((cap ? cap : 1) * sizeof *s);
  uint8_t *t = malloc(cap ? cap : 1);
  float   *x = malloc((size_t)v->dim * sizeof *x);

  *ret_prec = NAN;
  if (!s || !t || !x) PLM_XFAIL(PLM_EMEM, errbuf, "out of memory");
  for (int i = 0; i < p->L; i++)
    for (int j = pair ? i + o->minsep : i; j < (pair ? p->L : i + 1); j++) {
      uint8_t lab = pair ? p->lab[(size_t)i * p->L + j] : p->lab[i];
      if (lab == PLM_PLUGIN_UNKNOWN) continue;
      features(d, v, p, i, j, x);
      plm_probe_Scale(x, 1, v->dim, mean, sd);
      if (d->task == TASK_SS3) {
        int best = 0;
        for (int c = 1; c < d->K; c++)
          if (plm_logreg_Prob(W + (size_t)c * (v->dim + 1), v->dim, x) > plm_logreg_Prob(W + (size_t)best * (v->dim + 1), v->dim, x)) best = c;
        pred[*nres] = (uint8_t)best;
        truth[(*nres)++] = lab;
        continue;
      }
      s[n] = plm_logreg_Prob(W, v->dim, x);
      t[n++] = lab;
    }
  status = d->task == TASK_SS3 ? PLM_OK : plm_probe_TopPrecision(s, t, n, (p->L / (pair ? 5 : 20)) > 1 ? p->L / (pair ? 5 : 20) : 1, ret_prec, errbuf);
 ERROR:
  free(s);
  free(t);
  free(x);
  return status;
}

/* the metric over the held-out proteins: pooled macro F1, or the mean per-protein precision */
static int
evaluate(const data *d, const view *v, const opts *o, const double *W, const double *mean, const double *sd, result *res, char *errbuf)
{
  int64_t  total = 0, nres = 0;
  uint8_t *pred = NULL, *truth = NULL;
  double   sum = 0.0, prec;
  int      used = 0, status = PLM_OK;

  for (int k = 0; k < d->n; k++) total += d->p[k].val ? d->p[k].L : 0;
  if (d->task == TASK_SS3 && (!(pred = malloc((size_t)total + 1)) || !(truth = malloc((size_t)total + 1))))
    PLM_XFAIL(PLM_EMEM, errbuf, "out of memory");
  res->nval = 0;
  for (int k = 0; k < d->n; k++) {
    if (!d->p[k].val) continue;
    res->nval++;
    PLM_XCHECK(score_protein(d, v, o, &d->p[k], W, mean, sd, pred, truth, &nres, &prec, errbuf));
    if (!isnan(prec)) { sum += prec; used++; }
  }
  res->value = d->task == TASK_SS3 ? plm_probe_MacroF1(pred, truth, nres, d->K) : used ? sum / used : NAN;
 ERROR:
  free(pred);
  free(truth);
  return status;
}

static int
run_probe(const data *d, const view *v, const opts *o, result *res, char *errbuf)
{
  int     rows = d->task == TASK_SS3 ? d->K : 1, status;
  double *W = malloc((size_t)rows * (v->dim + 1) * sizeof *W), *mean = malloc((size_t)v->dim * 2 * sizeof *mean);

  if (!W || !mean) PLM_XFAIL(PLM_EMEM, errbuf, "out of memory");
  PLM_XCHECK(train(d, v, o, W, mean, mean + v->dim, &res->ntrain, errbuf));
  PLM_XCHECK(evaluate(d, v, o, W, mean, mean + v->dim, res, errbuf));
 ERROR:
  free(W);
  free(mean);
  return status;
}

/* ----------------------------------------------------------------- output */

static const char *
metric_name(const data *d)
{
  return d->task == TASK_SS3 ? "macro_f1" : d->task == TASK_CONTACT ? "precision_at_L/5" : "precision_at_L/20";
}

/* Vig Fig. 5: the metric by layer, embedding and attention probes */
static int
figure(const data *d, const double *emb, const double *att, const opts *o, char *errbuf)
{
  int         nx = d->repr_k[d->nrepr - 1] + 1, status;
  double     *xs = malloc((size_t)nx * sizeof *xs), *y = malloc((size_t)nx * 2 * sizeof *y);
  const char *names[2] = { "embedding probe", "attention probe" };
  char        path[4096], title[128];
  plm_fig    *fig = NULL;

  if (!xs || !y) PLM_XFAIL(PLM_EMEM, errbuf, "out of memory");
  for (int x = 0; x < nx; x++) { xs[x] = x; y[x] = y[nx + x] = NAN; }
  for (int r = 0; r < d->nrepr; r++) y[d->repr_k[r]] = emb[r];
  for (int l = 0; l < d->natt; l++) if (d->att_id[l] < nx) y[nx + d->att_id[l]] = att[l];
  snprintf(title, sizeof title, "probing classifiers by layer: %s on held-out proteins", metric_name(d));
  PLM_XCHECK(plm_fig_Create(70 + fmax(300.0, 24.0 * nx) + 160, 320, &fig, errbuf));
  plm_fig_Lines(fig, 70, 40, fmax(300.0, 24.0 * nx), 220, xs, nx, y, d->natt ? 2 : 1, names,
                &(plm_fig_axis){ title, "layer", metric_name(d) });
  if (snprintf(path, sizeof path, "%s.svg", o->figure) >= (int)sizeof path) PLM_XFAIL(PLM_EINVAL, errbuf, "--figure: path too long");
  PLM_XCHECK(plm_fig_WriteSVG(fig, path, errbuf));
  strcpy(path + strlen(path) - 3, "png");
  PLM_XCHECK(plm_fig_WritePNG(fig, path, errbuf));
 ERROR:
  plm_fig_Destroy(fig);
  free(xs);
  free(y);
  return status;
}

/* every probe, one TSV row each */
static void
report(const data *d, const opts *o, plm_progress *prog)
{
  char    eb[PLM_ERRBUFSIZE];
  double *emb = malloc((size_t)(d->nrepr + d->natt) * sizeof *emb), *att = emb + d->nrepr;
  int     ntrain = 0, nval = 0;
  result  res = { NAN, 0, 0 };

  if (!emb) plm_cli_Die(TOOL, "out of memory");
  for (int k = 0; k < d->n; k++) { ntrain += !d->p[k].val; nval += d->p[k].val; }
  if (!ntrain || !nval) plm_cli_Die(TOOL, "%d training and %d held-out proteins: need both (see --val-frac)", ntrain, nval);
  puts("probe\tlayer\tmetric\tvalue\ttrain_items\tval_proteins");
  for (int r = 0; r < d->nrepr + d->natt; r++) {
    view v = r < d->nrepr ? (view){ 0, r, d->task == TASK_CONTACT ? 2 * d->D : d->D } : (view){ 1, r - d->nrepr, d->task == TASK_CONTACT ? d->nh : d->nh * 2 * d->window };
    plm_progress_Note(prog, "probe %d of %d", r + 1, d->nrepr + d->natt);
    if (run_probe(d, &v, o, &res, eb) != PLM_OK) plm_cli_Die(TOOL, "%s probe, layer %d: %s", v.attn ? "attention" : "embedding", r, eb);
    emb[r] = res.value;
    printf("%s\t%d\t%s\t%.6f\t%lld\t%d\n", v.attn ? "attention" : "embedding", v.attn ? d->att_id[v.layer] : d->repr_k[r],
           metric_name(d), res.value, (long long)res.ntrain, res.nval);
  }
  printf("# proteins\ttrain\t%d\tval\t%d\tskipped\t%lld\tval_frac\t%g\tseed\t%llu\tC\t%g\n", ntrain, nval, (long long)d->skipped,
         o->frac, (unsigned long long)o->seed, o->C);
  if (o->figure && figure(d, emb, att, o, eb) != PLM_OK) plm_cli_Die(TOOL, "%s", eb);
  free(emb);
}

int
main(int argc, char **argv)
{
  char        eb[PLM_ERRBUFSIZE];
  opts        o;
  data        d;
  plm_plugin *pl = NULL;
  plm_progress *prog;

  plm_cli_Init();
  parse_options(argc, argv, &o);
  memset(&d, 0, sizeof d);
  /* one line for the read and then the probes, which take the most time */
  prog = plm_progress_Create(TOOL, o.progress, plm_progress_FileSize(o.input));
  d.window = o.window;
  if (plm_annot_LoadSpec(o.spec, o.dirs, o.ndirs, &pl, eb) != PLM_OK || read_all(&o, pl, &d, prog, eb) != PLM_OK) plm_cli_Die(TOOL, "%s", eb);
  if (d.skipped) fprintf(stderr, "%s: %lld record(s) without a %s annotation skipped\n", TOOL, (long long)d.skipped, pl->name);
  report(&d, &o, prog);
  plm_progress_Finish(prog);
  free_data(&d);
  plm_plugin_Unload(pl);
  return fflush(stdout) == 0 ? 0 : 1;
}
