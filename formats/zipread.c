/* zipread.c: a minimal read-only ZIP reader for torch archives (see zipread.h).
 *
 *   locating the central directory: find_eocd(), read_cdir() (zip64 aware)
 *   one central directory entry:    read_entry(), zip64_extra()
 *   entry data:                     local_data(), inflate_entry()
 */
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include "crc32.h"
#include "error.h"
#include "lebytes.h"
#include "zipread.h"

#define EOCD_SIZE     22
#define EOCD64_SIZE   56
#define LOCATOR_SIZE  20
#define CDIR_SIZE     46
#define LOCAL_SIZE    30
#define MAX_COMMENT   65535
#define MAX_ENTRIES   (1 << 22)
#define MAX_RATIO     1032           /* DEFLATE never expands more than this: a larger claim is a lie */
#define CHUNK         (1u << 30)     /* zlib counts in uInt: feed multi-GB entries in pieces */
#define ZIP64_MARK    0xffffffffu

typedef struct cdir { uint64_t offset, size, count; } cdir;

/* is [off, off + n) inside the buffer? written so that it cannot overflow */
static int in_range(const plm_zip *z, uint64_t off, uint64_t n) { return off <= z->len && n <= z->len - off; }

/* The end record is the last thing in the file, followed only by a comment of up to 64 KiB. */
static int
find_eocd(const plm_zip *z, uint64_t *ret_pos, char *errbuf)
{
  uint64_t pos, lo;

  if (z->len < EOCD_SIZE) return plm_Fail(errbuf, PLM_EFORMAT, "not a zip archive (%llu bytes)", (unsigned long long)z->len);
  lo = z->len - EOCD_SIZE > MAX_COMMENT ? z->len - EOCD_SIZE - MAX_COMMENT : 0;
  for (pos = z->len - EOCD_SIZE; ; pos--) {
    if (memcmp(z->buf + pos, "PK\5\6", 4) == 0 && plm_le16(z->buf + pos + 20) <= z->len - EOCD_SIZE - pos) {
      *ret_pos = pos;
      return PLM_OK;
    }
    if (pos == lo) break;
  }
  return plm_Fail(errbuf, PLM_EFORMAT, "no zip end-of-central-directory record (truncated file?)");
}

/* Archives past 4 GiB or 65535 entries keep the real numbers in a zip64 end record,
 * found through the locator just before the classic one. */
static int
read_cdir(const plm_zip *z, uint64_t eocd, cdir *ret_cd, char *errbuf)
{
  const uint8_t *e = z->buf + eocd;
  cdir           cd;

  cd.count  = plm_le16(e + 10);
  cd.size   = plm_le32(e + 12);
  cd.offset = plm_le32(e + 16);
  if (eocd >= LOCATOR_SIZE && memcmp(e - LOCATOR_SIZE, "PK\6\7", 4) == 0) {
    uint64_t off64 = plm_le64(e - LOCATOR_SIZE + 8);
    if (!in_range(z, off64, EOCD64_SIZE) || memcmp(z->buf + off64, "PK\6\6", 4) != 0)
      return plm_Fail(errbuf, PLM_EFORMAT, "zip64 end record missing at offset %llu", (unsigned long long)off64);
    cd.count  = plm_le64(z->buf + off64 + 32);
    cd.size   = plm_le64(z->buf + off64 + 40);
    cd.offset = plm_le64(z->buf + off64 + 48);
  }
  if (!in_range(z, cd.offset, cd.size))
    return plm_Fail(errbuf, PLM_EFORMAT, "zip central directory (%llu bytes at %llu) runs past the end of the file (%llu bytes)",
                    (unsigned long long)cd.size, (unsigned long long)cd.offset, (unsigned long long)z->len);
  if (cd.count > cd.size / CDIR_SIZE || cd.count > MAX_ENTRIES)
    return plm_Fail(errbuf, PLM_EFORMAT, "zip central directory claims %llu entries in %llu bytes",
                    (unsigned long long)cd.count, (unsigned long long)cd.size);
  *ret_cd = cd;
  return PLM_OK;
}

/* zip64 extra field (id 1): 8-byte values for exactly those of usize, csize,
 * header offset whose 32-bit fields hold the 0xffffffff marker, in that order. */
static int
zip64_extra(const uint8_t *x, uint32_t xlen, plm_zipentry *e, char *errbuf)
{
  uint64_t *field[3] = { &e->usize, &e->csize, &e->hdr_offset };
  uint32_t  pos = 0;

  while (xlen - pos >= 4) {
    uint32_t id = plm_le16(x + pos), sz = plm_le16(x + pos + 2), used = 0;
    pos += 4;
    if (sz > xlen - pos) return plm_Fail(errbuf, PLM_EFORMAT, "entry %s: extra field overruns its header", e->name);
    for (int k = 0; id == 1 && k < 3; k++) {
      if (*field[k] != ZIP64_MARK) continue;
      if (sz - used < 8) return plm_Fail(errbuf, PLM_EFORMAT, "entry %s: zip64 extra field too short", e->name);
      *field[k] = plm_le64(x + pos + used);
      used += 8;
    }
    pos += sz;
  }
  for (int k = 0; k < 3; k++)
    if (*field[k] == ZIP64_MARK) return plm_Fail(errbuf, PLM_EFORMAT, "entry %s: zip64 sizes missing", e->name);
  return PLM_OK;
}

static int
read_entry(const uint8_t *p, uint64_t avail, plm_zipentry *e, uint64_t *ret_used, char *errbuf)
{
  uint32_t nlen, xlen, clen;
  int      flags, status;

  if (avail < CDIR_SIZE || memcmp(p, "PK\1\2", 4) != 0)
    return plm_Fail(errbuf, PLM_EFORMAT, "corrupt zip central directory entry");
  flags         = plm_le16(p + 8);
  e->method     = plm_le16(p + 10);
  e->crc        = plm_le32(p + 16);
  e->csize      = plm_le32(p + 20);
  e->usize      = plm_le32(p + 24);
  nlen          = plm_le16(p + 28);
  xlen          = plm_le16(p + 30);
  clen          = plm_le16(p + 32);
  e->hdr_offset = plm_le32(p + 42);
  if ((uint64_t)CDIR_SIZE + nlen + xlen + clen > avail)
    return plm_Fail(errbuf, PLM_EFORMAT, "zip central directory entry overruns the directory");
  if (memchr(p + CDIR_SIZE, 0, nlen)) return plm_Fail(errbuf, PLM_EFORMAT, "zip entry name holds a NUL byte");
  if ((e->name = strndup((const char *)p + CDIR_SIZE, nlen)) == NULL) return plm_Fail(errbuf, PLM_EMEM, "out of memory");
  if (flags & 1)                         return plm_Fail(errbuf, PLM_EUNSUP, "entry %s: encrypted", e->name);
  if (e->method != 0 && e->method != 8)  return plm_Fail(errbuf, PLM_EUNSUP, "entry %s: compression method %d", e->name, e->method);
  if ((status = zip64_extra(p + CDIR_SIZE + nlen, xlen, e, errbuf)) != PLM_OK) return status;
  if (e->method == 0 && e->csize != e->usize)
    return plm_Fail(errbuf, PLM_EFORMAT, "entry %s: stored entry with different sizes", e->name);
  *ret_used = (uint64_t)CDIR_SIZE + nlen + xlen + clen;
  return PLM_OK;
}

int
plm_zip_Open(const uint8_t *buf, uint64_t len, plm_zip **ret_z, char *errbuf)
{
  plm_zip *z = NULL;
  uint64_t eocd = 0, pos, used = 0;
  cdir     cd = { 0, 0, 0 };
  int      status;

  *ret_z = NULL;
  if ((z = calloc(1, sizeof *z)) == NULL) PLM_XFAIL(PLM_EMEM, errbuf, "out of memory");
  z->buf = buf;
  z->len = len;
  PLM_XCHECK(find_eocd(z, &eocd, errbuf));
  PLM_XCHECK(read_cdir(z, eocd, &cd, errbuf));
  if ((z->e = calloc(cd.count ? cd.count : 1, sizeof *z->e)) == NULL) PLM_XFAIL(PLM_EMEM, errbuf, "out of memory");
  for (pos = 0; (uint64_t)z->n < cd.count; pos += used)
    PLM_XCHECK(read_entry(buf + cd.offset + pos, cd.size - pos, &z->e[z->n++], &used, errbuf));
  *ret_z = z;
  return PLM_OK;

ERROR:
  plm_zip_Close(z);
  return status;
}

int
plm_zip_Find(const plm_zip *z, const char *name)
{
  for (int i = 0; i < z->n; i++)
    if (strcmp(z->e[i].name, name) == 0) return i;
  return -1;
}

/* The local header repeats name and extra field with their own lengths; data follows it. */
static int
local_data(const plm_zip *z, const plm_zipentry *e, const uint8_t **ret_p, char *errbuf)
{
  const uint8_t *h = z->buf + e->hdr_offset;
  uint64_t       start;

  if (!in_range(z, e->hdr_offset, LOCAL_SIZE) || memcmp(h, "PK\3\4", 4) != 0)
    return plm_Fail(errbuf, PLM_EFORMAT, "entry %s: no local header at offset %llu", e->name, (unsigned long long)e->hdr_offset);
  start = e->hdr_offset + LOCAL_SIZE + plm_le16(h + 26) + plm_le16(h + 28);
  if (!in_range(z, start, e->csize))
    return plm_Fail(errbuf, PLM_EFORMAT, "entry %s: data runs past the end of the file (truncated?)", e->name);
  *ret_p = z->buf + start;
  return PLM_OK;
}

static uint32_t
crc_of(const uint8_t *p, uint64_t n)
{
  return plm_crc32(0, p, (size_t)n);
}

static int
inflate_entry(const plm_zipentry *e, const uint8_t *src, uint8_t **ret_out, char *errbuf)
{
  z_stream s;
  uint8_t *out = NULL;
  uint64_t in_left = e->csize, out_left = e->usize;
  int      rc = Z_OK, status;

  memset(&s, 0, sizeof s);
  if (e->usize / MAX_RATIO > e->csize)
    return plm_Fail(errbuf, PLM_EFORMAT, "entry %s: %llu bytes cannot inflate to %llu", e->name,
                    (unsigned long long)e->csize, (unsigned long long)e->usize);
  if ((out = malloc(e->usize ? e->usize : 1)) == NULL) return plm_Fail(errbuf, PLM_EMEM, "out of memory");
  if (inflateInit2(&s, -MAX_WBITS) != Z_OK) { free(out); return plm_Fail(errbuf, PLM_EMEM, "zlib: out of memory"); }
  s.next_in  = (Bytef *)src;
  s.next_out = out;
  while (rc == Z_OK) {
    uInt ain  = in_left > CHUNK ? CHUNK : (uInt)in_left, aout = out_left > CHUNK ? CHUNK : (uInt)out_left;
    s.avail_in  = ain;
    s.avail_out = aout;
    rc = inflate(&s, Z_NO_FLUSH);
    in_left  -= ain - s.avail_in;
    out_left -= aout - s.avail_out;
    if (rc == Z_OK && ain == s.avail_in && aout == s.avail_out) rc = Z_BUF_ERROR;   /* no progress */
  }
  inflateEnd(&s);
  if (rc != Z_STREAM_END || out_left != 0) PLM_XFAIL(PLM_EFORMAT, errbuf, "entry %s: corrupt deflate data", e->name);
  if (crc_of(out, e->usize) != e->crc) PLM_XFAIL(PLM_EFORMAT, errbuf, "entry %s: CRC mismatch", e->name);
  *ret_out = out;
  return PLM_OK;

ERROR:
  free(out);
  return status;
}

int
plm_zip_Data(const plm_zip *z, int i, const uint8_t **ret_data, uint8_t **ret_owned, char *errbuf)
{
  const plm_zipentry *e = &z->e[i];
  const uint8_t      *src = NULL;
  int                 status;

  *ret_data  = NULL;
  *ret_owned = NULL;
  if ((status = local_data(z, e, &src, errbuf)) != PLM_OK) return status;
  /* torch stores its tensors uncompressed: their CRC is the only guard against a flipped bit */
  if (e->method == 0 && crc_of(src, e->csize) != e->crc)
    return plm_Fail(errbuf, PLM_EFORMAT, "entry %s: CRC mismatch (the file is damaged)", e->name);
  if (e->method == 0) { *ret_data = src; return PLM_OK; }
  if ((status = inflate_entry(e, src, ret_owned, errbuf)) != PLM_OK) return status;
  *ret_data = *ret_owned;
  return PLM_OK;
}

void
plm_zip_Close(plm_zip *z)
{
  if (!z) return;
  for (int i = 0; i < z->n; i++) free(z->e[i].name);
  free(z->e);
  free(z);
}
