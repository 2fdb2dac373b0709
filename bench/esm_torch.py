#!/usr/bin/env python3
"""esm_torch.py: the PyTorch baseline for bench/attn.sh: ESM-2 written out in plain torch.

fair-esm cannot be installed here, so this is a minimal, faithful ESM-2 (fair-esm 2.0's esm2.py,
modules.py, multihead_attention.py, rotary_embedding.py: token dropout, pre-LayerNorm blocks,
q scaled before half-split rotary, float32 softmax, exact-erf GELU, final LayerNorm, tied LM head,
contact head with APC), reading the HuggingFace-layout folders mkmodel(1) writes. Before it times
anything it checks itself against the golden outputs of esm2_t3_tiny_random, so the baseline is
honest about computing the same thing.

  esm_torch.py check SHARED                       golden check, exit 1 on mismatch
  esm_torch.py pppl MODEL_DIR SEQ                 the pseudo-perplexity of SEQ as fair-esm's
                                                  variant-prediction example computes it: each
                                                  residue masked in turn, one forward pass each
                                                  (bench/lmscore.sh): prints "seconds pll pppl"
  esm_torch.py time MODEL_DIR MODE L:R...         MODE contacts|attentions; for each length L
                                                  (ascending), the mean of R runs (one warm-up
                                                  run first, at the first length):
                                                  prints "L seconds_per_protein peak_rss_kb", the
                                                  peak being the process's so far
"""
import json
import math
import resource
import struct
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

torch.set_num_threads(2)

ALPHABET = "LAGVSERTIDPKQNFYMHWCXBUZO.-"     # ids 4..30
CLS, PAD, EOS, MASK = 0, 1, 2, 32


def tokenize(seq):
    ids, i = [CLS], 0
    while i < len(seq):
        if seq.startswith("<mask>", i):
            ids.append(MASK); i += 6
        else:
            ids.append(4 + ALPHABET.index(seq[i])); i += 1
    return ids + [EOS]


def read_safetensors(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    for name, spec in header.items():
        if name == "__metadata__":
            continue
        assert spec["dtype"] == "F32", name
        b, e = spec["data_offsets"]
        out[name] = torch.from_numpy(np.frombuffer(data[b:e], dtype="<f4").reshape(spec["shape"]).copy())
    return out


class ESM2:
    def __init__(self, folder):
        cfg = json.load(open(folder + "/config.json"))
        self.w = read_safetensors(folder + "/model.safetensors")
        self.nl, self.D, self.H = cfg["num_hidden_layers"], cfg["hidden_size"], cfg["num_attention_heads"]
        self.hd = self.D // self.H
        self.eps = cfg.get("layer_norm_eps", 1e-5)
        self.inv_freq = 1.0 / (10000 ** (torch.arange(0, self.hd, 2).float() / self.hd))

    def p(self, name):
        return self.w[name]

    def ln(self, x, prefix):
        return F.layer_norm(x, (self.D,), self.p(prefix + ".weight"), self.p(prefix + ".bias"), self.eps)

    def lin(self, x, prefix):
        return F.linear(x, self.p(prefix + ".weight"), self.p(prefix + ".bias"))

    @staticmethod
    def gelu(x):
        return x * 0.5 * (1.0 + torch.erf(x / math.sqrt(2.0)))

    def rotary(self, x, T):
        t = torch.arange(T).type_as(self.inv_freq)
        freqs = torch.einsum("i,j->ij", t, self.inv_freq)
        emb = torch.cat((freqs, freqs), dim=-1)
        cos, sin = emb.cos()[None], emb.sin()[None]
        x1, x2 = x.chunk(2, dim=-1)
        return x * cos + torch.cat((-x2, x1), dim=-1) * sin

    def attention(self, x, l):
        T = x.shape[0]
        pre = "esm.encoder.layer.%d.attention." % l
        q = self.lin(x, pre + "self.query") * self.hd ** -0.5
        k = self.lin(x, pre + "self.key")
        v = self.lin(x, pre + "self.value")
        q, k, v = (t.view(T, self.H, self.hd).transpose(0, 1) for t in (q, k, v))
        q, k = self.rotary(q, T), self.rotary(k, T)
        a = F.softmax(torch.bmm(q, k.transpose(1, 2)), dim=-1, dtype=torch.float32)
        ctx = torch.bmm(a, v).transpose(0, 1).reshape(T, self.D)
        return self.lin(ctx, pre + "output.dense"), a

    def forward(self, ids):
        tok = torch.tensor(ids)
        x = self.p("esm.embeddings.word_embeddings.weight")[tok]
        x = x.masked_fill((tok == MASK)[:, None], 0.0)
        ratio = (tok == MASK).sum().float() / len(ids)
        x = x * (1 - 0.15 * 0.8) / (1 - ratio)
        reprs, atts = [x], []
        for l in range(self.nl):
            pre = "esm.encoder.layer.%d." % l
            h, a = self.attention(self.ln(x, pre + "attention.LayerNorm"), l)
            x = x + h
            x = x + self.lin(self.gelu(self.lin(self.ln(x, pre + "LayerNorm"), pre + "intermediate.dense")), pre + "output.dense")
            reprs.append(x)
            atts.append(a)
        x = self.ln(x, "esm.encoder.emb_layer_norm_after")
        reprs[-1] = x
        h = F.layer_norm(self.gelu(self.lin(x, "lm_head.dense")), (self.D,), self.p("lm_head.layer_norm.weight"),
                         self.p("lm_head.layer_norm.bias"), self.eps)
        logits = F.linear(h, self.p("lm_head.decoder.weight")) + self.p("lm_head.bias")
        return logits, reprs, torch.stack(atts)

    def contacts(self, ids, atts):
        a = atts[:, :, 1:-1, 1:-1].reshape(-1, len(ids) - 2, len(ids) - 2)
        s = a + a.transpose(-1, -2)
        avg = s.sum(-1, keepdims=True) * s.sum(-2, keepdims=True) / s.sum((-1, -2), keepdims=True)
        f = (s - avg).permute(1, 2, 0)
        z = F.linear(f, self.p("esm.contact_head.regression.weight"), self.p("esm.contact_head.regression.bias"))
        return torch.sigmoid(z.squeeze(-1))


def golden_worst(gold, outputs_of, relative):
    """the worst error of each output over a golden set's sequences: outputs_of(sequence) -> {name:
    tensor}; names in relative are compared relative to the golden array's largest magnitude"""
    worst = {}
    with torch.inference_mode():
        for s in json.load(open(gold + "/index.json"))["sequences"]:
            for k, v in outputs_of(s["sequence"]).items():
                want = np.load("%s/%s.%s.npy" % (gold, s["name"], k))
                err = float(np.abs(v.numpy() - want).max()) / (float(np.abs(want).max()) if k in relative else 1.0)
                worst[k] = max(worst.get(k, 0.0), err)
    return worst


def time_lengths(tokenize, run, runs):
    """per protein seconds and peak RSS by length: run(ids) is one protein's forward and output;
    one warm-up run at the first length"""
    for L, repeats in runs:
        rng = np.random.default_rng(L)
        ids = tokenize("".join(rng.choice(list("ACDEFGHIKLMNPQRSTVWY"), L)))
        with torch.inference_mode():
            warm = L == runs[0][0]
            for r in range(repeats + warm):
                if r == warm:
                    t = time.perf_counter()
                run(ids)
        print("%d %.4f %d" % (L, (time.perf_counter() - t) / repeats, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss), flush=True)
    return 0


def main(check, time_model, **more):
    """check SHARED | time MODEL MODE L:REPEATS... | any of more's commands with their arguments"""
    if len(sys.argv) == 3 and sys.argv[1] == "check":
        sys.exit(check(sys.argv[2]))
    if len(sys.argv) >= 5 and sys.argv[1] == "time":
        sys.exit(time_model(sys.argv[2], sys.argv[3], [tuple(int(x) for x in a.split(":")) for a in sys.argv[4:]]))
    if len(sys.argv) >= 2 and sys.argv[1] in more:
        sys.exit(more[sys.argv[1]](*sys.argv[2:]))
    sys.exit(sys.modules["__main__"].__doc__)


def esm_outputs(m, ids):
    """logits, attentions and contacts of an ESM-2 or ESM-1 baseline"""
    logits, reprs, atts = m.forward(ids)
    return {"logits": logits, "attentions": atts, "contacts": m.contacts(ids, atts)}


def check(shared):
    m = ESM2(shared + "/fixtures/models/esm2_t3_tiny_random.hf")
    w = golden_worst(shared + "/fixtures/golden/esm2_t3_tiny_random", lambda seq: esm_outputs(m, tokenize(seq)), ("logits",))
    ok = w["logits"] < 1e-4 and w["attentions"] < 1e-5 and w["contacts"] < 1e-5
    print("torch baseline vs golden esm2_t3_tiny_random: logits rel %.1e, attentions abs %.1e, contacts abs %.1e: %s"
          % (w["logits"], w["attentions"], w["contacts"], "ok" if ok else "MISMATCH"))
    return 0 if ok else 1


def esm_timed(m, mode):
    """one protein through an ESM-2 or ESM-1 baseline and what mode writes: its contacts or all maps"""
    def run(ids):
        logits, reprs, atts = m.forward(ids)
        return (m.contacts(ids, atts) if mode == "contacts" else atts).numpy()
    return run


def time_model(folder, mode, runs):
    return time_lengths(tokenize, esm_timed(ESM2(folder), mode), runs)


def pppl(folder, seq):
    m = ESM2(folder)
    ids = tokenize(seq)
    pll = 0.0
    with torch.inference_mode():
        t = time.perf_counter()
        for i in range(1, len(ids) - 1):
            masked = list(ids)
            masked[i] = MASK
            logits = m.forward(masked)[0]
            pll += float(torch.log_softmax(logits[i].double(), dim=-1)[ids[i]])
        dt = time.perf_counter() - t
    print("%.3f %.6f %.6f" % (dt, pll, math.exp(-pll / len(seq))), flush=True)
    return 0


if __name__ == "__main__":
    main(check, time_model, pppl=pppl)
