/* esm.h: ESM-2, ESM-1b and ESM-1, exactly as fair-esm 2.0 computes them.
 *
 * Weights come from a plm_checkpoint under either key naming: fair-esm
 * ("encoder.sentence_encoder.layers.N.self_attn.q_proj.weight", ...) or
 * HuggingFace EsmForMaskedLM / EsmModel ("esm.encoder.layer.N.attention.self.query.weight",
 * ...). One table maps each parameter to both names (esm.c). The architecture
 * comes from the configuration: fair-esm cfg arch "esm2", legacy args arch
 * "roberta_large" (ESM-1b, ESM-1v) or "protein_bert_base" (ESM-1, 'decoder.' keys), or
 * config.json model_type "esm" (rotary = ESM-2 style, absolute = ESM-1b style).
 *
 *   plm_esm_Recognize()  does this checkpoint's configuration describe an ESM model?
 *   plm_esm_Create()     checkpoint -> plm_lm (lm.h); the model keeps the checkpoint
 *   plm_esm_WriteRandom() a seeded random ESM-2 of any shape as a HuggingFace folder
 *                        (config.json + model.safetensors), for benchmarks and tests
 *   plm_esm1_WriteRandom() the same for ESM-1: fair-esm's keys in model.safetensors, its args
 *                        in config.json
 */
#ifndef PLM_ESM_H
#define PLM_ESM_H
#include <stdint.h>
#include "backend.h"
#include "checkpoint.h"
#include "lm.h"

int plm_esm_Recognize(const plm_checkpoint *ck);
int plm_esm_Create(plm_checkpoint *ck, plm_backend *be, plm_lm **ret_m, char *errbuf);
int plm_esm_WriteRandom(const char *dir, int layers, int dim, int heads, uint64_t seed, char *errbuf);
int plm_esm1_WriteRandom(const char *dir, int layers, int dim, int heads, uint64_t seed, char *errbuf);

#endif
