/* tensor.h: named, typed, shaped arrays: the payload of stream records.
 *
 * A tensor owns its data (data_owned) or views memory owned elsewhere, e.g. a
 * memory-mapped checkpoint. Shapes are row-major (C order), rank <= PLM_MAXRANK
 * for stream tensors; payloads are little-endian on disk and native in memory
 * (libcore only builds on little-endian hosts: see config.h check).
 *
 *   plm_tensor_Create()    allocate a zeroed tensor
 *   plm_tensor_Destroy()   free it (and its data if owned; data of 32 MB or more is kept
 *                          for the next Create it fits)
 *   plm_tensor_KeptBytes() / plm_tensor_DropKept()   bytes of such kept data (resident, free
 *                          for reuse); free it all
 *   plm_tensor_Numel() / plm_tensor_Nbytes()
 *   plm_tensor_SizeFor()   numel and bytes for a shape, overflow-checked
 *   plm_dtype_Size() / plm_dtype_Name() / plm_dtype_FromName()
 *   plm_f16_to_f32(), plm_f32_to_f16(), plm_bf16_to_f32(), plm_f32_to_bf16()
 *   plm_f16_ToF32Array(), plm_f32_ToF16Array()   the same over arrays: F16C instructions where the
 *                         processor has them (identical results: round to nearest even), else the
 *                         scalar functions
 *   plm_tensor_ToF32()     a float32 copy of any numeric tensor
 */
#ifndef PLM_TENSOR_H
#define PLM_TENSOR_H
#include <stddef.h>
#include <stdint.h>

#define PLM_MAXRANK   4
#define PLM_MAXNAME   255

typedef enum plm_dtype {
  PLM_F32 = 0, PLM_F16 = 1, PLM_BF16 = 2, PLM_I32 = 3, PLM_U8 = 4,
  PLM_I64 = 5  /* only inside model loaders, never on a stream */
} plm_dtype;
#define PLM_NDTYPE_STREAM 5

typedef struct plm_tensor {
  char      *name;
  plm_dtype  dtype;
  int        rank;
  int64_t    shape[8];     /* checkpoint tensors may exceed rank 4 */
  void      *data;
  int        data_owned;
} plm_tensor;

int         plm_tensor_Create(const char *name, plm_dtype dt, int rank, const int64_t *shape,
                              plm_tensor **ret_t, char *errbuf);
void        plm_tensor_Destroy(plm_tensor *t);
size_t      plm_tensor_KeptBytes(void);
void        plm_tensor_DropKept(void);
int64_t     plm_tensor_Numel(const plm_tensor *t);
size_t      plm_tensor_Nbytes(const plm_tensor *t);
int         plm_tensor_SizeFor(plm_dtype dt, int rank, const int64_t *shape,
                               int64_t *ret_numel, size_t *ret_nbytes, char *errbuf);
int         plm_tensor_ToF32(const plm_tensor *t, const char *newname, plm_tensor **ret_t, char *errbuf);

size_t      plm_dtype_Size(plm_dtype dt);
const char *plm_dtype_Name(plm_dtype dt);
int         plm_dtype_FromName(const char *name, plm_dtype *ret_dt);

float       plm_f16_to_f32(uint16_t h);
uint16_t    plm_f32_to_f16(float f);
void        plm_f16_ToF32Array(const uint16_t *h, float *f, size_t n);
void        plm_f32_ToF16Array(const float *f, uint16_t *h, size_t n);
float       plm_bf16_to_f32(uint16_t b);
uint16_t    plm_f32_to_bf16(float f);

#endif
