/* lrfit.c: train and apply logistic-regression heads on record streams.
 *
 *   lrfit train -o head.yaml [options] [FILE...]   fit a head, write it as YAML
 *   lrfit predict -w head.yaml [options] [FILE...] > out.tsr
 *   lrfit rank -w head.yaml > heads.txt            heads by weight, for apc --top-heads
 *
 * Contact heads (default): features f32 [C, L, L] (the APC maps of every
 * layer x head, layer-major), labels u8 [L, L] (1/0, 255 unknown); one
 * example per pair i < j with j - i >= --min-sep and a known label.
 * Probes (--multinomial): features f32 [T, D] per token, T = L or L + 2
 * (BOS/EOS rows dropped), labels u8 [L] classes, 255 unknown.
 *
 *   input_*       the command line's files read as one record stream
 *   trainset_*    the growing example matrix, pair reservoir per protein
 *   head_Write()  / head_Read()   the YAML head file (libyaml)
 *   head_ReadCheckpoint()         fair-esm's X-contact-regression.pt
 *   run_train(), run_predict(), run_rank(), main()
 */
#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <yaml.h>
#include "config.h"
#include "alphabet.h"
#include "checkpoint.h"
#include "cli.h"
#include "membudget.h"
#include "error.h"
#include "logreg.h"
#include "progress.h"
#include "record.h"
#include "stream.h"
#include "vocab.h"
#include "tensor.h"
#include "toplabel.h"

#define TOOL "lrfit"
#define UNKNOWN 255

typedef struct {
  const char     *cmd, *label, *features, *out, *weights, *name;
  plm_logreg_opts lr;
  int             minsep, multinomial, classes, keep_features, zlevel, heads;
  int             progress;       /* PLM_PROGRESS_AUTO, _ON (--progress), _OFF (--quiet) */
  int64_t         maxpairs;
  uint64_t        seed;
  double          label_top;   /* > 0: --label is a score map, its top label_top * L pairs the contacts */
  char          **files;
  int             nfiles;
  size_t          max_memory;   /* --max-memory, bytes (0: membudget.h's default) */
} opts;

/* ------------------------------------------------------------------ input */

typedef struct {
  char            **paths;
  int               npaths, next;
  plm_streamreader *r;
  plm_progress     *prog;                      /* the progress line over all the files */
  long long         total, before, nrec, nres; /* input bytes: all, files finished; records, residues */
  size_t            max_memory;   /* --max-memory */
} input;

/* the progress line, sized by the files (stdin: no ETA) */
static void
input_Progress(input *in, int mode)
{
  for (int f = 0; f < in->npaths; f++) in->total += plm_progress_FileSize(in->paths[f]);
  in->prog = plm_progress_Create(TOOL, mode, in->total);
}

/* next record of the next file with one; "-" (stdin) when no files were given */
static int
input_Next(input *in, plm_record **ret_rec, char *errbuf)
{
  static char *dash[] = { "-" };
  int          status;

  if (in->npaths == 0) { in->paths = dash; in->npaths = 1; }
  for (;;) {
    if (!in->r) {
      if (in->next == in->npaths) return PLM_EOF;
      PLM_XCHECK(plm_stream_OpenRead(in->paths[in->next++], &in->r, errbuf));
      plm_stream_SetMaxMemory(in->r, in->max_memory);
    }
    if ((status = plm_stream_Read(in->r, ret_rec, errbuf)) != PLM_EOF) {
      if (status == PLM_OK)
        plm_progress_Update(in->prog, ++in->nrec, in->nres += (long long)strlen((*ret_rec)->seq),
                            in->total ? in->before + plm_stream_Tell(in->r) : -1);
      return status;
    }
    plm_stream_CloseRead(in->r);
    in->r = NULL;
    in->before += plm_progress_FileSize(in->paths[in->next - 1]);
  }
ERROR:
  return status;
}

static void input_Close(input *in) { if (in->r) plm_stream_CloseRead(in->r); plm_progress_Finish(in->prog); }

/* the named tensor of rec as f32 [shape...] of the given rank, or an error naming the record */
static int
get_f32(const plm_record *rec, const char *name, int rank, plm_tensor **ret_t, char *errbuf)
{
  plm_tensor *t = plm_record_GetTensor(rec, name);
  if (!t)               return plm_Fail(errbuf, PLM_ENOTFOUND, "record \"%s\" has no tensor \"%s\"", rec->id, name);
  if (t->rank != rank)  return plm_Fail(errbuf, PLM_EFORMAT, "record \"%s\": tensor \"%s\" has rank %d, expected %d", rec->id, name, t->rank, rank);
  if (t->dtype != PLM_F32) return plm_Fail(errbuf, PLM_EFORMAT, "record \"%s\": tensor \"%s\" is %s, expected f32", rec->id, name, plm_dtype_Name(t->dtype));
  *ret_t = t;
  return PLM_OK;
}

/* ------------------------------------------------------------- training set */

typedef struct {
  float   *X;
  uint8_t *y;
  int64_t  n, cap, npos, nprot;
  int      d;              /* feature count, fixed by the first record */
  char    *model;          /* 'model' metadata, NULL if no record had one */
  int      layers, heads;  /* from 'layers'/'heads' metadata, 0 if absent */
  uint64_t rng;
  size_t   limit;          /* --max-memory, resolved */
} trainset;

static uint64_t
rng_Next(uint64_t *s)
{
  *s ^= *s >> 12; *s ^= *s << 25; *s ^= *s >> 27;
  return *s * UINT64_C(2685821657736338717);
}

static int
trainset_Grow(trainset *ts, char *errbuf)
{
  int64_t  cap = ts->cap ? ts->cap * 2 : 4096;
  float   *X;
  uint8_t *y;
  char     cause[PLM_ERRBUFSIZE];
  /* the training set grows with the input: the grown arrays (the old ones are freed after) */
  if (plm_mem_Check(ts->limit, (double)cap * (sizeof(float) * (double)ts->d + 1.0), cause) != PLM_OK)
    return plm_Fail(errbuf, PLM_ELIMIT, "a training set of %lld examples x %d features %.300s; --max-pairs-per-protein samples fewer",
                    (long long)cap, ts->d, cause);
  if ((X = realloc(ts->X, sizeof(float) * (size_t)cap * ts->d)) != NULL) ts->X = X;
  if (!X || !(y = realloc(ts->y, (size_t)cap)))
    return plm_Fail(errbuf, PLM_EMEM, "out of memory for %lld examples of %d features", (long long)cap, ts->d);
  ts->y = y;
  ts->cap = cap;
  return PLM_OK;
}

/* what every record must agree on: feature count, model, layers x heads */
static int
trainset_Check(trainset *ts, const plm_record *rec, int d, char *errbuf)
{
  const char *model = plm_record_GetMeta(rec, "model");
  const char *ls = plm_record_GetMeta(rec, "layers"), *hs = plm_record_GetMeta(rec, "heads");

  if (ts->nprot == 0) {
    ts->d = d;
    if (model && !(ts->model = strdup(model))) return plm_Fail(errbuf, PLM_EMEM, "out of memory");
    if (ls && hs && atoi(ls) * atoi(hs) == d) { ts->layers = atoi(ls); ts->heads = atoi(hs); }
  }
  if (d != ts->d) return plm_Fail(errbuf, PLM_EFORMAT, "record \"%s\" has %d features, earlier records %d", rec->id, d, ts->d);
  if ((model != NULL) != (ts->model != NULL) || (model && strcmp(model, ts->model) != 0))
    return plm_Fail(errbuf, PLM_EINVAL, "record \"%s\" comes from model '%s', earlier records from '%s'",
                    rec->id, model ? model : "(none)", ts->model ? ts->model : "(none)");
  ts->nprot++;
  return PLM_OK;
}

static int
trainset_Add(trainset *ts, const float *x, int64_t stride, uint8_t y, char *errbuf)
{
  int status;
  if (ts->n == ts->cap) PLM_XCHECK(trainset_Grow(ts, errbuf));
  for (int c = 0; c < ts->d; c++) ts->X[ts->n * ts->d + c] = x[c * stride];
  ts->y[ts->n++] = y;
  ts->npos += y == 1;
  return PLM_OK;
ERROR:
  return status;
}

/* Pairs i < j, j - i >= minsep, label known. With maxpairs > 0, a uniform
 * reservoir sample (Algorithm R) of that many pairs per protein. */
static int
trainset_AddPairs(trainset *ts, const plm_record *rec, const opts *o, char *errbuf)
{
  plm_tensor *f, *lab = plm_record_GetTensor(rec, o->label), *sc = NULL;
  int64_t    *res = NULL, seen = 0, L;
  uint8_t    *top = NULL;
  int         status;

  PLM_XCHECK(get_f32(rec, o->features, 3, &f, errbuf));
  L = f->shape[1];
  if (f->shape[2] != L) PLM_XFAIL(PLM_EFORMAT, errbuf, "record \"%s\": features \"%s\" are not square", rec->id, o->features);
  if (!lab) PLM_XFAIL(PLM_ENOTFOUND, errbuf, "record \"%s\" has no label tensor \"%s\"", rec->id, o->label);
  if (o->label_top > 0.0) {   /* scores, e.g. a Potts model's couplings: their top pairs are the contacts */
    PLM_XCHECK(get_f32(rec, o->label, 2, &sc, errbuf));
    if (sc->shape[0] != L || sc->shape[1] != L)
      PLM_XFAIL(PLM_EFORMAT, errbuf, "record \"%s\": scores \"%s\" must be [%lld, %lld]", rec->id, o->label, (long long)L, (long long)L);
    if ((top = malloc((size_t)(L * L))) == NULL) PLM_XFAIL(PLM_EMEM, errbuf, "out of memory");
    PLM_XCHECK(plm_toplabel_Make(sc->data, L, o->minsep, o->label_top, top, errbuf));
  } else if (lab->dtype != PLM_U8 || lab->rank != 2 || lab->shape[0] != L || lab->shape[1] != L)
    PLM_XFAIL(PLM_EFORMAT, errbuf, "record \"%s\": labels \"%s\" must be u8 [%lld, %lld]", rec->id, o->label, (long long)L, (long long)L);
  PLM_XCHECK(trainset_Check(ts, rec, (int)f->shape[0], errbuf));
  if (o->maxpairs > 0 && !(res = malloc(sizeof(int64_t) * o->maxpairs))) PLM_XFAIL(PLM_EMEM, errbuf, "out of memory");

  const uint8_t *y = top ? top : lab->data;
  const float   *x = f->data;
  for (int64_t i = 0; i < L; i++)
    for (int64_t j = i + o->minsep; j < L; j++) {
      int64_t pos = i * L + j;
      if (y[pos] == UNKNOWN) continue;
      if (y[pos] > 1) PLM_XFAIL(PLM_EFORMAT, errbuf, "record \"%s\": label %d at (%lld, %lld) is not 0, 1 or 255", rec->id, y[pos], (long long)i, (long long)j);
      if (!res)                  PLM_XCHECK(trainset_Add(ts, x + pos, L * L, y[pos], errbuf));
      else if (seen < o->maxpairs) res[seen] = pos;
      else { uint64_t r = rng_Next(&ts->rng) % (uint64_t)(seen + 1); if (r < (uint64_t)o->maxpairs) res[r] = pos; }
      seen++;
    }
  for (int64_t k = 0; res && k < seen && k < o->maxpairs; k++) PLM_XCHECK(trainset_Add(ts, x + res[k], L * L, y[res[k]], errbuf));
  status = PLM_OK;

ERROR:
  free(res);
  free(top);
  return status;
}

/* token rows of features [T, D] with T = L (as is), the record's special_tokens around the residues
 * (ESM-1: BOS only), or L + 2 (BOS/EOS dropped) */
static int
token_rows(const plm_record *rec, const char *name, int64_t L, plm_tensor **ret_f, int64_t *ret_off, char *errbuf)
{
  const char *sp = plm_record_GetMeta(rec, "special_tokens");
  int         lead = 0, trail = 0, status;
  PLM_XCHECK(get_f32(rec, name, 2, ret_f, errbuf));
  if (sp) PLM_XCHECK(plm_vocab_SpecialSpan(sp, &lead, &trail, errbuf));
  if ((*ret_f)->shape[0] == L)                           *ret_off = 0;
  else if (sp && (*ret_f)->shape[0] == L + lead + trail) *ret_off = lead;
  else if ((*ret_f)->shape[0] == L + 2)                  *ret_off = 1;
  else PLM_XFAIL(PLM_EFORMAT, errbuf, "record \"%s\": features \"%s\" have %lld rows for %lld residues", rec->id, name,
                 (long long)(*ret_f)->shape[0], (long long)L);
  return PLM_OK;
ERROR:
  return status;
}

static int
trainset_AddTokens(trainset *ts, const plm_record *rec, const opts *o, char *errbuf)
{
  plm_tensor *f, *lab = plm_record_GetTensor(rec, o->label);
  int64_t     off, L;
  int         status;

  if (!lab || lab->dtype != PLM_U8 || lab->rank != 1)
    PLM_XFAIL(PLM_EFORMAT, errbuf, "record \"%s\": needs labels \"%s\" as u8 [L]", rec->id, o->label);
  L = lab->shape[0];
  PLM_XCHECK(token_rows(rec, o->features, L, &f, &off, errbuf));
  PLM_XCHECK(trainset_Check(ts, rec, (int)f->shape[1], errbuf));
  for (int64_t i = 0; i < L; i++) {
    uint8_t c = ((const uint8_t *)lab->data)[i];
    if (c == UNKNOWN) continue;
    PLM_XCHECK(trainset_Add(ts, (const float *)f->data + (i + off) * ts->d, 1, c, errbuf));
  }
  return PLM_OK;
ERROR:
  return status;
}

static void
trainset_Free(trainset *ts) { free(ts->X); free(ts->y); free(ts->model); }

/* ------------------------------------------------------------- head files */

typedef struct {
  int     classes;   /* 0: binary contact head; K: multinomial probe */
  int     d;         /* features per example */
  char    features[PLM_MAXNAME + 1];
  double *w;         /* binary: d weights then bias; multinomial: K rows of d weights + bias */
  int     heads;     /* heads per layer, 0 if the file does not say */
} head;

static int
emit_scalar(yaml_emitter_t *e, const char *s)
{
  yaml_event_t ev;
  yaml_scalar_event_initialize(&ev, NULL, NULL, (yaml_char_t *)s, -1, 1, 1, YAML_ANY_SCALAR_STYLE);
  return yaml_emitter_emit(e, &ev);
}

static int
emit_kv(yaml_emitter_t *e, const char *key, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int
emit_kv(yaml_emitter_t *e, const char *key, const char *fmt, ...)
{
  char    buf[512];
  va_list ap;
  va_start(ap, fmt); vsnprintf(buf, sizeof buf, fmt, ap); va_end(ap);
  return emit_scalar(e, key) && emit_scalar(e, buf);
}

/* [v[0], v[stride], ...] (n values) as a flow sequence of exact doubles, after key unless NULL */
static int
emit_seq(yaml_emitter_t *e, const char *key, const double *v, int n, int stride)
{
  yaml_event_t ev;
  char         buf[32];
  int          ok = !key || emit_scalar(e, key);
  yaml_sequence_start_event_initialize(&ev, NULL, NULL, 1, YAML_FLOW_SEQUENCE_STYLE);
  ok = ok && yaml_emitter_emit(e, &ev);
  for (int k = 0; ok && k < n; k++) { snprintf(buf, sizeof buf, "%.17g", v[(size_t)k * stride]); ok = emit_scalar(e, buf); }
  yaml_sequence_end_event_initialize(&ev);
  return ok && yaml_emitter_emit(e, &ev);
}

static int
yaml_put(void *fp, unsigned char *buf, size_t n) { return fwrite(buf, 1, n, fp) == n; }

static int
head_Write(const char *path, const head *h, const trainset *ts, const opts *o, const plm_logreg_info *info, char *errbuf)
{
  FILE          *fp = fopen(path, "w");
  yaml_emitter_t e;
  yaml_event_t   ev;
  char           date[32];
  time_t         now = time(NULL);
  int            p = h->d + 1, K = h->classes ? h->classes : 1, ok, status;

  if (!fp) return plm_Fail(errbuf, PLM_EIO, "%s: cannot open for writing", path);
  strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
  yaml_emitter_initialize(&e);
  yaml_emitter_set_output(&e, yaml_put, fp);
  yaml_emitter_set_width(&e, 100);
  yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING);
  ok = yaml_emitter_emit(&e, &ev);
  yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, 0);
  ok = ok && yaml_emitter_emit(&e, &ev);
  yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1, YAML_BLOCK_MAPPING_STYLE);
  ok = ok && yaml_emitter_emit(&e, &ev)
    && emit_kv(&e, "kind", "%s", h->classes ? "multinomial-probe" : "contact-regression")
    && emit_kv(&e, "model", "%s", ts->model ? ts->model : "unknown")
    && emit_kv(&e, "features", "%s", h->features)
    && emit_kv(&e, "label", "%s", o->label)
    && emit_kv(&e, "channels", "%d", h->d)
    && (!ts->layers || (emit_kv(&e, "layers", "%d", ts->layers) && emit_kv(&e, "heads", "%d", ts->heads)))
    && (!h->classes || emit_kv(&e, "classes", "%d", h->classes))
    && emit_kv(&e, "penalty", "%s", h->classes ? "l2" : plm_logreg_PenaltyName(o->lr.penalty))
    && emit_kv(&e, "C", "%.15g", o->lr.C)
    && (o->lr.penalty != PLM_LOGREG_ELASTICNET || h->classes || emit_kv(&e, "l1_ratio", "%.15g", o->lr.l1_ratio))
    && (h->classes || emit_kv(&e, "min_sep", "%d", o->minsep))
    && (h->classes || emit_kv(&e, "max_pairs_per_protein", "%lld", (long long)o->maxpairs))
    && (h->classes || emit_kv(&e, "seed", "%llu", (unsigned long long)o->seed))
    && emit_kv(&e, "proteins", "%lld", (long long)ts->nprot)
    && emit_kv(&e, h->classes ? "tokens" : "pairs", "%lld", (long long)ts->n)
    && (h->classes || emit_kv(&e, "positives", "%lld", (long long)ts->npos))
    && emit_kv(&e, "converged", "%s", info->converged ? "true" : "false")
    && emit_kv(&e, "iterations", "%d", info->niter)
    && emit_kv(&e, "objective", "%.17g", info->objective)
    && emit_kv(&e, "date", "%s", date)
    && emit_kv(&e, "plmscope_version", "%s", PLM_VERSION)
    && (h->classes ? emit_seq(&e, "bias", h->w + h->d, K, p) : emit_kv(&e, "bias", "%.17g", h->w[h->d]));
  if (!h->classes) ok = ok && emit_seq(&e, "weights", h->w, h->d, 1);
  else {   /* one row of weights per class */
    yaml_sequence_start_event_initialize(&ev, NULL, NULL, 1, YAML_BLOCK_SEQUENCE_STYLE);
    ok = ok && emit_scalar(&e, "weights") && yaml_emitter_emit(&e, &ev);
    for (int k = 0; ok && k < K; k++) ok = emit_seq(&e, NULL, h->w + (size_t)k * p, h->d, 1);
    yaml_sequence_end_event_initialize(&ev);
    ok = ok && yaml_emitter_emit(&e, &ev);
  }
  yaml_mapping_end_event_initialize(&ev);
  ok = ok && yaml_emitter_emit(&e, &ev);
  yaml_document_end_event_initialize(&ev, 1);
  ok = ok && yaml_emitter_emit(&e, &ev);
  yaml_stream_end_event_initialize(&ev);
  ok = ok && yaml_emitter_emit(&e, &ev);
  if (!ok) PLM_XFAIL(PLM_EIO, errbuf, "%s: writing YAML failed: %s", path, e.problem ? e.problem : "write error");
  yaml_emitter_delete(&e);
  if (fclose(fp) != 0) return plm_Fail(errbuf, PLM_EIO, "%s: write failed", path);
  return PLM_OK;

ERROR:
  yaml_emitter_delete(&e);
  fclose(fp);
  return status;
}

/* the scalars of a head file's top level, and every number under 'weights' and 'bias' */
typedef struct {
  char    kind[64], features[PLM_MAXNAME + 1];
  int     channels, classes, heads;
  double *weights, *bias;
  int     nweights, nbias;
} headfile;

static int
push_number(double **v, int *n, const char *s, char *errbuf)
{
  char   *end;
  double  x = strtod(s, &end), *nv;
  if (end == s || *end || !isfinite(x)) return plm_Fail(errbuf, PLM_EFORMAT, "'%s' is not a finite number", s);
  if (!(nv = realloc(*v, sizeof(double) * (*n + 1)))) return plm_Fail(errbuf, PLM_EMEM, "out of memory");
  nv[(*n)++] = x;
  *v = nv;
  return PLM_OK;
}

static void
set_scalar(headfile *hf, const char *key, const char *val)
{
  if      (!strcmp(key, "kind"))     snprintf(hf->kind, sizeof hf->kind, "%s", val);
  else if (!strcmp(key, "features")) snprintf(hf->features, sizeof hf->features, "%s", val);
  else if (!strcmp(key, "channels")) hf->channels = atoi(val);
  else if (!strcmp(key, "classes"))  hf->classes = atoi(val);
  else if (!strcmp(key, "heads"))    hf->heads = atoi(val);
}

/* Walk the events: depth 1 is the top mapping, where keys and values alternate;
 * numbers deeper under 'weights' or 'bias' (or a scalar bias) are collected. */
static int
headfile_Parse(FILE *fp, const char *path, headfile *hf, char *errbuf)
{
  yaml_parser_t pr;
  yaml_event_t  ev;
  char          key[64] = "";
  int           depth = 0, want_key = 1, done = 0, status = PLM_OK;

  yaml_parser_initialize(&pr);
  yaml_parser_set_input_file(&pr, fp);
  while (!done && status == PLM_OK) {
    if (!yaml_parser_parse(&pr, &ev)) {
      status = plm_Fail(errbuf, PLM_EFORMAT, "%s: line %lu: %s", path, (unsigned long)pr.problem_mark.line + 1,
                        pr.problem ? pr.problem : "YAML error");
      break;
    }
    int in_w = !strcmp(key, "weights"), in_b = !strcmp(key, "bias");
    switch (ev.type) {
    case YAML_SCALAR_EVENT: {
      const char *s = (const char *)ev.data.scalar.value;
      if (depth == 1 && want_key) { snprintf(key, sizeof key, "%s", s); want_key = 0; }
      else if (depth == 1) {
        if (in_b) status = push_number(&hf->bias, &hf->nbias, s, errbuf);
        else      set_scalar(hf, key, s);
        want_key = 1;
      }
      else if (in_w) status = push_number(&hf->weights, &hf->nweights, s, errbuf);
      else if (in_b) status = push_number(&hf->bias, &hf->nbias, s, errbuf);
      break;
    }
    case YAML_SEQUENCE_START_EVENT: case YAML_MAPPING_START_EVENT: depth++; break;
    case YAML_SEQUENCE_END_EVENT:   case YAML_MAPPING_END_EVENT:
      if (--depth == 1) want_key = 1;
      break;
    case YAML_STREAM_END_EVENT: done = 1; break;
    default: break;
    }
    yaml_event_delete(&ev);
  }
  yaml_parser_delete(&pr);
  if (status != PLM_OK && strncmp(errbuf, path, strlen(path)) != 0) {
    char cause[PLM_ERRBUFSIZE];
    snprintf(cause, sizeof cause, "%s", errbuf);
    plm_Fail(errbuf, status, "%s: %.400s", path, cause);
  }
  return status;
}

static int
head_Read(const char *path, head *h, char *errbuf)
{
  FILE    *fp = fopen(path, "r");
  headfile hf;
  int      K, status;

  memset(&hf, 0, sizeof hf);
  if (!fp) return plm_Fail(errbuf, PLM_EIO, "%s: cannot open", path);
  PLM_XCHECK(headfile_Parse(fp, path, &hf, errbuf));
  if (strcmp(hf.kind, "contact-regression") && strcmp(hf.kind, "multinomial-probe"))
    PLM_XFAIL(PLM_EFORMAT, errbuf, "%s: not a head file of lrfit (kind '%s')", path, hf.kind);
  K = hf.classes ? hf.classes : 1;
  if (hf.channels < 1 || hf.nweights != K * hf.channels || hf.nbias != K || (hf.classes && (hf.classes < 2 || hf.classes > 256)))
    PLM_XFAIL(PLM_EFORMAT, errbuf, "%s: %d weights and %d biases do not fit %d channels x %d classes",
              path, hf.nweights, hf.nbias, hf.channels, K);
  h->classes = hf.classes;
  h->d = hf.channels;
  h->heads = hf.heads;
  snprintf(h->features, sizeof h->features, "%s", hf.features);
  if (!(h->w = malloc(sizeof(double) * K * (h->d + 1)))) PLM_XFAIL(PLM_EMEM, errbuf, "out of memory");
  for (int k = 0; k < K; k++) {
    memcpy(h->w + (size_t)k * (h->d + 1), hf.weights + (size_t)k * h->d, sizeof(double) * h->d);
    h->w[(size_t)k * (h->d + 1) + h->d] = hf.bias[k];
  }
  status = PLM_OK;

ERROR:
  free(hf.weights); free(hf.bias);
  fclose(fp);
  return status;
}

/* fair-esm's published heads: contact_head.regression.{weight [1, C], bias [1]},
 * over the features named by --features (their order is fair-esm's, layer-major) */
static int
head_ReadCheckpoint(const char *path, const char *features, head *h, char *errbuf)
{
  plm_checkpoint *ck = NULL;
  plm_tensor     *w = NULL, *b = NULL, *wt, *bt;
  int             status;

  PLM_XCHECK(plm_checkpoint_Open(path, &ck, errbuf));
  wt = plm_checkpoint_Get(ck, "contact_head.regression.weight");
  bt = plm_checkpoint_Get(ck, "contact_head.regression.bias");
  if (!wt || !bt || wt->rank != 2 || wt->shape[0] != 1 || plm_tensor_Numel(bt) != 1)
    PLM_XFAIL(PLM_EFORMAT, errbuf, "%s: no contact_head.regression weight [1, C] and bias [1]", path);
  PLM_XCHECK(plm_tensor_ToF32(wt, "w", &w, errbuf));
  PLM_XCHECK(plm_tensor_ToF32(bt, "b", &b, errbuf));
  h->classes = 0;
  h->d = (int)wt->shape[1];
  snprintf(h->features, sizeof h->features, "%s", features);
  if (!(h->w = malloc(sizeof(double) * (h->d + 1)))) PLM_XFAIL(PLM_EMEM, errbuf, "out of memory");
  for (int c = 0; c < h->d; c++) h->w[c] = ((const float *)w->data)[c];
  h->w[h->d] = ((const float *)b->data)[0];
  status = PLM_OK;

ERROR:
  plm_tensor_Destroy(w);
  plm_tensor_Destroy(b);
  if (ck) plm_checkpoint_Close(ck);
  return status;
}

/* ------------------------------------------------------------- commands */

static int
run_train(const opts *o, char *errbuf)
{
  input           in = { .paths = o->files, .npaths = o->nfiles, .max_memory = o->max_memory };
  trainset        ts;
  plm_record     *rec = NULL;
  plm_logreg_info info;
  head            h = { 0, 0, "", NULL, 0 };
  int             K = 0, status;

  memset(&ts, 0, sizeof ts);
  ts.rng = o->seed * UINT64_C(0x9E3779B97F4A7C15) + 1;   /* xorshift needs a nonzero state */
  ts.limit = plm_mem_Limit(o->max_memory);
  input_Progress(&in, o->progress);
  while ((status = input_Next(&in, &rec, errbuf)) == PLM_OK) {
    status = o->multinomial ? trainset_AddTokens(&ts, rec, o, errbuf) : trainset_AddPairs(&ts, rec, o, errbuf);
    if (status == PLM_ELIMIT) {
      char cause[PLM_ERRBUFSIZE];
      memcpy(cause, errbuf, sizeof cause);
      PLM_XFAIL(status, errbuf, "%.200s: record %lld (\"%.60s\"): %.200s", plm_cli_InputName(in.paths[in.next - 1]),
                (long long)ts.nprot, rec->id, cause);
    }
    if (status != PLM_OK) goto ERROR;
    plm_record_Destroy(rec);
    rec = NULL;
  }
  if (status != PLM_EOF) goto ERROR;
  if (ts.n == 0) PLM_XFAIL(PLM_EINVAL, errbuf, "no training examples in the input");
  for (int64_t i = 0; i < ts.n; i++) if (ts.y[i] + 1 > K) K = ts.y[i] + 1;
  if (o->multinomial && o->classes) {
    if (K > o->classes) PLM_XFAIL(PLM_EINVAL, errbuf, "label %d found, but --classes is %d", K - 1, o->classes);
    K = o->classes;
  }
  h.classes = o->multinomial ? K : 0;
  h.d = ts.d;
  snprintf(h.features, sizeof h.features, "%s", o->features);
  if (!(h.w = malloc(sizeof(double) * (o->multinomial ? K : 1) * (ts.d + 1)))) PLM_XFAIL(PLM_EMEM, errbuf, "out of memory");
  if (o->multinomial) PLM_XCHECK(plm_logreg_FitMultinomial(ts.X, ts.n, ts.d, ts.y, K, NULL, &o->lr, h.w, &info, errbuf));
  else                PLM_XCHECK(plm_logreg_Fit(ts.X, ts.n, ts.d, ts.y, NULL, &o->lr, h.w, &info, errbuf));
  if (!info.converged) fprintf(stderr, "%s: warning: not converged after %d iterations\n", TOOL, info.niter);
  PLM_XCHECK(head_Write(o->out, &h, &ts, o, &info, errbuf));
  status = PLM_OK;

ERROR:
  plm_record_Destroy(rec);
  input_Close(&in);
  trainset_Free(&ts);
  free(h.w);
  return status;
}

/* out[i, j] = out[j, i] = sigmoid(b + sum_c w_c f[c, i, j]) for i <= j */
static int
predict_contacts(plm_record *rec, const head *h, const char *name, char *errbuf)
{
  plm_tensor *f, *out = NULL;
  int64_t     L, LL;
  int         status;

  PLM_XCHECK(get_f32(rec, h->features, 3, &f, errbuf));
  L = f->shape[1]; LL = L * L;
  if (f->shape[0] != h->d || f->shape[2] != L)
    PLM_XFAIL(PLM_EFORMAT, errbuf, "record \"%s\": features \"%s\" are [%lld, %lld, %lld], the head wants [%d, L, L]", rec->id,
              h->features, (long long)f->shape[0], (long long)f->shape[1], (long long)f->shape[2], h->d);
  PLM_XCHECK(plm_tensor_Create(name, PLM_F32, 2, (int64_t[]){ L, L }, &out, errbuf));
  float *o = out->data;
  const float *x = f->data;
  for (int64_t i = 0; i < L; i++)
    for (int64_t j = i; j < L; j++) {
      double m = h->w[h->d];
      for (int c = 0; c < h->d; c++) m += h->w[c] * x[c * LL + i * L + j];
      o[i * L + j] = o[j * L + i] = (float)(1.0 / (1.0 + exp(-m)));
    }
  PLM_XCHECK(plm_record_AddTensor(rec, out, errbuf));
  return PLM_OK;

ERROR:
  plm_tensor_Destroy(out);
  return status;
}

/* out[i, k] = softmax_k(W_k . f[i] + b_k) over the residue rows of f */
static int
predict_probe(plm_record *rec, const head *h, const char *name, char *errbuf)
{
  plm_tensor *f, *out = NULL;
  int64_t     L = plm_esm_ResidueCount(rec->seq), off;   /* tokens: inline <mask> is one residue */
  int         K = h->classes, p = h->d + 1, status;

  if (L < 0) PLM_XFAIL(PLM_EFORMAT, errbuf, "record \"%s\": the sequence does not tokenize", rec->id);
  PLM_XCHECK(token_rows(rec, h->features, L, &f, &off, errbuf));
  if (f->shape[1] != h->d) PLM_XFAIL(PLM_EFORMAT, errbuf, "record \"%s\": %lld features, the head wants %d", rec->id, (long long)f->shape[1], h->d);
  PLM_XCHECK(plm_tensor_Create(name, PLM_F32, 2, (int64_t[]){ L, K }, &out, errbuf));
  for (int64_t i = 0; i < L; i++) {
    const float *x = (const float *)f->data + (i + off) * h->d;
    float       *o = (float *)out->data + i * K;
    double       s[256], mx = -INFINITY, z = 0;
    for (int k = 0; k < K; k++) {
      s[k] = h->w[(size_t)k * p + h->d];
      for (int c = 0; c < h->d; c++) s[k] += h->w[(size_t)k * p + c] * x[c];
      if (s[k] > mx) mx = s[k];
    }
    for (int k = 0; k < K; k++) z += exp(s[k] - mx);
    for (int k = 0; k < K; k++) o[k] = (float)(exp(s[k] - mx) / z);
  }
  PLM_XCHECK(plm_record_AddTensor(rec, out, errbuf));
  return PLM_OK;

ERROR:
  plm_tensor_Destroy(out);
  return status;
}

static int
run_predict(const opts *o, char *errbuf)
{
  input             in = { .paths = o->files, .npaths = o->nfiles, .max_memory = o->max_memory };
  plm_streamwriter *w = NULL;
  plm_record       *rec = NULL;
  head              h = { 0, 0, "", NULL, 0 };
  const char       *name = o->name ? o->name : "contacts";
  size_t            wl = strlen(o->weights);
  int               status;

  if (wl > 3 && !strcmp(o->weights + wl - 3, ".pt")) PLM_XCHECK(head_ReadCheckpoint(o->weights, o->features, &h, errbuf));
  else                                               PLM_XCHECK(head_Read(o->weights, &h, errbuf));
  if (h.classes) name = o->name ? o->name : "probe";
  PLM_XCHECK(plm_stream_OpenWrite(o->out ? o->out : "-", o->zlevel, &w, errbuf));
  input_Progress(&in, o->progress);
  while ((status = input_Next(&in, &rec, errbuf)) == PLM_OK) {
    PLM_XCHECK(h.classes ? predict_probe(rec, &h, name, errbuf) : predict_contacts(rec, &h, name, errbuf));
    if (!o->keep_features) plm_record_RemoveTensor(rec, h.features);
    PLM_XCHECK(plm_stream_Write(w, rec, errbuf));
    plm_record_Destroy(rec);
    rec = NULL;
  }
  if (status != PLM_EOF) goto ERROR;
  status = plm_stream_CloseWrite(w, errbuf);
  w = NULL;

ERROR:
  if (w) plm_stream_AbortWrite(w);
  plm_record_Destroy(rec);
  input_Close(&in);
  free(h.w);
  return status;
}

static int
cmp_weight(const void *va, const void *vb, void *ctx)
{
  const double *w = ctx;
  int           a = *(const int *)va, b = *(const int *)vb;
  if (w[a] != w[b]) return w[a] > w[b] ? -1 : 1;
  return (a > b) - (a < b);
}

/* the channels of a contact head as "LAYER:HEAD<TAB>weight", largest weight
 * first: apc --top-heads reads this, for the top-k heads ablation */
static int
run_rank(const opts *o, char *errbuf)
{
  head h = { 0, 0, "", NULL, 0 };
  int *order = NULL, heads, status;
  size_t wl = strlen(o->weights);

  if (wl > 3 && !strcmp(o->weights + wl - 3, ".pt")) PLM_XCHECK(head_ReadCheckpoint(o->weights, o->features, &h, errbuf));
  else                                               PLM_XCHECK(head_Read(o->weights, &h, errbuf));
  heads = o->heads ? o->heads : h.heads;
  if (h.classes) PLM_XFAIL(PLM_EINVAL, errbuf, "%s: a probe has no heads to rank", o->weights);
  if (heads < 1 || h.d % heads) PLM_XFAIL(PLM_EINVAL, errbuf, "%s: %d channels; give --heads N (heads per layer) dividing them", o->weights, h.d);
  if (!(order = malloc(sizeof(int) * (size_t)h.d))) PLM_XFAIL(PLM_EMEM, errbuf, "out of memory");
  for (int c = 0; c < h.d; c++) order[c] = c;
  qsort_r(order, (size_t)h.d, sizeof(int), cmp_weight, h.w);
  printf("# layer:head  weight, largest first (%s)\n", o->weights);
  for (int k = 0; k < h.d; k++) printf("%d:%d\t%.9g\n", order[k] / heads + 1, order[k] % heads + 1, h.w[order[k]]);
  status = fflush(stdout) == 0 ? PLM_OK : plm_Fail(errbuf, PLM_EIO, "writing failed");

ERROR:
  free(order); free(h.w);
  return status;
}

/* ------------------------------------------------------------- main */

static const char usage[] =
  "Usage: lrfit train -o HEAD.yaml [options] [FILE...]\n"
  "       lrfit predict -w HEAD.yaml [options] [FILE...] > out.tsr\n"
  "       lrfit rank -w HEAD [--heads N] > heads.txt\n"
  "Fit a logistic-regression head on a record stream, or apply one (see lrfit(1)).\n"
  "train:\n"
  "  -o, --output FILE        the head, as YAML (required)\n"
  "      --features NAME      f32 [C, L, L] per-pair features (default apc)\n"
  "      --label NAME         u8 [L, L] 1/0, 255 unknown (default contacts_true)\n"
  "      --label-top X        --label is an f32 [L, L] score map (e.g. potts' contacts):\n"
  "                           its top X*L pairs (j - i >= --min-sep) are the contacts\n"
  "      --min-sep N          pairs with j - i >= N (default 6)\n"
  "      --penalty P          l1, l2 or elasticnet (default l1)\n"
  "      --C X                inverse regularization strength (default 0.15)\n"
  "      --l1-ratio R         elastic-net mixing, 0..1 (default 0.5)\n"
  "      --max-pairs-per-protein N  sample N pairs per protein (default 0: all)\n"
  "      --seed S             seed of that sample (default 1)\n"
  "      --tol X              relative optimality tolerance (default 1e-9; multinomial 1e-6)\n"
  "      --max-iter N         solver iterations (default 200; multinomial 1000)\n"
  "      --multinomial        token probe: --features f32 [T, D], --label u8 [L] classes\n"
  "      --classes K          number of classes (default: largest label + 1)\n"
  "predict:\n"
  "  -w, --weights FILE       a head written by lrfit train, or fair-esm's\n"
  "                           X-contact-regression.pt (over --features, default apc)\n"
  "      --name NAME          output tensor (default contacts; probes: probe)\n"
  "      --keep-features      pass the feature tensor on (default: consumed)\n"
  "  -o, --output FILE        write the stream to FILE (default: stdout, never a terminal)\n"
  "  -z, --compress N           zlib level of the output, 0 (default) to 9\n"
  "rank:\n"
  "  -w, --weights FILE       a contact head; prints LAYER:HEAD and weight, largest first\n"
  "      --heads N            heads per layer (default: the head file's 'heads')\n"
  "train, predict:\n"
  "      --progress           a progress line on stderr (records read) even when it is not\n"
  "                           a terminal\n"
  "      --quiet              no progress line (default when stderr is not a terminal)\n"
  "      --max-memory SIZE    most memory to hold (K, M, G; default: what is free at the start)\n"
  "                           a record that would need more is refused, naming it\n"
  "  -h, --help / -V, --version\n";

enum { O_FEATURES = 256, O_LABEL, O_MINSEP, O_PENALTY, O_C, O_L1RATIO, O_MAXPAIRS, O_SEED, O_TOL,
       O_MAXITER, O_MULTI, O_CLASSES, O_NAME, O_KEEP, O_HEADS, O_VERSION, O_LABELTOP, O_PROGRESS, O_QUIET };

static const struct option long_opts[] = {
  { "max-memory", 1, 0, PLM_OPT_MAX_MEMORY },
  { "output", 1, 0, 'o' }, { "weights", 1, 0, 'w' }, { "compress", 1, 0, 'z' }, { "help", 0, 0, 'h' },
  { "features", 1, 0, O_FEATURES }, { "label", 1, 0, O_LABEL }, { "min-sep", 1, 0, O_MINSEP },
  { "penalty", 1, 0, O_PENALTY }, { "C", 1, 0, O_C }, { "l1-ratio", 1, 0, O_L1RATIO },
  { "max-pairs-per-protein", 1, 0, O_MAXPAIRS }, { "seed", 1, 0, O_SEED }, { "tol", 1, 0, O_TOL },
  { "max-iter", 1, 0, O_MAXITER }, { "multinomial", 0, 0, O_MULTI }, { "classes", 1, 0, O_CLASSES },
  { "name", 1, 0, O_NAME }, { "keep-features", 0, 0, O_KEEP }, { "heads", 1, 0, O_HEADS }, { "version", 0, 0, O_VERSION },
  { "label-top", 1, 0, O_LABELTOP },
  { "progress", 0, 0, O_PROGRESS }, { "quiet", 0, 0, O_QUIET },
  { 0, 0, 0, 0 }
};

static int
parse_args(int argc, char **argv, opts *o, char *errbuf)
{
  int c, tol_set = 0, iter_set = 0, feat_set = 0, label_set = 0;

  memset(o, 0, sizeof *o);
  plm_logreg_DefaultOpts(&o->lr);
  o->features = "apc"; o->label = "contacts_true"; o->minsep = 6; o->seed = 1;
  o->progress = PLM_PROGRESS_AUTO;
  optind = 1;
  while ((c = getopt_long(argc, argv, "o:w:z:hV", long_opts, NULL)) != -1) {
    switch (c) {
    case 'o':        o->out = optarg; break;
    case 'w':        o->weights = optarg; break;
    case 'z':        o->zlevel = (int)plm_cli_Number(TOOL, "--compress", optarg, 0, 9); break;
    case O_FEATURES: o->features = optarg; feat_set = 1; break;
    case O_LABEL:    o->label = optarg; label_set = 1; break;
    case O_LABELTOP: o->label_top = plm_cli_Number(TOOL, "--label-top", optarg, 1e-6, 1e6); break;
    case O_MINSEP:   o->minsep = (int)plm_cli_Number(TOOL, "--min-sep", optarg, 1, 1e6); break;
    case O_PENALTY:
      if (plm_logreg_PenaltyFromName(optarg, &o->lr.penalty) != PLM_OK)
        return plm_Fail(errbuf, PLM_EINVAL, "--penalty: '%s' is not l1, l2 or elasticnet", optarg);
      break;
    case O_C:        o->lr.C = plm_cli_Number(TOOL, "--C", optarg, 1e-300, 1e300); break;
    case O_L1RATIO:  o->lr.l1_ratio = plm_cli_Number(TOOL, "--l1-ratio", optarg, 0, 1); break;
    case O_MAXPAIRS: o->maxpairs = (int64_t)plm_cli_Number(TOOL, "--max-pairs-per-protein", optarg, 0, 1e12); break;
    case O_SEED:     o->seed = (uint64_t)plm_cli_Number(TOOL, "--seed", optarg, 0, 1.8e19); break;
    case O_TOL:      o->lr.tol = plm_cli_Number(TOOL, "--tol", optarg, 0, 1); tol_set = 1; break;
    case O_MAXITER:  o->lr.max_iter = (int)plm_cli_Number(TOOL, "--max-iter", optarg, 1, 1e7); iter_set = 1; break;
    case O_MULTI:    o->multinomial = 1; break;
    case O_CLASSES:  o->classes = (int)plm_cli_Number(TOOL, "--classes", optarg, 2, 255); break;
    case O_NAME:     o->name = optarg; break;
    case O_KEEP:     o->keep_features = 1; break;
    case O_HEADS:    o->heads = (int)plm_cli_Number(TOOL, "--heads", optarg, 1, 1e6); break;
    case O_PROGRESS: o->progress = PLM_PROGRESS_ON; break;
    case O_QUIET:    o->progress = PLM_PROGRESS_OFF; break;
    case O_VERSION:
    case 'V':        plm_cli_Version(TOOL);
    case PLM_OPT_MAX_MEMORY: o->max_memory = plm_cli_Size(TOOL, "--max-memory", optarg); break;
    case 'h':        fputs(usage, stdout); exit(0);
    default:         return plm_Fail(errbuf, PLM_EINVAL, "unknown option");
    }
  }
  if (o->multinomial && !(feat_set && label_set))
    return plm_Fail(errbuf, PLM_EINVAL, "--multinomial needs --features and --label");
  if (o->multinomial && !tol_set)  o->lr.tol = 1e-6;    /* L-BFGS's relative gradient test */
  if (o->multinomial && !iter_set) o->lr.max_iter = 1000;
  o->files  = argv + optind;
  o->nfiles = argc - optind;
  return PLM_OK;
}

int
main(int argc, char **argv)
{
  char errbuf[PLM_ERRBUFSIZE];
  opts o;

  plm_cli_Init();
  if (argc < 2) plm_cli_Usage(TOOL, "a command is required: train, predict or rank");
  if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V")) plm_cli_Version(TOOL);
  if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) { fputs(usage, stdout); return 0; }
  if (strcmp(argv[1], "train") && strcmp(argv[1], "predict") && strcmp(argv[1], "rank"))
    plm_cli_Usage(TOOL, "unknown command '%s'", argv[1]);
  if (parse_args(argc - 1, argv + 1, &o, errbuf) != PLM_OK) plm_cli_Usage(TOOL, "%s", errbuf);
  o.cmd = argv[1];
  if (!strcmp(o.cmd, "train")) {
    if (!o.out) plm_cli_Usage(TOOL, "train needs -o HEAD.yaml");
    if (run_train(&o, errbuf) != PLM_OK) plm_cli_Die(TOOL, "%s", errbuf);
  } else {
    if (!o.weights) plm_cli_Usage(TOOL, "%s needs -w HEAD", o.cmd);
    if ((!strcmp(o.cmd, "rank") ? run_rank(&o, errbuf) : run_predict(&o, errbuf)) != PLM_OK) plm_cli_Die(TOOL, "%s", errbuf);
  }
  return 0;
}
