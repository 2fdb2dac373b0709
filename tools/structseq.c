/* structseq.c: the sequences of protein structures, as FASTA.
 *
 *   structseq pdb/1a3a.pdb.gz pdb/1bgf.pdb.gz > prots.fasta
 *   structseq --index pdb70_subset500/INDEX.tsv --first 20 > train.fasta
 *
 * Structures without SEQRES (the shared PDB subset) carry their sequence
 * only in their coordinates: this writes the residues the reader keeps
 * (structure.h: first model, modified residues as their parent, others X)
 * under the id STEM_CHAIN, which truecontacts --pdb-dir maps back to the
 * file and chain. man/man1/structseq.1 is the contract.
 *
 *   write_one()    one structure's FASTA record
 *   run_index()    the files an INDEX.tsv (file, chain, ...) lists
 *   main()
 */
#include <getopt.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"
#include "error.h"
#include "structure.h"

#define TOOL "structseq"

typedef struct opts { const char *chain, *index; long first, skip; } opts;

static const char usage[] =
  "Usage: structseq [options] STRUCTURE... > out.fasta\n"
  "       structseq --index INDEX.tsv [--skip N] [--first N] > out.fasta\n"
  "Write the sequence of each structure's chain as FASTA, id STEM_CHAIN (see structseq(1)).\n"
  "  -c, --chain ID     chain (default: the first amino-acid chain)\n"
  "      --index FILE   structures listed as 'file<TAB>chain' lines, paths relative to FILE's folder\n"
  "      --skip N       with --index: skip the first N entries\n"
  "      --first N      with --index: at most N entries\n"
  "  -h, --help / -V, --version\n";

static int
write_one(const char *path, const char *chain, char *errbuf)
{
  plm_structure *s = NULL;
  char          *copy = strdup(path), *stem;
  int            status;

  if (!copy) PLM_XFAIL(PLM_EMEM, errbuf, "out of memory");
  PLM_XCHECK(plm_structure_Read(path, chain, &s, errbuf));
  if (s->n == 0) PLM_XFAIL(PLM_EFORMAT, errbuf, "%s: no amino-acid residues", path);
  stem = basename(copy);
  stem[strcspn(stem, ".")] = '\0';
  printf(">%s_%s\n", stem, s->chain);
  for (int k = 0; k < s->n; k += 60) printf("%.60s\n", s->seq + k);
  status = PLM_OK;

ERROR:
  plm_structure_Destroy(s);
  free(copy);
  return status;
}

static int
run_index(const opts *o, char *errbuf)
{
  FILE  *fp = fopen(o->index, "r");
  char  *dircopy = strdup(o->index), *dir, line[4096], path[8192];
  long   n = 0, done = 0;
  int    status = PLM_OK;

  if (!fp || !dircopy) PLM_XFAIL(PLM_EIO, errbuf, "%s: cannot open", o->index);
  dir = dirname(dircopy);
  while (status == PLM_OK && (o->first < 0 || done < o->first) && fgets(line, sizeof line, fp)) {
    char *file = strtok(line, "\t\r\n"), *chain = strtok(NULL, "\t\r\n");
    if (!file || file[0] == '#') continue;
    if (n++ < o->skip) continue;
    snprintf(path, sizeof path, "%s/%s", dir, file);
    status = write_one(path, chain, errbuf);
    done++;
  }

ERROR:
  if (fp) fclose(fp);
  free(dircopy);
  return status;
}

int
main(int argc, char **argv)
{
  static const struct option lo[] = {
    { "chain", 1, 0, 'c' }, { "index", 1, 0, 'i' }, { "first", 1, 0, 'f' }, { "skip", 1, 0, 's' },
    { "help", 0, 0, 'h' }, { "version", 0, 0, 'V' }, { 0, 0, 0, 0 }
  };
  opts  o = { NULL, NULL, -1, 0 };
  char  errbuf[PLM_ERRBUFSIZE], *end;
  int   c;

  plm_cli_Init();
  while ((c = getopt_long(argc, argv, "c:hV", lo, NULL)) != -1)
    switch (c) {
    case 'c': o.chain = optarg; break;
    case 'i': o.index = optarg; break;
    case 'f': o.first = strtol(optarg, &end, 10); if (end == optarg || *end || o.first < 0) plm_cli_Usage(TOOL, "--first: '%s' is not a count", optarg); break;
    case 's': o.skip = strtol(optarg, &end, 10);  if (end == optarg || *end || o.skip < 0)  plm_cli_Usage(TOOL, "--skip: '%s' is not a count", optarg); break;
    case 'h': fputs(usage, stdout); return 0;
    case 'V': plm_cli_Version(TOOL);
    default:  plm_cli_Usage(TOOL, "unknown option");
    }
  if (!o.index == (optind == argc)) plm_cli_Usage(TOOL, "give structure files or --index, not both or neither");
  if (o.index && run_index(&o, errbuf) != PLM_OK) plm_cli_Die(TOOL, "%s", errbuf);
  for (int k = optind; k < argc; k++)
    if (write_one(argv[k], o.chain, errbuf) != PLM_OK) plm_cli_Die(TOOL, "%s", errbuf);
  if (fflush(stdout) != 0) plm_cli_Die(TOOL, "writing failed");
  return 0;
}
