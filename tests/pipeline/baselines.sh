# baselines.sh: any predictor scored like ours. contactimport reads the
# CCMpred, PSICOV and FreeContact RR predictions of three CASP12 targets
# (DNCON2's collection) and CCMpred's APC / raw .mat matrices for 1atzA;
# truecontacts adds the native contacts (Cb < 8 A, virtual Cb for glycine);
# contacteval's long/medium/short P@L, L/2, L/5 must equal the table below,
# computed independently by a numpy oracle that parses the PDB files itself
# and maps residues by residue number (the oracle is re-run when numpy is
# here). Also: RR/matrix input errors.
. tests/lib.sh
D=$SHARED/data/msa/dncon2_casp12
E=$SHARED/data/msa/ccmgen_1atzA/example
need_shared data/msa/dncon2_casp12 "baselines" || exit 0
need_shared data/msa/ccmgen_1atzA "baselines" || exit 0

# target method | long L L/2 L/5 | medium L L/2 L/5 | short L L/2 L/5   (numpy oracle)
cat > "$T/expected" <<'TAB'
3e7u ccmpred 0.2000 0.1500 0.2500 0.1750 0.1500 0.3750 0.2500 0.2000 0.3750
3e7u psicov 0.2000 0.2500 0.2500 0.1750 0.3500 0.5000 0.2250 0.4000 0.3750
3e7u freecontact 0.2500 0.1500 0.3750 0.1750 0.3500 0.6250 0.2500 0.3500 0.6250
T0866 ccmpred 0.4098 0.6484 0.9444 0.2022 0.3736 0.7500 0.1366 0.2308 0.5000
T0866 psicov 0.3607 0.5604 0.8333 0.1858 0.3297 0.6944 0.1530 0.2418 0.4444
T0866 freecontact 0.3770 0.4835 0.7778 0.1913 0.3626 0.6389 0.1475 0.2418 0.4444
T0900 ccmpred 0.3774 0.5660 0.6667 0.1604 0.2830 0.5714 0.0849 0.0943 0.1429
T0900 psicov 0.3208 0.4340 0.5238 0.1604 0.2453 0.3810 0.1038 0.1509 0.1905
T0900 freecontact 0.3679 0.4340 0.5238 0.1415 0.2264 0.4286 0.1226 0.1698 0.2857
1atzA apc 0.4000 0.5676 0.8000 0.1600 0.2703 0.4667 0.1600 0.3243 0.8000
1atzA noapc 0.1600 0.2432 0.3333 0.0533 0.0811 0.0667 0.1467 0.2162 0.3333
TAB

native() { case $1 in 3e7u) echo "$D/native/3E7U.pdb";; *) echo "$D/native/$1-D1.pdb";; esac; }
: > "$T/got"
for tg in 3e7u T0866 T0900; do
  for m in ccmpred psicov freecontact; do
    "$BIN/contactimport" --rr "$D/output/$tg-2017-Oct-23/predictions/$tg.$m.rr" | "$BIN/truecontacts" --pdb "$(native $tg)" |
      "$BIN/contacteval" --bootstrap 0 > "$T/e" 2>"$T/err" || { fail "baselines: $tg $m: $(head -c 300 "$T/err")"; continue; }
    awk -v t=$tg -v m=$m 'NR == 2 { print t, m, $12, $13, $14, $9, $10, $11, $6, $7, $8 }' "$T/e" >> "$T/got"
  done
done
for m in apc noapc; do
  "$BIN/contactimport" --mat "$E/1atzA.$m.mat" --pdb "$E/1atzA.pdb" | "$BIN/truecontacts" --pdb "$E/1atzA.pdb" |
    "$BIN/contacteval" --bootstrap 0 > "$T/e" 2>"$T/err" || { fail "baselines: 1atzA $m: $(head -c 300 "$T/err")"; continue; }
  awk -v m=$m 'NR == 2 { print "1atzA", m, $12, $13, $14, $9, $10, $11, $6, $7, $8 }' "$T/e" >> "$T/got"
done
if diff "$T/expected" "$T/got" > "$T/diff"; then pass "11 baseline precision rows (CASP12 RR x 3 methods, CCMpred 1atzA .mat) equal the oracle's"
else fail "baseline precisions differ: $(head -c 600 "$T/diff")"; fi

if [ -n "$PYTHON" ] && "$PYTHON" -c 'import numpy' 2>/dev/null; then
  "$PYTHON" - "$D" "$E" > "$T/oracle" <<'PY'
import sys, numpy as np
D, E = sys.argv[1:3]
def read_pdb(path):   # first model; per residue number its name and N, CA, C, CB
    res = {}
    for l in open(path):
        if l.startswith('ENDMDL'): break
        if not l.startswith(('ATOM', 'HETATM')) or l[26] != ' ': continue
        r = res.setdefault(int(l[22:26]), {'name': l[17:20]})
        if l[12:16].strip() in ('N', 'CA', 'C', 'CB') and l[12:16].strip() not in r:
            r[l[12:16].strip()] = np.array([float(l[30:38]), float(l[38:46]), float(l[46:54])])
    return res
def cb(r):   # real Cb, virtual for glycine (fair-esm's notebook construction)
    if r['name'] == 'GLY' and all(k in r for k in ('N', 'CA', 'C')):
        b = r['CA'] - r['N']; c = r['C'] - r['CA']; a = np.cross(b, c)
        return -0.58273431 * a + 0.56802827 * b - 0.54067466 * c + r['CA']
    return r.get('CB')
def truth(pdb, L):
    X = np.full((L, 3), np.nan)
    for n, r in read_pdb(pdb).items():
        v = cb(r)
        if 1 <= n <= L and v is not None: X[n - 1] = v
    d = np.sqrt(((X[:, None] - X[None]) ** 2).sum(-1))
    t = (d < 8).astype(np.int64); t[np.isnan(d)] = -1
    return t
def prec(S, t, lo, hi, div):   # known pairs ranked by score, unscored last, then row-major
    L = len(t); c = sorted((np.isnan(S[i, j]), 0 if np.isnan(S[i, j]) else -S[i, j], i * L + j, t[i, j])
                           for i in range(L) for j in range(i + lo, min(L, i + hi) if hi else L) if t[i, j] >= 0)
    return sum(x[3] for x in c[:int(L / div)]) / int(L / div)
def row(name, S, t):
    print(name, ' '.join('%.4f' % prec(S, t, lo, hi, dv) for lo, hi in ((24, 0), (12, 24), (6, 12)) for dv in (1, 2, 5)))
for tg, nat in (('3e7u', '3E7U.pdb'), ('T0866', 'T0866-D1.pdb'), ('T0900', 'T0900-D1.pdb')):
    for m in ('ccmpred', 'psicov', 'freecontact'):
        seq, S = '', None
        lines = [l.split() for l in open(f'{D}/output/{tg}-2017-Oct-23/predictions/{tg}.{m}.rr') if l.split()]
        seq = ''.join(w[0] for w in lines if w[0].isalpha() and w[0] not in ('PFRMAT', 'TARGET', 'END'))
        S = np.full((len(seq), len(seq)), np.nan)
        for w in lines:
            if not w[0].isalpha():
                i, j = sorted((int(w[0]) - 1, int(w[1]) - 1))
                if np.isnan(S[i, j]): S[i, j] = S[j, i] = float(w[-1])
        row(f'{tg} {m}', S, truth(f'{D}/native/{nat}', len(seq)))
for m in ('apc', 'noapc'):
    row(f'1atzA {m}', np.loadtxt(f'{E}/1atzA.{m}.mat'), truth(f'{E}/1atzA.pdb', 75))
PY
  if diff "$T/expected" "$T/oracle" > "$T/diff"; then pass "the numpy oracle reproduces the table"; else fail "oracle vs table: $(head -c 600 "$T/diff")"; fi
else skip "baselines oracle re-run: python3 with numpy absent"; fi

printf '1 2 0.5\n2 99 0.4\n' > "$T/bad.rr"
check_fails "an RR pair outside the sequence" 'outside a sequence of 5' "$BIN/contactimport" --rr "$T/bad.rr" --seq MKTAY
printf '1 2 x\n' > "$T/bad2.rr"
check_fails "a malformed RR line" 'line 1: expected' "$BIN/contactimport" --rr "$T/bad2.rr" --seq MKTAY
printf '0 1\n1 0 2\n' > "$T/bad.mat"
check_fails "a ragged matrix" 'line 2 has 3 numbers' "$BIN/contactimport" --mat "$T/bad.mat" --seq MK
check_fails "a matrix of the wrong size" '75 x 75 matrix for 5 residues' "$BIN/contactimport" --mat "$E/1atzA.apc.mat" --seq MKTAY
check_fails "RR without a sequence" 'no sequence' "$BIN/contactimport" --rr "$T/bad.rr"

# FreeContact's own output ("i A j B raw corrected") reads as its CASP RR form does: same scores
FC=$D/output/T0866-2017-Oct-23
if [ -f "$FC/freecontact/T0866.freecontact.rr" ]; then
  seq=$(sed -n 1p "$FC/predictions/T0866.freecontact.rr")
  "$BIN/contactimport" --rr "$FC/freecontact/T0866.freecontact.rr" --seq "$seq" --id T0866 | "$BIN/plmstream" tsv -t contacts > "$T/native.tsv"
  "$BIN/contactimport" --rr "$FC/predictions/T0866.freecontact.rr" --id T0866 | "$BIN/plmstream" tsv -t contacts > "$T/casp.tsv"
  n=$(awk 'NR == FNR { v[$2" "$3] = $4; next } $4 != "nan" { n++; d = $4 - v[$2" "$3]; if (d < 0) d = -d; if (d > 1e-5) bad++ }
           END { print n + 0, bad + 0 }' "$T/native.tsv" "$T/casp.tsv")
  [ "${n% *}" -gt 100 ] && [ "${n#* }" = 0 ] && pass "FreeContact native output: the CASP RR file's ${n% *} pair scores equal its corrected column" \
    || fail "FreeContact native vs CASP RR: pairs, mismatches = $n"
fi
