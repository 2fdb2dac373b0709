/* structure.h: one protein chain's backbone (+ Cβ) read from PDB or PDBx/mmCIF.
 *
 * The reader keeps what contact maps need: per residue the one-letter code,
 * the author residue number and insertion code, and the coordinates of N, CA,
 * C and CB with presence flags. Rules, the same for both formats:
 *   - gzip is transparent (zlib), the format is sniffed from the content;
 *   - only the first model is read (PDB MODEL/ENDMDL, mmCIF pdbx_PDB_model_num);
 *   - chain: the one asked for (author chain id), else the first chain that
 *     has an amino-acid residue;
 *   - alternate locations: per atom the highest occupancy wins, ties go to the
 *     first one in the file; a residue's name is that of its first atom, so
 *     atoms of a point-mutation alternative (other residue name) are ignored;
 *   - amino acids are the 20 standard ones, UNK/ASX/GLX/SEC/PYL, and common
 *     modified residues read as their parent (MSE as M, SEP as S, ...), as
 *     ATOM or HETATM; any other residue that has N, CA and C is read as X;
 *   - missing atoms leave their presence flag 0; no atom is invented here.
 * Input is bounded: PLM_STRUCTURE_MAXBYTES of text, PLM_STRUCTURE_MAXRES residues.
 *
 *   plm_structure_Read()       a file (.gz or not), PDB or mmCIF
 *   plm_structure_ParsePDB()   PDB text in memory
 *   plm_structure_ParseMMCIF() mmCIF text in memory
 *   plm_structure_Destroy()
 *   plm_structure_Find()       the structure file and chain for a record id in a directory
 *   plm_structure_ParentAA()   residue name -> one-letter code, or 0
 *
 * For formats/pdb.c and formats/mmcif.c only: plm_atom, plm_atom_NumbersOK, plm_builder_*.
 */
#ifndef PLM_STRUCTURE_H
#define PLM_STRUCTURE_H
#include <stddef.h>
#include <stdint.h>

#define PLM_STRUCTURE_MAXBYTES ((size_t)1 << 30)  /* 1 GiB of (uncompressed) text */
#define PLM_STRUCTURE_MAXRES   1000000
#define PLM_CHAINLEN           8                  /* chain ids are at most 7 characters */

enum plm_bbatom { PLM_ATOM_N = 0, PLM_ATOM_CA, PLM_ATOM_C, PLM_ATOM_CB, PLM_NBBATOM };

typedef struct plm_residue {
  char    aa;                    /* one-letter code (X for unknown amino acids) */
  char    resname[4];
  int     resnum;                /* author residue number */
  char    icode;                 /* insertion code, ' ' when none */
  uint8_t has[PLM_NBBATOM];      /* 1 if the atom was read */
  float   xyz[PLM_NBBATOM][3];
  float   occ[PLM_NBBATOM];      /* occupancy of the kept alternative */
} plm_residue;

typedef struct plm_structure {
  char         chain[PLM_CHAINLEN];
  int          n;
  plm_residue *res;
  char        *seq;              /* n one-letter codes, NUL-terminated */
} plm_structure;

int   plm_structure_Read(const char *path, const char *chain, plm_structure **ret_s, char *errbuf);
int   plm_structure_ParsePDB(const char *text, size_t n, const char *name, const char *chain,
                             plm_structure **ret_s, char *errbuf);
int   plm_structure_ParseMMCIF(const char *text, size_t n, const char *name, const char *chain,
                               plm_structure **ret_s, char *errbuf);
void  plm_structure_Destroy(plm_structure *s);
int   plm_structure_Find(const char *dir, const char *id, char **ret_path, char *ret_chain, char *errbuf);
char  plm_structure_ParentAA(const char *resname);

/* one atom as a format parser hands it over; strings NUL-terminated */
typedef struct plm_atom {
  char   chain[PLM_CHAINLEN];
  char   resname[4];
  int    resnum;
  char   icode;
  char   name[5];
  float  occ;
  float  xyz[3];
} plm_atom;

/* are these numbers a sane atom (integral residue number, finite bounded coordinates)? */
int   plm_atom_NumbersOK(double resnum, double x, double y, double z, double occ);

typedef struct plm_builder plm_builder;
int   plm_builder_Create(const char *chain, plm_builder **ret_b, char *errbuf);
int   plm_builder_Add(plm_builder *b, const plm_atom *a, char *errbuf);
int   plm_builder_Finish(plm_builder *b, const char *name, plm_structure **ret_s, char *errbuf);
void  plm_builder_Destroy(plm_builder *b);

#endif
