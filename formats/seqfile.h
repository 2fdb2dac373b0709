/* seqfile.h: protein sequences and alignments in, one record at a time.
 *
 * Formats: FASTA; the FASTA-like alignments A2M, A3M and aligned FASTA (AFA);
 * PSICOV/CCMpred .aln (one aligned row per line, optionally "name row" as
 * GREMLIN writes it); Stockholm (interleaved blocks, several alignments per
 * file). Plain or gzipped: zlib reads both.
 *
 * Sniffing (PLM_SEQFMT_AUTO) looks at the first PLM_SEQFILE_SNIFF bytes:
 *   "# STOCKHOLM"                       Stockholm
 *   '>' and lowercase letters           A3M, or A2M if '.' also appears
 *   '>' and '-' or '.' but no lowercase aligned FASTA
 *   '>' otherwise                       FASTA
 *   a line of residues and gaps, or a name and such a row: .aln
 *   '{'                                 JSONL annotations (provis: one object a line
 *                                       with "id" and "primary"), read as FASTA would be
 *   the plmscope stream magic           an error that says so
 * A file whose first window says too little (an A3M with no insertion there,
 * an alignment without gaps) is read as the simpler format; name the format.
 *
 * Columns. In A2M and A3M, and in a Stockholm alignment holding any lowercase
 * letter, uppercase letters and '-' are alignment columns, lowercase letters
 * are inserted residues and '.' is a gap in an insert column. In aligned FASTA
 * and .aln every character is a column and '-' and '.' are both gaps. Every
 * row of one alignment must have the same number of columns. The inline token
 * "<mask>" counts as one residue.
 *
 * Limits: a line, or the text of one record, longer than PLM_SEQFILE_MAXLEN
 * bytes is an error; a Stockholm alignment is held whole, up to
 * PLM_SEQFILE_MAXALN bytes.
 *
 *   plm_seqfile_Open()      path ("-" = stdin) and format (PLM_SEQFMT_AUTO sniffs)
 *   plm_seqfile_SetLimits() lower the size limits
 *   plm_seqfile_Read()      next record, valid until the next Read: PLM_OK,
 *                           PLM_EOF, or an error naming file, record and line
 *   plm_seqfile_Close()
 *   plm_seq_ToRecord()      a stream record: residues checked against the ESM
 *                           alphabet, aligned row and column map for alignments
 *   plm_seq_Fail()          an error "FILE: record N ("ID"): ..."
 *   plm_seqfmt_Name() / plm_seqfmt_FromName()
 */
#ifndef PLM_SEQFILE_H
#define PLM_SEQFILE_H
#include <stdint.h>
#include "record.h"

#define PLM_SEQFILE_MAXLEN  (INT64_C(100) << 20)   /* 100 MiB */
#define PLM_SEQFILE_MAXALN  (INT64_C(1) << 30)     /* 1 GiB */
#define PLM_SEQFILE_SNIFF   (1 << 20)

typedef enum plm_seqfmt {
  PLM_SEQFMT_AUTO = 0, PLM_SEQFMT_FASTA, PLM_SEQFMT_A2M, PLM_SEQFMT_A3M,
  PLM_SEQFMT_AFA, PLM_SEQFMT_ALN, PLM_SEQFMT_STOCKHOLM, PLM_SEQFMT_JSONL
} plm_seqfmt;

/* one record as read; every pointer belongs to the reader */
typedef struct plm_seq {
  const char *source;   /* the file as named, "stdin" for "-" */
  const char *id;       /* first word of the header; "<file stem>_<index>" if there is none */
  const char *desc;     /* rest of the header, "" if none */
  const char *text;     /* the sequence or aligned row, whitespace removed */
  int64_t     len;      /* bytes in text */
  int64_t     index;    /* 1-based record number in the file */
  int64_t     line;     /* line the record starts on */
  plm_seqfmt  fmt;      /* never AUTO */
  int         inserts;  /* lowercase letters and '.' are insertions, not columns */
} plm_seq;

typedef struct plm_seqfile plm_seqfile;

/* plm_seq_ToRecord() flags */
#define PLM_SEQ_UPPERCASE     (1 << 0)   /* FASTA: accept lowercase residues, uppercased */
#define PLM_SEQ_UNKNOWN_TO_X  (1 << 1)   /* letters outside the ESM alphabet become X */
#define PLM_SEQ_KEEP_GAPS     (1 << 2)   /* gaps stay in the sequence (alignments: seq = aligned row) */
#define PLM_SEQ_CHAIN_BREAKS  (1 << 3)   /* FASTA: '|' stays in the sequence, ESM C's chain-break token */

int         plm_seqfile_Open(const char *path, plm_seqfmt fmt, plm_seqfile **ret_sf, char *errbuf);
void        plm_seqfile_SetLimits(plm_seqfile *sf, int64_t maxlen, int64_t maxaln);
int         plm_seqfile_Read(plm_seqfile *sf, const plm_seq **ret_sq, char *errbuf);
void        plm_seqfile_Close(plm_seqfile *sf);

/* The record: id; seq = the residues (gaps dropped unless PLM_SEQ_KEEP_GAPS,
 * inserted residues kept, uppercased); metadata description (when the header
 * has one), source, index, format. From an alignment also rec->aligned, one
 * token per column (uppercase residue, "<mask>" or '-'), and the i32 tensor
 * "colmap" [L]: the 0-based column of each token of seq, -1 for an inserted
 * residue. max_len > 0 keeps the first max_len tokens of seq (cut residues
 * become '-' in the aligned row); *ret_len is the length before the cut. */
int         plm_seq_ToRecord(const plm_seq *sq, int flags, int64_t max_len,
                             plm_record **ret_rec, int64_t *ret_len, char *errbuf);
int         plm_seq_Fail(const plm_seq *sq, char *errbuf, int status, const char *fmt, ...)
            __attribute__((format(printf, 4, 5)));

const char *plm_seqfmt_Name(plm_seqfmt fmt);
int         plm_seqfmt_FromName(const char *name, plm_seqfmt *ret_fmt);

#endif
