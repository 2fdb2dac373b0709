/* file_fuzz.h: for fuzz targets whose reader takes a path (annotation files, score matrices).
 *
 * fuzz_File() writes the input to one temporary file per process, reused for every input, and
 * returns its path (NULL when it cannot, and the input is skipped); the file is removed at exit.
 */
#ifndef PLM_FILE_FUZZ_H
#define PLM_FILE_FUZZ_H
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static char fuzz_path[64];

static void
fuzz_Unlink(void)
{
  if (fuzz_path[0]) unlink(fuzz_path);
}

static const char *
fuzz_File(const uint8_t *data, size_t size)
{
  char *path = fuzz_path;
  FILE *fp;

  if (!path[0]) {
    int fd;
    snprintf(path, sizeof fuzz_path, "/tmp/plmscope-fuzz-XXXXXX");
    if ((fd = mkstemp(path)) < 0) { path[0] = '\0'; return NULL; }
    close(fd);
    atexit(fuzz_Unlink);
  }
  if ((fp = fopen(path, "wb")) == NULL) return NULL;
  if (size && fwrite(data, 1, size, fp) != size) { fclose(fp); return NULL; }
  return fclose(fp) == 0 ? path : NULL;
}

#endif
