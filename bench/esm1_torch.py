#!/usr/bin/env python3
"""esm1_torch.py: the PyTorch baseline for bench/attn.sh's ESM-1 shapes: ESM-1 in plain torch.

fair-esm's ProteinBertModel with arch protein_bert_base (esm1.py, modules.py,
multihead_attention.py), written out as bench/esm_torch.py writes ESM-2: embeddings scaled by
sqrt(D) plus fairseq's sinusoidal positions (t + padding_idx + 1), pre-LayerNorm blocks with
ESM-1 LayerNorm (eps 1e-12), q scaled, a learned null key and value appended to every layer's
keys and values (softmax over T + 1 keys; the returned maps drop the null column), exact-erf
GELU, no final LayerNorm, the untied output layer embed_out + embed_out_bias, and the contact
head over the BOS-only maps. It reads the folders `mkmodel --arch esm1` writes (fair-esm's keys
in model.safetensors, its args in config.json) and, for its check, the legacy fixture .pt.

  esm1_torch.py check SHARED                      golden check on esm1_t3_tiny_random, exit 1 on mismatch
  esm1_torch.py time MODEL_DIR MODE L:R...        as esm_torch.py time
"""
import json
import math

import torch
import torch.nn.functional as F

from esm_torch import read_safetensors, golden_worst, time_lengths, main, esm_outputs, esm_timed  # also sets torch to 2 threads, as attn runs

ALPHABET = "LAGVSERTIDPKQNFYMHWCXBUZO.-"     # ids 4..30, as ESM-1b's
PAD, CLS, MASK = 1, 32, 33


def load(path):
    """a legacy fair-esm file: a dict holding an argparse Namespace, so not weights-only"""
    try:
        return torch.load(path, map_location="cpu", weights_only=False)
    except TypeError:                          # torch before 1.13 has no weights_only
        return torch.load(path, map_location="cpu")


def tokenize(seq):
    ids, i = [CLS], 0
    while i < len(seq):
        if seq.startswith("<mask>", i):
            ids.append(MASK); i += 6
        else:
            ids.append(4 + ALPHABET.index(seq[i])); i += 1
    return ids                                 # BOS only: ESM-1 appends no EOS


class ESM1:
    def __init__(self, weights, args):
        self.w = weights
        self.nl, self.D = int(args["decoder_layers"]), int(args["decoder_embed_dim"])
        self.H = int(args["decoder_attention_heads"])
        self.hd = self.D // self.H

    @classmethod
    def from_folder(cls, folder):
        return cls(read_safetensors(folder + "/model.safetensors"), json.load(open(folder + "/config.json")))

    @classmethod
    def from_pt(cls, path, head):
        ck, reg = load(path), load(head)
        w = {k: v.float() for k, v in ck["model"].items() if torch.is_tensor(v)}
        w.update({k: v.float() for k, v in reg["model"].items()})
        return cls(w, vars(ck["args"]))

    def p(self, name):
        return self.w[name]

    def ln(self, x, prefix):
        return F.layer_norm(x, (self.D,), self.p(prefix + ".weight"), self.p(prefix + ".bias"), 1e-12)

    def lin(self, x, prefix):
        return F.linear(x, self.p(prefix + ".weight"), self.p(prefix + ".bias"))

    @staticmethod
    def gelu(x):
        return x * 0.5 * (1.0 + torch.erf(x / math.sqrt(2.0)))

    def sinusoids(self, n):
        half = self.D // 2
        f = torch.exp(torch.arange(half, dtype=torch.float) * -(math.log(10000) / (half - 1)))
        a = torch.arange(n, dtype=torch.float).unsqueeze(1) * f.unsqueeze(0)
        emb = torch.cat([torch.sin(a), torch.cos(a)], dim=1)
        if self.D % 2:
            emb = torch.cat([emb, torch.zeros(n, 1)], dim=1)
        emb[PAD, :] = 0
        return emb

    def attention(self, x, l):
        T, D, H, hd = x.shape[0], self.D, self.H, self.hd
        pre = "decoder.layers.%d.self_attn." % l
        q = self.lin(x, pre + "q_proj") * hd ** -0.5
        k = torch.cat([self.lin(x, pre + "k_proj"), self.p(pre + "bias_k").reshape(1, D)])
        v = torch.cat([self.lin(x, pre + "v_proj"), self.p(pre + "bias_v").reshape(1, D)])
        q = q.view(T, H, hd).transpose(0, 1)
        k, v = (t.view(T + 1, H, hd).transpose(0, 1) for t in (k, v))
        a = F.softmax(torch.bmm(q, k.transpose(1, 2)), dim=-1, dtype=torch.float32)
        ctx = torch.bmm(a, v).transpose(0, 1).reshape(T, D)
        return self.lin(ctx, pre + "out_proj"), a[:, :, :-1]

    def forward(self, ids):
        tok, T = torch.tensor(ids), len(ids)
        x = math.sqrt(self.D) * self.p("decoder.embed_tokens.weight")[tok]
        x = x + self.sinusoids(T + PAD + 1)[torch.arange(T) + PAD + 1]
        reprs, atts = [x], []
        for l in range(self.nl):
            pre = "decoder.layers.%d." % l
            h, a = self.attention(self.ln(x, pre + "self_attn_layer_norm"), l)
            x = x + h
            x = x + self.lin(self.gelu(self.lin(self.ln(x, pre + "final_layer_norm"), pre + "fc1")), pre + "fc2")
            reprs.append(x)
            atts.append(a)
        logits = F.linear(x, self.p("decoder.embed_out"), self.p("decoder.embed_out_bias"))
        return logits, reprs, torch.stack(atts)

    def contacts(self, ids, atts):
        L = len(ids) - 1
        a = atts[:, :, 1:, 1:].reshape(-1, L, L)
        s = a + a.transpose(-1, -2)
        avg = s.sum(-1, keepdims=True) * s.sum(-2, keepdims=True) / s.sum((-1, -2), keepdims=True)
        f = (s - avg).permute(1, 2, 0)
        z = F.linear(f, self.p("contact_head.regression.weight"), self.p("contact_head.regression.bias"))
        return torch.sigmoid(z.squeeze(-1))


def check(shared):
    m = ESM1.from_pt(shared + "/fixtures/models/esm1_t3_tiny_random.pt",
                     shared + "/fixtures/models/esm1_t3_tiny_random-contact-regression.pt")
    w = golden_worst(shared + "/fixtures/golden/esm1_t3_tiny_random", lambda seq: esm_outputs(m, tokenize(seq)), ("logits",))
    ok = w["logits"] < 1e-4 and w["attentions"] < 1e-5 and w["contacts"] < 1e-5
    print("torch baseline vs golden esm1_t3_tiny_random: logits rel %.1e, attentions abs %.1e, contacts abs %.1e: %s"
          % (w["logits"], w["attentions"], w["contacts"], "ok" if ok else "MISMATCH"))
    return 0 if ok else 1


def time_model(folder, mode, runs):
    return time_lengths(tokenize, esm_timed(ESM1.from_folder(folder), mode), runs)


if __name__ == "__main__":
    main(check, time_model)
