# resume.sh: -o FILE --resume in pseudomsa, potts, msaensemble and headstat (attn's is in batch.sh),
# and --progress / --quiet in those and lrfit.
#
# Each tool runs once uninterrupted; then real runs are killed with SIGKILL at several points and
# resumed, and the result must be byte-identical (cmp) to the uninterrupted output. Where a run
# is too fast to catch, its input is a FIFO fed part of the input that then blocks, so the kill
# lands at a known place; outputs cut at chosen bytes (inside a record, inside a line) are
# resumed too. Real data: slices of GREMLIN's 1whzA and CCMpred's 1atzA alignments; models: the
# tiny random fixtures (the 8M shape where a run must last long enough to be cut).
. tests/lib.sh
M=$SHARED/fixtures/models
for t in seqread attn pseudomsa potts msaensemble headstat plmstream; do
  [ -x "$BIN/$t" ] || { fail "resume: $BIN/$t not built"; exit 0; }
done
need_shared fixtures/models "resume" || exit 0
need_shared data/msa/gremlin "resume" || exit 0
need_python "resume" || exit 0

# size FILE: its bytes, 0 when absent
size() { if [ -f "$1" ]; then wc -c < "$1"; else echo 0; fi; }

# kill_at BYTES FILE CMD...: run CMD, SIGKILL it once FILE holds BYTES bytes (0: at once)
kill_at() {
  want=$1 file=$2; shift 2
  "$@" 2>/dev/null & pid=$!
  while [ "$want" -gt 0 ] && kill -0 $pid 2>/dev/null && [ "$(size "$file")" -lt "$want" ]; do sleep 0.02; done
  kill -KILL $pid 2>/dev/null; wait $pid 2>/dev/null
}

# kill_fed PART PROBE CMD...: CMD reads the FIFO $T/fifo; PART is written into it, which then stays
# open, so CMD blocks for more; once the shell command PROBE succeeds CMD is killed with SIGKILL
kill_fed() {
  part=$1 probe=$2; shift 2
  rm -f "$T/fifo"; mkfifo "$T/fifo"
  "$@" 2>/dev/null & pid=$!
  exec 3>"$T/fifo"
  cat "$part" >&3
  n=0
  until sh -c "$probe" || [ $n -ge 500 ]; do sleep 0.02; n=$((n + 1)); done
  kill -KILL $pid 2>/dev/null; wait $pid 2>/dev/null
  exec 3>&-
}

# same NAME OUT WANT CMD...: CMD (a resume) must succeed and leave OUT equal to WANT
same() {
  name=$1 out=$2 want=$3; shift 3
  if "$@" >/dev/null 2>"$T/err" && cmp -s "$out" "$want"; then pass "$name"
  else fail "$name: $(head -c 300 "$T/err") $(cmp "$out" "$want" 2>&1 | head -c 200)"; fi
}

# ------------------------------------------------------------------ pseudomsa
random_fasta 5 30 70 7 > "$T/q.fa"
"$BIN/seqread" "$T/q.fa" > "$T/q.tsr"
P="$BIN/pseudomsa -m $M/esm2_t6_8M_shape_random.pt -n 16 --chains 2 --threads 2 --seed 4"
$P --stream -o "$T/ps.tsr" "$T/q.tsr"
$P -o "$T/pa.a3m" "$T/q.tsr"
full=$(size "$T/ps.tsr")
for pct in 0 40 90; do
  rm -f "$T/cut.tsr"
  kill_at $((full * pct / 100)) "$T/cut.tsr" $P --stream -o "$T/cut.tsr" "$T/q.tsr"
  kept=$(size "$T/cut.tsr")
  same "pseudomsa --stream --resume after SIGKILL at $kept of $full bytes = the uninterrupted run" "$T/cut.tsr" "$T/ps.tsr" \
    $P --stream -o "$T/cut.tsr" --resume "$T/q.tsr"
done
# A3M goes through stdio's buffer, so a kill cuts it anywhere; here at chosen bytes, and for real
# (the first queries fed, the run blocked on the FIFO for the rest)
head -n 4 "$T/q.fa" | "$BIN/seqread" > "$T/q2.tsr"
kill_fed "$T/q2.tsr" "sleep 1" $P -o "$T/cut.a3m" "$T/fifo"
same "pseudomsa A3M --resume after SIGKILL with 2 of 5 queries fed ($(size "$T/cut.a3m") bytes kept)" "$T/cut.a3m" "$T/pa.a3m" \
  $P -o "$T/cut.a3m" --resume "$T/q.tsr"
a3m=$(size "$T/pa.a3m")
for at in 1500 $((a3m / 2 + 7)) $((a3m - 1)) $a3m; do
  head -c $at "$T/pa.a3m" > "$T/cut.a3m"
  same "pseudomsa A3M --resume of its first $at of $a3m bytes = the uninterrupted run" "$T/cut.a3m" "$T/pa.a3m" \
    $P -o "$T/cut.a3m" --resume "$T/q.tsr"
done
head -c 3000 "$T/pa.a3m" > "$T/cut.a3m"
check_fails "pseudomsa --resume refuses other queries" "not the same input" \
  sh -c "tail -n 4 '$T/q.fa' | '$BIN/seqread' | $P -o '$T/cut.a3m' --resume"
cmp -s "$T/cut.a3m" "$T/pa.a3m" && fail "pseudomsa: a refused resume changed FILE" || \
  { [ "$(size "$T/cut.a3m")" -eq 3000 ] && pass "pseudomsa: a refused resume leaves FILE as it was" || fail "pseudomsa: a refused resume changed FILE"; }
check_fails "pseudomsa --resume needs -o" "needs -o FILE" $P --resume "$T/q.tsr"

# ---------------------------------------------------------------------- potts
# four families: slices of two real alignments, each its own STREAM
G=$SHARED/data/msa/gremlin/1whzA.id90cov82.cut.msa
C=$SHARED/data/msa/ccmpred/1atzA.aln
head -n 120 "$G" > "$T/f1.msa"; head -n 120 "$C" > "$T/f2.aln"
sed -n 201,320p "$G" > "$T/f3.msa"; sed -n 401,520p "$C" > "$T/f4.aln"
for i in 1 2 3 4; do "$BIN/seqread" "$T"/f$i.* > "$T/fam$i.tsr"; done
PT="$BIN/potts --iters 10 --threads 1"
$PT -o "$T/pt.tsr" "$T/fam1.tsr" "$T/fam2.tsr" "$T/fam3.tsr" "$T/fam4.tsr"
n=$("$BIN/plmstream" ls "$T/pt.tsr" | wc -l)
[ "$n" -eq 4 ] && pass "potts over 4 STREAMs writes 4 records" || fail "potts over 4 STREAMs wrote $n records"
check_fails "potts: --rr with several STREAMs is refused" "one family" $PT --rr "$T/x.rr" -o "$T/x.tsr" "$T/fam1.tsr" "$T/fam2.tsr"
for k in 0 1 3; do                  # killed while waiting for family k + 1 (a FIFO)
  rm -f "$T/cut.tsr"
  set -- "$T/fam1.tsr" "$T/fam2.tsr" "$T/fam3.tsr" "$T/fam4.tsr"
  args=""; i=0; for f; do i=$((i + 1)); if [ $i -eq $((k + 1)) ]; then args="$args $T/fifo"; else args="$args $f"; fi; done
  kill_fed "$T/fam$((k + 1)).tsr" "[ \$('$BIN/plmstream' ls '$T/cut.tsr' 2>/dev/null | wc -l) -ge $k ]" $PT -o "$T/cut.tsr" $args
  same "potts --resume after SIGKILL with $k of 4 families done = the uninterrupted run" "$T/cut.tsr" "$T/pt.tsr" \
    $PT -o "$T/cut.tsr" --resume "$T/fam1.tsr" "$T/fam2.tsr" "$T/fam3.tsr" "$T/fam4.tsr"
done
full=$(size "$T/pt.tsr")
head -c $((full * 3 / 5)) "$T/pt.tsr" > "$T/cut.tsr"
same "potts --resume of an output cut inside its third record" "$T/cut.tsr" "$T/pt.tsr" \
  $PT -o "$T/cut.tsr" --resume "$T/fam1.tsr" "$T/fam2.tsr" "$T/fam3.tsr" "$T/fam4.tsr"
check_fails "potts --resume refuses families in another order" "not the same input" \
  $PT -o "$T/cut.tsr" --resume "$T/fam2.tsr" "$T/fam1.tsr" "$T/fam3.tsr" "$T/fam4.tsr"
cmp -s "$T/cut.tsr" "$T/pt.tsr" && pass "potts: a refused resume leaves FILE as it was" || fail "potts: a refused resume changed FILE"

# ---------------------------------------------------------------- msaensemble
# six families of 6 sequences, each with the tiny model's contacts
for i in 1 2 3 4; do head -n 12 "$T"/f$i.* > "$T/e$i.aln"; sed -n 13,24p "$T"/f$i.* > "$T/e$((i + 4)).aln"; done
for i in 1 2 3 4 5 6; do
  "$BIN/seqread" "$T/e$i.aln" | "$BIN/attn" -m "$M/esm2_t3_tiny_random.pt" --threads 1 --contacts > "$T/en$i.tsr"
done
E="$T/en1.tsr $T/en2.tsr $T/en3.tsr $T/en4.tsr $T/en5.tsr $T/en6.tsr"
"$BIN/msaensemble" -o "$T/me.tsr" $E
n=$("$BIN/plmstream" ls "$T/me.tsr" | wc -l)
[ "$n" -eq 6 ] && pass "msaensemble over 6 STREAMs writes 6 records" || fail "msaensemble over 6 STREAMs wrote $n records"
"$BIN/msaensemble" -o "$T/one.tsr" "$T/en3.tsr"
"$BIN/plmstream" ls "$T/me.tsr" | sed -n 3p > "$T/l3"; "$BIN/plmstream" ls "$T/one.tsr" | sed 's/^1/3/' > "$T/l1"
cmp -s "$T/l3" "$T/l1" && pass "msaensemble: the third record of a 6-STREAM run is the one-STREAM run's" || fail "msaensemble: the third record differs from its own run"
for k in 0 2 5; do
  rm -f "$T/cut.tsr"
  args=""; i=0; for f in $E; do i=$((i + 1)); if [ $i -eq $((k + 1)) ]; then args="$args $T/fifo"; else args="$args $f"; fi; done
  kill_fed "$T/en$((k + 1)).tsr" "[ \$('$BIN/plmstream' ls '$T/cut.tsr' 2>/dev/null | wc -l) -ge $k ]" "$BIN/msaensemble" -o "$T/cut.tsr" $args
  same "msaensemble --resume after SIGKILL with $k of 6 families done = the uninterrupted run" "$T/cut.tsr" "$T/me.tsr" \
    "$BIN/msaensemble" -o "$T/cut.tsr" --resume $E
done
full=$(size "$T/me.tsr")
for at in 10 $((full / 3)) $((full - 1)); do
  head -c $at "$T/me.tsr" > "$T/cut.tsr"
  same "msaensemble --resume of its first $at of $full bytes" "$T/cut.tsr" "$T/me.tsr" "$BIN/msaensemble" -o "$T/cut.tsr" --resume $E
done

# ------------------------------------------------------------------- headstat
# a run aggregates: its checkpoint (FILE.checkpoint, here after every record) is what a resume keeps
"$BIN/seqread" "$T/e1.aln" | "$BIN/attn" -m "$M/esm2_t3_tiny_random.pt" --threads 1 --attentions > "$T/h1.tsr"
"$BIN/seqread" "$T/e2.aln" | "$BIN/attn" -m "$M/esm2_t3_tiny_random.pt" --threads 1 --attentions > "$T/h2.tsr"
head -n 3 "$T/e1.aln" | "$BIN/seqread" | "$BIN/attn" -m "$M/esm2_t3_tiny_random.pt" --threads 1 --attentions > "$T/h0.tsr"
cat "$T/h1.tsr" "$T/h2.tsr" > "$T/h.tsr"         # 24 records, two stream members: one input
H="$BIN/headstat -p aa --min-arcs 5 --with-null $T/null.tsv"
$H -o "$T/hs.tsv" "$T/h.tsr"; cp "$T/null.tsv" "$T/null.want"
$H > "$T/hs.stdout" "$T/h.tsr"
cmp -s "$T/hs.tsv" "$T/hs.stdout" && pass "headstat -o FILE writes the report stdout would get" || fail "headstat -o FILE differs from stdout"
[ -e "$T/hs.tsv.checkpoint" ] && fail "headstat: a finished run leaves its checkpoint" || pass "headstat: a finished run removes its checkpoint"
kill_fed "$T/h1.tsr" "grep -q '^records 12' '$T/cut.tsv.checkpoint' 2>/dev/null" $H --checkpoint 0 -o "$T/cut.tsv" "$T/fifo"
grep -q '^records 12' "$T/cut.tsv.checkpoint" 2>/dev/null && pass "headstat --checkpoint 0: 12 records counted when killed" \
  || fail "headstat: no checkpoint of 12 records"
[ -e "$T/cut.tsv" ] && fail "headstat: a killed run left a report" || pass "headstat: a killed run leaves no report, only its checkpoint"
check_fails "headstat --resume refuses another input" "not the same input" $H -o "$T/cut.tsv" --resume "$T/h2.tsr"
check_fails "headstat --resume refuses another --theta" "other properties" $H --theta 0.2 -o "$T/cut.tsv" --resume "$T/h.tsr"
same "headstat --resume from a checkpoint of 12 of 24 records = the uninterrupted report" "$T/cut.tsv" "$T/hs.tsv" \
  $H -o "$T/cut.tsv" --resume "$T/h.tsr"
cmp -s "$T/null.tsv" "$T/null.want" && pass "headstat --resume: the --with-null report too" || fail "headstat --resume: the null report differs"
rm -f "$T/cut.tsv"
kill_fed "$T/h0.tsr" "grep -q '^records 3' '$T/cut.tsv.checkpoint' 2>/dev/null" $H --checkpoint 0 -o "$T/cut.tsv" "$T/fifo"
same "headstat --resume from a checkpoint of 3 records" "$T/cut.tsv" "$T/hs.tsv" $H -o "$T/cut.tsv" --resume "$T/h.tsr"
check_fails "headstat --resume needs -o" "needs -o FILE" $H --resume "$T/h.tsr"

# ------------------------------------------------------------------- progress
# forced on with stderr a file, silent by default there
progress_check() {
  tool=$1; shift
  if "$@" --progress >/dev/null 2>"$T/perr" && grep -q "$tool: [0-9]* records" "$T/perr"; then pass "$tool --progress draws its line on a file"
  else fail "$tool --progress: $(head -c 200 "$T/perr")"; fi
  if "$@" >/dev/null 2>"$T/perr" && ! grep -q "records" "$T/perr"; then pass "$tool is silent on a stderr that is no terminal"
  else fail "$tool without --progress wrote: $(head -c 200 "$T/perr")"; fi
  "$@" --progress --quiet >/dev/null 2>"$T/perr"; [ -s "$T/perr" ] && fail "$tool --quiet after --progress still drew" || pass "$tool --quiet wins when last"
}
progress_check pseudomsa $P -o "$T/p.a3m" "$T/q.tsr"
progress_check potts $PT -o "$T/p.tsr" "$T/fam1.tsr" "$T/fam2.tsr"
progress_check msaensemble "$BIN/msaensemble" -o "$T/p.tsr" $E
progress_check headstat "$BIN/headstat" -p aa -o "$T/p.tsv" "$T/h.tsr"
"$BIN/seqread" "$T/q.fa" | "$BIN/attn" -m "$M/esm2_t3_tiny_random.pt" --attentions --threads 1 | "$BIN/apc" > "$T/apc.tsr"
progress_check lrfit "$BIN/lrfit" predict -w "$M/esm2_t3_tiny_random-contact-regression.pt" -o "$T/p.tsr" "$T/apc.tsr"
