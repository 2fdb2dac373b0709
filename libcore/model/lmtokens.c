/* lmtokens.c: the mask token and the 20 amino acids in a model's vocabulary (see lmtokens.h).
 *
 *   plm_lmtokens_Setup() / plm_lmtokens_Residue()
 */
#include <stdlib.h>
#include "error.h"
#include "vocab.h"
#include "lmtokens.h"

int
plm_lmtokens_Residue(plm_lm *m, const plm_lmtokens *tk, const char *text, int32_t *ret_id, char *errbuf)
{
  int32_t *ids = NULL;
  int      T, status;

  PLM_XCHECK(m->tokenize(m, text, &ids, &T, errbuf));
  if (T != tk->lead + 1 + tk->trail) PLM_XFAIL(PLM_EUNSUP, errbuf, "%s: '%s' is not one token", m->path, text);
  *ret_id = ids[tk->lead];
  free(ids);
  return PLM_OK;

ERROR:
  free(ids);
  return status;
}

int
plm_lmtokens_Setup(plm_lm *m, plm_lmtokens *tk, char *errbuf)
{
  char letter[2] = { 0, 0 };
  int  status;

  PLM_XCHECK(plm_vocab_SpecialSpan(m->special_tokens, &tk->lead, &tk->trail, errbuf));
  PLM_XCHECK(plm_lmtokens_Residue(m, tk, "<mask>", &tk->mask, errbuf));
  for (int a = 0; a < PLM_NAMINO; a++) {
    letter[0] = PLM_AMINO[a];
    PLM_XCHECK(plm_lmtokens_Residue(m, tk, letter, &tk->amino[a], errbuf));
  }
  return PLM_OK;

ERROR:
  return status;
}
