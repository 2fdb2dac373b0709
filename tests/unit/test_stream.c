/* test_stream.c: unit tests of the record stream (stream.c), record.c and tensor.c.
 *
 * Round trips of every dtype, stored and compressed; a stream cut at every byte
 * and with every byte flipped must fail with the record named, and the records
 * before the damage must come back intact.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include "error.h"
#include "stream.h"
#include "test.h"

static plm_record *
make_record(int k)
{
  char        eb[PLM_ERRBUFSIZE], id[32], seq[64];
  plm_record *rec;
  plm_tensor *t;
  int64_t     shape[3] = { 2, 3, k + 1 };

  snprintf(id, sizeof id, "P%05d", k);
  snprintf(seq, sizeof seq, "MKTAYIA%.*s", k % 20, "ACDEFGHIKLMNPQRSTVWY");
  plm_record_Create(id, seq, &rec, eb);
  if (k % 2) plm_record_SetAligned(rec, "MKT-AYIA", eb);
  plm_record_SetMeta(rec, "source", "unit", eb);
  plm_record_SetMeta(rec, "index", id + 1, eb);
  for (int dt = 0; dt < PLM_NDTYPE_STREAM; dt++) {
    char name[16];
    snprintf(name, sizeof name, "t_%s", plm_dtype_Name((plm_dtype)dt));
    plm_tensor_Create(name, (plm_dtype)dt, 1 + dt % 3, shape, &t, eb);
    unsigned char *b = t->data;
    for (size_t i = 0; i < plm_tensor_Nbytes(t); i++) b[i] = (unsigned char)(i * 7 + k + dt);
    plm_record_AddTensor(rec, t, eb);
  }
  return rec;
}

static int
records_equal(const plm_record *a, const plm_record *b)
{
  if (strcmp(a->id, b->id) || strcmp(a->seq, b->seq)) return 0;
  if (!a->aligned != !b->aligned || (a->aligned && strcmp(a->aligned, b->aligned))) return 0;
  if (a->nmeta != b->nmeta || a->ntensors != b->ntensors) return 0;
  for (int i = 0; i < a->nmeta; i++)
    if (strcmp(a->meta[i].key, b->meta[i].key) || strcmp(a->meta[i].value, b->meta[i].value)) return 0;
  for (int i = 0; i < a->ntensors; i++) {
    const plm_tensor *x = a->tensors[i], *y = b->tensors[i];
    if (strcmp(x->name, y->name) || x->dtype != y->dtype || x->rank != y->rank) return 0;
    for (int d = 0; d < x->rank; d++) if (x->shape[d] != y->shape[d]) return 0;
    if (memcmp(x->data, y->data, plm_tensor_Nbytes(x))) return 0;
  }
  return 1;
}

/* write n records into a memory buffer */
static char *
write_stream(int n, int zlevel, size_t *ret_len)
{
  char             *buf = NULL, eb[PLM_ERRBUFSIZE];
  size_t            len = 0;
  FILE             *fp  = open_memstream(&buf, &len);
  plm_streamwriter *w;
  plm_stream_OpenWriteFILE(fp, "mem", zlevel, &w, eb);
  for (int k = 0; k < n; k++) { plm_record *r = make_record(k); plm_stream_Write(w, r, eb); plm_record_Destroy(r); }
  plm_stream_CloseWrite(w, eb);
  fclose(fp);
  *ret_len = len;
  return buf;
}

/* read all records; returns status of the last read, count of good records, first error */
static int
read_stream(const char *buf, size_t len, int *ret_good, char *eb)
{
  FILE             *fp = fmemopen((void *)buf, len ? len : 1, "rb");
  plm_streamreader *r;
  plm_record       *rec;
  int               status, good = 0;

  if (len == 0) { fclose(fp); fp = fopen("/dev/null", "rb"); }
  if ((status = plm_stream_OpenReadFILE(fp, "mem", &r, eb)) != PLM_OK) { fclose(fp); *ret_good = 0; return status; }
  while ((status = plm_stream_Read(r, &rec, eb)) == PLM_OK) {
    plm_record *want = make_record(good);
    if (records_equal(rec, want)) good++;
    else { plm_record_Destroy(want); plm_record_Destroy(rec); status = -1; break; }
    plm_record_Destroy(want);
    plm_record_Destroy(rec);
  }
  plm_stream_CloseRead(r);
  fclose(fp);
  *ret_good = good;
  return status;
}

static void
test_roundtrip(int zlevel)
{
  char   eb[PLM_ERRBUFSIZE];
  size_t len;
  int    good;
  char  *buf = write_stream(5, zlevel, &len);
  int    status = read_stream(buf, len, &good, eb);
  TEST(status == PLM_EOF && good == 5, "round trip of 5 records, every dtype, zlevel %d (status %d, %d good)", zlevel, status, good);
  free(buf);
}

/* cut at every byte: never a clean EOF, always the record named, all records before it intact */
static void
test_truncation(int zlevel)
{
  char   eb[PLM_ERRBUFSIZE];
  size_t len;
  int    good, bad = 0, named = 0;
  char  *buf = write_stream(3, zlevel, &len);
  for (size_t cut = 0; cut < len; cut++) {
    int status = read_stream(buf, cut, &good, eb);
    if (status == PLM_OK || status == PLM_EOF || status == -1) { bad++; continue; }
    if (cut >= 16 && strstr(eb, "record ") != NULL) named++;
  }
  TEST(bad == 0, "stream (zlevel %d, %zu bytes) cut at every byte is always rejected (%d accepted)", zlevel, len, bad);
  TEST(named == (int)len - 16, "every cut after the header names the record (%d of %zu)", named, len - 16);
  read_stream(buf, len - 1, &good, eb);
  TEST(good == 3 && strstr(eb, "record 4"), "cut inside the end frame: 3 records survive, error names record 4: %s", eb);
  read_stream(buf, len / 2, &good, eb);
  TEST(good >= 1 && strstr(eb, "\"P0000"), "cut mid-record names its id: %s", eb);
  free(buf);
}

/* Read the stream once per damage: damage k xors byte k / per_byte with mask(k). Counts the
 * reads that gave the same records (missed) and different records (wrong). */
static void
damage_each(char *buf, size_t len, int per_byte, int *ret_same, int *ret_wrong)
{
  char eb[PLM_ERRBUFSIZE];
  int  good;

  *ret_same = *ret_wrong = 0;
  for (size_t k = 0; k < (size_t)per_byte * len; k++) {
    char mask = per_byte == 1 ? 0x5a : (char)(1 << (k % 8));
    buf[k / per_byte] ^= mask;
    int status = read_stream(buf, len, &good, eb);
    *ret_same  += status == PLM_EOF;
    *ret_wrong += status == -1;
    buf[k / per_byte] ^= mask;
  }
}

/* flip every byte: never a crash, never silently different data */
static void
test_corruption(int zlevel)
{
  size_t len;
  int    same, wrong;
  char  *buf = write_stream(2, zlevel, &len);
  damage_each(buf, len, 1, &same, &wrong);
  TEST(same + wrong == 0, "every single-byte corruption of a %zu-byte stream (zlevel %d) is detected (%d missed)", len, zlevel, same + wrong);
  free(buf);
}

/* flip every single bit, in frame headers as well as payloads: never a crash, never different
 * data. Stored frames: every flip is refused. zlib frames: the payload CRC is of the inflated
 * bytes, so a flip that deflate ignores (unused bits of the last byte, a level hint) inflates to
 * the very same record; those are counted, and must be few, but the data is never wrong. */
static void
test_bitflips(int zlevel)
{
  size_t len;
  int    same, wrong;
  char  *buf = write_stream(2, zlevel, &len);
  damage_each(buf, len, 8, &same, &wrong);
  TEST(wrong == 0, "no single-bit flip of a %zu-byte stream (zlevel %d) gives different data (%d did)", len, zlevel, wrong);
  TEST(zlevel ? same < 16 : same == 0, "single-bit flips read as the same records: %d of %zu (zlevel %d)", same, 8 * len, zlevel);
  free(buf);
}

static uint32_t le32(const unsigned char *p) { return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24; }
static void put_le32(unsigned char *p, uint32_t v) { p[0] = v & 255; p[1] = v >> 8 & 255; p[2] = v >> 16 & 255; p[3] = v >> 24; }

/* The spec says padding is 0: a writer that puts anything there, with checksums that agree,
 * is refused rather than trusted (frame header pad at byte 5, a tensor's u16 pad). */
static void
test_padding(void)
{
  char           eb[PLM_ERRBUFSIZE];
  size_t         len;
  int            good;
  unsigned char *b = (unsigned char *)write_stream(1, 0, &len), *f = b + 16, *pay, *t;
  uint32_t       id_len = le32(f + 28);
  uint64_t       stored = 0;

  for (int k = 7; k >= 0; k--) stored = stored << 8 | f[8 + k];
  pay = f + 32 + id_len + 4;
  f[5] = 1;
  put_le32(f + 32 + id_len, (uint32_t)crc32(crc32(0L, f, 32), f + 32, id_len));
  read_stream((char *)b, len, &good, eb);
  TEST(good == 0 && strstr(eb, "frame header padding not zero") && strstr(eb, "record 1"), "frame header padding refused: %s", eb);
  f[5] = 0;
  put_le32(f + 32 + id_len, (uint32_t)crc32(crc32(0L, f, 32), f + 32, id_len));

  t = memmem(pay, (size_t)stored, "t_f32", 5);
  TEST(t != NULL, "tensor t_f32 found in the stored payload");
  if (t) {
    t[5 + 2] = 1;
    put_le32(f + 24, (uint32_t)crc32(0L, pay, (uInt)stored));
    put_le32(f + 32 + id_len, (uint32_t)crc32(crc32(0L, f, 32), f + 32, id_len));
    read_stream((char *)b, len, &good, eb);
    TEST(good == 0 && strstr(eb, "t_f32: padding bytes not zero"), "tensor padding refused: %s", eb);
  }
  free(b);
}

static void
test_not_a_stream(void)
{
  char eb[PLM_ERRBUFSIZE];
  int  good;
  read_stream(">P1\nMKT\n", 8, &good, eb);
  TEST(strstr(eb, "FASTA") != NULL, "FASTA input is recognised and named: %s", eb);
  read_stream("", 0, &good, eb);
  TEST(strstr(eb, "empty") != NULL, "empty input is named: %s", eb);
  read_stream("\x93NUMPY\x01\x00", 8, &good, eb);
  TEST(strstr(eb, ".npy") != NULL, "npy input is named: %s", eb);
}

/* `cat a b` of two streams is one stream; other bytes after an end frame are an error */
static void
test_concatenation(void)
{
  char   eb[PLM_ERRBUFSIZE];
  size_t len;
  int    good;
  char  *one = write_stream(2, 0, &len);
  char  *two = malloc(2 * len + 3);
  memcpy(two, one, len);
  memcpy(two + len, one, len);
  int status = read_stream(two, 2 * len, &good, eb);   /* record ids repeat, so only the first 2 compare equal */
  TEST(status == -1 && good == 2, "concatenated streams read on into the second one");
  memcpy(two + len, "xyz", 3);
  status = read_stream(two, len + 3, &good, eb);
  TEST(status == PLM_EFORMAT && strstr(eb, "after the end frame"), "trailing garbage after the end frame is an error: %s", eb);
  free(one); free(two);
}

static void
test_halfs(void)
{
  int   bad = 0;
  float vals[] = { 0.f, -0.f, 1.f, -2.5f, 65504.f, 6.1035156e-05f, 5.9604645e-08f, 0.33325195f, INFINITY };
  for (size_t i = 0; i < sizeof vals / sizeof *vals; i++)
    if (plm_f16_to_f32(plm_f32_to_f16(vals[i])) != vals[i]) bad++;
  TEST(bad == 0, "f16 round trip of exactly representable values (%d bad)", bad);
  TEST(plm_f32_to_f16(1.0f + 1.0f / 4096) == 0x3c00, "f16 rounds to nearest even");
  TEST(plm_f32_to_f16(70000.f) == 0x7c00, "f16 overflows to inf");
  TEST(plm_bf16_to_f32(plm_f32_to_bf16(1.5f)) == 1.5f && plm_f32_to_bf16(1.0f + 1.0f / 256) == 0x3f80, "bf16 round trip and rounding");
}

static void
test_record_api(void)
{
  char        eb[PLM_ERRBUFSIZE];
  plm_record *rec = make_record(3);
  plm_tensor *t;
  int64_t     shape[1] = { 4 };
  int         n = rec->ntensors;
  plm_tensor_Create("t_f32", PLM_I32, 1, shape, &t, eb);
  plm_record_AddTensor(rec, t, eb);
  TEST(rec->ntensors == n && plm_record_GetTensor(rec, "t_f32")->dtype == PLM_I32, "adding a same-named tensor replaces it");
  plm_record_RemoveTensor(rec, "t_u8");
  TEST(rec->ntensors == n - 1 && !plm_record_GetTensor(rec, "t_u8"), "removing a tensor");
  plm_record_SetMeta(rec, "source", "other", eb);
  TEST(strcmp(plm_record_GetMeta(rec, "source"), "other") == 0 && rec->nmeta == 2, "metadata set replaces");
  int64_t huge[4] = { INT64_C(1) << 40, INT64_C(1) << 40, 4, 4 };
  TEST(plm_tensor_Create("x", PLM_F32, 4, huge, &t, eb) == PLM_ELIMIT, "overflowing shape refused: %s", eb);
  plm_record_Destroy(rec);
}

int
main(void)
{
  test_roundtrip(0);
  test_roundtrip(6);
  test_truncation(0);
  test_truncation(1);
  test_corruption(0);
  test_corruption(6);
  test_bitflips(0);
  test_bitflips(6);
  test_padding();
  test_not_a_stream();
  test_concatenation();
  test_halfs();
  test_record_api();
  return test_done();
}
