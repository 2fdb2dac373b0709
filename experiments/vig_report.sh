#!/bin/sh
# vig_report.sh: the Markdown report of the vig target (vig.mk): every figure beside its table.
#
#   sh vig_report.sh VIG_OUT MODEL_NAME THETA > VIG_OUT/report.md
#
# Figures are linked relative to VIG_OUT (fig/ from plmplot, headstat-*/ from headstat --figures);
# tables are the TSVs under VIG_OUT, shown here as Markdown.
set -eu
D=$1 MODEL=$2 THETA=$3
# a TSV as a Markdown table (header row first, '#' lines skipped)
md() { awk -F '\t' '/^#/ { next } { row = "|"; for (k = 1; k <= NF; k++) row = row " " $k " |"; print row
  if (++n == 1) { sep = "|"; for (k = 1; k <= NF; k++) sep = sep "---|"; print sep } }' "$1"; echo; }
# headstat's summary value: summ FILE KEY PROP FIELD
summ() { awk -F '\t' -v k="# $2" -v p="$3" -v f="$4" '$1 == k && $2 == p { print $f; exit }' "$1"; }
side() { printf '| %s | %s |\n|---|---|\n| ![](%s) | ![](%s) |\n\n' "$1" "$2" "$3" "$4"; }

cat <<HEAD
# Vig et al., "BERTology Meets Biology": $MODEL

High-confidence threshold θ = $THETA. Every figure is a PNG (SVG beside it) drawn from the TSV named
under it; \`make -C experiments vig\` redraws them. The null model shuffles each attention row
(headstat --with-null), on the same colour scale as the real heads.

HEAD
for p in contact binding_site ptm; do
  case $p in contact) src=contact.tsv title="Attention to contacts (Fig. 2, Fig. 3 top)";;
             binding_site) src=bind.tsv title="Attention to binding sites (Fig. 3)";;
             ptm) src=bind.tsv title="Attention to post-translational modifications (Fig. 3)";; esac
  bg=$(summ "$D/$src" property "$p" 8)
  echo "## $title"
  echo
  echo "Background (share of $( [ $p = contact ] && echo "residue pairs" || echo residues ) with the property): $bg;" \
    "significant heads: $(summ "$D/$src" property "$p" 12) of $(summ "$D/$src" property "$p" 10) scored (Bonferroni)."
  echo
  side "real heads (\`heads_$p.tsv\`)" "null model (\`heads_${p}_null.tsv\`)" "fig/heads_$p.png" "fig/heads_${p}_null.png"
  side "per-layer maximum, real vs null (\`layers_$p.tsv\`)" "top heads vs background (\`top_$p.tsv\`)" "fig/layers_$p.png" "fig/top_$p.png"
  echo "Top heads (LAYER:HEAD; share of attention > θ on the property, its interval, and the ratio to the background):"
  echo
  md "$D/top_$p.tsv"
done

echo "## Secondary structure by layer (Fig. 4)"
echo
side "attention-weighted share by layer (\`ss_layers.tsv\`)" "headstat's layer profile" "fig/ss_layers.png" "headstat-ss/layers.png"
echo "Center of gravity (layer) of each class:"
echo
{ printf 'property\tcenter_of_gravity\n'; cat "$D/ss_center.tsv"; } > "$D/ss_center_table.tsv"
md "$D/ss_center_table.tsv"
md "$D/ss_layers.tsv"

echo "## Amino acids and BLOSUM62 (Fig. 7)"
echo
echo "Pearson correlation of the amino acids' attention profiles (over heads) with BLOSUM62 over the" \
  "distinct pairs: $(awk -F '\t' '$1 == "# blosum62_pearson" { print $2; exit }' "$D/bind.tsv")" \
  "(null model: $(awk -F '\t' '$1 == "# blosum62_pearson" { print $2; exit }' "$D/bind_null.tsv"))."
echo
side "attention similarity vs BLOSUM62 (headstat)" "null model" "headstat-bind/aa-blosum62.png" "headstat-bind/null/aa-blosum62.png"
if [ -f "$D/aa_heads.tsv" ]; then
  echo "Per head: Pearson of the head's amino-acid pair attention (log enrichment, 20 × 20) with BLOSUM62 (\`aa_heads.tsv\`);"
  echo "the best head's 20 × 20 matrix beside BLOSUM62 (\`aa_pairs.tsv\`). Best head $(awk -F '\t' '$1 == "# best" { print $2 ", r = " $3 }' "$D/aa_heads.tsv");"
  echo "all heads pooled: r = $(awk -F '\t' '$1 == "# pooled" { print $2 }' "$D/aa_heads.tsv"); least-squares line of the best head: $(awk -F '\t' 'NR == 2 { print "slope " $4 ", intercept " $5 }' "$D/aa_fit.tsv")."
  echo
  side "correlation with BLOSUM62 per head" "best head: enrichment vs BLOSUM62, least-squares line" "fig/aa_heads.png" "fig/aa_scatter.png"
  side "best head's 20 × 20 log enrichment" "BLOSUM62" "fig/aa_best.png" "fig/aa_blosum62.png"
fi

echo "## Probing classifiers by layer (Fig. 6)"
echo
echo "Embedding probes (logistic regression on each layer's representation) and attention probes for" \
  "secondary structure (macro F1, 3 classes), binding sites (precision at L/20) and contacts (precision at L/5)." \
  "Attention features: for contacts the pair's attention per head (Vig et al.), for the residue tasks each" \
  "residue's attention to its neighbours i ± 1..4 per head. Held-out proteins (probe --val-frac)."
echo
echo "![](fig/probe.png)"
echo
md "$D/probe.tsv"
