/* test_svg.c: unit tests of the figure modules: base64, png, svg, resattn.
 *
 *   base64: RFC 4648 test vectors
 *   png:    signature, IHDR, CRCs and the pixels back through zlib
 *   svg:    top pairs order and separation, heat colours, XML escaping
 *   resattn: special tokens dropped by metadata and by shape, labels, refusals
 */
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include "base64.h"
#include "error.h"
#include "png.h"
#include "record.h"
#include "resattn.h"
#include "svg.h"
#include "test.h"

static char *
b64(const char *s)
{
  static char buf[64];
  char        eb[PLM_ERRBUFSIZE];
  FILE       *fp = fmemopen(buf, sizeof buf, "w");
  plm_base64_Write(fp, s, strlen(s), eb);
  fputc('\0', fp);
  fclose(fp);
  return buf;
}

static void
test_base64(void)
{
  static const char *in[] = { "", "f", "fo", "foo", "foob", "fooba", "foobar" };
  static const char *out[] = { "", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy" };
  int ok = 1;
  for (int k = 0; k < 7; k++) ok &= strcmp(b64(in[k]), out[k]) == 0;
  TEST(ok, "base64: RFC 4648 vectors");
}

static uint32_t be32(const uint8_t *p) { return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]; }

static void
test_png(void)
{
  uint8_t  rgb[2 * 3 * 3], *png = NULL, raw[3 * 7];
  uLongf   nraw = sizeof raw;
  size_t   n;
  char     eb[PLM_ERRBUFSIZE];
  int      ok;

  for (size_t i = 0; i < sizeof rgb; i++) rgb[i] = (uint8_t)(i * 13);
  TEST(plm_png_EncodeRGB(rgb, 2, 3, &png, &n, eb) == PLM_OK, "png: 2 x 3 encodes");
  ok = memcmp(png, "\x89PNG\r\n\x1a\n", 8) == 0 && memcmp(png + 12, "IHDR", 4) == 0 && be32(png + 16) == 2 && be32(png + 20) == 3 &&
       be32(png + 29) == (uint32_t)crc32(0, png + 12, 17) && memcmp(png + 37, "IDAT", 4) == 0;
  TEST(ok, "png: signature, IHDR and its CRC");
  ok = uncompress(raw, &nraw, png + 41, be32(png + 33)) == Z_OK && nraw == sizeof raw;
  for (int y = 0; ok && y < 3; y++) ok = raw[y * 7] == 0 && memcmp(raw + y * 7 + 1, rgb + y * 6, 6) == 0;
  TEST(ok, "png: IDAT inflates to filter-0 rows of the pixels");
  TEST(memcmp(png + n - 8, "IEND", 4) == 0, "png: ends with IEND");
  free(png);
  TEST(plm_png_EncodeRGB(rgb, 0, 3, &png, &n, eb) == PLM_EINVAL && !png, "png: an empty image is refused");
}

static void
test_svg(void)
{
  float   s[16] = { 0 };
  int    *pairs = NULL, n;
  uint8_t c[3];
  char    eb[PLM_ERRBUFSIZE], buf[256] = "";
  FILE   *fp;

  s[0 * 4 + 3] = 0.9f; s[0 * 4 + 2] = 0.5f; s[1 * 4 + 3] = 0.5f; s[0 * 4 + 1] = 1.0f;   /* (0,1) is too close at minsep 2 */
  TEST(plm_svg_TopPairs(s, 4, 2, 5, &pairs, &n, eb) == PLM_OK && n == 3 && pairs[0] == 0 && pairs[1] == 3 &&
       pairs[2] == 0 && pairs[3] == 2 && pairs[4] == 1 && pairs[5] == 3, "svg: top pairs by score, ties by (i, j), minsep kept");
  free(pairs);
  plm_svg_Heat(0.0f, c);
  TEST(c[0] == 255 && c[1] == 255 && c[2] == 255, "svg: heat 0 is white");
  plm_svg_Heat(2.0f, c);
  TEST(c[0] == 8 && c[1] == 48 && c[2] == 107, "svg: heat clamps at the darkest blue");
  fp = fmemopen(buf, sizeof buf - 1, "w");
  plm_svg_Text(fp, 1, 2, "start", 10, "a<b&c");
  fclose(fp);
  TEST(strstr(buf, ">a&lt;b&amp;c</text>") != NULL, "svg: text is XML-escaped");
}

static plm_record *
record_with(int T, const char *special, const char *layers)
{
  char        eb[PLM_ERRBUFSIZE];
  int64_t     shape[4] = { 2, 1, T, T };
  plm_record *rec;
  plm_tensor *t;
  plm_record_Create("r", "MKT", &rec, eb);
  plm_tensor_Create("attentions", PLM_F32, 4, shape, &t, eb);
  for (int64_t k = 0; k < plm_tensor_Numel(t); k++) ((float *)t->data)[k] = (float)k;
  plm_record_AddTensor(rec, t, eb);
  if (special) plm_record_SetMeta(rec, "special_tokens", special, eb);
  if (layers) plm_record_SetMeta(rec, "attention_layers", layers, eb);
  return rec;
}

static void
test_resattn(void)
{
  char         eb[PLM_ERRBUFSIZE];
  plm_record  *rec = record_with(5, NULL, "2,4");
  plm_resattn *a = NULL;

  TEST(plm_resattn_FromRecord(rec, "attentions", 3, &a, eb) == PLM_OK && a->L == 3 && a->nl == 2 &&
       plm_resattn_Map(a, 1, 0)[0] == 25 + 6 && plm_resattn_Map(a, 0, 0)[8] == 18 && a->layer_ids[1] == 4 && a->head_ids[0] == 1,
       "resattn: T = L + 2 drops BOS and EOS; labels from metadata");
  plm_resattn_Destroy(a);
  plm_record_Destroy(rec);
  rec = record_with(4, "bos", NULL);
  TEST(plm_resattn_FromRecord(rec, "attentions", 3, &a, eb) == PLM_OK && plm_resattn_Map(a, 0, 0)[0] == 5 && a->layer_ids[1] == 2,
       "resattn: special_tokens=bos drops the first token only");
  plm_resattn_Destroy(a);
  plm_record_Destroy(rec);
  rec = record_with(5, "bos", NULL);
  TEST(plm_resattn_FromRecord(rec, "attentions", 3, &a, eb) == PLM_EFORMAT && !a, "resattn: a token axis that does not fit is refused");
  plm_record_Destroy(rec);
  rec = record_with(5, NULL, "1,2,3");
  TEST(plm_resattn_FromRecord(rec, "attentions", 3, &a, eb) == PLM_EFORMAT && !a, "resattn: labels that miscount are refused");
  plm_record_Destroy(rec);
}

int
main(void)
{
  test_base64();
  test_png();
  test_svg();
  test_resattn();
  return test_done();
}
