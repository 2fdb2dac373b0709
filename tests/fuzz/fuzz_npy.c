/* fuzz_npy.c: libFuzzer target for the .npy reader (formats/npy.c).
 *
 * Each input is written to a temporary file (the reader takes paths) and read;
 * whatever is accepted must survive a write and a second read unchanged.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "error.h"
#include "npy.h"

static char in_path[]  = "/tmp/fuzz_npy_in.XXXXXX";
static char out_path[] = "/tmp/fuzz_npy_out.XXXXXX";

static void
cleanup(void)
{
  unlink(in_path);
  unlink(out_path);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
  int a = mkstemp(in_path), b = mkstemp(out_path);
  (void)argc; (void)argv;
  if (a < 0 || b < 0) abort();
  close(a);
  close(b);
  atexit(cleanup);
  return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  char        eb[PLM_ERRBUFSIZE];
  plm_tensor *t = NULL, *u = NULL;
  FILE       *fp = fopen(in_path, "wb");

  if (!fp || fwrite(data, 1, size, fp) != size) abort();
  fclose(fp);
  if (plm_npy_Read(in_path, "x", &t, eb) != PLM_OK) {
    if (t != NULL || strlen(eb) == 0) abort();   /* a failure leaves no tensor and says why */
    return 0;
  }
  if (plm_npy_Write(out_path, t, eb) != PLM_OK || plm_npy_Read(out_path, "x", &u, eb) != PLM_OK) abort();
  if (u->dtype != t->dtype || u->rank != t->rank || memcmp(u->shape, t->shape, sizeof t->shape) != 0
      || memcmp(u->data, t->data, plm_tensor_Nbytes(t)) != 0) abort();
  plm_tensor_Destroy(t);
  plm_tensor_Destroy(u);
  return 0;
}
