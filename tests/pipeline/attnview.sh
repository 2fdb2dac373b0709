# attnview.sh: attnview's page and SVG/PNG figures, checked against the golden files.
#
# A record is built from esm2_t3_tiny_random's golden ubq attention and contacts
# (plmstream from-npy: no special_tokens metadata, so T = L + 2 is read as
# BOS + residues + EOS) and shown on 7HVP; attnview_oracle.py decodes the page's
# embedded attention and the SVGs' images and compares them with the npy files;
# the PNG figures are drawn with a contacts_true the oracle writes and decoded by it.
# Then errors: missing options, unknown head, absent tensor or record, NGL absent.
. tests/lib.sh
AV="$BIN/attnview"
G=$SHARED/fixtures/golden/esm2_t3_tiny_random
P=$SHARED/data/structures/paper_entries/7hvp.pdb
NGL=${BUILD:-build}/npm/node_modules/ngl/dist/ngl.js
[ -x "$AV" ] || { skip "attnview: $AV not built"; exit 0; }
need_shared fixtures/golden/esm2_t3_tiny_random "attnview" || exit 0
need_shared data/structures/paper_entries "attnview" || exit 0
# without NGL the page's content is still checked, with a stand-in script
[ -f "$NGL" ] || { echo "var NGL = {};" > "$T/ngl.js"; NGL=$T/ngl.js; }
UBQ=$(sed -n '/"name": "ubq"/,/}/s/.*"sequence": "\([A-Z]*\)".*/\1/p' "$G/index.json")

check "plmstream from-npy (golden ubq)" sh -c "'$BIN/plmstream' from-npy --id ubq --seq '$UBQ' attentions='$G/ubq.attentions.npy' \
  contacts='$G/ubq.contacts.npy' > '$T/ubq.tsr'"
check "attnview page and SVGs" "$AV" --pdb "$P" --ngl "$NGL" -o "$T/ubq.html" --svg-contacts "$T/c.svg" --svg-grid "$T/g.svg" "$T/ubq.tsr"
[ "$(grep -c 'class="tick"' "$T/c.svg")" -eq 14 ] && grep -q '>P(contact) 0<' "$T/c.svg" && grep -q '>unknown<' "$T/c.svg" \
  && pass "attnview: contact SVG has residue ticks (10..70 on both panels) and a colour legend" \
  || fail "attnview: contact SVG ticks $(grep -c 'class="tick"' "$T/c.svg"), legend $(grep -c 'P(contact)' "$T/c.svg")"
# defaults that leave the cartoon visible: Vig's theta 0.3, thin cylinders, at most 200 of them
grep -q '"threshold":0.3,"radius":0.3,"maxArcs":200' "$T/ubq.html" && pass "attnview: default threshold 0.3, radius 0.3, 200 arcs" \
  || fail "attnview: defaults in the page: $(grep -o '"threshold":[^,]*,"radius":[^,]*,"maxArcs":[0-9]*' "$T/ubq.html")"
if need_python "attnview oracle"; then
  "$PYTHON" tests/pipeline/attnview_oracle.py "$T/ubq.html" "$T/c.svg" "$T/g.svg" "$G/ubq.attentions.npy" "$G/ubq.contacts.npy" 6 ||
    echo "FAIL attnview oracle exited with an error"
fi
if need_python "attnview PNG figures"; then
  check "attnview PNGs (contacts_true from the oracle)" sh -c "'$PYTHON' tests/pipeline/attnview_oracle.py truth '$G/ubq.contacts.npy' 6 '$T/truth.npy' &&
    '$BIN/plmstream' from-npy --id ubq --seq '$UBQ' attentions='$G/ubq.attentions.npy' contacts='$G/ubq.contacts.npy' \
    contacts_true='$T/truth.npy' | '$AV' --pdb '$P' --png-contacts '$T/c.png' --png-grid '$T/g.png' > '$T/none.png' && [ ! -s '$T/none.png' ]"
  "$PYTHON" tests/pipeline/attnview_oracle.py png "$T/c.png" "$T/g.png" "$G/ubq.attentions.npy" "$G/ubq.contacts.npy" 6 ||
    echo "FAIL attnview PNG oracle exited with an error"
fi
check_fails "unwritable PNG" "/nonexistent/c.png" "$AV" --pdb "$P" --png-contacts /nonexistent/c.png "$T/ubq.tsr"
check "SVGs only: no page on stdout" sh -c "'$AV' --pdb '$P' --svg-grid '$T/g2.svg' '$T/ubq.tsr' > '$T/none' && [ ! -s '$T/none' ] && cmp -s '$T/g.svg' '$T/g2.svg'"
check "gzipped structure, --layer/--head/--directed" sh -c "gzip -c '$P' > '$T/7hvp.pdb.gz' && '$BIN/plmstream' from-npy --id ubq --seq '$UBQ' \
  attentions='$G/ubq.attentions.npy' > '$T/u.tsr' && '$AV' --pdb '$T/7hvp.pdb.gz' --ngl '$NGL' --head 2 --layer 1 --directed '$T/u.tsr' > '$T/u.html' &&
  grep -q '\"layer\":0,\"head\":1' '$T/u.html' && grep -q '\"mode\":\"directed\"' '$T/u.html'"
M=$SHARED/fixtures/models/esm2_t3_tiny_random.pt
check "f16 attention from attn" sh -c "printf '>u\\n%s\\n' '$UBQ' | '$BIN/seqread' | '$BIN/attn' -m '$M' --attentions --attn-dtype f16 --layers 2,3 |
  '$AV' --pdb '$P' --ngl '$NGL' > '$T/f16.html' && grep -q '\"layers\":\[2,3\]' '$T/f16.html'"
BS=$SHARED/data/annotations/binding_ptm_provis/binding_site_valid.jsonl
if [ -f "$BS" ]; then   # the first binding-site entry, shown on 7HVP: only the colours are checked
  head -n 1 "$BS" | sed 's/.*"id": "\([^"]*\)".*"primary": "\([A-Z]*\)".*/>\1\n\2/' > "$T/bs.fa"
  check "--plugin binding_site colours residues" sh -c "'$BIN/seqread' '$T/bs.fa' | '$BIN/attn' -m '$M' --attentions --layers 3 |
    '$AV' --pdb '$P' --ngl '$NGL' --plugin-dir '${BUILD:-build}/lib/plmscope/plugins' -P binding_site:file='$BS' > '$T/bs.html' &&
    grep -q '\"prop\":\[0,' '$T/bs.html' && grep -q '>binding_site</b>' '$T/bs.html'"
  check_fails "--prop the plugin lacks" "no property 'helix'" sh -c "'$BIN/seqread' '$T/bs.fa' | '$BIN/attn' -m '$M' --layers 3 |
    '$AV' --pdb '$P' --ngl '$NGL' -P binding_site:file='$BS' --prop helix"
else skip "attnview --plugin: $BS absent"; fi
check_fails "--pdb required" "--pdb" "$AV" "$T/ubq.tsr"
check_fails "unknown head" "no such head" "$AV" --pdb "$P" --ngl "$NGL" --head 9 "$T/ubq.tsr"
check_fails "record without attentions" "no tensor 'attentions'" sh -c "'$BIN/plmstream' from-npy --id x --seq '$UBQ' \
  contacts='$G/ubq.contacts.npy' | '$AV' --pdb '$P' --ngl '$NGL'"
check_fails "unknown --id" "no record with that --id" "$AV" --pdb "$P" --ngl "$NGL" --id nothere "$T/ubq.tsr"
check_fails "NGL absent" "NGL: cannot read" "$AV" --pdb "$P" --ngl "$T/nothere.js" "$T/ubq.tsr"
check_fails "attention that does not fit the sequence" "does not fit" sh -c "'$BIN/plmstream' from-npy --id x --seq MKTAYIA \
  attentions='$G/ubq.attentions.npy' | '$AV' --pdb '$P' --ngl '$NGL'"
