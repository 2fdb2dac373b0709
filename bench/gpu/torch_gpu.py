#!/usr/bin/env python3
"""torch_gpu.py: the PyTorch side of bench/gpu/run.sh: HuggingFace transformers' ESM-2 on the GPU.

Reads the HuggingFace folders mkmodel(1) writes (config.json + model.safetensors) with
EsmForMaskedLM.from_pretrained, .cuda().eval(), under torch.no_grad. Where CUDA is absent it runs
on the CPU and says so in every line; where torch or transformers is absent, "env" says why and
exits 1, and run.sh leaves the torch columns out.

  torch_gpu.py env                          one line: torch/transformers versions and the device
  torch_gpu.py fasta L N                    N copies of the length-L protein every side times
  torch_gpu.py time DIR RUNS MODES L...     for each dtype (f32, then f16 on CUDA), mode
                                            (logits|contacts|attentions) and length: two warm-up
                                            runs, then the median of RUNS; prints
                                            "mode L dtype seconds peak_gpu_MB"
  torch_gpu.py check DIR NPYDIR ID          f32 logits and contacts of protein ID (its sequence in
                                            NPYDIR/ID.tokens.npy) against attn's NPYDIR/ID.logits.npy
                                            and ID.contacts.npy: max |difference| of each
  torch_gpu.py probe DIR MODE L             exit 0 if MODE fits at length L in f32, else 1

Every timed run ends with the output copied to host memory (.cpu()), as attn writes it to its
stream, and with torch.cuda.synchronize(). Contacts use EsmForMaskedLM.predict_contacts where
this transformers has it, else the attentions mode is timed and the line says so. The attention
modes load the model with attn_implementation="eager" (output_attentions needs it); logits use the
library's default (SDPA where available).
"""
import random
import statistics
import sys
import time

ALPHABET = "LAGVSERTIDPKQNFYMHWCXBUZO.-"     # ids 4..30, fair-esm's
CLS, EOS = 0, 2


def protein(L):
    r = random.Random(L)
    return "".join(r.choice("ACDEFGHIKLMNPQRSTVWY") for _ in range(L))


def env():
    try:
        import torch
        import transformers
    except ImportError as e:
        print("torch side absent: %s" % e)
        return 1
    dev = ("cuda: %s, %.0f GiB" % (torch.cuda.get_device_name(0), torch.cuda.get_device_properties(0).total_memory / 2**30)
           if torch.cuda.is_available() else "no CUDA: torch runs on the CPU (%d threads), f16 skipped" % torch.get_num_threads())
    print("torch %s, transformers %s, %s" % (torch.__version__, transformers.__version__, dev))
    return 0


def load(folder, mode, dtype):
    import torch
    from transformers import EsmForMaskedLM
    kw = {} if mode == "logits" else {"attn_implementation": "eager"}
    try:
        m = EsmForMaskedLM.from_pretrained(folder, **kw)
    except (TypeError, ValueError):
        m = EsmForMaskedLM.from_pretrained(folder)
    m = m.eval()
    if torch.cuda.is_available():
        m = m.cuda()
    return m.half() if dtype == "f16" else m


def tokens(L):
    import torch
    ids = [CLS] + [4 + ALPHABET.index(c) for c in protein(L)] + [EOS]
    dev = "cuda" if torch.cuda.is_available() else "cpu"
    return torch.tensor([ids], device=dev), torch.ones(1, len(ids), dtype=torch.long, device=dev)


def run(m, mode, ids, mask):
    """one forward pass of MODE, its output in host memory; returns the mode actually run"""
    if mode == "logits":
        m(input_ids=ids, attention_mask=mask).logits.float().cpu()
    elif mode == "contacts" and hasattr(m, "predict_contacts"):
        m.predict_contacts(ids, mask).float().cpu()
    else:
        import torch
        a = m(input_ids=ids, attention_mask=mask, output_attentions=True).attentions
        torch.stack([x[0] for x in a]).float().cpu()
        return "attentions"
    return mode


def sync():
    import torch
    if torch.cuda.is_available():
        torch.cuda.synchronize()


def time_model(folder, runs, modes, lengths):
    import torch
    dtypes = ["f32", "f16"] if torch.cuda.is_available() else ["f32"]
    where = "" if torch.cuda.is_available() else " (CPU: no CUDA)"
    for dtype in dtypes:
        for mode in modes:
            m = load(folder, mode, dtype)
            with torch.no_grad():
                for L in lengths:
                    ids, mask = tokens(L)
                    try:
                        for _ in range(2):
                            ran = run(m, mode, ids, mask)
                        sync()
                        if torch.cuda.is_available():
                            torch.cuda.reset_peak_memory_stats()
                        times = []
                        for _ in range(runs):
                            sync()
                            t = time.perf_counter()
                            run(m, mode, ids, mask)
                            sync()
                            times.append(time.perf_counter() - t)
                        peak = torch.cuda.max_memory_allocated() / 2**20 if torch.cuda.is_available() else 0
                        note = where + ("" if ran == mode else " (no predict_contacts: attentions timed)")
                        print("%s %d %s %.5f %.0f%s" % (mode, L, dtype, statistics.median(times), peak, note), flush=True)
                    except RuntimeError as e:               # CUDA out of memory among them
                        print("%s %d %s nan 0 (%s)" % (mode, L, dtype, str(e).splitlines()[0][:120]), flush=True)
                        if torch.cuda.is_available():
                            torch.cuda.empty_cache()
            del m
            if torch.cuda.is_available():
                torch.cuda.empty_cache()
    return 0


def check(folder, npydir, pid):
    import numpy as np
    import torch
    tok = np.load("%s/%s.tokens.npy" % (npydir, pid))
    dev = "cuda" if torch.cuda.is_available() else "cpu"
    ids = torch.tensor(tok[None].astype(np.int64), device=dev)
    mask = torch.ones_like(ids)
    m = load(folder, "contacts", "f32")
    with torch.no_grad():
        logits = m(input_ids=ids, attention_mask=mask).logits[0].float().cpu().numpy()
        contacts = m.predict_contacts(ids, mask)[0].float().cpu().numpy() if hasattr(m, "predict_contacts") else None
    ours = np.load("%s/%s.logits.npy" % (npydir, pid))
    line = "logits max|diff| %.2e (max|logit| %.1f)" % (np.abs(ours - logits).max(), np.abs(logits).max())
    if contacts is not None:
        line += ", contacts max|diff| %.2e" % np.abs(np.load("%s/%s.contacts.npy" % (npydir, pid)) - contacts).max()
    print(line + ("" if torch.cuda.is_available() else " (torch on the CPU: no CUDA)"))
    return 0


def probe(folder, mode, L):
    import torch
    m = load(folder, mode, "f32")
    ids, mask = tokens(L)
    try:
        with torch.no_grad():
            run(m, mode, ids, mask)
            sync()
    except RuntimeError as e:
        print(str(e).splitlines()[0][:200])
        return 1
    return 0


if __name__ == "__main__":
    a = sys.argv[1:]
    if a == ["env"]:
        sys.exit(env())
    if len(a) == 3 and a[0] == "fasta":
        s, n = protein(int(a[1])), int(a[2])
        sys.stdout.write("".join(">p%s_%d\n%s\n" % (a[1], i, s) for i in range(n)))
        sys.exit(0)
    if len(a) >= 5 and a[0] == "time":
        sys.exit(time_model(a[1], int(a[2]), a[3].split(","), [int(x) for x in a[4:]]))
    if len(a) == 4 and a[0] == "check":
        sys.exit(check(a[1], a[2], a[3]))
    if len(a) == 4 and a[0] == "probe":
        sys.exit(probe(a[1], a[2], int(a[3])))
    sys.exit(__doc__)
