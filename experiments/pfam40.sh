#!/bin/sh
# pfam40.sh: the Potts / FreeContact evaluation of kortemme_pfam40 (experiments/Makefile, target pfam40).
#
#   sh pfam40.sh family BIN DATA OUTDIR PFxxxxx [POTTS options...]   -> OUTDIR/PFxxxxx.tsv (one row)
#   sh pfam40.sh table ROW.tsv...                                    -> the table, means last
#
# family: the focus is the alignment record whose aligned row equals the domain's row in
# DATA/domain_sequences.txt (the structure's sequence; the first such record); potts fits the
# whole alignment on the focus columns and truecontacts aligns the focus sequence to
# DATA/input/domains/PF/CODE_CHAIN.pdb by sequence. When freecontact is on PATH (or FREECONTACT
# names it), it runs (default EVfold-mfDCA profile, CN score) on the same alignment cut to the
# focus columns, focus first; its output is turned into "i j score" for contactimport.
# When no record has that row (most families), the row is added first as record CODE_CHAIN (N counts
# the alignment's own rows). Row: family pdb L N Neff identity, potts long P@L, P@L/5, freecontact
# long P@L, P@L/5 (NA without), focus_in_aln (yes: a record of the alignment; no: added).
set -eu
mode=$1; shift
if [ "$mode" = table ]; then
	printf 'family\tpdb\tL\tN\tNeff\tstruct_identity\tpotts_long_P@L\tpotts_long_P@L/5\tfreecontact_long_P@L\tfreecontact_long_P@L/5\tfocus_in_aln\n'
	cat "$@"
	cat "$@" | awk -F '\t' '{ for (k = 3; k <= 10; k++) if ($k != "NA") { s[k] += $k; n[k]++ } }
	  END { printf "mean\t%d families", NR; for (k = 3; k <= 10; k++) if (k != 6) printf "\t%s", n[k] ? sprintf(k <= 5 ? "%.1f" : "%.4f", s[k] / n[k]) : "NA"; else printf "\t-"; printf "\t-\n" }'
	exit 0
fi
[ "$mode" = family ] || { echo "usage: pfam40.sh family|table ..." >&2; exit 2; }
BIN=$1 DATA=$2 OUT=$3 PF=$4; shift 4
ALN=$DATA/natural_alignments/$PF.align.80
CHAIN=$(awk -v f="$PF" '$1 == f { print $2; exit }' "$DATA/domain_sequences.txt")
ROW=$(awk -v f="$PF" '$1 == f { print $3; exit }' "$DATA/domain_sequences.txt")
PDB=$DATA/input/domains/$PF/$CHAIN.pdb
[ -n "$ROW" ] && [ -f "$PDB" ] || { echo "pfam40.sh: $PF: no domain row or structure $PDB" >&2; exit 1; }
W=$OUT/$PF; mkdir -p "$W"
# the focus record: first whose aligned row (all lines of the record joined) is ROW
FOCUS=$(awk -v row="$ROW" 'function chk() { if (!done && id != "" && s == row) { print id; done = 1; exit } }
  /^>/ { chk(); id = substr($1, 2); s = ""; next } { s = s $0 } END { chk() }' "$ALN")
N=$(grep -c '^>' "$ALN")
INALN=yes
if [ -z "$FOCUS" ]; then
	# the structure's row is not among the alignment's records: add it, first, as record CHAIN
	INALN=no FOCUS=$CHAIN
	{ printf '>%s\n%s\n' "$CHAIN" "$ROW"; cat "$ALN"; } > "$W/with_focus.afa"
	ALN=$W/with_focus.afa
fi

"$BIN/seqread" -f afa "$ALN" | "$BIN/potts" --focus "$FOCUS" "$@" -v 2> "$W/potts.log" | \
  "$BIN/truecontacts" --pdb "$PDB" --missing error > "$W/potts.tsr"
"$BIN/contacteval" --bootstrap 0 "$W/potts.tsr" > "$W/eval_potts.tsv"
META=$("$BIN/plmstream" ls -l "$W/potts.tsr")
NEFF=$(printf '%s\n' "$META" | tr '\t' '\n' | sed -n 's/^potts_neff=//p')
IDENT=$(printf '%s\n' "$META" | tr '\t' '\n' | sed -n 's/^structure_identity=//p')

col() { awk -F '\t' -v c="$2" 'NR == 1 { for (k = 1; k <= NF; k++) h[$k] = k; next } NR == 2 { print $h["L"], $h[c] }' "$1"; }
set -- $(col "$W/eval_potts.tsv" long_P@L) $(col "$W/eval_potts.tsv" long_P@L/5)
L=$1 PL=$2 PL5=$4
FPL=NA FPL5=NA
FC=${FREECONTACT-$(command -v freecontact || true)}
if [ -n "$FC" ]; then
	# the alignment on the focus columns, focus first, one row per line (FreeContact's input)
	awk -v focus="$FOCUS" '/^>/ { if (id != "") { ids[++n] = id; rows[n] = s } id = substr($1, 2); s = ""; next }
	  { s = s $0 } END { ids[++n] = id; rows[n] = s
	    for (r = 1; r <= n; r++) if (ids[r] == focus) { f = r; break }
	    for (c = 1; c <= length(rows[f]); c++) if (substr(rows[f], c, 1) !~ /[-.]/) keep[++m] = c
	    for (o = 0; o <= n; o++) { r = o ? o : f; if (o == f) continue; t = ""
	      for (k = 1; k <= m; k++) t = t substr(rows[r], keep[k], 1); gsub(/\./, "-", t); print toupper(t) } }' \
	  "$ALN" > "$W/focus.aln"
	"$FC" -a 1 < "$W/focus.aln" > "$W/freecontact.evfold" 2> "$W/freecontact.log"
	awk '{ print $1, $3, $6 }' "$W/freecontact.evfold" > "$W/freecontact.rr"
	"$BIN/contactimport" --rr "$W/freecontact.rr" --seq "$(head -n 1 "$W/focus.aln")" --id "$FOCUS" | \
	  "$BIN/truecontacts" --pdb "$PDB" --missing error > "$W/freecontact.tsr"
	"$BIN/contacteval" --bootstrap 0 "$W/freecontact.tsr" > "$W/eval_freecontact.tsv"
	set -- $(col "$W/eval_freecontact.tsv" long_P@L) $(col "$W/eval_freecontact.tsv" long_P@L/5)
	FPL=$2 FPL5=$4
fi
printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$PF" "$CHAIN" "$L" "$N" "$NEFF" "$IDENT" "$PL" "$PL5" "$FPL" "$FPL5" "$INALN" > "$OUT/$PF.tsv"
