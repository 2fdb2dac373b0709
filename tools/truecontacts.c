/* truecontacts: add each record's true contact map, from its structure.
 *
 * Reads a record stream, finds the record's structure (--pdb-dir by id, or
 * one --pdb file), aligns the sequence to the chain and adds tensor
 * contacts_true, u8 [L, L]: 1 contact, 0 none, 255 unknown (see
 * libcore/analysis/contactmap.h), with metadata structure_file, structure_chain and
 * structure_identity. man/man1/truecontacts.1 is the contract.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"
#include "contactmap.h"
#include "error.h"
#include "membudget.h"
#include "stream.h"

static const char *tool = "truecontacts";

static const char *usage =
  "Usage: truecontacts [OPTIONS] [STREAM]  (default: stdin)\n"
  "Add tensor contacts_true (u8 L x L: 1 contact, 0 none, 255 unknown) from each record's structure.\n"
  "  -d, --pdb-dir DIR   structures named by record id: ID.pdb[.gz], ID.cif[.gz], ID.ent[.gz]\n"
  "                      (any case); ids XXXX_C and XXXXC mean file XXXX, chain C\n"
  "      --pdb FILE      one structure for every record\n"
  "  -c, --chain ID      chain (default: from the id, else the first amino-acid chain)\n"
  "      --atom ATOM     cb (virtual Cb for glycine; default), vcb (virtual Cb for all), ca\n"
  "      --cutoff A      contact when the distance is below A angstrom (default 8)\n"
  "      --missing WHAT  record without structure: pass (default; counted), skip, error\n"
  "  -o, --output FILE   output stream (default: stdout)\n"
  "  -z, --compress N    zlib level of the output stream, 0 (default) to 9\n"
  "      --max-memory SIZE\n"
  "                      most memory to hold (K, M, G; default: what is free at the start)\n"
  "                      a record that would need more is refused, naming it\n"
  "  -h, --help          this text\n"
  "  -V, --version       version\n";

enum missing { MISSING_PASS, MISSING_SKIP, MISSING_ERROR };

typedef struct args {
  plm_contact_opts o;
  enum missing     missing;
  const char      *in, *out;
  int              zlevel;
  size_t           max_memory;   /* --max-memory, bytes (0: membudget.h's default) */
} args;

static void
parse_args(int argc, char **argv, args *a)
{
  static const struct option longopts[] = {
    {"pdb-dir", 1, 0, 'd'}, {"pdb", 1, 0, 'p'}, {"chain", 1, 0, 'c'}, {"atom", 1, 0, 'a'},
    {"cutoff", 1, 0, 't'}, {"missing", 1, 0, 'm'}, {"output", 1, 0, 'o'}, {"compress", 1, 0, 'z'},
    {"max-memory", 1, 0, PLM_OPT_MAX_MEMORY},
    {"help", 0, 0, 'h'}, {"version", 0, 0, 'V'}, {0, 0, 0, 0}
  };
  char *end;
  int   c;

  memset(a, 0, sizeof *a);
  a->o.cutoff = 8.0;
  a->out = "-";
  while ((c = getopt_long(argc, argv, "d:c:o:z:hV", longopts, NULL)) != -1)
    switch (c) {
    case 'd': a->o.pdb_dir = optarg; break;
    case 'p': a->o.pdb_file = optarg; break;
    case 'c': a->o.chain = optarg; break;
    case 'a': if (plm_contactmap_AtomFromName(optarg, &a->o.atom) != PLM_OK) plm_cli_Usage(tool, "--atom %s: expected cb, vcb or ca", optarg); break;
    case 't': a->o.cutoff = strtod(optarg, &end);
              if (*end || end == optarg || a->o.cutoff <= 0) plm_cli_Usage(tool, "--cutoff %s: expected a positive number", optarg);
              break;
    case 'm': if      (strcmp(optarg, "pass") == 0)  a->missing = MISSING_PASS;
              else if (strcmp(optarg, "skip") == 0)  a->missing = MISSING_SKIP;
              else if (strcmp(optarg, "error") == 0) a->missing = MISSING_ERROR;
              else plm_cli_Usage(tool, "--missing %s: expected pass, skip or error", optarg);
              break;
    case 'o': a->out = optarg; break;
    case 'z': a->zlevel = (int)strtol(optarg, &end, 10);
              if (*end || a->zlevel < 0 || a->zlevel > 9) plm_cli_Usage(tool, "--compress %s: expected 0-9", optarg);
              break;
    case PLM_OPT_MAX_MEMORY: a->max_memory = plm_cli_Size(tool, "--max-memory", optarg); break;
    case 'h': fputs(usage, stdout); exit(0);
    case 'V': plm_cli_Version(tool);
    default:  plm_cli_Usage(tool, "unknown option");
    }
  if (!a->o.pdb_dir == !a->o.pdb_file) plm_cli_Usage(tool, "give exactly one of --pdb-dir and --pdb");
  if (optind + 1 < argc) plm_cli_Usage(tool, "at most one input stream");
  a->in = optind < argc ? argv[optind] : "-";
}

/* add contacts_true and its metadata; PLM_ENOTFOUND when there is no structure */
static int
annotate(plm_record *rec, const plm_contact_opts *o, char *errbuf)
{
  plm_contact_info info;
  plm_tensor      *t = NULL;
  char             ident[32];
  int              status;

  PLM_XCHECK(plm_contactmap_ForRecord(rec->id, rec->seq, o, "contacts_true", &t, &info, errbuf));
  snprintf(ident, sizeof ident, "%.4f", info.naligned ? (double)info.nident / info.naligned : 0.0);
  PLM_XCHECK(plm_record_SetMeta(rec, "structure_file", info.path, errbuf));
  PLM_XCHECK(plm_record_SetMeta(rec, "structure_chain", info.chain, errbuf));
  PLM_XCHECK(plm_record_SetMeta(rec, "structure_identity", ident, errbuf));
  PLM_XCHECK(plm_record_AddTensor(rec, t, errbuf));
  return PLM_OK;
 ERROR:
  plm_tensor_Destroy(t);
  return status;
}

int
main(int argc, char **argv)
{
  char              eb[PLM_ERRBUFSIZE];
  args              a;
  plm_streamreader *r = NULL;
  plm_streamwriter *w = NULL;
  plm_record       *rec;
  long              nmissing = 0;
  int               status;

  plm_cli_Init();
  parse_args(argc, argv, &a);
  if (plm_stream_OpenRead(a.in, &r, eb) != PLM_OK) plm_cli_Die(tool, "%s", eb);
  plm_stream_SetMaxMemory(r, a.max_memory);
  if (plm_stream_OpenWrite(a.out, a.zlevel, &w, eb) != PLM_OK) plm_cli_Die(tool, "%s", eb);
  for (long long nrec = 1; (status = plm_stream_Read(r, &rec, eb)) == PLM_OK; nrec++) {
    /* contacts_true [L x L] and the residues' distances, refused before they are allocated */
    double L = (double)strlen(rec->seq);
    if (plm_mem_Check(plm_mem_Limit(a.max_memory), 2.0 * L * L * sizeof(float), eb) != PLM_OK)
      plm_cli_Die(tool, "%s: record %lld (\"%.60s\"): %s", plm_cli_InputName(a.in), nrec, rec->id, eb);
    /* --pdb names one file the user vouched for: one that holds no usable chain is an error,
     * not "a record without a structure" (only --pdb-dir may lack a protein's file) */
    if ((status = annotate(rec, &a.o, eb)) == PLM_ENOTFOUND && a.o.pdb_file) plm_cli_Die(tool, "record %s: %s", rec->id, eb);
    if (status == PLM_ENOTFOUND) {
      if (a.missing == MISSING_ERROR) plm_cli_Die(tool, "record %s: %s", rec->id, eb);
      nmissing++;
      if (a.missing == MISSING_SKIP) { plm_record_Destroy(rec); continue; }
    }
    else if (status != PLM_OK) plm_cli_Die(tool, "record %s: %s", rec->id, eb);
    if (plm_stream_Write(w, rec, eb) != PLM_OK) plm_cli_Die(tool, "%s", eb);
    plm_record_Destroy(rec);
  }
  if (status != PLM_EOF) plm_cli_Die(tool, "%s", eb);
  if (plm_stream_CloseWrite(w, eb) != PLM_OK) plm_cli_Die(tool, "%s", eb);
  plm_stream_CloseRead(r);
  if (nmissing) fprintf(stderr, "%s: %ld record(s) without a structure %s\n", tool, nmissing,
                        a.missing == MISSING_SKIP ? "skipped"
                        : "passed on without contacts_true (contacteval needs --missing skip)");
  return 0;
}
