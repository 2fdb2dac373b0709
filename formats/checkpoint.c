/* checkpoint.c: a model's parameters and configuration, from any published layout (see checkpoint.h).
 *
 *   building one:   ckpriv, plm_checkpoint_Create(), hold(), _Hold(), _AddView(), _SetConfig()
 *   files:          in_file(), map_file(), read_file() (sniffs torch zip, legacy, safetensors)
 *   folders:        read_text(), json_config(), read_config_json(), read_dir() (config.json + weights)
 *   public:         read_path(), plm_checkpoint_Open(), _Get(), _Config(), _MergeFile(), _Close()
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include "checkpoint.h"
#include "error.h"
#include "growbuf.h"
#include "jsonread.h"
#include "safetensors.h"
#include "torchfile.h"

#define MAXCONFIGJSON (16u << 20)
#define MAXKEY        1024

/* memory the tensors may view: a file mapping (maplen > 0) or a malloc'd buffer */
typedef struct held { void *addr; size_t maplen; } held;

typedef struct ckpriv {
  held  *holds;
  int    nholds;
  size_t holdalloc, tensoralloc, configalloc;
} ckpriv;

int
plm_checkpoint_Create(const char *path, plm_checkpoint **ret_ck, char *errbuf)
{
  plm_checkpoint *ck;

  *ret_ck = NULL;
  if ((ck = calloc(1, sizeof *ck)) == NULL || (ck->priv = calloc(1, sizeof(ckpriv))) == NULL ||
      (ck->path = strdup(path)) == NULL) {
    plm_checkpoint_Close(ck);
    return plm_Fail(errbuf, PLM_EMEM, "out of memory");
  }
  *ret_ck = ck;
  return PLM_OK;
}

static int
hold(plm_checkpoint *ck, void *addr, size_t maplen, char *errbuf)
{
  ckpriv *p = ck->priv;
  if (plm_grow((void **)&p->holds, &p->holdalloc, (size_t)p->nholds + 1, sizeof *p->holds) != PLM_OK) {
    if (maplen) munmap(addr, maplen); else free(addr);
    return plm_Fail(errbuf, PLM_EMEM, "out of memory");
  }
  p->holds[p->nholds++] = (held){ addr, maplen };
  return PLM_OK;
}

/* takes buf, even when it fails */
int plm_checkpoint_Hold(plm_checkpoint *ck, void *buf, char *errbuf) { return hold(ck, buf, 0, errbuf); }

/* Views need the element alignment the compute code assumes; legacy files and odd
 * safetensors headers do not give it, and those tensors get an aligned copy. */
int
plm_checkpoint_AddView(plm_checkpoint *ck, const char *name, plm_dtype dt, int rank,
                       const int64_t *shape, const void *data, char *errbuf)
{
  ckpriv     *p = ck->priv;
  plm_tensor *t = NULL;
  size_t      nbytes;
  int         status;

  if (plm_checkpoint_Get(ck, name)) PLM_XFAIL(PLM_EFORMAT, errbuf, "tensor %s appears twice", name);
  PLM_XCHECK(plm_tensor_SizeFor(dt, rank, shape, NULL, &nbytes, errbuf));
  if ((t = calloc(1, sizeof *t)) == NULL || (t->name = strdup(name)) == NULL) PLM_XFAIL(PLM_EMEM, errbuf, "out of memory");
  t->dtype = dt;
  t->rank  = rank;
  memcpy(t->shape, shape, (size_t)rank * sizeof *shape);
  if ((uintptr_t)data % plm_dtype_Size(dt) == 0) t->data = (void *)data;
  else {
    if ((t->data = malloc(nbytes ? nbytes : 1)) == NULL) PLM_XFAIL(PLM_EMEM, errbuf, "out of memory copying tensor %s", name);
    t->data_owned = 1;
    memcpy(t->data, data, nbytes);
  }
  if (plm_grow((void **)&ck->tensors, &p->tensoralloc, (size_t)ck->ntensors + 1, sizeof *ck->tensors) != PLM_OK)
    PLM_XFAIL(PLM_EMEM, errbuf, "out of memory");
  ck->tensors[ck->ntensors++] = t;
  return PLM_OK;

ERROR:
  plm_tensor_Destroy(t);
  return status;
}

int
plm_checkpoint_SetConfig(plm_checkpoint *ck, const char *key, const char *value, char *errbuf)
{
  ckpriv *p = ck->priv;
  char   *v = strdup(value), *k = NULL;

  for (int j = 0; v && j < ck->nconfig; j++)
    if (strcmp(ck->config[j].key, key) == 0) { free(ck->config[j].value); ck->config[j].value = v; return PLM_OK; }
  if (!v || (k = strdup(key)) == NULL ||
      plm_grow((void **)&ck->config, &p->configalloc, (size_t)ck->nconfig + 1, sizeof *ck->config) != PLM_OK) {
    free(v);
    free(k);
    return plm_Fail(errbuf, PLM_EMEM, "out of memory");
  }
  ck->config[ck->nconfig++] = (plm_kv){ k, v };
  return PLM_OK;
}

/* readers report what broke inside a file; the file is named once, here */
static int
in_file(int status, const char *file, char *errbuf)
{
  char msg[PLM_ERRBUFSIZE];
  if (status == PLM_OK || !errbuf) return status;
  snprintf(msg, sizeof msg, "%s", errbuf);
  return plm_Fail(errbuf, status, "%s: %s", file, msg);
}

static int
map_file(plm_checkpoint *ck, const char *file, const uint8_t **ret_buf, uint64_t *ret_len, char *errbuf)
{
  struct stat st;
  void       *addr;
  int         fd;

  if ((fd = open(file, O_RDONLY | O_CLOEXEC)) < 0) return plm_Fail(errbuf, PLM_EIO, "%s: cannot open: %m", file);
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) { close(fd); return plm_Fail(errbuf, PLM_EIO, "%s: not a regular file", file); }
  if (st.st_size == 0) { close(fd); return plm_Fail(errbuf, PLM_EFORMAT, "%s: empty file", file); }
  addr = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
  close(fd);
  if (addr == MAP_FAILED) return plm_Fail(errbuf, PLM_EIO, "%s: cannot map: %m", file);
  *ret_buf = addr;
  *ret_len = (uint64_t)st.st_size;
  return hold(ck, addr, (size_t)st.st_size, errbuf);
}

/* one weights file; layout_prefix is "hf-dir+" inside a folder */
static int
read_file(plm_checkpoint *ck, const char *file, const char *layout_prefix, char *errbuf)
{
  const uint8_t *buf = NULL;
  uint64_t       len = 0;
  const char    *layout;
  char           layout_full[64];
  int            status;

  if ((status = map_file(ck, file, &buf, &len, errbuf)) != PLM_OK) return status;
  if (len >= 4 && (memcmp(buf, "PK\3\4", 4) == 0 || memcmp(buf, "PK\5\6", 4) == 0)) {
    layout = "torch-zip";
    status = plm_torchfile_ReadZip(ck, buf, len, errbuf);
  } else if (plm_torchfile_IsLegacy(buf, len)) {
    layout = "torch-legacy";
    status = plm_torchfile_ReadLegacy(ck, buf, len, errbuf);
  } else if (len >= 9 && buf[8] == '{') {
    layout = "safetensors";
    status = plm_safetensors_Read(ck, buf, len, errbuf);
  } else
    return plm_Fail(errbuf, PLM_EFORMAT, "%s: not a torch checkpoint or safetensors file", file);
  if ((status = in_file(status, file, errbuf)) != PLM_OK) return status;
  snprintf(layout_full, sizeof layout_full, "%s%s", layout_prefix, layout);
  return plm_checkpoint_SetConfig(ck, "_layout", layout_full, errbuf);
}

static int
read_text(const char *file, size_t maxlen, char **ret_text, size_t *ret_len, char *errbuf)
{
  FILE  *f = fopen(file, "rb");
  char  *text = NULL;
  size_t n;
  int    status;

  *ret_text = NULL;
  if (!f) return plm_Fail(errbuf, PLM_ENOTFOUND, "%s: cannot open: %m", file);
  if ((text = malloc(maxlen + 1)) == NULL) PLM_XFAIL(PLM_EMEM, errbuf, "out of memory");
  n = fread(text, 1, maxlen + 1, f);
  if (ferror(f)) PLM_XFAIL(PLM_EIO, errbuf, "%s: read error", file);
  if (n > maxlen) PLM_XFAIL(PLM_ELIMIT, errbuf, "%s: larger than %zu bytes", file, maxlen);
  fclose(f);
  *ret_text = text;
  *ret_len  = n;
  return PLM_OK;

ERROR:
  fclose(f);
  free(text);
  return status;
}

/* config.json scalars; nested objects flattened to "a.b", arrays skipped; bare null is "none" */
static int
json_config(plm_checkpoint *ck, const plm_json *j, const char *prefix, char *errbuf)
{
  char key[MAXKEY];
  int  status = PLM_OK;

  for (int k = 0; status == PLM_OK && k < j->n; k++) {
    const plm_json *v = j->kids[k];
    if (snprintf(key, sizeof key, "%s%s", prefix, j->keys[k]) >= (int)sizeof key - 1) continue;
    if (v->kind == PLM_JSON_SCALAR)
      status = plm_checkpoint_SetConfig(ck, key, !v->quoted && strcmp(v->value, "null") == 0 ? "none" : v->value, errbuf);
    else if (v->kind == PLM_JSON_MAP)
      status = json_config(ck, v, strcat(key, "."), errbuf);
  }
  return status;
}

static int
read_config_json(plm_checkpoint *ck, const char *file, char *errbuf)
{
  plm_json *root = NULL;
  char     *text = NULL;
  size_t    len = 0;
  int       status;

  PLM_XCHECK(read_text(file, MAXCONFIGJSON, &text, &len, errbuf));
  PLM_XCHECK(in_file(plm_json_Parse(text, len, &root, errbuf), file, errbuf));
  if (root->kind != PLM_JSON_MAP) PLM_XFAIL(PLM_EFORMAT, errbuf, "%s: not a JSON object", file);
  PLM_XCHECK(json_config(ck, root, "", errbuf));
  status = PLM_OK;

ERROR:
  plm_json_Free(root);
  free(text);
  return status;
}

/* a HuggingFace folder: config.json and model.safetensors or pytorch_model.bin */
static int
read_dir(plm_checkpoint *ck, const char *dir, char *errbuf)
{
  static const char *weights[] = { "model.safetensors", "pytorch_model.bin" };
  char               file[4096];
  int                status;

  if (snprintf(file, sizeof file, "%s/config.json", dir) >= (int)sizeof file) return plm_Fail(errbuf, PLM_ELIMIT, "%s: path too long", dir);
  if (access(file, R_OK) != 0) return plm_Fail(errbuf, PLM_ENOTFOUND, "%s: no config.json in this model folder", dir);
  if ((status = read_config_json(ck, file, errbuf)) != PLM_OK) return status;
  for (size_t k = 0; k < sizeof weights / sizeof weights[0]; k++) {
    snprintf(file, sizeof file, "%s/%s", dir, weights[k]);
    if (access(file, R_OK) == 0) return read_file(ck, file, "hf-dir+", errbuf);
  }
  return plm_Fail(errbuf, PLM_ENOTFOUND, "%s: neither model.safetensors nor pytorch_model.bin in this model folder", dir);
}

static int
read_path(plm_checkpoint *ck, const char *path, char *errbuf)
{
  struct stat st;
  if (stat(path, &st) != 0) return plm_Fail(errbuf, PLM_ENOTFOUND, "%s: %m", path);
  return S_ISDIR(st.st_mode) ? read_dir(ck, path, errbuf) : read_file(ck, path, "", errbuf);
}

int
plm_checkpoint_Open(const char *path, plm_checkpoint **ret_ck, char *errbuf)
{
  plm_checkpoint *ck = NULL;
  int             status;

  *ret_ck = NULL;
  PLM_XCHECK(plm_checkpoint_Create(path, &ck, errbuf));
  PLM_XCHECK(read_path(ck, path, errbuf));
  *ret_ck = ck;
  return PLM_OK;

ERROR:
  plm_checkpoint_Close(ck);
  return status;
}

plm_tensor *
plm_checkpoint_Get(const plm_checkpoint *ck, const char *name)
{
  for (int j = 0; j < ck->ntensors; j++)
    if (strcmp(ck->tensors[j]->name, name) == 0) return ck->tensors[j];
  return NULL;
}

const char *
plm_checkpoint_Config(const plm_checkpoint *ck, const char *key)
{
  for (int j = 0; j < ck->nconfig; j++)
    if (strcmp(ck->config[j].key, key) == 0) return ck->config[j].value;
  return NULL;
}

/* Read the other file whole first, so a bad file leaves ck as it was; then move over its
 * new tensors and the memory they view. Its config is not merged. */
int
plm_checkpoint_MergeFile(plm_checkpoint *ck, const char *path, char *errbuf)
{
  plm_checkpoint *other = NULL;
  ckpriv         *p = ck->priv, *op;
  int             status;

  PLM_XCHECK(plm_checkpoint_Create(path, &other, errbuf));
  PLM_XCHECK(read_path(other, path, errbuf));
  op = other->priv;
  if (plm_grow((void **)&ck->tensors, &p->tensoralloc, (size_t)ck->ntensors + (size_t)other->ntensors, sizeof *ck->tensors) != PLM_OK ||
      plm_grow((void **)&p->holds, &p->holdalloc, (size_t)p->nholds + (size_t)op->nholds, sizeof *p->holds) != PLM_OK)
    PLM_XFAIL(PLM_EMEM, errbuf, "out of memory");
  for (int j = 0; j < other->ntensors; j++) {
    if (plm_checkpoint_Get(ck, other->tensors[j]->name)) continue;
    ck->tensors[ck->ntensors++] = other->tensors[j];
    other->tensors[j] = NULL;
  }
  memcpy(p->holds + p->nholds, op->holds, (size_t)op->nholds * sizeof *op->holds);
  p->nholds += op->nholds;
  op->nholds = 0;
  status = PLM_OK;

ERROR:
  plm_checkpoint_Close(other);
  return status;
}

/* a private read-only file mapping gives its pages back and reads them from the file again when
 * touched; only whole pages inside the tensor are released, so neighbours keep theirs */
void
plm_checkpoint_Release(const plm_checkpoint *ck, const void *data, size_t nbytes)
{
  const ckpriv *p = ck->priv;
  uintptr_t     a = (uintptr_t)data, pg = (uintptr_t)sysconf(_SC_PAGESIZE);

  for (int j = 0; j < p->nholds; j++) {
    uintptr_t lo = (uintptr_t)p->holds[j].addr, hi = lo + p->holds[j].maplen;
    if (p->holds[j].maplen == 0 || a < lo || a + nbytes > hi) continue;
    uintptr_t first = (a + pg - 1) / pg * pg, last = (a + nbytes) / pg * pg;
    if (last > first) madvise((void *)first, last - first, MADV_DONTNEED);
    return;
  }
}

void
plm_checkpoint_Close(plm_checkpoint *ck)
{
  ckpriv *p;
  if (!ck) return;
  for (int j = 0; j < ck->ntensors; j++) plm_tensor_Destroy(ck->tensors[j]);
  for (int j = 0; j < ck->nconfig; j++) { free(ck->config[j].key); free(ck->config[j].value); }
  if ((p = ck->priv) != NULL) {
    for (int j = 0; j < p->nholds; j++) {
      if (p->holds[j].maplen) munmap(p->holds[j].addr, p->holds[j].maplen);
      else free(p->holds[j].addr);
    }
    free(p->holds);
    free(p);
  }
  free(ck->tensors);
  free(ck->config);
  free(ck->path);
  free(ck);
}
