#!/bin/sh
# devfull.sh: every tool, its output on a full disk (/dev/full), reports the failed write in one
# line and exits non-zero (issue "Hardening", 4). tools/*.c lists the tools, so a new one is covered.
. tests/lib.sh
need_shared fixtures/models "write to a full disk" || exit 0
[ -w /dev/full ] || { skip "write to a full disk: /dev/full absent"; exit 0; }
M=$SHARED/fixtures/models/esm2_t3_tiny_random.pt
PDB=$SHARED/data/structures/paper_entries/7hvp.pdb
HEAD=$SHARED/fixtures/regression_heads/esm2_t6_8M_UR50D-contact-regression.pt
"$BIN/seqread" examples/proteins.fasta > "$T/s.tsr"
"$BIN/plmstream" select --id hiv1_protease "$T/s.tsr" > "$T/hiv.tsr"
"$BIN/attn" -m "$M" --attentions --contacts "$T/hiv.tsr" > "$T/a.tsr"
"$BIN/seqread" "$SHARED/data/msa/gremlin/1whzA.id90cov82.cut.msa" | "$BIN/plmstream" select --first 40 > "$T/aln.tsr"
"$BIN/plmstream" select --first 3 "$T/aln.tsr" | "$BIN/attn" -m "$M" --contacts > "$T/alnc.tsr"
"$BIN/attn" -m "$M" --repr 3 "$T/hiv.tsr" | "$BIN/truecontacts" --pdb "$PDB" --chain A > "$T/r.tsr"
printf '1 5 0 8 0.9\n' > "$T/x.rr"
printf 'a\tb\n1\t2\n2\t5\n' > "$T/p.tsv"
# one ordinary run of each tool that writes to stdout
run_for() {
  case $1 in
    seqread)       echo "examples/proteins.fasta" ;;
    attn)          echo "-m $M $T/hiv.tsr" ;;
    apc)           echo "$T/a.tsr" ;;
    lrfit)         echo "rank -w $HEAD --heads 20" ;;
    truecontacts)  echo "--pdb $PDB --chain A $T/hiv.tsr" ;;
    contacteval)   echo "--bootstrap 0 $T/a.tsr" ;;
    msaensemble)   echo "$T/alnc.tsr" ;;
    contactimport) echo "--rr $T/x.rr --seq MKTAYIAKQR --id x" ;;
    structseq)     echo "$PDB" ;;
    headstat)      echo "-p aa --min-arcs 1 $T/a.tsr" ;;
    probe)         echo "--help" ;;
    potts)         echo "--iters 2 $T/aln.tsr" ;;
    pseudomsa)     echo "-m $M -n 2 $T/hiv.tsr" ;;
    lmscore)       echo "-m $M $T/hiv.tsr" ;;
    attnview)      echo "--pdb $PDB $T/a.tsr" ;;
    plmstream)     echo "ls $T/s.tsr" ;;
    mkmodel)       echo "--help" ;;
    aapairs)       echo "$T/a.tsr" ;;
    plmplot)       echo "scatter -x a -y b --fit -o $T/p.svg $T/p.tsv" ;;
  esac
}
for src in tools/*.c; do
  t=$(basename "$src" .c); args=$(run_for "$t")
  [ -n "$args" ] || { fail "$t on a full disk: no ordinary run listed in devfull.sh"; continue; }
  # shellcheck disable=SC2086
  "$BIN/$t" $args > /dev/full 2> "$T/err"; rc=$?
  lines=$(wc -l < "$T/err")
  if [ $rc -ne 0 ] && [ $rc -lt 128 ] && [ "$lines" -ge 1 ] && tail -n 1 "$T/err" | grep -Eq "No space left on device|write failed|writing .*failed"; then
    pass "$t reports a write to a full disk: $(tail -n 1 "$T/err" | head -c 100)"
  else fail "$t on a full disk: exit $rc, stderr: $(head -c 200 "$T/err")"; fi
done
