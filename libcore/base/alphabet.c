/* alphabet.c: the ESM alphabet and fair-esm's tokenization (see alphabet.h). */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include "error.h"
#include "alphabet.h"

static const char *esm_tokens[PLM_ESM_NTOK] = {
  "<cls>", "<pad>", "<eos>", "<unk>",
  "L", "A", "G", "V", "S", "E", "R", "T", "I", "D", "P", "K", "Q", "N", "F", "Y", "M", "H", "W", "C",
  "X", "B", "U", "Z", "O", ".", "-",
  "<null_1>", "<mask>",
};

const char *plm_esm_Token(int id) { return id >= 0 && id < PLM_ESM_NTOK ? esm_tokens[id] : "?"; }

int
plm_esm_ResidueId(char c)
{
  for (int i = 4; i <= 30; i++) if (esm_tokens[i][0] == c) return i;
  return -1;
}

/* the special token starting at s, or -1; sets *ret_len */
static int
special_at(const char *s, int *ret_len)
{
  static const int specials[] = { 0, 1, 2, 3, 31, 32 };
  for (size_t k = 0; k < sizeof specials / sizeof *specials; k++) {
    size_t len = strlen(esm_tokens[specials[k]]);
    if (strncmp(s, esm_tokens[specials[k]], len) == 0) { *ret_len = (int)len; return specials[k]; }
  }
  return -1;
}

/* one pass that counts (ids == NULL) or fills */
static int
scan(const char *text, int32_t *ids, int *ret_n, char *errbuf)
{
  int n = 0, len, id;
  for (const char *s = text; *s; ) {
    if (isspace((unsigned char)*s)) { s++; continue; }
    if (*s == '<' && (id = special_at(s, &len)) >= 0) { s += len; }
    else if ((id = plm_esm_ResidueId(*s)) >= 0)       { s++; }
    else if (isprint((unsigned char)*s))
      return plm_Fail(errbuf, PLM_EFORMAT, "invalid residue '%c' at position %d", *s, (int)(s - text) + 1);
    else
      return plm_Fail(errbuf, PLM_EFORMAT, "invalid byte 0x%02x at position %d", (unsigned char)*s, (int)(s - text) + 1);
    if (ids) ids[n] = id;
    n++;
  }
  *ret_n = n;
  return PLM_OK;
}

int
plm_esm_ResidueCount(const char *text)
{
  int n;
  return scan(text, NULL, &n, NULL) == PLM_OK ? n : -1;
}

int
plm_esm_Tokenize(const char *text, int add_bos, int add_eos, int32_t **ret_ids, int *ret_n, char *errbuf)
{
  int32_t *ids = NULL;
  int      n, status;

  *ret_ids = NULL;
  PLM_XCHECK(scan(text, NULL, &n, errbuf));
  if ((ids = malloc(sizeof *ids * (size_t)(n + 2))) == NULL) PLM_XFAIL(PLM_EMEM, errbuf, "out of memory");
  if (add_bos) ids[0] = PLM_ESM_CLS;
  PLM_XCHECK(scan(text, ids + (add_bos ? 1 : 0), &n, errbuf));
  if (add_bos) n++;
  if (add_eos) ids[n++] = PLM_ESM_EOS;
  *ret_ids = ids;
  *ret_n   = n;
  return PLM_OK;

ERROR:
  free(ids);
  return status;
}
