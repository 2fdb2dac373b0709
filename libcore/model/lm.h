/* lm.h: protein language models behind one interface: open a checkpoint, run a protein.
 *
 * A model is opened from any published file layout (checkpoint.h); its
 * architecture comes from the checkpoint's configuration, never from the file
 * name. Each architecture (esm.c: ESM-2, ESM-1b, ESM-1; msa.c: the MSA Transformer, whose whole
 * alignments run through plm_msa_Run (msa.h); bert.c: BERT, ALBERT; xlnet.c: XLNet; esmc.c: ESM C,
 * recognised by its tensors) fills a plm_lm and its function pointers. One forward
 * pass computes what a plm_lm_request asks for and hands back tensors ready
 * for a record:
 *
 *   tokens       i32  T            L residues and the model's special tokens, laid out as
 *                                  m->special_tokens says (vocab.h: plm_vocab_SpecialSpan)
 *   logits       f32  T x V        V = m->vocab
 *   repr<K>      f32  T x D        K = 0 (embedding output) .. nlayers (after the final LayerNorm;
 *                                  ESM C: the last block's output, before it)
 *   embeddings   f32  T x D        ESM C only (m->has_embeddings): after the final LayerNorm, ESM C's
 *                                  own `embeddings`, the rows its sequence head reads
 *   attentions   f32|f16  nl x nh x T x T   the asked layers x heads, post-softmax
 *   contacts     f32  L x L        the model's own contact head
 *
 * forward_batch (NULL where an architecture lacks it; ESM has it) runs B proteins of
 * the same T tokens (ids B x T, no padding) at once, for logits only: out->logits is
 * f32 (B x T) x V, each protein's rows equal to its own forward to float32 rounding.
 * The position-wise layers run as single GEMMs over the B x T rows, attention per protein.
 *
 * forward_many (NULL where an architecture lacks it) runs B proteins of any lengths (ids packed:
 * protein b's T[b] tokens follow the ones before it) as one forward pass with everything a request
 * asks, outs[b] equal to protein b's own forward to float32 rounding; plm_lm_RunBatch() is the
 * entry point, which falls back to one protein at a time where there is no forward_many.
 *
 * Proteins longer than the model allows follow a plm_long policy: refuse,
 * keep the first residues, or run overlapping windows and average (lm.c).
 *
 *   plm_lm_Open()        path -> model; beside a fair-esm "X.pt" it merges
 *                        "X-contact-regression.pt" if present (m->note says when not)
 *   plm_lm_Close()
 *   plm_lm_Run()         one protein's text -> outputs, with the long-sequence policy
 *   plm_lm_RunBatch()    B proteins' texts -> B outputs, one forward pass for all that fit the
 *                        model (forward_many), the rest (long policies) one at a time
 *   plm_lm_ParseLong()   "error" | "truncate" | "window:W:S"
 *   plm_lmout_Clear()    free what a run returned and no one took (a zeroed output is empty)
 */
#ifndef PLM_LM_H
#define PLM_LM_H
#include <stdint.h>
#include "backend.h"
#include "checkpoint.h"
#include "tensor.h"

typedef struct plm_lm_request {
  int            logits;
  int            contacts;
  const uint8_t *repr;          /* nlayers+1 flags, or NULL */
  int            embeddings;    /* models with has_embeddings: the final LayerNorm's output */
  const uint8_t *attn_layers;   /* nlayers flags, or NULL: no attention maps */
  const uint8_t *attn_heads;    /* nheads flags (all heads when NULL) */
  plm_dtype      attn_dtype;    /* PLM_F32 or PLM_F16 */
  size_t         attn_bytes;    /* most memory for one layer's attention maps (0: the backend's attn_bytes); longer
                                   proteins take their attention in blocks of query rows (ESM) */
} plm_lm_request;


#define PLM_LM_MAXLAYERS 128

typedef struct plm_lm_output {
  plm_tensor  *tokens;
  plm_tensor  *logits;
  plm_tensor  *repr[PLM_LM_MAXLAYERS + 1];
  plm_tensor  *embeddings;
  plm_tensor  *attentions;
  plm_tensor  *contacts;
  char         note[PLM_ERRBUFSIZE];   /* a warning about this protein, or "" */
} plm_lm_output;

enum plm_long_mode { PLM_LONG_ERROR = 0, PLM_LONG_TRUNCATE, PLM_LONG_WINDOW };
typedef struct plm_long { int mode; int W, S; } plm_long;

typedef struct plm_lm plm_lm;
struct plm_lm {
  const char     *arch;           /* "esm2", "esm1b", "esm1", "esmc", "bert", "albert", "xlnet" */
  char           *path;
  char           *name;           /* file or folder name without ".pt" */
  int             nlayers, nheads, dim, vocab;
  int             max_tokens;     /* hard limit on T (learned positions), 0 if none */
  int             trained_tokens; /* beyond this T a note warns (rotary models), 0 if none */
  int             has_lmhead, has_contacts;
  int             has_embeddings; /* repr<nlayers> is before a final LayerNorm, whose output is 'embeddings' (ESM C) */
  const char     *special_tokens; /* layout of the token axis: "bos,eos" (ESM: BOS residues EOS; ESM-1 "bos"),
                                     "cls,sep" (BERT, ALBERT), "sep,cls" (XLNet: residues <sep> <cls>) */
  char            note[PLM_ERRBUFSIZE];  /* a warning from opening, or "" */
  plm_backend    *be;
  plm_checkpoint *ck;
  int  (*tokenize)(const plm_lm *m, const char *text, int32_t **ret_ids, int *ret_T, char *errbuf);
  int  (*forward)(plm_lm *m, const int32_t *ids, int T, const plm_lm_request *req, plm_lm_output *out, char *errbuf);
  int  (*forward_batch)(plm_lm *m, const int32_t *ids, int B, int T, plm_lm_output *out, char *errbuf);
  int  (*forward_many)(plm_lm *m, const int32_t *ids, int B, const int *T, const plm_lm_request *req,
                       plm_lm_output *outs, char *errbuf);
  void (*destroy)(plm_lm *m);
  void           *priv;
};

int   plm_lm_Open(const char *path, plm_backend *be, plm_lm **ret_m, char *errbuf);
void  plm_lm_Close(plm_lm *m);
int   plm_lm_Run(plm_lm *m, const char *seq, const plm_lm_request *req, const plm_long *lp,
                 plm_lm_output *out, char *errbuf);
int   plm_lm_RunBatch(plm_lm *m, const char *const *seqs, int B, const plm_lm_request *req, const plm_long *lp,
                      plm_lm_output *outs, int *ret_bad, char *errbuf);
int   plm_lm_ParseLong(const char *s, plm_long *ret_lp, char *errbuf);
void  plm_lmout_Clear(plm_lm_output *out);

#endif
