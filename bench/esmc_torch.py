#!/usr/bin/env python3
"""esmc_torch.py: the PyTorch baseline for bench/attn.sh: ESM C written out in plain torch.

EvolutionaryScale's esm package cannot be installed here, so this is a minimal, faithful ESM C
(esm/models/esmc.py, esm/layers/blocks.py, attention.py, rotary.py, regression_head.py: embedding
without positions, pre-LayerNorm blocks, fused QKV without bias, LayerNorm (weight only) of q and k
over all of d_model, half-split rotary, SwiGLU, residual branches divided by sqrt(n_layers / 36),
weight-only final LayerNorm, sequence head Linear -> GELU -> LayerNorm -> Linear), reading the bare
state dict (.pth) or the .safetensors mkmodel(1) writes. Unlike ESM C's own code it returns the
attention maps (softmax(q k^T / sqrt d) v written out), as plmscope does. Before it times anything,
bench/attn.sh has it check itself against the golden outputs of esmc_t3_tiny_random.

  esmc_torch.py check SHARED                 golden check, exit 1 on mismatch
  esmc_torch.py time MODEL MODE L:R...       MODE attentions|embeddings; for each length L
                                             (ascending) the mean of R runs after one warm-up:
                                             prints "L seconds_per_protein peak_rss_kb"
Without torch it prints SKIP and exits 0.
"""
import math
import os
import sys

try:
    import torch
    import torch.nn.functional as F
except ImportError as e:
    print("SKIP esmc_torch: %s" % e)
    sys.exit(0)

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from esm_torch import read_safetensors, golden_worst, time_lengths, main    # noqa: E402  (sets torch to 2 threads)

ALPHABET = "LAGVSERTIDPKQNFYMHWCXBUZO.-"     # ids 4..30; '|' 31, <mask> 32
CLS, EOS, BREAK, MASK = 0, 2, 31, 32


def tokenize(seq):
    ids, i = [CLS], 0
    while i < len(seq):
        if seq.startswith("<mask>", i):
            ids.append(MASK); i += 6
        elif seq[i] == "|":
            ids.append(BREAK); i += 1
        else:
            ids.append(4 + ALPHABET.index(seq[i])); i += 1
    return ids + [EOS]


def read_weights(path):
    if path.endswith(".pth") or path.endswith(".pt"):
        return {k: v.float() for k, v in torch.load(path, map_location="cpu").items()}
    return read_safetensors(path)


class ESMC:
    def __init__(self, path):
        self.w = read_weights(path)
        self.D = self.w["embed.weight"].shape[1]
        self.nl = sum(1 for k in self.w if k.endswith("attn.layernorm_qkv.1.weight"))
        self.H = self.D // 64                      # every published ESM C
        self.hd = 64
        self.scale = math.sqrt(self.nl / 36)
        self.inv_freq = 1.0 / (10000 ** (torch.arange(0, self.hd, 2, dtype=torch.float32) / self.hd))

    def rotary(self, x, T):                        # x [T, H, hd], half-split
        freqs = torch.outer(torch.arange(T, dtype=torch.float32), self.inv_freq)
        cos, sin = freqs.cos()[:, None, :], freqs.sin()[:, None, :]
        x1, x2 = x.chunk(2, dim=-1)
        return torch.cat((x1 * cos - x2 * sin, x2 * cos + x1 * sin), dim=-1)

    def block(self, x, l):
        p, T, D = "transformer.blocks.%d." % l, x.shape[0], self.D
        w = self.w
        h = F.layer_norm(x, (D,), w[p + "attn.layernorm_qkv.0.weight"], w[p + "attn.layernorm_qkv.0.bias"])
        q, k, v = F.linear(h, w[p + "attn.layernorm_qkv.1.weight"]).chunk(3, dim=-1)
        q = F.layer_norm(q, (D,), w[p + "attn.q_ln.weight"])
        k = F.layer_norm(k, (D,), w[p + "attn.k_ln.weight"])
        q = self.rotary(q.view(T, self.H, self.hd), T).transpose(0, 1)
        k = self.rotary(k.view(T, self.H, self.hd), T).transpose(0, 1)
        v = v.view(T, self.H, self.hd).transpose(0, 1)
        a = torch.softmax(q @ k.transpose(1, 2) / math.sqrt(self.hd), dim=-1)
        ctx = (a @ v).transpose(0, 1).reshape(T, D)
        x = x + F.linear(ctx, w[p + "attn.out_proj.weight"]) / self.scale
        h = F.layer_norm(x, (D,), w[p + "ffn.0.weight"], w[p + "ffn.0.bias"])
        a1, a2 = F.linear(h, w[p + "ffn.1.weight"]).chunk(2, dim=-1)
        x = x + F.linear(F.silu(a1) * a2, w[p + "ffn.3.weight"]) / self.scale
        return x, a

    def forward(self, ids):
        w = self.w
        x = w["embed.weight"][torch.tensor(ids)]
        reprs, atts = [x], []
        for l in range(self.nl):
            x, a = self.block(x, l)
            reprs.append(x)
            atts.append(a)
        e = F.layer_norm(x, (self.D,), w["transformer.norm.weight"])
        h = F.linear(e, w["sequence_head.0.weight"], w["sequence_head.0.bias"])
        h = F.layer_norm(F.gelu(h), (self.D,), w["sequence_head.2.weight"], w["sequence_head.2.bias"])
        logits = F.linear(h, w["sequence_head.3.weight"], w["sequence_head.3.bias"])
        return logits, reprs, e, torch.stack(atts)


def check(shared):
    m = ESMC(shared + "/fixtures/models/esmc_t3_tiny_random.safetensors")

    def outputs(seq):
        logits, reprs, emb, atts = m.forward(tokenize(seq))
        return {"logits": logits, "embeddings": emb, "attentions": atts}
    w = golden_worst(shared + "/fixtures/golden/esmc_t3_tiny_random", outputs, ("logits", "embeddings"))
    ok = w["logits"] < 1e-4 and w["embeddings"] < 1e-4 and w["attentions"] < 1e-5
    print("torch ESM C baseline vs golden esmc_t3_tiny_random: logits rel %.1e, embeddings rel %.1e, attentions abs %.1e: %s"
          % (w["logits"], w["embeddings"], w["attentions"], "ok" if ok else "MISMATCH"))
    return 0 if ok else 1


def time_model(path, mode, runs):
    m = ESMC(path)

    def run(ids):
        logits, reprs, emb, atts = m.forward(ids)
        return (atts if mode == "attentions" else emb).numpy()
    return time_lengths(tokenize, run, runs)


if __name__ == "__main__":
    main(check, time_model)
