#!/bin/sh
# firstcontact.sh: what a new user meets first (issue "First contact"): -o FILE on every stream
# writer, no binary on a terminal, nothing written before the inputs open, repairing a cut
# stream, warnings that say something, and fair-esm's habits in attn (--repr -1, residues only,
# the mean of a chosen layer).
. tests/lib.sh
need_shared fixtures/models "first contact" || exit 0
need_python "first contact" || exit 0
M=$SHARED/fixtures/models/esm2_t3_tiny_random.pt
F=examples/proteins.fasta
"$BIN/seqread" "$F" > "$T/seqs.tsr"
"$BIN/attn" -m "$M" --attentions --contacts "$T/seqs.tsr" > "$T/attn.tsr"

# -o FILE writes exactly what stdout would, for every tool that writes a stream
same_o() {   # NAME CMD...: CMD > stdout.tsr and CMD -o o.tsr must give the same bytes
  name=$1; shift
  "$@" > "$T/stdout.tsr" 2>/dev/null && "$@" -o "$T/o.tsr" 2>/dev/null && cmp -s "$T/stdout.tsr" "$T/o.tsr" &&
    pass "$name -o FILE writes what stdout gets" || fail "$name -o FILE differs from stdout or failed"
}
same_o seqread "$BIN/seqread" "$F"
same_o attn "$BIN/attn" -m "$M" --contacts "$T/seqs.tsr"
same_o apc "$BIN/apc" "$T/attn.tsr"
same_o "plmstream select" "$BIN/plmstream" select --first 2 "$T/seqs.tsr"
same_o "plmstream cat" "$BIN/plmstream" cat "$T/seqs.tsr"
same_o "plmstream unshard" "$BIN/plmstream" unshard "$T/seqs.tsr"
same_o "plmstream merge" "$BIN/plmstream" merge "$T/seqs.tsr" "$T/seqs.tsr"
"$BIN/plmstream" select --id hiv1_protease "$T/seqs.tsr" > "$T/hiv.tsr"
same_o truecontacts "$BIN/truecontacts" --pdb "$SHARED/data/structures/paper_entries/7hvp.pdb" --chain A "$T/hiv.tsr"
printf '1 5 0 8 0.9\n2 9 0 8 0.5\n' > "$T/x.rr"
same_o contactimport "$BIN/contactimport" --rr "$T/x.rr" --seq MKTAYIAKQRQISFVK --id x
"$PYTHON" -c "import numpy as np; np.save('$T/a.npy', np.ones((2, 5, 5), np.float32))"
same_o "plmstream from-npy" "$BIN/plmstream" from-npy --id x --seq AAAAA apc="$T/a.npy"
"$BIN/plmstream" select --first 1 "$T/seqs.tsr" > "$T/q.tsr"
same_o "pseudomsa --stream" "$BIN/pseudomsa" -m "$M" -n 4 --stream "$T/q.tsr"
same_o "pseudomsa (A3M)" "$BIN/pseudomsa" -m "$M" -n 4 "$T/q.tsr"
same_o lmscore "$BIN/lmscore" -m "$M" --landscape "$T/q.tsr"
# fair-esm's published 8M contact head over 120 APC maps
"$PYTHON" -c "import numpy as np; np.save('$T/apc120.npy', np.full((120, 30, 30), 0.01, np.float32))"
"$BIN/plmstream" from-npy --id x --seq "$(printf 'A%.0s' $(seq 30))" apc="$T/apc120.npy" > "$T/feat.tsr"
same_o "lrfit predict" "$BIN/lrfit" predict -w "$SHARED/fixtures/regression_heads/esm2_t6_8M_UR50D-contact-regression.pt" "$T/feat.tsr"

# no binary stream on a terminal (script gives the tool a pseudo-terminal as stdout)
if command -v script > /dev/null 2>&1; then
  for cmd in "seqread $F" "plmstream cat $T/seqs.tsr" "attn -m $M $T/seqs.tsr"; do
    script -qec "$BIN/$cmd" /dev/null > "$T/tty.out" 2>&1; rc=$?
    if [ $rc -ne 0 ] && grep -q "stdout is a terminal: refusing to write a binary stream" "$T/tty.out" && ! grep -q PLMSTR "$T/tty.out"; then
      pass "${cmd%% *} refuses to write a binary stream to a terminal"
    else fail "${cmd%% *} on a terminal: exit $rc, $(head -c 200 "$T/tty.out" | tr -d '\0')"; fi
  done
else skip "terminal refusal: script(1) absent"; fi

# nothing on stdout before the inputs open
"$BIN/seqread" "$F" /nonexistent.fa > "$T/none.tsr" 2> "$T/none.err"; rc=$?
[ $rc -ne 0 ] && [ ! -s "$T/none.tsr" ] && grep -q "/nonexistent.fa: cannot open: No such file" "$T/none.err" &&
  pass "seqread with a missing input writes nothing and names it" || fail "seqread /nonexistent.fa: exit $rc, $(wc -c < "$T/none.tsr") bytes written"

# a cut stream: repair keeps the intact records and closes the copy
n=$(wc -c < "$T/attn.tsr"); head -c $((n * 2 / 3)) "$T/attn.tsr" > "$T/cut.tsr"
"$BIN/plmstream" repair "$T/cut.tsr" -o "$T/fixed.tsr" 2> "$T/repair.err"
kept=$("$BIN/plmstream" ls "$T/fixed.tsr" | wc -l)
if [ "$kept" -ge 1 ] && [ "$kept" -lt 3 ] && grep -q "kept $kept intact record" "$T/repair.err" &&
   "$BIN/plmstream" select --first "$kept" "$T/attn.tsr" | cmp -s - "$T/fixed.tsr"; then
  pass "plmstream repair keeps the $kept intact records of a cut stream, closed properly, and says so"
else fail "plmstream repair: kept $kept: $(cat "$T/repair.err")"; fi
"$BIN/plmstream" repair "$T/attn.tsr" 2> "$T/repair2.err" | cmp -s - "$T/attn.tsr" && grep -q "is intact: kept all 3 records" "$T/repair2.err" &&
  pass "plmstream repair copies an intact stream whole" || fail "plmstream repair of an intact stream: $(cat "$T/repair2.err")"
check_fails "plmstream repair of a missing file is an error" "No such file" "$BIN/plmstream" repair /nonexistent.tsr
"$BIN/plmstream" ls "$T/seqs.tsr" "$T/fixed.tsr" > "$T/ls2.txt"
[ "$(wc -l < "$T/ls2.txt")" -eq $((3 + kept)) ] && pass "plmstream ls A B lists both" || fail "plmstream ls A B: $(cat "$T/ls2.txt")"

# warnings that say something, and none that do not
"$BIN/plmstream" select --id nosuch --id ubiquitin "$T/seqs.tsr" 2> "$T/sel.err" | "$BIN/plmstream" ls > "$T/sel.txt"
grep -q "warning: --id nosuch matched no record" "$T/sel.err" && [ "$(wc -l < "$T/sel.txt")" -eq 1 ] && ! grep -q ubiquitin "$T/sel.err" &&
  pass "plmstream select warns about an id that matched nothing" || fail "select --id nosuch: $(cat "$T/sel.err")"
cp "$M" "$T/nohead.pt"
"$BIN/attn" -m "$T/nohead.pt" --mean "$T/seqs.tsr" 2> "$T/nohead.err" > /dev/null
[ ! -s "$T/nohead.err" ] && pass "attn without --contacts says nothing about a missing contact head" || fail "attn warned: $(cat "$T/nohead.err")"
check_fails "attn --contacts without a head names the missing file" "no .*nohead-contact-regression.pt beside the model" \
  "$BIN/attn" -m "$T/nohead.pt" --contacts "$T/seqs.tsr"

# fair-esm's habits: repr_layers=[-1], the [1:-1] slice, the mean of a chosen layer
"$BIN/attn" -m "$M" --repr 0,3 --mean "$T/seqs.tsr" > "$T/r.tsr"
"$BIN/attn" -m "$M" --repr last,-4 --residues-only "$T/seqs.tsr" > "$T/rl.tsr"
"$BIN/attn" -m "$M" --mean=-1,0 "$T/seqs.tsr" > "$T/m.tsr"
"$BIN/plmstream" npy -o "$T/r" "$T/r.tsr"; "$BIN/plmstream" npy -o "$T/rl" "$T/rl.tsr"; "$BIN/plmstream" npy -o "$T/m" "$T/m.tsr"
if out=$("$PYTHON" - "$T" <<'PY' 2>&1
import sys, os, numpy as np
T = sys.argv[1]
errs = []
for pid in ('ubiquitin', 'hiv1_protease', 'gfp_fragment'):
    for k in (0, 3):
        full = np.load(f'{T}/r/{pid}.repr{k}.npy')
        res = np.load(f'{T}/rl/{pid}.repr{k}.npy')
        if not np.array_equal(full[1:-1], res): errs.append(f'{pid} repr{k}: --residues-only is not [1:-1]')
        mean = np.load(f'{T}/m/{pid}.mean{k}.npy')
        if np.abs(mean - full[1:-1].astype(np.float64).mean(0)).max() > 1e-6: errs.append(f'{pid} mean{k} is not the residue mean')
    if os.path.exists(f'{T}/m/{pid}.repr3.npy'): errs.append('--mean=LIST stored repr3')
    if not np.array_equal(np.load(f'{T}/r/{pid}.mean3.npy'), np.load(f'{T}/m/{pid}.mean3.npy')): errs.append('--mean=-1 differs from --mean')
print('; '.join(errs) or 'repr last/-4 = repr 3/0, residue rows = [1:-1], mean=-1,0 = residue means')
sys.exit(1 if errs else 0)
PY
); then pass "attn fair-esm habits: $out"; else fail "attn fair-esm habits: $out"; fi
check_fails "attn --repr -5 names the layer outside the model" "layer -1 is outside 0-3" "$BIN/attn" -m "$M" --repr -5 "$T/seqs.tsr"

# sniffing never changes a sequence's meaning: ambiguous files are refused, -f decides
printf '>a\nmktayiakqr\n>b\nmktayia\n' > "$T/lower.fa"
check_fails "seqread refuses all-lowercase FASTA rather than reading it as A3M" "lowercase FASTA or A3M? give -f fasta -u" "$BIN/seqread" "$T/lower.fa"
check "seqread -f fasta -u reads lowercase FASTA, uppercased" sh -c "'$BIN/seqread' -f fasta -u '$T/lower.fa' | '$BIN/plmstream' ls | grep -q '^2	b	7$'"
printf '>q\nMKTaYIA-KQR\n>s\nMKT-YIAaKQR\n' > "$T/real.a3m"
check "seqread still sniffs a real A3M" sh -c "'$BIN/seqread' '$T/real.a3m' | '$BIN/plmstream' ls -l | grep -q 'format=a3m'"
printf 'MKTAYIAKQR\nMKTAYIAKQR\n' > "$T/nohead.txt"
check_fails "seqread refuses header-less sequence lines rather than reading them as .aln" "without FASTA headers" "$BIN/seqread" "$T/nohead.txt"
check "seqread -f aln reads them as an alignment" sh -c "'$BIN/seqread' -f aln '$T/nohead.txt' | '$BIN/plmstream' ls | grep -c . | grep -qx 2"

# standard input is "stdin" in every message, never "-"
"$BIN/plmstream" select --first 1 "$T/seqs.tsr" | "$BIN/plmstream" merge - "$T/seqs.tsr" 2> "$T/stdin.err" > /dev/null
grep -q ": stdin ends before it" "$T/stdin.err" && pass "plmstream merge names standard input stdin" || fail "merge: $(cat "$T/stdin.err")"
head -c 300 "$T/seqs.tsr" | "$BIN/plmstream" repair 2> "$T/stdin2.err" > /dev/null
grep -q "of stdin; dropped the rest (stdin: record 1" "$T/stdin2.err" && pass "plmstream repair reads stdin and names it so" || fail "repair stdin: $(cat "$T/stdin2.err")"
printf 'x' | "$BIN/attn" -m "$M" 2> "$T/stdin3.err" > /dev/null
grep -q "^attn: stdin: " "$T/stdin3.err" && pass "attn names standard input stdin" || fail "attn stdin: $(cat "$T/stdin3.err")"

# truecontacts passes proteins without a structure; contacteval's default agrees with it
"$BIN/attn" -m "$M" --contacts "$T/seqs.tsr" | "$BIN/truecontacts" --pdb-dir "$SHARED/data/structures/paper_entries" 2>/dev/null > "$T/tc.tsr"
"$BIN/plmstream" select --id hiv1_protease "$T/seqs.tsr" | "$BIN/attn" -m "$M" --contacts \
  | "$BIN/truecontacts" --pdb "$SHARED/data/structures/paper_entries/7hvp.pdb" --chain A > "$T/tc1.tsr"
"$BIN/contacteval" --bootstrap 0 "$T/tc.tsr" "$T/tc1.tsr" > "$T/ce.tsv" 2> "$T/ce.err"
grep -q "3 of 4 records have no \"contacts_true\"" "$T/ce.err" && [ "$(grep -c '^hiv1_protease' "$T/ce.tsv")" -eq 1 ] &&
  pass "contacteval leaves out (and counts) the records truecontacts found no structure for" || fail "contacteval default: $(cat "$T/ce.err")"
check_fails "contacteval --missing error names the file and record" "tc.tsr: record \"ubiquitin\" lacks tensor \"contacts_true\"" "$BIN/contacteval" --missing error "$T/tc.tsr"
"$BIN/contacteval" < /dev/null > "$T/ce0.tsv" 2>/dev/null
[ ! -s "$T/ce0.tsv" ] && pass "contacteval writes nothing when its input is no stream" || fail "contacteval < /dev/null wrote $(wc -c < "$T/ce0.tsv") bytes"
