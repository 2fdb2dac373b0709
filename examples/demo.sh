#!/bin/sh
# demo.sh: the README's example pipeline on examples/proteins.fasta (run by `make demo`).
# Uses the fixture checkpoint in ../shared when present (a random-weight model in the
# exact published fair-esm layout, with the real published 8M contact head); otherwise
# writes a random ESM-2 8M-shaped model itself. Outputs go to $BUILD/demo.
set -eu
BUILD=${BUILD:-build}; SHARED=${SHARED:-../shared}
BIN=$BUILD/bin; OUT=$BUILD/demo
rm -rf "$OUT"; mkdir -p "$OUT"

model=$SHARED/fixtures/models/esm2_t6_8M_shape_random.pt
if [ ! -f "$model" ]; then
  echo "demo: $SHARED not found: writing a random ESM-2 8M-shaped model (no contact head)"
  model=$OUT/esm2_t6_8M_random
  "$BIN/mkmodel" --shape esm2_t6_8M --seed 1 -o "$model"
  want=--logits
else
  want="--logits --contacts"
fi

echo "== seqread examples/proteins.fasta | attn -m $(basename "$model") $want --repr 6 --mean"
"$BIN/seqread" examples/proteins.fasta \
  | "$BIN/attn" -m "$model" $want --repr 6 --mean > "$OUT/proteins.tsr"
"$BIN/plmstream" ls "$OUT/proteins.tsr"

echo "== plmstream npy -o $OUT/npy   (every tensor as <id>.<tensor>.npy)"
"$BIN/plmstream" npy -o "$OUT/npy" "$OUT/proteins.tsr"
ls "$OUT/npy"

if [ -f "$SHARED/data/structures/paper_entries/7hvp.pdb" ]; then
  echo "== contacts of HIV-1 protease vs its crystal structure 7HVP (random weights: precision is chance level)"
  "$BIN/plmstream" select --id hiv1_protease "$OUT/proteins.tsr" \
    | "$BIN/truecontacts" --pdb "$SHARED/data/structures/paper_entries/7hvp.pdb" --chain A \
    | "$BIN/contacteval"
  echo "== top-L/5 predicted contacts as CASP RR"
  "$BIN/plmstream" select --id hiv1_protease "$OUT/proteins.tsr" | "$BIN/plmstream" rr --top-l 0.2 | head -n 12
fi
echo "demo: done; outputs in $OUT"
