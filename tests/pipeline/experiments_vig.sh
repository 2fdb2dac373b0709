# experiments_vig.sh: make -C experiments vig end to end on two tiny random models of
# different families (ESM-2: bos/eos; ProtXLNet: special tokens trailing), sets scaled down
# (6 structures, 12 provis chains, 12 CB513 rows). Numbers are meaningless; checked: every
# table has its rows (3 layers x 6 heads per property, real and null), every image the
# report links is a PNG with its SVG beside it, and the report covers each paper figure.
. tests/lib.sh
need_shared data/structures/pdb70_subset500 "experiments vig" || exit 0
need_shared data/annotations/binding_ptm_provis "experiments vig" || exit 0
command -v make >/dev/null || { skip "experiments vig: make absent"; exit 0; }
abs() { case $1 in /*) echo "$1";; *) echo "$PWD/$1";; esac; }
for m in esm2_t3_tiny_random.pt protxlnet_t3_tiny_random; do
  M=$SHARED/fixtures/models/$m
  [ -e "$M" ] || { skip "experiments vig: $M absent"; continue; }
  O=$T/$m; V=$O/vig
  check "make -C experiments vig ($m)" make -s -C experiments vig MODEL="$(abs "$M")" SHARED="$(abs "$SHARED")" \
    BIN="$(abs "$BIN")" OUT="$O" VIG_NCONTACT=6 VIG_NBIND=12 VIG_NSS=12 VIG_MINARCS=5
  bad=
  for p in contact binding_site ptm; do
    for f in heads_$p heads_${p}_null; do [ "$(awk -F '\t' -v p=$p '$1 == p' "$V/$f.tsv" 2>/dev/null | wc -l)" -eq 18 ] || bad="$bad $f"; done
    [ "$(tail -n +2 "$V/layers_$p.tsv" 2>/dev/null | wc -l)" -eq 3 ] || bad="$bad layers_$p"
    awk -F '\t' 'NR > 1 { n++; if (!($3 >= 0 && $3 <= 1 && $6 > 0)) bad = 1 } END { exit bad || n < 1 || n > 10 }' "$V/top_$p.tsv" 2>/dev/null || bad="$bad top_$p"
  done
  [ "$(tail -n +2 "$V/ss_layers.tsv" 2>/dev/null | awk -F '\t' 'NF == 4' | wc -l)" -eq 3 ] || bad="$bad ss_layers"
  [ "$(grep -vc '^#' "$V/aa_heads.tsv" 2>/dev/null)" -eq 19 ] && [ "$(wc -l < "$V/aa_pairs.tsv")" -eq 401 ] || bad="$bad aa_heads/aa_pairs"
  # probe: 4 embedding layers (0-3) and 3 attention layers for each task
  [ "$(awk -F '\t' 'NR > 1 && $5 >= 0 && $5 <= 1' "$V/probe.tsv" 2>/dev/null | wc -l)" -eq 21 ] || bad="$bad probe"
  [ -z "$bad" ] && pass "vig tables ($m): heads, null, layers, top heads, ss by layer, aa pairs, probes" || fail "vig tables ($m):$bad"
  n=0; badimg=
  for img in $(grep -o '!\[\]([^)]*)' "$V/report.md" 2>/dev/null | sed 's/^!\[\](//; s/)$//' | sort -u); do
    n=$((n + 1))
    { head -c 8 "$V/$img" | od -An -c | grep -q 'P   N   G' && grep -q '</svg>' "$V/${img%.png}.svg"; } || badimg="$badimg $img"
  done
  [ "$n" -ge 20 ] && [ -z "$badimg" ] && pass "report ($m): $n figures linked, each a PNG with its SVG" || fail "report ($m): $n figures, bad:$badimg"
  secs=$(grep -c '^## ' "$V/report.md" 2>/dev/null)
  [ "$secs" -eq 6 ] && grep -q 'Fig. 2' "$V/report.md" && grep -q 'Fig. 7' "$V/report.md" && pass "report ($m): 6 sections (Fig. 2-4, 6, 7)" || fail "report ($m): $secs sections"
done
