/* test_alphabet.c: unit tests of alphabet.c, fair-esm's 33-token alphabet and tokenization. */
#include <stdlib.h>
#include <string.h>
#include "alphabet.h"
#include "error.h"
#include "test.h"

static int
tokens_are(const char *text, int bos, int eos, const int32_t *want, int nwant)
{
  char     eb[PLM_ERRBUFSIZE];
  int32_t *ids;
  int      n, ok;
  if (plm_esm_Tokenize(text, bos, eos, &ids, &n, eb) != PLM_OK) return 0;
  ok = n == nwant && memcmp(ids, want, sizeof *ids * (size_t)n) == 0;
  free(ids);
  return ok;
}

int
main(void)
{
  char     eb[PLM_ERRBUFSIZE];
  int32_t *ids = NULL;
  int      n;

  /* the published order: <cls> <pad> <eos> <unk> L A G V S E R T I D P K Q N F Y M H W C X B U Z O . - <null_1> <mask> */
  static const char *order = "LAGVSERTIDPKQNFYMHWCXBUZO.-";
  int bad = 0;
  for (int i = 0; order[i]; i++) bad += plm_esm_ResidueId(order[i]) != 4 + i;
  TEST(bad == 0, "residue ids 4..30 in fair-esm's order");
  TEST(strcmp(plm_esm_Token(0), "<cls>") == 0 && strcmp(plm_esm_Token(2), "<eos>") == 0 &&
       strcmp(plm_esm_Token(31), "<null_1>") == 0 && strcmp(plm_esm_Token(32), "<mask>") == 0,
       "special tokens at 0, 2, 31, 32");
  TEST(plm_esm_ResidueId('a') == -1 && plm_esm_ResidueId('J') == -1, "lowercase and J are not residues");

  static const int32_t mk[] = { 0, 20, 15, 2 };
  TEST(tokens_are("MK", 1, 1, mk, 4), "BOS + residues + EOS");
  static const int32_t masked[] = { 0, 20, 32, 15, 2 };
  TEST(tokens_are("M<mask>K", 1, 1, masked, 5), "inline <mask> is one token");
  TEST(tokens_are(" M <mask>\tK\n", 1, 1, masked, 5), "whitespace is ignored, as fair-esm's split() does");
  static const int32_t ambig[] = { 24, 25, 26, 27, 28 };
  TEST(tokens_are("XBUZO", 0, 0, ambig, 5), "X B U Z O have their own tokens");
  static const int32_t specials[] = { 0, 3, 1, 31 };
  TEST(tokens_are("<cls><unk><pad><null_1>", 0, 0, specials, 4), "every special token may be written inline");
  TEST(plm_esm_ResidueCount("M<mask>K") == 3 && plm_esm_ResidueCount("MJ") == -1, "residue count, -1 on invalid text");

  int st = plm_esm_Tokenize("MKJA", 1, 1, &ids, &n, eb);
  TEST(st == PLM_EFORMAT && ids == NULL && strstr(eb, "'J'") && strstr(eb, "position 3"), "invalid residue named with its position: %s", eb);
  st = plm_esm_Tokenize("MK<masq>", 1, 1, &ids, &n, eb);
  TEST(st == PLM_EFORMAT && strstr(eb, "'<'") && strstr(eb, "position 3"), "a misspelt special token is an error: %s", eb);
  st = plm_esm_Tokenize("M\001K", 1, 1, &ids, &n, eb);
  TEST(st == PLM_EFORMAT && strstr(eb, "0x01"), "a control byte is named in hex: %s", eb);
  static const int32_t empty[] = { 0, 2 };
  TEST(tokens_are("", 1, 1, empty, 2), "an empty sequence is BOS EOS");
  return test_done();
}
