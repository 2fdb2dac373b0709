#!/bin/sh
# refused_input.sh: input that is damaged or outside what it describes is refused in one line naming
# the file and where (issue "Hardening", 5 and 2): binding-site annotations whose sites name no
# residue, and legacy (non-zip) torch checkpoints whose storages or offsets lie past the file.
. tests/lib.sh
need_shared fixtures/models "refused input" || exit 0
M=$SHARED/fixtures/models/esm2_t3_tiny_random.pt
BS=$SHARED/data/annotations/binding_ptm_provis/binding_site_valid.jsonl

# --- annotations: positions are residue numbers (negative ones are real), sites must name a residue
cat > "$T/bs.jsonl" <<'J'
{"id": "neg", "primary": "MKTAYIAKQR", "positions": [-2, -1, 0, 1, 2, 3, 4, 5, 6, 7], "sites": [-1, 3]}
{"id": "past", "primary": "MKVLAAGIVG", "positions": [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], "sites": [2, 99]}
{"id": "below", "primary": "MKVLAAGIVA", "positions": [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], "sites": [-5]}
J
printf '>neg\nMKTAYIAKQR\n' | "$BIN/seqread" | "$BIN/attn" -m "$M" --attentions > "$T/neg.tsr"
printf '>past\nMKVLAAGIVG\n' | "$BIN/seqread" | "$BIN/attn" -m "$M" --attentions > "$T/past.tsr"
printf '>below\nMKVLAAGIVA\n' | "$BIN/seqread" | "$BIN/attn" -m "$M" --attentions > "$T/below.tsr"
check "headstat: negative residue numbers with sites among them are accepted" "$BIN/headstat" -p "binding_site:file=$T/bs.jsonl" --min-arcs 1 "$T/neg.tsr"
check_fails "headstat: a site past the chain is an error naming the line" "bs.jsonl:2: sites 99 of past is no residue's position (positions run 1..10)" \
  "$BIN/headstat" -p "binding_site:file=$T/bs.jsonl" --min-arcs 1 "$T/past.tsr"
check_fails "headstat: a negative site no residue has is an error naming the line" "bs.jsonl:3: sites -5 of below" \
  "$BIN/headstat" -p "binding_site:file=$T/bs.jsonl" --min-arcs 1 "$T/below.tsr"
if [ -f "$BS" ] && need_python "ProVis' own chain with a site past its end"; then
  # the published file has one: 3wjp.A's site 338 past its last residue 337 (line 1204)
  "$PYTHON" -c "
import json, sys
for l in open(sys.argv[1]):
    d = json.loads(l)
    if d['id'] == '3wjp.A': print('>3wjp.A'); print(d['primary'])" "$BS" > "$T/3wjp.fa"
  "$BIN/seqread" "$T/3wjp.fa" | "$BIN/attn" -m "$M" --attentions > "$T/3wjp.tsr"
  check_fails "headstat: ProVis' 3wjp.A (a site past the chain) is refused naming line 1204" "binding_site_valid.jsonl:1204: sites 338 of 3wjp.A" \
    "$BIN/headstat" -p "binding_site:file=$BS" --min-arcs 1 "$T/3wjp.tsr"
fi

# --- legacy (pre-1.6, non-zip) torch files carry no checksum: every length and offset is checked
# against the file, and a damaged one is refused naming the storage
L1B=$SHARED/fixtures/models/esm1b_t2_tiny_random.pt
if [ -f "$L1B" ] && need_python "damaged legacy checkpoints"; then
  mkdir -p "$T/leg"
  "$PYTHON" - "$L1B" "$T/leg" <<'PY'
import pickle, pickletools, shutil, struct, sys
src, out = sys.argv[1], sys.argv[2]
b = open(src, 'rb').read()
pos = 0
for k in range(5):                      # magic, protocol, sys_info, the object, the storage keys
    for op, arg, p in pickletools.genops(b[pos:]):
        if op.name == 'STOP': end = pos + p + 1; break
    if k == 4: keys = pickle.loads(b[pos:end])
    pos = end
where = []                              # (key, offset of its u64 element count, count); all float32 here
for key in keys:
    n = struct.unpack_from('<Q', b, pos)[0]; where.append((key, pos, n)); pos += 8 + 4 * n
assert pos == len(b)
def save(name, data):
    open(out + '/' + name + '.pt', 'wb').write(data)
    if name != 'trailing': shutil.copy(src.replace('.pt', '-contact-regression.pt'), out + '/' + name + '-contact-regression.pt')
key0, p0, n0 = where[0]
huge = bytearray(b); struct.pack_into('<Q', huge, p0, 1 << 40); save('huge', huge)   # a storage longer than the file
save('cut', b[:-100])                                                                  # the last storage cut short
save('trailing', b + b'\0' * 16)                                                       # bytes after the last storage
keyL, pL, nL = where[-1]
short = bytearray(b[:len(b) - 4]); struct.pack_into('<Q', short, pL, nL - 1); save('short', short)  # one element fewer than its tensor views
open(out + '/keys', 'w').write('%s %s\n' % (key0, keyL))
PY
  read -r key0 keyL < "$T/leg/keys"
  printf '>a\nMKV\n' | "$BIN/seqread" > "$T/a.tsr"
  check "the undamaged legacy checkpoint loads" "$BIN/attn" -m "$L1B" "$T/a.tsr"
  check_fails "legacy: a storage longer than the file is refused naming it" "storage $key0: 1099511627776 elements run past the end of the file" "$BIN/attn" -m "$T/leg/huge.pt" "$T/a.tsr"
  check_fails "legacy: a file cut inside its last storage is refused naming it" "storage $keyL: 64 elements run past the end of the file" "$BIN/attn" -m "$T/leg/cut.pt" "$T/a.tsr"
  check_fails "legacy: bytes after the last storage are refused" "16 bytes after the last storage" "$BIN/attn" -m "$T/leg/trailing.pt" "$T/a.tsr"
  check_fails "legacy: a storage shorter than its tensor's view is refused naming both" "storage $keyL holds 63 elements; the view of 64" "$BIN/attn" -m "$T/leg/short.pt" "$T/a.tsr"
fi
