/* vocab.c: BERT-family vocabularies and tokenization (see vocab.h).
 *
 *   plm_vocab_Iupac() / plm_vocab_Read() / plm_vocab_ReadBeside() / plm_vocab_Destroy()
 *   plm_vocab_Tokenize()
 *   plm_vocab_SpecialSpan()
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "error.h"
#include "vocab.h"

#define VOCAB_MAXTOK 1000000

/* TAPE's tape/tokenizers.py IUPAC_VOCAB, in id order */
static const char *const iupac[] = {
  "<pad>", "<mask>", "<cls>", "<sep>", "<unk>",
  "A", "B", "C", "D", "E", "F", "G", "H", "I", "K", "L", "M", "N", "O",
  "P", "Q", "R", "S", "T", "U", "V", "W", "X", "Y", "Z",
};

static int
find(const plm_vocab *v, const char *s, size_t n)
{
  for (int i = 0; i < v->n; i++)
    if (strlen(v->tok[i]) == n && strncmp(v->tok[i], s, n) == 0) return i;
  return -1;
}

/* a special token under its BERT ("[CLS]") or SentencePiece/TAPE ("<cls>") spelling */
static int
find_special(const plm_vocab *v, const char *bert, const char *angle)
{
  int id = find(v, bert, strlen(bert));
  return id >= 0 ? id : find(v, angle, strlen(angle));
}

static int
add_token(plm_vocab *v, const char *s, size_t n, char *errbuf)
{
  char **grown;
  if (v->n >= VOCAB_MAXTOK) return plm_Fail(errbuf, PLM_ELIMIT, "vocabulary of more than %d tokens", VOCAB_MAXTOK);
  if ((grown = realloc(v->tok, sizeof *grown * (size_t)(v->n + 1))) == NULL) return plm_Fail(errbuf, PLM_EMEM, "out of memory");
  v->tok = grown;
  if ((v->tok[v->n] = strndup(s, n)) == NULL) return plm_Fail(errbuf, PLM_EMEM, "out of memory");
  v->n++;
  return PLM_OK;
}

static void
set_specials(plm_vocab *v, int layout)
{
  v->cls    = find_special(v, "[CLS]", "<cls>");
  v->sep    = find_special(v, "[SEP]", "<sep>");
  v->pad    = find_special(v, "[PAD]", "<pad>");
  v->mask   = find_special(v, "[MASK]", "<mask>");
  v->unk    = find_special(v, "[UNK]", "<unk>");
  v->layout = layout;
}

int
plm_vocab_Iupac(plm_vocab **ret_v, char *errbuf)
{
  plm_vocab *v = NULL;
  int        status;

  *ret_v = NULL;
  if ((v = calloc(1, sizeof *v)) == NULL) PLM_XFAIL(PLM_EMEM, errbuf, "out of memory");
  for (size_t i = 0; i < sizeof iupac / sizeof iupac[0]; i++) PLM_XCHECK(add_token(v, iupac[i], strlen(iupac[i]), errbuf));
  set_specials(v, PLM_VOCAB_CLS_SEP);
  *ret_v = v;
  return PLM_OK;

ERROR:
  plm_vocab_Destroy(v);
  return status;
}

int
plm_vocab_Read(const char *path, int layout, plm_vocab **ret_v, char *errbuf)
{
  plm_vocab *v = NULL;
  FILE      *fp = NULL;
  char      *line = NULL;
  size_t     cap = 0;
  ssize_t    n;
  int        status;

  *ret_v = NULL;
  if ((fp = fopen(path, "r")) == NULL) PLM_XFAIL(PLM_EIO, errbuf, "%s: %s", path, strerror(errno));
  if ((v = calloc(1, sizeof *v)) == NULL) PLM_XFAIL(PLM_EMEM, errbuf, "out of memory");
  while ((n = getline(&line, &cap, fp)) >= 0) {
    while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r')) n--;   /* the token itself may be a space */
    PLM_XCHECK(add_token(v, line, (size_t)n, errbuf));
  }
  if (ferror(fp)) PLM_XFAIL(PLM_EIO, errbuf, "%s: %s", path, strerror(errno));
  set_specials(v, layout);
  if (v->cls < 0 || v->sep < 0)
    PLM_XFAIL(PLM_EFORMAT, errbuf, "%s: no [CLS]/<cls> and [SEP]/<sep> tokens: not a protein BERT vocabulary", path);
  fclose(fp);
  free(line);
  *ret_v = v;
  return PLM_OK;

ERROR:
  if (fp) fclose(fp);
  free(line);
  plm_vocab_Destroy(v);
  return status;
}

int
plm_vocab_ReadBeside(const char *model_path, int layout, plm_vocab **ret_v, char *errbuf)
{
  struct stat st;
  char        vpath[4096];
  size_t      n = strlen(model_path);

  *ret_v = NULL;
  if (stat(model_path, &st) == 0 && S_ISDIR(st.st_mode)) snprintf(vpath, sizeof vpath, "%s/vocab.txt", model_path);
  else {
    while (n > 0 && model_path[n - 1] != '/') n--;
    snprintf(vpath, sizeof vpath, "%.*svocab.txt", (int)n, model_path);
  }
  if (stat(vpath, &st) != 0) return plm_Fail(errbuf, PLM_ENOTFOUND, "%s: no vocab.txt beside the model", model_path);
  return plm_vocab_Read(vpath, layout, ret_v, errbuf);
}

void
plm_vocab_Destroy(plm_vocab *v)
{
  if (!v) return;
  for (int i = 0; i < v->n; i++) free(v->tok[i]);
  free(v->tok);
  free(v);
}

/* the id of the inline special token at s ("[MASK]", "<mask>"), its length in *ret_len; -1 if none */
static int
inline_token(const plm_vocab *v, const char *s, size_t *ret_len)
{
  const char *end = strchr(s, *s == '[' ? ']' : '>');
  size_t      n;
  int         id;

  if (!end) return -1;
  n = (size_t)(end - s) + 1;
  *ret_len = n;
  if ((id = find(v, s, n)) >= 0) return id;
  return n == 6 && strncmp(s, "<mask>", 6) == 0 ? v->mask : -1;
}

int
plm_vocab_Tokenize(const plm_vocab *v, const char *text, int32_t **ret_ids, int *ret_T, char *errbuf)
{
  int32_t *ids = NULL;
  size_t   cap = strlen(text) + 2;
  int      T = 0, status;

  *ret_ids = NULL;
  *ret_T = 0;
  if (cap > (size_t)1 << 30) PLM_XFAIL(PLM_ELIMIT, errbuf, "sequence of %zu characters is too long", cap - 2);
  if ((ids = malloc(sizeof *ids * cap)) == NULL) PLM_XFAIL(PLM_EMEM, errbuf, "out of memory");
  if (v->layout == PLM_VOCAB_CLS_SEP) ids[T++] = v->cls;
  for (const char *p = text; *p; ) {
    size_t n = 1;
    int    id;
    if (isspace((unsigned char)*p)) { p++; continue; }
    if (*p == '[' || *p == '<') {
      if ((id = inline_token(v, p, &n)) < 0)
        PLM_XFAIL(PLM_EFORMAT, errbuf, "unknown special token at position %d of the sequence", (int)(p - text));
      if (id == v->pad) PLM_XFAIL(PLM_EFORMAT, errbuf, "padding token inside a sequence (position %d) is not supported", (int)(p - text));
    } else if (isupper((unsigned char)*p)) {
      if ((id = find(v, p, 1)) < 0) id = v->unk;
      if (id < 0) PLM_XFAIL(PLM_EFORMAT, errbuf, "residue '%c' (position %d) is not in the vocabulary, which has no unknown token", *p, (int)(p - text));
    } else
      PLM_XFAIL(PLM_EFORMAT, errbuf, "invalid character '%c' at position %d of the sequence", *p, (int)(p - text));
    ids[T++] = id;
    p += n;
  }
  if (v->layout == PLM_VOCAB_CLS_SEP) ids[T++] = v->sep;
  else { ids[T++] = v->sep; ids[T++] = v->cls; }
  *ret_ids = ids;
  *ret_T = T;
  return PLM_OK;

ERROR:
  free(ids);
  return status;
}

int
plm_vocab_SpecialSpan(const char *layout, int *ret_lead, int *ret_trail, char *errbuf)
{
  int lead = 0, trail = 0;

  for (const char *p = layout; *p; p += strspn(p, ",")) {
    size_t n = strcspn(p, ",");
    int    leading = (n == 3 && (!strncmp(p, "bos", 3) || !strncmp(p, "cls", 3)));
    int    known   = leading || (n == 3 && (!strncmp(p, "eos", 3) || !strncmp(p, "sep", 3)));
    if (n == 4 && !strncmp(p, "none", 4)) { p += n; continue; }
    if (!known) return plm_Fail(errbuf, PLM_EINVAL, "special token '%.*s' in '%s' is not bos, eos, cls, sep or none", (int)n, p, layout);
    if (leading && trail == 0) lead++;
    else trail++;
    p += n;
  }
  *ret_lead = lead;
  *ret_trail = trail;
  return PLM_OK;
}
