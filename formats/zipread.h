/* zipread.h: a minimal read-only ZIP reader for torch.save archives held in memory.
 *
 * Hand-written rather than taken from a ZIP library because torch stores tensor
 * data as uncompressed (STORED), aligned entries: working on the mmap'd archive
 * lets the loader hand out views of tensor bytes in place, with no copy and no
 * temporary files, for checkpoints of tens of GB. Handles what torch.save and
 * Python's zipfile write: one disk, STORED and DEFLATE entries, zip64 sizes,
 * offsets and end records. Every offset and length is checked against the
 * buffer before it is used.
 *
 *   plm_zip_Open()   index the central directory of an archive in memory
 *   plm_zip_Find()   entry index by exact name, or -1
 *   plm_zip_Data()   an entry's bytes: a view (STORED) or an inflated copy (DEFLATE)
 *   plm_zip_Close()
 */
#ifndef PLM_ZIPREAD_H
#define PLM_ZIPREAD_H
#include <stdint.h>

typedef struct plm_zipentry {
  char     *name;
  uint64_t  hdr_offset;   /* of the local header */
  uint64_t  csize;        /* stored bytes */
  uint64_t  usize;        /* bytes once inflated */
  uint32_t  crc;
  int       method;       /* 0 STORED, 8 DEFLATE */
} plm_zipentry;

typedef struct plm_zip {
  const uint8_t *buf;     /* not owned */
  uint64_t       len;
  plm_zipentry  *e;
  int            n;
} plm_zip;

int  plm_zip_Open(const uint8_t *buf, uint64_t len, plm_zip **ret_z, char *errbuf);
int  plm_zip_Find(const plm_zip *z, const char *name);
int  plm_zip_Data(const plm_zip *z, int i, const uint8_t **ret_data, uint8_t **ret_owned, char *errbuf);
void plm_zip_Close(plm_zip *z);

#endif
