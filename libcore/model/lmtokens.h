/* lmtokens.h: how a masked language model spells the tokens that scoring and sampling need.
 *
 * Every architecture tokenizes residue letters its own way (ESM's 33-token alphabet, TAPE's
 * iupac vocabulary, ProtTrans vocab.txt files). Tools that mask positions and read the
 * logits of the 20 amino acids (pseudomsa, lmscore) ask the model's own tokenizer once.
 *
 *   PLM_AMINO             the 20 standard amino acids in the order every L x 20 tensor uses
 *   plm_lmtokens_Setup()  the special-token span, the mask token and the 20 amino acids' ids
 *   plm_lmtokens_Residue() the one residue token of a one-residue text ("A", "<mask>")
 */
#ifndef PLM_LMTOKENS_H
#define PLM_LMTOKENS_H
#include <stdint.h>
#include "lm.h"

#define PLM_AMINO  "ACDEFGHIKLMNPQRSTVWY"
#define PLM_NAMINO 20

typedef struct plm_lmtokens {
  int     lead, trail;          /* special tokens before and after the residues */
  int32_t mask;
  int32_t amino[PLM_NAMINO];    /* PLM_AMINO[a] -> token id */
} plm_lmtokens;

int plm_lmtokens_Setup(plm_lm *m, plm_lmtokens *tk, char *errbuf);
int plm_lmtokens_Residue(plm_lm *m, const plm_lmtokens *tk, const char *text, int32_t *ret_id, char *errbuf);

#endif
