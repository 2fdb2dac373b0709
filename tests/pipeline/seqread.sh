# seqread.sh: seqread on every alignment and sequence file of ../shared/data/msa.
#
# A Python oracle reads each input by the rules of seqread(1) and decodes the
# output stream by plmscope-stream(5); the two must agree on every record (id,
# seq, aligned row, colmap, metadata). Then gzip and stdin input, Stockholm,
# the options (shard, ids, first, max-len, empty, duplicates, keep-gaps), the
# error messages, the truncated stream an error leaves, and a FASTA round trip
# through plmstream.
. tests/lib.sh
SR="$BIN/seqread"
M=$SHARED/data/msa
need_python "seqread pipeline" || exit 0

cat > "$T/oracle.py" <<'EOF'
import gzip, struct, sys, zlib

def rows(path, fmt):
    """(id, desc, text, inserts) per record, by seqread(1)'s rules"""
    raw = open(path, 'rb').read()
    if raw[:2] == b'\x1f\x8b': raw = gzip.decompress(raw)
    lines = raw.decode().replace('\r', '').split('\n')
    stem = path.split('/')[-1]
    if stem.endswith('.gz'): stem = stem[:-3]
    if '.' in stem[1:]: stem = stem[:stem.rindex('.')]
    out = []
    if fmt in ('fasta', 'a2m', 'a3m', 'afa'):
        for l in lines:
            if l.startswith('>'):
                w = l[1:].strip().split(None, 1)
                out.append([w[0] if w else '', w[1] if len(w) > 1 else '', ''])
            elif l.strip(): out[-1][2] += ''.join(l.split())
        out = [(i, d, t, fmt in ('a2m', 'a3m')) for i, d, t in out]
    elif fmt == 'aln':
        for l in lines:
            f = l.split()
            if f: out.append((f[0] if len(f) == 2 else '', '', f[-1], False))
    elif fmt == 'stockholm':
        aln = {}
        for l in lines + ['']:
            if l.startswith('//'):
                ins = any(c.islower() for t in aln.values() for c in t)
                out += [(n, '', t, ins) for n, t in aln.items()]; aln = {}
            elif l.strip() and not l.startswith('#'):
                n, t = l.split(); aln[n] = aln.get(n, '') + t
    return [(i or '%s_%d' % (stem, k + 1), d, t, ins) for k, (i, d, t, ins) in enumerate(out)]

def expect(path, fmt, source, opts):
    seen, n = set(), {}
    for k, (rid, desc, text, ins) in enumerate(rows(path, fmt)):
        seq, aligned, colmap, col = [], [], [], 0
        for c in text:
            if c.isupper() or (c.islower() and not ins):
                seq.append(c.upper()); colmap.append(col); aligned.append(c.upper()); col += 1
            elif c.islower():
                seq.append(c.upper()); colmap.append(-1)
            elif c == '-' or (c == '.' and not ins):
                aligned.append('-'); col += 1
        if 'keep-gaps' in opts:
            seq, colmap = aligned, list(range(len(aligned)))
        if rid in seen and 'rename' in opts:
            j = n.get(rid, 2)
            while '%s_%d' % (rid, j) in seen: j += 1
            n[rid] = j + 1; rid = '%s_%d' % (rid, j)
        seen.add(rid)
        meta = ([('description', desc)] if desc else []) + [('source', source), ('index', str(k + 1)), ('format', fmt)]
        msa = fmt != 'fasta'
        show(rid, ''.join(seq), ''.join(aligned) if msa else None, meta, colmap if msa else None)

def show(rid, seq, aligned, meta, colmap):
    print('\t'.join([rid, seq, aligned if aligned is not None else '-', ';'.join('%s=%s' % kv for kv in meta),
                     ','.join(map(str, colmap)) if colmap is not None else '-']))

def decode(path):
    b = open(path, 'rb').read()
    assert b[:8] == b'\x89PLMSTR\n', 'no stream magic'
    p, n = 16, 0
    while True:
        if p + 32 > len(b): print('TRUNCATED after %d records' % n); sys.exit(3)
        tag, codec, slen, rlen, pcrc, idlen = struct.unpack_from('<4sB3xQQII', b, p)
        p += 32 + idlen + 4
        if tag == b'END\x01': assert rlen == n, 'end frame count'; return
        pay = b[p:p + slen]; p += slen
        if codec == 1: pay = zlib.decompress(pay)
        assert zlib.crc32(pay) == pcrc, 'payload crc'
        q = 0
        def take(fmt):
            nonlocal q
            v = struct.unpack_from(fmt, pay, q); q += struct.calcsize(fmt); return v[0] if len(v) == 1 else v
        def text(lenfmt):
            nonlocal q
            k = take(lenfmt); s = pay[q:q + k].decode(); q += k; return s
        flags = take('<I'); seq = text('<Q'); aligned = text('<Q') if flags & 1 else None
        meta = [(text('<I'), text('<Q')) for _ in range(take('<I'))]
        colmap = None
        for _ in range(take('<I')):
            name = text('<I'); dt, rank = take('<BBxx'); shape = [take('<Q') for _ in range(rank)]
            size = [4, 2, 2, 4, 1][dt]
            for s in shape: size *= s
            if name == 'colmap':
                assert dt == 3 and rank == 1
                colmap = list(struct.unpack_from('<%di' % shape[0], pay, q))
            q += size
        assert q == len(pay), 'payload not consumed'
        show(b[p - slen - 4 - idlen:p - slen - 4].decode(), seq, aligned, meta, colmap)
        n += 1

if sys.argv[1] == 'decode': decode(sys.argv[2])
else: expect(sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5:])
EOF
O() { "$PYTHON" "$T/oracle.py" "$@"; }

# same_as_oracle NAME FILE FORMAT [SEQREAD-OPTION...]: seqread's stream equals the oracle's reading
same_as_oracle() {
  name=$1 f=$2 fmt=$3; shift 3
  oo=""; for a in "$@"; do oo="$oo ${a#--}"; done
  if ! "$SR" "$@" "$f" > "$T/s.tsr" 2> "$T/err"; then fail "$name: $(head -c 300 "$T/err")"; return; fi
  O decode "$T/s.tsr" > "$T/got" 2>&1 || { fail "$name: decode: $(tail -n 1 "$T/got")"; return; }
  O expect "$f" "$fmt" "$f" $oo > "$T/want"
  n=$(wc -l < "$T/want")
  if [ "$n" -gt 0 ] && cmp -s "$T/got" "$T/want"; then pass "$name: $n records as $fmt"
  else fail "$name: differs from the oracle ($(wc -l < "$T/got") vs $n records): $(diff "$T/got" "$T/want" | head -n 3 | cut -c1-200)"; fi
}

# ----------------------------------------------------------- every shared file
if need_shared data/msa "seqread on ../shared/data/msa"; then
  for f in $(cd "$M" && find . -type f \( -name '*.a3m' -o -name '*.a2m' -o -name '*.aln' -o -name '*.fas' \
                 -o -name '*.fasta' -o -name '*.msa' -o -name '*.align.*' \) | sort); do
    f=${f#./}
    case $f in
      plmc/example/potts/potts3.a2m) continue ;;                         # not protein: see below
      */RF00162.fasta|*/1atzA.fas|esm/data/[0-9]*.a3m|*/DHFR.a2m) fmt=afa ;;  # gaps, no lowercase
      kortemme_pfam40/*/PF00327.align.80) fmt=fasta ;;                    # an alignment without a gap
      kortemme_pfam40/*) fmt=afa ;;
      *.a3m) fmt=a3m ;;  *.a2m) fmt=a2m ;;  *.aln|*.msa) fmt=aln ;;  *) fmt=fasta ;;
    esac
    # ids repeat in some hhblits outputs; those are checked with renaming
    dups=$(awk '/^>/ && length($1) > 1 { print $1 } !/^>/ && NF == 2 { print $1 }' "$M/$f" | sort | uniq -d | head -n 1)
    if [ -n "$dups" ]; then same_as_oracle "$f (renamed duplicates)" "$M/$f" "$fmt" --duplicates rename
    else same_as_oracle "$f" "$M/$f" "$fmt"; fi
  done

  A3M=$M/dncon2_casp12/output/T0866-2017-Oct-23/alignments/hhb-cov60.a3m
  # the first repeated id and the two records that carry it, by awk
  want=$(awk '/^>/ { n++; id = substr($1, 2); if (id in at) { printf "record %d (\"%s\"): duplicate id, first seen in record %d of", n, id, at[id]; exit } at[id] = n }' "$A3M")
  check_fails "duplicate ids are an error naming both records" "$want" "$SR" "$A3M"
  same_as_oracle "--keep-gaps on an a3m: seq is the aligned row" "$M/trrosetta/example/T1001.a3m" a3m --keep-gaps
  check_fails "a non-protein alignment names file, record and position" \
    "potts3.a2m: record 1 (\"1\"): invalid character '_' at position 1" "$SR" "$M/plmc/example/potts/potts3.a2m"
  check_fails "a contact list is not a sequence format" "demo.observed: not FASTA" "$SR" "$M/psicov_demo/demo.observed"

  # gzip and stdin give the same records
  ALN=$M/ccmpred/1atzA.aln
  gzip -c "$ALN" > "$T/1atzA.aln.gz"
  "$SR" "$ALN" > "$T/plain.tsr" && O decode "$T/plain.tsr" | cut -f1-3,5 > "$T/plain"
  "$SR" "$T/1atzA.aln.gz" > "$T/gz.tsr" && O decode "$T/gz.tsr" | cut -f1-3,5 > "$T/gz"
  if [ -s "$T/plain" ] && cmp -s "$T/plain" "$T/gz" && [ "$(wc -l < "$T/gz")" -eq "$(grep -c . "$ALN")" ]; then
    pass "gzip input reads as the plain file ($(wc -l < "$T/gz") records)"; else fail "gzip input differs from the plain file"; fi
  "$SR" -f a3m --duplicates rename < "$A3M" > "$T/in.tsr" && O decode "$T/in.tsr" > "$T/in"
  if [ "$(wc -l < "$T/in")" -eq "$(grep -c '^>' "$A3M")" ] && grep -q 'source=stdin;index=1;format=a3m' "$T/in"; then
    pass "stdin input, source=stdin"; else fail "stdin input: $(head -c 200 "$T/in")"; fi

  # --shard K/N: records K, K+N, ... of all inputs; the shards partition the input
  F=$M/esm/data/P62593.fasta
  total=$(grep -c '^>' "$F")
  for k in 1 2 3; do "$SR" --shard $k/3 "$F" > "$T/sh$k.tsr" && O decode "$T/sh$k.tsr" | cut -f1 > "$T/sh$k"; done
  grep '^>' "$F" | awk 'NR % 3 == 2 { print substr($1, 2) }' > "$T/sh2.want"
  n1=$(wc -l < "$T/sh1"); n2=$(wc -l < "$T/sh2"); n3=$(wc -l < "$T/sh3")
  nu=$(cat "$T/sh1" "$T/sh2" "$T/sh3" | sort -u | wc -l)
  if [ $((n1 + n2 + n3)) -eq "$total" ] && [ "$nu" -eq "$total" ] && cmp -s "$T/sh2" "$T/sh2.want"; then
    pass "--shard 1/3 2/3 3/3 partition $total records ($n1+$n2+$n3), shard 2 = records 2, 5, 8, ..."
  else fail "--shard: $n1+$n2+$n3 records, $nu distinct, of $total"; fi
  check_fails "--shard 4/3 is refused" "1 <= K <= N" "$SR" --shard 4/3 "$F"

  # --first, --ids
  "$SR" --first 7 "$F" > "$T/f.tsr" && O decode "$T/f.tsr" | cut -f1 > "$T/f"
  grep '^>' "$F" | head -n 7 | awk '{ print substr($1, 2) }' > "$T/f.want"
  if cmp -s "$T/f" "$T/f.want"; then pass "--first 7: the first 7 records"; else fail "--first 7: $(wc -l < "$T/f") records"; fi
  grep '^>' "$F" | awk 'NR == 3 || NR == 100 || NR == 5397 { print substr($1, 2) " anything after" }' > "$T/ids"
  "$SR" --ids "$T/ids" "$F" > "$T/i.tsr" && O decode "$T/i.tsr" | cut -f1 > "$T/i"
  if [ "$(cut -d' ' -f1 "$T/ids")" = "$(cat "$T/i")" ]; then pass "--ids keeps exactly the listed ids"; else fail "--ids: got $(cat "$T/i" | tr '\n' ' ')"; fi

  # --max-len N: error, skip, truncate
  S=$M/esm/data/some_proteins.fasta
  O expect "$S" fasta x | awk -F'\t' '{ print length($2) }' > "$T/lens"
  short=$(awk '$1 <= 80' "$T/lens" | wc -l)
  first_long=$(awk '$1 > 80 { print NR; exit }' "$T/lens")
  check_fails "--max-len 80 is an error by default, naming the record" "record $first_long (.*): [0-9]* residues, more than --max-len 80" "$SR" --max-len 80 "$S"
  "$SR" --max-len 80 --long skip "$S" > "$T/m.tsr" && O decode "$T/m.tsr" > "$T/m"
  if [ "$(wc -l < "$T/m")" -eq "$short" ] && [ "$short" -gt 0 ]; then pass "--long skip keeps the $short short records"; else fail "--long skip: $(wc -l < "$T/m") not $short"; fi
  "$SR" --max-len 80 --long truncate "$S" > "$T/m.tsr" && O decode "$T/m.tsr" > "$T/m"
  if [ "$(wc -l < "$T/m")" -eq "$(wc -l < "$T/lens")" ] &&
     [ "$(awk -F'\t' 'length($2) != 80' "$T/m" | wc -l)" -eq "$(awk '$1 < 80' "$T/lens" | wc -l)" ]; then
    pass "--long truncate cuts the long records to 80"; else fail "--long truncate"; fi
fi

# ----------------------------------------------------------- small files of our own
printf '# STOCKHOLM 1.0\n#=GF ID x\n#=GS a/1-8 DE y\na/1-8  MKT-AY\nb      MkKTAYi\n#=GC SS_cons ......\n\na/1-8  .IA\nb      -I-\n//\n# STOCKHOLM 1.0\nc AC-\nd A-D\n//\n' > "$T/x.sto"
same_as_oracle "stockholm: interleaved, two alignments" "$T/x.sto" stockholm
printf '>a\nMKJ\n' > "$T/j.fa"
check_fails "J is not ESM: file, record, position" "j.fa: record 1 (\"a\"): residue 'J' at position 3 is not in the ESM alphabet" "$SR" "$T/j.fa"
check "--unknown-to-x maps J to X" sh -c "'$SR' --unknown-to-x '$T/j.fa' > '$T/j.tsr' && '$PYTHON' '$T/oracle.py' decode '$T/j.tsr' | grep -q '^a	MKX	'"
printf '>a\nmkt\n' > "$T/l.fa"
check_fails "lowercase FASTA wants --uppercase" "lowercase residue 'm' at position 1" "$SR" -f fasta "$T/l.fa"
check "--uppercase accepts it" sh -c "'$SR' -u -f fasta '$T/l.fa' > '$T/l.tsr' && '$PYTHON' '$T/oracle.py' decode '$T/l.tsr' | grep -q '^a	MKT	'"
check_fails "lowercase FASTA is not sniffed as A3M (empty rows)" "l.fa: lowercase letters in the sequences" "$SR" "$T/l.fa"
check "lowercase FASTA on stdin is refused too" sh -c "! '$SR' < '$T/l.fa' > /dev/null 2>&1"
printf 'MKTAYIAKQR\n' > "$T/nohead.fa"
check_fails "a header-less FASTA is not sniffed as a PSICOV .aln" "nohead.fa: no '>' header line" "$SR" "$T/nohead.fa"
printf '>q\nMK-\n>e\n---\n>r\nM-K\n' > "$T/e.a3m"
check_fails "an empty sequence is an error by default" "record 2 (\"e\"): empty sequence" "$SR" "$T/e.a3m"
check "--empty skip drops it" sh -c "'$SR' --empty skip '$T/e.a3m' > '$T/e.tsr' && test \"\$('$PYTHON' '$T/oracle.py' decode '$T/e.tsr' | cut -f1 | tr '\n' ' ')\" = 'q r '"
printf '>x\nMK\n>y\nAA\n>x\nGG\n>x_2\nCC\n>x\nWW\n' > "$T/d.fa"
check "--duplicates rename: x, x_2, x_3 ... skipping taken names" sh -c \
  "'$SR' --duplicates rename '$T/d.fa' > '$T/d.tsr' && test \"\$('$PYTHON' '$T/oracle.py' decode '$T/d.tsr' | cut -f1 | tr '\n' ' ')\" = 'x y x_2 x_2_2 x_3 '"
printf '>p\nMK\n>y\nAA\n' > "$T/d1.fa"; printf '>y\nMK\n' > "$T/d2.fa"
check_fails "duplicates across files name the first file" "d2.fa: record 1 (\"y\"): duplicate id, first seen in record 2 of $T/d1.fa" "$SR" "$T/d1.fa" "$T/d2.fa"

# an error leaves a truncated stream whose earlier records are intact
printf '>a\nMK\n>b\nAC\n>c\nM*K\n>d\nGG\n' > "$T/bad.fa"
"$SR" "$T/bad.fa" > "$T/bad.tsr" 2> "$T/bad.err"; rc=$?
out=$(O decode "$T/bad.tsr" 2>&1)
if [ $rc -eq 1 ] && grep -q "record 3 (\"c\"): invalid character '\*' at position 2" "$T/bad.err" &&
   [ "$(printf '%s\n' "$out" | cut -f1 | tr '\n' ' ')" = "a b TRUNCATED after 2 records " ]; then
  pass "an error exits 1 and leaves 2 good records in a truncated stream"
else fail "error stream: rc $rc, $(cat "$T/bad.err"), $out"; fi
"$SR" --unknown-to-x "$T/j.fa" > "$T/ok.tsr"
check_fails "a stream is not a sequence file" "ok.tsr: is a plmscope stream, not a sequence file" "$SR" "$T/ok.tsr"

# the command line
check "--help" sh -c "'$SR' --help | grep -q -- '--duplicates MODE'"
check "--version" sh -c "'$SR' --version | grep -q '^seqread (plmscope) '"
"$SR" --long sideways "$T/j.fa" > /dev/null 2> "$T/err"; rc=$?
if [ $rc -eq 2 ] && grep -q "unknown mode 'sideways'" "$T/err"; then pass "bad option value: exit 2"; else fail "bad option value: rc $rc"; fi
check_fails "missing file" "nope.fa: cannot open" "$SR" "$T/nope.fa"

# FASTA -> stream -> FASTA through plmstream
if [ -x "$BIN/plmstream" ] && need_shared data/msa "FASTA round trip"; then
  F=$M/esm/data/some_proteins.fasta
  if "$SR" "$F" | "$BIN/plmstream" fasta > "$T/rt.fa" 2> "$T/err"; then
    awk '/^>/ { if (s) print s; print; s = ""; next } { s = s $0 } END { print s }' "$F" > "$T/rt.want"
    awk '/^>/ { if (s) print s; print; s = ""; next } { s = s $0 } END { print s }' "$T/rt.fa" > "$T/rt.got"
    if cmp -s "$T/rt.want" "$T/rt.got"; then pass "FASTA round trip through plmstream fasta ($(grep -c '^>' "$F") records)"
    else fail "FASTA round trip: $(diff "$T/rt.got" "$T/rt.want" | head -n 3)"; fi
  else fail "FASTA round trip: $(head -c 300 "$T/err")"; fi
else
  skip "FASTA round trip: $BIN/plmstream not built"
fi
