# probe_attention.sh: token attention probes (probe's secondary structure from attention).
# numpy plants 3-class structure in layer 2's attention of 40 proteins: a helix residue
# attends to i +- 4, a strand residue to i +- 1, any other to i +- 2 (head 1; head 2 and
# layer 1 are noise). The attention probe must find it in layer 2 (macro F1 > 0.9) and
# not in layer 1 (< 0.6); --window 1 sees only i +- 1, so it cannot tell helix from
# other (F1 < 0.85); a window wider than the protein pads with 0.
. tests/lib.sh
need_python "probe attention" || exit 0
"$PYTHON" - "$T" <<'PY' || { fail "probe attention: write planted data"; exit 0; }
import sys, numpy as np
t = sys.argv[1]; rng = np.random.default_rng(11); aa = np.array(list('ACDEFGHIKLMNPQRSTVWY'))
with open(t + '/ss.csv', 'w') as ss, open(t + '/list', 'w') as lst:
    ss.write('input, dssp3, dssp8\n')
    for k in range(40):
        L = int(rng.integers(40, 80)); T = L + 2; seq = ''.join(rng.choice(aa, L)); cls = rng.integers(0, 3, L)
        ss.write('%s, %s, %s\n' % (' '.join(seq), ' '.join(np.array(['H', 'E', 'C'])[cls]), ' '.join(np.array(['H', 'E', 'C'])[cls])))
        a = rng.random((2, 2, T, T)).astype(np.float32) * 0.05
        for i in range(L):
            off = (4, 1, 2)[cls[i]]
            for j in (i - off, i + off):
                if 0 <= j < L: a[1, 0, i + 1, j + 1] += 1.0
        np.save('%s/a%d.npy' % (t, k), a / a.sum(-1, keepdims=True))
        np.save('%s/r%d.npy' % (t, k), rng.normal(size=(T, 4)).astype(np.float32))
        lst.write('p%d %s\n' % (k, seq))
PY
while read -r id seq; do
  k=${id#p}
  "$BIN/plmstream" from-npy --id "$id" --seq "$seq" repr0="$T/r$k.npy" attentions="$T/a$k.npy" > "$T/p$k.tsr" || break
done < "$T/list"
"$BIN/plmstream" cat "$T"/p[0-9]*.tsr > "$T/all.tsr"
check "probe -p ss on planted attention" sh -c "'$BIN/probe' --special bos,eos -p ss:file='$T/ss.csv' '$T/all.tsr' > '$T/w4.tsv'"
if awk -F'\t' '$1 == "attention" && $2 == 2 && $4 > 0.9 { a = 1 } $1 == "attention" && $2 == 1 && $4 < 0.6 { b = 1 } END { exit !(a && b) }' "$T/w4.tsv"
then pass "ss planted in layer 2's attention found: $(awk -F'\t' '$1 == "attention" { printf "L%s %.3f ", $2, $4 }' "$T/w4.tsv")"
else fail "attention ss probe: $(cat "$T/w4.tsv")"; fi
check "probe --window 1" sh -c "'$BIN/probe' --special bos,eos --window 1 -p ss:file='$T/ss.csv' '$T/all.tsr' > '$T/w1.tsv'"
if awk -F'\t' '$1 == "attention" && $2 == 2 && $4 < 0.85 { a = 1 } END { exit !a }' "$T/w1.tsv"
then pass "--window 1 cannot see i +- 4: $(awk -F'\t' '$1 == "attention" && $2 == 2 { printf "%.3f", $4 }' "$T/w1.tsv")"
else fail "--window 1: $(cat "$T/w1.tsv")"; fi
check "probe --window 64 (wider than every protein)" sh -c "'$BIN/probe' --special bos,eos --window 64 -p ss:file='$T/ss.csv' '$T/all.tsr' > /dev/null"
