/* torchfile.h: PyTorch checkpoints as torch.save writes them.
 *
 * Two layouts. The zip archive of torch >= 1.6: "<top>/data.pkl" holds the
 * object pickle and "<top>/data/<key>" each storage, where <top> is the folder
 * torch named after the file ("esm2_t3_tiny_random/", "archive/", ...). The
 * legacy stream of older versions: pickles of the magic number, the protocol
 * version and sys_info, then the object pickle, a pickled list of storage keys,
 * and per key an 8-byte little-endian element count followed by the raw data.
 *
 * The object pickle is read by pickle.c. A root dict whose "model" is a dict
 * (fair-esm: {'model': state_dict, 'cfg': {'model': Namespace}} or {'model':
 * ..., 'args': Namespace}) gives the tensors of "model" and the config of the
 * Namespace, nested dicts flattened as "a.b"; any other root dict is the state
 * dict itself (HuggingFace pytorch_model.bin). Entries that are not tensors are
 * skipped. Tensors must be contiguous; any map_location is accepted.
 *
 *   plm_torchfile_IsLegacy()   do these bytes start a legacy torch file?
 *   plm_torchfile_ReadZip()    add a zip archive's tensors and config to a checkpoint
 *   plm_torchfile_ReadLegacy() the same for a legacy file
 */
#ifndef PLM_TORCHFILE_H
#define PLM_TORCHFILE_H
#include <stdint.h>
#include "checkpoint.h"

int plm_torchfile_IsLegacy(const uint8_t *buf, uint64_t len);
int plm_torchfile_ReadZip(plm_checkpoint *ck, const uint8_t *buf, uint64_t len, char *errbuf);
int plm_torchfile_ReadLegacy(plm_checkpoint *ck, const uint8_t *buf, uint64_t len, char *errbuf);

#endif
