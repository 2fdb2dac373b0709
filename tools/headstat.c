/* headstat.c: what each attention head attends to: per-head property statistics
 * (Vig et al. 2021) over a record stream carrying 'attentions'.
 *
 *   seqread data.fasta | attn -m M.pt --attentions | headstat -p aa -p ss:file=cb513.csv > heads.tsv
 *   headstat --partial a.state ... ; headstat --merge a.state b.state > heads.tsv
 *   headstat -p aa -o heads.tsv [--resume] attn.tsr     (checkpoints heads.tsv.checkpoint)
 *
 * The statistics live in libcore/analysis/headstat.h; this file loads the plugins,
 * finds the residue block of each attention map and prints the report.
 * A headstat run aggregates: a cut one has no output to keep, so with -o FILE the accumulators
 * (exact integer counts), the records consumed and a hash of their ids go to FILE.checkpoint
 * now and then, and --resume starts from there (the state after N records is the same however
 * it was reached, so the report equals an uninterrupted run's, byte for byte).
 * man/man1/headstat.1 is the contract.
 *
 *   options:   parse_options()
 *   input:     load_plugins() head_ids() create_state() add_record() accumulate()
 *              merge_partials()
 *   resume:    id_hash() checkpoint_Write() checkpoint_Read()
 *   output:    print_num() print_heads() cmp_head() print_summary() aa_props() report() list_plugins()
 *   figures:   write_figure() id_labels() fig_heads() fig_layers() fig_aa() figures()
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "align.h"
#include "annot.h"
#include "cli.h"
#include "error.h"
#include "figure.h"
#include "headstat.h"
#include "membudget.h"
#include "plugin.h"
#include "progress.h"
#include "record.h"
#include "resume.h"
#include "rng.h"
#include "stream.h"
#include <sys/stat.h>
#include <unistd.h>

#define TOOL     "headstat"
#define MAXPLUG  64
#define MAXDIRS  64

static const char usage_text[] =
  "Usage: headstat -p PLUGIN[:KEY=VAL,...] [options] [FILE...]\n"
  "       headstat --merge STATE... [report options]\n"
  "       headstat --list-plugins [--plugin-dir DIR]\n"
  "Per attention head and property: the share of high-confidence attention (alpha > theta) and\n"
  "of all attention that lands on residues (pairs) with the property, against its background.\n"
  "Reads a record stream (FILEs or stdin) with 'attentions' [layers x heads x T x T].\n"
  "\n"
  "  -p, --plugin SPEC     property plugin NAME[:KEY=VAL,...], repeatable (e.g. aa,\n"
  "                        ss:file=CB513_HHblits.csv, binding_site:file=X.jsonl, contact:pdb-dir=D)\n"
  "      --plugin-dir DIR  look for plugins in DIR first (repeatable)\n"
  "      --list-plugins    list the plugins found and exit\n"
  "      --theta X         high-confidence threshold on attention (default 0.3)\n"
  "      --null            null model: permute each attention row before counting\n"
  "      --seed N          seed of the null model's permutations (default 1)\n"
  "      --with-null FILE  also the null model in the same pass: its report to FILE, its\n"
  "                        figures (with --figures) to DIR/null on the real ones' colour scale\n"
  "      --special LIST    special-token layout when the records lack 'special_tokens',\n"
  "                        e.g. bos,eos or none (bos/cls lead, eos/sep trail)\n"
  "  -t, --tensor NAME     the attention tensor (default attentions)\n"
  "      --partial FILE    also write the partial state to FILE, for --merge\n"
  "  -o, --output FILE     the report to FILE (written at the end), not stdout; the\n"
  "                        accumulated counts go to FILE.checkpoint as the run goes\n"
  "      --checkpoint SEC  seconds between checkpoints (default 60; 0: after every record)\n"
  "      --resume          with -o: start from FILE.checkpoint, skip the records it holds\n"
  "                        (their ids must match) and go on; same report as one run\n"
  "      --progress        a progress line on stderr even when it is not a terminal\n"
  "      --quiet           no progress line (default when stderr is not a terminal)\n"
  "      --merge           the FILEs are partial states: add them and report\n"
  "Report options:\n"
  "      --min-arcs N      heads with fewer high-confidence arcs are not scored (default 100)\n"
  "      --alpha A         family-wise significance level (default 0.05, Bonferroni over heads)\n"
  "      --top K           top heads per property in the summary (default 10)\n"
  "      --figures DIR     also draw the figures into DIR (SVG and PNG): heads-PROP\n"
  "                        (layer x head heatmap, per-layer maximum), layers, aa-blosum62\n"
  "      --max-memory SIZE most memory to hold (K, M, G; default: what is free at the start)\n"
  "                        a record that would need more is refused, naming it\n"
  "  -h, --help            this text\n"
  "  -V, --version         version\n"
  "\n"
  "Output: TSV property, layer, head, n_arcs, prop_highconf, prop_weighted, background, z,\n"
  "p_bonferroni, ci_lo, ci_hi, significant (yes, no, few_arcs), then summary lines starting\n"
  "with '#'. See headstat(1).\n";

enum { OPT_PDIR = 256, OPT_LIST, OPT_THETA, OPT_NULL, OPT_SEED, OPT_SPECIAL, OPT_PARTIAL, OPT_MERGE,
       OPT_MINARCS, OPT_ALPHA, OPT_TOP, OPT_FIGURES, OPT_VERSION, OPT_WITHNULL, OPT_CHECKPOINT, OPT_RESUME,
       OPT_PROGRESS, OPT_QUIET };

typedef struct opts {
  const char *specs[MAXPLUG], *dirs[MAXDIRS], *special, *tensor, *partial, *figures, *with_null;
  const char *output;                 /* -o FILE; NULL: stdout */
  int         nspecs, ndirs, list, null_model, merge, top;
  int         resume, progress;       /* --resume; PLM_PROGRESS_AUTO, _ON (--progress), _OFF (--quiet) */
  double      theta, alpha, checkpoint;
  uint64_t    seed;
  int64_t     min_arcs;
  char      **files;
  int         nfiles;
  size_t      max_memory;   /* --max-memory, bytes (0: membudget.h's default) */
} opts;

typedef struct plugins {
  plm_plugin *p[MAXPLUG];
  int         n, first[MAXPLUG];   /* first[g]: index of plugin g's first property */
  int         nprops;
  int64_t     skipped[MAXPLUG];
} plugins;

static void
parse_options(int argc, char **argv, opts *o)
{
  static const struct option longopts[] = {
    { "plugin", required_argument, 0, 'p' },        { "plugin-dir", required_argument, 0, OPT_PDIR },
    { "list-plugins", no_argument, 0, OPT_LIST },   { "theta", required_argument, 0, OPT_THETA },
    { "null", no_argument, 0, OPT_NULL }, { "with-null", required_argument, 0, OPT_WITHNULL },           { "seed", required_argument, 0, OPT_SEED },
    { "special", required_argument, 0, OPT_SPECIAL }, { "tensor", required_argument, 0, 't' },
    { "partial", required_argument, 0, OPT_PARTIAL }, { "merge", no_argument, 0, OPT_MERGE },
    { "min-arcs", required_argument, 0, OPT_MINARCS }, { "alpha", required_argument, 0, OPT_ALPHA },
    { "max-memory", 1, 0, PLM_OPT_MAX_MEMORY },
    { "top", required_argument, 0, OPT_TOP },       { "help", no_argument, 0, 'h' },
    { "figures", required_argument, 0, OPT_FIGURES }, { "output", required_argument, 0, 'o' },
    { "checkpoint", required_argument, 0, OPT_CHECKPOINT }, { "resume", no_argument, 0, OPT_RESUME },
    { "progress", no_argument, 0, OPT_PROGRESS },   { "quiet", no_argument, 0, OPT_QUIET },
    { "version", no_argument, 0, OPT_VERSION },     { 0, 0, 0, 0 }
  };
  int c;

  memset(o, 0, sizeof *o);
  o->tensor = "attentions";
  o->theta = 0.3; o->alpha = 0.05; o->top = 10; o->seed = 1; o->min_arcs = 100;
  o->checkpoint = 60.0; o->progress = PLM_PROGRESS_AUTO;
  while ((c = getopt_long(argc, argv, "p:t:o:hV", longopts, NULL)) != -1) {
    switch (c) {
    case 'p':
      if (o->nspecs == MAXPLUG) plm_cli_Usage(TOOL, "at most %d plugins", MAXPLUG);
      o->specs[o->nspecs++] = optarg; break;
    case OPT_PDIR:
      if (o->ndirs == MAXDIRS) plm_cli_Usage(TOOL, "at most %d plugin directories", MAXDIRS);
      o->dirs[o->ndirs++] = optarg; break;
    case OPT_LIST:     o->list = 1; break;
    case OPT_THETA:    o->theta = plm_cli_Number(TOOL, "--theta", optarg, 0.0, 0.999999); break;
    case OPT_NULL:     o->null_model = 1; break;
    case OPT_SEED:     o->seed = (uint64_t)plm_cli_Number(TOOL, "--seed", optarg, 0.0, 9007199254740992.0); break;
    case OPT_SPECIAL:  o->special = optarg; break;
    case 't':          o->tensor = optarg; break;
    case OPT_PARTIAL:  o->partial = optarg; break;
    case OPT_MERGE:    o->merge = 1; break;
    case OPT_MINARCS:  o->min_arcs = (int64_t)plm_cli_Number(TOOL, "--min-arcs", optarg, 1.0, 1e18); break;
    case OPT_ALPHA:    o->alpha = plm_cli_Number(TOOL, "--alpha", optarg, 1e-300, 0.5); break;
    case OPT_TOP:      o->top = (int)plm_cli_Number(TOOL, "--top", optarg, 0.0, 1e6); break;
    case OPT_FIGURES:  o->figures = optarg; break;
    case OPT_WITHNULL: o->with_null = optarg; break;
    case PLM_OPT_MAX_MEMORY: o->max_memory = plm_cli_Size(TOOL, "--max-memory", optarg); break;
    case 'o':          o->output = optarg; break;
    case OPT_CHECKPOINT: o->checkpoint = plm_cli_Number(TOOL, "--checkpoint", optarg, 0.0, 1e9); break;
    case OPT_RESUME:   o->resume = 1; break;
    case OPT_PROGRESS: o->progress = PLM_PROGRESS_ON; break;
    case OPT_QUIET:    o->progress = PLM_PROGRESS_OFF; break;
    case 'h':          fputs(usage_text, stdout); exit(0);
    case OPT_VERSION:
    case 'V':          plm_cli_Version(TOOL);
    default:           plm_cli_Usage(TOOL, "unknown option");
    }
  }
  o->files  = argv + optind;
  o->nfiles = argc - optind;
  if (o->list) return;
  if (o->merge && (o->nfiles == 0 || o->nspecs)) plm_cli_Usage(TOOL, "--merge takes partial-state FILEs and no -p");
  if (!o->merge && o->nspecs == 0) plm_cli_Usage(TOOL, "no property: give -p PLUGIN");
  if (o->nfiles > 1 && !o->merge) plm_cli_Usage(TOOL, "one input stream at most (use plmstream cat)");
  if (o->with_null && (o->merge || o->null_model)) plm_cli_Usage(TOOL, "--with-null runs beside the real model: not with --merge or --null");
  if (o->resume && (!o->output || o->merge)) plm_cli_Usage(TOOL, "--resume needs -o FILE (the report a cut run did not write), and no --merge");
}

/* property names: the plugin's own for a one-property plugin, else PLUGIN:PROP */
static int
load_plugins(const opts *o, plugins *pl, char ***ret_names, int **ret_pair, char *errbuf)
{
  char **names = NULL;
  int   *pair = NULL, g, k, status;

  memset(pl, 0, sizeof *pl);
  for (g = 0; g < o->nspecs; g++) {
    PLM_XCHECK(plm_annot_LoadSpec(o->specs[g], o->dirs, o->ndirs, &pl->p[g], errbuf));
    pl->n++;
    pl->first[g] = pl->nprops;
    pl->nprops += pl->p[g]->nprops(pl->p[g]->state);
  }
  if (!(names = calloc((size_t)pl->nprops, sizeof *names)) || !(pair = calloc((size_t)pl->nprops, sizeof *pair)))
    PLM_XFAIL(PLM_EMEM, errbuf, "out of memory");
  for (g = 0; g < pl->n; g++) {
    int np = pl->p[g]->nprops(pl->p[g]->state);
    for (k = 0; k < np; k++) {
      const char *pn = pl->p[g]->propname(pl->p[g]->state, k);
      char       *s = malloc(strlen(pl->p[g]->name) + strlen(pn) + 2);
      if (!s) PLM_XFAIL(PLM_EMEM, errbuf, "out of memory");
      if (np == 1) strcpy(s, pn); else sprintf(s, "%s:%s", pl->p[g]->name, pn);
      names[pl->first[g] + k] = s;
      pair[pl->first[g] + k] = pl->p[g]->kind == PLM_PLUGIN_PAIR;
    }
  }
  *ret_names = names;
  *ret_pair = pair;
  return PLM_OK;
 ERROR:
  for (k = 0; names && k < pl->nprops; k++) free(names[k]);
  free(names);
  free(pair);
  return status;
}

/* the model's numbers of the layers (heads) in the tensor: from attn's
 * attention_layers (attention_heads) metadata, else 1..n */
static int
head_ids(const plm_record *rec, const char *key, int n, int *ids, char *errbuf)
{
  const char *list = plm_record_GetMeta(rec, key);
  int         status;

  if (!list) { for (int k = 0; k < n; k++) ids[k] = k + 1; return PLM_OK; }
  if ((status = plm_headstat_ParseIds(list, n, ids, errbuf)) != PLM_OK)
    return plm_Fail(errbuf, status, "record %s: metadata %s '%s' does not name the tensor's %d", rec->id, key, list, n);
  return PLM_OK;
}

/* the first record sets the state's layers and heads; every later one must have the same */
static int
create_state(plm_headstat **hs, const opts *o, int null_model, const plugins *pl, char **names, int *pair,
             const plm_record *rec, const plm_tensor *a, char *errbuf)
{
  int nl = (int)a->shape[0], nh = (int)a->shape[1], *lid = NULL, *hid = NULL, status;

  if (nl < 1 || nh < 1 || nl > PLM_HEADSTAT_MAXDIM || nh > PLM_HEADSTAT_MAXDIM)
    return plm_Fail(errbuf, PLM_EINVAL, "record %s: %d x %d heads", rec->id, nl, nh);
  if (!(lid = malloc((size_t)nl * sizeof *lid)) || !(hid = malloc((size_t)nh * sizeof *hid)))
    PLM_XFAIL(PLM_EMEM, errbuf, "out of memory");
  PLM_XCHECK(head_ids(rec, "attention_layers", nl, lid, errbuf));
  PLM_XCHECK(head_ids(rec, "attention_heads", nh, hid, errbuf));
  if (!*hs)
    PLM_XCHECK(plm_headstat_Create(nl, nh, lid, hid, pl->nprops, (const char *const *)names, pair, o->theta,
                                   null_model, o->seed, hs, errbuf));
  else if (nl != (*hs)->nlayers || nh != (*hs)->nheads || memcmp(lid, (*hs)->layer_id, (size_t)nl * sizeof *lid) ||
           memcmp(hid, (*hs)->head_id, (size_t)nh * sizeof *hid))
    PLM_XFAIL(PLM_EINVAL, errbuf, "record %s: other layers or heads than the earlier records", rec->id);
  status = PLM_OK;
 ERROR:
  free(lid);
  free(hid);
  return status;
}

/* annotate with every plugin, then add to each of the nhs states (the real and the null model);
 * a plugin without an annotation leaves its properties NULL */
static int
add_record(plm_headstat *const *hs, int nhs, plugins *pl, const plm_record *rec, const plm_tensor *attn, int lead, int L,
           char *errbuf)
{
  plm_tensor     *lab[MAXPLUG] = { 0 };
  const uint8_t **labels = calloc((size_t)pl->nprops, sizeof *labels);
  int             g, k, status = PLM_OK;

  if (!labels) return plm_Fail(errbuf, PLM_EMEM, "out of memory");
  for (g = 0; g < pl->n; g++) {
    status = plm_plugin_Annotate(pl->p[g], rec, "labels", &lab[g], errbuf);
    if (status == PLM_ENOTFOUND) { pl->skipped[g]++; continue; }
    if (status != PLM_OK) goto ERROR;
    for (k = 0; k < (int)lab[g]->shape[0]; k++)
      labels[pl->first[g] + k] = (const uint8_t *)lab[g]->data + (size_t)k * L * (lab[g]->rank == 3 ? (size_t)L : 1);
  }
  for (int s = 0; s < nhs && status == PLM_OK; s++)
    status = plm_headstat_Add(hs[s], rec->id, attn->data, (int)attn->shape[2], lead, L, labels, errbuf);
 ERROR:
  for (g = 0; g < pl->n; g++) plm_tensor_Destroy(lab[g]);
  free(labels);
  return status;
}

/* ---------------------------------------------------------------- resume */

#define CKPT_TAG "plmscope-headstat-checkpoint"

/* FNV-1a over the ids of the records consumed, each ended by a newline: the input a
 * checkpoint was made from, told apart from another one */
static uint64_t
id_hash(uint64_t h, const char *id)
{
  return plm_rng_Hash(plm_rng_Hash(h, id, strlen(id)), "\n", 1);
}

/* the records consumed, their ids' hash, each plugin's skipped count and the nhs states,
 * written beside and renamed over PATH, so a kill leaves the old checkpoint or the new one */
static void
checkpoint_Write(const char *path, long long nrec, uint64_t idhash, const plugins *pl, plm_headstat *const *hs, int nhs)
{
  char  tmp[4200], eb[PLM_ERRBUFSIZE];
  FILE *fp;

  snprintf(tmp, sizeof tmp, "%s.tmp", path);
  if (!(fp = fopen(tmp, "w"))) plm_cli_Die(TOOL, "%s: %s", tmp, strerror(errno));
  fprintf(fp, "%s 1\nrecords %lld\nids %016llx\nskipped %d", CKPT_TAG, nrec, (unsigned long long)idhash, pl->n);
  for (int g = 0; g < pl->n; g++) fprintf(fp, " %lld", (long long)pl->skipped[g]);
  fputc('\n', fp);
  for (int s = 0; s < nhs; s++)
    if (plm_headstat_Write(hs[s], fp, eb) != PLM_OK) plm_cli_Die(TOOL, "%s: %s", tmp, eb);
  if (fclose(fp) != 0) plm_cli_Die(TOOL, "%s: write failed", tmp);
  if (plm_resume_Replace(tmp, path, eb) != PLM_OK) plm_cli_Die(TOOL, "%s", eb);
}

/* a checkpoint made with these options and plugins: its states into hs[0..nhs), the records
 * it consumed and their ids' hash; 0 when there is none (the run starts from the beginning) */
static int
checkpoint_Read(const char *path, const opts *o, plugins *pl, char **names, int *pair, plm_headstat **hs, int nhs,
                long long *ret_nrec, uint64_t *ret_hash)
{
  char               eb[PLM_ERRBUFSIZE], tag[64];
  FILE              *fp = fopen(path, "r");
  unsigned long long h;
  int                version, ng;

  if (!fp) {
    if (errno != ENOENT) plm_cli_Die(TOOL, "--resume: %s: %s", path, strerror(errno));
    fprintf(stderr, "%s: --resume: no %s: starting from the first record\n", TOOL, path);
    return 0;
  }
  if (fscanf(fp, "%63s %d records %lld ids %llx skipped %d", tag, &version, ret_nrec, &h, &ng) != 5 ||
      strcmp(tag, CKPT_TAG) || version != 1 || *ret_nrec < 0 || ng != pl->n)
    plm_cli_Die(TOOL, "--resume: %s: not a checkpoint of this headstat run (%d plugins)", path, pl->n);
  for (int g = 0; g < pl->n; g++) {
    long long k;
    if (fscanf(fp, " %lld", &k) != 1) plm_cli_Die(TOOL, "--resume: %s: bad skipped counts", path);
    pl->skipped[g] = k;
  }
  for (int s = 0; s < nhs; s++) {
    if (plm_headstat_ReadFILE(fp, path, &hs[s], eb) != PLM_OK) plm_cli_Die(TOOL, "--resume: %s", eb);
    /* the settings the counts were made with must be these */
    int same = hs[s]->nprops == pl->nprops && hs[s]->theta == o->theta &&
               hs[s]->null_model == (s == 1 || o->null_model) && (!hs[s]->null_model || hs[s]->seed == o->seed);
    for (int k = 0; same && k < pl->nprops; k++) same = !strcmp(hs[s]->names[k], names[k]) && hs[s]->pair[k] == pair[k];
    if (!same) plm_cli_Die(TOOL, "--resume: %s was made with other properties, --theta, --null, --with-null or --seed", path);
  }
  if (fscanf(fp, " %63s", tag) == 1) plm_cli_Die(TOOL, "--resume: %s: more states than this run has (--with-null?)", path);
  fclose(fp);
  *ret_hash = (uint64_t)h;
  fprintf(stderr, "%s: resuming from %s: %lld records counted\n", TOOL, path, *ret_nrec);
  return 1;
}

/* the stream -> a state, and with --with-null the null model's state from the same pass in
 * *ret_null; with -o, checkpoints on the way (and --resume starts from one); dies on any error
 * (only main's helpers call it) */
static plm_headstat *
accumulate(const opts *o, plugins *pl, char **names, int *pair, const char *ckpt, plm_headstat **ret_null)
{
  char              eb[PLM_ERRBUFSIZE];
  const char       *in = o->nfiles ? o->files[0] : "-";
  plm_streamreader *r = NULL;
  plm_record       *rec;
  plm_headstat     *hs[2] = { NULL, NULL };
  plm_tensor       *a, *f32 = NULL;
  int               nhs = o->with_null ? 2 : 1;
  int               status, lead = 0, L = 0;
  long long         total = plm_progress_FileSize(in), nrec = 0, nres = 0, nskip = 0;
  uint64_t          idhash = PLM_RNG_HASH0, want = 0;
  double            last = plm_progress_Now();
  plm_progress     *prog;

  if (o->resume) checkpoint_Read(ckpt, o, pl, names, pair, hs, nhs, &nskip, &want);
  if (plm_stream_OpenRead(in, &r, eb) != PLM_OK) plm_cli_Die(TOOL, "%s", eb);
  plm_stream_SetMaxMemory(r, o->max_memory);
  prog = plm_progress_Create(TOOL, o->progress, total);
  while ((status = plm_stream_Read(r, &rec, eb)) == PLM_OK) {
    plm_progress_Update(prog, nrec++, nres, total ? plm_stream_Tell(r) : -1);
    nres  += (long long)strlen(rec->seq);
    idhash = id_hash(idhash, rec->id);
    if (nrec <= nskip) {                     /* counted before the cut */
      if (nrec == nskip && idhash != want)
        plm_cli_Die(TOOL, "--resume: %s: the first %lld records are not those %s counted: not the same input", plm_cli_InputName(in), nskip, ckpt);
      plm_record_Destroy(rec);
      continue;
    }
    if ((a = plm_record_GetTensor(rec, o->tensor)) == NULL) plm_cli_Die(TOOL, "record %s: no tensor '%s' (run attn --attentions)", rec->id, o->tensor);
    if (a->rank != 4 || a->shape[2] != a->shape[3] || (a->dtype != PLM_F32 && a->dtype != PLM_F16))
      plm_cli_Die(TOOL, "record %s: '%s' is not f32/f16 [layers, heads, T, T]", rec->id, o->tensor);
    if (create_state(&hs[0], o, o->null_model, pl, names, pair, rec, a, eb) != PLM_OK ||
        (nhs == 2 && create_state(&hs[1], o, 1, pl, names, pair, rec, a, eb) != PLM_OK))
      plm_cli_Die(TOOL, "%s", eb);
    if (a->dtype == PLM_F16) {
      if (plm_tensor_ToF32(a, o->tensor, &f32, eb) != PLM_OK) plm_cli_Die(TOOL, "record %s: %s", rec->id, eb);
      a = f32;
    }
    if (plm_annot_ResidueSpan(rec, o->special, (int)a->shape[2], &lead, &L, eb) != PLM_OK ||
        add_record(hs, nhs, pl, rec, a, lead, L, eb) != PLM_OK)
      plm_cli_Die(TOOL, "%s", eb);
    plm_tensor_Destroy(f32);
    f32 = NULL;
    plm_record_Destroy(rec);
    if (ckpt && plm_progress_Now() - last >= o->checkpoint) {
      checkpoint_Write(ckpt, nrec, idhash, pl, hs, nhs);
      last = plm_progress_Now();
    }
  }
  plm_progress_Update(prog, nrec, nres, total ? total : -1);
  plm_progress_Finish(prog);
  if (status != PLM_EOF) plm_cli_Die(TOOL, "%s", eb);
  if (nrec < nskip) plm_cli_Die(TOOL, "--resume: %s counted %lld records, the input holds %lld: not the same input", ckpt, nskip, nrec);
  plm_stream_CloseRead(r);
  if (!hs[0]) plm_cli_Die(TOOL, "no records in the input");
  *ret_null = hs[1];
  return hs[0];
}

static plm_headstat *
merge_partials(const opts *o)
{
  char          eb[PLM_ERRBUFSIZE];
  plm_headstat *hs = NULL, *more;

  if (plm_headstat_Read(o->files[0], &hs, eb) != PLM_OK) plm_cli_Die(TOOL, "%s", eb);
  for (int i = 1; i < o->nfiles; i++) {
    if (plm_headstat_Read(o->files[i], &more, eb) != PLM_OK || plm_headstat_Merge(hs, more, eb) != PLM_OK)
      plm_cli_Die(TOOL, "%s: %s", o->files[i], eb);
    plm_headstat_Destroy(more);
  }
  return hs;
}

static void
print_num(FILE *fp, double x, const char *fmt)
{
  if (isnan(x)) fputs("\tNA", fp); else { fputc('\t', fp); fprintf(fp, fmt, x); }
}

static void
print_heads(FILE *fp, const plm_headstat *hs, int k, const plm_headstat_row *rows)
{
  for (int x = 0; x < hs->nlayers * hs->nheads; x++) {
    const plm_headstat_row *r = &rows[x];
    fprintf(fp, "%s\t%d\t%d\t%lld", hs->names[k], hs->layer_id[x / hs->nheads], hs->head_id[x % hs->nheads], (long long)r->n_arcs);
    print_num(fp, r->prop_highconf, "%.6f"); print_num(fp, r->prop_weighted, "%.6f"); print_num(fp, r->background, "%.6f");
    print_num(fp, r->z, "%.4f"); print_num(fp, r->p_bonferroni, "%.4g"); print_num(fp, r->ci_lo, "%.6f"); print_num(fp, r->ci_hi, "%.6f");
    fprintf(fp, "\t%s\n", !r->scored ? "few_arcs" : r->significant ? "yes" : "no");
  }
}

/* heads ranked by prop_highconf among the scored ones */
static const plm_headstat_row *sort_rows;
static int
cmp_head(const void *a, const void *b)
{
  double x = sort_rows[*(const int *)a].prop_highconf, y = sort_rows[*(const int *)b].prop_highconf;
  return x < y ? 1 : x > y ? -1 : *(const int *)a - *(const int *)b;
}

static void
print_summary(FILE *fp, const plm_headstat *hs, int k, const plm_headstat_row *rows, int m, const opts *o, int *order, double *lmean)
{
  int    nh = hs->nlayers * hs->nheads, n = 0, nsig = 0, x;
  double center;

  for (x = 0; x < nh; x++) { if (rows[x].scored) order[n++] = x; nsig += rows[x].significant; }
  fprintf(fp, "# property\t%s\tannotated\t%lld\tskipped\t%lld\tbackground\t%.6f\tscored_heads\t%d\tsignificant\t%d\n", hs->names[k],
         (long long)hs->nannotated[k], (long long)hs->nskipped[k], rows[0].background, m, nsig);
  sort_rows = rows;
  qsort(order, (size_t)n, sizeof *order, cmp_head);
  for (x = 0; x < n && x < o->top; x++)
    fprintf(fp, "# top\t%s\t%d\t%d:%d\t%.6f\t%.6f\t%.6f\n", hs->names[k], x + 1, hs->layer_id[order[x] / hs->nheads], hs->head_id[order[x] % hs->nheads],
           rows[order[x]].prop_highconf, rows[order[x]].ci_lo, rows[order[x]].ci_hi);
  plm_headstat_Layers(hs, k, lmean, &center);
  for (x = 0; x < hs->nlayers; x++) fprintf(fp, "# layer\t%s\t%d\t%.6f\n", hs->names[k], hs->layer_id[x], lmean[x]);
  fprintf(fp, "# center_of_gravity\t%s\t%.4f\n", hs->names[k], center);
}

/* the aa plugin's properties, named aa:X */
static int
aa_props(const plm_headstat *hs, int *prop, char *aa)
{
  int n = 0;
  for (int k = 0; k < hs->nprops && n < 26; k++)
    if (strncmp(hs->names[k], "aa:", 3) == 0 && hs->names[k][3] && !hs->names[k][4]) { prop[n] = k; aa[n++] = hs->names[k][3]; }
  return n;
}

static void
report(FILE *fp, const plm_headstat *hs, const opts *o)
{
  int               nh = hs->nlayers * hs->nheads, prop[26], naa, nheads;
  plm_headstat_row *rows = malloc((size_t)nh * sizeof *rows);
  int              *order = malloc((size_t)nh * sizeof *order);
  double           *lmean = malloc((size_t)hs->nlayers * sizeof *lmean), corr[26 * 26];
  char              aa[26], eb[PLM_ERRBUFSIZE];

  if (!rows || !order || !lmean) plm_cli_Die(TOOL, "out of memory");
  fputs("property\tlayer\thead\tn_arcs\tprop_highconf\tprop_weighted\tbackground\tz\tp_bonferroni\tci_lo\tci_hi\tsignificant\n", fp);
  for (int k = 0; k < hs->nprops; k++) {
    plm_headstat_Report(hs, k, o->min_arcs, o->alpha, rows);
    print_heads(fp, hs, k, rows);
  }
  fprintf(fp, "# records\t%lld\ttheta\t%g\tmin_arcs\t%lld\talpha\t%g\tnull_model\t%s\n", (long long)hs->nrecords, hs->theta,
         (long long)o->min_arcs, o->alpha, hs->null_model ? "yes" : "no");
  for (int k = 0; k < hs->nprops; k++) {
    int m = plm_headstat_Report(hs, k, o->min_arcs, o->alpha, rows);
    print_summary(fp, hs, k, rows, m, o, order, lmean);
  }
  if ((naa = aa_props(hs, prop, aa)) >= 3) {
    if (plm_headstat_AaCorr(hs, prop, naa, corr, &nheads, eb) != PLM_OK) plm_cli_Die(TOOL, "%s", eb);
    fprintf(fp, "# blosum62_pearson\t%.4f\theads\t%d\tamino_acids\t%d\n", plm_headstat_Blosum(corr, aa, naa), nheads, naa);
  }
  free(rows);
  free(order);
  free(lmean);
}

/* ---------------------------------------------------------------- figures */

/* DIR/STEM.svg and DIR/STEM.png, ':' in STEM made '_' */
static int
write_figure(const plm_fig *fig, const char *dir, const char *stem, char *errbuf)
{
  char path[4096];
  int  n = snprintf(path, sizeof path, "%s/%s.svg", dir, stem), status;

  if (n < 0 || (size_t)n >= sizeof path) return plm_Fail(errbuf, PLM_EINVAL, "%s: path too long", dir);
  for (char *c = path + strlen(dir) + 1; *c; c++) if (*c == ':' || *c == '/') *c = '_';
  if ((status = plm_fig_WriteSVG(fig, path, errbuf)) != PLM_OK) return status;
  strcpy(path + n - 3, "png");
  return plm_fig_WritePNG(fig, path, errbuf);
}

/* the numbers ids[0..n) as strings, in one block the caller frees */
static char **
id_labels(const int *ids, int n)
{
  char **lab = malloc((size_t)n * (sizeof *lab + 12));
  if (!lab) plm_cli_Die(TOOL, "out of memory");
  for (int i = 0; i < n; i++) {
    lab[i] = (char *)(lab + n) + 12 * (size_t)i;
    snprintf(lab[i], 12, "%d", ids[i]);
  }
  return lab;
}

/* Vig Fig. 2/3: prop_highconf per head (grey: few arcs; a dot: significant),
 * beside it each layer's maximum over heads with the background as a line; the legend
 * says what grey and the dots mean, the title whether the null model made the numbers */
static int
fig_heads(const plm_headstat *hs, int k, const plm_headstat_row *rows, const opts *o, const char *dir, double scale,
          char *errbuf)
{
  int      nl = hs->nlayers, nh = hs->nheads, big = nl > nh ? nl : nh;
  double   cell = fmin(28.0, fmax(4.0, floor(480.0 / big))), x0 = 60.0, y0 = 64.0, vmax = 0.0, ly;
  double  *v = malloc((size_t)nl * nh * sizeof *v), *lmax = malloc((size_t)nl * sizeof *lmax);
  char   **ll = id_labels(hs->layer_id, nl), **hl = id_labels(hs->head_id, nh), title[256], stem[300];
  plm_fig *fig = NULL;
  int      status;

  if (!v || !lmax) PLM_XFAIL(PLM_EMEM, errbuf, "out of memory");
  for (int l = 0; l < nl; l++) {
    lmax[l] = NAN;
    for (int h = 0; h < nh; h++) {
      const plm_headstat_row *r = &rows[l * nh + h];
      v[l * nh + h] = r->scored ? r->prop_highconf : NAN;
      if (r->scored && !(lmax[l] >= r->prop_highconf)) lmax[l] = r->prop_highconf;
      if (r->scored) vmax = fmax(vmax, r->prop_highconf);
    }
  }
  snprintf(title, sizeof title, "%s%s: share of attention > %g on the property (background %.3f)",
           hs->null_model ? "NULL MODEL (permuted attention): " : "", hs->names[k], hs->theta, rows[0].background);
  /* wide enough for the title (about 8 px a character at 13 px) and the legend */
  PLM_XCHECK(plm_fig_Create(fmax(x0 + nh * cell + 240, fmax(360.0, 20.0 + 8.0 * strlen(title))), y0 + nl * cell + 90, &fig, errbuf));
  plm_fig_Text(fig, 10, 18, 's', 13, title);
  plm_fig_Text(fig, x0 + nh * cell / 2, y0 - 22, 'm', 11, "head");
  plm_fig_Text(fig, x0 - 4, y0 - 22, 'e', 11, "layer");
  plm_fig_Text(fig, x0 + nh * cell + 20, y0 - 8, 's', 11, "layer max");
  if (scale > 0.0) vmax = scale;   /* shared with the figure this one is compared with */
  plm_fig_Grid(fig, x0, y0, cell, v, nl, nh, (const char *const *)ll, (const char *const *)hl, 0.0, vmax > 0.0 ? vmax : 1.0, 0);
  for (int x = 0; x < nl * nh; x++)
    if (rows[x].significant)
      plm_fig_Rect(fig, x0 + (x % nh + 0.375) * cell, y0 + (x / nh + 0.375) * cell, cell / 4, cell / 4, (const uint8_t[3]){ 230, 120, 0 });
  plm_fig_Bars(fig, x0 + nh * cell + 20, y0, cell, 150, lmax, nl, vmax, rows[0].background);
  plm_fig_ColorBar(fig, x0, y0 + nl * cell + 12, fmin(200.0, fmax(80.0, nh * cell)), 0.0, vmax > 0.0 ? vmax : 1.0, 0);
  ly = y0 + nl * cell + 52;
  plm_fig_Rect(fig, x0, ly - 8, 10, 10, (const uint8_t[3]){ 200, 200, 200 });
  snprintf(title, sizeof title, "not scored: fewer than %lld arcs > %g", (long long)o->min_arcs, hs->theta);
  plm_fig_Text(fig, x0 + 14, ly, 's', 10, title);
  plm_fig_Rect(fig, x0 + 2.5, ly + 16 - 5.5, 5, 5, (const uint8_t[3]){ 230, 120, 0 });
  snprintf(title, sizeof title, "dot: significant, p < %g (Bonferroni over heads)", o->alpha);
  plm_fig_Text(fig, x0 + 14, ly + 16, 's', 10, title);
  snprintf(stem, sizeof stem, "heads-%s", hs->names[k]);
  status = write_figure(fig, dir, stem, errbuf);
 ERROR:
  plm_fig_Destroy(fig);
  free(v); free(lmax); free(ll); free(hl);
  return status;
}

/* Vig Fig. 4: each property's mean prop_weighted per layer (the aa:X
 * properties only when there is nothing else), center of gravity in the legend */
static int
fig_layers(const plm_headstat *hs, const char *dir, char *errbuf)
{
  unsigned nl = (unsigned)hs->nlayers;
  int      ns = 0, nonaa = 0, status;
  double  *xs = calloc(nl, sizeof *xs), *y = calloc((size_t)nl * (unsigned)hs->nprops, sizeof *y), cog, w = fmax(300.0, 24.0 * nl);
  char   **names = calloc((unsigned)hs->nprops, sizeof *names);
  plm_fig *fig = NULL;

  if (!xs || !y || !names) PLM_XFAIL(PLM_EMEM, errbuf, "out of memory");
  for (int k = 0; k < hs->nprops; k++) nonaa += strncmp(hs->names[k], "aa:", 3) != 0;
  for (unsigned l = 0; l < nl; l++) xs[l] = hs->layer_id[l];
  for (int k = 0; k < hs->nprops; k++) {
    if (nonaa && !strncmp(hs->names[k], "aa:", 3)) continue;
    plm_headstat_Layers(hs, k, y + (size_t)ns * nl, &cog);
    if ((names[ns] = malloc(strlen(hs->names[k]) + 32)) == NULL) PLM_XFAIL(PLM_EMEM, errbuf, "out of memory");
    sprintf(names[ns++], "%s (center %.2f)", hs->names[k], cog);
  }
  PLM_XCHECK(plm_fig_Create(70 + w + 240, fmax(40 + 220 + 50, 40 + 14.0 * ns + 10), &fig, errbuf));
  plm_fig_Lines(fig, 70, 40, w, 220, xs, (int)nl, y, ns, (const char *const *)names,
                &(plm_fig_axis){ hs->null_model ? "NULL MODEL (permuted attention) - attention to each property by layer"
                                                : "attention to each property by layer (mean prop_weighted over heads)", "layer", NULL });
  status = write_figure(fig, dir, "layers", errbuf);
 ERROR:
  plm_fig_Destroy(fig);
  for (int k = 0; names && k < ns; k++) free(names[k]);
  free(names); free(xs); free(y);
  return status;
}

/* Vig Fig. 7: the amino acids' attention correlation beside BLOSUM62 (diagonals grey) */
static int
fig_aa(const double *corr, const char *aa, int naa, int nheads, const char *dir, char *errbuf)
{
  double   c[26 * 26], b[26 * 26], bmax = 0.0, cell = 16.0, side = naa * cell, x1 = 60 + side + 60;
  char     lab[26][2], *labp[26], title[128];
  plm_fig *fig = NULL;
  int      status;

  for (int i = 0; i < naa; i++) {
    lab[i][0] = aa[i]; lab[i][1] = '\0'; labp[i] = lab[i];
    for (int j = 0; j < naa; j++) {
      c[i * naa + j] = i == j ? NAN : corr[i * naa + j];
      b[i * naa + j] = i == j ? NAN : plm_align_Blosum62(aa[i], aa[j]);
      if (i != j) bmax = fmax(bmax, fabs(b[i * naa + j]));
    }
  }
  PLM_XCHECK(plm_fig_Create(x1 + side + 30, 60 + side + 50, &fig, errbuf));
  snprintf(title, sizeof title, "attention correlation between amino acids (%d heads); Pearson with BLOSUM62 %.3f",
           nheads, plm_headstat_Blosum(corr, aa, naa));
  plm_fig_Text(fig, 10, 18, 's', 13, title);
  plm_fig_Text(fig, 60 + side / 2, 40, 'm', 11, "attention correlation");
  plm_fig_Text(fig, x1 + side / 2, 40, 'm', 11, "BLOSUM62");
  plm_fig_Grid(fig, 60, 60, cell, c, naa, naa, (const char *const *)labp, (const char *const *)labp, -1.0, 1.0, 1);
  plm_fig_Grid(fig, x1, 60, cell, b, naa, naa, (const char *const *)labp, (const char *const *)labp, -bmax, bmax, 1);
  plm_fig_ColorBar(fig, 60, 70 + side, side, -1.0, 1.0, 1);
  plm_fig_ColorBar(fig, x1, 70 + side, side, -bmax, bmax, 1);
  status = write_figure(fig, dir, "aa-blosum62", errbuf);
 ERROR:
  plm_fig_Destroy(fig);
  return status;
}

/* the largest scored prop_highconf of property k, 0 if none */
static double
heads_max(const plm_headstat_row *rows, int n)
{
  double m = 0.0;
  for (int x = 0; x < n; x++) if (rows[x].scored) m = fmax(m, rows[x].prop_highconf);
  return m;
}

/* every figure of one state into dir; each heatmap on the colour scale 0..scale[k] (0: its own) */
static void
figures_of(const plm_headstat *hs, const opts *o, const char *dir, const double *scale)
{
  char              eb[PLM_ERRBUFSIZE], aa[26];
  int               prop[26], naa, nheads;
  double            corr[26 * 26];
  plm_headstat_row *rows = malloc((size_t)hs->nlayers * hs->nheads * sizeof *rows);

  if (!rows) plm_cli_Die(TOOL, "out of memory");
  if (mkdir(dir, 0777) != 0 && errno != EEXIST) plm_cli_Die(TOOL, "%s: %s", dir, strerror(errno));
  for (int k = 0; k < hs->nprops; k++) {
    plm_headstat_Report(hs, k, o->min_arcs, o->alpha, rows);
    if (fig_heads(hs, k, rows, o, dir, scale ? scale[k] : 0.0, eb) != PLM_OK) plm_cli_Die(TOOL, "%s", eb);
  }
  if (fig_layers(hs, dir, eb) != PLM_OK) plm_cli_Die(TOOL, "%s", eb);
  if ((naa = aa_props(hs, prop, aa)) >= 3 &&
      (plm_headstat_AaCorr(hs, prop, naa, corr, &nheads, eb) != PLM_OK || fig_aa(corr, aa, naa, nheads, dir, eb) != PLM_OK))
    plm_cli_Die(TOOL, "%s", eb);
  free(rows);
}

/* the figures, and with the null model's state its figures in DIR/null, each heatmap on one
 * colour scale with its real counterpart so the two compare at a glance */
static void
figures(const plm_headstat *hs, const plm_headstat *null, const opts *o)
{
  int               nh = hs->nlayers * hs->nheads;
  double           *scale = NULL;
  plm_headstat_row *rows = NULL;
  char              dir[4096];

  if (null) {
    if (!(scale = calloc((size_t)hs->nprops, sizeof *scale)) || !(rows = malloc((size_t)nh * sizeof *rows)))
      plm_cli_Die(TOOL, "out of memory");
    for (int k = 0; k < hs->nprops; k++) {
      plm_headstat_Report(hs, k, o->min_arcs, o->alpha, rows);   scale[k] = heads_max(rows, nh);
      plm_headstat_Report(null, k, o->min_arcs, o->alpha, rows); scale[k] = fmax(scale[k], heads_max(rows, nh));
    }
  }
  figures_of(hs, o, o->figures, scale);
  if (null) {
    snprintf(dir, sizeof dir, "%s/null", o->figures);
    figures_of(null, o, dir, scale);
  }
  free(scale);
  free(rows);
}

static void
list_plugins(const opts *o)
{
  char        eb[PLM_ERRBUFSIZE], **names;
  int         n;
  plm_plugin *p;

  if (plm_plugin_List(o->dirs, o->ndirs, &names, &n, eb) != PLM_OK) plm_cli_Die(TOOL, "%s", eb);
  for (int i = 0; i < n; i++) {
    if (plm_plugin_Load(names[i], o->dirs, o->ndirs, &p, eb) == PLM_OK) {
      printf("%s\t%s\t%s\n", names[i], p->kind == PLM_PLUGIN_PAIR ? "pair" : "token", p->description);
      plm_plugin_Unload(p);
    } else printf("%s\t-\tnot loadable: %s\n", names[i], eb);
    free(names[i]);
  }
  free(names);
}

int
main(int argc, char **argv)
{
  char          eb[PLM_ERRBUFSIZE], **names = NULL;
  int          *pair = NULL;
  opts          o;
  plugins       pl;
  plm_headstat *hs, *null = NULL;
  FILE         *fp;
  char          ckpt[4200] = "", tmp[4200] = "";

  plm_cli_Init();
  parse_options(argc, argv, &o);
  if (o.list) { list_plugins(&o); return 0; }
  if (o.merge) hs = merge_partials(&o);
  else {
    if (load_plugins(&o, &pl, &names, &pair, eb) != PLM_OK) plm_cli_Die(TOOL, "%s", eb);
    if (o.output) snprintf(ckpt, sizeof ckpt, "%s.checkpoint", o.output);
    hs = accumulate(&o, &pl, names, pair, ckpt[0] ? ckpt : NULL, &null);
    for (int g = 0; g < pl.n; g++) {
      if (pl.skipped[g]) fprintf(stderr, "%s: %lld record(s) without a %s annotation skipped for it\n", TOOL, (long long)pl.skipped[g], pl.p[g]->name);
      plm_plugin_Unload(pl.p[g]);
    }
    for (int k = 0; k < pl.nprops; k++) free(names[k]);
    free(names);
    free(pair);
  }
  if (o.partial) {
    if ((fp = fopen(o.partial, "w")) == NULL) plm_cli_Die(TOOL, "cannot write %s", o.partial);
    if (plm_headstat_Write(hs, fp, eb) != PLM_OK) plm_cli_Die(TOOL, "%s: %s", o.partial, eb);
    if (fclose(fp) != 0) plm_cli_Die(TOOL, "%s: write failed", o.partial);
  }
  if (!o.output) report(stdout, hs, &o);
  else {                                   /* whole or not at all: a cut run leaves no report */
    snprintf(tmp, sizeof tmp, "%s.tmp", o.output);
    if ((fp = fopen(tmp, "w")) == NULL) plm_cli_Die(TOOL, "cannot write %s", tmp);
    report(fp, hs, &o);
    if (fclose(fp) != 0) plm_cli_Die(TOOL, "%s: write failed", tmp);
    if (plm_resume_Replace(tmp, o.output, eb) != PLM_OK) plm_cli_Die(TOOL, "%s", eb);
  }
  if (null) {
    if ((fp = fopen(o.with_null, "w")) == NULL) plm_cli_Die(TOOL, "cannot write %s", o.with_null);
    report(fp, null, &o);
    if (fclose(fp) != 0) plm_cli_Die(TOOL, "%s: write failed", o.with_null);
  }
  if (o.figures) figures(hs, null, &o);
  plm_headstat_Destroy(hs);
  plm_headstat_Destroy(null);
  if (ckpt[0]) unlink(ckpt);              /* last: until everything is written, a resume redoes it */
  return fflush(stdout) == 0 ? 0 : 1;
}
