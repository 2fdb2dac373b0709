/* seqfile.c: protein sequences and alignments in (see seqfile.h).
 *
 * Contents: growable buffers; the byte and line layer over zlib; sniffing;
 * the readers (FASTA family, .aln, Stockholm) and their column check; the
 * conversion of one row into a stream record; format names.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>
#include "error.h"
#include "alphabet.h"
#include "growbuf.h"
#include "stream.h"
#include "idmap.h"
#include "jsonread.h"
#include "seqfile.h"

#define CHUNK         (1 << 16)   /* bytes per read after the sniff window */
#define ROW_OVERHEAD  64      /* bytes charged per Stockholm row besides its name and text */
#define MASK          "<mask>"
#define MASKLEN       6

static const char *fmt_names[] = { "auto", "fasta", "a2m", "a3m", "afa", "aln", "stockholm", "jsonl" };

/* a format of plain sequences, no alignment columns */
static int plain(plm_seqfmt f) { return f == PLM_SEQFMT_FASTA || f == PLM_SEQFMT_JSONL; }

/* ===================================================================== buffers */

/* bytes with a NUL after them */
typedef struct { char *s; int64_t n, cap; } dbuf;

/* room for n bytes and the NUL, never past limit bytes: PLM_OK, PLM_ELIMIT or PLM_EMEM */
static int
dbuf_Reserve(dbuf *b, int64_t n, int64_t limit)
{
  char   *s;
  int64_t cap;

  if (n > limit) return PLM_ELIMIT;
  if (n + 1 <= b->cap) return PLM_OK;
  cap = b->cap ? b->cap : 256;
  while (cap < n + 1) cap *= 2;
  if (cap > limit + 1) cap = limit + 1;
  if ((s = realloc(b->s, (size_t)cap)) == NULL) return PLM_EMEM;
  b->s   = s;
  b->cap = cap;
  return PLM_OK;
}

static int
dbuf_Append(dbuf *b, const void *p, int64_t n, int64_t limit)
{
  int status = dbuf_Reserve(b, b->n + n, limit);
  if (status != PLM_OK) return status;
  memcpy(b->s + b->n, p, (size_t)n);
  b->n += n;
  b->s[b->n] = '\0';
  return PLM_OK;
}

static int dbuf_Set(dbuf *b, const char *s, int64_t n) { b->n = 0; return dbuf_Append(b, s, n, INT64_MAX / 2); }

/* ===================================================================== the reader */

typedef struct { char *name; dbuf text; int64_t line; } sto_row;

/* a whole Stockholm alignment, handed out row by row */
typedef struct {
  sto_row   *rows;
  size_t     cap;
  int64_t    n, next;
  int64_t    bytes;        /* charged against maxaln */
  plm_idmap *byname;
  int        inserts;
} sto_aln;

struct plm_seqfile {
  gzFile         gz;
  char          *name;     /* for messages: the path, or "stdin" */
  char          *stem;     /* file name less directory and extension: generated ids */
  plm_seqfmt     fmt;
  int64_t        maxlen, maxaln;
  unsigned char *buf;      /* decompressed bytes, PLM_SEQFILE_SNIFF of room */
  size_t         bufn, bufpos;
  int            at_eof;
  dbuf           line;     /* current line, without newline or '\r' */
  int64_t        lineno;
  int            pushed;   /* line holds the next record's header, already read */
  dbuf           id, desc, text;
  plm_seq        sq;
  int64_t        nrec;
  int64_t        ncols;    /* columns of the current alignment; -1 before its first row */
  int64_t        ncols_rec;/* the record that set ncols */
  sto_aln        sto;
};

static int oom(char *errbuf) { return plm_Fail(errbuf, PLM_EMEM, "out of memory"); }

/* the C locale's classes, whatever locale a program linking us has set */
static int is_space(int c)  { return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f'; }
static int is_upper(int c)  { return c >= 'A' && c <= 'Z'; }
static int is_lower(int c)  { return c >= 'a' && c <= 'z'; }

static int
is_blank(const char *s)
{
  for (; *s; s++) if (!is_space((unsigned char)*s)) return 0;
  return 1;
}

/* cut s into at most max whitespace-separated fields, in place; returns how many */
static int
split_fields(char *s, char **f, int max)
{
  int n = 0;
  while (n < max) {
    while (is_space((unsigned char)*s)) s++;
    if (!*s) break;
    f[n++] = s;
    while (*s && !is_space((unsigned char)*s)) s++;
    if (*s) *s++ = '\0';
  }
  return n;
}

/* zlib's message for the last error, less the "<fd:N>: " it puts first */
static const char *
gz_message(gzFile gz)
{
  int         zerr;
  const char *msg = gzerror(gz, &zerr), *p = strstr(msg, ">: ");
  if (zerr == Z_ERRNO) return strerror(errno);
  return p ? p + 3 : msg;
}

/* refill buf with up to want bytes; a short read means end of input */
static int
fill(plm_seqfile *sf, unsigned want, char *errbuf)
{
  int n = gzread(sf->gz, sf->buf, want), zerr;

  if (n < 0) return plm_Fail(errbuf, PLM_EIO, "%s: read error at line %lld: %s", sf->name, (long long)sf->lineno + 1, gz_message(sf->gz));
  sf->bufn   = (size_t)n;
  sf->bufpos = 0;
  if ((unsigned)n < want) {
    sf->at_eof = 1;
    gzerror(sf->gz, &zerr);
    if (zerr == Z_BUF_ERROR) return plm_Fail(errbuf, PLM_EFORMAT, "%s: truncated gzip data", sf->name);
    if (zerr != Z_OK)        return plm_Fail(errbuf, PLM_EIO, "%s: %s", sf->name, gz_message(sf->gz));
  }
  return PLM_OK;
}

/* the next line into sf->line: PLM_OK, PLM_EOF, or an error */
static int
next_line(plm_seqfile *sf, char *errbuf)
{
  int got = 0, status;

  if (sf->pushed) { sf->pushed = 0; return PLM_OK; }
  sf->line.n = 0;
  for (;;) {
    if (sf->bufpos == sf->bufn) {
      if (sf->at_eof) break;
      if ((status = fill(sf, CHUNK, errbuf)) != PLM_OK) return status;
      continue;
    }
    unsigned char *p   = sf->buf + sf->bufpos;
    unsigned char *nl  = memchr(p, '\n', sf->bufn - sf->bufpos);
    size_t         len = nl ? (size_t)(nl - p) : sf->bufn - sf->bufpos;

    got = 1;
    if ((status = dbuf_Append(&sf->line, p, (int64_t)len, sf->maxlen)) == PLM_ELIMIT)
      return plm_Fail(errbuf, status, "%s: line %lld is longer than %lld bytes", sf->name, (long long)sf->lineno + 1, (long long)sf->maxlen);
    if (status != PLM_OK) return oom(errbuf);
    sf->bufpos += len + (nl != NULL);
    if (nl) break;
  }
  if (!got) return PLM_EOF;
  sf->lineno++;
  if ((int64_t)strlen(sf->line.s) != sf->line.n)
    return plm_Fail(errbuf, PLM_EFORMAT, "%s: line %lld: NUL byte: not a text file", sf->name, (long long)sf->lineno);
  if (sf->line.n && sf->line.s[sf->line.n - 1] == '\r') sf->line.s[--sf->line.n] = '\0';
  return PLM_OK;
}

/* ------------------------------------------------------------ residues and columns */

enum { U_RESIDUE, U_INSERT, U_GAP, U_INSGAP, U_BAD };

/* what the character (or "<mask>") at s is; *ret_len: its bytes */
static int
unit_at(const char *s, int64_t n, int inserts, int *ret_len)
{
  *ret_len = 1;
  if (n >= MASKLEN && memcmp(s, MASK, MASKLEN) == 0) { *ret_len = MASKLEN; return U_RESIDUE; }
  if (is_upper((unsigned char)*s)) return U_RESIDUE;
  if (is_lower((unsigned char)*s)) return inserts ? U_INSERT : U_RESIDUE;
  if (*s == '-')                   return U_GAP;
  if (*s == '.')                   return inserts ? U_INSGAP : U_GAP;
  return U_BAD;
}

/* alignment columns of a row; a bad character counts as one, to be reported with its position later */
static int64_t
count_columns(const char *text, int64_t len, int inserts)
{
  int64_t ncols = 0;
  int     ulen, kind;
  for (int64_t i = 0; i < len; i += ulen) {
    kind = unit_at(text + i, len - i, inserts, &ulen);
    if (kind != U_INSERT && kind != U_INSGAP) ncols++;
  }
  return ncols;
}

static int
check_columns(plm_seqfile *sf, char *errbuf)
{
  int64_t ncols;

  if (plain(sf->sq.fmt)) return PLM_OK;
  ncols = count_columns(sf->sq.text, sf->sq.len, sf->sq.inserts);
  if (sf->ncols < 0) { sf->ncols = ncols; sf->ncols_rec = sf->sq.index; return PLM_OK; }
  if (ncols != sf->ncols)
    return plm_seq_Fail(&sf->sq, errbuf, PLM_EFORMAT, "line %lld: %lld alignment columns, but record %lld has %lld",
                        (long long)sf->sq.line, (long long)ncols, (long long)sf->ncols_rec, (long long)sf->ncols);
  return PLM_OK;
}

/* ------------------------------------------------------------ records */

/* set up sq for the record whose id and desc are in place, so errors in its body can name it */
static int
begin_record(plm_seqfile *sf, int64_t line, char *errbuf)
{
  if (sf->id.n == 0) {
    char gen[64];
    int  n = snprintf(gen, sizeof gen, "_%lld", (long long)sf->nrec + 1);
    if (dbuf_Set(&sf->id, sf->stem, (int64_t)strlen(sf->stem)) != PLM_OK ||
        dbuf_Append(&sf->id, gen, n, INT64_MAX / 2) != PLM_OK) return oom(errbuf);
  }
  sf->sq.source  = sf->name;
  sf->sq.id      = sf->id.s;
  sf->sq.desc    = sf->desc.s;
  sf->sq.text    = "";
  sf->sq.len     = 0;
  sf->sq.index   = sf->nrec + 1;
  sf->sq.line    = line;
  sf->sq.fmt     = sf->fmt;
  sf->sq.inserts = sf->fmt == PLM_SEQFMT_A2M || sf->fmt == PLM_SEQFMT_A3M ||
                   (sf->fmt == PLM_SEQFMT_STOCKHOLM && sf->sto.inserts);
  return PLM_OK;
}

static int
finish_record(plm_seqfile *sf, const char *text, int64_t len, char *errbuf)
{
  sf->nrec++;
  sf->sq.text = text;
  sf->sq.len  = len;
  return check_columns(sf, errbuf);
}

/* ------------------------------------------------------------ FASTA, A2M, A3M, AFA */

/* ">id description": the id is the first word */
static int
set_header(plm_seqfile *sf, const char *h, char *errbuf)
{
  const char *e, *d, *end;

  while (is_space((unsigned char)*h)) h++;
  for (e = h; *e && !is_space((unsigned char)*e); e++) ;
  for (d = e; is_space((unsigned char)*d); d++) ;
  for (end = d + strlen(d); end > d && is_space((unsigned char)end[-1]); end--) ;
  if (dbuf_Set(&sf->id, h, e - h) != PLM_OK || dbuf_Set(&sf->desc, d, end - d) != PLM_OK) return oom(errbuf);
  return PLM_OK;
}

/* the line's residues onto the record's text, whitespace dropped */
static int
append_residues(plm_seqfile *sf, char *errbuf)
{
  int64_t want = sf->text.n + sf->line.n;

  if (dbuf_Reserve(&sf->text, want < sf->maxlen ? want : sf->maxlen, sf->maxlen) != PLM_OK) return oom(errbuf);
  for (const char *s = sf->line.s; *s; s++) {
    if (is_space((unsigned char)*s)) continue;
    if (sf->text.n == sf->maxlen)
      return plm_seq_Fail(&sf->sq, errbuf, PLM_ELIMIT, "line %lld: sequence longer than %lld bytes",
                          (long long)sf->lineno, (long long)sf->maxlen);
    sf->text.s[sf->text.n++] = *s;
  }
  sf->text.s[sf->text.n] = '\0';
  return PLM_OK;
}

static int
read_fasta(plm_seqfile *sf, char *errbuf)
{
  int64_t start;
  int     status;

  while ((status = next_line(sf, errbuf)) == PLM_OK && is_blank(sf->line.s)) ;
  if (status != PLM_OK) return status;
  if (sf->line.s[0] != '>')
    return plm_Fail(errbuf, PLM_EFORMAT, "%s: line %lld: expected a '>' header line, found \"%.40s\"",
                    sf->name, (long long)sf->lineno, sf->line.s);
  start = sf->lineno;
  if ((status = set_header(sf, sf->line.s + 1, errbuf)) != PLM_OK) return status;
  if ((status = begin_record(sf, start, errbuf)) != PLM_OK)         return status;
  if (dbuf_Set(&sf->text, "", 0) != PLM_OK)                          return oom(errbuf);
  while ((status = next_line(sf, errbuf)) == PLM_OK) {
    if (sf->line.s[0] == '>') { sf->pushed = 1; break; }
    if ((status = append_residues(sf, errbuf)) != PLM_OK) return status;
  }
  if (status != PLM_OK && status != PLM_EOF) return status;
  return finish_record(sf, sf->text.s, sf->text.n, errbuf);
}

/* ------------------------------------------------------------ .aln */

static int
read_aln(plm_seqfile *sf, char *errbuf)
{
  char *f[3];
  int   nf, status;

  while ((status = next_line(sf, errbuf)) == PLM_OK && is_blank(sf->line.s)) ;
  if (status != PLM_OK) return status;
  if ((nf = split_fields(sf->line.s, f, 3)) > 2)
    return plm_Fail(errbuf, PLM_EFORMAT, "%s: line %lld: expected an aligned row, or a name and a row",
                    sf->name, (long long)sf->lineno);
  if (dbuf_Set(&sf->id, nf == 2 ? f[0] : "", nf == 2 ? (int64_t)strlen(f[0]) : 0) != PLM_OK ||
      dbuf_Set(&sf->desc, "", 0) != PLM_OK) return oom(errbuf);
  if ((status = begin_record(sf, sf->lineno, errbuf)) != PLM_OK) return status;
  return finish_record(sf, f[nf - 1], (int64_t)strlen(f[nf - 1]), errbuf);
}

/* ------------------------------------------------------------ JSONL annotations */

/* one object a line, as Vig et al.'s (provis) binding-site and PTM files: "id" and
 * "primary" make the record, every other field is the plugins' business */
static int
read_jsonl(plm_seqfile *sf, char *errbuf)
{
  plm_json       *root = NULL;
  const plm_json *id, *prim;
  int             status;

  while ((status = next_line(sf, errbuf)) == PLM_OK && is_blank(sf->line.s)) ;
  if (status != PLM_OK) return status;
  if (plm_json_Parse(sf->line.s, (size_t)sf->line.n, &root, errbuf) != PLM_OK)
    return plm_Fail(errbuf, PLM_EFORMAT, "%s: line %lld: not a JSON object", sf->name, (long long)sf->lineno);
  id = plm_json_Get(root, "id"); prim = plm_json_Get(root, "primary");
  if (root->kind != PLM_JSON_MAP || !id || id->kind != PLM_JSON_SCALAR || !prim || prim->kind != PLM_JSON_SCALAR)
    PLM_XFAIL(PLM_EFORMAT, errbuf, "%s: line %lld: needs string fields \"id\" and \"primary\"", sf->name, (long long)sf->lineno);
  if (dbuf_Set(&sf->id, id->value, (int64_t)strlen(id->value)) != PLM_OK || dbuf_Set(&sf->desc, "", 0) != PLM_OK ||
      dbuf_Set(&sf->text, prim->value, (int64_t)strlen(prim->value)) != PLM_OK)
    PLM_XFAIL(PLM_EMEM, errbuf, "out of memory");
  PLM_XCHECK(begin_record(sf, sf->lineno, errbuf));
  status = finish_record(sf, sf->text.s, sf->text.n, errbuf);
 ERROR:
  plm_json_Free(root);
  return status;
}

/* ------------------------------------------------------------ Stockholm */

static void
sto_clear(sto_aln *a)
{
  for (int64_t i = 0; i < a->n; i++) { free(a->rows[i].name); free(a->rows[i].text.s); }
  plm_idmap_Destroy(a->byname);
  a->byname = NULL;
  a->n = a->next = a->bytes = 0;
  a->inserts = 0;
}

/* the row named name, created at its first appearance */
static int
sto_row_for(plm_seqfile *sf, const char *name, sto_row **ret_row, char *errbuf)
{
  sto_aln *a = &sf->sto;
  int64_t  k;
  int      status;

  if (plm_idmap_Get(a->byname, name, &k) == PLM_OK) { *ret_row = &a->rows[k]; return PLM_OK; }
  a->bytes += ROW_OVERHEAD + (int64_t)strlen(name);
  if (a->bytes > sf->maxaln)
    return plm_Fail(errbuf, PLM_ELIMIT, "%s: line %lld: alignment larger than %lld bytes",
                    sf->name, (long long)sf->lineno, (long long)sf->maxaln);
  if (plm_grow((void **)&a->rows, &a->cap, (size_t)a->n + 1, sizeof *a->rows) != PLM_OK) return oom(errbuf);
  memset(&a->rows[a->n], 0, sizeof *a->rows);
  a->rows[a->n].line = sf->lineno;
  if ((a->rows[a->n].name = strdup(name)) == NULL) return oom(errbuf);
  a->n++;
  if ((status = plm_idmap_Put(a->byname, name, a->n - 1, errbuf)) != PLM_OK) return status;
  *ret_row = &a->rows[a->n - 1];
  return PLM_OK;
}

static int
sto_add_line(plm_seqfile *sf, char *errbuf)
{
  sto_aln *a = &sf->sto;
  sto_row *row = NULL;
  char    *f[3];
  int64_t  len;
  int      status;

  if (split_fields(sf->line.s, f, 3) != 2)
    return plm_Fail(errbuf, PLM_EFORMAT, "%s: line %lld: expected \"name aligned-row\"", sf->name, (long long)sf->lineno);
  if ((status = sto_row_for(sf, f[0], &row, errbuf)) != PLM_OK) return status;
  len = (int64_t)strlen(f[1]);
  if ((a->bytes += len) > sf->maxaln)
    return plm_Fail(errbuf, PLM_ELIMIT, "%s: line %lld: alignment larger than %lld bytes",
                    sf->name, (long long)sf->lineno, (long long)sf->maxaln);
  if ((status = dbuf_Append(&row->text, f[1], len, sf->maxlen)) == PLM_ELIMIT)
    return plm_Fail(errbuf, status, "%s: line %lld: row \"%.100s\" longer than %lld bytes",
                    sf->name, (long long)sf->lineno, f[0], (long long)sf->maxlen);
  return status == PLM_OK ? PLM_OK : oom(errbuf);
}

/* one alignment, "# STOCKHOLM" to "//"; PLM_EOF when there is none left */
static int
sto_load(plm_seqfile *sf, char *errbuf)
{
  sto_aln *a = &sf->sto;
  int      status;

  while ((status = next_line(sf, errbuf)) == PLM_OK && is_blank(sf->line.s)) ;
  if (status != PLM_OK) return status;
  if (strncmp(sf->line.s, "# STOCKHOLM", 11) != 0)
    return plm_Fail(errbuf, PLM_EFORMAT, "%s: line %lld: expected \"# STOCKHOLM 1.0\", found \"%.40s\"",
                    sf->name, (long long)sf->lineno, sf->line.s);
  if ((status = plm_idmap_Create(&a->byname, errbuf)) != PLM_OK) return status;
  for (;;) {
    if ((status = next_line(sf, errbuf)) == PLM_EOF)
      return plm_Fail(errbuf, PLM_EFORMAT, "%s: line %lld: alignment ends without \"//\" (truncated?)",
                      sf->name, (long long)sf->lineno);
    if (status != PLM_OK) return status;
    if (strncmp(sf->line.s, "//", 2) == 0) break;
    if (is_blank(sf->line.s) || sf->line.s[0] == '#') continue;
    if ((status = sto_add_line(sf, errbuf)) != PLM_OK) return status;
  }
  for (int64_t i = 0; i < a->n && !a->inserts; i++)
    for (const char *s = a->rows[i].text.s; *s && !a->inserts; s++) a->inserts = is_lower((unsigned char)*s);
  return PLM_OK;
}

static int
read_stockholm(plm_seqfile *sf, char *errbuf)
{
  sto_aln *a = &sf->sto;
  sto_row *row;
  int      status;

  while (a->next == a->n) {
    sto_clear(a);
    if ((status = sto_load(sf, errbuf)) != PLM_OK) return status;
    sf->ncols = -1;
  }
  row = &a->rows[a->next++];
  if (dbuf_Set(&sf->id, row->name, (int64_t)strlen(row->name)) != PLM_OK || dbuf_Set(&sf->desc, "", 0) != PLM_OK)
    return oom(errbuf);
  if ((status = begin_record(sf, row->line, errbuf)) != PLM_OK) return status;
  return finish_record(sf, row->text.s, row->text.n, errbuf);
}

/* ------------------------------------------------------------ sniffing */

/* lowercase letters, '.' and '-' in the sequence lines of a FASTA-like window. Lowercase with
 * no uppercase letter and no gap anywhere is lowercase FASTA as much as A3M (whose rows would
 * then have no match columns at all): PLM_SEQFMT_AUTO says so, and the caller refuses to guess. */
static plm_seqfmt
sniff_fasta_family(const unsigned char *p, const unsigned char *end)
{
  int lower = 0, upper = 0, dot = 0, dash = 0, header = 0, bol = 1;

  for (; p < end; p++) {
    if (bol) header = (*p == '>');
    bol = (*p == '\n');
    if (header) continue;
    if (end - p >= MASKLEN && memcmp(p, MASK, MASKLEN) == 0) { p += MASKLEN - 1; continue; }
    lower |= is_lower(*p);
    upper |= is_upper(*p);
    dot   |= (*p == '.');
    dash  |= (*p == '-');
  }
  if (lower && !upper && !dot && !dash) return PLM_SEQFMT_AUTO;
  if (lower)       return dot ? PLM_SEQFMT_A2M : PLM_SEQFMT_A3M;
  if (dot || dash) return PLM_SEQFMT_AFA;
  return PLM_SEQFMT_FASTA;
}

/* Lines without a name are a PSICOV .aln only when they carry gaps (an alignment); lines of bare
 * letters are as likely a FASTA file that lost its headers, and the caller refuses to guess. */
static int
is_aln_block(const unsigned char *p, const unsigned char *end)
{
  int bol = 1, named = 0;
  for (; p < end; p++) {
    if (*p == '-') return 1;
    if (*p == '\n') bol = 1;
    else if (is_space(*p)) named |= !bol;
    else bol = 0;
  }
  return named;
}

/* a row of letters and gaps, alone or after a name */
static int
is_aln_line(const unsigned char *p, const unsigned char *end)
{
  const unsigned char *eol = memchr(p, '\n', (size_t)(end - p)), *last = p;
  int                  nfields = 0;

  if (!eol) eol = end;
  while (p < eol) {
    while (p < eol && is_space(*p)) p++;
    if (p == eol) break;
    last = p;
    nfields++;
    while (p < eol && !is_space(*p)) p++;
  }
  if (nfields < 1 || nfields > 2) return 0;
  for (; last < eol && !is_space(*last); last++)
    if (!is_upper(*last) && !is_lower(*last) && *last != '-' && *last != '.') return 0;
  return 1;
}

static int
sniff(plm_seqfile *sf, plm_seqfmt fmt, char *errbuf)
{
  const unsigned char *p = sf->buf, *end = sf->buf + sf->bufn;
  char                 start[41];
  int                  n = 0;

  if (plm_stream_Sniff(p, sf->bufn))
    return plm_Fail(errbuf, PLM_EFORMAT, "%s: is a plmscope stream, not a sequence file", sf->name);
  while (p < end && is_space(*p)) p++;
  if (fmt != PLM_SEQFMT_AUTO)                                        sf->fmt = fmt;
  else if (p == end)                                                 sf->fmt = PLM_SEQFMT_FASTA;
  else if (end - p >= 11 && memcmp(p, "# STOCKHOLM", 11) == 0)       sf->fmt = PLM_SEQFMT_STOCKHOLM;
  else if (*p == '>') {
    if ((sf->fmt = sniff_fasta_family(p, end)) == PLM_SEQFMT_AUTO)
      return plm_Fail(errbuf, PLM_EFORMAT, "%s: every sequence is lowercase, with no match column or gap: lowercase FASTA "
                      "or A3M? give -f fasta -u (FASTA, uppercased) or -f a3m", sf->name);
  }
  else if (is_aln_line(p, end)) {
    if (!is_aln_block(p, end))
      return plm_Fail(errbuf, PLM_EFORMAT, "%s: sequence lines without FASTA headers ('>') and without gaps, so no alignment: "
                      "give -f aln if it is a PSICOV .aln", sf->name);
    sf->fmt = PLM_SEQFMT_ALN;
  }
  else if (*p == '{')                                                sf->fmt = PLM_SEQFMT_JSONL;
  else {
    for (; p < end && *p != '\n' && n < 40; p++) start[n++] = (*p >= 32 && *p < 127) ? (char)*p : '?';
    start[n] = '\0';
    return plm_Fail(errbuf, PLM_EFORMAT, "%s: not FASTA, A2M, A3M, aligned FASTA, .aln, Stockholm or JSONL; it starts \"%s\"",
                    sf->name, start);
  }
  return PLM_OK;
}

/* ------------------------------------------------------------ open, read, close */

/* "dir/1abc.a3m.gz" -> "1abc" */
static char *
make_stem(const char *name)
{
  const char *b = strrchr(name, '/');
  char       *s = strdup(b ? b + 1 : name), *dot;
  size_t      n;

  if (!s) return NULL;
  if ((n = strlen(s)) > 3 && strcmp(s + n - 3, ".gz") == 0) s[n - 3] = '\0';
  if ((dot = strrchr(s, '.')) != NULL && dot != s) *dot = '\0';
  return s;
}

int
plm_seqfile_Open(const char *path, plm_seqfmt fmt, plm_seqfile **ret_sf, char *errbuf)
{
  plm_seqfile *sf = NULL;
  int          fd = -1, status;

  *ret_sf = NULL;
  if ((sf = calloc(1, sizeof *sf)) == NULL) PLM_XFAIL(PLM_EMEM, errbuf, "out of memory");
  sf->maxlen = PLM_SEQFILE_MAXLEN;
  sf->maxaln = PLM_SEQFILE_MAXALN;
  sf->ncols  = -1;
  sf->name   = strdup(strcmp(path, "-") == 0 ? "stdin" : path);
  sf->stem   = sf->name ? make_stem(sf->name) : NULL;
  sf->buf    = malloc(PLM_SEQFILE_SNIFF);
  if (!sf->name || !sf->stem || !sf->buf) PLM_XFAIL(PLM_EMEM, errbuf, "out of memory");

  fd = strcmp(path, "-") == 0 ? dup(STDIN_FILENO) : open(path, O_RDONLY);
  if (fd < 0) PLM_XFAIL(PLM_EIO, errbuf, "%s: cannot open: %s", sf->name, strerror(errno));
  if ((sf->gz = gzdopen(fd, "rb")) == NULL) PLM_XFAIL(PLM_EMEM, errbuf, "%s: out of memory opening", sf->name);
  fd = -1;
  PLM_XCHECK(fill(sf, PLM_SEQFILE_SNIFF, errbuf));
  PLM_XCHECK(sniff(sf, fmt, errbuf));
  *ret_sf = sf;
  return PLM_OK;

ERROR:
  if (fd >= 0) close(fd);
  plm_seqfile_Close(sf);
  return status;
}

void
plm_seqfile_SetLimits(plm_seqfile *sf, int64_t maxlen, int64_t maxaln)
{
  sf->maxlen = maxlen;
  sf->maxaln = maxaln;
}

int
plm_seqfile_Read(plm_seqfile *sf, const plm_seq **ret_sq, char *errbuf)
{
  int status;

  *ret_sq = NULL;
  switch (sf->fmt) {
  case PLM_SEQFMT_STOCKHOLM: status = read_stockholm(sf, errbuf); break;
  case PLM_SEQFMT_ALN:       status = read_aln(sf, errbuf);       break;
  case PLM_SEQFMT_JSONL:     status = read_jsonl(sf, errbuf);     break;
  default:                   status = read_fasta(sf, errbuf);     break;
  }
  if (status == PLM_OK) *ret_sq = &sf->sq;
  return status;
}

void
plm_seqfile_Close(plm_seqfile *sf)
{
  if (!sf) return;
  if (sf->gz) gzclose(sf->gz);
  sto_clear(&sf->sto);
  free(sf->sto.rows);
  free(sf->buf);
  free(sf->line.s);
  free(sf->id.s);
  free(sf->desc.s);
  free(sf->text.s);
  free(sf->name);
  free(sf->stem);
  free(sf);
}

/* ===================================================================== records */

/* what a row turns into, being built */
typedef struct {
  char    *seq, *aligned;
  int32_t *colmap;
  int64_t  nseq, naligned;  /* bytes */
  int64_t  L, Lfull;        /* tokens kept, tokens before the cut */
  int64_t  max_len;
} digest;

/* append a token to seq (col: its column, or -1); returns whether it was kept */
static int
emit_seq(digest *dg, const char *tok, int len, int64_t col)
{
  int kept = dg->max_len <= 0 || dg->Lfull < dg->max_len;
  dg->Lfull++;
  if (!kept) return 0;
  memcpy(dg->seq + dg->nseq, tok, (size_t)len);
  dg->nseq += len;
  if (dg->colmap) dg->colmap[dg->L] = (int32_t)col;
  dg->L++;
  return 1;
}

static void
emit_aligned(digest *dg, const char *tok, int len)
{
  memcpy(dg->aligned + dg->naligned, tok, (size_t)len);
  dg->naligned += len;
}

/* the residue letter c at text position i, uppercased, or X, or an error */
static int
check_letter(const plm_seq *sq, int flags, int64_t i, char *ret_c, char *errbuf)
{
  char c = sq->text[i];

  if (is_lower((unsigned char)c)) {
    if (plain(sq->fmt) && !(flags & PLM_SEQ_UPPERCASE))
      return plm_seq_Fail(sq, errbuf, PLM_EFORMAT, "lowercase residue '%c' at position %lld (--uppercase accepts it)", c, (long long)i + 1);
    c = (char)(c - 'a' + 'A');
  }
  if (plm_esm_ResidueId(c) < 0) {
    if (!(flags & PLM_SEQ_UNKNOWN_TO_X))
      return plm_seq_Fail(sq, errbuf, PLM_EFORMAT, "residue '%c' at position %lld is not in the ESM alphabet (--unknown-to-x makes it X)",
                          c, (long long)i + 1);
    c = 'X';
  }
  *ret_c = c;
  return PLM_OK;
}

static int
bad_char(const plm_seq *sq, int64_t i, char *errbuf)
{
  unsigned char c = (unsigned char)sq->text[i];
  if (c >= 32 && c < 127)
    return plm_seq_Fail(sq, errbuf, PLM_EFORMAT, "invalid character '%c' at position %lld", c, (long long)i + 1);
  return plm_seq_Fail(sq, errbuf, PLM_EFORMAT, "invalid byte 0x%02x at position %lld", c, (long long)i + 1);
}

/* one unit of the row into seq, aligned and colmap; *col: columns so far */
static void
digest_unit(digest *dg, int kind, const char *tok, int len, int64_t *col, int keep_gaps)
{
  if (!dg->aligned) {                    /* FASTA: no columns */
    if (kind == U_RESIDUE || keep_gaps) emit_seq(dg, tok, len, -1);
    return;
  }
  switch (kind) {
  case U_RESIDUE:
    if (emit_seq(dg, tok, len, *col)) emit_aligned(dg, tok, len);
    else                              emit_aligned(dg, "-", 1);
    (*col)++;
    break;
  case U_GAP:
    if (keep_gaps) emit_seq(dg, "-", 1, *col);
    emit_aligned(dg, "-", 1);
    (*col)++;
    break;
  case U_INSERT:
    if (!keep_gaps) emit_seq(dg, tok, len, -1);
    break;
  }
}

static void
digest_free(digest *dg)
{
  free(dg->seq);
  free(dg->aligned);
  free(dg->colmap);
}

/* every unit of the row, each residue checked */
static int
digest_row(const plm_seq *sq, int flags, digest *dg, char *errbuf)
{
  int64_t     col = 0;
  int         ulen, kind, status;
  const char *tok;
  char        c;

  dg->seq = malloc((size_t)sq->len + 1);
  if (!plain(sq->fmt)) {
    dg->aligned = malloc((size_t)sq->len + 1);
    dg->colmap  = malloc((size_t)(sq->len + 1) * sizeof *dg->colmap);
    if (!dg->aligned || !dg->colmap) return oom(errbuf);
  }
  if (!dg->seq) return oom(errbuf);
  for (int64_t i = 0; i < sq->len; i += ulen) {
    tok  = sq->text + i;
    kind = unit_at(tok, sq->len - i, sq->inserts, &ulen);
    if (kind == U_BAD && *tok == '|' && plain(sq->fmt) && (flags & PLM_SEQ_CHAIN_BREAKS)) kind = U_RESIDUE;
    else if (kind == U_BAD && *tok == '|')
      return plm_seq_Fail(sq, errbuf, PLM_EFORMAT, "chain break '|' at position %lld (in FASTA, seqread --chain-breaks keeps it for ESM C)",
                          (long long)i + 1);
    else if (kind == U_BAD) return bad_char(sq, i, errbuf);
    else if ((kind == U_RESIDUE || kind == U_INSERT) && ulen == 1) {
      if ((status = check_letter(sq, flags, i, &c, errbuf)) != PLM_OK) return status;
      tok = &c;
    }
    digest_unit(dg, kind, tok, ulen, &col, flags & PLM_SEQ_KEEP_GAPS);
  }
  dg->seq[dg->nseq] = '\0';
  if (dg->aligned) dg->aligned[dg->naligned] = '\0';
  return PLM_OK;
}

static int
set_metadata(plm_record *rec, const plm_seq *sq, char *errbuf)
{
  char index[24];
  int  status;

  snprintf(index, sizeof index, "%lld", (long long)sq->index);
  if (sq->desc[0]) PLM_XCHECK(plm_record_SetMeta(rec, "description", sq->desc, errbuf));
  PLM_XCHECK(plm_record_SetMeta(rec, "source", sq->source, errbuf));
  PLM_XCHECK(plm_record_SetMeta(rec, "index", index, errbuf));
  PLM_XCHECK(plm_record_SetMeta(rec, "format", plm_seqfmt_Name(sq->fmt), errbuf));
  return PLM_OK;

ERROR:
  return status;
}

int
plm_seq_ToRecord(const plm_seq *sq, int flags, int64_t max_len, plm_record **ret_rec, int64_t *ret_len, char *errbuf)
{
  digest      dg  = { 0 };
  plm_record *rec = NULL;
  plm_tensor *t   = NULL;
  int64_t     shape[1];
  int         status;

  *ret_rec   = NULL;
  dg.max_len = max_len;
  PLM_XCHECK(digest_row(sq, flags, &dg, errbuf));
  PLM_XCHECK(plm_record_Create(sq->id, dg.seq, &rec, errbuf));
  PLM_XCHECK(set_metadata(rec, sq, errbuf));
  if (dg.aligned) {
    shape[0] = dg.L;
    PLM_XCHECK(plm_record_SetAligned(rec, dg.aligned, errbuf));
    PLM_XCHECK(plm_tensor_Create("colmap", PLM_I32, 1, shape, &t, errbuf));
    memcpy(t->data, dg.colmap, (size_t)dg.L * sizeof *dg.colmap);
    PLM_XCHECK(plm_record_AddTensor(rec, t, errbuf));   /* owns t, even when it fails */
  }
  *ret_rec = rec;
  *ret_len = dg.Lfull;
  digest_free(&dg);
  return PLM_OK;

ERROR:
  digest_free(&dg);
  plm_record_Destroy(rec);
  return status;
}

int
plm_seq_Fail(const plm_seq *sq, char *errbuf, int status, const char *fmt, ...)
{
  char    msg[PLM_ERRBUFSIZE];
  va_list ap;

  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  return plm_Fail(errbuf, status, "%.200s: record %lld (\"%.100s\"): %s", sq->source, (long long)sq->index, sq->id, msg);
}

/* ===================================================================== format names */

const char *
plm_seqfmt_Name(plm_seqfmt fmt)
{
  return (int)fmt >= 0 && (int)fmt < (int)(sizeof fmt_names / sizeof *fmt_names) ? fmt_names[fmt] : "?";
}

int
plm_seqfmt_FromName(const char *name, plm_seqfmt *ret_fmt)
{
  for (int i = 0; i < (int)(sizeof fmt_names / sizeof *fmt_names); i++)
    if (strcmp(name, fmt_names[i]) == 0) { *ret_fmt = (plm_seqfmt)i; return PLM_OK; }
  if (strcmp(name, "sto") == 0) { *ret_fmt = PLM_SEQFMT_STOCKHOLM; return PLM_OK; }
  return PLM_ENOTFOUND;
}
