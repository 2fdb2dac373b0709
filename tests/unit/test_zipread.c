/* test_zipread.c: unit tests for formats/zipread on archives built here in memory:
 * STORED and DEFLATE entries, zip64 records and extra fields, a trailing comment,
 * and corrupt input (every truncation, bad CRC, offsets past the end, encryption).
 *
 *   zipw_*: a small ZIP writer, just enough to produce the layouts to test
 */
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include "error.h"
#include "test.h"
#include "zipread.h"

typedef struct zipw { uint8_t *buf; size_t len; int zip64; } zipw;
typedef struct zentry { const char *name; const char *data; int method; } zentry;

static void put(zipw *w, const void *p, size_t n) { memcpy(w->buf + w->len, p, n); w->len += n; }
static void put16(zipw *w, uint32_t v) { uint8_t b[2] = { (uint8_t)v, (uint8_t)(v >> 8) }; put(w, b, 2); }
static void put32(zipw *w, uint32_t v) { put16(w, v & 0xffff); put16(w, v >> 16); }
static void put64(zipw *w, uint64_t v) { put32(w, (uint32_t)v); put32(w, (uint32_t)(v >> 32)); }

/* raw DEFLATE, as ZIP stores it */
static size_t
deflate_raw(const char *src, uint8_t *dst, size_t cap)
{
  z_stream s;
  memset(&s, 0, sizeof s);
  deflateInit2(&s, 9, Z_DEFLATED, -MAX_WBITS, 8, Z_DEFAULT_STRATEGY);
  s.next_in   = (Bytef *)src;
  s.avail_in  = (uInt)strlen(src);
  s.next_out  = dst;
  s.avail_out = (uInt)cap;
  deflate(&s, Z_FINISH);
  deflateEnd(&s);
  return cap - s.avail_out;
}

/* sizes in the header, or the 0xffffffff markers that point to the zip64 extra field */
static void
zipw_sizes(zipw *w, uint64_t csize, uint64_t usize)
{
  put32(w, w->zip64 ? 0xffffffffu : (uint32_t)csize);
  put32(w, w->zip64 ? 0xffffffffu : (uint32_t)usize);
}

static size_t
zipw_build(zipw *w, const zentry *e, int n, const char *comment)
{
  uint8_t  packed[8][256];
  uint64_t csize[8], off[8], cd;
  uint32_t crc[8];

  for (int i = 0; i < n; i++) {   /* local headers and data */
    size_t ulen = strlen(e[i].data), nlen = strlen(e[i].name);
    csize[i] = e[i].method ? deflate_raw(e[i].data, packed[i], sizeof packed[i]) : ulen;
    crc[i]   = (uint32_t)crc32(0, (const Bytef *)e[i].data, (uInt)ulen);
    off[i]   = w->len;
    put(w, "PK\3\4", 4); put16(w, 45); put16(w, 0); put16(w, (uint32_t)e[i].method); put32(w, 0); put32(w, crc[i]);
    zipw_sizes(w, csize[i], ulen);
    put16(w, (uint32_t)nlen); put16(w, w->zip64 ? 20 : 0);
    put(w, e[i].name, nlen);
    if (w->zip64) { put16(w, 1); put16(w, 16); put64(w, ulen); put64(w, csize[i]); }
    put(w, e[i].method ? (const void *)packed[i] : (const void *)e[i].data, csize[i]);
  }
  cd = w->len;
  for (int i = 0; i < n; i++) {   /* central directory */
    size_t ulen = strlen(e[i].data), nlen = strlen(e[i].name);
    put(w, "PK\1\2", 4); put16(w, 45); put16(w, 45); put16(w, 0); put16(w, (uint32_t)e[i].method); put32(w, 0);
    put32(w, crc[i]);
    zipw_sizes(w, csize[i], ulen);
    put16(w, (uint32_t)nlen); put16(w, w->zip64 ? 28 : 0); put16(w, 0); put16(w, 0); put16(w, 0); put32(w, 0);
    put32(w, w->zip64 ? 0xffffffffu : (uint32_t)off[i]);
    put(w, e[i].name, nlen);
    if (w->zip64) { put16(w, 1); put16(w, 24); put64(w, ulen); put64(w, csize[i]); put64(w, off[i]); }
  }
  uint64_t cdsize = w->len - cd, rec64 = w->len;
  if (w->zip64) {
    put(w, "PK\6\6", 4); put64(w, 44); put16(w, 45); put16(w, 45); put32(w, 0); put32(w, 0);
    put64(w, (uint64_t)n); put64(w, (uint64_t)n); put64(w, cdsize); put64(w, cd);
    put(w, "PK\6\7", 4); put32(w, 0); put64(w, rec64); put32(w, 1);
  }
  put(w, "PK\5\6", 4); put16(w, 0); put16(w, 0);
  put16(w, w->zip64 ? 0xffff : (uint32_t)n); put16(w, w->zip64 ? 0xffff : (uint32_t)n);
  put32(w, w->zip64 ? 0xffffffffu : (uint32_t)cdsize); put32(w, w->zip64 ? 0xffffffffu : (uint32_t)cd);
  put16(w, (uint32_t)strlen(comment)); put(w, comment, strlen(comment));
  return w->len;
}

static const zentry entries[] = {
  { "archive/data.pkl", "\x80\x02K\x01.", 0 },
  { "archive/data/0", "a stored tensor payload", 0 },
  { "archive/data/1", "compressible compressible compressible compressible text", 8 },
};

static int
entry_is(const plm_zip *z, const char *name, const char *want, int expect_view, char *err)
{
  const uint8_t *data;
  uint8_t       *owned;
  int            i = plm_zip_Find(z, name), ok;

  if (i < 0 || plm_zip_Data(z, i, &data, &owned, err) != PLM_OK) return 0;
  ok = z->e[i].usize == strlen(want) && memcmp(data, want, strlen(want)) == 0 && (owned == NULL) == expect_view;
  free(owned);
  return ok;
}

static void
test_layout(int zip64, const char *comment)
{
  char     err[PLM_ERRBUFSIZE] = "";
  uint8_t  buf[4096];
  zipw     w = { buf, 0, zip64 };
  plm_zip *z = NULL;
  size_t   len = zipw_build(&w, entries, 3, comment);
  int      status = plm_zip_Open(buf, len, &z, err);

  TEST(status == PLM_OK && z->n == 3, "%s archive%s opens (%s)", zip64 ? "zip64" : "plain", *comment ? " with comment" : "", err);
  if (status) return;
  TEST(entry_is(z, "archive/data/0", entries[1].data, 1, err), "stored entry is a view with the right bytes");
  TEST(entry_is(z, "archive/data/1", entries[2].data, 0, err), "deflated entry inflates to the right bytes");
  TEST(plm_zip_Find(z, "archive/data/2") == -1, "absent entry not found");
  plm_zip_Close(z);
}

static void
test_truncations(void)
{
  char     err[PLM_ERRBUFSIZE];
  uint8_t  buf[4096];
  zipw     w = { buf, 0, 1 };
  size_t   len = zipw_build(&w, entries, 3, ""), nfail = 0;
  plm_zip *z;

  for (size_t cut = 0; cut < len; cut++) {
    uint8_t *copy = malloc(cut ? cut : 1);   /* exact-size copies let ASan see any overread */
    memcpy(copy, buf, cut);
    if (plm_zip_Open(copy, cut, &z, err) != PLM_OK) nfail++;
    else plm_zip_Close(z);
    free(copy);
  }
  TEST(nfail == len, "all %zu truncations of a zip64 archive fail cleanly (%zu did)", len, nfail);
}

static void
expect_bad(const char *what, const uint8_t *buf, size_t len, int open_ok, int code)
{
  char           err[PLM_ERRBUFSIZE] = "";
  plm_zip       *z = NULL;
  const uint8_t *data;
  uint8_t       *owned = NULL;
  int            status = plm_zip_Open(buf, len, &z, err);

  if (status == PLM_OK && open_ok) {
    int i = plm_zip_Find(z, "archive/data/1");
    status = plm_zip_Data(z, i < 0 ? 0 : i, &data, &owned, err);
  }
  TEST(status == code, "%s: %s (%s)", what, plm_StatusName(status), err);
  free(owned);
  plm_zip_Close(z);
}

static void
test_corrupt(void)
{
  uint8_t  buf[4096], bad[4096];
  zipw     w = { buf, 0, 0 };
  size_t   len = zipw_build(&w, entries, 3, "");
  uint8_t *cd  = memmem(buf, len, "PK\1\2", 4);

  memcpy(bad, buf, len);
  bad[w.len - 22 + 16] ^= 0x40;   /* central directory offset, in the end record */
  expect_bad("central directory offset past the end", bad, len, 0, PLM_EFORMAT);
  memcpy(bad, buf, len);
  bad[(cd - buf) + 8] |= 1;       /* first entry: encrypted flag */
  expect_bad("encrypted entry", bad, len, 0, PLM_EUNSUP);
  memcpy(bad, buf, len);
  bad[(cd - buf) + 10] = 12;      /* first entry: bzip2 */
  expect_bad("unknown compression method", bad, len, 0, PLM_EUNSUP);
  memcpy(bad, buf, len);
  bad[(uint8_t *)memmem(cd, len - (size_t)(cd - buf), "archive/data/1", 14) - buf - 46 + 16] ^= 1;  /* its CRC */
  expect_bad("deflated entry with a wrong CRC", bad, len, 1, PLM_EFORMAT);
  expect_bad("no archive at all", (const uint8_t *)"PK\3\4 not really", 16, 0, PLM_EFORMAT);
}

int
main(void)
{
  test_layout(0, "");
  test_layout(1, "");
  test_layout(0, "a trailing archive comment");
  test_truncations();
  test_corrupt();
  return test_done();
}
