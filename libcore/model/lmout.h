/* lmout.h: filling a plm_lm_output from backend buffers, for every architecture's forward pass.
 *
 *   plm_lmout_CountFlags()  how many of n flags are set (all n when flags is NULL)
 *   plm_lmout_Repr()        repr<K> [T, D] from a hidden-state buffer, when the request asks for it
 *   plm_lmout_Logits()      logits [T, V] from the LM head's output buffer
 *   plm_lmout_ReprRows() / plm_lmout_LogitsRows()  the same from rows row0 .. row0+T-1 of a
 *                           buffer holding a batch of proteins packed by rows
 *   plm_lmout_Matrix()      a named T x C tensor from rows row0 .. row0+T-1 of a buffer (ESM C's embeddings)
 *   plm_lmout_Attention()   the asked heads of one layer's probabilities into slot li of the
 *                           attentions tensor (f32 or f16): att holds token rows row0 .. row0+rows-1
 *                           of each head's T x T map (H x rows x T; whole maps: 0, T)
 */
#ifndef PLM_LMOUT_H
#define PLM_LMOUT_H
#include <stdint.h>
#include "backend.h"
#include "lm.h"

int  plm_lmout_CountFlags(const uint8_t *flags, int n);
int  plm_lmout_Repr(plm_backend *be, const plm_buf *x, int K, int T, int D, const plm_lm_request *req,
                    plm_lm_output *out, char *errbuf);
int  plm_lmout_ReprRows(plm_backend *be, const plm_buf *x, int row0, int K, int T, int D, const plm_lm_request *req,
                        plm_lm_output *out, char *errbuf);
int  plm_lmout_LogitsRows(plm_backend *be, const plm_buf *logits, int row0, int T, int V, plm_lm_output *out, char *errbuf);
int  plm_lmout_Logits(plm_backend *be, const plm_buf *logits, int T, int V, plm_lm_output *out, char *errbuf);
int  plm_lmout_Matrix(plm_backend *be, const plm_buf *b, int row0, const char *name, int T, int C,
                      plm_tensor **ret_t, char *errbuf);
void plm_lmout_Attention(plm_backend *be, const plm_buf *att, int H, int li, int T, int row0, int rows,
                         const plm_lm_request *req, plm_tensor *attentions);

#endif
