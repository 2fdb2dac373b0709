# msaensemble.sh: the alignment ensemble against a numpy oracle, on a hand-built
# A3M (gaps, inserted residues, a query with inserts) and on the first sequences
# of a real one; a one-sequence ensemble is its input map; bad inputs refused.
. tests/lib.sh
M=$SHARED/fixtures/models/esm2_t6_8M_shape_random.pt
REAL=$SHARED/data/msa/esm/data/UniRef50_E9K9Y4.a3m

for t in seqread attn plmstream msaensemble; do
  [ -x "$BIN/$t" ] || { skip "msaensemble: $BIN/$t not built"; exit 0; }
done
need_shared fixtures/models "msaensemble" || exit 0

check "msaensemble --help" "$BIN/msaensemble" --help
check "msaensemble --version" "$BIN/msaensemble" --version

# 12 match columns; s1 and s3 have inserted residues (lowercase), so colmap -1
cat > "$T/hand.a3m" <<'EOF'
>q
MKT-LLVAGW-E
>s1
MKyAALLV-dGWKE
>s2
-KTALL--GWKE
>s3
MKTpALL-AGW--
EOF

# oracle T IN OUT QUERY: the mean over records of each column pair, on QUERY's residues
oracle() {
  "$PYTHON" - "$@" <<'PY'
import re, sys, numpy as np
T, ind, outd, query = sys.argv[1:5]
ids = [l.split("\t")[1] for l in open(f"{T}/ids") if l.strip()]
stem = lambda s: re.sub(r"^\.", "_", re.sub(r"[^A-Za-z0-9._+-]", "_", s))
cm = {i: np.load(f"{ind}/{stem(i)}.colmap.npy") for i in ids}
C = max(c.max() for c in cm.values()) + 1
S, N = np.zeros((C, C)), np.zeros((C, C), int)
for i in ids:
    x, c = np.load(f"{ind}/{stem(i)}.contacts.npy").astype(np.float64), cm[i]
    k = np.flatnonzero(c >= 0)
    S[np.ix_(c[k], c[k])] += x[np.ix_(k, k)]
    N[np.ix_(c[k], c[k])] += 1
q = cm[query]; L = len(q); k = np.flatnonzero(q >= 0)
want, wcnt = np.zeros((L, L)), np.zeros((L, L), int)
want[np.ix_(k, k)] = S[np.ix_(q[k], q[k])] / N[np.ix_(q[k], q[k])]
wcnt[np.ix_(k, k)] = N[np.ix_(q[k], q[k])]
got, cnt = np.load(f"{outd}/{stem(query)}.contacts.npy"), np.load(f"{outd}/{stem(query)}.ensemble_count.npy")
d = np.abs(got - want).max()
print(f"{len(ids)} records, L {L}, max |diff| {d:.1e}, counts {cnt.min()}..{cnt.max()}")
sys.exit(0 if got.shape == (L, L) and d < 1e-6 and (cnt == wcnt).all() else 1)
PY
}

# ensemble IN.tsr OUT-TAG [msaensemble options]: run it, decode input and output to npy
ensemble() {
  in=$1 tag=$2; shift 2
  rm -rf "$T/$tag.in" "$T/$tag.out"
  "$BIN/plmstream" ls "$in" > "$T/ids" && "$BIN/plmstream" npy -o "$T/$tag.in" "$in" &&
    "$BIN/msaensemble" "$@" "$in" > "$T/$tag.ens.tsr" && "$BIN/plmstream" npy -o "$T/$tag.out" "$T/$tag.ens.tsr"
}

if "$BIN/seqread" -f a3m "$T/hand.a3m" 2>"$T/err" | "$BIN/attn" -m "$M" --contacts > "$T/hand.tsr" 2>>"$T/err"; then
  if need_python "msaensemble oracle"; then
    for q in q s1; do
      if ensemble "$T/hand.tsr" "hand_$q" --query "$q" 2>"$T/err" && out=$(oracle "$T" "$T/hand_$q.in" "$T/hand_$q.out" "$q" 2>&1); then
        pass "msaensemble --query $q matches the numpy oracle: $out"
      else fail "msaensemble --query $q vs oracle: $out $(head -c 300 "$T/err")"; fi
    done
  fi
  "$BIN/msaensemble" "$T/hand.tsr" | "$BIN/plmstream" ls -l > "$T/ls" 2>&1
  if grep -q '^1	q	10	.*contacts:f32\[10,10\].*ensemble_count:i32\[10,10\].*ensemble_n=4' "$T/ls"; then
    pass "msaensemble writes the first record with contacts, ensemble_count and ensemble_n"
  else fail "msaensemble output: $(head -c 300 "$T/ls")"; fi
  check "msaensemble --max-seqs 2" sh -c "'$BIN/msaensemble' --max-seqs 2 '$T/hand.tsr' | '$BIN/plmstream' ls -l | grep -q 'ensemble_n=2'"
  check_fails "msaensemble: query outside --max-seqs" 'query "s3" is not among the 2 records' \
    "$BIN/msaensemble" --max-seqs 2 --query s3 "$T/hand.tsr"
  check_fails "msaensemble: a record without the map" 'record 1 ("q"): no tensor "contacts"' \
    sh -c "'$BIN/seqread' -f a3m '$T/hand.a3m' | '$BIN/msaensemble'"
  check_fails "msaensemble: --tensor names a missing map" 'no tensor "apc"' "$BIN/msaensemble" --tensor apc "$T/hand.tsr"
  printf '>p\nMKTALLVAGW\n' > "$T/plain.fa"
  "$BIN/seqread" "$T/plain.fa" | "$BIN/attn" -m "$M" --contacts > "$T/plain.tsr"
  check_fails "msaensemble: a record without colmap" 'record 1 ("p"): no colmap' "$BIN/msaensemble" "$T/plain.tsr"
  "$BIN/seqread" -f a3m "$T/hand.a3m" --first 1 | "$BIN/attn" -m "$M" --contacts > "$T/q.tsr"
  printf '>w\nMKTALLVAGW-\n' | "$BIN/seqread" -f afa | "$BIN/attn" -m "$M" --contacts > "$T/w11.tsr"
  "$BIN/plmstream" cat "$T/q.tsr" "$T/w11.tsr" > "$T/mixed.tsr"
  check_fails "msaensemble: records of two alignments" 'record 2 ("w"): aligned row has 11 columns, the first record'"'"'s 12' \
    "$BIN/msaensemble" "$T/mixed.tsr"
  check_fails "msaensemble: --max-seqs 0 is a usage error" "max-seqs" "$BIN/msaensemble" --max-seqs 0 "$T/hand.tsr"
else
  fail "msaensemble: seqread | attn on the hand-built A3M: $(head -c 300 "$T/err")"
fi

# a real alignment: the first 5 sequences of a 98-column A3M
if need_shared data/msa/esm/data "msaensemble on a real A3M"; then
  if "$BIN/seqread" --first 5 "$REAL" 2>"$T/err" | "$BIN/attn" -m "$M" --contacts > "$T/real.tsr" 2>>"$T/err"; then
    "$BIN/msaensemble" "$T/real.tsr" | "$BIN/plmstream" ls -l > "$T/ls" 2>&1
    if grep -q '^1	UniRef50_E9K9Y4	98	.*contacts:f32\[98,98\].*ensemble_count:i32\[98,98\].*ensemble_n=5' "$T/ls"; then
      pass "msaensemble on 5 sequences of UniRef50_E9K9Y4: [98, 98] maps, ensemble_n=5"
    else fail "msaensemble real output: $(head -c 300 "$T/ls")"; fi
    if [ -n "$PYTHON" ]; then
      if ensemble "$T/real.tsr" real 2>"$T/err" && out=$(oracle "$T" "$T/real.in" "$T/real.out" UniRef50_E9K9Y4 2>&1); then
        pass "msaensemble on the real A3M matches the numpy oracle: $out"
      else fail "msaensemble real vs oracle: $out $(head -c 300 "$T/err")"; fi
    fi
    rm -rf "$T/one.in" "$T/one.out"
    if "$BIN/msaensemble" --max-seqs 1 "$T/real.tsr" > "$T/one.tsr" && "$BIN/plmstream" npy -o "$T/one.out" "$T/one.tsr" &&
       "$BIN/plmstream" select --first 1 "$T/real.tsr" | "$BIN/plmstream" npy -o "$T/one.in" &&
       cmp -s "$T/one.in/UniRef50_E9K9Y4.contacts.npy" "$T/one.out/UniRef50_E9K9Y4.contacts.npy"; then
      pass "msaensemble: a one-sequence ensemble is its input map, bit for bit"
    else fail "msaensemble: a one-sequence ensemble differs from its input"; fi
  else
    fail "msaensemble: seqread | attn on $REAL: $(head -c 300 "$T/err")"
  fi
fi
