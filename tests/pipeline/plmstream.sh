# plmstream.sh: plmstream on the golden .npy files of ../shared, checked by numpy.
#
# from-npy builds streams of the esm2_t3_tiny_random golden tensors; npy must give
# the files back byte for byte; ls, select, merge, tsv, rr and fasta are checked
# line by line against numpy; damaged streams and bad input must fail naming the record.
. tests/lib.sh
PS="$BIN/plmstream"
G=$SHARED/fixtures/golden/esm2_t3_tiny_random
need_shared fixtures/golden/esm2_t3_tiny_random "plmstream pipeline" || exit 0
need_python "plmstream pipeline" || exit 0

UBQ=MQIFVKTLTGKTITLEVEPSDTIENVKAKIQDKEGIPPDQQRLIFAGKQLEDGRTLSDYNIQKESTLHLVLRLRGG
MASKED='MKTAY<mask>AKQRQISFVK<mask><mask>HFSRQLEERLGLIEVQ'
TENSORS="tokens logits attentions contacts repr0"

# one record NAME SEQ with the golden TENSORS
from_golden() {
  rec=$1 sq=$2; set --
  for tn in $TENSORS; do set -- "$@" "$tn=$G/$rec.$tn.npy"; done
  "$PS" from-npy --id "$rec" --seq "$sq" -z 1 "$@" > "$T/$rec.tsr"
}
check "from-npy ubq" from_golden ubq "$UBQ"
check "from-npy pep7" from_golden pep7 MKTAYIA
check "from-npy masked" from_golden masked "$MASKED"
check "cat three streams" sh -c "'$PS' cat '$T/ubq.tsr' '$T/pep7.tsr' '$T/masked.tsr' > '$T/all.tsr'"

# ls: one line per record, shapes as index.json gives them
cat > "$T/ls.want" <<EOF
1	ubq	76	tokens:f32[78]	logits:f32[78,33]	attentions:f32[3,6,78,78]	contacts:f32[76,76]	repr0:f32[78,96]
2	pep7	7	tokens:f32[9]	logits:f32[9,33]	attentions:f32[3,6,9,9]	contacts:f32[7,7]	repr0:f32[9,96]
3	masked	34	tokens:f32[36]	logits:f32[36,33]	attentions:f32[3,6,36,36]	contacts:f32[34,34]	repr0:f32[36,96]
EOF
check "ls lists records and shapes" sh -c "'$PS' ls '$T/all.tsr' | diff - '$T/ls.want'"
check "ls reads stdin" sh -c "'$PS' ls < '$T/all.tsr' | diff - '$T/ls.want'"

# npy: every tensor back byte for byte, and equal in numpy
npy_same() {   # DIR NAME...: DIR/NAME.T.npy equals the golden file for every T
  dir=$1; shift
  for rec in "$@"; do for tn in $TENSORS; do
    cmp -s "$dir/$rec.$tn.npy" "$G/$rec.$tn.npy" || { echo "$rec.$tn differs" >&2; return 1; }
  done; done
  "$PYTHON" - "$dir" "$G" "$@" <<'EOF'
import sys, numpy as np
d, g, names = sys.argv[1], sys.argv[2], sys.argv[3:]
for n in names:
    for t in "tokens logits attentions contacts repr0".split():
        a, b = np.load(f"{d}/{n}.{t}.npy"), np.load(f"{g}/{n}.{t}.npy")
        assert a.dtype == b.dtype and a.shape == b.shape and np.array_equal(a, b), (n, t)
EOF
}
check "npy -o writes every tensor" "$PS" npy -o "$T/npy" "$T/all.tsr"
check "npy files equal the golden files, bytes and numpy values" npy_same "$T/npy" ubq pep7 masked
check "npy --tensor writes only those" sh -c "'$PS' npy -o '$T/npy2' --tensor contacts,tokens '$T/pep7.tsr' && [ \"\$(ls '$T/npy2' | tr '\n' ' ')\" = 'pep7.contacts.npy pep7.tokens.npy ' ]"
check_fails "npy --tensor that a record lacks" 'record 1 ("pep7"): no tensor .nope.' "$PS" npy -o "$T/npy3" --tensor nope "$T/pep7.tsr"
check "npy sanitizes ids into file names" sh -c "'$PS' from-npy --id '../x/y' --seq M t='$G/short1.tokens.npy' | '$PS' npy -o '$T/npy4' && [ -f '$T/npy4/_._x_y.t.npy' ] && [ \"\$(ls '$T/npy4')\" = '_._x_y.t.npy' ]"
check_fails "npy refuses ids that sanitize alike" 'are taken by record 1 of the input' sh -c \
  "{ '$PS' from-npy --id a/b --seq M t='$G/short1.tokens.npy'; '$PS' from-npy --id a_b --seq M t='$G/short1.tokens.npy'; } > '$T/ab.tsr' && '$PS' npy -o '$T/npy5' '$T/ab.tsr' '$T/ab.tsr'"

# select
check "select --id" sh -c "[ \"\$('$PS' select --id masked --id pep7 '$T/all.tsr' | '$PS' ls | cut -f2 | tr '\n' ' ')\" = 'pep7 masked ' ]"
printf '# wanted\n  ubq \n\nmasked\n' > "$T/ids"
check "select --ids FILE" sh -c "[ \"\$('$PS' select --ids '$T/ids' '$T/all.tsr' | '$PS' ls | cut -f2 | tr '\n' ' ')\" = 'ubq masked ' ]"
check "select --index 2-3" sh -c "[ \"\$('$PS' select --index 2-3 '$T/all.tsr' | '$PS' ls | cut -f2 | tr '\n' ' ')\" = 'pep7 masked ' ]"
check "select --index 2-" sh -c "[ \"\$('$PS' select --index 2- '$T/all.tsr' | '$PS' ls | cut -f2 | tr '\n' ' ')\" = 'pep7 masked ' ]"
check "select --first 2 across files" sh -c "[ \"\$('$PS' select --first 2 '$T/pep7.tsr' '$T/all.tsr' | '$PS' ls | cut -f2 | tr '\n' ' ')\" = 'pep7 ubq ' ]"
check "select --keep-tensor" sh -c "[ \"\$('$PS' select --keep-tensor contacts,tokens '$T/pep7.tsr' | '$PS' ls | cut -f4-)\" = \"\$(printf 'tokens:f32[9]\tcontacts:f32[7,7]')\" ]"
check "select --drop-tensor" sh -c "[ \"\$('$PS' select --drop-tensor attentions,logits,repr0 '$T/pep7.tsr' | '$PS' ls | cut -f4-)\" = \"\$(printf 'tokens:f32[9]\tcontacts:f32[7,7]')\" ]"
check_fails "select refuses --keep-tensor with --drop-tensor" 'not both' "$PS" select --keep-tensor a --drop-tensor b "$T/all.tsr"

# merge: tensors split in two streams come back together
"$PS" select --keep-tensor tokens,logits,attentions "$T/all.tsr" > "$T/part1.tsr"
"$PS" select --keep-tensor contacts,repr0 "$T/all.tsr" > "$T/part2.tsr"
check "merge A B" sh -c "'$PS' merge '$T/part1.tsr' '$T/part2.tsr' > '$T/merged.tsr' && '$PS' ls '$T/merged.tsr' | diff - '$T/ls.want'"
check "merged tensors equal the golden files" sh -c "'$PS' npy -o '$T/npym' '$T/merged.tsr'"
check "merged npy files equal the golden files" npy_same "$T/npym" ubq pep7 masked
check_fails "merge names both records on an id mismatch" "record 1 (\"ubq\"): its id differs from .*pep7.tsr: record 1 (\"pep7\")" \
  "$PS" merge "$T/all.tsr" "$T/pep7.tsr"
check_fails "merge refuses streams of different lengths" 'ends before it' "$PS" merge "$T/ubq.tsr" "$T/all.tsr"

# tsv: %.9g values read back as float32 equal numpy's exactly
tsv_same() {   # NAME TENSOR [--matrix]
  "$PS" tsv --tensor "$2" $3 "$T/$1.tsr" > "$T/tsv" || return 1
  "$PYTHON" - "$T/tsv" "$G/$1.$2.npy" "$1" "$3" <<'EOF'
import sys, numpy as np
path, npy, name, matrix = sys.argv[1:5]
a = np.load(npy)
if matrix:
    lines = open(path).read().split("\n")
    assert lines[0] == "# " + name, lines[0]
    m = np.loadtxt(path, dtype=np.float64, ndmin=2)
    assert m.shape == a.shape and np.array_equal(m.astype(np.float32), a)
else:
    rows = [l.split("\t") for l in open(path).read().splitlines()]
    assert len(rows) == a.size, (len(rows), a.size)
    for k, (r, idx) in enumerate(zip(rows, np.ndindex(a.shape))):
        assert r[0] == name and tuple(int(x) for x in r[1:-1]) == idx, (k, r)
        assert np.float32(r[-1]) == a[idx], (k, r, a[idx])
EOF
}
check "tsv rank 1 (tokens) equals numpy" tsv_same pep7 tokens
check "tsv rank 2 (contacts) equals numpy" tsv_same ubq contacts
check "tsv rank 4 (attentions) equals numpy" tsv_same pep7 attentions
check "tsv --matrix loads in np.loadtxt, equal" tsv_same masked contacts --matrix
check_fails "tsv --matrix refuses rank 4" 'needs a rank-2 tensor' "$PS" tsv --matrix --tensor attentions "$T/pep7.tsr"
check_fails "tsv names the record lacking the tensor" 'record 1 ("ubq"): no tensor .nope.' "$PS" tsv --tensor nope "$T/all.tsr"

# rr: format, order, separation and count, against numpy's ranking
rr_ok() {   # NAME COUNT MINSEP FILE
  "$PYTHON" - "$4" "$G/$1.contacts.npy" "$1" "$2" "$3" "$5" <<'EOF'
import sys, numpy as np
path, npy, name, count, minsep, seq = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]), sys.argv[6]
c = np.load(npy); L = c.shape[0]
lines = open(path).read().splitlines()
assert lines[:3] == ["PFRMAT RR", "TARGET " + name, "MODEL 1"], lines[:3]
nseq = (L + 49) // 50
want_seq = seq.replace("<mask>", "X")
assert lines[3:3 + nseq] == [want_seq[k:k + 50] for k in range(0, L, 50)], lines[3:3 + nseq]
assert lines[-1] == "END"
pairs = [l.split() for l in lines[3 + nseq:-1]]
assert len(pairs) == count, (len(pairs), count)
prev = None
for f in pairs:
    i, j, lo, hi, p = int(f[0]), int(f[1]), f[2], f[3], float(f[4])
    assert lo == "0" and hi == "8" and 1 <= i < j <= L and j - i >= minsep, f
    assert abs(p - c[i - 1, j - 1]) <= 5e-7, (f, c[i - 1, j - 1])
    assert prev is None or prev >= c[i - 1, j - 1], f
    prev = c[i - 1, j - 1]
iu = [(i, j) for i in range(L) for j in range(i + minsep, L)]
best = sorted((c[i, j] for i, j in iu), reverse=True)[:count]
assert np.allclose(sorted([float(f[4]) for f in pairs], reverse=True), best, atol=5e-7)
EOF
}
check "rr --top 10" sh -c "'$PS' rr --top 10 '$T/ubq.tsr' > '$T/ubq.rr'"
check "rr --top 10: header, sequence, 10 pairs i<j sorted, |i-j|>=6" rr_ok ubq 10 6 "$T/ubq.rr" "$UBQ"
check "rr --top-l 0.5 --min-sep 12 -o DIR" "$PS" rr --top-l 0.5 --min-sep 12 -o "$T/rr" "$T/all.tsr"
check "rr -o: ubq.rr has floor(0.5 L) = 38 pairs, |i-j|>=12" rr_ok ubq 38 12 "$T/rr/ubq.rr" "$UBQ"
check "rr -o: masked.rr writes <mask> as X, 17 pairs" rr_ok masked 17 12 "$T/rr/masked.rr" "$MASKED"
check "rr default: every pair with |i-j|>=6" sh -c "'$PS' rr '$T/pep7.tsr' > '$T/pep7.rr'"
check "rr default on pep7: one pair (1, 7)" rr_ok pep7 1 6 "$T/pep7.rr" MKTAYIA
check_fails "rr refuses --top with --top-l" 'not both' "$PS" rr --top 3 --top-l 1 "$T/all.tsr"

# fasta, and the round trip through seqread
printf '>ubq\n%s\n%s\n>pep7\nMKTAYIA\n>masked\n%s\n' "$(echo $UBQ | cut -c1-60)" "$(echo $UBQ | cut -c61-)" "$MASKED" > "$T/fa.want"
check "fasta wraps at 60, keeps <mask>" sh -c "'$PS' fasta '$T/all.tsr' | diff - '$T/fa.want'"
check "fasta --width 5 never splits <mask>" sh -c "[ \"\$('$PS' fasta --width 5 '$T/masked.tsr' | sed -n 3p)\" = '<mask>AKQR' ]"
if [ -x "$BIN/seqread" ]; then
  check "fasta | seqread | fasta is exact" sh -c "'$BIN/seqread' '$T/fa.want' | '$PS' fasta | diff - '$T/fa.want'"
  printf '>q1 a description, kept\nMKT<mask>A\n>q2\nMKTAYIA\n' > "$T/desc.fa"
  check "seqread | fasta keeps descriptions" sh -c "'$BIN/seqread' '$T/desc.fa' | '$PS' fasta | diff - '$T/desc.fa'"
  printf '>a first\nMK-TA-Y\n>b\nMKATAAY\n' > "$T/x.afa"
  check "seqread | fasta --aligned gives the aligned rows back" sh -c "'$BIN/seqread' '$T/x.afa' | '$PS' fasta --aligned | diff - '$T/x.afa'"
  check "fasta without --aligned gives the residues" sh -c "[ \"\$('$BIN/seqread' '$T/x.afa' | '$PS' fasta --width 0 | sed -n 2p)\" = MKTAY ]"
else
  skip "fasta round trip through seqread: $BIN/seqread not built"
fi

# damaged input: non-zero exit, the record named, records before it intact
size=$(wc -c < "$T/all.tsr")
"$PYTHON" -c "
import sys; b = bytearray(open(sys.argv[1], 'rb').read()); b[int(sys.argv[3])] ^= 0x55; open(sys.argv[2], 'wb').write(b)" \
  "$T/all.tsr" "$T/flip.tsr" $((size - 200))
check_fails "ls on a corrupt stream names record 3" 'flip.tsr: record 3' "$PS" ls "$T/flip.tsr"
head -c $((size - 1000)) "$T/all.tsr" > "$T/cut.tsr"
check_fails "ls on a truncated stream names record 3" 'record 3' "$PS" ls "$T/cut.tsr"
"$PS" cat "$T/cut.tsr" > "$T/cat-cut.tsr" 2>/dev/null
check_fails "cat leaves a truncated stream after an error" 'record 3' "$PS" ls "$T/cat-cut.tsr"
check "records before the damage stay valid" sh -c "'$PS' ls '$T/cat-cut.tsr' 2>/dev/null | cut -f2 | tr '\n' ' ' | grep -qx 'ubq pep7 '"
check_fails "from-npy names a missing .npy" 'absent.npy' "$PS" from-npy --id x --seq M t="$T/absent.npy"
"$PYTHON" -c "import numpy as np; np.save('$T/be.npy', np.arange(3, dtype='>f4'))"
check_fails "from-npy refuses big-endian, naming the file" 'be.npy: big-endian' "$PS" from-npy --id x --seq M t="$T/be.npy"
"$PYTHON" -c "import numpy as np; np.save('$T/i8.npy', np.array([0, 5, 2**40]))"
check_fails "from-npy refuses i64 beyond i32" 'does not fit i32' "$PS" from-npy --id x --seq M t="$T/i8.npy"
"$PYTHON" -c "import numpy as np; np.save('$T/i8.npy', np.array([0, 5, -7]))"
check "from-npy narrows i64 to i32" sh -c "'$PS' from-npy --id x --seq M t='$T/i8.npy' > '$T/i8.tsr' && '$PS' ls '$T/i8.tsr' | grep -q 't:i32.3.' && [ \"\$('$PS' tsv -t t '$T/i8.tsr' | cut -f3 | tr '\n' ' ')\" = '0 5 -7 ' ]"
check_fails "a FASTA file is not a stream" 'record\|stream\|FASTA' "$PS" ls "$T/fa.want"

# the command line
check "plmstream --version" "$PS" --version
for c in ls select npy tsv cat repair unshard merge rr fasta from-npy; do check "plmstream $c --help" "$PS" $c --help; done
check_fails "unknown command" "unknown command" "$PS" frobnicate
check_fails "option of another command" "does not apply to ls" "$PS" ls --top 3
check "SIGPIPE ends quietly" sh -c "'$PS' tsv -t attentions '$T/ubq.tsr' 2>'$T/pipe.err' | head -n 1 >/dev/null; [ ! -s '$T/pipe.err' ]"

# unshard: the inverse of seqread --shard, byte for byte, through a model
M=$SHARED/fixtures/models/esm2_t3_tiny_random.pt
if [ -f "$M" ]; then
  for k in 1 2 3; do "$BIN/seqread" --shard $k/3 examples/proteins.fasta examples/proteins.fasta --duplicates rename \
    | "$BIN/attn" -m "$M" --contacts > "$T/shard$k.tsr" 2>/dev/null; done
  "$BIN/seqread" examples/proteins.fasta examples/proteins.fasta --duplicates rename | "$BIN/attn" -m "$M" --contacts > "$T/whole.tsr" 2>/dev/null
  check "plmstream unshard of 3 shards equals the unsharded run byte for byte" sh -c \
    "'$BIN/plmstream' unshard '$T/shard1.tsr' '$T/shard2.tsr' '$T/shard3.tsr' | cmp -s - '$T/whole.tsr'"
  "$BIN/plmstream" select --first 1 "$T/shard1.tsr" > "$T/short1.tsr"
  check_fails "plmstream unshard refuses shard sizes no dealing gives" "shard 2 has more records than shard 1" \
    "$BIN/plmstream" unshard "$T/short1.tsr" "$T/shard2.tsr"
else skip "plmstream unshard: $M absent"; fi
