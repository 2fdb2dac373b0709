/* safetensors.h: HuggingFace safetensors files.
 *
 * Layout: an 8-byte little-endian header length N, N bytes of JSON
 * {name: {"dtype", "shape", "data_offsets": [begin, end]}, "__metadata__": {...}},
 * then the data, offsets counted from its start. Tensors become views of the
 * file's bytes; every offset is checked against the data and the shape.
 *
 *   plm_safetensors_Read()  add a safetensors file's tensors to a checkpoint
 */
#ifndef PLM_SAFETENSORS_H
#define PLM_SAFETENSORS_H
#include <stdint.h>
#include "checkpoint.h"

#define PLM_SAFETENSORS_MAXHEADER (100u << 20)   /* the reference implementation's own limit */

int plm_safetensors_Read(plm_checkpoint *ck, const uint8_t *buf, uint64_t len, char *errbuf);

#endif
