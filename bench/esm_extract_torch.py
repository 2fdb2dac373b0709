#!/usr/bin/env python3
"""esm_extract_torch.py: fair-esm's esm-extract, batching included, on bench/esm_torch.py's plain-torch ESM-2.

fair-esm is not a Debian package, so bench/batch.sh cannot run esm-extract itself. This is its
loop written out: the sequences cut into FastaBatchedDataset.get_batch_indices batches (sorted by
length; a batch closes when its longest sequence + 1 times its size would pass toks_per_batch,
4096 by default), each batch padded as BatchConverter pads it (<cls> seq <eos> <pad>...) and run
as ESM2.forward runs a padded batch: padded rows zeroed after the embedding, padded keys masked
out of every softmax, the returned maps zeroed on padded rows and columns, the contact head's
<eos> mask before its crop; then, per sequence, what `--include mean` (the last layer's mean over
the residues) or `--include contacts` (its L x L map) keeps. Outputs stay in memory (attn's go to
/dev/null in bench/batch.sh). Before it times anything it checks itself: the golden sequences of
esm2_t3_tiny_random as one padded batch must give the golden logits and contacts.

  esm_extract_torch.py check SHARED                  golden check of the padded batch, exit 1 on mismatch
  esm_extract_torch.py time MODEL_DIR FASTA MODE [TOKS]
                                                     MODE contacts|mean: prints "proteins seconds
                                                     peak_rss_kb" for the whole FASTA
"""
import json
import resource
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

from esm_torch import ESM2, EOS, MASK, PAD, tokenize  # also sets torch to 2 threads, as attn runs


def batch_indices(lengths, toks_per_batch=4096, extra_toks_per_seq=1):
    """FastaBatchedDataset.get_batch_indices: index lists, sequences sorted by length"""
    batches, buf, max_len = [], [], 0
    for sz, i in sorted((n, i) for i, n in enumerate(lengths)):
        sz += extra_toks_per_seq
        if buf and max(sz, max_len) * (len(buf) + 1) > toks_per_batch:
            batches.append(buf)
            buf, max_len = [], 0
        max_len = max(max_len, sz)
        buf.append(i)
    if buf:
        batches.append(buf)
    return batches


def padded(seqs):
    """BatchConverter's tokens: B x (longest + 2), <pad> after each <eos>"""
    ids = [tokenize(s) for s in seqs]
    tok = torch.full((len(ids), max(len(t) for t in ids)), PAD, dtype=torch.long)
    for b, t in enumerate(ids):
        tok[b, :len(t)] = torch.tensor(t)
    return tok


class BatchedESM2(ESM2):
    def attention_batch(self, x, l, pad):
        B, T, _ = x.shape
        pre = "esm.encoder.layer.%d.attention." % l
        q = self.lin(x, pre + "self.query") * self.hd ** -0.5
        k = self.lin(x, pre + "self.key")
        v = self.lin(x, pre + "self.value")
        q, k, v = (t.view(B, T, self.H, self.hd).transpose(1, 2) for t in (q, k, v))
        q, k = self.rotary(q, T), self.rotary(k, T)
        s = torch.matmul(q, k.transpose(-1, -2)).masked_fill(pad[:, None, None, :], float("-inf"))
        a = F.softmax(s, dim=-1, dtype=torch.float32)
        ctx = torch.matmul(a, v).transpose(1, 2).reshape(B, T, self.D)
        return self.lin(ctx, pre + "output.dense"), a

    def forward_batch(self, tok):
        """logits [B, T, V], the last layer's representation [B, T, D], maps [B, layers, H, T, T]"""
        pad = tok == PAD
        x = self.p("esm.embeddings.word_embeddings.weight")[tok]
        x = x.masked_fill((tok == MASK)[..., None], 0.0)
        ratio = (tok == MASK).sum(-1).float() / (~pad).sum(-1)
        x = x * (1 - 0.15 * 0.8) / (1 - ratio)[:, None, None]
        x = x * (1 - pad[..., None].type_as(x))
        atts = []
        for l in range(self.nl):
            pre = "esm.encoder.layer.%d." % l
            h, a = self.attention_batch(self.ln(x, pre + "attention.LayerNorm"), l, pad)
            x = x + h
            x = x + self.lin(self.gelu(self.lin(self.ln(x, pre + "LayerNorm"), pre + "intermediate.dense")), pre + "output.dense")
            atts.append(a)
        x = self.ln(x, "esm.encoder.emb_layer_norm_after")
        h = F.layer_norm(self.gelu(self.lin(x, "lm_head.dense")), (self.D,), self.p("lm_head.layer_norm.weight"),
                         self.p("lm_head.layer_norm.bias"), self.eps)
        logits = F.linear(h, self.p("lm_head.decoder.weight")) + self.p("lm_head.bias")
        keep = 1 - pad.type_as(x)
        atts = torch.stack(atts, 1) * (keep[:, None, :] * keep[:, :, None])[:, None, None]
        return logits, x, atts

    def contacts_batch(self, tok, atts):
        """ContactPredictionHead over a padded batch: [B, T - 2, T - 2]"""
        eos = (tok != EOS).type_as(atts)
        a = (atts * (eos[:, None, :] * eos[:, :, None])[:, None, None])[..., 1:-1, 1:-1]
        B, nl, H, T, _ = a.shape
        a = a.reshape(B, nl * H, T, T)
        s = a + a.transpose(-1, -2)
        avg = s.sum(-1, keepdims=True) * s.sum(-2, keepdims=True) / s.sum((-1, -2), keepdims=True)
        f = (s - avg).permute(0, 2, 3, 1)
        z = F.linear(f, self.p("esm.contact_head.regression.weight"), self.p("esm.contact_head.regression.bias"))
        return torch.sigmoid(z.squeeze(-1))


def check(shared):
    gold = shared + "/fixtures/golden/esm2_t3_tiny_random"
    m = BatchedESM2(shared + "/fixtures/models/esm2_t3_tiny_random.hf")
    seqs = json.load(open(gold + "/index.json"))["sequences"]
    worst = {"logits": 0.0, "contacts": 0.0}
    with torch.inference_mode():
        tok = padded([s["sequence"] for s in seqs])
        logits, _, atts = m.forward_batch(tok)
        contacts = m.contacts_batch(tok, atts)
    for b, s in enumerate(seqs):
        T = len(tokenize(s["sequence"]))
        for name, got in (("logits", logits[b, :T]), ("contacts", contacts[b, :T - 2, :T - 2])):
            want = np.load("%s/%s.%s.npy" % (gold, s["name"], name))
            err = float(np.abs(got.numpy() - want).max())
            worst[name] = max(worst[name], err / float(np.abs(want).max()) if name == "logits" else err)
    ok = worst["logits"] < 1e-4 and worst["contacts"] < 1e-5
    print("esm-extract torch baseline, golden esm2_t3_tiny_random as one padded batch of %d: logits rel %.1e, contacts abs %.1e: %s"
          % (len(seqs), worst["logits"], worst["contacts"], "ok" if ok else "MISMATCH"))
    return 0 if ok else 1


def read_fasta(path):
    seqs, cur = [], None
    for line in open(path):
        line = line.strip()
        if line.startswith(">"):
            if cur is not None:
                seqs.append("".join(cur))
            cur = []
        elif cur is not None:
            cur.append(line)
    if cur is not None:
        seqs.append("".join(cur))
    return seqs


def time_extract(folder, fasta, mode, toks="4096"):
    m, seqs = BatchedESM2(folder), read_fasta(fasta)
    kept = [None] * len(seqs)
    t = time.perf_counter()
    with torch.inference_mode():
        for idx in batch_indices([len(s) for s in seqs], int(toks)):
            tok = padded([seqs[i] for i in idx])
            logits, last, atts = m.forward_batch(tok)
            if mode == "contacts":
                c = m.contacts_batch(tok, atts)
                for b, i in enumerate(idx):
                    kept[i] = c[b, :len(seqs[i]), :len(seqs[i])].clone().numpy()
            else:
                for b, i in enumerate(idx):
                    kept[i] = last[b, 1:len(seqs[i]) + 1].mean(0).clone().numpy()
    print("%d %.3f %d" % (len(seqs), time.perf_counter() - t, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss), flush=True)
    return 0


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "check":
        sys.exit(check(sys.argv[2]))
    if len(sys.argv) in (5, 6) and sys.argv[1] == "time" and sys.argv[4] in ("contacts", "mean"):
        sys.exit(time_extract(*sys.argv[2:]))
    sys.exit(__doc__)
