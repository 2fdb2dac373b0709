/* record.h: one protein record of the stream: id, sequence, metadata, tensors.
 *
 * A record owns everything it points to. Tensors are kept in insertion order
 * and names are unique: adding a tensor whose name exists replaces it, which
 * is how a tool "replaces" an output. Tools pass on tensors they do not know.
 *
 *   plm_record_Create() / plm_record_Destroy()
 *   plm_record_SetAligned()   the aligned row when the record came from an MSA
 *   plm_record_SetMeta() / plm_record_GetMeta()     string key/value metadata
 *   plm_record_AddTensor()    take ownership, replacing a same-named tensor
 *   plm_record_GetTensor()    look up by name (NULL if absent)
 *   plm_record_TakeTensor()   detach by name, caller owns it
 *   plm_record_RemoveTensor() detach and destroy
 */
#ifndef PLM_RECORD_H
#define PLM_RECORD_H
#include <stdint.h>
#include "tensor.h"

typedef struct plm_kv { char *key; char *value; } plm_kv;

typedef struct plm_record {
  char        *id;
  char        *seq;        /* unaligned residues; may hold inline "<mask>" */
  char        *aligned;    /* aligned row over the alignment's match columns (gaps '-'; A3M
                              insertions removed, so all rows of one MSA align), or NULL */
  plm_kv      *meta;
  int          nmeta;
  plm_tensor **tensors;
  int          ntensors;
} plm_record;

int         plm_record_Create(const char *id, const char *seq, plm_record **ret_rec, char *errbuf);
void        plm_record_Destroy(plm_record *rec);
int         plm_record_SetAligned(plm_record *rec, const char *aligned, char *errbuf);
int         plm_record_SetMeta(plm_record *rec, const char *key, const char *value, char *errbuf);
const char *plm_record_GetMeta(const plm_record *rec, const char *key);
int         plm_record_AddTensor(plm_record *rec, plm_tensor *t, char *errbuf);
plm_tensor *plm_record_GetTensor(const plm_record *rec, const char *name);
plm_tensor *plm_record_TakeTensor(plm_record *rec, const char *name);
void        plm_record_RemoveTensor(plm_record *rec, const char *name);

#endif
