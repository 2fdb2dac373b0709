/* record.c: one protein record of the stream (see record.h). */
#include <stdlib.h>
#include <string.h>
#include "error.h"
#include "record.h"

int
plm_record_Create(const char *id, const char *seq, plm_record **ret_rec, char *errbuf)
{
  plm_record *rec = calloc(1, sizeof *rec);
  *ret_rec = NULL;
  if (!rec) return plm_Fail(errbuf, PLM_EMEM, "out of memory");
  rec->id  = strdup(id ? id : "");
  rec->seq = strdup(seq ? seq : "");
  if (!rec->id || !rec->seq) { plm_record_Destroy(rec); return plm_Fail(errbuf, PLM_EMEM, "out of memory"); }
  *ret_rec = rec;
  return PLM_OK;
}

void
plm_record_Destroy(plm_record *rec)
{
  if (!rec) return;
  for (int i = 0; i < rec->nmeta; i++) { free(rec->meta[i].key); free(rec->meta[i].value); }
  for (int i = 0; i < rec->ntensors; i++) plm_tensor_Destroy(rec->tensors[i]);
  free(rec->meta);
  free(rec->tensors);
  free(rec->id);
  free(rec->seq);
  free(rec->aligned);
  free(rec);
}

int
plm_record_SetAligned(plm_record *rec, const char *aligned, char *errbuf)
{
  char *s = NULL;
  if (aligned && (s = strdup(aligned)) == NULL) return plm_Fail(errbuf, PLM_EMEM, "out of memory");
  free(rec->aligned);
  rec->aligned = s;
  return PLM_OK;
}

int
plm_record_SetMeta(plm_record *rec, const char *key, const char *value, char *errbuf)
{
  char *v = strdup(value);
  if (!v) return plm_Fail(errbuf, PLM_EMEM, "out of memory");
  for (int i = 0; i < rec->nmeta; i++)
    if (strcmp(rec->meta[i].key, key) == 0) { free(rec->meta[i].value); rec->meta[i].value = v; return PLM_OK; }

  char   *k  = strdup(key);
  plm_kv *kv = realloc(rec->meta, (size_t)(rec->nmeta + 1) * sizeof *kv);
  if (!k || !kv) { free(k); free(v); if (kv) rec->meta = kv; return plm_Fail(errbuf, PLM_EMEM, "out of memory"); }
  rec->meta = kv;
  rec->meta[rec->nmeta].key   = k;
  rec->meta[rec->nmeta].value = v;
  rec->nmeta++;
  return PLM_OK;
}

const char *
plm_record_GetMeta(const plm_record *rec, const char *key)
{
  for (int i = 0; i < rec->nmeta; i++)
    if (strcmp(rec->meta[i].key, key) == 0) return rec->meta[i].value;
  return NULL;
}

static int
find_tensor(const plm_record *rec, const char *name)
{
  for (int i = 0; i < rec->ntensors; i++)
    if (strcmp(rec->tensors[i]->name, name) == 0) return i;
  return -1;
}

int
plm_record_AddTensor(plm_record *rec, plm_tensor *t, char *errbuf)
{
  int i = find_tensor(rec, t->name);
  if (i >= 0) { plm_tensor_Destroy(rec->tensors[i]); rec->tensors[i] = t; return PLM_OK; }

  plm_tensor **p = realloc(rec->tensors, (size_t)(rec->ntensors + 1) * sizeof *p);
  if (!p) { plm_tensor_Destroy(t); return plm_Fail(errbuf, PLM_EMEM, "out of memory"); }
  rec->tensors = p;
  rec->tensors[rec->ntensors++] = t;
  return PLM_OK;
}

plm_tensor *
plm_record_GetTensor(const plm_record *rec, const char *name)
{
  int i = find_tensor(rec, name);
  return i >= 0 ? rec->tensors[i] : NULL;
}

plm_tensor *
plm_record_TakeTensor(plm_record *rec, const char *name)
{
  int i = find_tensor(rec, name);
  if (i < 0) return NULL;
  plm_tensor *t = rec->tensors[i];
  memmove(rec->tensors + i, rec->tensors + i + 1, (size_t)(rec->ntensors - i - 1) * sizeof *rec->tensors);
  rec->ntensors--;
  return t;
}

void plm_record_RemoveTensor(plm_record *rec, const char *name) { plm_tensor_Destroy(plm_record_TakeTensor(rec, name)); }
