# lmscore.sh: lmscore on the tiny fixtures of every architecture with an LM head, checked against
# numpy from the same model's logits (attn --logits on masked copies, tests/pipeline/lmscore_oracle.py):
# PLL, pseudo-perplexity, entropy, L x 20 log-probabilities, the landscape, the three --dms strategies
# and esm-variants' blended windows; batched = one pass at a time; averaging models; bad variants.
. tests/lib.sh
F=$SHARED/fixtures/models

for t in lmscore seqread attn plmstream; do
  [ -x "$BIN/$t" ] || { fail "lmscore: $BIN/$t not built"; exit 0; }
done
check "lmscore --help" "$BIN/lmscore" --help
check "lmscore --version" "$BIN/lmscore" --version
check_fails "lmscore: no model is a usage error" "no model" "$BIN/lmscore"
check_fails "lmscore: pseudo-ppl needs --dms" "pseudo-ppl" "$BIN/lmscore" -m x --strategy pseudo-ppl
check_fails "lmscore: --overlap >= --window" "overlap" "$BIN/lmscore" -m x --window 10 --overlap 10
need_shared fixtures/models "lmscore" || exit 0

# all 20 amino acids (the oracle reads their token ids off the wild type), 27 residues
Q=MKTAYIACDEFGHLNPQRSVWKLVGTE
printf '>q\n%s\n' "$Q" > "$T/q.fa"
"$BIN/seqread" "$T/q.fa" > "$T/q.tsr" || { fail "lmscore: seqread failed"; exit 0; }
printf 'mutant,DMS_score\nM1A,0.5\nK2R,-1\n"T3W",2\nA4G:C8Y,0.1\n_wt,0\n' > "$T/dms.csv"
W=12 O=6 S=4        # windows small enough that 27 residues need four of them

score_model() {      # TAG MODEL LEAD: everything lmscore writes for one model, and the oracle's check
  tag=$1 M=$2 lead=$3 D=$T/$1
  mkdir -p "$D" && cp "$T/dms.csv" "$D/"
  "$BIN/lmscore" -m "$M" --landscape --tsv "$D/score.tsv" "$T/q.tsr" 2>"$D/err" | "$BIN/plmstream" npy -o "$D/score" 2>>"$D/err" &&
  "$BIN/lmscore" -m "$M" --window $W --overlap $O --sigmoid $S --tsv "$D/window.tsv" "$T/q.tsr" 2>>"$D/err" |
    "$BIN/plmstream" npy -o "$D/window" 2>>"$D/err" || { fail "lmscore $tag: $(head -c 300 "$D/err")"; return; }
  for s in wt-marginals masked-marginals pseudo-ppl; do
    "$BIN/lmscore" -m "$M" --dms "$D/dms.csv" --strategy $s "$T/q.tsr" > "$D/dms.$s.csv" 2>>"$D/err" ||
      { fail "lmscore $tag --dms --strategy $s: $(head -c 300 "$D/err")"; return; }
  done
  "$PYTHON" tests/pipeline/lmscore_oracle.py prepare "$D" "$Q" $W $O $S &&
    "$BIN/seqread" "$D/masked.fa" 2>>"$D/err" | "$BIN/attn" -m "$M" --logits 2>>"$D/err" | "$BIN/plmstream" npy -o "$D/attn" 2>>"$D/err" ||
    { fail "lmscore $tag: attn --logits on the masked copies: $(head -c 300 "$D/err")"; return; }
  "$PYTHON" tests/pipeline/lmscore_oracle.py check "$D" "$Q" "$lead" $W $O $S "lmscore $tag"
}

if need_python "lmscore vs numpy"; then
  score_model esm2 "$F/esm2_t3_tiny_random.pt" 1
  score_model esm1b "$F/esm1b_t2_tiny_random.pt" 1
  score_model tape_bert "$F/tape_bert_t3_tiny_random" 1
  score_model protbert "$F/protbert_t3_tiny_random.hf" 1
  score_model protalbert "$F/protalbert_t3_tiny_random" 1
  score_model protxlnet "$F/protxlnet_t3_tiny_random" 0
fi

M=$F/esm2_t3_tiny_random.pt
# the masked copies batched give one pass at a time's numbers (to float32 rounding)
"$BIN/lmscore" -m "$M" --tsv "$T/b1.tsv" --batch-tokens 1 "$T/q.tsr" > /dev/null 2>"$T/err"
"$BIN/lmscore" -m "$M" --tsv "$T/b2.tsv" --batch-tokens 100000 "$T/q.tsr" > /dev/null 2>>"$T/err"
if [ -s "$T/b1.tsv" ] && awk -F'\t' 'NR == FNR && FNR > 1 { a = $4 } NR > FNR && FNR > 1 { d = a - $4; exit !(d < 1e-3 && d > -1e-3) }' "$T/b1.tsv" "$T/b2.tsv"; then
  pass "lmscore: one batch of all masked copies = one copy at a time ($(tail -n 1 "$T/b1.tsv" | cut -f4) vs $(tail -n 1 "$T/b2.tsv" | cut -f4))"
else fail "lmscore: batched PLL differs: $(cat "$T/b1.tsv" "$T/b2.tsv" | tr '\n' ' ') $(head -c 200 "$T/err")"; fi

# several models: a column each and their mean; the same model twice averages to itself
"$BIN/lmscore" -m "$M" -m "$F/esm1b_t2_tiny_random.pt" --dms "$T/dms.csv" "$T/q.tsr" > "$T/two.csv" 2>"$T/err"
if [ -s "$T/two.csv" ] && head -n 1 "$T/two.csv" | grep -q ',esm2_t3_tiny_random,esm1b_t2_tiny_random,lmscore$' &&
   awk -F, 'NR > 1 { d = ($3 + $4) / 2 - $5; if (d > 1e-4 || d < -1e-4) bad++ } END { exit bad > 0 }' "$T/two.csv"; then
  pass "lmscore --dms with two models: a column each, lmscore their mean"
else fail "lmscore --dms two models: $(head -c 300 "$T/two.csv") $(head -c 200 "$T/err")"; fi
if [ -f "$T/esm2/dms.masked-marginals.csv" ] &&
   [ "$(cut -d, -f3 "$T/two.csv" | tail -n +2)" = "$(cut -d, -f3 "$T/esm2/dms.masked-marginals.csv" | tail -n +2)" ]; then
  pass "lmscore --dms: a model's column is its single-model score"
else fail "lmscore --dms: the esm2 column differs from esm2 alone"; fi
wtrow=$(grep '^_wt,' "$T/two.csv" | cut -d, -f5)
[ "$wtrow" = "0" ] && pass "lmscore --dms: the _wt row scores 0" || fail "lmscore --dms: _wt row scores '$wtrow'"

# variants checked against the sequence: one line naming the row
printf 'mutant\nM1A\nK2R\nQ3W\n' > "$T/bad.csv"
check_fails "lmscore --dms: a wrong wild-type letter names its row" 'bad.csv: row 3: variant .Q3W.: wild type Q3 does not match the sequence, which has T there' \
  "$BIN/lmscore" -m "$M" --dms "$T/bad.csv" "$T/q.tsr"
[ "$(wc -l < "$T/err")" -eq 1 ] && pass "lmscore --dms: the error is one line" || fail "lmscore --dms: $(wc -l < "$T/err") error lines"
printf 'mutant\nM1A\nK99R\n' > "$T/bad.csv"
check_fails "lmscore --dms: a residue past the end" 'bad.csv: row 2: variant .K99R.: residue 99 is outside the sequence' "$BIN/lmscore" -m "$M" --dms "$T/bad.csv" "$T/q.tsr"
printf 'variant\tscore\nK1R\t1\n' > "$T/off.tsv"
"$BIN/lmscore" -m "$M" --dms "$T/off.tsv" --mutant-col variant --offset 0 "$T/q.tsr" > "$T/off.out" 2>"$T/err"
if head -n 1 "$T/off.out" | grep -q "$(printf 'variant\tscore\tesm2_t3_tiny_random\tlmscore')" && [ "$(wc -l < "$T/off.out")" -eq 2 ]; then
  pass "lmscore --dms: a TSV, --mutant-col and --offset 0 (K1R: the second residue)"
else fail "lmscore --dms TSV: $(head -c 300 "$T/off.out") $(head -c 200 "$T/err")"; fi
check_fails "lmscore --dms: two input records are refused" "more than one record" \
  sh -c "printf '>a\nMK\n>b\nMK\n' | '$BIN/seqread' | '$BIN/lmscore' -m '$M' --dms '$T/dms.csv'"

# the landscape figure: SVG and PNG
"$BIN/lmscore" -m "$M" --figures "$T/figs" --strategy wt-marginals "$T/q.tsr" > "$T/f.tsr" 2>"$T/err"
if [ -s "$T/figs/q.landscape.svg" ] && head -c 8 "$T/figs/q.landscape.png" | od -c | grep -q 'P   N   G' &&
   "$BIN/plmstream" ls -l "$T/f.tsr" | grep -q 'lm_landscape:f32\[27,20\].*lm_strategy=wt-marginals'; then
  pass "lmscore --figures: landscape SVG and PNG, lm_landscape [27,20] (wt-marginals)"
else fail "lmscore --figures: $(ls "$T/figs" 2>&1) $(head -c 200 "$T/err")"; fi

# experiments/perplexity.mk end to end on two tiny models and 3 held-out chains (numbers meaningless):
# one row per model, and plmplot called with the agreed interface (a stub here, which records its
# arguments; without plmplot the target says so and still writes the table)
if need_shared data/structures/pdb70_subset500 "perplexity experiment" && command -v make >/dev/null; then
  abs() { case $1 in /*) echo "$1";; *) echo "$PWD/$1";; esac; }
  mkdir -p "$T/bin"
  for t in "$BIN"/*; do ln -s "$(abs "$t")" "$T/bin/"; done
  rm -f "$T/bin/plmplot"
  printf '#!/bin/sh\necho "$@" > "%s/plmplot.args"\n' "$T" > "$T/bin/plmplot" && chmod +x "$T/bin/plmplot"
  if make -s -C experiments perplexity MODELS="$(abs "$F/esm2_t3_tiny_random.pt") $(abs "$F/esm1b_t2_tiny_random.pt")" \
       SHARED="$(abs "$SHARED")" BIN="$T/bin" OUT="$T/exp" PPL_NTEST=3 > "$T/ptable" 2>"$T/err" &&
     awk -F '\t' 'NR == 1 { ok = $1 == "model" && $4 == "pseudo_perplexity" && $6 == "long_P@L"; next }
       { rows++; ok = ok && $2 == 3 && $4 > 1 && $6 >= 0 && $6 <= 1 } END { exit !(ok && rows == 2) }' "$T/exp/perplexity/table.tsv" &&
     grep -q '^esm2_t3_tiny_random	3	' "$T/exp/perplexity/table.tsv" && grep -q '^esm1b_t2_tiny_random	3	' "$T/exp/perplexity/table.tsv"; then
    pass "perplexity experiment: a row per model (3 chains, pseudo-perplexity, long P@L in [0, 1])"
  else fail "perplexity experiment: $(cat "$T/exp/perplexity/table.tsv" 2>/dev/null) $(tail -c 300 "$T/err")"; fi
  # the table's pseudo-perplexity is exp(-sum PLL / sum L) over lmscore's per-chain lines
  want=$(awk -F '\t' 'NR > 1 { p += $4; L += $2 } END { printf "%.6g", exp(-p / L) }' "$T/exp/perplexity/esm2_t3_tiny_random.pll.tsv")
  got=$(awk -F '\t' '$1 == "esm2_t3_tiny_random" { print $4 }' "$T/exp/perplexity/table.tsv")
  [ -n "$got" ] && [ "$got" = "$want" ] && pass "perplexity experiment: corpus pseudo-perplexity = exp(-sum PLL / sum L) ($got)" ||
    fail "perplexity experiment: pseudo-perplexity $got, expected $want"
  if grep -q -- "^scatter -x pseudo_perplexity -y long_P@L --fit --label model --title .* -o $T/exp/perplexity/perplexity_vs_precision.png -o $T/exp/perplexity/perplexity_vs_precision.svg $T/exp/perplexity/table.tsv\$" "$T/plmplot.args" 2>/dev/null; then
    pass "perplexity experiment: plmplot scatter --fit called on the table, PNG and SVG"
  else fail "perplexity experiment: plmplot called as: $(cat "$T/plmplot.args" 2>&1)"; fi
  rm -f "$T/bin/plmplot"
  make -s -C experiments perplexity MODELS="$(abs "$F/esm2_t3_tiny_random.pt")" SHARED="$(abs "$SHARED")" BIN="$T/bin" \
    OUT="$T/exp2" PPL_NTEST=2 > /dev/null 2>"$T/err"
  [ -s "$T/exp2/perplexity/table.tsv" ] && grep -q 'plmplot not built' "$T/err" &&
    pass "perplexity experiment without plmplot: the table, and a message instead of the plot" ||
    fail "perplexity experiment without plmplot: $(head -c 300 "$T/err")"
  check_fails "perplexity experiment needs MODELS" 'give MODELS' make -s -C experiments perplexity SHARED="$(abs "$SHARED")" BIN="$T/bin" OUT="$T/exp3"
fi
