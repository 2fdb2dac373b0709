# experiments_rao.sh: the targets of experiments/rao_more.mk end to end on the tiny random
# ESM-2, scaled down (3 pfam40 families with 10 Potts iterations; 3 + 3 PDB proteins; 8 CB513
# rows). Numbers are meaningless; checked: the depth table's derived columns (log10 Neff,
# model - potts) and its fit (n = 3); the Potts-supervised head saw exactly ceil(L) positives
# per training family (the Potts top-L couplings); the insertions are where and as long as
# asked; each low-N replicate trained on n proteins drawn with replacement (C = 50, so heads
# are not all zero) and every n has mean within its interval; every figure a PNG with an SVG.
. tests/lib.sh
M=$SHARED/fixtures/models/esm2_t3_tiny_random.pt
[ -f "$M" ] || { skip "experiments rao: $M absent"; exit 0; }
need_shared data/msa/kortemme_pfam40 "experiments rao" || exit 0
need_shared data/structures/pdb70_subset500 "experiments rao" || exit 0
command -v make >/dev/null || { skip "experiments rao: make absent"; exit 0; }
abs() { case $1 in /*) echo "$1";; *) echo "$PWD/$1";; esac; }
O=$T/exp
mk() { make -s -C experiments MODEL="$(abs "$M")" SHARED="$(abs "$SHARED")" BIN="$(abs "$BIN")" OUT="$O" \
  PFAM40="PF00542 PF00240 PF00179" POTTS="--iters 10" PH_NTRAIN=2 PH_NTEST=1 NTRAIN=3 NTEST=3 INS_NPROT=3 \
  INS_LENGTHS="0 10 40" LOWN_SIZES="1 2 3" LOWN_BOOT=3 C=50 SSA_NPROT=8 "$@"; }
figs() { for f in "$@"; do head -c 8 "$O/$f.png" 2>/dev/null | od -An -c | grep -q 'P   N   G' && grep -q '</svg>' "$O/$f.svg" 2>/dev/null || { echo "$f"; return 1; }; done; }

check "make depth (3 families)" mk depth
if awk -F '\t' 'NR > 1 { n++; if ($1 !~ /^PF/ || (($5 - log($4) / log(10)) ^ 2 > 1e-6) || (($10 - ($7 - $6)) ^ 2 > 1e-6) || $7 < 0 || $7 > 1) bad = 1 }
     END { exit bad || n != 3 }' "$O/depth/depth.tsv" && [ "$(awk -F '\t' 'NR == 2 { print $3 }' "$O/depth/fit_gain.tsv")" = 3 ]
then pass "depth.tsv: 3 families, log10 Neff and model - potts consistent, the fit over 3"
else fail "depth: $(cat "$O/depth/depth.tsv" "$O/depth/fit_gain.tsv" 2>&1 | head -c 500)"; fi
bad=$(figs depth/fig/depth_gain depth/fig/depth_model depth/fig/depth_potts) && pass "depth figures" || fail "depth figure $bad"

check "make potts-head (2 train, 1 test)" mk potts-head
want=$(for f in PF00542 PF00240; do awk -F '\t' '{ print $3 }' "$O/pfam40/$f.tsv"; done | awk '{ s += $1 } END { print s }')
got=$(sed -n 's/^positives: //p' "$O/pottshead/head_potts.yaml")
[ -n "$want" ] && [ "$got" = "$want" ] && grep -q '^label: contacts$' "$O/pottshead/head_potts.yaml" \
  && pass "Potts-supervised head: $got positives = the top-L couplings of each training family" || fail "positives $got, want $want"
if awk -F '\t' 'NR > 1 { n++; v[$1] = 1; if (!($5 >= 0 && $5 <= 1) || $3 != 2 || $4 != 1) bad = 1 } END { exit bad || n != 3 || !v["lr_potts"] || !v["lr_structure"] || !v["potts"] }' "$O/pottshead/table.tsv"
then pass "potts-head table: lr_potts, lr_structure, potts on the held-out family"; else fail "potts-head: $(cat "$O/pottshead/table.tsv")"; fi

check "make insertions (0, 10, 40)" mk insertions
if awk 'FNR == 1 { f++ } /^>/ { next } f == 1 { b[FNR] = $0 } f == 2 { m = int(length(b[FNR]) / 2);
       if ($0 != substr(b[FNR], 1, m) "AAAAAAAAAA" substr(b[FNR], m + 1)) bad = 1; n++ } END { exit bad || n != 3 }' \
     "$O/insertions/ins0.fasta" "$O/insertions/ins10.fasta" && [ "$(tail -n +2 "$O/insertions/table.tsv" | awk -F '\t' '$2 == 3' | wc -l)" -eq 3 ]
then pass "10 alanines after the middle residue of each of 3 proteins; a table row per length"
else fail "insertions: $(cat "$O/insertions/table.tsv")"; fi
bad=$(figs insertions/fig/insertions) && pass "insertions figure" || fail "insertions figure $bad"

check "make ss-attention (8 CB513 rows)" mk ss-attention
[ "$(awk -F '\t' '$1 == "attention" && $4 >= 0 && $4 <= 1' "$O/ssattn/probe.tsv" | wc -l)" -eq 3 ] && figs ssattn/fig/ss_attention >/dev/null \
  && pass "ss-attention: an attention probe per layer, figure" || fail "ss-attention: $(cat "$O/ssattn/probe.tsv")"

check "make lown (n = 1, 2, 3; 3 resamples)" mk lown
if awk -F '\t' 'NR > 1 { k++; if (split($3, s, ",") != $1) bad = 1 } END { exit bad || k != 9 }' "$O/lown/reps.tsv" &&
   awk -F '\t' 'NR > 1 { k++; if (!($4 <= $3 + 1e-4 && $3 <= $5 + 1e-4)) bad = 1 } END { exit bad || k != 3 }' "$O/lown/table.tsv"
then pass "low-N: 9 heads on samples of n proteins, per n the mean within its interval"
else fail "lown: $(cat "$O/lown/reps.tsv" "$O/lown/table.tsv")"; fi
[ "$(grep -h '^weights' "$O"/lown/head_n*.yaml | sort -u | wc -l)" -gt 1 ] && pass "resampled training sets give different heads" || fail "every low-N head is the same"
bad=$(figs lown/fig/lown) && pass "lown figure" || fail "lown figure $bad"
