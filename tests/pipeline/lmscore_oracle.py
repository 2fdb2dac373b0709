"""lmscore_oracle.py: lmscore's numbers recomputed in numpy from the model's own logits.

  prepare DIR SEQ W O S      write DIR/masked.fa: the wild type unmasked ("wt"), each residue
                             masked in turn ("m_I"), each variant of DIR/dms.csv's with each of
                             its residues masked ("vR_m_I"), and, for windows of W residues at
                             least O overlapping, each window with each residue masked ("wK_m_T")
  check DIR SEQ LEAD W O S   compare lmscore's outputs in DIR with numpy from DIR/attn/*.logits.npy
                             (attn --logits of masked.fa): PLL, entropy, L x 20 log-probabilities,
                             the landscape, wt-marginals / masked-marginals / pseudo-ppl of the table,
                             and the windowed run (esm-variants' windows, written here independently)

Prints PASS/FAIL lines. The windows follow esm-variants' get_intervals_and_weights.
"""
import csv
import os
import sys

import numpy as np

AMINO = "ACDEFGHIKLMNPQRSTVWY"
TOL = 2e-4      # absolute, on log-probabilities of magnitude ~20 (batched vs single GEMM rounding)


def intervals(L, O, W):
    """esm-variants' recursive tiling, as numpy index arrays"""
    def rec(idx, parts):
        if len(idx) <= W:
            if parts[-2][-1] - parts[-1][0] < O:
                mid = idx[len(idx) // 2]
                c = min(max(mid - W // 2, 0), L - W)
                return parts + [np.arange(c, c + W)]
            return parts
        parts = parts + [idx[:W], idx[-W:]]
        return rec(idx[W - O:-W + O], parts)
    if L <= W:
        return [np.arange(L)]
    ints = rec(np.arange(L), [])
    return [ints[i] for i in np.argsort([i[0] for i in ints], kind="stable")]


def weights(L, O, W, s):
    ints = intervals(L, O, W)
    if len(ints) == 1:
        return ints, np.ones((1, L))
    a = int(np.round(O / 2))
    t = np.arange(W)
    f = np.ones(W); f[:a] = 1 / (1 + np.exp(-(t[:a] - a / 2) / s)); f[W - a:] = 1 / (1 + np.exp((t[:a] - a / 2) / s))
    f0 = np.ones(W); f0[W - a:] = 1 / (1 + np.exp((t[:a] - a / 2) / s))
    fn = np.ones(W); fn[:a] = 1 / (1 + np.exp(-(t[:a] - a / 2) / s))
    filt = [f0] + [f for _ in ints[1:-1]] + [fn]
    M = np.zeros((len(ints), L))
    for k, i in enumerate(ints):
        M[k, i] = filt[k]
    return ints, M / M.sum(0)


def masked(seq, i):
    return seq[:i] + "<mask>" + seq[i + 1:]


def variants(d):
    with open(os.path.join(d, "dms.csv")) as f:
        return [r["mutant"] for r in csv.DictReader(f)]


def apply(seq, v, offset=1):
    s = list(seq)
    if v not in ("_wt", "WT", ""):
        for m in v.split(":"):
            s[int(m[1:-1]) - offset] = m[-1]
    return "".join(s)


def prepare(d, seq, W, O, S):
    out = [("wt", seq)] + [("m_%d" % i, masked(seq, i)) for i in range(len(seq))]
    for r, v in enumerate(variants(d)):
        mut = apply(seq, v)
        out += [("v%d_m_%d" % (r, i), masked(mut, i)) for i in range(len(mut))]
    ints, _ = weights(len(seq), O, W, S)
    for k, idx in enumerate(ints):
        win = "".join(seq[j] for j in idx)
        out += [("w%d_m_%d" % (k, t), masked(win, t)) for t in range(len(win))]
    with open(os.path.join(d, "masked.fa"), "w") as f:
        for name, s in out:
            f.write(">%s\n%s\n" % (name, s))


def logsoftmax(x):
    x = x.astype(np.float64)
    m = x.max(-1, keepdims=True)
    return x - m - np.log(np.exp(x - m).sum(-1, keepdims=True))


def report(name, got, want, tol=TOL):
    got, want = np.asarray(got, dtype=np.float64), np.asarray(want, dtype=np.float64)
    if got.shape != want.shape:
        print("FAIL %s: shape %s, numpy %s" % (name, got.shape, want.shape)); return
    err = np.abs(got - want).max() if got.size else 0.0
    scale = max(1.0, np.abs(want).max() if want.size else 1.0)
    if err <= tol * scale:
        print("PASS %s (max |diff| %.2g)" % (name, err))
    else:
        print("FAIL %s: max |diff| %.3g > %.3g" % (name, err, tol * scale))


def check(d, seq, lead, W, O, S, tag):
    L = len(seq)
    A = os.path.join(d, "attn")
    lg = lambda n: np.load(os.path.join(A, n + ".logits.npy"))
    tok = np.load(os.path.join(A, "wt.tokens.npy"))
    ids = tok[lead:lead + L]
    aa = np.array([ids[seq.index(c)] for c in AMINO])      # the sequence holds all 20
    mlp = np.stack([logsoftmax(lg("m_%d" % i)[lead + i]) for i in range(L)])
    wlp = logsoftmax(lg("wt"))[lead:lead + L]
    pll = mlp[np.arange(L), ids].sum()
    H = -(np.exp(mlp) * mlp).sum(1)
    land = mlp[:, aa] - mlp[np.arange(L), ids][:, None]

    S_ = os.path.join(d, "score")
    with open(os.path.join(d, "score.tsv")) as f:
        row = next(r for r in csv.DictReader(f, delimiter="\t") if r["id"] == "q")
    report("%s: PLL = sum of masked log-probabilities" % tag, float(row["pll"]), pll)
    report("%s: pseudo-perplexity exp(-PLL/L)" % tag, np.log(float(row["pppl"])), -pll / L, 1e-5)
    report("%s: lm_logprobs [L x 20]" % tag, np.load(os.path.join(S_, "q.lm_logprobs.npy")), mlp[:, aa])
    report("%s: lm_entropy [L]" % tag, np.load(os.path.join(S_, "q.lm_entropy.npy")), H)
    report("%s: lm_landscape (masked-marginals)" % tag, np.load(os.path.join(S_, "q.lm_landscape.npy")), land)

    vs = variants(d)
    def marg(lp, v):
        m = apply(seq, v)
        return sum(lp[i, aa[AMINO.index(m[i])]] - lp[i, ids[i]] for i in range(L) if m[i] != seq[i])
    def pppl(r, v):
        m = apply(seq, v)
        return sum(logsoftmax(lg("v%d_m_%d" % (r, i))[lead + i])[ids[i] if m[i] == seq[i] else aa[AMINO.index(m[i])]] for i in range(L))
    want = {"wt-marginals": [marg(wlp, v) for v in vs], "masked-marginals": [marg(mlp, v) for v in vs],
            "pseudo-ppl": [pppl(r, v) for r, v in enumerate(vs)]}
    for strat, w in want.items():
        with open(os.path.join(d, "dms.%s.csv" % strat)) as f:
            got = [float(r["lmscore"]) for r in csv.DictReader(f)]
        report("%s: --dms %s" % (tag, strat), got, w)

    ints, M = weights(L, O, W, S)
    blend = np.zeros((L, mlp.shape[1]))
    for k, idx in enumerate(ints):
        for t, j in enumerate(idx):
            blend[j] += M[k, j] * logsoftmax(lg("w%d_m_%d" % (k, t))[lead + t])
    with open(os.path.join(d, "window.tsv")) as f:
        wrow = next(r for r in csv.DictReader(f, delimiter="\t") if r["id"] == "q")
    if int(wrow["windows"]) != len(ints):
        print("FAIL %s: windows of %d: %s windows, esm-variants' tiling has %d" % (tag, W, wrow["windows"], len(ints)))
    else:
        print("PASS %s: windows of %d overlapping >= %d: %d windows, as esm-variants tiles" % (tag, W, O, len(ints)))
    report("%s: windowed lm_logprobs, sigmoid-blended" % tag, np.load(os.path.join(d, "window", "q.lm_logprobs.npy")), blend[:, aa])
    report("%s: windowed PLL" % tag, float(wrow["pll"]), blend[np.arange(L), ids].sum())


if __name__ == "__main__":
    if sys.argv[1] == "prepare":
        prepare(sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]), float(sys.argv[6]))
    else:
        check(sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6]), float(sys.argv[7]), sys.argv[8])
