/* torchfile.c: PyTorch zip and legacy checkpoints (see torchfile.h).
 *
 *   storages:        storetab, find_stored()
 *   tensors, config: is_contiguous(), add_tensor(), float_text(), config_text(), add_config(), collect()
 *   zip archives:    find_pickle(), check_byteorder(), zip_storages(), plm_torchfile_ReadZip()
 *   legacy streams:  plm_torchfile_IsLegacy(), next_pickle(), legacy_header(), first_storage(),
 *                    aligned_storage(), legacy_storages(), plm_torchfile_ReadLegacy()
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "checkpoint.h"
#include "error.h"
#include "lebytes.h"
#include "pickle.h"
#include "torchfile.h"
#include "zipread.h"

#define MAXKEY          1024   /* entry names and flattened config keys */
#define MAXCONFIGDEPTH  4      /* nested config dicts; also stops at memo cycles */
#define LEGACY_PROTOCOL 1001

/* torch's legacy magic number 0x1950a86a20f9469cfc6c, little-endian, as pickle's LONG1 holds it */
static const uint8_t legacy_magic[10] = { 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19 };

/* the bytes stored under each storage key */
typedef struct stored { const char *key; const uint8_t *data; uint64_t nbytes; plm_dtype dtype; } stored;
typedef struct storetab { stored *s; int n; } storetab;

static const stored *
find_stored(const storetab *tab, const char *key)
{
  for (int j = 0; j < tab->n; j++)
    if (strcmp(tab->s[j].key, key) == 0) return &tab->s[j];
  return NULL;
}

/* row-major with the strides torch gives a fresh tensor; size-1 dimensions may have any stride */
static int
is_contiguous(const plm_pkobj *t)
{
  int64_t expect = 1;
  for (int d = t->rank - 1; d >= 0; d--) {
    if (t->shape[d] != 1 && t->stride[d] != expect) return 0;
    expect *= t->shape[d];
  }
  return 1;
}

/* A storage node is a window [offset, offset + numel) of its key's elements (legacy views;
 * otherwise offset 0); the tensor is a window of that. */
static int
add_tensor(plm_checkpoint *ck, const char *name, const plm_pkobj *t, const storetab *tab, char *errbuf)
{
  const plm_pkobj *st = t->storage;
  const stored    *s  = find_stored(tab, st->s);
  size_t           esz = plm_dtype_Size(st->dtype);
  uint64_t         total, numel;
  int64_t          n;

  if (!s) return plm_Fail(errbuf, PLM_EFORMAT, "tensor %s: storage %s missing", name, st->s);
  if (plm_tensor_SizeFor(st->dtype, t->rank, t->shape, &n, NULL, NULL) != PLM_OK)
    return plm_Fail(errbuf, PLM_ELIMIT, "tensor %s: shape too large", name);
  numel = (uint64_t)n;
  if (numel == 0) return plm_checkpoint_AddView(ck, name, st->dtype, t->rank, t->shape, s->data, errbuf);
  if (!is_contiguous(t)) return plm_Fail(errbuf, PLM_EUNSUP, "tensor %s: not contiguous", name);
  if (st->dtype != s->dtype)
    return plm_Fail(errbuf, PLM_EFORMAT, "tensor %s: storage %s read as %s, used as %s", name, st->s,
                    plm_dtype_Name(s->dtype), plm_dtype_Name(st->dtype));
  total = s->nbytes / esz;
  if ((uint64_t)st->offset > total || (uint64_t)st->i > total - (uint64_t)st->offset ||
      (uint64_t)t->offset > (uint64_t)st->i || numel > (uint64_t)st->i - (uint64_t)t->offset)
    return plm_Fail(errbuf, PLM_EFORMAT, "tensor %s: storage %s holds %llu elements; the view of %llu at %lld + %lld (window of %lld) runs past it",
                    name, st->s, (unsigned long long)total, (unsigned long long)numel, (long long)st->offset,
                    (long long)t->offset, (long long)st->i);
  return plm_checkpoint_AddView(ck, name, st->dtype, t->rank, t->shape,
                                s->data + ((uint64_t)st->offset + (uint64_t)t->offset) * esz, errbuf);
}

/* shortest text that reads back as the same double; integral values keep Python's ".0" */
static const char *
float_text(double f, char *tmp, size_t n)
{
  for (int p = 1; p <= 17; p++) {
    snprintf(tmp, n, "%.*g", p, f);
    if (strtod(tmp, NULL) == f) break;
  }
  if (strspn(tmp, "-0123456789") == strlen(tmp)) strncat(tmp, ".0", n - strlen(tmp) - 1);
  return tmp;
}

/* a scalar as the checkpoint's config writes it (see checkpoint.h); NULL if not a scalar */
static const char *
config_text(const plm_pkobj *v, char *tmp, size_t n)
{
  switch (v->kind) {
  case PLM_PK_NONE:  return "none";
  case PLM_PK_BOOL:  return v->i ? "true" : "false";
  case PLM_PK_INT:   snprintf(tmp, n, "%lld", (long long)v->i); return tmp;
  case PLM_PK_FLOAT: return float_text(v->f, tmp, n);
  case PLM_PK_STR:   return v->s;
  default:           return NULL;
  }
}

/* the scalars of a Namespace or dict, nested dicts flattened to "a.b"; lists are skipped */
static int
add_config(plm_checkpoint *ck, const plm_pkobj *v, const char *prefix, int depth, char *errbuf)
{
  const plm_pkobj *d = v->kind == PLM_PK_OBJECT ? v->state : v;
  char             key[MAXKEY], tmp[64];
  const char      *text;
  int              status;

  if (!d || d->kind != PLM_PK_DICT || depth > MAXCONFIGDEPTH) return PLM_OK;
  for (int j = 0; j < d->n; j += 2) {
    if (d->items[j]->kind != PLM_PK_STR) continue;
    if (snprintf(key, sizeof key, "%s%s", prefix, d->items[j]->s) >= (int)sizeof key - 1) continue;
    if ((text = config_text(d->items[j + 1], tmp, sizeof tmp)) != NULL)
      status = plm_checkpoint_SetConfig(ck, key, text, errbuf);
    else
      status = add_config(ck, d->items[j + 1], strcat(key, "."), depth + 1, errbuf);
    if (status != PLM_OK) return status;
  }
  return PLM_OK;
}

static int
collect(plm_checkpoint *ck, const plm_pkobj *root, const storetab *tab, char *errbuf)
{
  const plm_pkobj *state = root, *model = plm_pickle_DictGet(root, "model"), *ns = NULL;
  int              status;

  if (model && model->kind == PLM_PK_DICT) {
    state = model;
    if ((ns = plm_pickle_DictGet(plm_pickle_DictGet(root, "cfg"), "model")) == NULL) ns = plm_pickle_DictGet(root, "args");
  }
  if (state->kind != PLM_PK_DICT)
    return plm_Fail(errbuf, PLM_EUNSUP, "the pickled object is a %s, not a state dict", plm_pickle_KindName(state->kind));
  for (int j = 0; j < state->n; j += 2) {
    const plm_pkobj *k = state->items[j], *v = state->items[j + 1];
    if (k->kind == PLM_PK_STR && v->kind == PLM_PK_TENSOR && (status = add_tensor(ck, k->s, v, tab, errbuf)) != PLM_OK)
      return status;
  }
  return ns ? add_config(ck, ns, "", 0, errbuf) : PLM_OK;
}

/* "<top>/data.pkl": the one pickle at the archive's first level */
static int
find_pickle(const plm_zip *z, char *prefix, int *ret_i, char *errbuf)
{
  for (int i = 0; i < z->n; i++) {
    const char *name = z->e[i].name, *slash = strchr(name, '/');
    size_t      len  = strlen(name);
    if (len < 8 || strcmp(name + len - 8, "data.pkl") != 0 || len - 8 >= MAXKEY) continue;
    if (len > 8 && (!slash || slash != name + len - 9)) continue;
    memcpy(prefix, name, len - 8);
    prefix[len - 8] = '\0';
    *ret_i = i;
    return PLM_OK;
  }
  return plm_Fail(errbuf, PLM_EFORMAT, "zip archive without a data.pkl: not written by torch.save");
}

/* torch >= 2.1 records the byte order; older archives are little-endian */
static int
check_byteorder(const plm_zip *z, const char *prefix, char *errbuf)
{
  const uint8_t *data;
  uint8_t       *owned;
  char           name[MAXKEY + 16];
  int            i, status, little;

  snprintf(name, sizeof name, "%sbyteorder", prefix);
  if ((i = plm_zip_Find(z, name)) < 0) return PLM_OK;
  if ((status = plm_zip_Data(z, i, &data, &owned, errbuf)) != PLM_OK) return status;
  little = z->e[i].usize == 6 && memcmp(data, "little", 6) == 0;
  free(owned);
  return little ? PLM_OK : plm_Fail(errbuf, PLM_EUNSUP, "big-endian checkpoint");
}

static int
zip_storages(plm_checkpoint *ck, const plm_zip *z, const char *prefix, const plm_pickle *pk, storetab *tab, char *errbuf)
{
  const uint8_t *data;
  uint8_t       *owned;
  char           name[MAXKEY];
  int            i, status;

  if ((tab->s = calloc(pk->nstorages ? (size_t)pk->nstorages : 1, sizeof *tab->s)) == NULL)
    return plm_Fail(errbuf, PLM_EMEM, "out of memory");
  for (int j = 0; j < pk->nstorages; j++) {
    const char *key = pk->storages[j]->s;
    if (find_stored(tab, key)) continue;
    if (snprintf(name, sizeof name, "%sdata/%s", prefix, key) >= (int)sizeof name)
      return plm_Fail(errbuf, PLM_ELIMIT, "storage key too long");
    if ((i = plm_zip_Find(z, name)) < 0) return plm_Fail(errbuf, PLM_EFORMAT, "storage %s: no entry %s", key, name);
    if ((status = plm_zip_Data(z, i, &data, &owned, errbuf)) != PLM_OK) return status;
    if (owned && (status = plm_checkpoint_Hold(ck, owned, errbuf)) != PLM_OK) return status;
    tab->s[tab->n++] = (stored){ key, data, z->e[i].usize, pk->storages[j]->dtype };
  }
  return PLM_OK;
}

int
plm_torchfile_ReadZip(plm_checkpoint *ck, const uint8_t *buf, uint64_t len, char *errbuf)
{
  plm_zip       *z     = NULL;
  plm_pickle    *pk    = NULL;
  uint8_t       *owned = NULL;
  const uint8_t *pkl;
  storetab       tab   = { NULL, 0 };
  char           prefix[MAXKEY];
  int            i = 0, status;

  PLM_XCHECK(plm_zip_Open(buf, len, &z, errbuf));
  PLM_XCHECK(find_pickle(z, prefix, &i, errbuf));
  PLM_XCHECK(check_byteorder(z, prefix, errbuf));
  PLM_XCHECK(plm_zip_Data(z, i, &pkl, &owned, errbuf));
  PLM_XCHECK(plm_pickle_Load(pkl, (size_t)z->e[i].usize, &pk, NULL, errbuf));
  PLM_XCHECK(zip_storages(ck, z, prefix, pk, &tab, errbuf));
  PLM_XCHECK(collect(ck, pk->root, &tab, errbuf));
  status = PLM_OK;

ERROR:
  free(tab.s);
  free(owned);
  plm_pickle_Destroy(pk);
  plm_zip_Close(z);
  return status;
}

int
plm_torchfile_IsLegacy(const uint8_t *buf, uint64_t len)
{
  return len >= 14 && buf[0] == 0x80 && buf[2] == 0x8a && buf[3] == sizeof legacy_magic &&
         memcmp(buf + 4, legacy_magic, sizeof legacy_magic) == 0;
}

/* legacy files are a sequence of pickles: each starts where the last one stopped */
static int
next_pickle(const uint8_t *buf, uint64_t len, uint64_t *pos, plm_pickle **ret_pk, char *errbuf)
{
  size_t used;
  int    status = plm_pickle_Load(buf + *pos, (size_t)(len - *pos), ret_pk, &used, errbuf);
  if (status == PLM_OK) *pos += used;
  return status;
}

/* the magic number, protocol version and sys_info pickles */
static int
legacy_header(const uint8_t *buf, uint64_t len, uint64_t *pos, char *errbuf)
{
  plm_pickle      *magic = NULL, *proto = NULL, *sys = NULL;
  const plm_pkobj *little;
  int              status;

  PLM_XCHECK(next_pickle(buf, len, pos, &magic, errbuf));
  if (magic->root->kind != PLM_PK_BIGINT || magic->root->len != sizeof legacy_magic ||
      memcmp(magic->root->s, legacy_magic, sizeof legacy_magic) != 0)
    PLM_XFAIL(PLM_EFORMAT, errbuf, "not a torch file: bad magic number");
  PLM_XCHECK(next_pickle(buf, len, pos, &proto, errbuf));
  if (proto->root->kind != PLM_PK_INT || proto->root->i != LEGACY_PROTOCOL)
    PLM_XFAIL(PLM_EUNSUP, errbuf, "legacy torch protocol version other than %d", LEGACY_PROTOCOL);
  PLM_XCHECK(next_pickle(buf, len, pos, &sys, errbuf));
  little = plm_pickle_DictGet(sys->root, "little_endian");
  if (little && little->kind == PLM_PK_BOOL && !little->i) PLM_XFAIL(PLM_EUNSUP, errbuf, "big-endian checkpoint");
  status = PLM_OK;

ERROR:
  plm_pickle_Destroy(magic);
  plm_pickle_Destroy(proto);
  plm_pickle_Destroy(sys);
  return status;
}

static const plm_pkobj *
first_storage(const plm_pickle *obj, const char *key)
{
  for (int j = 0; j < obj->nstorages; j++)
    if (strcmp(obj->storages[j]->s, key) == 0) return obj->storages[j];
  return NULL;
}

/* Legacy data follows pickles of any length, so it is seldom aligned for its elements. A
 * misaligned storage gets one aligned copy that every tensor on it views, so tensors sharing a
 * storage (ESM-1b ties embed_tokens and lm_head) share one pointer, as they do in a zip mapping. */
static int
aligned_storage(plm_checkpoint *ck, const uint8_t *data, uint64_t nbytes, size_t esz, const uint8_t **ret_data, char *errbuf)
{
  uint8_t *copy;
  int      status;

  *ret_data = data;
  if ((uintptr_t)data % esz == 0) return PLM_OK;
  if ((copy = malloc(nbytes ? (size_t)nbytes : 1)) == NULL) return plm_Fail(errbuf, PLM_EMEM, "out of memory copying a storage");
  memcpy(copy, data, (size_t)nbytes);
  if ((status = plm_checkpoint_Hold(ck, copy, errbuf)) != PLM_OK) return status;
  *ret_data = copy;
  return PLM_OK;
}

/* the key list, then per key its element count and data; the element size comes from the
 * storage type the object pickle gave that key */
static int
legacy_storages(plm_checkpoint *ck, const uint8_t *buf, uint64_t len, uint64_t *pos, const plm_pickle *obj, storetab *tab,
                char *errbuf)
{
  plm_pickle *keys = NULL;
  int         status;

  PLM_XCHECK(next_pickle(buf, len, pos, &keys, errbuf));
  if (keys->root->kind != PLM_PK_LIST) PLM_XFAIL(PLM_EFORMAT, errbuf, "storage key list is a %s", plm_pickle_KindName(keys->root->kind));
  if ((tab->s = calloc(keys->root->n ? (size_t)keys->root->n : 1, sizeof *tab->s)) == NULL) PLM_XFAIL(PLM_EMEM, errbuf, "out of memory");
  for (int j = 0; j < keys->root->n; j++) {
    const plm_pkobj *k = keys->root->items[j], *st;
    const uint8_t   *data;
    uint64_t         numel;
    size_t           esz;
    if (k->kind != PLM_PK_STR)                     PLM_XFAIL(PLM_EFORMAT, errbuf, "storage key is a %s", plm_pickle_KindName(k->kind));
    if ((st = first_storage(obj, k->s)) == NULL)  PLM_XFAIL(PLM_EFORMAT, errbuf, "storage %s: used by no tensor", k->s);
    if (find_stored(tab, st->s))                  PLM_XFAIL(PLM_EFORMAT, errbuf, "storage %s: listed twice", k->s);
    if (len - *pos < 8)                            PLM_XFAIL(PLM_EFORMAT, errbuf, "storage %s: truncated", k->s);
    numel = plm_le64(buf + *pos);
    *pos += 8;
    esz = plm_dtype_Size(st->dtype);
    if (numel > (len - *pos) / esz)
      PLM_XFAIL(PLM_EFORMAT, errbuf, "storage %s: %llu elements run past the end of the file (truncated?)", k->s, (unsigned long long)numel);
    PLM_XCHECK(aligned_storage(ck, buf + *pos, numel * esz, esz, &data, errbuf));
    tab->s[tab->n++] = (stored){ st->s, data, numel * esz, st->dtype };
    *pos += numel * esz;
  }
  /* the storages are the file's last bytes: more is a damaged or spliced file, not padding */
  if (*pos != len) PLM_XFAIL(PLM_EFORMAT, errbuf, "%llu bytes after the last storage", (unsigned long long)(len - *pos));
  status = PLM_OK;

ERROR:
  plm_pickle_Destroy(keys);
  return status;
}

int
plm_torchfile_ReadLegacy(plm_checkpoint *ck, const uint8_t *buf, uint64_t len, char *errbuf)
{
  plm_pickle *obj = NULL;
  storetab    tab = { NULL, 0 };
  uint64_t    pos = 0;
  int         status;

  PLM_XCHECK(legacy_header(buf, len, &pos, errbuf));
  PLM_XCHECK(next_pickle(buf, len, &pos, &obj, errbuf));
  PLM_XCHECK(legacy_storages(ck, buf, len, &pos, obj, &tab, errbuf));
  PLM_XCHECK(collect(ck, obj->root, &tab, errbuf));
  status = PLM_OK;

ERROR:
  free(tab.s);
  plm_pickle_Destroy(obj);
  return status;
}
