/* lmcost.h: what one forward pass of a protein language model will cost in memory, before it runs.
 *
 *   plm_lm_EstimateBytes()  an upper bound on the bytes a protein of T tokens (special tokens
 *                           included) adds to the process when run with req under the long policy
 *                           lp: the model's workspace, the attention blocks, the outputs the
 *                           request asks for and the long policy's sums; not the weights, which
 *                           are resident already. B proteins run as one pass (pseudomsa's batches
 *                           of B sequences of T tokens) cost B times the row-wise part.
 *
 * Computed from the plm_lm's fields (layers, heads, width, vocabulary, limit) and the request,
 * following the workspace each architecture allocates (esm.c, bert.c, xlnet.c); the feed-forward
 * width is taken as 4 x D, as in every published ESM, ProtBert, ProtAlbert and ProtXLNet.
 * tests/pipeline/memory_bound.sh checks it against the measured peak.
 */
#ifndef PLM_LMCOST_H
#define PLM_LMCOST_H
#include "lm.h"

double plm_lm_EstimateBytes(const plm_lm *m, long long T, int B, const plm_lm_request *req, const plm_long *lp);

#endif
