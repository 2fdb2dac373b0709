/* resattn.h: a record's attention maps over its residues only.
 *
 * Model tools store attentions [layers, heads, T, T] over tokens, special
 * tokens included (metadata special_tokens, e.g. "bos,eos": BOS is token 0,
 * EOS token T-1). Figures and views want residue i against residue j, so the
 * special rows and columns are dropped; rows then no longer sum to one, which
 * is what provis and bertviz show too. Without the metadata, T = L + 2 is read
 * as BOS + residues + EOS (fair-esm's layout) and T = L as no special tokens.
 * Layer and head labels (1-based model numbers) come from metadata
 * attention_layers / attention_heads ("1,3-5"), else 1..n.
 *
 *   plm_resattn_FromRecord()  f32 or f16 tensor -> plm_resattn (f32)
 *   plm_resattn_Destroy()
 *   plm_resattn_Map()         pointer to the L x L map of layer index l, head index h
 *   plm_resattn_QuantizeU8()  every map as u8, q = round(255 a), a clamped to [0, 1]
 */
#ifndef PLM_RESATTN_H
#define PLM_RESATTN_H
#include <stdint.h>
#include "record.h"

typedef struct plm_resattn {
  int    nl, nh, L;
  float *w;            /* nl x nh x L x L */
  int   *layer_ids;    /* nl model layer numbers, 1-based */
  int   *head_ids;     /* nh model head numbers, 1-based */
} plm_resattn;

int          plm_resattn_FromRecord(const plm_record *rec, const char *tname, int L, plm_resattn **ret_a, char *errbuf);
void         plm_resattn_Destroy(plm_resattn *a);
const float *plm_resattn_Map(const plm_resattn *a, int l, int h);
int          plm_resattn_QuantizeU8(const plm_resattn *a, uint8_t **ret_q, char *errbuf);

#endif
