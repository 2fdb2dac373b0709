/* checkpoint.h: a model's parameters and configuration, from any published file layout.
 *
 * One entry point for every file users download: fair-esm .pt (torch zip archive),
 * legacy (pre-1.6, non-zip) torch files, HuggingFace folders (config.json +
 * model.safetensors or pytorch_model.bin), a bare .safetensors or .bin. Tensor
 * data is memory-mapped where the layout allows it; nothing from the file is
 * executed (the pickle reader accepts only the globals torch checkpoints use).
 *
 * Tensors are named by their state-dict key exactly as stored (e.g.
 * "encoder.sentence_encoder.layers.0.self_attn.k_proj.weight", or HF
 * "esm.encoder.layer.0.attention.self.key.weight"). When the pickled root is a
 * dict with a "model" state dict (fair-esm), those are the tensors.
 * Configuration is flattened to string key/values from, in order: fair-esm
 * cfg['model'] Namespace, legacy args Namespace, or config.json top-level
 * scalars. Booleans are "true"/"false", None is "none". The key "_layout" names
 * the file layout: "torch-zip", "torch-legacy", "safetensors", with "hf-dir"
 * prepended as "hf-dir+safetensors" etc. for folders.
 *
 *   plm_checkpoint_Open()      path to a file or a folder
 *   plm_checkpoint_Get()       tensor by exact name, or NULL
 *   plm_checkpoint_Config()    config value by key, or NULL
 *   plm_checkpoint_MergeFile() add another file's tensors (e.g. the co-located
 *                              -contact-regression.pt), existing names kept
 *   plm_checkpoint_Release()   the file pages under a memory-mapped tensor's bytes, once a copy
 *                              elsewhere (a device, half precision) replaces them; a tensor in
 *                              malloc'd memory is left alone. Reading it again reads the file.
 *   plm_checkpoint_Close()
 *
 * For the format readers that fill one (torchfile.c, safetensors.c):
 *   plm_checkpoint_Create()    an empty checkpoint named path
 *   plm_checkpoint_AddView()   a tensor over bytes the checkpoint keeps alive
 *                              (a mapping or a held buffer); copied if misaligned
 *   plm_checkpoint_SetConfig() set or replace one config value
 *   plm_checkpoint_Hold()      keep a malloc'd buffer until Close (freed at once
 *                              if even that fails)
 */
#ifndef PLM_CHECKPOINT_H
#define PLM_CHECKPOINT_H
#include "record.h"
#include "tensor.h"

typedef struct plm_checkpoint {
  char        *path;
  plm_tensor **tensors;    /* dtype as stored: F32, F16, BF16, I64, ...; views or owned */
  int          ntensors;
  plm_kv      *config;
  int          nconfig;
  void        *priv;       /* mappings and buffers owned by the loader */
} plm_checkpoint;

int         plm_checkpoint_Open(const char *path, plm_checkpoint **ret_ck, char *errbuf);
plm_tensor *plm_checkpoint_Get(const plm_checkpoint *ck, const char *name);
const char *plm_checkpoint_Config(const plm_checkpoint *ck, const char *key);
int         plm_checkpoint_MergeFile(plm_checkpoint *ck, const char *path, char *errbuf);
void        plm_checkpoint_Release(const plm_checkpoint *ck, const void *data, size_t nbytes);
void        plm_checkpoint_Close(plm_checkpoint *ck);

int         plm_checkpoint_Create(const char *path, plm_checkpoint **ret_ck, char *errbuf);
int         plm_checkpoint_AddView(plm_checkpoint *ck, const char *name, plm_dtype dt, int rank,
                                   const int64_t *shape, const void *data, char *errbuf);
int         plm_checkpoint_SetConfig(plm_checkpoint *ck, const char *key, const char *value, char *errbuf);
int         plm_checkpoint_Hold(plm_checkpoint *ck, void *buf, char *errbuf);

#endif
