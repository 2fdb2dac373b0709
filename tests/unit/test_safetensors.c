/* test_safetensors.c: unit tests for formats/safetensors on files built here in
 * memory: dtypes, shapes, __metadata__, misaligned data (copied), and every way
 * a header can lie about its data.
 */
#include <stdlib.h>
#include <string.h>
#include "checkpoint.h"
#include "error.h"
#include "safetensors.h"
#include "test.h"

/* header length, header, then data bytes; returns the file length */
static size_t
make_file(uint8_t *buf, const char *header, const void *data, size_t ndata)
{
  uint64_t n = strlen(header);
  memcpy(buf, &n, 8);
  memcpy(buf + 8, header, n);
  memcpy(buf + 8 + n, data, ndata);
  return 8 + n + ndata;
}

static int
read_into(const char *header, const void *data, size_t ndata, plm_checkpoint **ret_ck, char *err)
{
  static uint8_t buf[1 << 16];
  size_t         len = make_file(buf, header, data, ndata);
  int            status;

  if ((status = plm_checkpoint_Create("test.safetensors", ret_ck, err)) != PLM_OK) return status;
  return plm_safetensors_Read(*ret_ck, buf, len, err);
}

static const float w[6] = { 1, 2, 3, 4, 5, 6 };

static void
test_good(void)
{
  char            err[PLM_ERRBUFSIZE] = "";
  plm_checkpoint *ck = NULL;
  const char     *hdr = "{\"__metadata__\":{\"format\":\"pt\"},"
                        "\"w\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,24]},"
                        "\"ids\":{\"dtype\":\"I64\",\"shape\":[1],\"data_offsets\":[24,32]},"
                        "\"empty\":{\"dtype\":\"F16\",\"shape\":[0,4],\"data_offsets\":[32,32]}}          ";   /* padded: data 8-aligned */
  uint8_t         data[32];
  int64_t         id = 7;
  int             status;
  plm_tensor     *t;

  memcpy(data, w, 24);
  memcpy(data + 24, &id, 8);
  status = read_into(hdr, data, sizeof data, &ck, err);
  TEST(status == PLM_OK && ck->ntensors == 3, "three tensors, metadata skipped (%s)", err);
  if (status == PLM_OK) {
    t = plm_checkpoint_Get(ck, "w");
    TEST(t && t->dtype == PLM_F32 && t->rank == 2 && t->shape[1] == 3 && !t->data_owned &&
         memcmp(t->data, w, 24) == 0, "F32 [2,3] viewed in place");
    t = plm_checkpoint_Get(ck, "ids");
    TEST(t && t->dtype == PLM_I64 && *(int64_t *)t->data == 7, "I64 kept as i64");
    t = plm_checkpoint_Get(ck, "empty");
    TEST(t && t->rank == 2 && t->shape[0] == 0, "empty tensor");
  }
  plm_checkpoint_Close(ck);
}

/* a header of odd length leaves f32 data misaligned: the tensor must be an aligned copy */
static void
test_misaligned(void)
{
  char            err[PLM_ERRBUFSIZE] = "";
  plm_checkpoint *ck = NULL;
  int status = read_into("{\"w\":{\"dtype\":\"F32\",\"shape\":[6],\"data_offsets\":[0,24]}}", w, 24, &ck, err);
  plm_tensor     *t = status == PLM_OK ? plm_checkpoint_Get(ck, "w") : NULL;

  TEST(t && t->data_owned && ((uintptr_t)t->data % 4) == 0 && memcmp(t->data, w, 24) == 0,
       "misaligned f32 data copied (%s)", err);
  plm_checkpoint_Close(ck);
}

static void
expect_bad(const char *what, const char *header, size_t ndata, int code, const char *msg)
{
  char            err[PLM_ERRBUFSIZE] = "";
  plm_checkpoint *ck = NULL;
  int             status = read_into(header, w, ndata, &ck, err);

  TEST(status == code && strstr(err, msg), "%s: %s (%s)", what, plm_StatusName(status), err);
  plm_checkpoint_Close(ck);
}

static void
test_bad(void)
{
  expect_bad("offsets past the data", "{\"w\":{\"dtype\":\"F32\",\"shape\":[6],\"data_offsets\":[0,24]}}", 20,
             PLM_EFORMAT, "outside the 20 data bytes");
  expect_bad("offsets disagree with the shape", "{\"w\":{\"dtype\":\"F32\",\"shape\":[5],\"data_offsets\":[0,24]}}", 24,
             PLM_EFORMAT, "its shape needs 20");
  expect_bad("reversed offsets", "{\"w\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[8,4]}}", 24,
             PLM_EFORMAT, "data_offsets");
  expect_bad("float64", "{\"w\":{\"dtype\":\"F64\",\"shape\":[3],\"data_offsets\":[0,24]}}", 24,
             PLM_EUNSUP, "dtype F64 not supported");
  expect_bad("negative dimension", "{\"w\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}", 24,
             PLM_EFORMAT, "bad shape");
  expect_bad("dimension as a string", "{\"w\":{\"dtype\":\"F32\",\"shape\":[\"6\"],\"data_offsets\":[0,24]}}", 24,
             PLM_EFORMAT, "bad shape");
  expect_bad("huge shape", "{\"w\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296],\"data_offsets\":[0,24]}}", 24,
             PLM_ELIMIT, "shape too large");
  expect_bad("rank 9", "{\"w\":{\"dtype\":\"F32\",\"shape\":[1,1,1,1,1,1,1,1,1],\"data_offsets\":[0,4]}}", 24,
             PLM_EUNSUP, "rank 9");
  expect_bad("no dtype", "{\"w\":{\"shape\":[6],\"data_offsets\":[0,24]}}", 24, PLM_EFORMAT, "no dtype");
  expect_bad("duplicate name", "{\"w\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1]},"
             "\"w\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[1,2]}}", 24, PLM_EFORMAT, "appears twice");
  expect_bad("two tensors sharing bytes", "{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]},"
             "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,16]}}", 16, PLM_EFORMAT, "overlap tensor");
  expect_bad("the same bytes twice", "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
             "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8, PLM_EFORMAT, "overlap tensor");
  expect_bad("a gap between tensors", "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
             "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,12]}}", 12, PLM_EFORMAT, "leave bytes 4 to 8 unused");
  expect_bad("a gap at the start", "{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8,
             PLM_EFORMAT, "leave bytes 0 to 4 unused");
  expect_bad("bytes after the last tensor", "{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 24,
             PLM_EFORMAT, "20 data bytes after the last tensor");
  expect_bad("a control character names its byte", "{\"w\":{\"dtype\":\"F3\001\"}}", 0, PLM_EFORMAT, "at byte 17: control characters");
  expect_bad("bad UTF-8 names its byte", "{\"w\":{\"dtype\":\"F3\377\"}}", 0, PLM_EFORMAT, "at byte 17: invalid leading UTF-8");
  expect_bad("header is an array", "[1, 2]", 0, PLM_EFORMAT, "not a JSON object");
  expect_bad("broken JSON", "{\"w\": {\"dtype\": ", 0, PLM_EFORMAT, "JSON syntax error");
  expect_bad("YAML alias", "{\"a\": &x [1], \"b\": *x}", 0, PLM_EFORMAT, "aliases");
}

static void
test_lengths(void)
{
  char            err[PLM_ERRBUFSIZE] = "";
  plm_checkpoint *ck = NULL;
  uint8_t         buf[16] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, '{', '}' };
  int             status;

  plm_checkpoint_Create("x", &ck, err);
  status = plm_safetensors_Read(ck, buf, 10, err);
  TEST(status == PLM_EFORMAT && strstr(err, "past the end"), "header length near 2^64 (%s)", err);
  status = plm_safetensors_Read(ck, buf, 7, err);
  TEST(status == PLM_EFORMAT, "a file of 7 bytes (%s)", err);
  plm_checkpoint_Close(ck);
}

int
main(void)
{
  test_good();
  test_misaligned();
  test_bad();
  test_lengths();
  return test_done();
}
