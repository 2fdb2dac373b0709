/* png.h: a minimal PNG encoder: 8-bit RGB, zlib-compressed, no filtering.
 *
 * Enough for heatmaps embedded in SVG figures and HTML pages (attention maps,
 * contact maps), where the image is small and exact pixel values matter more
 * than file size.
 *
 *   plm_png_EncodeRGB()   w x h RGB triplets (row-major) -> PNG bytes (caller frees)
 */
#ifndef PLM_PNG_H
#define PLM_PNG_H
#include <stddef.h>
#include <stdint.h>

#define PLM_PNG_MAXSIDE 16384

int plm_png_EncodeRGB(const uint8_t *rgb, int w, int h, uint8_t **ret_png, size_t *ret_n, char *errbuf);

#endif
