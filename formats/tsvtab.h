/* tsvtab.h: a small TSV table read whole, columns looked up by header name.
 *
 * The first non-comment line is the header; lines starting with '#' (the
 * tools' summary lines) and empty lines are skipped. Every row must have the
 * header's number of fields. Cells are kept as strings; numbers are parsed on
 * request, NA / nan / empty as NaN, anything else not a number an error that
 * names the file, line and column.
 *
 *   plm_tsv_Read()     a file ("-" for stdin) into a table
 *   plm_tsv_Destroy()
 *   plm_tsv_Column()   a column's index by header name, or an error naming column and file
 *   plm_tsv_Numbers()  a column's cells as doubles
 */
#ifndef PLM_TSVTAB_H
#define PLM_TSVTAB_H
#include <stddef.h>

typedef struct plm_tsv {
  char   *path;       /* as given, for messages */
  int     ncol;
  char  **head;       /* ncol names */
  size_t  nrow;
  char  **cell;       /* nrow x ncol, row-major; pointers into buf */
  long   *line;       /* nrow: the file line of each row, for messages */
  char   *buf;        /* the file's text, fields cut in place */
} plm_tsv;

int  plm_tsv_Read(const char *path, plm_tsv **ret_tab, char *errbuf);
void plm_tsv_Destroy(plm_tsv *tab);
int  plm_tsv_Column(const plm_tsv *tab, const char *name, int *ret_col, char *errbuf);
int  plm_tsv_Numbers(const plm_tsv *tab, int col, double *out, char *errbuf);

#endif
