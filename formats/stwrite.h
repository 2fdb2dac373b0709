/* stwrite.h: writing HuggingFace safetensors files.
 *
 * The layout safetensors.h reads: an 8-byte little-endian header length, the
 * JSON header {name: {"dtype", "shape", "data_offsets"}, "__metadata__":
 * {"format": "pt"}} padded with spaces to a multiple of 8, then the data of
 * every tensor in the order given.
 *
 *   plm_stwrite_File()   tensors (F32, F16, BF16, I32, U8, I64) -> file
 */
#ifndef PLM_STWRITE_H
#define PLM_STWRITE_H
#include "tensor.h"

int plm_stwrite_File(const char *path, plm_tensor *const *tensors, int n, char *errbuf);

#endif
