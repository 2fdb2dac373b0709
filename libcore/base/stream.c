/* stream.c: the record stream (see stream.h and plmscope-stream(5)).
 *
 * Layout, all integers little-endian:
 *   stream header  magic[8] "\x89PLMSTR\n", u32 version, u32 flags (0)
 *   frame          tag[4] "REC\1" | "END\1", u8 codec (0 stored, 1 zlib), u8 pad[3],
 *                  u64 stored_len, u64 raw_len, u32 payload_crc, u32 id_len,
 *                  id[id_len], u32 header_crc (of everything before it), payload
 *   end frame      tag "END\1", raw_len = number of records, no id, no payload
 *   payload        u32 flags (bit 0: aligned row present), u64 n + seq,
 *                  [u64 n + aligned], u32 nmeta, {u32 n + key, u64 n + value},
 *                  u32 ntensors, {u32 n + name, u8 dtype, u8 rank, u16 pad,
 *                  u64 shape[rank], data}
 *
 * Contents: reader (open, read, close), writer (open, write, close, abort), sniff.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>
#include "error.h"
#include "membudget.h"
#include "crc32.h"
#include "stream.h"

#define FRAME_FIXED   32
#define MAX_ID        4096
#define MAX_NAME      PLM_MAXNAME
#define MAX_ITEMS     (1 << 20)      /* metadata entries or tensors per record */
#define ZLIB_MAXRATIO 1032           /* deflate cannot expand more than this */
#define READ_CHUNK    ((size_t)16 << 20)

enum { CODEC_STORED = 0, CODEC_ZLIB = 1 };
static const char TAG_REC[4] = { 'R', 'E', 'C', 1 };
static const char TAG_END[4] = { 'E', 'N', 'D', 1 };

static void     put32(unsigned char *p, uint32_t v) { for (int i = 0; i < 4; i++) p[i] = (unsigned char)(v >> (8 * i)); }
static void     put64(unsigned char *p, uint64_t v) { for (int i = 0; i < 8; i++) p[i] = (unsigned char)(v >> (8 * i)); }
static uint32_t get32(const unsigned char *p) { uint32_t v = 0; for (int i = 3; i >= 0; i--) v = v << 8 | p[i]; return v; }
static uint64_t get64(const unsigned char *p) { uint64_t v = 0; for (int i = 7; i >= 0; i--) v = v << 8 | p[i]; return v; }

int
plm_stream_Sniff(const unsigned char *buf, size_t n)
{
  return n >= 8 && memcmp(buf, PLM_STREAM_MAGIC, 8) == 0;
}

/* ===================================================================== reader */

struct plm_streamreader {
  FILE          *fp;
  int            owns_fp;
  char          *name;
  int64_t        nread;          /* records returned so far */
  char           last_id[128];   /* id of the last good record, for cuts between frames */
  int64_t        member_start;   /* nread when the current stream began (cat a b | tool) */
  int            done;
  unsigned char *buf;            /* payload buffer, reused */
  size_t         bufsize;
  size_t         maxmem;         /* plm_stream_SetMaxMemory(), or the machine's default once asked; 0: not yet */
  int            maxmem_given;   /* every frame is checked against a limit the user gave */
};

/* prefix every reader error with "NAME: record N ("id"): " */
static int
rfail(plm_streamreader *r, const char *id, char *errbuf, int status, const char *cause)
{
  if (id) return plm_Fail(errbuf, status, "%s: record %lld (\"%.120s\"): %.300s", r->name, (long long)r->nread + 1, id, cause);
  return plm_Fail(errbuf, status, "%s: record %lld: %.300s", r->name, (long long)r->nread + 1, cause);
}

/* read exactly n bytes; returns bytes read */
static size_t
read_full(FILE *fp, void *p, size_t n)
{
  size_t got = 0, k;
  while (got < n && (k = fread((char *)p + got, 1, n - got, fp)) > 0) got += k;
  return got;
}

/* a cut before the next record's id is known: name the last good record */
static int
cut_between(plm_streamreader *r, const char *cause, char *errbuf)
{
  char why[256];
  if (r->nread == 0) return rfail(r, NULL, errbuf, PLM_EFORMAT, cause);
  snprintf(why, sizeof why, "%s after record %lld (\"%.100s\")", cause, (long long)r->nread, r->last_id);
  return rfail(r, NULL, errbuf, PLM_EFORMAT, why);
}

static int
describe_nonstream(const char *name, const unsigned char *b, size_t n, char *errbuf)
{
  if (n == 0)                       return plm_Fail(errbuf, PLM_EFORMAT, "%s: empty input, expected a plmscope stream", name);
  if (b[0] == '>')                  return plm_Fail(errbuf, PLM_EFORMAT, "%s: this is FASTA, not a plmscope stream (run it through seqread first)", name);
  if (n >= 2 && b[0] == 0x1f && b[1] == 0x8b)
                                    return plm_Fail(errbuf, PLM_EFORMAT, "%s: this is gzip data, not a plmscope stream (seqread reads gzipped sequence files)", name);
  if (n >= 2 && b[0] == '#' && b[1] == ' ')
                                    return plm_Fail(errbuf, PLM_EFORMAT, "%s: this looks like a text file (Stockholm?), not a plmscope stream", name);
  if (n >= 6 && memcmp(b, "\x93NUMPY", 6) == 0)
                                    return plm_Fail(errbuf, PLM_EFORMAT, "%s: this is a .npy file, not a plmscope stream (see plmstream from-npy)", name);
  return plm_Fail(errbuf, PLM_EFORMAT, "%s: not a plmscope stream (bad magic)", name);
}

int
plm_stream_OpenReadFILE(FILE *fp, const char *name, plm_streamreader **ret_r, char *errbuf)
{
  plm_streamreader *r = NULL;
  unsigned char     h[16];
  size_t            n;
  int               status;

  *ret_r = NULL;
  if ((r = calloc(1, sizeof *r)) == NULL || (r->name = strdup(name)) == NULL)
    PLM_XFAIL(PLM_EMEM, errbuf, "out of memory");
  r->fp = fp;
  n = read_full(fp, h, sizeof h);
  if (n < 8 || !plm_stream_Sniff(h, n)) { status = describe_nonstream(name, h, n, errbuf); goto ERROR; }
  if (n < 16) PLM_XFAIL(PLM_EFORMAT, errbuf, "%s: truncated stream header", name);
  if (get32(h + 8) > PLM_STREAM_VERSION)
    PLM_XFAIL(PLM_EUNSUP, errbuf, "%s: stream version %u is newer than this plmscope reads (%d)", name, get32(h + 8), PLM_STREAM_VERSION);
  if (get32(h + 8) == 0) PLM_XFAIL(PLM_EFORMAT, errbuf, "%s: invalid stream version 0", name);
  if (get32(h + 12) != 0) PLM_XFAIL(PLM_EUNSUP, errbuf, "%s: unknown stream flags 0x%x", name, get32(h + 12));
  *ret_r = r;
  return PLM_OK;

ERROR:
  if (r) { free(r->name); free(r); }
  return status;
}

int
plm_stream_OpenRead(const char *path, plm_streamreader **ret_r, char *errbuf)
{
  int   is_stdin = strcmp(path, "-") == 0;
  FILE *fp       = is_stdin ? stdin : fopen(path, "rb");
  int   status;

  *ret_r = NULL;
  if (!fp) return plm_Fail(errbuf, PLM_EIO, "%s: %s", path, strerror(errno));
  status = plm_stream_OpenReadFILE(fp, is_stdin ? "stdin" : path, ret_r, errbuf);
  if (status != PLM_OK) { if (!is_stdin) fclose(fp); return status; }
  (*ret_r)->owns_fp = !is_stdin;
  return PLM_OK;
}

void
plm_stream_CloseRead(plm_streamreader *r)
{
  if (!r) return;
  if (r->owns_fp) fclose(r->fp);
  free(r->buf);
  free(r->name);
  free(r);
}

/* grow r->buf to at least n bytes */
static int
reserve(plm_streamreader *r, size_t n)
{
  if (n <= r->bufsize) return PLM_OK;
  size_t         sz = r->bufsize ? r->bufsize : 4096;
  unsigned char *p;
  while (sz < n) sz = sz > SIZE_MAX / 2 ? n : sz * 2;
  if ((p = realloc(r->buf, sz)) == NULL) return PLM_EMEM;
  r->buf = p; r->bufsize = sz;
  return PLM_OK;
}

/* read stored_len bytes into r->buf, growing only as bytes actually arrive */
static int
read_stored(plm_streamreader *r, uint64_t stored_len, const char *id, char *errbuf)
{
  size_t got = 0;
  while (got < stored_len) {
    size_t want = stored_len - got < READ_CHUNK ? (size_t)(stored_len - got) : READ_CHUNK;
    if (reserve(r, got + want) != PLM_OK) return rfail(r, id, errbuf, PLM_EMEM, "out of memory reading frame");
    size_t k = read_full(r->fp, r->buf + got, want);
    got += k;
    if (k < want) return rfail(r, id, errbuf, PLM_EFORMAT, ferror(r->fp) ? "read error" : "truncated frame");
  }
  return PLM_OK;
}

/* inflate r->buf[0..stored_len) into a new buffer of exactly raw_len bytes */
static int
inflate_payload(plm_streamreader *r, uint64_t stored_len, uint64_t raw_len, const char *id,
                unsigned char **ret_raw, char *errbuf)
{
  z_stream       zs  = { 0 };
  unsigned char *out = NULL, *p;
  size_t         cap = 0;
  int            zret, status;

  *ret_raw = NULL;
  if (inflateInit(&zs) != Z_OK) return rfail(r, id, errbuf, PLM_EMEM, "zlib init failed");
  zs.next_in = r->buf;
  do {
    uInt in_now = stored_len - (uint64_t)(zs.next_in - r->buf) > UINT32_MAX ? UINT32_MAX
                  : (uInt)(stored_len - (uint64_t)(zs.next_in - r->buf));
    zs.avail_in = in_now;
    if (zs.total_out >= cap) {          /* grow with what inflate produces, never to a claimed size */
      size_t ncap = cap ? cap * 2 : 65536;
      if (ncap > raw_len + 1) ncap = (size_t)raw_len + 1;
      if (ncap <= cap) { status = rfail(r, id, errbuf, PLM_EFORMAT, "corrupt frame: payload longer than declared"); goto ERROR; }
      if ((p = realloc(out, ncap)) == NULL) { status = rfail(r, id, errbuf, PLM_EMEM, "out of memory inflating frame"); goto ERROR; }
      out = p; cap = ncap;
    }
    size_t room = cap - zs.total_out;
    zs.next_out  = out + zs.total_out;
    zs.avail_out = room > UINT32_MAX ? UINT32_MAX : (uInt)room;
    zret = inflate(&zs, Z_NO_FLUSH);
    if (zret != Z_OK && zret != Z_STREAM_END && !(zret == Z_BUF_ERROR && zs.avail_out == 0)) {
      status = rfail(r, id, errbuf, PLM_EFORMAT, "corrupt frame: bad compressed data"); goto ERROR;
    }
    if (zret == Z_BUF_ERROR && zs.avail_in == 0 && zs.avail_out > 0) {
      status = rfail(r, id, errbuf, PLM_EFORMAT, "corrupt frame: compressed data ends early"); goto ERROR;
    }
  } while (zret != Z_STREAM_END);
  if (zs.total_out != raw_len || (uint64_t)(zs.next_in - r->buf) != stored_len) {
    status = rfail(r, id, errbuf, PLM_EFORMAT, "corrupt frame: payload length mismatch"); goto ERROR;
  }
  inflateEnd(&zs);
  *ret_raw = out;
  return PLM_OK;

ERROR:
  inflateEnd(&zs);
  free(out);
  return status;
}

/* a bounds-checked cursor over a decoded payload */
typedef struct { const unsigned char *p; size_t left; int bad; } cursor;

static const unsigned char *
take(cursor *c, uint64_t n)
{
  if (c->bad || n > c->left) { c->bad = 1; return NULL; }
  const unsigned char *p = c->p;
  c->p += n; c->left -= (size_t)n;
  return p;
}
static uint32_t take32(cursor *c) { const unsigned char *p = take(c, 4); return p ? get32(p) : 0; }
static uint64_t take64(cursor *c) { const unsigned char *p = take(c, 8); return p ? get64(p) : 0; }

/* a length-prefixed string as a new C string; NUL bytes inside are corruption */
static char *
take_string(cursor *c, uint64_t n)
{
  const unsigned char *p = take(c, n);
  char                *s;
  if (!p) return NULL;
  if (memchr(p, '\0', (size_t)n)) { c->bad = 1; return NULL; }
  if ((s = malloc((size_t)n + 1)) == NULL) { c->bad = 2; return NULL; }
  memcpy(s, p, (size_t)n); s[n] = '\0';
  return s;
}

static int
decode_tensor(cursor *c, plm_tensor **ret_t, char *why, size_t whylen)
{
  plm_tensor *t = NULL;
  char       *name = NULL, eb[PLM_ERRBUFSIZE];
  int64_t     shape[PLM_MAXRANK];
  size_t      nbytes;
  uint32_t    nlen = take32(c);
  int         status;

  *ret_t = NULL;
  if (c->bad || nlen == 0 || nlen > MAX_NAME || (name = take_string(c, nlen)) == NULL)
    { snprintf(why, whylen, "corrupt tensor name"); status = PLM_EFORMAT; goto ERROR; }
  const unsigned char *h = take(c, 4);
  if (!h) { snprintf(why, whylen, "tensor %s: truncated header", name); status = PLM_EFORMAT; goto ERROR; }
  if (h[0] >= PLM_NDTYPE_STREAM) { snprintf(why, whylen, "tensor %s: unknown dtype code %d", name, h[0]); status = PLM_EFORMAT; goto ERROR; }
  if (h[1] > PLM_MAXRANK)        { snprintf(why, whylen, "tensor %s: rank %d exceeds %d", name, h[1], PLM_MAXRANK); status = PLM_EFORMAT; goto ERROR; }
  if (h[2] || h[3])              { snprintf(why, whylen, "tensor %s: padding bytes not zero", name); status = PLM_EFORMAT; goto ERROR; }
  for (int i = 0; i < h[1]; i++) {
    uint64_t d = take64(c);
    if (d > (UINT64_C(1) << 40)) { snprintf(why, whylen, "tensor %s: dimension too large", name); status = PLM_EFORMAT; goto ERROR; }
    shape[i] = (int64_t)d;
  }
  if (c->bad || plm_tensor_SizeFor((plm_dtype)h[0], h[1], shape, NULL, &nbytes, eb) != PLM_OK || nbytes > c->left)
    { snprintf(why, whylen, "tensor %s: data shorter than its shape", name); status = PLM_EFORMAT; goto ERROR; }
  if (plm_tensor_Create(name, (plm_dtype)h[0], h[1], shape, &t, eb) != PLM_OK)
    { snprintf(why, whylen, "tensor %s: %.200s", name, eb); status = PLM_EMEM; goto ERROR; }
  memcpy(t->data, take(c, nbytes), nbytes);
  free(name);
  *ret_t = t;
  return PLM_OK;

ERROR:
  free(name);
  return status;
}

static int
decode_payload(const unsigned char *raw, uint64_t n, const char *id, plm_record **ret_rec, char *why, size_t whylen)
{
  cursor      c   = { raw, (size_t)n, 0 };
  plm_record *rec = NULL;
  plm_tensor *t;
  char       *s = NULL, *v = NULL, eb[PLM_ERRBUFSIZE];
  uint32_t    flags, count;
  int         status;

  *ret_rec = NULL;
  flags = take32(&c);
  if ((s = take_string(&c, take64(&c))) == NULL) { snprintf(why, whylen, "corrupt sequence"); status = PLM_EFORMAT; goto ERROR; }
  if (plm_record_Create(id, s, &rec, eb) != PLM_OK) { snprintf(why, whylen, "%.200s", eb); status = PLM_EMEM; goto ERROR; }
  free(s); s = NULL;
  if (flags & 1) {
    if ((s = take_string(&c, take64(&c))) == NULL) { snprintf(why, whylen, "corrupt aligned row"); status = PLM_EFORMAT; goto ERROR; }
    rec->aligned = s; s = NULL;
  }
  if ((count = take32(&c)) > MAX_ITEMS || c.bad) { snprintf(why, whylen, "corrupt metadata count"); status = PLM_EFORMAT; goto ERROR; }
  for (uint32_t i = 0; i < count; i++) {
    if ((s = take_string(&c, take32(&c))) == NULL || (v = take_string(&c, take64(&c))) == NULL)
      { snprintf(why, whylen, "corrupt metadata entry %u", i + 1); status = PLM_EFORMAT; goto ERROR; }
    if (plm_record_SetMeta(rec, s, v, eb) != PLM_OK) { snprintf(why, whylen, "%.200s", eb); status = PLM_EMEM; goto ERROR; }
    free(s); free(v); s = v = NULL;
  }
  if ((count = take32(&c)) > MAX_ITEMS || c.bad) { snprintf(why, whylen, "corrupt tensor count"); status = PLM_EFORMAT; goto ERROR; }
  for (uint32_t i = 0; i < count; i++) {
    PLM_XCHECK(decode_tensor(&c, &t, why, whylen));
    if (plm_record_GetTensor(rec, t->name)) { snprintf(why, whylen, "duplicate tensor %s", t->name); plm_tensor_Destroy(t); status = PLM_EFORMAT; goto ERROR; }
    if (plm_record_AddTensor(rec, t, eb) != PLM_OK) { snprintf(why, whylen, "%.200s", eb); status = PLM_EMEM; goto ERROR; }
  }
  if (c.left != 0) { snprintf(why, whylen, "%zu trailing bytes in frame", c.left); status = PLM_EFORMAT; goto ERROR; }
  *ret_rec = rec;
  return PLM_OK;

ERROR:
  free(s); free(v);
  plm_record_Destroy(rec);
  return status;
}

/* After an end frame: true EOF, or another stream's header (streams concatenated
 * by `cat` form one stream), or garbage that must not be silently ignored. */
static int
next_member(plm_streamreader *r, plm_record **ret_rec, char *errbuf)
{
  unsigned char h[16];
  size_t        n = read_full(r->fp, h, sizeof h);

  if (n == 0 && !ferror(r->fp)) { r->done = 1; return PLM_EOF; }
  if (n < sizeof h || !plm_stream_Sniff(h, n) || get32(h + 8) == 0 || get32(h + 8) > PLM_STREAM_VERSION || get32(h + 12) != 0)
    return plm_Fail(errbuf, PLM_EFORMAT, "%s: unexpected bytes after the end frame (record %lld, \"%.100s\", was the last)",
                    r->name, (long long)r->nread, r->last_id);
  r->member_start = r->nread;
  return plm_stream_Read(r, ret_rec, errbuf);
}

void
plm_stream_SetMaxMemory(plm_streamreader *r, size_t bytes)
{
  r->maxmem       = bytes;
  r->maxmem_given = bytes > 0;
}

/* refuse a frame before reading it when its record would not fit the memory limit: the payload
 * (inflated too, for zlib) and the record decoded from it, which copies every tensor. Under the
 * machine's default (read once) every frame over 64 MiB is checked, and every 64th of the small
 * ones, which catches a tool that keeps what it reads (potts, probe) at a cost of a read of
 * /proc/self/statm per 64 records */
static int
check_memory(plm_streamreader *r, uint64_t stored_len, uint64_t raw_len, uint8_t codec, const char *id, char *errbuf)
{
  char   why[PLM_ERRBUFSIZE];
  double need = 2.0 * (double)raw_len + (codec == CODEC_ZLIB ? (double)stored_len : 0.0);

  if (!r->maxmem_given && raw_len <= ((uint64_t)64 << 20) && r->nread % 64 != 63) return PLM_OK;
  if (!r->maxmem) r->maxmem = plm_mem_Limit(0);
  if (plm_mem_Check(r->maxmem, need, why) == PLM_OK) return PLM_OK;
  return rfail(r, id, errbuf, PLM_ELIMIT, why);
}

int
plm_stream_Read(plm_streamreader *r, plm_record **ret_rec, char *errbuf)
{
  unsigned char  h[FRAME_FIXED], crcb[4], *raw = NULL;
  char           id[MAX_ID + 1], why[PLM_ERRBUFSIZE];
  plm_record    *rec = NULL;
  size_t         n;
  int            status;

  *ret_rec = NULL;
  if (r->done) return PLM_EOF;
  n = read_full(r->fp, h, FRAME_FIXED);
  if (n < FRAME_FIXED) return cut_between(r, n == 0 ? "stream ends without its end frame" : "truncated frame header", errbuf);
  int is_end = memcmp(h, TAG_END, 4) == 0;
  if (!is_end && memcmp(h, TAG_REC, 4) != 0) return rfail(r, NULL, errbuf, PLM_EFORMAT, "corrupt frame header (bad tag)");

  uint8_t  codec      = h[4];
  uint64_t stored_len = get64(h + 8), raw_len = get64(h + 16);
  uint32_t pcrc       = get32(h + 24), id_len = get32(h + 28);
  if (id_len > MAX_ID) return rfail(r, NULL, errbuf, PLM_EFORMAT, "corrupt frame header (id too long)");
  if (read_full(r->fp, id, id_len) < id_len || read_full(r->fp, crcb, 4) < 4)
    return cut_between(r, "truncated frame header", errbuf);
  uint32_t hcrc = plm_crc32(plm_crc32(0, h, FRAME_FIXED), id, id_len);
  if (hcrc != get32(crcb))           return rfail(r, NULL, errbuf, PLM_EFORMAT, "corrupt frame header (checksum mismatch)");
  if (memchr(id, '\0', id_len))      return rfail(r, NULL, errbuf, PLM_EFORMAT, "corrupt frame header (NUL in id)");
  if (h[5] || h[6] || h[7])          return rfail(r, NULL, errbuf, PLM_EFORMAT, "frame header padding not zero");
  id[id_len] = '\0';

  if (is_end) {
    if (stored_len != 0 || (int64_t)raw_len != r->nread - r->member_start)
      return plm_Fail(errbuf, PLM_EFORMAT, "%s: end frame counts %llu records but %lld were read", r->name,
                      (unsigned long long)raw_len, (long long)(r->nread - r->member_start));
    return next_member(r, ret_rec, errbuf);
  }
  if (codec > CODEC_ZLIB)                    return rfail(r, id, errbuf, PLM_EUNSUP, "unknown compression codec");
  if (stored_len > PLM_STREAM_MAXFRAME || raw_len > PLM_STREAM_MAXFRAME)
                                             return rfail(r, id, errbuf, PLM_ELIMIT, "frame larger than the 64 GiB limit");
  if (codec == CODEC_STORED && stored_len != raw_len) return rfail(r, id, errbuf, PLM_EFORMAT, "corrupt frame header (length mismatch)");
  if (codec == CODEC_ZLIB && raw_len > stored_len * ZLIB_MAXRATIO + 1024)
                                             return rfail(r, id, errbuf, PLM_EFORMAT, "corrupt frame header (impossible compression ratio)");
  PLM_XCHECK(check_memory(r, stored_len, raw_len, codec, id, errbuf));
  PLM_XCHECK(read_stored(r, stored_len, id, errbuf));
  if (codec == CODEC_ZLIB) PLM_XCHECK(inflate_payload(r, stored_len, raw_len, id, &raw, errbuf));
  const unsigned char *payload = raw ? raw : r->buf;
  if (plm_crc32(0, payload, (size_t)raw_len) != pcrc) { status = rfail(r, id, errbuf, PLM_EFORMAT, "corrupt frame (payload checksum mismatch)"); goto ERROR; }
  if ((status = decode_payload(payload, raw_len, id, &rec, why, sizeof why)) != PLM_OK) {
    status = rfail(r, id, errbuf, status, why); goto ERROR;
  }
  free(raw);
  r->nread++;
  snprintf(r->last_id, sizeof r->last_id, "%.100s", id);
  *ret_rec = rec;
  return PLM_OK;

ERROR:
  free(raw);
  return status;
}

/* ===================================================================== writer */

struct plm_streamwriter {
  FILE    *fp;
  int      owns_fp;
  char    *name;
  int      zlevel;
  int64_t  nwritten;
};

/* a record is emitted as pieces; one emitter measures, another writes or deflates */
typedef struct emitter {
  int     (*emit)(struct emitter *e, const void *p, size_t n);
  uint64_t  len;
  uint32_t  crc;
  FILE     *fp;
  z_stream *zs;
  unsigned char *zbuf; size_t zcap;
} emitter;

static int
emit_measure(emitter *e, const void *p, size_t n)
{
  e->len += n;
  e->crc  = plm_crc32(e->crc, p, n);
  return PLM_OK;
}

static int
emit_write(emitter *e, const void *p, size_t n)
{
  return fwrite(p, 1, n, e->fp) == n ? PLM_OK : PLM_EIO;
}

/* one deflate() call with room for its output; flush is Z_NO_FLUSH or Z_FINISH */
static int
deflate_step(emitter *e, int flush)
{
  if (e->zs->total_out + 65536 > e->zcap) {
    size_t         ncap = e->zcap ? e->zcap * 2 : 1 << 20;
    unsigned char *q    = realloc(e->zbuf, ncap);
    if (!q) return PLM_EMEM;
    e->zbuf = q; e->zcap = ncap;
  }
  e->zs->next_out  = e->zbuf + e->zs->total_out;
  e->zs->avail_out = (uInt)(e->zcap - e->zs->total_out > UINT32_MAX ? UINT32_MAX : e->zcap - e->zs->total_out);
  int zret = deflate(e->zs, flush);
  if (zret == Z_STREAM_ERROR) return PLM_EFORMAT;
  return zret == Z_STREAM_END ? PLM_EOF : PLM_OK;
}

static int
emit_deflate(emitter *e, const void *p, size_t n)
{
  int status;
  e->zs->next_in = (Bytef *)p;
  while (n > 0) {
    uInt now = n > UINT32_MAX ? UINT32_MAX : (uInt)n;
    e->zs->avail_in = now;
    while (e->zs->avail_in > 0)
      if ((status = deflate_step(e, Z_NO_FLUSH)) != PLM_OK) return status;
    n -= now;
  }
  return PLM_OK;
}

static int
emit_u32(emitter *e, uint32_t v) { unsigned char b[4]; put32(b, v); return e->emit(e, b, 4); }
static int
emit_u64(emitter *e, uint64_t v) { unsigned char b[8]; put64(b, v); return e->emit(e, b, 8); }

static int
emit_record(emitter *e, const plm_record *rec)
{
  int status;
  PLM_XCHECK(emit_u32(e, rec->aligned ? 1 : 0));
  PLM_XCHECK(emit_u64(e, strlen(rec->seq)));
  PLM_XCHECK(e->emit(e, rec->seq, strlen(rec->seq)));
  if (rec->aligned) {
    PLM_XCHECK(emit_u64(e, strlen(rec->aligned)));
    PLM_XCHECK(e->emit(e, rec->aligned, strlen(rec->aligned)));
  }
  PLM_XCHECK(emit_u32(e, (uint32_t)rec->nmeta));
  for (int i = 0; i < rec->nmeta; i++) {
    PLM_XCHECK(emit_u32(e, (uint32_t)strlen(rec->meta[i].key)));
    PLM_XCHECK(e->emit(e, rec->meta[i].key, strlen(rec->meta[i].key)));
    PLM_XCHECK(emit_u64(e, strlen(rec->meta[i].value)));
    PLM_XCHECK(e->emit(e, rec->meta[i].value, strlen(rec->meta[i].value)));
  }
  PLM_XCHECK(emit_u32(e, (uint32_t)rec->ntensors));
  for (int i = 0; i < rec->ntensors; i++) {
    const plm_tensor *t = rec->tensors[i];
    unsigned char     th[4] = { (unsigned char)t->dtype, (unsigned char)t->rank, 0, 0 };
    PLM_XCHECK(emit_u32(e, (uint32_t)strlen(t->name)));
    PLM_XCHECK(e->emit(e, t->name, strlen(t->name)));
    PLM_XCHECK(e->emit(e, th, 4));
    for (int d = 0; d < t->rank; d++) PLM_XCHECK(emit_u64(e, (uint64_t)t->shape[d]));
    PLM_XCHECK(e->emit(e, t->data, plm_tensor_Nbytes(t)));
  }
  return PLM_OK;
ERROR:
  return status;
}

/* refuse what the reader would refuse, before writing a byte of the frame */
static int
validate_record(const plm_streamwriter *w, const plm_record *rec, char *errbuf)
{
  if (strlen(rec->id) > MAX_ID)
    return plm_Fail(errbuf, PLM_EINVAL, "%s: record id longer than %d bytes", w->name, MAX_ID);
  for (int i = 0; i < rec->ntensors; i++) {
    const plm_tensor *t = rec->tensors[i];
    size_t            nlen = strlen(t->name);
    if (nlen == 0 || nlen > MAX_NAME || (int)t->dtype >= PLM_NDTYPE_STREAM || t->rank > PLM_MAXRANK)
      return plm_Fail(errbuf, PLM_EINVAL, "%s: record \"%s\": tensor \"%s\" cannot go on a stream (name, dtype %s or rank %d)",
                      w->name, rec->id, t->name, plm_dtype_Name(t->dtype), t->rank);
  }
  return PLM_OK;
}

static int
write_frame_header(plm_streamwriter *w, const char *tag, int codec, uint64_t stored, uint64_t raw, uint32_t pcrc, const char *id)
{
  unsigned char h[FRAME_FIXED] = { 0 }, crcb[4];
  uint32_t      id_len = (uint32_t)strlen(id);
  memcpy(h, tag, 4);
  h[4] = (unsigned char)codec;
  put64(h + 8, stored); put64(h + 16, raw); put32(h + 24, pcrc); put32(h + 28, id_len);
  put32(crcb, plm_crc32(plm_crc32(0, h, FRAME_FIXED), id, id_len));
  if (fwrite(h, 1, FRAME_FIXED, w->fp) != FRAME_FIXED || fwrite(id, 1, id_len, w->fp) != id_len || fwrite(crcb, 1, 4, w->fp) != 4)
    return PLM_EIO;
  return PLM_OK;
}

int
plm_stream_Write(plm_streamwriter *w, const plm_record *rec, char *errbuf)
{
  emitter  m = { emit_measure, 0, 0, NULL, NULL, NULL, 0 };
  z_stream zs = { 0 };
  int      status;

  PLM_XCHECK(validate_record(w, rec, errbuf));
  emit_record(&m, rec);
  if (w->zlevel == 0) {
    emitter out = { emit_write, 0, 0, w->fp, NULL, NULL, 0 };
    if (write_frame_header(w, TAG_REC, CODEC_STORED, m.len, m.len, (uint32_t)m.crc, rec->id) != PLM_OK ||
        emit_record(&out, rec) != PLM_OK)
      PLM_XFAIL(PLM_EIO, errbuf, "%s: write failed: %s", w->name, strerror(errno));
  } else {
    emitter z = { emit_deflate, 0, 0, NULL, &zs, NULL, 0 };
    if (deflateInit(&zs, w->zlevel) != Z_OK) PLM_XFAIL(PLM_EMEM, errbuf, "zlib init failed");
    if ((status = emit_record(&z, rec)) != PLM_OK) { free(z.zbuf); deflateEnd(&zs); PLM_XFAIL(status, errbuf, "%s: compression failed", w->name); }
    while ((status = deflate_step(&z, Z_FINISH)) == PLM_OK) ;
    if (status != PLM_EOF) { free(z.zbuf); deflateEnd(&zs); PLM_XFAIL(status, errbuf, "%s: compression failed", w->name); }
    size_t zlen = zs.total_out;
    deflateEnd(&zs);
    int ok = write_frame_header(w, TAG_REC, CODEC_ZLIB, zlen, m.len, (uint32_t)m.crc, rec->id) == PLM_OK &&
             fwrite(z.zbuf, 1, zlen, w->fp) == zlen;
    free(z.zbuf);
    if (!ok) PLM_XFAIL(PLM_EIO, errbuf, "%s: write failed: %s", w->name, strerror(errno));
  }
  if (fflush(w->fp) != 0) PLM_XFAIL(PLM_EIO, errbuf, "%s: write failed: %s", w->name, strerror(errno));
  w->nwritten++;
  return PLM_OK;

ERROR:
  return status;
}

int
plm_stream_OpenWriteFILE(FILE *fp, const char *name, int zlevel, plm_streamwriter **ret_w, char *errbuf)
{
  plm_streamwriter *w = NULL;
  unsigned char     h[16];
  int               status;

  *ret_w = NULL;
  if (zlevel < 0 || zlevel > 9) return plm_Fail(errbuf, PLM_EINVAL, "compression level %d is not in 0..9", zlevel);
  if ((w = calloc(1, sizeof *w)) == NULL || (w->name = strdup(name)) == NULL) PLM_XFAIL(PLM_EMEM, errbuf, "out of memory");
  w->fp = fp; w->zlevel = zlevel;
  memcpy(h, PLM_STREAM_MAGIC, 8); put32(h + 8, PLM_STREAM_VERSION); put32(h + 12, 0);
  if (fwrite(h, 1, 16, fp) != 16 || fflush(fp) != 0) PLM_XFAIL(PLM_EIO, errbuf, "%s: write failed: %s", name, strerror(errno));
  *ret_w = w;
  return PLM_OK;

ERROR:
  if (w) { free(w->name); free(w); }
  return status;
}

int
plm_stream_OpenWrite(const char *path, int zlevel, plm_streamwriter **ret_w, char *errbuf)
{
  int   is_stdout = strcmp(path, "-") == 0;
  FILE *fp        = is_stdout ? stdout : fopen(path, "wb");
  int   status;

  *ret_w = NULL;
  if (!fp) return plm_Fail(errbuf, PLM_EIO, "%s: %s", path, strerror(errno));
  /* binary on a terminal is garbage to the reader and can upset the terminal (as samtools, zstd) */
  if (is_stdout && isatty(fileno(stdout)))
    return plm_Fail(errbuf, PLM_EINVAL, "stdout is a terminal: refusing to write a binary stream there "
                    "(redirect it to a file, pipe it into a tool such as 'plmstream ls', or give -o FILE)");
  status = plm_stream_OpenWriteFILE(fp, is_stdout ? "stdout" : path, zlevel, ret_w, errbuf);
  if (status != PLM_OK) { if (!is_stdout) fclose(fp); return status; }
  (*ret_w)->owns_fp = !is_stdout;
  return PLM_OK;
}

int
plm_stream_CloseWrite(plm_streamwriter *w, char *errbuf)
{
  int status = PLM_OK;
  if (!w) return PLM_OK;
  if (write_frame_header(w, TAG_END, CODEC_STORED, 0, (uint64_t)w->nwritten, 0, "") != PLM_OK || fflush(w->fp) != 0)
    status = plm_Fail(errbuf, PLM_EIO, "%s: write failed: %s", w->name, strerror(errno));
  if (w->owns_fp && fclose(w->fp) != 0 && status == PLM_OK)
    status = plm_Fail(errbuf, PLM_EIO, "%s: close failed: %s", w->name, strerror(errno));
  free(w->name);
  free(w);
  return status;
}

void
plm_stream_AbortWrite(plm_streamwriter *w)
{
  if (!w) return;
  fflush(w->fp);
  if (w->owns_fp) fclose(w->fp);
  free(w->name);
  free(w);
}

/* the valid prefix of a stream that may have been cut (a killed producer): every record before the
 * first damaged or missing frame is copied to w, each also handed to each() when given (which may
 * stop the copy with a status of its own); *ret_kept the records kept, *ret_whole 1 when the stream
 * ended with its end frame. Damage after the prefix is no error: it is what this is for; cause, when
 * given, says why the copy stopped ("" for a whole stream) */
int
plm_stream_Salvage(const char *path, plm_streamwriter *w, int (*each)(const plm_record *rec, void *arg, char *errbuf),
                   void *arg, long long *ret_kept, int *ret_whole, char *cause, char *errbuf)
{
  plm_streamreader *r;
  plm_record       *rec;
  char              why[PLM_ERRBUFSIZE];
  int               status;

  *ret_kept  = 0;
  *ret_whole = 0;
  if (cause) cause[0] = '\0';
  if ((status = plm_stream_OpenRead(path, &r, why)) != PLM_OK) {
    FILE *fp = fopen(path, "rb");           /* a file cut inside its header holds nothing to keep */
    long  n  = -1;
    if (fp && fseek(fp, 0, SEEK_END) == 0) n = ftell(fp);
    if (fp) fclose(fp);
    if (n < 0 || n >= 16) return plm_Fail(errbuf, status, "%s", why);
    if (cause) snprintf(cause, PLM_ERRBUFSIZE, "%s", why);
    return PLM_OK;
  }
  while ((status = plm_stream_Read(r, &rec, why)) == PLM_OK) {
    if (each && (status = each(rec, arg, errbuf)) != PLM_OK) { plm_record_Destroy(rec); plm_stream_CloseRead(r); return status; }
    status = plm_stream_Write(w, rec, errbuf);
    plm_record_Destroy(rec);
    if (status != PLM_OK) { plm_stream_CloseRead(r); return status; }
    (*ret_kept)++;
  }
  plm_stream_CloseRead(r);
  if (status == PLM_EOF) *ret_whole = 1;
  else if (cause) snprintf(cause, PLM_ERRBUFSIZE, "%s", why);
  return PLM_OK;
}

long long
plm_stream_Tell(const plm_streamreader *r)
{
  off_t at = ftello(r->fp);
  return at < 0 ? -1 : (long long)at;
}
