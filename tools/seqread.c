/* seqread.c: sequence files in, a plmscope record stream out.
 *
 *   seqread [options] [FILE...]      FILEs in order, stdin when none
 *
 * Reads FASTA, A2M, A3M, aligned FASTA, .aln and Stockholm, plain or gzipped
 * (formats/seqfile.h), checks every residue against the ESM alphabet and
 * writes one record per sequence; seqread(1) is the contract. Per record, in
 * this order: --shard, --ids, residue checks, --max-len, --empty, duplicate
 * ids, --first. On an error the stream is left without its end frame, so
 * downstream tools call it truncated while the records before it stay valid.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"
#include "error.h"
#include "idmap.h"
#include "record.h"
#include "seqfile.h"
#include "stream.h"

#define TOOL       "seqread"
#define IDLINE_MAX 4096

enum { ON_ERROR, ON_SKIP, ON_TRUNCATE, ON_RENAME };

typedef struct {
  plm_seqfmt  fmt;
  int         flags;        /* PLM_SEQ_* */
  int64_t     max_len;      /* 0: no limit */
  int         on_long, on_empty, on_dup;
  int64_t     shard_k, shard_n;   /* keep ordinal r when (r - 1) mod N == K - 1; N 0: all */
  int64_t     first;        /* INT64_MAX: all */
  const char *idsfile;
  int         zlevel;
  const char *output;       /* -o FILE; NULL: stdout */
  char      **files;
  int         nfiles;
} opts;

/* what lasts across input files */
typedef struct {
  const opts       *o;
  plm_streamwriter *w;
  plm_idmap        *wanted;    /* --ids, or NULL */
  plm_idmap        *seen;      /* id -> file number << 40 | record index, where first written */
  plm_idmap        *suffixes;  /* --duplicates rename: id -> next suffix to try */
  int64_t           nread;     /* records read from all files: the --shard ordinal */
  int64_t           nwritten;
  int               file;      /* number of the file being read */
} run;

static const char *usage_text =
  "Usage: seqread [options] [FILE...]\n"
  "Read sequences or alignments (FASTA, A2M, A3M, aligned FASTA, .aln, Stockholm;\n"
  "plain or gzipped) from FILEs or stdin and write a plmscope record stream to stdout.\n"
  "\n"
  "  -f, --format NAME     auto (default), fasta, a2m, a3m, afa, aln, stockholm,\n"
  "                        jsonl (annotations: \"id\" and \"primary\" of each line)\n"
  "  -u, --uppercase       accept lowercase FASTA residues, uppercased\n"
  "      --unknown-to-x    letters outside the ESM alphabet (J) become X\n"
  "      --chain-breaks    FASTA: keep '|' in the sequence, ESM C's chain-break token\n"
  "      --keep-gaps       keep gaps in the sequence; for an alignment the\n"
  "                        sequence is then its aligned row\n"
  "      --max-len N       sequences longer than N tokens are handled as --long says\n"
  "      --long MODE       error (default), truncate, or skip\n"
  "      --empty MODE      an empty sequence: error (default) or skip\n"
  "      --duplicates MODE a repeated id: error (default) or rename (id_2, id_3, ...)\n"
  "      --shard K/N       keep records K, K+N, K+2N, ... of all inputs (1 <= K <= N)\n"
  "      --first N         stop after writing N records\n"
  "      --ids FILE        keep only the ids listed in FILE (first word of each line)\n"
  "  -o, --output FILE     write the stream to FILE (default: stdout, never a terminal)\n"
  "  -z, --compress LEVEL  zlib level of the output stream, 0 (default) to 9\n"
  "  -h, --help            this help\n"
  "  -V, --version         the version\n"
  "\n"
  "Each record: id, seq, metadata description/source/index/format; from an alignment\n"
  "also the aligned row and the i32 tensor colmap. See seqread(1).\n";

/* ------------------------------------------------------------------ options */

static int64_t
parse_count(const char *s, const char *opt)
{
  char     *end;
  long long v = strtoll(s, &end, 10);
  if (end == s || *end || v < 1) plm_cli_Usage(TOOL, "%s wants a positive integer, not '%s'", opt, s);
  return v;
}

static int
parse_mode(const char *s, const char *opt, const char *const *names, const int *modes, int n)
{
  for (int i = 0; i < n; i++) if (strcmp(s, names[i]) == 0) return modes[i];
  plm_cli_Usage(TOOL, "%s: unknown mode '%s'", opt, s);
}

static void
parse_shard(opts *o, const char *arg)
{
  char     *end, *nstart = NULL;
  long long k = strtoll(arg, &end, 10), n = 0;

  if (end != arg && *end == '/') n = strtoll(nstart = end + 1, &end, 10);
  if (n < 1 || end == nstart || *end || k < 1 || k > n)
    plm_cli_Usage(TOOL, "--shard wants K/N with 1 <= K <= N, not '%s'", arg);
  o->shard_k = k;
  o->shard_n = n;
}

enum { OPT_UNKNOWN_X = 256, OPT_KEEP_GAPS, OPT_BREAKS, OPT_MAX_LEN, OPT_LONG, OPT_EMPTY, OPT_DUPS, OPT_SHARD, OPT_FIRST, OPT_IDS, OPT_VERSION };

static void
parse_args(int argc, char **argv, opts *o)
{
  static const struct option longopts[] = {
    { "format", required_argument, 0, 'f' },   { "uppercase", no_argument, 0, 'u' },
    { "unknown-to-x", no_argument, 0, OPT_UNKNOWN_X }, { "keep-gaps", no_argument, 0, OPT_KEEP_GAPS },
    { "chain-breaks", no_argument, 0, OPT_BREAKS },
    { "max-len", required_argument, 0, OPT_MAX_LEN },  { "long", required_argument, 0, OPT_LONG },
    { "empty", required_argument, 0, OPT_EMPTY },      { "duplicates", required_argument, 0, OPT_DUPS },
    { "shard", required_argument, 0, OPT_SHARD },      { "first", required_argument, 0, OPT_FIRST },
    { "ids", required_argument, 0, OPT_IDS },          { "compress", required_argument, 0, 'z' },
    { "output", required_argument, 0, 'o' },
    { "help", no_argument, 0, 'h' },                   { "version", no_argument, 0, OPT_VERSION },
    { 0, 0, 0, 0 }
  };
  static const char *const long_names[]  = { "error", "truncate", "skip" };
  static const char *const empty_names[] = { "error", "skip" };
  static const char *const dup_names[]   = { "error", "rename" };
  static const int long_modes[]  = { ON_ERROR, ON_TRUNCATE, ON_SKIP };
  static const int empty_modes[] = { ON_ERROR, ON_SKIP };
  static const int dup_modes[]   = { ON_ERROR, ON_RENAME };
  int c;

  memset(o, 0, sizeof *o);
  o->first = INT64_MAX;
  opterr   = 0;
  while ((c = getopt_long(argc, argv, "f:uo:z:hV", longopts, NULL)) != -1) {
    switch (c) {
    case 'f':
      if (plm_seqfmt_FromName(optarg, &o->fmt) != PLM_OK) plm_cli_Usage(TOOL, "unknown format '%s'", optarg);
      break;
    case 'u':           o->flags |= PLM_SEQ_UPPERCASE;    break;
    case OPT_UNKNOWN_X: o->flags |= PLM_SEQ_UNKNOWN_TO_X; break;
    case OPT_KEEP_GAPS: o->flags |= PLM_SEQ_KEEP_GAPS;    break;
    case OPT_BREAKS:    o->flags |= PLM_SEQ_CHAIN_BREAKS; break;
    case OPT_MAX_LEN:   o->max_len = parse_count(optarg, "--max-len"); break;
    case OPT_LONG:      o->on_long  = parse_mode(optarg, "--long", long_names, long_modes, 3); break;
    case OPT_EMPTY:     o->on_empty = parse_mode(optarg, "--empty", empty_names, empty_modes, 2); break;
    case OPT_DUPS:      o->on_dup   = parse_mode(optarg, "--duplicates", dup_names, dup_modes, 2); break;
    case OPT_SHARD:     parse_shard(o, optarg); break;
    case OPT_FIRST:     o->first = parse_count(optarg, "--first"); break;
    case OPT_IDS:       o->idsfile = optarg; break;
    case 'o': o->output = optarg; break;
    case 'z':
      if (optarg[0] < '0' || optarg[0] > '9' || optarg[1]) plm_cli_Usage(TOOL, "--compress wants a level 0 to 9, not '%s'", optarg);
      o->zlevel = optarg[0] - '0';
      break;
    case 'h':           fputs(usage_text, stdout); exit(0);
    case OPT_VERSION:
    case 'V':           plm_cli_Version(TOOL);
    default:            plm_cli_Usage(TOOL, "unknown option, or one missing its argument: '%s'", argv[optind - 1]);
    }
  }
  o->files  = argv + optind;
  o->nfiles = argc - optind;
}

/* ------------------------------------------------------------------ ids */

/* --ids FILE: the first word of each line */
static int
load_ids(const char *path, plm_idmap **ret_ids, char *errbuf)
{
  plm_idmap *ids = NULL;
  FILE      *fp  = NULL;
  char       line[IDLINE_MAX + 2], *s, *e;
  long long  n = 0;
  int        status;

  *ret_ids = NULL;
  if ((fp = fopen(path, "r")) == NULL) PLM_XFAIL(PLM_EIO, errbuf, "%s: cannot open: %s", path, strerror(errno));
  PLM_XCHECK(plm_idmap_Create(&ids, errbuf));
  while (fgets(line, sizeof line, fp)) {
    n++;
    if (strlen(line) > IDLINE_MAX && line[IDLINE_MAX] != '\n')
      PLM_XFAIL(PLM_ELIMIT, errbuf, "%s: line %lld is longer than %d bytes", path, n, IDLINE_MAX);
    for (s = line; *s == ' ' || *s == '\t'; s++) ;
    for (e = s; *e && !strchr(" \t\r\n", *e); e++) ;
    *e = '\0';
    if (*s) PLM_XCHECK(plm_idmap_Put(ids, s, 0, errbuf));
  }
  if (ferror(fp)) PLM_XFAIL(PLM_EIO, errbuf, "%s: read error: %s", path, strerror(errno));
  fclose(fp);
  *ret_ids = ids;
  return PLM_OK;

ERROR:
  if (fp) fclose(fp);
  plm_idmap_Destroy(ids);
  return status;
}

/* file number i as messages name it */
static const char *
display_name(const run *R, int i)
{
  const char *f = R->o->nfiles ? R->o->files[i] : "-";
  return plm_cli_InputName(f);
}

/* a repeated id: an error naming both records, or the next free "id_K" */
static int
claim_id(run *R, plm_record *rec, const plm_seq *sq, char *errbuf)
{
  char   *name = NULL;
  int64_t first, k = 2;
  int     status;

  if (plm_idmap_Get(R->seen, rec->id, &first) != PLM_OK)
    return plm_idmap_Put(R->seen, rec->id, (int64_t)R->file << 40 | sq->index, errbuf);
  if (R->o->on_dup == ON_ERROR)
    return plm_seq_Fail(sq, errbuf, PLM_EFORMAT, "duplicate id, first seen in record %lld of %s (--duplicates rename renames it)",
                        (long long)(first & ((INT64_C(1) << 40) - 1)), display_name(R, (int)(first >> 40)));

  plm_idmap_Get(R->suffixes, rec->id, &k);
  if ((name = malloc(strlen(rec->id) + 24)) == NULL) PLM_XFAIL(PLM_EMEM, errbuf, "out of memory");
  do sprintf(name, "%s_%lld", rec->id, (long long)k++); while (plm_idmap_Get(R->seen, name, NULL) == PLM_OK);
  PLM_XCHECK(plm_idmap_Put(R->suffixes, rec->id, k, errbuf));
  PLM_XCHECK(plm_idmap_Put(R->seen, name, (int64_t)R->file << 40 | sq->index, errbuf));
  free(rec->id);
  rec->id = name;
  return PLM_OK;

ERROR:
  free(name);
  return status;
}

/* ------------------------------------------------------------------ records */

/* does the record survive --shard and --ids? */
static int
wanted(run *R, const plm_seq *sq)
{
  const opts *o = R->o;
  int64_t     r = ++R->nread;
  if (o->shard_n && (r - 1) % o->shard_n != o->shard_k - 1) return 0;
  return !R->wanted || plm_idmap_Get(R->wanted, sq->id, NULL) == PLM_OK;
}

/* one record read to one record written, or dropped (*ret_rec NULL) */
static int
convert(run *R, const plm_seq *sq, plm_record **ret_rec, char *errbuf)
{
  const opts *o   = R->o;
  plm_record *rec = NULL;
  int64_t     len;
  int         too_long, status;

  *ret_rec = NULL;
  PLM_XCHECK(plm_seq_ToRecord(sq, o->flags, o->on_long == ON_TRUNCATE ? o->max_len : 0, &rec, &len, errbuf));
  too_long = o->max_len && len > o->max_len && o->on_long != ON_TRUNCATE;
  if (too_long && o->on_long == ON_ERROR) {
    status = plm_seq_Fail(sq, errbuf, PLM_ELIMIT, "%lld residues, more than --max-len %lld", (long long)len, (long long)o->max_len);
    goto ERROR;
  }
  if (len == 0 && o->on_empty == ON_ERROR) {
    status = plm_seq_Fail(sq, errbuf, PLM_EFORMAT, "empty sequence (--empty skip drops it)");
    goto ERROR;
  }
  if (too_long || len == 0) { plm_record_Destroy(rec); return PLM_OK; }
  PLM_XCHECK(claim_id(R, rec, sq, errbuf));
  *ret_rec = rec;
  return PLM_OK;

ERROR:
  plm_record_Destroy(rec);
  return status;
}

/* every record of one file, until --first is satisfied */
static int
read_file(run *R, const char *path, char *errbuf)
{
  plm_seqfile   *sf  = NULL;
  plm_record    *rec = NULL;
  const plm_seq *sq;
  int            status = PLM_EOF;

  PLM_XCHECK(plm_seqfile_Open(path, R->o->fmt, &sf, errbuf));
  while (R->nwritten < R->o->first && (status = plm_seqfile_Read(sf, &sq, errbuf)) == PLM_OK) {
    if (!wanted(R, sq)) continue;
    PLM_XCHECK(convert(R, sq, &rec, errbuf));
    if (!rec) continue;
    PLM_XCHECK(plm_stream_Write(R->w, rec, errbuf));
    plm_record_Destroy(rec);
    rec = NULL;
    R->nwritten++;
  }
  if (status != PLM_OK && status != PLM_EOF) goto ERROR;
  plm_seqfile_Close(sf);
  return PLM_OK;

ERROR:
  plm_record_Destroy(rec);
  plm_seqfile_Close(sf);
  return status;
}

/* ------------------------------------------------------------------ main */

int
main(int argc, char **argv)
{
  static char *stdin_only[] = { "-" };
  char         errbuf[PLM_ERRBUFSIZE];
  opts         o;
  run          R = { 0 };
  char       **files;
  int          nfiles;

  plm_cli_Init();
  parse_args(argc, argv, &o);
  files  = o.nfiles ? o.files : stdin_only;
  nfiles = o.nfiles ? o.nfiles : 1;
  R.o    = &o;
  if (o.idsfile && load_ids(o.idsfile, &R.wanted, errbuf) != PLM_OK) plm_cli_Die(TOOL, "%s", errbuf);
  /* every input must open before a byte of the stream is written */
  for (int f = 0; f < nfiles; f++) {
    FILE *fp;
    if (strcmp(files[f], "-") == 0) continue;
    if ((fp = fopen(files[f], "rb")) == NULL) plm_cli_Die(TOOL, "%s: cannot open: %s", files[f], strerror(errno));
    fclose(fp);
  }
  if (plm_idmap_Create(&R.seen, errbuf) != PLM_OK || plm_idmap_Create(&R.suffixes, errbuf) != PLM_OK ||
      plm_stream_OpenWrite(o.output ? o.output : "-", o.zlevel, &R.w, errbuf) != PLM_OK)
    plm_cli_Die(TOOL, "%s", errbuf);

  for (R.file = 0; R.file < nfiles && R.nwritten < o.first; R.file++)
    if (read_file(&R, files[R.file], errbuf) != PLM_OK) plm_cli_Die(TOOL, "%s", errbuf);   /* no end frame: truncated */
  if (plm_stream_CloseWrite(R.w, errbuf) != PLM_OK) plm_cli_Die(TOOL, "%s", errbuf);

  plm_idmap_Destroy(R.wanted);
  plm_idmap_Destroy(R.seen);
  plm_idmap_Destroy(R.suffixes);
  return 0;
}
