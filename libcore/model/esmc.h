/* esmc.h: ESM C (EvolutionaryScale, 2024), as its own code computes it.
 *
 * The published esmc_300m_2024_12_v0.pth / esmc_600m_2024_12_v0.pth are bare torch state dicts
 * ("embed.weight", "transformer.blocks.N.attn.layernorm_qkv.1.weight", ...) with no configuration;
 * the same tensors under the same names load from a .safetensors file. The shape is read off the
 * tensors: width and layers from the embedding and the blocks present, the SwiGLU width from
 * ffn.3, and heads = width / 64, as in every published ESM C (300M: 960 wide, 15 heads, 30 blocks;
 * 600M: 1152, 18, 36).
 *
 *   plm_esmc_Recognize()    does this checkpoint hold ESM C's tensors?
 *   plm_esmc_Create()       checkpoint -> plm_lm (lm.h), arch "esmc"
 *   plm_esmc_WriteRandom()  a seeded random ESM C of any shape as one .safetensors file
 */
#ifndef PLM_ESMC_H
#define PLM_ESMC_H
#include <stdint.h>
#include "backend.h"
#include "checkpoint.h"
#include "lm.h"

#define PLM_ESMC_HEAD_DIM  64     /* every published ESM C: heads = width / 64 */
#define PLM_ESMC_CHAINBREAK 31    /* '|' in ESM C's vocabulary, where ESM-1b has <null_1> */

int plm_esmc_Recognize(const plm_checkpoint *ck);
int plm_esmc_Create(plm_checkpoint *ck, plm_backend *be, plm_lm **ret_m, char *errbuf);
int plm_esmc_WriteRandom(const char *path, int layers, int dim, uint64_t seed, char *errbuf);

#endif
