/* fuzz_stream.c: libFuzzer target for the record stream reader: any bytes in,
 * records or a clean error out, never a crash, leak or unbounded allocation. */
#include <stdio.h>
#include "error.h"
#include "stream.h"

int
LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
  char              eb[PLM_ERRBUFSIZE];
  FILE             *fp = size ? fmemopen((void *)data, size, "rb") : fopen("/dev/null", "rb");
  plm_streamreader *r;
  plm_record       *rec;

  if (!fp) return 0;
  if (plm_stream_OpenReadFILE(fp, "fuzz", &r, eb) == PLM_OK) {
    while (plm_stream_Read(r, &rec, eb) == PLM_OK) plm_record_Destroy(rec);
    plm_stream_CloseRead(r);
  }
  fclose(fp);
  return 0;
}
