# lrfit.sh: contact regression end to end on synthetic records: numpy makes
# APC-like features and true contacts, plmstream from-npy makes records,
# lrfit trains (coefficients checked against scikit-learn's liblinear on the
# same pairs) and predicts (checked against sigmoid(w.x + b) from the head
# file), contacteval scores (checked against fair-esm's compute_precisions
# in five ranges, and numpy's calibration, false-positive distance and
# seeded bootstrap intervals); a 3-class token probe is trained and applied,
# also to a sequence with inline <mask>; a fair-esm .pt head loads.
. tests/lib.sh
need_python "lrfit pipeline" || exit 0
[ -x "$BIN/plmstream" ] || { skip "lrfit pipeline: $BIN/plmstream not built"; exit 0; }
"$PYTHON" -c 'import sklearn, yaml' 2>/dev/null || { skip "lrfit pipeline: python sklearn or yaml absent"; exit 0; }

# 8 proteins, 2 layers x 4 heads; contacts near the diagonal and in a few
# long-range patches, 5% unknown; heads 1 and 6 see the contacts
"$PYTHON" - "$T" <<'PY' || { fail "lrfit pipeline: make synthetic data"; exit 0; }
import sys, numpy as np
T = sys.argv[1]; rng = np.random.default_rng(5); C = 8
for p in range(8):
    L = int(rng.integers(40, 90))
    i, j = np.indices((L, L)); sep = abs(i - j)
    prob = 0.5 / (1 + sep / 4.0) + 0.05
    c = np.triu(rng.random((L, L)) < prob, 1); c = (c | c.T).astype(np.uint8)
    unk = np.triu(rng.random((L, L)) < 0.05, 1); unk = unk | unk.T
    t = c.copy(); t[unk] = 255
    f = rng.gamma(2.0, 0.01, size=(C, L, L)).astype(np.float32)
    f[1] += 0.05 * c; f[6] += 0.03 * c + 0.01 * rng.random((L, L)).astype(np.float32)
    f = (f + f.transpose(0, 2, 1)) / 2
    np.save(f"{T}/apc{p}.npy", f.astype(np.float32)); np.save(f"{T}/true{p}.npy", t)
    y = rng.integers(0, 3, L).astype(np.uint8); r = rng.normal(size=(L + 2, 16)).astype(np.float32)
    r[1:-1, 0] += 1.5 * (y == 0); r[1:-1, 1] += 1.5 * (y == 1)
    np.save(f"{T}/ss{p}.npy", y); np.save(f"{T}/repr{p}.npy", r)
    open(f"{T}/seq{p}", "w").write("A" * L)
PY
ok=1
for p in 0 1 2 3 4 5 6 7; do
  "$BIN/plmstream" from-npy --id "prot$p" --seq "$(cat "$T/seq$p")" apc="$T/apc$p.npy" contacts_true="$T/true$p.npy" \
    ss="$T/ss$p.npy" repr6="$T/repr$p.npy" > "$T/p$p.tsr" 2>"$T/err" || ok=0
done
[ $ok = 1 ] && "$BIN/plmstream" cat "$T"/p?.tsr > "$T/all.tsr" 2>"$T/err" || { fail "lrfit pipeline: build records: $(head -c 300 "$T/err")"; exit 0; }

check "lrfit train (l1, C 0.15)" "$BIN/lrfit" train -o "$T/head.yaml" "$T/all.tsr"
check "lrfit train (l2)" "$BIN/lrfit" train --penalty l2 -o "$T/head2.yaml" "$T/all.tsr"

# the oracle gathers the same pairs and fits liblinear to its optimum
cmp_sklearn() {  # HEAD PENALTY
  "$PYTHON" - "$T" "$1" "$2" <<'PY'
import sys, yaml, numpy as np
from sklearn.linear_model import LogisticRegression
T, head, pen = sys.argv[1:4]
X, Y = [], []
for p in range(8):
    f, t = np.load(f"{T}/apc{p}.npy"), np.load(f"{T}/true{p}.npy"); L = t.shape[0]
    i, j = np.triu_indices(L, 6); k = t[i, j] != 255
    X.append(f[:, i[k], j[k]].T); Y.append(t[i[k], j[k]])
X, Y = np.vstack(X).astype(np.float64), np.concatenate(Y)
m = LogisticRegression(penalty=pen, C=0.15, solver='liblinear', tol=1e-10, max_iter=10000).fit(X, Y)
h = yaml.safe_load(open(head))
w = np.array(h['weights'] + [h['bias']]); ref = np.append(m.coef_[0], m.intercept_[0])
d = np.abs(w - ref).max()
ok = d < 1e-3 and h['pairs'] == len(Y) and h['positives'] == int(Y.sum()) and h['proteins'] == 8
print(f"max |coef - sklearn| {d:.2e}, {len(Y)} pairs"); sys.exit(0 if ok else 1)
PY
}
for pen in l1 l2; do
  h=$T/head.yaml; [ $pen = l2 ] && h=$T/head2.yaml
  if out=$(cmp_sklearn "$h" $pen 2>&1); then pass "lrfit $pen head equals sklearn liblinear: $out"; else fail "lrfit $pen head vs sklearn: $out"; fi
done

check "lrfit predict" sh -c "'$BIN/lrfit' predict -w '$T/head.yaml' '$T/all.tsr' > '$T/pred.tsr'"
check "plmstream npy of predictions" "$BIN/plmstream" npy -o "$T/npy" "$T/pred.tsr"
check "contacteval" sh -c "'$BIN/contacteval' --seed 7 '$T/pred.tsr' > '$T/eval.tsv'"
if out=$("$PYTHON" - "$T" <<'PY' 2>&1
import sys, yaml, warnings, numpy as np
warnings.simplefilter('ignore')
T = sys.argv[1]; h = yaml.safe_load(open(f"{T}/head.yaml"))
w, b = np.array(h['weights']), h['bias']
rows = [l.rstrip('\n').split('\t') for l in open(f"{T}/eval.tsv")]
hdr, body = rows[0], {r[0]: r for r in rows[1:]}
num = lambda r: np.array([np.nan if v == 'NA' else float(v) for v in r[2:]])
def prec(pred, t, minsep, maxsep):   # fair-esm's compute_precisions, batch of one
    L = len(t); t = t.astype(np.int64); t[t == 255] = -1
    sep = np.arange(L)[None, :] - np.arange(L)[:, None]
    valid = (sep >= minsep) & (t >= 0)
    if maxsep: valid &= sep < maxsep
    x, y = np.triu_indices(L, minsep); pu = np.where(valid, pred, -np.inf)[x, y]
    top = np.pad(t[x, y][np.argsort(-pu, kind='stable')[:L]], (0, L))[:L]
    gi = (np.arange(0.1, 1.1, 0.1, dtype=np.float32) * L).astype(np.int64) - 1
    bc = np.cumsum(top)[gi] / (gi + 1); return bc[9], bc[4], bc[1]
def calib(pred, t, minsep=6, nb=20):   # count-weighted squared gap over 20 bins
    x, y = np.triu_indices(len(t), minsep); k = t[x, y] != 255
    p, c = pred[x, y][k].astype(np.float64), t[x, y][k]
    bins = np.minimum((p * nb).astype(int), nb - 1); g = 0.0
    for bb in np.unique(bins): m = bins == bb; g += m.sum() * (p[m].mean() - c[m].mean()) ** 2
    return g / len(p)
def fpdist(pred, t, minsep=6):   # top-L false positives: Chebyshev distance to the nearest true contact
    L = len(t); x, y = np.triu_indices(L, minsep); k = t[x, y] != 255; x, y = x[k], y[k]
    o = np.lexsort((x * L + y, -pred[x, y])); x, y = x[o], y[o]; tt = t[x, y]
    cx, cy = x[tt == 1], y[tt == 1]; fp = [(i, j) for i, j, v in zip(x[:L], y[:L], tt[:L]) if v == 0]
    return np.mean([np.max(np.abs(np.stack([cx - i, cy - j])), 0).min() for i, j in fp]) if fp and len(cx) else np.nan
worst, acc, rowsv = 0.0, [], []
for p in range(8):
    c = np.load(f"{T}/npy/prot{p}.contacts.npy"); f = np.load(f"{T}/apc{p}.npy"); t = np.load(f"{T}/true{p}.npy")
    want = 1 / (1 + np.exp(-(np.tensordot(w, f.astype(np.float64), 1) + b)))
    worst = max(worst, np.abs(c - want).max())
    exp = np.array([v for r in ((3, 6), (6, 12), (12, 24), (24, 0), (6, 0)) for v in prec(c, t, *r)] + [calib(c, t), fpdist(c, t)])
    got = num(body[f"prot{p}"]); rowsv.append(exp)
    acc.append(np.nanmax(np.abs(got - exp)) if (np.isnan(got) == np.isnan(exp)).all() else 1.0)
R = np.array(rowsv); n = len(R); s = 7; M = 2**64 - 1; means = []
def nxt():   # splitmix64, libcore/base/rng.c
    global s
    s = (s + 0x9e3779b97f4a7c15) & M; z = s
    z = ((z ^ (z >> 30)) * 0xbf58476d1ce4e5b9) & M; z = ((z ^ (z >> 27)) * 0x94d049bb133111eb) & M
    return z ^ (z >> 31)
for _ in range(1000): means.append(np.nanmean(R[[nxt() % n for _ in range(n)]], 0))
means = np.sort(np.array(means), 0); lo, hi = means[int(np.floor(0.025 * 1000))], means[int(np.ceil(0.975 * 1000)) - 1]
ci = max(np.nanmax(np.abs(num(body['mean']) - np.nanmean(R, 0))), np.nanmax(np.abs(num(body['ci95_lo']) - lo)), np.nanmax(np.abs(num(body['ci95_hi']) - hi)))
ok = worst < 1e-6 and max(acc) <= 6e-5 and ci <= 6e-5 and hdr[2] == 'local_P@L' and hdr[-2:] == ['calib_mse', 'fp_dist'] and (lo < hi).any()
print(f"contacts max diff {worst:.1e}, per-protein max diff {max(acc):.1e} (5 ranges, calibration, FP distance), mean/CI max diff {ci:.1e}")
sys.exit(0 if ok else 1)
PY
); then pass "predictions are sigmoid(w.x + b); contacteval equals compute_precisions + numpy calibration, FP distance, bootstrap: $out"; else fail "lrfit predict/contacteval vs numpy: $out"; fi

# reservoir sampling: a bounded, reproducible number of pairs per protein
check "lrfit train --max-pairs-per-protein 100" "$BIN/lrfit" train --max-pairs-per-protein 100 --seed 3 -o "$T/s1.yaml" "$T/all.tsr"
"$BIN/lrfit" train --max-pairs-per-protein 100 --seed 3 -o "$T/s2.yaml" "$T/all.tsr" 2>/dev/null
if grep -q '^pairs: 800$' "$T/s1.yaml" && [ "$(grep weights "$T/s1.yaml")" = "$(grep weights "$T/s2.yaml")" ]; then
  pass "sampled pairs: 100 per protein, same seed same head"; else fail "sampled pairs: $(grep pairs "$T/s1.yaml")"; fi

# token probe: 3 classes over repr6 [L + 2, 16]
check "lrfit train --multinomial" "$BIN/lrfit" train --multinomial --features repr6 --label ss -o "$T/probe.yaml" "$T/all.tsr"
check "lrfit predict probe" sh -c "'$BIN/lrfit' predict -w '$T/probe.yaml' '$T/all.tsr' > '$T/probe.tsr' && '$BIN/plmstream' npy -o '$T/pnpy' '$T/probe.tsr'"
if out=$("$PYTHON" - "$T" <<'PY' 2>&1
import sys, numpy as np
from sklearn.linear_model import LogisticRegression
T = sys.argv[1]
X = np.vstack([np.load(f"{T}/repr{p}.npy")[1:-1] for p in range(8)]).astype(np.float64)
y = np.concatenate([np.load(f"{T}/ss{p}.npy") for p in range(8)])
ref = LogisticRegression(C=0.15, multi_class='multinomial', solver='lbfgs', tol=1e-10, max_iter=10000).fit(X, y).predict(X)
got = np.concatenate([np.load(f"{T}/pnpy/prot{p}.probe.npy").argmax(1) for p in range(8)])
print(f"{(got == ref).sum()} of {len(y)} predictions equal sklearn's"); sys.exit(0 if (got == ref).all() else 1)
PY
); then pass "probe: $out"; else fail "probe vs sklearn: $out"; fi

# a probe over a sequence with inline <mask>: L counts tokens, not characters
L0=$(cat "$T/seq0" | tr -d '\n' | wc -c)
"$BIN/plmstream" from-npy --id masked --seq "MK<mask>$(head -c $((L0 - 3)) "$T/seq0")" repr6="$T/repr0.npy" > "$T/m.tsr" 2>/dev/null
check "lrfit predict probe, inline <mask>" sh -c "'$BIN/lrfit' predict -w '$T/probe.yaml' '$T/m.tsr' | '$BIN/plmstream' ls -l | grep -q 'probe:f32\[$L0,3\]'"

# fair-esm's published head: 120 = 6 layers x 20 heads of esm2_t6_8M
pt=$SHARED/fixtures/regression_heads/esm2_t6_8M_UR50D-contact-regression.pt
if [ -f "$pt" ]; then
  "$PYTHON" -c "import numpy as np; np.save('$T/apc120.npy', np.full((120, 30, 30), 0.01, np.float32))"
  "$BIN/plmstream" from-npy --id x --seq "$(printf 'A%.0s' $(seq 30))" apc="$T/apc120.npy" > "$T/x.tsr" 2>/dev/null
  check "lrfit predict -w esm2_t6_8M_UR50D-contact-regression.pt" sh -c "'$BIN/lrfit' predict -w '$pt' '$T/x.tsr' | '$BIN/plmstream' ls"
  "$BIN/lrfit" rank -w "$pt" --heads 20 > "$T/rank.txt" 2>&1
  if out=$("$PYTHON" - "$pt" "$T/rank.txt" <<'PY' 2>&1
import sys, numpy as np
sys.path.insert(0, 'tests/unit')
from ckpt_oracle import torch_file   # the suite's own torch-free reader: no torch in CI
t = {name: (dtype, data) for name, dtype, shape, data in torch_file(sys.argv[1])[0]}
dtype, data = t['contact_head.regression.weight']
w = np.frombuffer(data, {'f32': '<f4', 'f16': '<f2'}[dtype]).astype(np.float64)
want = [f"{c // 20 + 1}:{c % 20 + 1}" for c in sorted(range(120), key=lambda c: (-w[c], c))]
got = [l.split()[0] for l in open(sys.argv[2]) if not l.startswith('#')]
print(f"top 3 {got[:3]}"); sys.exit(0 if got == want else 1)
PY
  ); then pass "lrfit rank orders the 120 heads by weight: $out"; else fail "lrfit rank: $out"; fi
else skip "lrfit predict -w .pt: $pt absent"; fi

check_fails "lrfit refuses a missing label tensor" 'no label tensor "nolabel"' "$BIN/lrfit" train --label nolabel -o "$T/x.yaml" "$T/all.tsr"
[ -f "$pt" ] && check_fails "lrfit refuses a head of the wrong width" 'the head wants' sh -c "'$BIN/lrfit' predict -w '$pt' '$T/all.tsr' >/dev/null"
