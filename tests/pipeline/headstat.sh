# headstat.sh: real binding-site / PTM / secondary-structure annotations -> seqread -> attn -> headstat.
#
# The FASTA is written here from the provis JSONL's primary sequences (the 40
# shortest chains, plus one the files lack) and from CB513 rows; attention comes
# from attn on the tiny random ESM-2 fixture. Checked: the TSV has one row per
# property x head; the partial state's labelled-residue counts equal python's
# count over the same ids; the unannotated record is counted as skipped, not
# zero; three shards (seqread --shard K/3) merged give a byte-identical report;
# the null model is reproducible by seed and its high-confidence share is near
# the background; the amino-acid summary has a BLOSUM62 correlation; with
# attn --layers 2,3 --heads 1,3 the rows are labelled with those numbers;
# --figures writes every figure as SVG and PNG; bad
# options are refused.
. tests/lib.sh
HS="$BIN/headstat"
M=$SHARED/fixtures/models/esm2_t3_tiny_random.pt
A=$SHARED/data/annotations
for t in seqread attn headstat plmstream; do [ -x "$BIN/$t" ] || { skip "headstat pipeline: $BIN/$t not built"; exit 0; }; done
need_shared data/annotations/binding_ptm_provis "headstat pipeline" || exit 0
need_shared fixtures/models "headstat pipeline" || exit 0
need_python "headstat pipeline" || exit 0
BS=$A/binding_ptm_provis/binding_site_valid.jsonl
PT=$A/binding_ptm_provis/protein_modification_valid.jsonl
CB=$A/secondary_structure/netsurfp_cb513_ts115/cb513/CB513_HHblits.csv

"$PYTHON" - "$BS" "$PT" "$T" <<'PY' || { fail "headstat pipeline: write FASTA"; exit 0; }
import json, sys
bs = [json.loads(l) for l in open(sys.argv[1])]
pt = {d['id']: d for d in map(json.loads, open(sys.argv[2]))}
bs.sort(key=lambda d: (len(d['primary']), d['id']))
pick = bs[:40]
with open(sys.argv[3] + '/in.fa', 'w') as f:
    for d in pick: f.write('>%s\n%s\n' % (d['id'], d['primary']))
    f.write('>not_annotated\nMKTAYIAKQRQISFVKSHFSRQLEERLGLIEVQ\n')
lab = lambda d, fld: sum(1 for p in d['positions'] if p in set(d[fld]))
with open(sys.argv[3] + '/want', 'w') as f:
    f.write('binding_site %d %d\n' % (sum(len(d['primary']) for d in pick), sum(lab(d, 'sites') for d in pick)))
    f.write('ptm %d %d\n' % (sum(len(pt[d['id']]['primary']) for d in pick), sum(lab(pt[d['id']], 'modifications') for d in pick)))
PY
P="-p binding_site:file=$BS -p ptm:file=$PT -p aa --min-arcs 20"
check "seqread | attn --attentions" sh -c "'$BIN/seqread' '$T/in.fa' | '$BIN/attn' -m '$M' --attentions > '$T/in.tsr'"
check "headstat on the stream" sh -c "'$HS' $P --partial '$T/all.state' '$T/in.tsr' > '$T/all.tsv' 2> '$T/all.err'"
rows=$(grep -vc '^#' "$T/all.tsv")
if [ "$rows" -eq $((1 + 22 * 18)) ]; then pass "one row per property x head (22 x 18)"; else fail "$rows rows"; fi
for p in binding_site ptm; do
  got=$(awk -v p=$p '$1 == "prop" && $2 == p { print $6, $7 }' "$T/all.state")
  want=$(awk -v p=$p '$1 == p { print $2, $3 }' "$T/want")
  if [ -n "$got" ] && [ "$got" = "$want" ]; then pass "$p: residues and labelled residues $got equal python's"; else fail "$p: state '$got', python '$want'"; fi
done
if grep -q "1 record(s) without a binding_site annotation skipped" "$T/all.err" &&
   awk '$1 == "prop" && $2 == "binding_site" && $4 == 40 && $5 == 1' "$T/all.state" | grep -q .; then
  pass "unannotated record skipped and counted"; else fail "skip count: $(cat "$T/all.err") $(grep '^prop binding' "$T/all.state")"; fi
if grep -q "^# blosum62_pearson	-\{0,1\}[0-9]" "$T/all.tsv"; then pass "BLOSUM62 correlation reported ($(grep blosum "$T/all.tsv" | cut -f2))"; else fail "no BLOSUM62 line"; fi
if grep -q "^# center_of_gravity	binding_site	[123]\." "$T/all.tsv"; then pass "layer center of gravity in [1, 3]"; else fail "center of gravity: $(grep center_of_gravity "$T/all.tsv" | head -2)"; fi

for k in 1 2 3; do
  "$BIN/seqread" --shard $k/3 "$T/in.fa" | "$BIN/attn" -m "$M" --attentions | "$HS" $P --partial "$T/s$k.state" > /dev/null 2>&1
done
check "merge three shards" sh -c "'$HS' --merge --min-arcs 20 '$T/s1.state' '$T/s2.state' '$T/s3.state' > '$T/merged.tsv'"
if cmp -s "$T/all.tsv" "$T/merged.tsv"; then pass "merged shards == single run, byte for byte"; else fail "merged report differs: $(diff "$T/all.tsv" "$T/merged.tsv" | head -3)"; fi

"$HS" -p aa --null --seed 5 --min-arcs 20 "$T/in.tsr" > "$T/null1.tsv" 2>/dev/null
"$HS" -p aa --null --seed 5 --min-arcs 20 "$T/in.tsr" > "$T/null2.tsv" 2>/dev/null
"$HS" -p aa --null --seed 6 --min-arcs 20 "$T/in.tsr" > "$T/null3.tsv" 2>/dev/null
if cmp -s "$T/null1.tsv" "$T/null2.tsv" && ! cmp -s "$T/null1.tsv" "$T/null3.tsv"; then pass "null model reproducible by --seed"; else fail "null model: same seed differs or another seed equal"; fi
# pooled over the 20 amino acids and 18 heads, the null's high-confidence share tracks the background
d=$(awk -F'\t' '!/^#/ && NR > 1 && $5 != "NA" { s += ($5 - $7) ^ 2; n++ } END { if (n) printf "%.4f", sqrt(s / n); else print "none" }' "$T/null1.tsv")
if [ "$d" != none ] && awk -v d="$d" 'BEGIN { exit !(d < 0.03) }'; then pass "null model: rms(prop_highconf - background) $d < 0.03"; else fail "null model rms distance $d"; fi
if [ -x "$BIN/seqread" ] && [ -f "$CB" ]; then
  awk -F, 'NR > 1 && NR <= 6 { gsub(/ /, "", $1); print ">cb" NR; print $1 }' "$CB" > "$T/cb.fa"
  check "ss plugin on CB513 rows" sh -c "'$BIN/seqread' '$T/cb.fa' | '$BIN/attn' -m '$M' --attentions | '$HS' -p ss:file='$CB' --min-arcs 5 > '$T/ss.tsv'"
  if [ "$(grep -c '^ss:helix	' "$T/ss.tsv")" -eq 18 ] && grep -q "^# property	ss:turn_bend	annotated	5	skipped	0" "$T/ss.tsv"; then pass "ss: helix/strand/turn_bend rows, 5 records annotated"; else fail "ss output: $(grep '^# property' "$T/ss.tsv")"; fi
fi
check "attn --layers 2,3 --heads 1,3 | headstat" sh -c "'$BIN/seqread' '$T/in.fa' | '$BIN/attn' -m '$M' --layers 2,3 --heads 1,3 | '$HS' -p aa --min-arcs 1 > '$T/sub.tsv'"
got=$(awk -F'\t' '$1 == "aa:A" { printf "%s-%s ", $2, $3 }' "$T/sub.tsv")
if [ "$got" = "2-1 2-3 3-1 3-3 " ] && grep -q "^# layer	aa:A	3	" "$T/sub.tsv"; then pass "layer/head subsets labelled from the metadata ($got)"; else fail "subset labels: '$got'"; fi
check "--figures from a merged state" sh -c "'$HS' --merge --min-arcs 1 '$T/all.state' --figures '$T/fig' > /dev/null"
n=0; for f in heads-binding_site heads-ptm heads-aa_A layers aa-blosum62; do
  [ -s "$T/fig/$f.svg" ] && grep -q '</svg>' "$T/fig/$f.svg" && head -c 8 "$T/fig/$f.png" | od -An -c | grep -q 'P   N   G' && n=$((n + 1))
done
if [ $n -eq 5 ]; then pass "figures: heads-PROP, layers, aa-blosum62 as SVG and PNG"; else fail "figures: $n of 5 ($(ls "$T/fig" | head -5))"; fi
if grep -q 'not scored: fewer than 1 arcs' "$T/fig/heads-ptm.svg" && grep -q 'dot: significant, p &lt; 0.05' "$T/fig/heads-ptm.svg" &&
   ! grep -q 'NULL MODEL' "$T/fig/heads-ptm.svg"; then pass "figures: the heatmap's legend says what grey cells and dots mean"
else fail "figures: heatmap legend missing: $(grep -o '<text[^<]*' "$T/fig/heads-ptm.svg" | tail -3)"; fi
# real and null model from one pass: the null report equals a separate --null run byte for byte,
# and the two heatmaps share a colour scale
check "--with-null in one pass" sh -c "'$HS' -p aa --seed 5 --min-arcs 20 --with-null '$T/wn.null.tsv' --figures '$T/wfig' '$T/in.tsr' > '$T/wn.tsv'"
if cmp -s "$T/wn.null.tsv" "$T/null1.tsv" && "$HS" -p aa --min-arcs 20 "$T/in.tsr" 2>/dev/null | cmp -s - "$T/wn.tsv"; then
  pass "--with-null: real report as without it, null report as --null (same seed), one pass"
else fail "--with-null reports differ: $(diff "$T/wn.null.tsv" "$T/null1.tsv" | head -3)"; fi
# the end-anchored numbers: the layer labels and the colour bar's maximum
scale() { grep -o '<text[^>]*text-anchor="end"[^>]*>[0-9.e-]*</text>' "$1" | sed 's/.*>\([0-9.e-]*\)<.*/\1/' | tr '\n' ' '; }
a=$(scale "$T/wfig/heads-aa_A.svg"); b=$(scale "$T/wfig/null/heads-aa_A.svg")
if [ -n "$a" ] && [ "$a" = "$b" ] && grep -q 'NULL MODEL' "$T/wfig/null/heads-aa_A.svg"; then pass "--with-null figures: DIR/null, same colour scale (max $a)"
else fail "--with-null figures: colour scale real '$a' null '$b'"; fi
check_fails "--with-null with --null" "not with --merge or --null" "$HS" -p aa --null --with-null "$T/x" "$T/in.tsr"
check "--null --figures" sh -c "'$HS' -p aa --null --seed 5 --min-arcs 20 --figures '$T/nfig' '$T/in.tsr' > /dev/null"
if grep -q 'NULL MODEL' "$T/nfig/heads-aa_A.svg" && grep -q 'NULL MODEL' "$T/nfig/layers.svg"; then pass "figures: the null model's figures say so"
else fail "figures: null model not named in $T/nfig"; fi
check_fails "no -p" "no property" "$HS" "$T/in.tsr"
check_fails "unknown plugin" "nosuch" "$HS" -p nosuch "$T/in.tsr"
check_fails "binding_site without file" "file=PATH" "$HS" -p binding_site "$T/in.tsr"
check_fails "bad --theta" "theta" "$HS" -p aa --theta 2 "$T/in.tsr"
check_fails "merge with a different theta" "theta" sh -c "'$HS' $P --theta 0.2 --partial '$T/t2.state' '$T/in.tsr' > /dev/null && '$HS' --merge '$T/all.state' '$T/t2.state'"
if "$HS" --list-plugins | grep -q "^binding_site	token"; then pass "--list-plugins lists binding_site"; else fail "--list-plugins: $("$HS" --list-plugins 2>&1 | head -3)"; fi
"$HS" --merge --min-arcs 1000000 "$T/all.state" > "$T/few.tsv" 2>/dev/null
if [ "$(awk -F'\t' '!/^#/ && NR > 1 && $12 != "few_arcs"' "$T/few.tsv" | wc -l)" -eq 0 ] && grep -q "^aa:A	1	1	" "$T/few.tsv"; then
  pass "--min-arcs above every head: all few_arcs"; else fail "--min-arcs: $(grep -v '^#' "$T/few.tsv" | head -2)"; fi
