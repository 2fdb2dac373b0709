# ss_dssp_oracle.py: DSSP's own counts for test_ss, parsed apart from plugins/ss.c.
#
# Usage: ss_dssp_oracle.py MKDSSP STRUCTURE[.gz] CHAIN
# Runs mkdssp on the structure (gunzipped; PDB text gets a HEADER line, which
# mkdssp 4 wants) and prints, for the chain, the residues DSSP labels helix
# (H G I), strand (E B) and turn/bend (T S): "helix strand turn_bend".
import gzip, os, subprocess, sys, tempfile

mkdssp, path, chain = sys.argv[1], sys.argv[2], sys.argv[3]
opener = gzip.open if path.endswith(".gz") else open
with opener(path, "rt") as f:
    text = f.read()
with tempfile.TemporaryDirectory() as tmp:
    inp, out = os.path.join(tmp, "in.pdb"), os.path.join(tmp, "out.dssp")
    with open(inp, "w") as f:
        if not text.startswith("HEADER"):
            f.write("HEADER    ORACLE" + " " * 34 + "01-JAN-00   XXXX\n")
        f.write(text)
    subprocess.run([mkdssp, inp, out], check=True, capture_output=True)
    with open(out) as f:
        lines = f.read().splitlines()
body = lines[[i for i, l in enumerate(lines) if l.startswith("  #  RESIDUE")][0] + 1:]
ss = [l[16] for l in body if len(l) > 16 and l[13] != "!" and l[11] == (chain or " ")]
print(sum(c in "HGI" for c in ss), sum(c in "EB" for c in ss), sum(c in "TS" for c in ss))
