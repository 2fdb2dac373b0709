#!/usr/bin/env python3
"""from_python.py: the example pipeline driven from Python with the plmscope package.

    python3 examples/from_python.py MODEL.pt [FASTA]

Runs seqread and attn through plmscope.run, prints each protein's best long-range
contacts from a pandas table, and writes the records back as a stream any tool reads.
Install the package first (README, "From Python"); the tools must be on PATH or in
$PLMSCOPE_BIN (e.g. build/bin).
"""
import sys

import plmscope

model = sys.argv[1]
fasta = sys.argv[2] if len(sys.argv) > 2 else 'examples/proteins.fasta'

records = plmscope.run(['seqread', fasta])
records = plmscope.run(['attn', '-m', model, '--contacts', '--mean'], records)
for rec in records:
    print(rec.id, len(rec.seq), 'residues;', ', '.join('%s %s' % (k, list(v.shape)) for k, v in rec.tensors.items()))

table = plmscope.contacts_table(records)
print(table[table.range == 'long'].groupby('id').head(3).to_string(index=False))

n = plmscope.write('from_python.tsr', records)
print('wrote %d records to from_python.tsr (plmstream ls from_python.tsr lists them)' % n)
