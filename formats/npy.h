/* npy.h: NumPy .npy files (format 1.0/2.0/3.0), the interop exit for every tensor.
 *
 * Reads little-endian '<f4' '<f2' '<i4' '<i8' '|u1' '|b1' (and '<f8', converted
 * to f32), in C or Fortran order (Fortran arrays are transposed to C order on
 * load: the ProtBert golden logits are stored that way); writes any stream dtype
 * (bf16, which numpy lacks, is written as f32).
 *
 *   plm_npy_Read()    file -> tensor named `name`
 *   plm_npy_Write()   tensor -> file
 */
#ifndef PLM_NPY_H
#define PLM_NPY_H
#include "tensor.h"

int plm_npy_Read(const char *path, const char *name, plm_tensor **ret_t, char *errbuf);
int plm_npy_Write(const char *path, const plm_tensor *t, char *errbuf);

#endif
