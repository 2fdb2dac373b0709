/* growbuf.h: growing arrays for the format readers.
 *
 *   plm_grow()   make room for need elements, doubling; new space is zeroed
 */
#ifndef PLM_GROWBUF_H
#define PLM_GROWBUF_H
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "error.h"

static inline int
plm_grow(void **arr, size_t *alloc, size_t need, size_t elsize)
{
  size_t n = *alloc ? *alloc : 8;
  void  *a;
  if (need <= *alloc) return PLM_OK;
  while (n < need) n *= 2;
  if (n > SIZE_MAX / elsize || (a = realloc(*arr, n * elsize)) == NULL) return PLM_EMEM;
  memset((char *)a + *alloc * elsize, 0, (n - *alloc) * elsize);
  *arr   = a;
  *alloc = n;
  return PLM_OK;
}

#endif
