/* npy.c: NumPy .npy files (see npy.h).
 *
 * The header is a Python dict literal. It is parsed by a small strict parser
 * that accepts exactly what numpy writes (and old Python 2 "3L" integers),
 * never evaluates anything, and checks every length against the file size
 * before allocating, so a lying header cannot exhaust memory.
 *
 *   plm_npy_Read()    file -> tensor
 *   plm_npy_Write()   tensor -> file, byte for byte what np.save writes
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "error.h"
#include "tensor.h"
#include "npy.h"

#define NPY_MAGIC       "\x93NUMPY"
#define NPY_MAGICLEN    6
#define NPY_ALIGN       64
#define NPY_MAXHEADER   (1 << 20)   /* sanity bound; numpy's reader stops at 10000 bytes by default */
#define NPY_GROWDIGITS  21          /* numpy's GROWTH_AXIS_MAX_DIGITS: spare room it leaves */
#define NPY_CHUNK       65536       /* elements converted at a time (f8 in, bf16 out) */

/* the type codes we read, after the byte-order character */
static const struct { const char *code; plm_dtype dt; size_t disksize; } npy_types[] = {
  { "f4", PLM_F32, 4 }, { "f2", PLM_F16, 2 }, { "i4", PLM_I32, 4 }, { "i8", PLM_I64, 8 },
  { "u1", PLM_U8,  1 }, { "b1", PLM_U8,  1 }, { "f8", PLM_F32, 8 },
};
#define NPY_NTYPES (int)(sizeof npy_types / sizeof npy_types[0])

/* what the header dict says */
typedef struct {
  char      descr[16];
  int       fortran;
  int       rank;
  int64_t   shape[8];
  plm_dtype dt;
  size_t    disksize;
} npy_header;

/* a cursor over the header text; every parse failure names the file */
typedef struct {
  const char *start, *p, *end;
  const char *path;
  char       *errbuf;
} npy_cursor;

static int
bad_header(npy_cursor *c, const char *what)
{
  return plm_Fail(c->errbuf, PLM_EFORMAT, "%s: bad .npy header: %s at byte %d of the dict",
                  c->path, what, (int)(c->p - c->start));
}

static void
skip_space(npy_cursor *c)
{
  while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' || *c->p == '\r')) c->p++;
}

static int
accept(npy_cursor *c, char ch)
{
  skip_space(c);
  if (c->p < c->end && *c->p == ch) { c->p++; return 1; }
  return 0;
}

/* a quoted string without escapes, which is all numpy ever writes for keys and descr */
static int
parse_string(npy_cursor *c, char *buf, size_t bufsize)
{
  size_t n = 0;
  char   q;

  skip_space(c);
  if (c->p >= c->end || (*c->p != '\'' && *c->p != '"')) return bad_header(c, "expected a quoted string");
  q = *c->p++;
  while (c->p < c->end && *c->p != q) {
    if (*c->p < 0x20 || *c->p > 0x7e || *c->p == '\\') return bad_header(c, "unexpected character in a string");
    if (n + 1 >= bufsize)                              return bad_header(c, "string too long");
    buf[n++] = *c->p++;
  }
  if (c->p >= c->end) return bad_header(c, "unterminated string");
  c->p++;
  buf[n] = '\0';
  return PLM_OK;
}

static int
parse_bool(npy_cursor *c, int *ret_b)
{
  skip_space(c);
  if (c->end - c->p >= 4 && memcmp(c->p, "True", 4) == 0)  { c->p += 4; *ret_b = 1; return PLM_OK; }
  if (c->end - c->p >= 5 && memcmp(c->p, "False", 5) == 0) { c->p += 5; *ret_b = 0; return PLM_OK; }
  return bad_header(c, "expected True or False");
}

/* a non-negative dimension; Python 2 wrote long integers as "3L" */
static int
parse_dim(npy_cursor *c, int64_t *ret_v)
{
  int64_t v = 0;
  int     ndigits = 0;

  skip_space(c);
  for (; c->p < c->end && *c->p >= '0' && *c->p <= '9'; c->p++, ndigits++) {
    if (v > (INT64_MAX - 9) / 10) return bad_header(c, "dimension too large");
    v = v * 10 + (*c->p - '0');
  }
  if (ndigits == 0) return bad_header(c, "expected a non-negative integer");
  if (c->p < c->end && *c->p == 'L') c->p++;
  *ret_v = v;
  return PLM_OK;
}

/* a tuple of dimensions: "()", "(5,)", "(3, 4)", "(3, 4,)"; "(5)" is an int, not a tuple */
static int
parse_shape(npy_cursor *c, npy_header *h)
{
  int status;

  h->rank = 0;
  if (!accept(c, '(')) return bad_header(c, "shape is not a tuple");
  if (accept(c, ')'))  return PLM_OK;
  for (;;) {
    if (h->rank == 8) return plm_Fail(c->errbuf, PLM_ELIMIT, "%s: .npy array has more than 8 dimensions", c->path);
    if ((status = parse_dim(c, &h->shape[h->rank++])) != PLM_OK) return status;
    if (accept(c, ')')) return h->rank == 1 ? bad_header(c, "shape is not a tuple") : PLM_OK;
    if (!accept(c, ',')) return bad_header(c, "expected ',' or ')' in shape");
    if (accept(c, ')')) return PLM_OK;
  }
}

/* descr -> dtype, refusing what we cannot read with a message saying what to do */
static int
resolve_descr(npy_header *h, const char *path, char *errbuf)
{
  char order = h->descr[0];

  for (int i = 0; i < NPY_NTYPES; i++) {
    if (strcmp(h->descr + (order ? 1 : 0), npy_types[i].code) != 0) continue;
    h->dt       = npy_types[i].dt;
    h->disksize = npy_types[i].disksize;
    if (order == '<' || (h->disksize == 1 && (order == '|' || order == '>'))) return PLM_OK;
    if (order == '>')
      return plm_Fail(errbuf, PLM_EUNSUP, "%s: big-endian .npy data ('%s') is not supported; save a.astype('<%s')",
                      path, h->descr, npy_types[i].code);
    break;
  }
  return plm_Fail(errbuf, PLM_EUNSUP, "%s: .npy dtype '%s' is not supported (only <f4 <f2 <f8 <i4 <i8 |u1 |b1)",
                  path, h->descr);
}

static int
parse_header(const char *text, size_t len, const char *path, npy_header *h, char *errbuf)
{
  npy_cursor c    = { text, text, text + len, path, errbuf };
  int        seen = 0, bit;
  char       key[32];
  int        status;

  if (!accept(&c, '{')) return bad_header(&c, "not a dict");
  while (!accept(&c, '}')) {
    if ((status = parse_string(&c, key, sizeof key)) != PLM_OK) return status;
    if (!accept(&c, ':')) return bad_header(&c, "expected ':'");
    if      (strcmp(key, "descr") == 0)         { bit = 1; status = parse_string(&c, h->descr, sizeof h->descr); }
    else if (strcmp(key, "fortran_order") == 0) { bit = 2; status = parse_bool(&c, &h->fortran); }
    else if (strcmp(key, "shape") == 0)         { bit = 4; status = parse_shape(&c, h); }
    else return plm_Fail(errbuf, PLM_EFORMAT, "%s: bad .npy header: unexpected key '%s'", path, key);
    if (status != PLM_OK) return status;
    if (seen & bit) return plm_Fail(errbuf, PLM_EFORMAT, "%s: bad .npy header: key '%s' given twice", path, key);
    seen |= bit;
    if (!accept(&c, ',') && !(c.p < c.end && *c.p == '}')) return bad_header(&c, "expected ',' or '}'");
  }
  skip_space(&c);
  if (c.p != c.end) return bad_header(&c, "text after the dict");
  if (seen != 7)    return plm_Fail(errbuf, PLM_EFORMAT, "%s: bad .npy header: it lacks '%s'", path,
                                    !(seen & 1) ? "descr" : !(seen & 2) ? "fortran_order" : "shape");
  return resolve_descr(h, path, errbuf);
}

static uint64_t
le_uint(const unsigned char *b, int n)
{
  uint64_t v = 0;
  for (int i = n - 1; i >= 0; i--) v = (v << 8) | b[i];
  return v;
}

/* magic, version, header length, header dict; leaves fp at the first data byte */
static int
read_header(FILE *fp, const char *path, uint64_t filesize, npy_header *h, uint64_t *ret_datasize, char *errbuf)
{
  unsigned char pre[12];
  char         *text = NULL;
  uint64_t      prelen, hlen;
  int           status;

  if (filesize < 10 || fread(pre, 1, 10, fp) != 10 || memcmp(pre, NPY_MAGIC, NPY_MAGICLEN) != 0)
    PLM_XFAIL(PLM_EFORMAT, errbuf, "%s: not a .npy file (no \\x93NUMPY magic)", path);
  if (pre[6] < 1 || pre[6] > 3 || pre[7] != 0)
    PLM_XFAIL(PLM_EUNSUP, errbuf, "%s: .npy format version %d.%d is not supported (1.0, 2.0, 3.0 are)", path, pre[6], pre[7]);
  prelen = pre[6] == 1 ? 10 : 12;
  if (prelen == 12 && (filesize < 12 || fread(pre + 10, 1, 2, fp) != 2))
    PLM_XFAIL(PLM_EFORMAT, errbuf, "%s: .npy file truncated in its preamble", path);
  hlen = le_uint(pre + 8, (int)prelen - 8);
  if (hlen > filesize - prelen)
    PLM_XFAIL(PLM_EFORMAT, errbuf, "%s: .npy header length %llu exceeds the file (%llu bytes)", path,
              (unsigned long long)hlen, (unsigned long long)filesize);
  if (hlen > NPY_MAXHEADER)
    PLM_XFAIL(PLM_ELIMIT, errbuf, "%s: .npy header of %llu bytes is implausibly long", path, (unsigned long long)hlen);
  if ((text = malloc(hlen ? hlen : 1)) == NULL) PLM_XFAIL(PLM_EMEM, errbuf, "out of memory");
  if (fread(text, 1, hlen, fp) != hlen)         PLM_XFAIL(PLM_EIO, errbuf, "%s: read failed in the .npy header", path);
  PLM_XCHECK(parse_header(text, hlen, path, h, errbuf));
  *ret_datasize = filesize - prelen - hlen;
  free(text);
  return PLM_OK;

ERROR:
  free(text);
  return status;
}

/* f8 on disk, f32 in memory: convert a chunk at a time */
static int
read_f8(FILE *fp, float *y, int64_t n, const char *path, char *errbuf)
{
  double *buf = malloc(NPY_CHUNK * sizeof *buf);
  int     status;

  if (!buf) return plm_Fail(errbuf, PLM_EMEM, "out of memory");
  for (int64_t i = 0; i < n; i += NPY_CHUNK) {
    size_t k = (size_t)(n - i < NPY_CHUNK ? n - i : NPY_CHUNK);
    if (fread(buf, sizeof *buf, k, fp) != k) PLM_XFAIL(PLM_EIO, errbuf, "%s: read failed in the .npy data", path);
    for (size_t j = 0; j < k; j++) y[i + (int64_t)j] = (float)buf[j];
  }
  free(buf);
  return PLM_OK;

ERROR:
  free(buf);
  return status;
}

/* Fortran (column-major) data -> C (row-major) order, in place via a copy.
 * Rank 0 and 1 arrays are laid out the same in either order. */
static int
fortran_to_c(plm_tensor *t, char *errbuf)
{
  size_t         esz = plm_dtype_Size(t->dtype), nbytes = plm_tensor_Nbytes(t);
  int64_t        n = plm_tensor_Numel(t), idx[8] = { 0 }, fstride[8];
  unsigned char *c, *f = t->data;

  if (t->rank < 2 || n == 0) return PLM_OK;
  if ((c = malloc(nbytes)) == NULL) return plm_Fail(errbuf, PLM_EMEM, "out of memory");
  fstride[0] = 1;
  for (int d = 1; d < t->rank; d++) fstride[d] = fstride[d - 1] * t->shape[d - 1];
  for (int64_t i = 0; i < n; i++) {          /* i walks C order; idx is its multi-index */
    int64_t off = 0;
    for (int d = 0; d < t->rank; d++) off += idx[d] * fstride[d];
    memcpy(c + (size_t)i * esz, f + (size_t)off * esz, esz);
    for (int d = t->rank - 1; d >= 0 && ++idx[d] == t->shape[d]; d--) idx[d] = 0;
  }
  free(t->data);
  t->data = c;
  return PLM_OK;
}

int
plm_npy_Read(const char *path, const char *name, plm_tensor **ret_t, char *errbuf)
{
  FILE       *fp = NULL;
  plm_tensor *t  = NULL;
  npy_header  h;
  struct stat st;
  uint64_t    datasize = 0;
  int64_t     numel;
  int         status;

  *ret_t = NULL;
  memset(&h, 0, sizeof h);
  if ((fp = fopen(path, "rb")) == NULL) PLM_XFAIL(PLM_EIO, errbuf, "%s: %s", path, strerror(errno));
  if (fstat(fileno(fp), &st) != 0)      PLM_XFAIL(PLM_EIO, errbuf, "%s: %s", path, strerror(errno));
  if (!S_ISREG(st.st_mode))             PLM_XFAIL(PLM_EINVAL, errbuf, "%s: not a regular file", path);
  PLM_XCHECK(read_header(fp, path, (uint64_t)st.st_size, &h, &datasize, errbuf));

  if (plm_tensor_SizeFor(h.dt, h.rank, h.shape, &numel, NULL, errbuf) != PLM_OK)
    PLM_XFAIL(PLM_ELIMIT, errbuf, "%s: .npy shape is too large", path);
  /* numel <= 2^60 (SizeFor), so numel * disksize cannot overflow */
  if ((uint64_t)numel * h.disksize != datasize)
    PLM_XFAIL(PLM_EFORMAT, errbuf, "%s: .npy shape needs %llu data bytes but the file holds %llu%s", path,
              (unsigned long long)numel * h.disksize, (unsigned long long)datasize,
              (uint64_t)numel * h.disksize > datasize ? " (truncated?)" : "");

  PLM_XCHECK(plm_tensor_Create(name, h.dt, h.rank, h.shape, &t, errbuf));
  if (h.disksize == 8 && h.dt == PLM_F32) PLM_XCHECK(read_f8(fp, t->data, numel, path, errbuf));
  else if (fread(t->data, 1, datasize, fp) != datasize)
    PLM_XFAIL(PLM_EIO, errbuf, "%s: read failed in the .npy data", path);
  if (h.fortran) PLM_XCHECK(fortran_to_c(t, errbuf));
  fclose(fp);
  *ret_t = t;
  return PLM_OK;

ERROR:
  if (fp) fclose(fp);
  plm_tensor_Destroy(t);
  return status;
}

/* numpy's header: sorted-key dict repr, growth-axis spare spaces, padded with
 * spaces and '\n' so the data starts 64-aligned. Our rank <= 8 keeps it far
 * below 65535 bytes, so version 1.0 always suffices. Returns its length.
 */
static size_t
format_header(const plm_tensor *t, const char *descr, char *buf, size_t bufsize)
{
  char   shape[8 * 24 + 8] = "(";
  size_t n = 1, len;

  for (int i = 0; i < t->rank; i++)
    n += (size_t)snprintf(shape + n, sizeof shape - n, "%lld%s", (long long)t->shape[i],
                          t->rank == 1 ? "," : i + 1 < t->rank ? ", " : "");
  snprintf(shape + n, sizeof shape - n, ")");

  len = (size_t)snprintf(buf + 10, bufsize - 10, "{'descr': '%s', 'fortran_order': False, 'shape': %s, }", descr, shape);
  if (t->rank > 0) {
    int pad = NPY_GROWDIGITS - snprintf(NULL, 0, "%lld", (long long)t->shape[0]);
    for (; pad > 0; pad--) buf[10 + len++] = ' ';
  }
  for (size_t pad = NPY_ALIGN - (10 + len + 1) % NPY_ALIGN; pad > 0; pad--) buf[10 + len++] = ' ';
  buf[10 + len++] = '\n';

  memcpy(buf, NPY_MAGIC "\x01\x00", 8);
  buf[8] = (char)(len & 0xff);
  buf[9] = (char)(len >> 8);
  return 10 + len;
}

/* the payload; bf16 has no numpy type, so it is widened to f32 a chunk at a time */
static int
write_data(FILE *fp, const plm_tensor *t, size_t nbytes)
{
  const uint16_t *x = t->data;
  int64_t         n = plm_tensor_Numel(t);
  float           buf[1024];

  if (t->dtype != PLM_BF16) return fwrite(t->data, 1, nbytes, fp) == nbytes ? PLM_OK : PLM_EIO;
  for (int64_t i = 0; i < n; i += 1024) {
    size_t k = (size_t)(n - i < 1024 ? n - i : 1024);
    for (size_t j = 0; j < k; j++) buf[j] = plm_bf16_to_f32(x[i + (int64_t)j]);
    if (fwrite(buf, sizeof *buf, k, fp) != k) return PLM_EIO;
  }
  return PLM_OK;
}

int
plm_npy_Write(const char *path, const plm_tensor *t, char *errbuf)
{
  static const char *descr[] = {
    [PLM_F32] = "<f4", [PLM_F16] = "<f2", [PLM_BF16] = "<f4", [PLM_I32] = "<i4", [PLM_U8] = "|u1", [PLM_I64] = "<i8",
  };
  char   hdr[512];
  FILE  *fp = NULL;
  size_t hlen, nbytes;
  int    ok, status;

  if ((int)t->dtype < 0 || (int)t->dtype > PLM_I64 || t->rank < 0 || t->rank > 8)
    return plm_Fail(errbuf, PLM_EINVAL, "%s: tensor %s has an invalid dtype or rank", path, t->name);
  if ((status = plm_tensor_SizeFor(t->dtype, t->rank, t->shape, NULL, &nbytes, errbuf)) != PLM_OK) return status;
  hlen = format_header(t, descr[t->dtype], hdr, sizeof hdr);

  if ((fp = fopen(path, "wb")) == NULL) return plm_Fail(errbuf, PLM_EIO, "%s: %s", path, strerror(errno));
  ok = fwrite(hdr, 1, hlen, fp) == hlen && write_data(fp, t, nbytes) == PLM_OK;
  ok = fclose(fp) == 0 && ok;
  if (!ok) PLM_XFAIL(PLM_EIO, errbuf, "%s: write failed: %s", path, strerror(errno));
  return PLM_OK;

ERROR:
  unlink(path);   /* a partial .npy would load as garbage or not at all */
  return status;
}
