/* test_seqfile.c: unit tests of the sequence readers (seqfile.c) and idmap.c.
 *
 * Every format from small files written here: sniffing, ids, rows, columns,
 * gzip, stdin, the errors (with file, record and line), the size limits, and
 * the record each row becomes (residue checks, aligned row, colmap, cuts).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <fcntl.h>
#include <zlib.h>
#include "error.h"
#include "stream.h"
#include "idmap.h"
#include "seqfile.h"
#include "test.h"

static char tmpdir[256];

/* a file in the test folder holding text; gz: gzip it */
static const char *
put_file(const char *name, const char *text, size_t len, int gz)
{
  static char path[512];
  snprintf(path, sizeof path, "%s/%s", tmpdir, name);
  if (gz) {
    gzFile g = gzopen(path, "wb");
    gzwrite(g, text, (unsigned)len);
    gzclose(g);
  } else {
    FILE *fp = fopen(path, "wb");
    fwrite(text, 1, len, fp);
    fclose(fp);
  }
  return path;
}

/* every record of a file: ids and texts joined by ','; returns the status that ended the read */
typedef struct {
  char       ids[4096], texts[4096], descs[1024], lines[256];
  plm_seqfmt fmt;
  int        n;
  char       err[PLM_ERRBUFSIZE];
} slurp;

static int
slurp_file(const char *path, plm_seqfmt fmt, int64_t maxlen, int64_t maxaln, slurp *s)
{
  plm_seqfile   *sf;
  const plm_seq *sq;
  int            status;

  memset(s, 0, sizeof *s);
  if ((status = plm_seqfile_Open(path, fmt, &sf, s->err)) != PLM_OK) return status;
  if (maxlen) plm_seqfile_SetLimits(sf, maxlen, maxaln);
  while ((status = plm_seqfile_Read(sf, &sq, s->err)) == PLM_OK) {
    const char *sep = s->n++ ? "," : "";
    snprintf(s->ids + strlen(s->ids), sizeof s->ids - strlen(s->ids), "%s%s", sep, sq->id);
    snprintf(s->texts + strlen(s->texts), sizeof s->texts - strlen(s->texts), "%s%s", sep, sq->text);
    snprintf(s->descs + strlen(s->descs), sizeof s->descs - strlen(s->descs), "%s%s", sep, sq->desc);
    snprintf(s->lines + strlen(s->lines), sizeof s->lines - strlen(s->lines), "%s%lld", sep, (long long)sq->line);
    s->fmt = sq->fmt;
    if (sq->index != s->n) { snprintf(s->err, sizeof s->err, "index %lld at record %d", (long long)sq->index, s->n); status = PLM_EINVAL; break; }
  }
  plm_seqfile_Close(sf);
  return status;
}

static int
read_text(const char *name, const char *text, plm_seqfmt fmt, slurp *s)
{
  return slurp_file(put_file(name, text, strlen(text), 0), fmt, 0, 0, s);
}

/* the first record of a file as a stream record */
static int
first_record(const char *name, const char *text, plm_seqfmt fmt, int flags, int64_t max_len, plm_record **ret_rec, int64_t *ret_len, char *err)
{
  plm_seqfile   *sf;
  const plm_seq *sq;
  int            status;

  *ret_rec = NULL;
  if ((status = plm_seqfile_Open(put_file(name, text, strlen(text), 0), fmt, &sf, err)) != PLM_OK) return status;
  if ((status = plm_seqfile_Read(sf, &sq, err)) == PLM_OK)
    status = plm_seq_ToRecord(sq, flags, max_len, ret_rec, ret_len, err);
  plm_seqfile_Close(sf);
  return status;
}

static int
colmap_is(const plm_record *rec, const int32_t *want, int n)
{
  const plm_tensor *t = plm_record_GetTensor(rec, "colmap");
  if (!t || t->dtype != PLM_I32 || t->rank != 1 || t->shape[0] != n) return 0;
  return memcmp(t->data, want, (size_t)n * sizeof *want) == 0;
}

static void
test_fasta(void)
{
  slurp s;
  int   st = read_text("a.fa", ">a first one  \nMKT\nAYI\n\n>b\nAC DE\n>c|x y\tz\r\nGG\r\n", PLM_SEQFMT_AUTO, &s);
  TEST(st == PLM_EOF && s.n == 3, "fasta: 3 records (%s)", s.err);
  TEST(s.fmt == PLM_SEQFMT_FASTA, "fasta: sniffed as fasta (%s)", plm_seqfmt_Name(s.fmt));
  TEST(strcmp(s.ids, "a,b,c|x") == 0, "fasta: ids are first words (%s)", s.ids);
  TEST(strcmp(s.texts, "MKTAYI,ACDE,GG") == 0, "fasta: lines joined, spaces and CR dropped (%s)", s.texts);
  TEST(strcmp(s.descs, "first one,,y\tz") == 0, "fasta: descriptions trimmed (%s)", s.descs);
  TEST(strcmp(s.lines, "1,5,7") == 0, "fasta: record start lines (%s)", s.lines);

  st = read_text("noid.fasta", ">\nMK\n> \nAC\n", PLM_SEQFMT_AUTO, &s);
  TEST(st == PLM_EOF && strcmp(s.ids, "noid_1,noid_2") == 0, "fasta: empty headers get <stem>_<n> (%s)", s.ids);

  st = read_text("m.fa", ">m\nMK<mask>A\n", PLM_SEQFMT_AUTO, &s);
  TEST(st == PLM_EOF && s.fmt == PLM_SEQFMT_FASTA, "fasta: <mask> does not look like an A3M insertion (%s)", plm_seqfmt_Name(s.fmt));

  st = read_text("empty.fa", "\n \n", PLM_SEQFMT_AUTO, &s);
  TEST(st == PLM_EOF && s.n == 0, "empty input: no records, no error (%s)", s.err);

  st = read_text("junk.fa", "MKT\n>a\nMK\n", PLM_SEQFMT_FASTA, &s);
  TEST(st == PLM_EFORMAT && strstr(s.err, "junk.fa: line 1: expected a '>'"), "fasta: text before the first header (%s)", s.err);
}

static void
test_a3m_a2m_afa(void)
{
  slurp s;
  int   st = read_text("q.a3m", ">q\nMKT-A\n>s desc\nMkKT-A\n>t\n-K.Tyy-AA\n", PLM_SEQFMT_AUTO, &s);
  TEST(st == PLM_EFORMAT && s.fmt == PLM_SEQFMT_A2M && strstr(s.err, "q.a3m: record 3 (\"t\"): line 5: 6 alignment columns, but record 1 has 5"),
       "a3m: '.' with lowercase means a2m, and a2m columns are checked (%s)", s.err);

  st = read_text("q.a3m", ">q\nMKT-A\n>s desc\nMkKT-A\n>t\n-KTyy-A\n", PLM_SEQFMT_AUTO, &s);
  TEST(st == PLM_EOF && s.fmt == PLM_SEQFMT_A3M && s.n == 3, "a3m: sniffed, 3 records (%s %s)", plm_seqfmt_Name(s.fmt), s.err);

  st = read_text("q.a3m", ">q\nMKT-A\n>s\nMkKT-Aa\n>t\nMK-\n", PLM_SEQFMT_AUTO, &s);
  TEST(st == PLM_EFORMAT && strstr(s.err, "record 3 (\"t\"): line 5: 3 alignment columns, but record 1 has 5"),
       "a3m: a row with too few columns is an error (%s)", s.err);

  st = read_text("p.a2m", ">q\nMK.T\n>s\nMKaT\n", PLM_SEQFMT_AUTO, &s);
  TEST(st == PLM_EOF && s.fmt == PLM_SEQFMT_A2M, "a2m: sniffed from '.' and lowercase (%s)", plm_seqfmt_Name(s.fmt));

  st = read_text("r.afa", ">q\nMK-T\n>s\nM.KT\n", PLM_SEQFMT_AUTO, &s);
  TEST(st == PLM_EOF && s.fmt == PLM_SEQFMT_AFA, "afa: gaps without lowercase (%s)", plm_seqfmt_Name(s.fmt));

  st = read_text("r.afa", ">q\nMK-T\n>s\nM.KTT\n", PLM_SEQFMT_AUTO, &s);
  TEST(st == PLM_EFORMAT && strstr(s.err, "5 alignment columns, but record 1 has 4"), "afa: every character is a column (%s)", s.err);

  st = read_text("r.fa", ">q\nMK-T\n>s\nMKT\n", PLM_SEQFMT_FASTA, &s);
  TEST(st == PLM_EOF && s.n == 2, "fasta named: no column check (%s)", s.err);
}

static void
test_aln(void)
{
  slurp s;
  int   st = read_text("fam.aln", "MKT-A\n\nMK-TA\r\n-KTTA", PLM_SEQFMT_AUTO, &s);
  TEST(st == PLM_EOF && s.fmt == PLM_SEQFMT_ALN, "aln: sniffed (%s)", plm_seqfmt_Name(s.fmt));
  TEST(strcmp(s.ids, "fam_1,fam_2,fam_3") == 0, "aln: ids <stem>_<n> (%s)", s.ids);
  TEST(strcmp(s.texts, "MKT-A,MK-TA,-KTTA") == 0 && strcmp(s.lines, "1,3,4") == 0, "aln: rows and lines (%s; %s)", s.texts, s.lines);

  st = read_text("g.msa", "S_1    MKT-\nS_2 MK-T\n", PLM_SEQFMT_AUTO, &s);
  TEST(st == PLM_EOF && strcmp(s.ids, "S_1,S_2") == 0 && strcmp(s.texts, "MKT-,MK-T") == 0, "aln: 'name row' lines (%s)", s.ids);

  st = read_text("g.msa", "S_1 MKT-\nS_2 MK -T\n", PLM_SEQFMT_AUTO, &s);
  TEST(st == PLM_EFORMAT && strstr(s.err, "g.msa: line 2: expected an aligned row"), "aln: three fields is an error (%s)", s.err);

  st = read_text("g.aln", "MKT-\nMKT\n", PLM_SEQFMT_AUTO, &s);
  TEST(st == PLM_EFORMAT && strstr(s.err, "g.aln: record 2 (\"g_2\"): line 2: 3 alignment columns"), "aln: ragged rows (%s)", s.err);
}

static void
test_stockholm(void)
{
  const char *two =
    "# STOCKHOLM 1.0\n#=GF ID test\n#=GS a/1-5 DE something\n\n"
    "a/1-5   MKT-A\nb       MK-TA\n#=GR a/1-5 SS HHHHH\n#=GC SS_cons HHHHH\n\n"
    "a/1-5   GG\nb       G-\n//\n"
    "# STOCKHOLM 1.0\nx  Ac-D\ny  A.-D\n//\n";
  slurp s;
  int   st = read_text("t.sto", two, PLM_SEQFMT_AUTO, &s);
  TEST(st == PLM_EOF && s.fmt == PLM_SEQFMT_STOCKHOLM && s.n == 4, "stockholm: two alignments, 4 rows (%s)", s.err);
  TEST(strcmp(s.ids, "a/1-5,b,x,y") == 0, "stockholm: ids in order (%s)", s.ids);
  TEST(strcmp(s.texts, "MKT-AGG,MK-TAG-,Ac-D,A.-D") == 0, "stockholm: interleaved blocks joined (%s)", s.texts);
  TEST(strcmp(s.lines, "5,6,14,15") == 0, "stockholm: first lines (%s)", s.lines);

  st = read_text("t.sto", "# STOCKHOLM 1.0\na MKT\nb MK\n//\n", PLM_SEQFMT_AUTO, &s);
  TEST(st == PLM_EFORMAT && strstr(s.err, "t.sto: record 2 (\"b\"): line 3: 2 alignment columns, but record 1 has 3"),
       "stockholm: ragged rows (%s)", s.err);

  st = read_text("t.sto", "# STOCKHOLM 1.0\na MKT\nb MKT\n", PLM_SEQFMT_AUTO, &s);
  TEST(st == PLM_EFORMAT && strstr(s.err, "line 3: alignment ends without \"//\""), "stockholm: missing // (%s)", s.err);

  st = read_text("t.sto", "# STOCKHOLM 1.0\na MKT\n//\nb MKT\n", PLM_SEQFMT_AUTO, &s);
  TEST(st == PLM_EFORMAT && s.n == 1 && strstr(s.err, "line 4: expected \"# STOCKHOLM 1.0\""), "stockholm: text after // (%s)", s.err);

  st = read_text("t.sto", "# STOCKHOLM 1.0\na M K T\n//\n", PLM_SEQFMT_AUTO, &s);
  TEST(st == PLM_EFORMAT && strstr(s.err, "line 2: expected \"name aligned-row\""), "stockholm: spaces in a row (%s)", s.err);
}

static void
test_sniff_errors(void)
{
  slurp s;
  int   st;

  st = slurp_file(put_file("s.tsr", PLM_STREAM_MAGIC "\1\0\0\0", 12, 0), PLM_SEQFMT_AUTO, 0, 0, &s);
  TEST(st == PLM_EFORMAT && strstr(s.err, "s.tsr: is a plmscope stream, not a sequence file"), "stream magic is named (%s)", s.err);
  st = slurp_file(put_file("s.tsr", PLM_STREAM_MAGIC "\1\0\0\0", 12, 0), PLM_SEQFMT_FASTA, 0, 0, &s);
  TEST(st == PLM_EFORMAT && strstr(s.err, "plmscope stream"), "stream magic is named with a format given too (%s)", s.err);

  /* sniffing must not change what a sequence means: lowercase FASTA is not A3M, rows without headers not .aln */
  st = read_text("low.fasta", ">a\nmktay\n>b\nmkt\n", PLM_SEQFMT_AUTO, &s);
  TEST(st == PLM_EFORMAT && strstr(s.err, "low.fasta: lowercase letters") && strstr(s.err, "-f a3m"),
       "lowercase .fasta is refused, not read as a3m with empty rows (%s)", s.err);
  st = read_text("low", ">a\nMKtay\n", PLM_SEQFMT_AUTO, &s);
  TEST(st == PLM_EFORMAT && strstr(s.err, "lowercase letters"), "lowercase without an extension is refused (%s)", s.err);
  st = read_text("low.fasta", ">a\nmktay\n", PLM_SEQFMT_A3M, &s);
  TEST(st == PLM_EOF && s.fmt == PLM_SEQFMT_A3M && s.n == 1, "-f a3m still reads it as asked (%s)", s.err);
  st = read_text("q.A3M.gz", ">a\nMKtay\n", PLM_SEQFMT_AUTO, &s);
  TEST(st == PLM_EOF && s.fmt == PLM_SEQFMT_A3M, "an .A3M.gz name makes lowercase inserts (%s)", s.err);
  st = read_text("nohead.fa", "MKTAYIAKQR\n", PLM_SEQFMT_AUTO, &s);
  TEST(st == PLM_EFORMAT && strstr(s.err, "nohead.fa: no '>' header line") && strstr(s.err, "-f aln"),
       "a header-less FASTA is refused, not read as a PSICOV .aln (%s)", s.err);
  st = read_text("nohead.fa", "MKTAYIAKQR\n", PLM_SEQFMT_ALN, &s);
  TEST(st == PLM_EOF && s.fmt == PLM_SEQFMT_ALN && s.n == 1, "-f aln reads it as asked (%s)", s.err);

  st = read_text("r.txt", "REMARK 1 2 3\n", PLM_SEQFMT_AUTO, &s);
  TEST(st == PLM_EFORMAT && strstr(s.err, "r.txt: not FASTA") && strstr(s.err, "starts \"REMARK 1 2 3\""), "unknown format (%s)", s.err);

  st = slurp_file(put_file("nul.fa", ">a\nMK\0T\n", 8, 0), PLM_SEQFMT_AUTO, 0, 0, &s);
  TEST(st == PLM_EFORMAT && strstr(s.err, "nul.fa: line 2: NUL byte"), "NUL byte (%s)", s.err);

  st = slurp_file("/nonexistent/x.fa", PLM_SEQFMT_AUTO, 0, 0, &s);
  TEST(st == PLM_EIO && strstr(s.err, "/nonexistent/x.fa: cannot open"), "missing file (%s)", s.err);
}

static void
test_gzip_stdin(void)
{
  const char *fa = ">a\nMKT\n>b\nAC\n";
  char        big[200000];
  slurp       s;
  int         st, fd, saved;

  st = slurp_file(put_file("z.fa.gz", fa, strlen(fa), 1), PLM_SEQFMT_AUTO, 0, 0, &s);
  TEST(st == PLM_EOF && strcmp(s.ids, "a,b") == 0 && strcmp(s.texts, "MKT,AC") == 0, "gzip: read transparently (%s)", s.err);
  st = slurp_file(put_file("z.aln.gz", "MK\nM-\n", 6, 1), PLM_SEQFMT_AUTO, 0, 0, &s);
  TEST(st == PLM_EOF && strcmp(s.ids, "z_1,z_2") == 0, "gzip: stem drops .gz and the extension (%s)", s.ids);

  /* a long file cut short inside its gzip data */
  for (size_t i = 0; i < sizeof big; i++) big[i] = (i % 61 == 0) ? (i % 122 == 0 ? '>' : '\n') : "ACDEFGHIKLMNPQRSTVWY"[(i * 7919) % 20];
  put_file("cut.fa.gz", big, sizeof big, 1);
  {
    char  path[512];
    FILE *fp;
    long  n;
    snprintf(path, sizeof path, "%s/cut.fa.gz", tmpdir);
    fp = fopen(path, "rb+"); fseek(fp, 0, SEEK_END); n = ftell(fp); fclose(fp);
    TEST(truncate(path, n / 2) == 0, "gzip: cut file made");
    st = slurp_file(path, PLM_SEQFMT_AUTO, 0, 0, &s);
    TEST(st == PLM_EFORMAT && strstr(s.err, "cut.fa.gz: truncated gzip data"), "gzip: truncation is an error (%s)", s.err);
  }

  fd    = open(put_file("in.fa", fa, strlen(fa), 0), O_RDONLY);
  saved = dup(STDIN_FILENO);
  dup2(fd, STDIN_FILENO);
  st = slurp_file("-", PLM_SEQFMT_AUTO, 0, 0, &s);
  dup2(saved, STDIN_FILENO);
  close(fd); close(saved);
  TEST(st == PLM_EOF && strcmp(s.ids, "a,b") == 0, "stdin: read as '-' (%s)", s.err);
}

static void
test_limits(void)
{
  slurp s;
  int   st;
  const char *sto = "# STOCKHOLM 1.0\na MKTAYIAKQR\nb MKTAYIAKQR\n\na MKTAYIAKQR\nb MKTAYIAKQR\n//\n";

  st = slurp_file(put_file("l.fa", ">a\nMKTAY\nIAKQR\n>b\nMK\n", 21, 0), PLM_SEQFMT_AUTO, 10, 100, &s);
  TEST(st == PLM_EOF && s.n == 2, "limit: a 10-byte sequence is fine (%s)", s.err);
  st = slurp_file(put_file("l.fa", ">a\nMKTAY\nIAKQRS\n>b\nMK\n", 22, 0), PLM_SEQFMT_AUTO, 10, 100, &s);
  TEST(st == PLM_ELIMIT && strstr(s.err, "l.fa: record 1 (\"a\"): line 3: sequence longer than 10 bytes"), "limit: sequence (%s)", s.err);
  st = slurp_file(put_file("l.fa", ">a\nMKTAYIAKQRS\n", 15, 0), PLM_SEQFMT_AUTO, 10, 100, &s);
  TEST(st == PLM_ELIMIT && strstr(s.err, "l.fa: line 2 is longer than 10 bytes"), "limit: line (%s)", s.err);
  st = slurp_file(put_file("l.sto", sto, strlen(sto), 0), PLM_SEQFMT_AUTO, 15, 1000, &s);
  TEST(st == PLM_ELIMIT && strstr(s.err, "line 5: row \"a\" longer than 15 bytes"), "limit: stockholm row (%s)", s.err);
  st = slurp_file(put_file("l.sto", sto, strlen(sto), 0), PLM_SEQFMT_AUTO, 100, 155, &s);
  TEST(st == PLM_ELIMIT && strstr(s.err, "line 5: alignment larger than 155 bytes"), "limit: stockholm alignment (%s)", s.err);
}

static void
test_records(void)
{
  plm_record *rec;
  int64_t     len;
  char        err[PLM_ERRBUFSIZE];
  int         st;

  st = first_record("r.fa", ">a some words\nMK<mask>A-.C\n", PLM_SEQFMT_FASTA, 0, 0, &rec, &len, err);
  TEST(st == PLM_OK && strcmp(rec->seq, "MK<mask>AC") == 0 && len == 5 && !rec->aligned && rec->ntensors == 0,
       "record: fasta residues, gaps dropped, <mask> one token (%s)", st ? err : rec->seq);
  TEST(rec && strcmp(plm_record_GetMeta(rec, "description"), "some words") == 0 && strcmp(plm_record_GetMeta(rec, "source") + strlen(tmpdir), "/r.fa") == 0 &&
       strcmp(plm_record_GetMeta(rec, "index"), "1") == 0 && strcmp(plm_record_GetMeta(rec, "format"), "fasta") == 0, "record: metadata");
  plm_record_Destroy(rec);

  st = first_record("r.fa", ">a\nMK-.C\n", PLM_SEQFMT_FASTA, PLM_SEQ_KEEP_GAPS, 0, &rec, &len, err);
  TEST(st == PLM_OK && strcmp(rec->seq, "MK-.C") == 0 && len == 5, "record: fasta keeping gaps (%s)", st ? err : rec->seq);
  plm_record_Destroy(rec);

  st = first_record("r.fa", ">a\nMKJA\n", PLM_SEQFMT_FASTA, 0, 0, &rec, &len, err);
  TEST(st == PLM_EFORMAT && strstr(err, "r.fa: record 1 (\"a\"): residue 'J' at position 3 is not in the ESM alphabet"), "record: J is refused (%s)", err);
  st = first_record("r.fa", ">a\nMKJA\n", PLM_SEQFMT_FASTA, PLM_SEQ_UNKNOWN_TO_X, 0, &rec, &len, err);
  TEST(st == PLM_OK && strcmp(rec->seq, "MKXA") == 0, "record: J to X on request (%s)", st ? err : rec->seq);
  plm_record_Destroy(rec);
  st = first_record("r.fa", ">a\nMK*\n", PLM_SEQFMT_FASTA, PLM_SEQ_UNKNOWN_TO_X, 0, &rec, &len, err);
  TEST(st == PLM_EFORMAT && strstr(err, "invalid character '*' at position 3"), "record: '*' is refused (%s)", err);
  st = first_record("r.fa", ">a\nMK<cls>\n", PLM_SEQFMT_FASTA, 0, 0, &rec, &len, err);
  TEST(st == PLM_EFORMAT && strstr(err, "invalid character '<' at position 3"), "record: only <mask> is inline (%s)", err);
  st = first_record("r.fa", ">a\nMK\x01\n", PLM_SEQFMT_FASTA, 0, 0, &rec, &len, err);
  TEST(st == PLM_EFORMAT && strstr(err, "invalid byte 0x01 at position 3"), "record: control byte (%s)", err);

  st = first_record("r.fa", ">a\nmkta\n", PLM_SEQFMT_FASTA, PLM_SEQ_UPPERCASE, 0, &rec, &len, err);
  TEST(st == PLM_OK && strcmp(rec->seq, "MKTA") == 0, "record: --uppercase (%s)", st ? err : rec->seq);
  plm_record_Destroy(rec);
  st = first_record("r.fa", ">a\nMKta\n", PLM_SEQFMT_FASTA, 0, 0, &rec, &len, err);
  TEST(st == PLM_EFORMAT && strstr(err, "lowercase residue 't' at position 3"), "record: lowercase fasta refused (%s)", err);

  /* the a3m row M k K T - A: columns M K T - A, k inserted */
  {
    const char *a3m = ">s desc\nMkKT-A\n>q\nMKT-A\n";
    int32_t     want[] = { 0, -1, 1, 2, 4 }, ident[] = { 0, 1, 2, 3, 4 }, cut[] = { 0, -1, 1 };
    st = first_record("r.a3m", a3m, PLM_SEQFMT_AUTO, 0, 0, &rec, &len, err);
    TEST(st == PLM_OK && strcmp(rec->seq, "MKKTA") == 0 && strcmp(rec->aligned, "MKT-A") == 0 && len == 5 && colmap_is(rec, want, 5),
         "record: a3m seq, aligned row, colmap (%s)", st ? err : rec->seq);
    TEST(rec && strcmp(plm_record_GetMeta(rec, "format"), "a3m") == 0, "record: format a3m");
    plm_record_Destroy(rec);
    st = first_record("r.a3m", a3m, PLM_SEQFMT_AUTO, PLM_SEQ_KEEP_GAPS, 0, &rec, &len, err);
    TEST(st == PLM_OK && strcmp(rec->seq, "MKT-A") == 0 && strcmp(rec->aligned, "MKT-A") == 0 && colmap_is(rec, ident, 5),
         "record: a3m keeping gaps is the aligned row (%s)", st ? err : rec->seq);
    plm_record_Destroy(rec);
    st = first_record("r.a3m", a3m, PLM_SEQFMT_AUTO, 0, 3, &rec, &len, err);
    TEST(st == PLM_OK && strcmp(rec->seq, "MKK") == 0 && len == 5 && colmap_is(rec, cut, 3),
         "record: cut to 3 residues (%s)", st ? err : rec->seq);
    TEST(rec && strcmp(rec->aligned, "MK---") == 0, "record: cut residues become gaps in the aligned row (%s)", rec ? rec->aligned : "");
    plm_record_Destroy(rec);
  }
  {
    int32_t want[] = { 0, 2, 3 };
    st = first_record("r.afa", ">s\nM.Kt\n>q\nMK-T\n", PLM_SEQFMT_AFA, 0, 0, &rec, &len, err);
    TEST(st == PLM_OK && strcmp(rec->seq, "MKT") == 0 && strcmp(rec->aligned, "M-KT") == 0 && colmap_is(rec, want, 3),
         "record: afa '.' is a gap column, lowercase a residue (%s)", st ? err : rec->seq);
    plm_record_Destroy(rec);
  }
}

static void
test_idmap(void)
{
  plm_idmap *m;
  char       err[PLM_ERRBUFSIZE], key[32];
  int64_t    v = 0;
  int        ok = 1;

  plm_idmap_Create(&m, err);
  for (int i = 0; i < 5000; i++) { snprintf(key, sizeof key, "id%d", i); ok &= plm_idmap_Put(m, key, i, err) == PLM_OK; }
  for (int i = 0; i < 5000; i++) { snprintf(key, sizeof key, "id%d", i); ok &= plm_idmap_Get(m, key, &v) == PLM_OK && v == i; }
  TEST(ok && plm_idmap_Count(m) == 5000, "idmap: 5000 keys survive growth");
  plm_idmap_Put(m, "id7", -3, err);
  TEST(plm_idmap_Get(m, "id7", &v) == PLM_OK && v == -3 && plm_idmap_Get(m, "id4999", &v) == PLM_OK && v == 4999, "idmap: put overwrites");
  TEST(plm_idmap_Get(m, "id5000", &v) == PLM_ENOTFOUND && plm_idmap_Get(m, "", &v) == PLM_ENOTFOUND, "idmap: absent keys");
  plm_idmap_Destroy(m);
}

static void
test_names(void)
{
  plm_seqfmt f;
  int        ok = 1;
  for (int i = PLM_SEQFMT_AUTO; i <= PLM_SEQFMT_STOCKHOLM; i++)
    ok &= plm_seqfmt_FromName(plm_seqfmt_Name((plm_seqfmt)i), &f) == PLM_OK && (int)f == i;
  TEST(ok && plm_seqfmt_FromName("sto", &f) == PLM_OK && f == PLM_SEQFMT_STOCKHOLM && plm_seqfmt_FromName("fastq", &f) == PLM_ENOTFOUND,
       "format names round trip");
}

int
main(void)
{
  const char *t = getenv("TMPDIR");
  snprintf(tmpdir, sizeof tmpdir, "%s/test_seqfile.XXXXXX", t ? t : "/tmp");
  if (!mkdtemp(tmpdir)) { perror("mkdtemp"); return 1; }

  test_fasta();
  test_a3m_a2m_afa();
  test_aln();
  test_stockholm();
  test_sniff_errors();
  test_gzip_stdin();
  test_limits();
  test_records();
  test_idmap();
  test_names();

  char cmd[300];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
  if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", tmpdir);
  return test_done();
}
