# pseudomsa.sh: pseudo-MSAs from the tiny random ESM-2 fixture: options, reproducibility by
# seed, the shape of the A3M, fixed positions, stream output, and pseudomsa | seqread | potts.
. tests/lib.sh
M=$SHARED/fixtures/models/esm2_t3_tiny_random.pt

for t in pseudomsa seqread potts plmstream; do
  [ -x "$BIN/$t" ] || { fail "pseudomsa: $BIN/$t not built"; exit 0; }
done
check "pseudomsa --help" "$BIN/pseudomsa" --help
check "pseudomsa --version" "$BIN/pseudomsa" --version
check_fails "pseudomsa: no model is a usage error" "no model" "$BIN/pseudomsa"
check_fails "pseudomsa: --fraction 0 is a usage error" "fraction" "$BIN/pseudomsa" -m x --fraction 0
check_fails "pseudomsa: --top-k 21 is a usage error" "top-k" "$BIN/pseudomsa" -m x --top-k 21
need_shared fixtures/models "pseudomsa" || exit 0

Q=MKTAYIAKQRQISFVKSHFSRQLEERLGLIEVQ
printf '>q1 a query\n%s\n>q2\nGSHMXKLV\n' "$Q" > "$T/q.fa"
"$BIN/seqread" --first 1 "$T/q.fa" > "$T/q1.tsr" && "$BIN/seqread" "$T/q.fa" > "$T/q.tsr" || { fail "pseudomsa: seqread failed"; exit 0; }

check "pseudomsa: 40 rows, seed 3" sh -c "'$BIN/pseudomsa' -m '$M' -n 40 --seed 3 '$T/q1.tsr' > '$T/a.a3m'"
check "pseudomsa: the same again" sh -c "'$BIN/pseudomsa' -m '$M' -n 40 --seed 3 '$T/q1.tsr' > '$T/b.a3m'"
"$BIN/pseudomsa" -m "$M" -n 40 --seed 4 "$T/q1.tsr" > "$T/c.a3m" 2>/dev/null
cmp -s "$T/a.a3m" "$T/b.a3m" && pass "pseudomsa: same seed, same output" || fail "pseudomsa: same seed, different output"
cmp -s "$T/a.a3m" "$T/c.a3m" && fail "pseudomsa: seeds 3 and 4 give the same output" || pass "pseudomsa: another seed, another output"

n=$(grep -c '^>' "$T/a.a3m")
[ "$n" -eq 41 ] && pass "pseudomsa: query + 40 rows" || fail "pseudomsa: $n rows, expected 41"
if [ "$(sed -n 1p "$T/a.a3m")" = ">q1" ] && [ "$(sed -n 2p "$T/a.a3m")" = "$Q" ] &&
   [ "$(sed -n 3p "$T/a.a3m")" = ">q1_sample_1" ] && [ "$(tail -n 2 "$T/a.a3m" | head -n 1)" = ">q1_sample_40" ]; then
  pass "pseudomsa: query first, then q1_sample_1 .. q1_sample_40"
else fail "pseudomsa: names or query wrong: $(head -n 4 "$T/a.a3m" | tr '\n' ' ')"; fi
bad=$(awk -v L=${#Q} 'NR % 2 == 0 && (length($0) != L || $0 !~ /^[ACDEFGHIKLMNPQRSTVWY]+$/)' "$T/a.a3m" | wc -l)
[ "$bad" -eq 0 ] && pass "pseudomsa: every row has the query's length and only standard amino acids" ||
  fail "pseudomsa: $bad rows of the wrong length or alphabet"
diff=$(awk -v q="$Q" 'NR > 2 && NR % 2 == 0 { for (i = 1; i <= length(q); i++) d += substr($0, i, 1) != substr(q, i, 1) } END { print d + 0 }' "$T/a.a3m")
[ "$diff" -gt 0 ] && pass "pseudomsa: the rows differ from the query ($diff residues)" || fail "pseudomsa: no row differs from the query"

# --fixed: positions 1-5 and 30 stay the query's, in every row
"$BIN/pseudomsa" -m "$M" -n 30 --fraction 0.5 --fixed 1-5,30 "$T/q1.tsr" > "$T/f.a3m" 2>"$T/err"
moved=$(awk -v q="$Q" 'NR % 2 == 0 && (substr($0, 1, 5) != substr(q, 1, 5) || substr($0, 30, 1) != substr(q, 30, 1))' "$T/f.a3m" | wc -l)
[ -s "$T/f.a3m" ] && [ "$moved" -eq 0 ] && pass "pseudomsa: --fixed 1-5,30 keeps those residues" ||
  fail "pseudomsa: --fixed: $moved rows changed a fixed residue $(head -c 200 "$T/err")"
check_fails "pseudomsa: --fixed past the end names the range" "outside 1-33" "$BIN/pseudomsa" -m "$M" -n 2 --fixed 40 "$T/q1.tsr"

# --chains: still -n rows; --argmax --restart 0 runs
"$BIN/pseudomsa" -m "$M" -n 10 --chains 3 "$T/q1.tsr" > "$T/ch.a3m" 2>"$T/err"
[ "$(grep -c '^>' "$T/ch.a3m")" -eq 11 ] && pass "pseudomsa: --chains 3 -n 10 writes 10 rows" || fail "pseudomsa: --chains: $(head -c 200 "$T/err")"
# batched forward passes give the rows of one pass per chain, byte for byte
"$BIN/pseudomsa" -m "$M" -n 40 --seed 3 --chains 3 "$T/q.tsr" > "$T/bat.a3m" 2>"$T/err"
"$BIN/pseudomsa" -m "$M" -n 40 --seed 3 --chains 3 --no-batch "$T/q.tsr" > "$T/nob.a3m" 2>>"$T/err"
[ -s "$T/bat.a3m" ] && cmp -s "$T/bat.a3m" "$T/nob.a3m" && pass "pseudomsa: --chains 3 batched = --no-batch" ||
  fail "pseudomsa: --chains 3 batched differs from --no-batch $(head -c 200 "$T/err")"
check "pseudomsa: --argmax --restart 0 --top-k 5" "$BIN/pseudomsa" -m "$M" -n 5 --argmax --restart 0 --top-k 5 "$T/q1.tsr"

# two records: two pseudo-MSAs; an X in the query stays unless redrawn
"$BIN/pseudomsa" -m "$M" -n 4 "$T/q.tsr" > "$T/two.a3m" 2>"$T/err"
if [ "$(grep -c '^>' "$T/two.a3m")" -eq 10 ] && grep -qx '>q2' "$T/two.a3m" && grep -qx '>q2_sample_4' "$T/two.a3m"; then
  pass "pseudomsa: one pseudo-MSA per input record"
else fail "pseudomsa: two records: $(grep '^>' "$T/two.a3m" | tr '\n' ' ') $(head -c 200 "$T/err")"; fi

# the stream: the same rows as the A3M, with metadata
"$BIN/pseudomsa" -m "$M" -n 40 --seed 3 --stream "$T/q1.tsr" > "$T/s.tsr" 2>"$T/err"
"$BIN/plmstream" ls -l "$T/s.tsr" > "$T/ls" 2>&1
if [ "$(wc -l < "$T/ls")" -eq 41 ] && grep -q 'q1_sample_40.*pseudomsa_row=40' "$T/ls"; then
  pass "pseudomsa --stream: 41 records with pseudomsa_row"
else fail "pseudomsa --stream: $(head -c 300 "$T/ls") $(head -c 200 "$T/err")"; fi

# end to end: the A3M through seqread into potts, and the stream straight into potts
if "$BIN/seqread" "$T/a.a3m" 2>"$T/err" | "$BIN/potts" --iters 30 -o "$T/p.tsr" 2>>"$T/err" &&
   "$BIN/plmstream" ls -l "$T/p.tsr" | grep -q "contacts:f32\[${#Q},${#Q}\]"; then
  pass "pseudomsa | seqread | potts: contacts ${#Q} x ${#Q}"
else fail "pseudomsa | seqread | potts: $(head -c 300 "$T/err")"; fi
if "$BIN/potts" --iters 30 -o "$T/p2.tsr" "$T/s.tsr" 2>"$T/err" && "$BIN/plmstream" ls -l "$T/p2.tsr" | grep -q 'contacts:f32'; then
  pass "pseudomsa --stream | potts"
else fail "pseudomsa --stream | potts: $(head -c 300 "$T/err")"; fi

# the experiment's mechanics: two small proteins, 50 rows each
if need_shared data/structures/pdb70_subset500 "pseudomsa experiment"; then
  if make -s -C experiments pseudomsa MODEL="$(cd "$(dirname "$M")" && pwd)/$(basename "$M")" SHARED="$(cd "$SHARED" && pwd)" \
       BIN="$(cd "$BIN" && pwd)" OUT="$T/exp" PMSA_NPROT=2 PMSA_ROWS=50 > "$T/table" 2>"$T/err" &&
     [ "$(grep -c '	2	' "$T/table")" -eq 2 ] && grep -q 'pseudomsa50+potts' "$T/table" && grep -q 'contact_head' "$T/table"; then
    pass "pseudomsa experiment: table with both methods over 2 proteins"
  else fail "pseudomsa experiment: $(head -c 300 "$T/table") $(tail -c 300 "$T/err")"; fi
fi
