/* weights.h: a model's parameters as backend buffers, taken from a checkpoint by name.
 *
 * A plm_weights remembers every buffer and every float32 copy it made, so a
 * model frees all its parameters with one call. Float32 tensors aligned in the
 * checkpoint's mapping are used in place; other dtypes, transposed matrices and
 * arrays a model derives at load time are copies the plm_weights owns.
 *
 *   plm_weights_Get()     tensor `key` with the expected shape -> host view and backend buffer;
 *                         PLM_ENOTFOUND (message set) when absent; flags: PLM_W_TRANSPOSE, the first
 *                         dimension against all the others ([D, H, hd] -> [H*hd, D]); PLM_W_LINEAR,
 *                         a matrix used only as W of plm_op_Linear (plm_buf_WrapWeight: halves under
 *                         f16 weights, and then host is NULL)
 *   plm_weights_Adopt()   a malloc'd array the model computed -> backend buffer, owned from now
 *   plm_weights_Clear()   free every buffer and copy
 *   plm_weights_Has()     does the checkpoint hold `key`?
 *   plm_weights_ConfigSize()  a size from the configuration (key, else alt), or dflt when absent
 *                         (dflt < 0: required)
 */
#ifndef PLM_WEIGHTS_H
#define PLM_WEIGHTS_H
#include <stddef.h>
#include <stdint.h>
#include "backend.h"
#include "checkpoint.h"

typedef struct plm_weights {
  plm_backend *be;
  float      **owned;  int nowned;
  plm_buf    **bufs;   int nbufs;
} plm_weights;

/* one parameter: host data (float32; NULL for a matrix the backend keeps as halves) and its backend buffer */
typedef struct plm_w { const float *host; plm_buf *buf; } plm_w;

#define PLM_W_TRANSPOSE 1
#define PLM_W_LINEAR    2

int  plm_weights_Get(plm_weights *ws, const plm_checkpoint *ck, const char *key, int rank, const int64_t *shape,
                     int flags, plm_w *ret_w, char *errbuf);
int  plm_weights_Adopt(plm_weights *ws, float *data, size_t n, plm_w *ret_w, char *errbuf);
void plm_weights_Clear(plm_weights *ws);
int  plm_weights_Has(const plm_checkpoint *ck, const char *key);
int  plm_weights_ConfigSize(const plm_checkpoint *ck, const char *key, const char *alt, int dflt, int *ret, char *errbuf);

#endif
