/* variant.h: substitution variants of a protein, as deep-mutational-scan tables write them.
 *
 * A variant is written "A25G" (wild-type letter, residue number, mutant letter) or several
 * joined by ':' ("A25G:K30R", ProteinGym's convention); "_wt", "WT" or an empty field is the
 * wild type itself (no substitution). Residue numbers count from an offset: the number of the
 * sequence's first residue (1 for 1-based numbering; fair-esm predict.py's --offset-idx is the
 * same number). Every substitution is checked against the sequence: the wild-type letter must
 * be the residue there, the mutant one of the 20 standard amino acids, a position at most once.
 *
 * A table is a CSV or TSV file with a header line (tab-separated when the header holds a tab);
 * CSV fields may be double-quoted ("" for a quote). Lines are kept as read, for writing back.
 *
 *   plm_variant_Parse()    "A25G:K30R" -> substitutions, checked against the sequence
 *   plm_variant_Apply()    the sequence with the substitutions made
 *   plm_vtable_Read() / plm_vtable_Destroy()   a table and one named column of it
 */
#ifndef PLM_VARIANT_H
#define PLM_VARIANT_H

typedef struct plm_subst { int pos; char wt, mt; } plm_subst;   /* pos 0-based */

typedef struct plm_vtable {
  char   sep;          /* ',' or '\t' */
  char  *header;       /* the header line, without its newline */
  char **line;         /* n data lines, without newlines */
  char **field;        /* n values of the chosen column, unquoted */
  int    n;
} plm_vtable;

int   plm_variant_Parse(const char *s, const char *seq, int offset, plm_subst **ret_sub, int *ret_n, char *errbuf);
char *plm_variant_Apply(const char *seq, const plm_subst *sub, int n);
int   plm_vtable_Read(const char *path, const char *column, plm_vtable **ret_t, char *errbuf);
void  plm_vtable_Destroy(plm_vtable *t);

#endif
