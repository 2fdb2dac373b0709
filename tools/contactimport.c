/* contactimport.c: another predictor's contact scores as a one-record stream.
 *
 *   contactimport --rr T0866.ccmpred.rr | truecontacts --pdb T0866-D1.pdb | contacteval
 *   contactimport --mat 1atzA.apc.mat --pdb 1atzA.pdb | truecontacts --pdb 1atzA.pdb | contacteval
 *
 * So that contacteval (and every other tool) scores any predictor the way it
 * scores ours: the scores become tensor 'contacts' f32 [L, L] of a record.
 * The sequence comes from the RR file's sequence lines, --seq, or the chain
 * of a structure (--pdb). man/man1/contactimport.1 is the contract.
 *
 *   pick_sequence()  RR sequence, --seq or --pdb, checked against each other
 *   build_record(), parse_args(), main()
 */
#include <getopt.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "alphabet.h"
#include "cli.h"
#include "error.h"
#include "record.h"
#include "rr.h"
#include "scoremat.h"
#include "stream.h"
#include "structure.h"

#define TOOL "contactimport"

typedef struct opts {
  const char *rr, *mat, *seq, *pdb, *chain, *id, *name;
  int         zlevel;
  const char *output;        /* -o FILE; NULL: stdout */
} opts;

static const char usage[] =
  "Usage: contactimport (--rr FILE | --mat FILE) [options] > out.tsr\n"
  "Make a one-record stream holding another predictor's contact scores (see contactimport(1)).\n"
  "      --rr FILE      CASP RR, or the bare \"i j [dmin dmax] p\" lines of PSICOV/CCMpred/FreeContact\n"
  "      --mat FILE     an L x L text matrix (CCMpred .mat, GREMLIN)\n"
  "      --seq SEQ      the sequence (default: the RR file's sequence lines)\n"
  "      --pdb FILE     or the sequence of this structure's chain\n"
  "      --chain ID     with --pdb: the chain (default the first amino-acid chain)\n"
  "      --id ID        record id (default: the RR TARGET, else the file name stem)\n"
  "      --name NAME    the scores tensor (default contacts)\n"
  "  -o, --output FILE    write the stream to FILE (default: stdout, never a terminal)\n"
  "  -z, --compress N     zlib level of the output, 0 (default) to 9\n"
  "  -h, --help / -V, --version\n";

/* the one sequence the options and the file agree on; *ret_seq is the caller's to free */
static int
pick_sequence(const opts *o, const char *rrseq, char **ret_seq, char *errbuf)
{
  plm_structure *s = NULL;
  const char    *seq = o->seq;
  int            status;

  *ret_seq = NULL;
  if (o->pdb) {
    PLM_XCHECK(plm_structure_Read(o->pdb, o->chain, &s, errbuf));
    seq = s->seq;
  }
  if (!seq && rrseq && *rrseq) seq = rrseq;
  if (!seq) PLM_XFAIL(PLM_EINVAL, errbuf, "no sequence: the file has none; give --seq or --pdb");
  if (plm_esm_ResidueCount(seq) < 0) PLM_XFAIL(PLM_EFORMAT, errbuf, "the sequence has characters outside the ESM alphabet");
  if (rrseq && *rrseq && strcmp(rrseq, seq) != 0)
    PLM_XFAIL(PLM_EINVAL, errbuf, "the RR file's sequence (%zu residues) differs from the one given", strlen(rrseq));
  if (!(*ret_seq = strdup(seq))) PLM_XFAIL(PLM_EMEM, errbuf, "out of memory");
  status = PLM_OK;

ERROR:
  plm_structure_Destroy(s);
  return status;
}

/* the file's stem: "T0866.ccmpred.rr" -> "T0866" */
static void
file_stem(const char *path, char *buf, size_t n)
{
  char *copy = strdup(path);
  snprintf(buf, n, "%s", copy ? basename(copy) : path);
  buf[strcspn(buf, ".")] = '\0';
  free(copy);
}

static int
build_record(const opts *o, plm_record **ret_rec, char *errbuf)
{
  plm_rr_contact *c = NULL;
  plm_record     *rec = NULL;
  plm_tensor     *t = NULL;
  float          *m = NULL;
  char           *rrseq = NULL, *target = NULL, *seq = NULL, stem[256];
  int64_t         n = 0, L, Lm = 0;
  int             status;

  if (o->rr) PLM_XCHECK(plm_rr_Read(o->rr, &rrseq, &target, &c, &n, errbuf));
  else       PLM_XCHECK(plm_scoremat_Read(o->mat, &m, &Lm, errbuf));
  PLM_XCHECK(pick_sequence(o, rrseq, &seq, errbuf));
  L = plm_esm_ResidueCount(seq);
  if (m && Lm != L) PLM_XFAIL(PLM_EFORMAT, errbuf, "%s: %lld x %lld matrix for %lld residues", o->mat, (long long)Lm, (long long)Lm, (long long)L);
  file_stem(o->rr ? o->rr : o->mat, stem, sizeof stem);
  PLM_XCHECK(plm_record_Create(o->id ? o->id : target && *target ? target : stem, seq, &rec, errbuf));
  PLM_XCHECK(plm_tensor_Create(o->name, PLM_F32, 2, (int64_t[]){ L, L }, &t, errbuf));
  if (m) memcpy(t->data, m, sizeof(float) * (size_t)(L * L));
  else if ((status = plm_rr_ToMatrix(c, n, L, t->data, errbuf)) != PLM_OK) {
    char cause[PLM_ERRBUFSIZE];
    snprintf(cause, sizeof cause, "%s", errbuf);
    PLM_XFAIL(status, errbuf, "%s: %.400s", o->rr, cause);
  }
  PLM_XCHECK(plm_record_AddTensor(rec, t, errbuf));
  t = NULL;
  PLM_XCHECK(plm_record_SetMeta(rec, "contacts_source", o->rr ? o->rr : o->mat, errbuf));
  *ret_rec = rec;
  rec = NULL;
  status = PLM_OK;

ERROR:
  plm_record_Destroy(rec);
  plm_tensor_Destroy(t);
  free(c); free(m); free(rrseq); free(target); free(seq);
  return status;
}

static int
parse_args(int argc, char **argv, opts *o, char *errbuf)
{
  static const struct option lo[] = {
    { "rr", 1, 0, 'r' }, { "mat", 1, 0, 'm' }, { "seq", 1, 0, 's' }, { "pdb", 1, 0, 'p' }, { "chain", 1, 0, 'c' },
    { "id", 1, 0, 'i' }, { "name", 1, 0, 'n' }, { "compress", 1, 0, 'z' }, { "help", 0, 0, 'h' }, { "version", 0, 0, 'V' },
    { "output", 1, 0, 'o' },
    { 0, 0, 0, 0 }
  };
  char *end;
  int   c;

  memset(o, 0, sizeof *o);
  o->name = "contacts";
  while ((c = getopt_long(argc, argv, "o:z:hV", lo, NULL)) != -1)
    switch (c) {
    case 'r': o->rr = optarg; break;
    case 'm': o->mat = optarg; break;
    case 's': o->seq = optarg; break;
    case 'p': o->pdb = optarg; break;
    case 'c': o->chain = optarg; break;
    case 'i': o->id = optarg; break;
    case 'n': o->name = optarg; break;
    case 'o': o->output = optarg; break;
    case 'z':
      o->zlevel = (int)strtol(optarg, &end, 10);
      if (end == optarg || *end || o->zlevel < 0 || o->zlevel > 9) return plm_Fail(errbuf, PLM_EINVAL, "--compress: '%s' is not 0-9", optarg);
      break;
    case 'h': fputs(usage, stdout); exit(0);
    case 'V': plm_cli_Version(TOOL);
    default:  return plm_Fail(errbuf, PLM_EINVAL, "unknown option");
    }
  if (!o->rr == !o->mat) return plm_Fail(errbuf, PLM_EINVAL, "give exactly one of --rr and --mat");
  if (o->seq && o->pdb)  return plm_Fail(errbuf, PLM_EINVAL, "give --seq or --pdb, not both");
  if (optind < argc)     return plm_Fail(errbuf, PLM_EINVAL, "unexpected argument '%s'", argv[optind]);
  return PLM_OK;
}

int
main(int argc, char **argv)
{
  char              errbuf[PLM_ERRBUFSIZE];
  opts              o;
  plm_record       *rec = NULL;
  plm_streamwriter *w = NULL;

  plm_cli_Init();
  if (parse_args(argc, argv, &o, errbuf) != PLM_OK) plm_cli_Usage(TOOL, "%s", errbuf);
  if (build_record(&o, &rec, errbuf) != PLM_OK) plm_cli_Die(TOOL, "%s", errbuf);
  if (plm_stream_OpenWrite(o.output ? o.output : "-", o.zlevel, &w, errbuf) != PLM_OK || plm_stream_Write(w, rec, errbuf) != PLM_OK ||
      plm_stream_CloseWrite(w, errbuf) != PLM_OK)
    plm_cli_Die(TOOL, "%s", errbuf);
  plm_record_Destroy(rec);
  return 0;
}
