# experiments.sh: experiments/Makefile end to end on the tiny random model,
# scaled down (3 training proteins, n = 1 and 3, top-1/2 heads, 4 held out):
# structseq's sequences must be the structures' own (identity 1 after
# truecontacts' alignment), every variant must be in the held-out records
# (and the features and attentions consumed), lrfit rank must list all 18
# heads, and the table must have one row per variant with precisions in [0, 1].
. tests/lib.sh
M=$SHARED/fixtures/models/esm2_t3_tiny_random.pt
[ -f "$M" ] || { skip "experiments: $M absent"; exit 0; }
need_shared data/structures/pdb70_subset500 "experiments" || exit 0
command -v make >/dev/null || { skip "experiments: make absent"; exit 0; }
abs() { case $1 in /*) echo "$1";; *) echo "$PWD/$1";; esac; }

check "make -C experiments (tiny model, 3 + 4 proteins)" make -s -C experiments MODEL="$(abs "$M")" SHARED="$(abs "$SHARED")" \
  BIN="$(abs "$BIN")" OUT="$T/exp" NTRAIN=3 NTEST=4 SIZES="1 3" TOPK="1 2"
"$BIN/plmstream" ls -l "$T/exp/test.tsr" > "$T/ls" 2>&1
n=$(grep -c 'lr_n1:f32.*lr_n3:f32.*top1:f32.*top2:f32.*contacts_true:u8' "$T/ls")
if [ "$n" -eq 4 ] && ! grep -q 'attentions:\|apc:' "$T/ls"; then pass "4 held-out records with lr_n1, lr_n3, top1, top2, contacts_true only"
else fail "held-out records: $(head -c 400 "$T/ls")"; fi
ids=$(grep -c 'structure_identity=1.0000' "$T/ls")
[ "$ids" -eq 4 ] && pass "structseq sequences align to their structures with identity 1" || fail "identity: $(grep -o 'structure_identity=[0-9.]*' "$T/ls")"
[ "$(grep -vc '^#' "$T/exp/heads.txt")" -eq 18 ] && pass "lrfit rank lists 3 x 6 heads" || fail "heads.txt: $(head -c 200 "$T/exp/heads.txt")"
if awk -F '\t' 'NR == 1 { ok = $4 == "long_P@L"; next }
     { rows++; ok = ok && $3 == 4; for (k = 4; k <= 9; k++) if (k != 7 && !($k >= 0 && $k <= 1)) ok = 0 }
     END { exit !(ok && rows == 4) }' "$T/exp/table.tsv"; then pass "table.tsv: 4 variants x Table-1 columns"
else fail "table.tsv: $(cat "$T/exp/table.tsv")"; fi
check_fails "experiments need MODEL" 'give MODEL' make -s -C experiments OUT="$T/none"
