"""headstat_oracle.py: the test oracle of test_headstat.c (numpy + the standard library).

  stats FILE THETA MINARCS ALPHA   records written by test_headstat.c -> one line per
                                   property x head: n_arcs n_pos prop_highconf prop_weighted
                                   background z p_bonferroni ci_lo ci_hi
  sites JSONL FIELD                labelled residues, residues, records of a provis JSONL
  ss CSV                           helix strand turn_bend residues rows of a NetSurfP CSV
"""
import json
import math
import statistics
import sys

import numpy as np


def read_records(path, nl, nh):
    buf = open(path, 'rb').read()
    off, recs = 0, []
    while off < len(buf):
        L, T, lead = np.frombuffer(buf, np.int32, 3, off); off += 12
        a = np.frombuffer(buf, np.float32, nl * nh * T * T, off).reshape(nl, nh, T, T); off += a.nbytes
        tok = np.frombuffer(buf, np.uint8, L, off); off += L
        pair = np.frombuffer(buf, np.uint8, L * L, off).reshape(L, L); off += L * L
        recs.append((a[:, :, lead:lead + L, lead:lead + L].astype(np.float64), tok, pair))
    return recs


def stats(path, theta, min_arcs, alpha):
    nl, nh = 2, 3
    recs = read_records(path, nl, nh)
    for k in range(2):
        n = np.zeros((nl, nh)); npos = np.zeros((nl, nh)); ws = np.zeros((nl, nh)); wp = np.zeros((nl, nh))
        known = true = 0
        for a, tok, pair in recs:
            L = len(tok)
            lab = np.broadcast_to(tok, (L, L)) if k == 0 else pair
            kn = lab != 255
            f = (lab == 1)
            known += kn.sum() if k == 1 else (tok != 255).sum()
            true += f.sum() if k == 1 else (tok == 1).sum()
            hi = (a > theta) & kn
            n += hi.sum((2, 3)); npos += (hi & f).sum((2, 3))
            ws += (a * kn).sum((2, 3)); wp += (a * f).sum((2, 3))
        bg = true / known
        m = int(((n >= min_arcs) & (n > 0)).sum())
        q = statistics.NormalDist().inv_cdf(1 - alpha / (2 * m))
        for l in range(nl):
            for h in range(nh):
                p = npos[l, h] / n[l, h]
                pp = (npos[l, h] + true) / (n[l, h] + known)
                se = math.sqrt(pp * (1 - pp) * (1 / n[l, h] + 1 / known))
                z = (p - bg) / se
                pb = min(1.0, math.erfc(abs(z) / math.sqrt(2)) * m)
                half = q * math.sqrt(p * (1 - p) / n[l, h])
                print(int(n[l, h]), int(npos[l, h]), repr(p), repr(wp[l, h] / ws[l, h]), repr(bg), repr(z), repr(pb),
                      repr(max(0.0, p - half)), repr(min(1.0, p + half)))


def sites(path, field):
    """a chain with a site that is none of its positions is refused (outside the sequence)"""
    lab = res = rec = outside = 0
    for line in open(path):
        d = json.loads(line)
        s = set(d[field])
        rec += 1
        if not s <= set(d['positions']): outside += 1; continue
        lab += sum(1 for p in d['positions'] if p in s); res += len(d['primary'])
    print(lab, res, rec, outside)


def ss(path):
    cls = {'H': 0, 'G': 0, 'I': 0, 'E': 1, 'B': 1, 'T': 2, 'S': 2}
    c, res, rows = [0, 0, 0], 0, 0
    for line in open(path).read().splitlines()[1:]:
        f = line.split(',')
        seq = ''.join(f[0].split())
        rows += 1
        for x in f[2].split():
            if x in cls:
                c[cls[x]] += 1
        res += len(seq)
    print(c[0], c[1], c[2], res, rows)


if __name__ == '__main__':
    if sys.argv[1] == 'stats':
        stats(sys.argv[2], float(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5]))
    elif sys.argv[1] == 'sites':
        sites(sys.argv[2], sys.argv[3])
    else:
        ss(sys.argv[2])
