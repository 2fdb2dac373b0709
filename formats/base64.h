/* base64.h: RFC 4648 base64, written straight to a stream.
 *
 * The HTML pages and SVG figures embed binary payloads (attention maps,
 * PNG images) as base64 text; writing in place keeps memory at one copy.
 *
 *   plm_base64_Write()   encode n bytes onto fp, padded, no line breaks
 */
#ifndef PLM_BASE64_H
#define PLM_BASE64_H
#include <stddef.h>
#include <stdio.h>

int plm_base64_Write(FILE *fp, const void *data, size_t n, char *errbuf);

#endif
