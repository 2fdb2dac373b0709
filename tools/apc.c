/* apc.c: turn attention maps into contact features: symmetrize + APC per head.
 *
 *   attn -m M.pt --attentions | apc | lrfit predict -w head.yaml > contacts.tsr
 *   ... | apc --top-heads heads.txt --top-k 5 > contacts.tsr
 *
 * Each record's 'attentions' (f32 or f16 [layers, heads, T, T]) loses its
 * special-token rows and columns as fair-esm's contact head does (for ESM,
 * inline <eos> zeroed, then EOS, then BOS cut; BERT's cls,sep and XLNet's
 * sep,cls likewise; the layout from 'special_tokens' metadata, else inferred
 * from T), and every map becomes
 * APC(A + A^T) (libcore/backend/apc.h). Default output: 'apc' f32 [C, L, L],
 * C = layers x heads, layer-major, with metadata layers/heads for lrfit.
 * Averaging mode (--average / --top-heads): 'contacts' f32 [L, L], the mean
 * of the chosen heads' maps. man/man1/apc.1 is the contract.
 *
 *   layout_Resolve()    which token rows are residues
 *   residue_map()       one head's residue block, inline EOS zeroed (inline_eos())
 *   plmc_apc()          the off-diagonal APC of plmc/CCMpred (--plmc-apc)
 *   head_map()          one head's feature map; average_maps() for --average
 *   headlist_*          parse "L:H,..." lists and heads files; numlist_Index()
 *                       finds a head among attn's attention_layers/heads
 *   process(), run(), parse_args(), main()
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "alphabet.h"
#include "apc.h"
#include "cli.h"
#include "error.h"
#include "membudget.h"
#include "record.h"
#include "stream.h"
#include "tensor.h"
#include "vocab.h"

#define TOOL      "apc"
#define MAXPICK   4096

typedef struct { int layer, head; } lh;   /* 1-based model layer and head */

typedef struct opts {
  const char *input, *output, *special;
  int         keep, plmc, zlevel, topk, npick;
  const char *outfile;       /* -o FILE; NULL: stdout */
  lh          pick[MAXPICK];               /* averaging mode when npick > 0 */
  char      **files;
  int         nfiles;
  size_t      max_memory;   /* --max-memory, bytes (0: membudget.h's default) */
} opts;

/* ------------------------------------------------------------ token layout */

/* first residue row, residue count L, and whether the tokens are ESM's (whose inline <eos>
 * fair-esm zeroes) of a T-token axis: 'special_tokens' metadata ("bos,eos", "cls,sep",
 * "sep,cls", ... as vocab.h reads them; --special overrides), else inferred from T and the
 * sequence's token count. A layout leaving more residue rows than the sequence has residues is
 * wrong; fewer is a truncated protein (attn --long truncate). */
static int
layout_Resolve(const plm_record *rec, const char *special, int64_t T, int64_t *ret_off, int64_t *ret_L, int *ret_esm,
               char *errbuf)
{
  const char *s = special ? special : plm_record_GetMeta(rec, "special_tokens");
  int64_t     n = plm_esm_ResidueCount(rec->seq);
  int         lead, trail;
  char        why[PLM_ERRBUFSIZE];

  if (!s) {
    if      (n >= 0 && T == n + 2) s = "bos,eos";
    else if (n >= 0 && T == n)     s = "none";
    else return plm_Fail(errbuf, PLM_EFORMAT, "record \"%s\": %lld tokens for %lld residues and no special_tokens metadata",
                         rec->id, (long long)T, (long long)n);
  }
  if (plm_vocab_SpecialSpan(s, &lead, &trail, why) != PLM_OK)
    return plm_Fail(errbuf, PLM_EINVAL, "record \"%s\": special_tokens: %s", rec->id, why);
  *ret_off = lead;
  *ret_L   = T - lead - trail;
  *ret_esm = !strstr(s, "cls") && !strstr(s, "sep");
  if (*ret_L < 1) return plm_Fail(errbuf, PLM_EFORMAT, "record \"%s\": no residues among %lld tokens", rec->id, (long long)T);
  if (n >= 0 && *ret_L > n)
    return plm_Fail(errbuf, PLM_EFORMAT, "record \"%s\": special_tokens '%s' leaves %lld of %lld tokens as residues, but the sequence has %lld",
                    rec->id, s, (long long)*ret_L, (long long)T, (long long)n);
  return PLM_OK;
}

/* dst (L x L) = the residue block of one T x T map, rows and columns of
 * inline EOS tokens zeroed: fair-esm multiplies by its eos mask before cutting */
static void
residue_map(const plm_tensor *att, size_t m, int64_t T, int64_t off, int64_t L, const uint8_t *eos, float *dst)
{
  for (int64_t i = 0; i < L; i++)
    for (int64_t j = 0; j < L; j++) {
      size_t k = m * (size_t)(T * T) + (size_t)((i + off) * T + j + off);
      float  v = att->dtype == PLM_F16 ? plm_f16_to_f32(((const uint16_t *)att->data)[k]) : ((const float *)att->data)[k];
      dst[i * L + j] = eos && (eos[i] || eos[j]) ? 0.0f : v;
    }
}

/* 1 where the residue row is an <eos> token, from the record's 'tokens'; NULL when none are */
static int
inline_eos(const plm_record *rec, int64_t T, int64_t off, int64_t L, uint8_t **ret_eos, char *errbuf)
{
  const plm_tensor *tok = plm_record_GetTensor(rec, "tokens");
  uint8_t          *eos = NULL;
  int               any = 0;

  *ret_eos = NULL;
  if (!tok || tok->dtype != PLM_I32 || tok->rank != 1 || tok->shape[0] != T) return PLM_OK;
  if (!(eos = calloc((size_t)L, 1))) return plm_Fail(errbuf, PLM_EMEM, "out of memory");
  for (int64_t i = 0; i < L; i++) any |= eos[i] = ((const int32_t *)tok->data)[i + off] == PLM_ESM_EOS;
  if (any) *ret_eos = eos;
  else     free(eos);
  return PLM_OK;
}

/* plmc's and CCMpred's APC: S = A + A^T, means over the off-diagonal cells only,
 * F = S - mean_i mean_j / mean, diagonal 0; r is scratch of L */
static void
plmc_apc(const float *a, int64_t L, double *r, float *out)
{
  double tot = 0;
  for (int64_t i = 0; i < L; i++) {
    r[i] = 0;
    for (int64_t j = 0; j < L; j++) if (i != j) r[i] += a[i * L + j] + a[j * L + i];
    tot += r[i];
  }
  for (int64_t i = 0; i < L; i++) r[i] = L > 1 ? r[i] / (double)(L - 1) : 0;
  tot = L > 1 ? tot / ((double)L * (double)(L - 1)) : 0;
  for (int64_t i = 0; i < L; i++)
    for (int64_t j = 0; j < L; j++)
      out[i * L + j] = i == j ? 0.0f : (float)(a[i * L + j] + a[j * L + i] - (tot != 0 ? r[i] * r[j] / tot : 0));
}

/* ------------------------------------------------------------- head lists */

/* "1,3-5" or "all" (attn's attention_layers/heads metadata) -> the n kept
 * 1-based numbers in order; NULL list: 1..n */
static int
numlist_Index(const char *list, int n, int want, int *ret_idx)
{
  int idx = 0;
  if (!list || !strcmp(list, "all")) { *ret_idx = want - 1; return want >= 1 && want <= n ? PLM_OK : PLM_ENOTFOUND; }
  for (const char *s = list; *s; ) {
    char *end;
    long  lo = strtol(s, &end, 10), hi = lo;
    if (*end == '-') hi = strtol(end + 1, &end, 10);
    for (long v = lo; v <= hi; v++, idx++) if (v == want && idx < n) { *ret_idx = idx; return PLM_OK; }
    if (*end != ',') break;
    s = end + 1;
  }
  return PLM_ENOTFOUND;
}

/* append the "L:H" pairs of text (separated by commas, blanks or newlines;
 * '#' starts a comment; a line's further columns, e.g. a score, are skipped) */
static int
headlist_Parse(const char *text, const char *what, opts *o, char *errbuf)
{
  const char *s = text;
  while (*s) {
    int  layer, head, used = 0;
    if (strchr(" \t\r\n,", *s)) { s++; continue; }
    if (*s == '#') { s += strcspn(s, "\n"); continue; }
    if (sscanf(s, "%d:%d%n", &layer, &head, &used) != 2 || layer < 1 || head < 1)
      return plm_Fail(errbuf, PLM_EINVAL, "%s: '%.20s' is not LAYER:HEAD (1-based)", what, s);
    if (o->npick == MAXPICK) return plm_Fail(errbuf, PLM_ELIMIT, "%s: more than %d heads", what, MAXPICK);
    o->pick[o->npick++] = (lh){ layer, head };
    s += used;
    if (*s && !strchr(" \t\r\n,", *s)) return plm_Fail(errbuf, PLM_EINVAL, "%s: junk after %d:%d", what, layer, head);
    if (*s == ' ' || *s == '\t') s += strcspn(s, "\n");   /* the rest of a ranked line */
  }
  return o->npick ? PLM_OK : plm_Fail(errbuf, PLM_EINVAL, "%s: no heads", what);
}

static int
headlist_ReadFile(const char *path, opts *o, char *errbuf)
{
  FILE  *fp = fopen(path, "r");
  char  *text = NULL;
  size_t n = 0;
  long   sz;
  int    status;

  if (!fp) return plm_Fail(errbuf, PLM_EIO, "--top-heads %s: cannot open", path);
  if (fseek(fp, 0, SEEK_END) != 0 || (sz = ftell(fp)) < 0 || sz > (1 << 24) || fseek(fp, 0, SEEK_SET) != 0)
    PLM_XFAIL(PLM_EIO, errbuf, "--top-heads %s: cannot read (or over 16 MiB)", path);
  if (!(text = malloc((size_t)sz + 1))) PLM_XFAIL(PLM_EMEM, errbuf, "out of memory");
  n = fread(text, 1, (size_t)sz, fp);
  text[n] = '\0';
  PLM_XCHECK(headlist_Parse(text, path, o, errbuf));
  if (o->topk > 0 && o->topk < o->npick) o->npick = o->topk;
  status = PLM_OK;

ERROR:
  free(text);
  fclose(fp);
  return status;
}

/* --------------------------------------------------------------- records */

/* the feature map of attention map m: APC(sym(residue block)) into out (L x L) */
typedef struct work { float *block; double *r; } work;

static int check_memory(const plm_record *rec, const opts *o, const char *file, long long nrec, char *errbuf);

static int
head_map(const plm_tensor *att, int m, int64_t T, int64_t off, int64_t L, const uint8_t *eos, int plmc,
         work *wk, float *out, char *errbuf)
{
  residue_map(att, (size_t)m, T, off, L, eos, wk->block);
  if (!plmc) return plm_apc_Map(wk->block, (int)L, (int)L, out, (int)L, errbuf);
  plmc_apc(wk->block, L, wk->r, out);
  return PLM_OK;
}

/* the attention-map indices the --average heads name, in this record's tensor */
static int
pick_indices(const plm_record *rec, const opts *o, int nl, int nh, int *idx, char *errbuf)
{
  const char *ll = plm_record_GetMeta(rec, "attention_layers"), *hl = plm_record_GetMeta(rec, "attention_heads");
  for (int k = 0; k < o->npick; k++) {
    int li, hi;
    if (numlist_Index(ll, nl, o->pick[k].layer, &li) != PLM_OK || numlist_Index(hl, nh, o->pick[k].head, &hi) != PLM_OK)
      return plm_Fail(errbuf, PLM_ENOTFOUND, "record \"%s\": head %d:%d is not among its attentions (layers %s, heads %s)",
                      rec->id, o->pick[k].layer, o->pick[k].head, ll ? ll : "all", hl ? hl : "all");
    idx[k] = li * nh + hi;
  }
  return PLM_OK;
}

/* averaging mode: out = the mean of the chosen heads' maps; one map at a time */
static int
average_maps(const plm_tensor *att, const int *idx, int n, int64_t T, int64_t off, int64_t L, const uint8_t *eos,
             int plmc, work *wk, float *map, float *out, char *errbuf)
{
  int status;
  for (int64_t c = 0; c < L * L; c++) out[c] = 0.0f;
  for (int k = 0; k < n; k++) {
    PLM_XCHECK(head_map(att, idx[k], T, off, L, eos, plmc, wk, map, errbuf));
    for (int64_t c = 0; c < L * L; c++) out[c] += map[c] / (float)n;
  }
  return PLM_OK;
ERROR:
  return status;
}

static int
set_int_meta(plm_record *rec, const char *key, int v, char *errbuf)
{
  char num[32];
  snprintf(num, sizeof num, "%d", v);
  return plm_record_SetMeta(rec, key, num, errbuf);
}

static int
process(plm_record *rec, const opts *o, char *errbuf)
{
  plm_tensor *att = plm_record_GetTensor(rec, o->input), *out = NULL;
  work        wk = { NULL, NULL };
  float      *map = NULL;
  uint8_t    *eos = NULL;
  int        *idx = NULL;
  int64_t     T, off = 0, L = 0;
  int         nl, nh, nmaps, esm = 0, status;

  if (!att) PLM_XFAIL(PLM_ENOTFOUND, errbuf, "record \"%s\" has no tensor \"%s\"", rec->id, o->input);
  if (att->rank != 4 || (att->dtype != PLM_F32 && att->dtype != PLM_F16) || att->shape[2] != att->shape[3])
    PLM_XFAIL(PLM_EFORMAT, errbuf, "record \"%s\": \"%s\" must be f32 or f16 [layers, heads, T, T]", rec->id, o->input);
  nl = (int)att->shape[0]; nh = (int)att->shape[1]; T = att->shape[2];
  PLM_XCHECK(layout_Resolve(rec, o->special, T, &off, &L, &esm, errbuf));
  if (esm) PLM_XCHECK(inline_eos(rec, T, off, L, &eos, errbuf));
  nmaps = o->npick ? o->npick : nl * nh;
  if (!(idx = malloc(sizeof(int) * (size_t)nmaps)) || !(wk.block = malloc(sizeof(float) * (size_t)(L * L))) ||
      !(wk.r = malloc(sizeof(double) * (size_t)L)))
    PLM_XFAIL(PLM_EMEM, errbuf, "out of memory");
  if (o->npick) {
    PLM_XCHECK(pick_indices(rec, o, nl, nh, idx, errbuf));
    if (!(map = malloc(sizeof(float) * (size_t)(L * L)))) PLM_XFAIL(PLM_EMEM, errbuf, "out of memory");
    PLM_XCHECK(plm_tensor_Create(o->output ? o->output : "contacts", PLM_F32, 2, (int64_t[]){ L, L }, &out, errbuf));
    PLM_XCHECK(average_maps(att, idx, nmaps, T, off, L, eos, o->plmc, &wk, map, out->data, errbuf));
  } else {
    PLM_XCHECK(plm_tensor_Create(o->output ? o->output : "apc", PLM_F32, 3, (int64_t[]){ nmaps, L, L }, &out, errbuf));
    for (int k = 0; k < nmaps; k++)
      PLM_XCHECK(head_map(att, k, T, off, L, eos, o->plmc, &wk, (float *)out->data + (size_t)k * (size_t)(L * L), errbuf));
    PLM_XCHECK(set_int_meta(rec, "layers", nl, errbuf));
    PLM_XCHECK(set_int_meta(rec, "heads", nh, errbuf));
  }
  PLM_XCHECK(plm_record_SetMeta(rec, "apc", o->plmc ? "plmc" : "fair-esm", errbuf));
  PLM_XCHECK(plm_record_AddTensor(rec, out, errbuf));
  out = NULL;
  if (!o->keep) plm_record_RemoveTensor(rec, o->input);
  status = PLM_OK;

ERROR:
  plm_tensor_Destroy(out);
  free(wk.block); free(wk.r); free(map); free(eos); free(idx);
  return status;
}

static int
run(const opts *o, char *errbuf)
{
  static char      *dash[] = { "-" };
  char            **paths = o->nfiles ? o->files : dash;
  int               npaths = o->nfiles ? o->nfiles : 1, status;
  plm_streamreader *r = NULL;
  plm_streamwriter *w = NULL;
  plm_record       *rec = NULL;

  PLM_XCHECK(plm_stream_OpenWrite(o->outfile ? o->outfile : "-", o->zlevel, &w, errbuf));
  for (int f = 0; f < npaths; f++) {
    PLM_XCHECK(plm_stream_OpenRead(paths[f], &r, errbuf));
    plm_stream_SetMaxMemory(r, o->max_memory);
    for (long long nrec = 1; (status = plm_stream_Read(r, &rec, errbuf)) == PLM_OK; nrec++) {
      PLM_XCHECK(check_memory(rec, o, plm_cli_InputName(paths[f]), nrec, errbuf));
      PLM_XCHECK(process(rec, o, errbuf));
      PLM_XCHECK(plm_stream_Write(w, rec, errbuf));
      plm_record_Destroy(rec);
      rec = NULL;
    }
    if (status != PLM_EOF) goto ERROR;
    plm_stream_CloseRead(r);
    r = NULL;
  }
  status = plm_stream_CloseWrite(w, errbuf);
  w = NULL;

ERROR:
  if (w) plm_stream_AbortWrite(w);
  if (r) plm_stream_CloseRead(r);
  plm_record_Destroy(rec);
  return status;
}

/* what process() will add for a record: its maps in float32 (at most as many as the input holds)
 * and two L x L work maps; refused, naming the record, when it would not fit --max-memory */
static int
check_memory(const plm_record *rec, const opts *o, const char *file, long long nrec, char *errbuf)
{
  const plm_tensor *att = plm_record_GetTensor(rec, o->input);
  char              cause[PLM_ERRBUFSIZE];
  double            T;

  if (!att || att->rank != 4) return PLM_OK;      /* process() says what is wrong */
  T = (double)att->shape[2];
  if (plm_mem_Check(plm_mem_Limit(o->max_memory), (double)plm_tensor_Numel(att) * sizeof(float) + 2.0 * T * T * sizeof(float),
                    cause) == PLM_OK)
    return PLM_OK;
  return plm_Fail(errbuf, PLM_ELIMIT, "%.200s: record %lld (\"%.60s\"): %.200s", file, nrec, rec->id, cause);
}

/* ------------------------------------------------------------------ main */

static const char usage[] =
  "Usage: apc [options] [FILE...] > out.tsr\n"
  "Symmetrize and APC-correct every attention map, as fair-esm's contact head does (see apc(1)).\n"
  "      --input NAME       attention tensor, f32/f16 [layers, heads, T, T] (default attentions)\n"
  "      --output NAME      output tensor (default apc [C, L, L]; averaging: contacts [L, L])\n"
  "      --special LAYOUT   token layout: bos,eos | cls,sep | sep,cls | bos | eos | none\n"
  "                         (default: the record's special_tokens metadata, else inferred\n"
  "                         from T)\n"
  "      --keep-attentions  pass the attention tensor on (default: consumed)\n"
  "      --plmc-apc         plmc/CCMpred APC (off-diagonal means, diagonal 0) instead\n"
  "      --average LIST     average the APC maps of heads LAYER:HEAD,... (1-based) into contacts\n"
  "      --top-heads FILE   the same with heads from a file, one LAYER:HEAD per line, best first\n"
  "      --top-k K          with --top-heads: only the first K (default all)\n"
  "  -o FILE                  write the stream to FILE (default: stdout, never a terminal;\n"
  "                           --output stays the output tensor's name, as before)\n"
  "  -z, --compress N         zlib level of the output, 0 (default) to 9\n"
  "      --max-memory SIZE    most memory to hold (K, M, G; default: what is free at the start)\n"
  "                           a record that would need more is refused, naming it\n"
  "  -h, --help / -V, --version\n";

enum { O_INPUT = 256, O_OUTPUT, O_SPECIAL, O_KEEP, O_PLMC, O_AVERAGE, O_TOPHEADS, O_TOPK, O_VERSION };

static int
parse_args(int argc, char **argv, opts *o, char *errbuf)
{
  static const struct option lo[] = {
    { "input", 1, 0, O_INPUT }, { "output", 1, 0, O_OUTPUT }, { "special", 1, 0, O_SPECIAL },
    { "keep-attentions", 0, 0, O_KEEP }, { "plmc-apc", 0, 0, O_PLMC }, { "average", 1, 0, O_AVERAGE },
    { "top-heads", 1, 0, O_TOPHEADS }, { "top-k", 1, 0, O_TOPK }, { "compress", 1, 0, 'z' },
    { "max-memory", 1, 0, PLM_OPT_MAX_MEMORY },
    { "help", 0, 0, 'h' }, { "version", 0, 0, O_VERSION }, { 0, 0, 0, 0 }
  };
  const char *average = NULL, *topheads = NULL;
  char       *end;
  int         c;

  memset(o, 0, sizeof *o);
  o->input = "attentions";
  while ((c = getopt_long(argc, argv, "o:z:hV", lo, NULL)) != -1) {
    switch (c) {
    case O_INPUT:    o->input = optarg; break;
    case O_OUTPUT:   o->output = optarg; break;
    case O_SPECIAL:  o->special = optarg; break;
    case O_KEEP:     o->keep = 1; break;
    case O_PLMC:     o->plmc = 1; break;
    case O_AVERAGE:  average = optarg; break;
    case O_TOPHEADS: topheads = optarg; break;
    case O_TOPK:
      o->topk = (int)strtol(optarg, &end, 10);
      if (end == optarg || *end || o->topk < 1) return plm_Fail(errbuf, PLM_EINVAL, "--top-k: '%s' is not a count >= 1", optarg);
      break;
    case 'o':        o->outfile = optarg; break;
    case 'z':
      o->zlevel = (int)strtol(optarg, &end, 10);
      if (end == optarg || *end || o->zlevel < 0 || o->zlevel > 9) return plm_Fail(errbuf, PLM_EINVAL, "--compress: '%s' is not 0-9", optarg);
      break;
    case PLM_OPT_MAX_MEMORY: o->max_memory = plm_cli_Size(TOOL, "--max-memory", optarg); break;
    case 'h':        fputs(usage, stdout); exit(0);
    case O_VERSION:
    case 'V':        plm_cli_Version(TOOL);
    default:         return plm_Fail(errbuf, PLM_EINVAL, "unknown option");
    }
  }
  if (average && topheads) return plm_Fail(errbuf, PLM_EINVAL, "give --average or --top-heads, not both");
  if (o->topk && !topheads) return plm_Fail(errbuf, PLM_EINVAL, "--top-k needs --top-heads");
  if (average && headlist_Parse(average, "--average", o, errbuf) != PLM_OK) return PLM_EINVAL;
  if (topheads && headlist_ReadFile(topheads, o, errbuf) != PLM_OK) return PLM_EINVAL;
  o->files  = argv + optind;
  o->nfiles = argc - optind;
  return PLM_OK;
}

int
main(int argc, char **argv)
{
  static opts o;   /* static: the head list is large */
  char        errbuf[PLM_ERRBUFSIZE];

  plm_cli_Init();
  if (parse_args(argc, argv, &o, errbuf) != PLM_OK) plm_cli_Usage(TOOL, "%s", errbuf);
  if (run(&o, errbuf) != PLM_OK) plm_cli_Die(TOOL, "%s", errbuf);
  return 0;
}
