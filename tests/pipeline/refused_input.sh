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
