/* figfont.h: a 6 x 10 pixel bitmap font, so that PNG figures carry their labels.
 *
 *   plm_figfont_Glyph[c - 32]   rows of printable ASCII character c (bit 5 = leftmost pixel);
 *                               rows 0-6 stand on the baseline, rows 7-9 hold descenders
 */
#ifndef PLM_FIGFONT_H
#define PLM_FIGFONT_H
#include <stdint.h>

#define PLM_FIGFONT_COLS     6
#define PLM_FIGFONT_ROWS     10
#define PLM_FIGFONT_ASCENT   7   /* rows above the baseline */

extern const uint8_t plm_figfont_Glyph[95][PLM_FIGFONT_ROWS];

#endif
