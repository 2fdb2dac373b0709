/* file_fuzz.h: for fuzz targets whose reader takes a path (annotation files, score matrices).
 *
 * fuzz_File() writes the input to one temporary file per process, reused for every input, and
 * returns its path (NULL when it cannot, and the input is skipped).
 */
#ifndef PLM_FILE_FUZZ_H
#define PLM_FILE_FUZZ_H
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static const char *
fuzz_File(const uint8_t *data, size_t size)
{
  static char path[64];
  FILE       *fp;

  if (!path[0]) {
    int fd;
    snprintf(path, sizeof path, "/tmp/plmscope-fuzz-XXXXXX");
    if ((fd = mkstemp(path)) < 0) { path[0] = '\0'; return NULL; }
    close(fd);
  }
  if ((fp = fopen(path, "wb")) == NULL) return NULL;
  if (size && fwrite(data, 1, size, fp) != size) { fclose(fp); return NULL; }
  return fclose(fp) == 0 ? path : NULL;
}

#endif
