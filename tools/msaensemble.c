/* msaensemble.c: average the contact maps of an alignment's sequences on its columns.
 *
 *   seqread aln.a3m | attn -m M.pt --contacts | msaensemble [options] [STREAM] > query.tsr
 *   msaensemble -o queries.tsr [--resume] fam1.tsr fam2.tsr ...   (one alignment per STREAM)
 *
 * Rao et al. 2021 (§5.2) ensemble over an MSA: each record of one alignment
 * (gaps removed, as seqread writes it) carries its own map over its residues;
 * the map is moved onto alignment columns through the record's colmap
 * (inserted residues, colmap -1, have no column and are left out), summed per
 * column pair, and the mean over the records that cover both columns is read
 * back on the query's residues. The output is the query record alone with
 * the map replaced by the mean, the i32 tensor "ensemble_count" and the
 * metadata "ensemble_n"; one such record per STREAM, in order, and -o FILE --resume keeps the
 * families a cut run finished (libcore/app/resume.h). Conventions in man/man1/msaensemble.1.
 *
 *   member_Check()     one record's map and column map, validated
 *   ensemble_Add()     a member's map onto the column-pair sums
 *   ensemble_Project() the means on the query's residues
 *   family(), main()
 */
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"
#include "error.h"
#include "membudget.h"
#include "progress.h"
#include "record.h"
#include "resume.h"
#include "stream.h"

#define TOOL     "msaensemble"
#define MAXCOLS  32768          /* C x C sums and counts: 12 GiB at this width */
#define COUNTNAME "ensemble_count"

typedef struct {
  const char *tensor, *query, *output;
  int64_t     maxseqs;           /* INT64_MAX: all */
  size_t      max_memory;   /* --max-memory, bytes (0: membudget.h's default) */
  int         resume, progress;  /* --resume; PLM_PROGRESS_AUTO, _ON (--progress), _OFF (--quiet) */
} opts;

/* column-pair sums over the members so far; sized by the first member */
typedef struct {
  int64_t  C;                    /* alignment columns */
  double  *sum;                  /* C x C */
  int32_t *cnt;                  /* C x C: members holding both columns */
  int64_t  n;                    /* members added */
} ensemble;

/* rec's map (f32 [L, L]) and colmap (i32 [L], each -1 or a column < C), or why not */
static int
member_Check(const plm_record *rec, const char *name, int64_t C, const float **ret_map,
             const int32_t **ret_col, int64_t *ret_L, char *errbuf)
{
  const plm_tensor *t = plm_record_GetTensor(rec, name), *cm = plm_record_GetTensor(rec, "colmap");
  int64_t           L;

  if (!t)  return plm_Fail(errbuf, PLM_ENOTFOUND, "no tensor \"%s\"", name);
  if (!cm) return plm_Fail(errbuf, PLM_ENOTFOUND, "no colmap: not read from an alignment by seqread(1)");
  if (!rec->aligned) return plm_Fail(errbuf, PLM_EFORMAT, "no aligned row: not read from an alignment by seqread(1)");
  if ((int64_t)strlen(rec->aligned) != C)
    return plm_Fail(errbuf, PLM_EFORMAT, "aligned row has %lld columns, the first record's %lld: not one alignment",
                    (long long)strlen(rec->aligned), (long long)C);
  L = t->rank == 2 ? t->shape[0] : -1;
  if (t->dtype != PLM_F32 || t->rank != 2 || t->shape[1] != L)
    return plm_Fail(errbuf, PLM_EFORMAT, "\"%s\" must be f32 [L, L]", name);
  if (cm->dtype != PLM_I32 || cm->rank != 1 || cm->shape[0] != L)
    return plm_Fail(errbuf, PLM_EFORMAT, "colmap must be i32 [%lld] like \"%s\"", (long long)L, name);
  for (int64_t i = 0; i < L; i++) {
    int32_t c = ((const int32_t *)cm->data)[i];
    if (c < -1 || c >= C)
      return plm_Fail(errbuf, PLM_EFORMAT, "colmap[%lld] = %d is outside the alignment's %lld columns",
                      (long long)i, c, (long long)C);
  }
  *ret_map = t->data;
  *ret_col = cm->data;
  *ret_L   = L;
  return PLM_OK;
}

static int
ensemble_Create(int64_t C, ensemble *e, char *errbuf)
{
  e->C = C;
  e->n = 0;
  e->sum = NULL;
  e->cnt = NULL;
  if (C < 1 || C > MAXCOLS) return plm_Fail(errbuf, PLM_ELIMIT, "%lld alignment columns: 1 to %d supported", (long long)C, MAXCOLS);
  e->sum = calloc((size_t)(C * C), sizeof *e->sum);
  e->cnt = calloc((size_t)(C * C), sizeof *e->cnt);
  if (!e->sum || !e->cnt) return plm_Fail(errbuf, PLM_EMEM, "out of memory for %lld x %lld column pairs", (long long)C, (long long)C);
  return PLM_OK;
}

static void
ensemble_Destroy(ensemble *e)
{
  free(e->sum);
  free(e->cnt);
}

static int
ensemble_Add(ensemble *e, const plm_record *rec, const char *name, char *errbuf)
{
  const float   *map;
  const int32_t *col;
  int64_t        L;
  int            status;

  if (!e->sum && rec->aligned && (status = ensemble_Create((int64_t)strlen(rec->aligned), e, errbuf)) != PLM_OK) return status;
  if ((status = member_Check(rec, name, e->C, &map, &col, &L, errbuf)) != PLM_OK) return status;
  for (int64_t i = 0; i < L; i++) {
    if (col[i] < 0) continue;
    for (int64_t j = 0; j < L; j++) {
      if (col[j] < 0) continue;
      e->sum[col[i] * e->C + col[j]] += map[i * L + j];
      e->cnt[col[i] * e->C + col[j]]++;
    }
  }
  e->n++;
  return PLM_OK;
}

/* the means and counts on the query's residues replace its map; an inserted
 * query residue has no column, so its row and column are 0 with count 0 */
static int
ensemble_Project(const ensemble *e, plm_record *query, const char *name, char *errbuf)
{
  const float   *map;
  const int32_t *col;
  plm_tensor    *mean = NULL, *count = NULL;
  int64_t        L, shape[2];
  char           n[32];
  int            status;

  PLM_XCHECK(member_Check(query, name, e->C, &map, &col, &L, errbuf));
  shape[0] = shape[1] = L;
  PLM_XCHECK(plm_tensor_Create(name, PLM_F32, 2, shape, &mean, errbuf));
  PLM_XCHECK(plm_tensor_Create(COUNTNAME, PLM_I32, 2, shape, &count, errbuf));
  for (int64_t i = 0; i < L; i++)
    for (int64_t j = 0; j < L; j++) {
      if (col[i] < 0 || col[j] < 0) continue;
      int64_t cell = col[i] * e->C + col[j];
      ((float *)mean->data)[i * L + j]    = (float)(e->sum[cell] / e->cnt[cell]);
      ((int32_t *)count->data)[i * L + j] = e->cnt[cell];
    }
  PLM_XCHECK(plm_record_AddTensor(query, mean, errbuf));
  mean = NULL;
  PLM_XCHECK(plm_record_AddTensor(query, count, errbuf));
  count = NULL;
  snprintf(n, sizeof n, "%lld", (long long)e->n);
  PLM_XCHECK(plm_record_SetMeta(query, "ensemble_n", n, errbuf));
  return PLM_OK;

ERROR:
  plm_tensor_Destroy(mean);
  plm_tensor_Destroy(count);
  return status;
}

/* one alignment: read up to --max-seqs members, keep the query, write it with the ensemble map,
 * unless a resumed run kept it (known from its first record, or the --query one once met);
 * *ret_n the members read */
static int
family(const opts *o, const char *input, plm_resume *rs, plm_streamwriter *w, long long *ret_n, char *errbuf)
{
  plm_streamreader *rd = NULL;
  plm_record       *rec = NULL, *query = NULL;
  ensemble          e = { 0 };
  int64_t           nrec = 0;
  int               skip = 0, status;

  PLM_XCHECK(plm_stream_OpenRead(input, &rd, errbuf));
  plm_stream_SetMaxMemory(rd, o->max_memory);
  while (nrec < o->maxseqs && (status = plm_stream_Read(rd, &rec, errbuf)) == PLM_OK) {
    nrec++;
    if ((status = ensemble_Add(&e, rec, o->tensor, errbuf)) != PLM_OK) {
      char cause[PLM_ERRBUFSIZE];
      snprintf(cause, sizeof cause, "%s", errbuf);
      PLM_XFAIL(status, errbuf, "%s: record %lld (\"%.120s\"): %.300s", plm_cli_InputName(input), (long long)nrec, rec->id, cause);
    }
    if (!query && (!o->query || strcmp(rec->id, o->query) == 0)) {
      query = rec;
      rec   = NULL;
      PLM_XCHECK(plm_resume_Skip(rs, plm_cli_InputName(input), nrec, query->id, &skip, errbuf));
      if (skip) goto ERROR;                 /* status PLM_OK: done in the cut run */
    } else plm_record_Destroy(rec);
    rec = NULL;
  }
  if (nrec < o->maxseqs && status != PLM_EOF) goto ERROR;
  if (nrec == 0) PLM_XFAIL(PLM_EFORMAT, errbuf, "%s: no records", plm_cli_InputName(input));
  if (!query) PLM_XFAIL(PLM_ENOTFOUND, errbuf, "%s: query \"%s\" is not among the %lld records read", plm_cli_InputName(input), o->query, (long long)nrec);
  PLM_XCHECK(ensemble_Project(&e, query, o->tensor, errbuf));
  status = plm_stream_Write(w, query, errbuf);

ERROR:
  *ret_n = nrec;
  if (rd) plm_stream_CloseRead(rd);
  plm_record_Destroy(rec);
  plm_record_Destroy(query);
  ensemble_Destroy(&e);
  return status;
}

static const char usage[] =
  "Usage: msaensemble [options] [STREAM...] > query.tsr\n"
  "Average the contact maps of the records of one alignment (seqread | attn --contacts) on\n"
  "the alignment's columns and write the query record with the mean map on its residues,\n"
  "the i32 tensor ensemble_count and the metadata ensemble_n (see msaensemble(1)). Each\n"
  "STREAM (stdin if none) is one alignment; one record each, in order.\n"
  "\n"
  "  -q, --query ID       the output frame (default: the first record)\n"
  "      --max-seqs N     use only the first N records (default: all)\n"
  "  -t, --tensor NAME    the f32 [L, L] map to average (default contacts)\n"
  "  -o, --output FILE    the record stream (default: stdout)\n"
  "      --max-memory SIZE\n"
  "                       most memory to hold (K, M, G; default: what is free at the start)\n"
  "                       a record that would need more is refused, naming it\n"
  "      --resume         with -o: keep the families a cut run finished (their query ids\n"
  "                       must match), do the rest\n"
  "      --progress       a progress line on stderr even when it is not a terminal\n"
  "      --quiet          no progress line (default when stderr is not a terminal)\n"
  "  -h, --help           this text;  -V, --version\n";

int
main(int argc, char **argv)
{
  static const struct option lo[] = {
    { "query", 1, 0, 'q' }, { "max-seqs", 1, 0, 'n' }, { "tensor", 1, 0, 't' }, { "output", 1, 0, 'o' },
    { "max-memory", 1, 0, PLM_OPT_MAX_MEMORY },
    { "help", 0, 0, 'h' }, { "version", 0, 0, 'V' },
    { "resume", 0, 0, 'R' }, { "progress", 0, 0, 'P' }, { "quiet", 0, 0, 'Q' }, { 0, 0, 0, 0 }
  };
  opts              o = { .tensor = "contacts", .maxseqs = INT64_MAX, .progress = PLM_PROGRESS_AUTO };
  static char      *stdin_only[] = { "-" };
  char              errbuf[PLM_ERRBUFSIZE], *end, **inputs;
  int               c, ninputs, status = PLM_OK;
  plm_resume       *rs;
  plm_streamwriter *w;
  plm_progress     *prog;
  long long         total = 0, before = 0, nmembers = 0, n;

  plm_cli_Init();
  opterr = 0;
  while ((c = getopt_long(argc, argv, "q:t:o:hV", lo, NULL)) != -1) {
    switch (c) {
    case 'q': o.query = optarg; break;
    case 'n':
      o.maxseqs = strtoll(optarg, &end, 10);
      if (end == optarg || *end || o.maxseqs < 1) plm_cli_Usage(TOOL, "--max-seqs: '%s' is not a count >= 1", optarg);
      break;
    case 't': o.tensor = optarg; break;
    case 'o': o.output = optarg; break;
    case PLM_OPT_MAX_MEMORY: o.max_memory = plm_cli_Size(TOOL, "--max-memory", optarg); break;
    case 'R': o.resume = 1; break;
    case 'P': o.progress = PLM_PROGRESS_ON; break;
    case 'Q': o.progress = PLM_PROGRESS_OFF; break;
    case 'h': fputs(usage, stdout); return 0;
    case 'V': plm_cli_Version(TOOL);
    default:  plm_cli_Usage(TOOL, "unknown option, or one missing its argument: '%s'", argv[optind - 1]);
    }
  }
  inputs  = optind < argc ? argv + optind : stdin_only;
  ninputs = optind < argc ? argc - optind : 1;
  if (strcmp(o.tensor, COUNTNAME) == 0 || strcmp(o.tensor, "colmap") == 0)
    plm_cli_Usage(TOOL, "--tensor: '%s' is not a map to average", o.tensor);
  if (o.resume && (!o.output || !strcmp(o.output, "-"))) plm_cli_Usage(TOOL, "--resume needs -o FILE, the output a cut run left");
  /* members are records, families the output's units: the line counts members */
  if (plm_resume_OpenStream(TOOL, o.output, 6, o.resume, NULL, NULL, &rs, &w, errbuf) != PLM_OK) plm_cli_Die(TOOL, "%s", errbuf);
  for (int f = 0; f < ninputs; f++) total += plm_progress_FileSize(inputs[f]);
  prog = plm_progress_Create(TOOL, o.progress, total);
  for (int f = 0; f < ninputs && status == PLM_OK; f++) {
    status = family(&o, inputs[f], rs, w, &n, errbuf);
    nmembers += n;
    before   += plm_progress_FileSize(inputs[f]);
    plm_progress_Update(prog, nmembers, 0, total ? before : -1);
    plm_progress_Note(prog, "%d of %d alignments", f + 1, ninputs);
  }
  plm_progress_Finish(prog);
  if (status == PLM_OK) status = plm_resume_Finish(rs, errbuf);
  else plm_resume_Abort(rs);
  if (status != PLM_OK) { plm_stream_AbortWrite(w); plm_cli_Die(TOOL, "%s", errbuf); }
  if (plm_stream_CloseWrite(w, errbuf) != PLM_OK) plm_cli_Die(TOOL, "%s", errbuf);
  return 0;
}
