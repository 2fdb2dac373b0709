# aapairs.sh: per-head amino-acid pair attention vs BLOSUM62. numpy recomputes,
# from the attention dumped by plmstream npy, each head's 20 x 20 mass, its
# symmetrized log2 enrichment and the Pearson correlation with BLOSUM62 (read
# from Debian's ncbi-data matrix in ../shared, independent of align.c's table);
# every head's r, the pooled r and the --matrix cells must agree to 1e-3.
. tests/lib.sh
M=$SHARED/fixtures/models/esm2_t3_tiny_random.pt
B62=$SHARED/data/annotations/blosum62/BLOSUM62.ncbi-data
need_python "aapairs" || exit 0
[ -f "$M" ] && [ -f "$B62" ] || { skip "aapairs: fixture model or BLOSUM62 absent"; exit 0; }
printf '>p1\nMKTAYIAKQRQISFVKSHFSRQLEERLGLIEVQAPILSRVGDGTQDNLSGAEKAVQVKVKALPDAQ\n>p2\nGSHMLEDPVDAFQWCNNYKRHG\n>p3\nACDEFGHIKLMNPQRSTVWYXACDWWW\n' > "$T/in.fa"
check "seqread | attn | aapairs --matrix" sh -c "'$BIN/seqread' '$T/in.fa' | '$BIN/attn' -m '$M' --attentions -o '$T/a.tsr' && '$BIN/aapairs' --matrix '$T/m.tsv' '$T/a.tsr' > '$T/h.tsv'"
"$BIN/plmstream" npy -o "$T/npy" -t attentions "$T/a.tsr"
if "$PYTHON" - "$T" "$B62" <<'PY' >"$T/py" 2>&1
import sys, numpy as np
t, b62 = sys.argv[1:]
order = "ACDEFGHIKLMNPQRSTVWY"
lines = [l.split() for l in open(b62) if l.strip() and not l.startswith("#")]
cols = lines[0]; B = {(r[0], c): int(v) for r in lines[1:] for c, v in zip(cols, r[1:])}
seqs = {"p1": "MKTAYIAKQRQISFVKSHFSRQLEERLGLIEVQAPILSRVGDGTQDNLSGAEKAVQVKVKALPDAQ", "p2": "GSHMLEDPVDAFQWCNNYKRHG",
        "p3": "ACDEFGHIKLMNPQRSTVWYXACDWWW"}
mass = None
for id_, s in seqs.items():
    a = np.load(f"{t}/npy/{id_}.attentions.npy").astype(np.float64)   # [layers, heads, T, T], bos + residues + eos
    nl, nh = a.shape[:2]
    if mass is None: mass = np.zeros((nl * nh, 20, 20))
    idx = np.array([order.find(c) for c in s])
    keep = np.where(idx >= 0)[0]
    sub = a[:, :, 1:len(s) + 1, 1:len(s) + 1].reshape(nl * nh, len(s), len(s))
    for i in keep:
        for j in keep: mass[:, idx[i], idx[j]] += sub[:, i, j]
def enr(M):
    with np.errstate(divide="ignore"):
        e = np.log2(M * M.sum() / np.outer(M.sum(1), M.sum(0)))
    e[M <= 0] = np.nan
    return 0.5 * (e + e.T)
iu = np.triu_indices(20)
bl = np.array([[B[(a, b)] for b in order] for a in order])[iu]
def r(e):
    v = e[iu]; ok = np.isfinite(v)
    return np.corrcoef(bl[ok], v[ok])[0, 1]
got = [l.rstrip("\n").split("\t") for l in open(f"{t}/h.tsv") if not l.startswith("#")][1:]
want = [r(enr(mass[h])) for h in range(mass.shape[0])]
assert len(got) == len(want), (len(got), len(want))
for g, w in zip(got, want): assert abs(float(g[2]) - w) < 1e-3, (g, w)
pooled = enr(mass.sum(0))
gp = [l.split("\t") for l in open(f"{t}/h.tsv") if l.startswith("# pooled")][0]
assert abs(float(gp[1]) - r(pooled)) < 1e-3, (gp, r(pooled))
best = int(np.nanargmax(want)); eb = enr(mass[best])
rows = [l.rstrip("\n").split("\t") for l in open(f"{t}/m.tsv")][1:]
assert len(rows) == 400
for a_, b_, d, bl62, ep, ebest in rows:
    i, j = order.index(a_), order.index(b_)
    assert int(bl62) == B[(a_, b_)] and int(d) == (i <= j)
    assert abs(float(ep) - pooled[i, j]) < 1e-3 and abs(float(ebest) - eb[i, j]) < 1e-3, (a_, b_, ep, pooled[i, j])
print(f"{len(want)} heads, pooled r {r(pooled):.4f}, best head {best} r {want[best]:.4f}")
PY
then pass "per-head and pooled r and the 20 x 20 matrix equal numpy's ($(cat "$T/py"))"
else fail "aapairs vs numpy: $(tail -c 400 "$T/py")"; fi
check_fails "a stream without attentions" "no tensor 'attentions'" sh -c "'$BIN/seqread' '$T/in.fa' | '$BIN/aapairs'"
