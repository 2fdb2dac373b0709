/* xlnet.h: XLNet protein models (ProtXLNet), as HuggingFace transformers 2.2.2 computes them.
 *
 * XLNetLMHeadModel (transformer.* + lm_loss.*) or XLNetModel (bare keys) with
 * config.json's n_layer, d_model, n_head, d_head, d_inner, n_token. Inference
 * runs the content stream alone: bidirectional attention (attn_type "bi"), no
 * memory, no permutation mask, no target mapping; relative positions through
 * the sinusoid table and r_w_bias / r_r_bias (per layer). No token types are
 * given, as ProtXLNet's users call the model, so the segment term (r_s_bias,
 * seg_embed) is absent. ff_activation "gelu" is XLNet's own tanh form in 2.2.2.
 * The vocabulary is the folder's vocab.txt; tokens are residues <sep> <cls>
 * (special_tokens "sep,cls"); no contact head, no length limit.
 *
 *   plm_xlnet_Recognize()  does this checkpoint hold an XLNet model?
 *   plm_xlnet_Create()     checkpoint -> plm_lm (lm.h); the model keeps the checkpoint
 */
#ifndef PLM_XLNET_H
#define PLM_XLNET_H
#include "backend.h"
#include "checkpoint.h"
#include "lm.h"

int plm_xlnet_Recognize(const plm_checkpoint *ck);
int plm_xlnet_Create(plm_checkpoint *ck, plm_backend *be, plm_lm **ret_m, char *errbuf);

#endif
