/* bert.h: BERT and ALBERT protein models (TAPE BERT, ProtBert, ProtAlbert), as their references compute them.
 *
 * One implementation, the differences as configuration: post-LayerNorm
 * encoder blocks, learned absolute positions, a token-type embedding (type 0
 * for every token); ALBERT adds a factorized embedding (vocabulary x E, then a
 * projection E -> D) and layer groups whose weights are shared across layers.
 * Layouts read:
 *
 *   TAPE ProteinBertForMaskedLM   pytorch_model.bin  bert.* + mlm.*      (songlab-cal/tape)
 *   HF BertForMaskedLM / BertModel                   bert.* + cls.predictions.*, or bare
 *   HF AlbertForMaskedLM / AlbertModel (transformers 2.2.2)  albert.* + predictions.*, or bare
 *
 * with sizes, activation (gelu: erf; gelu_new: tanh), LayerNorm eps and
 * position type from config.json. The vocabulary is the folder's vocab.txt, or
 * TAPE's iupac vocabulary for a TAPE folder without one (vocab.h). Tokens are
 * [CLS] residues [SEP] (special_tokens "cls,sep"); no contact head.
 *
 *   plm_bert_Recognize()   does this checkpoint hold a BERT or ALBERT model?
 *   plm_bert_Create()      checkpoint -> plm_lm (lm.h); the model keeps the checkpoint
 *   plm_bert_WriteRandom() a seeded random BERT of any shape as a HuggingFace folder
 *                          (config.json, model.safetensors, vocab.txt), for benchmarks
 */
#ifndef PLM_BERT_H
#define PLM_BERT_H
#include <stdint.h>
#include "backend.h"
#include "checkpoint.h"
#include "lm.h"

int plm_bert_Recognize(const plm_checkpoint *ck);
int plm_bert_Create(plm_checkpoint *ck, plm_backend *be, plm_lm **ret_m, char *errbuf);
int plm_bert_WriteRandom(const char *dir, int layers, int dim, int heads, uint64_t seed, char *errbuf);

#endif
