/* pickle.h: a safe reader for the pickles torch.save writes (protocols 2 to 5).
 *
 * A small stack machine that builds a tree of plain values and never runs code.
 * Only the globals torch checkpoints need are known (tensor and parameter
 * rebuilds, the torch.*Storage types, collections.OrderedDict,
 * argparse.Namespace); any other global is refused by name. A persistent id
 * ('storage', type, key, location, numel[, view]) becomes a STORAGE node that
 * the caller resolves against its archive; _rebuild_tensor_v2 becomes a TENSOR
 * node holding storage, offset, shape and stride. Nodes live in one arena freed
 * with the pickle, so memo sharing and cycles need no reference counts. Stack,
 * mark depth, memo and lengths are all bounded by the input: safe to fuzz.
 *
 *   plm_pickle_Load()     run one pickle (up to its STOP) from a buffer
 *   plm_pickle_Destroy()
 *   plm_pickle_DictGet()  value of a str key in a DICT node (the last one set), or NULL
 *   plm_pickle_KindName() "dict", "tensor", ... for messages
 */
#ifndef PLM_PICKLE_H
#define PLM_PICKLE_H
#include <stddef.h>
#include <stdint.h>
#include "tensor.h"

typedef enum plm_pkkind {
  PLM_PK_NONE, PLM_PK_BOOL, PLM_PK_INT, PLM_PK_BIGINT, PLM_PK_FLOAT, PLM_PK_STR, PLM_PK_BYTES,
  PLM_PK_TUPLE, PLM_PK_LIST, PLM_PK_DICT, PLM_PK_GLOBAL, PLM_PK_OBJECT, PLM_PK_STORAGE, PLM_PK_TENSOR
} plm_pkkind;

typedef struct plm_pkobj plm_pkobj;
struct plm_pkobj {
  plm_pkkind  kind;
  int64_t     i;         /* BOOL, INT; STORAGE: numel; GLOBAL: which known global */
  double      f;         /* FLOAT */
  char       *s;         /* STR, BYTES, BIGINT (little-endian two's complement), STORAGE key;
                            GLOBAL, OBJECT: "module.name". NUL-terminated */
  size_t      len;       /* bytes in s */
  plm_pkobj **items;     /* TUPLE, LIST; DICT: key0, value0, key1, value1, ... */
  int         n;
  size_t      nalloc;
  plm_pkobj  *state;     /* OBJECT: its __dict__ from BUILD, or NULL */
  plm_dtype   dtype;     /* STORAGE */
  int64_t     offset;    /* STORAGE: first element within the stored key's data; TENSOR: storage offset */
  plm_pkobj  *storage;   /* TENSOR */
  int         rank;      /* TENSOR */
  int64_t     shape[8], stride[8];
};

typedef struct plm_pickle {
  plm_pkobj  *root;
  plm_pkobj **storages;  /* every STORAGE node, in order of appearance */
  int         nstorages;
  plm_pkobj **arena;     /* every node, for Destroy */
  int         narena;
  size_t      arenaalloc, storagealloc;
} plm_pickle;

int              plm_pickle_Load(const uint8_t *buf, size_t len, plm_pickle **ret_pk, size_t *opt_used, char *errbuf);
void             plm_pickle_Destroy(plm_pickle *pk);
const plm_pkobj *plm_pickle_DictGet(const plm_pkobj *dict, const char *key);
const char      *plm_pickle_KindName(plm_pkkind kind);

#endif
