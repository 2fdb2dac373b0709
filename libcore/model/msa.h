/* msa.h: the MSA Transformer (fair-esm arch "msa_transformer", esm_msa1b_t12_100M_UR50S).
 *
 * An alignment of R rows of C-1 columns is tokenized as R rows of C tokens (<cls> then the
 * aligned residues, no <eos>). Each axial layer runs row attention tied over the rows (one
 * C x C map per head for the whole alignment, scores summed over rows and scaled by
 * 1/sqrt(hd) 1/sqrt(R)), then column attention (an R x R map per column and head), then the
 * FFN, each pre-LayerNorm with its residual. Outputs (plm_msa_output), all rows:
 *
 *   tokens          i32  R x C
 *   logits          f32  R x C x 33
 *   repr<K>         f32  R x C x D        K = 0 .. nlayers (the last after the final LayerNorm)
 *   row_attentions  f32  nl x H x C x C   the asked layers, all heads
 *   col_attentions  f32  nl x H x C x R x R
 *   contacts        f32  L x L            L = C-1, fair-esm's head over the row attentions
 *
 * The checkpoint's on-disk names of row and column attention are swapped (fair-esm's loader
 * swaps them back); the parameter table in msa.c names them as stored.
 *
 *   plm_msa_Recognize()  legacy args arch "msa_transformer"
 *   plm_msa_Create()     checkpoint -> plm_lm; its forward runs one sequence as a one-row alignment
 *   plm_msa_Run()        R aligned rows (query first, gaps '-', all of one length) -> outputs
 *   plm_msa_OutputClear()
 *   plm_msa_WriteRandom()  a seeded random MSA Transformer of any shape as a folder: fair-esm's keys
 *                        (row/column swapped, as published) in model.safetensors, its args in config.json
 *   plm_msa_Strip()      an A3M row without its insertions (lowercase, '.') and '*', as fair-esm's
 *                        read_msa reads it; plm_msa_Run strips every row this way itself
 */
#ifndef PLM_MSA_H
#define PLM_MSA_H
#include <stdint.h>
#include "backend.h"
#include "checkpoint.h"
#include "lm.h"

typedef struct plm_msa_output {
  plm_tensor *tokens, *logits, *row_attentions, *col_attentions, *contacts;
  plm_tensor *repr[PLM_LM_MAXLAYERS + 1];
} plm_msa_output;

int  plm_msa_Recognize(const plm_checkpoint *ck);
int  plm_msa_Create(plm_checkpoint *ck, plm_backend *be, plm_lm **ret_m, char *errbuf);
/* req: logits, contacts, repr flags, attn_layers (layers of both maps; all heads); cols: col_attentions too */
int  plm_msa_Run(plm_lm *m, const char *const *rows, int R, const plm_lm_request *req, int cols,
                 plm_msa_output *out, char *errbuf);
void plm_msa_OutputClear(plm_msa_output *out);
int  plm_msa_WriteRandom(const char *dir, int layers, int dim, int heads, uint64_t seed, char *errbuf);
int  plm_msa_Strip(const char *text, char **ret_row, char *errbuf);

#endif
