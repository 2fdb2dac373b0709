# attnview_browser.sh: attnview's page in a real browser (headless Chromium via playwright-core).
#
# 7HVP with the fixture model: seqread | attn --attentions --contacts | truecontacts |
# attnview, then tests/pipeline/attnview_browser.js opens the page from disk and
# checks that NGL loads, the head and threshold controls and the head grid work,
# the canvas shows the structure, and there are no console errors and no network
# requests. The screenshot is kept as $BUILD/attnview-7hvp.png.
# Needs: chromium (Debian), node, and under $BUILD/npm the npm packages ngl and playwright-core.
. tests/lib.sh
BUILD=${BUILD:-build}
NPM=$BUILD/npm/node_modules
P=$SHARED/data/structures/paper_entries/7hvp.pdb
M=$SHARED/fixtures/models/esm2_t3_tiny_random.pt
CHROMIUM=${CHROMIUM:-$(command -v chromium || true)}
[ -x "$BIN/attnview" ] || { skip "attnview browser: $BIN/attnview not built"; exit 0; }
[ -n "$CHROMIUM" ] || { skip "attnview browser: chromium absent (apt-get install chromium)"; exit 0; }
command -v node >/dev/null 2>&1 || { skip "attnview browser: node absent (apt-get install nodejs)"; exit 0; }
[ -f "$NPM/ngl/dist/ngl.js" ] || { skip "attnview browser: NGL absent (npm install --prefix $BUILD/npm ngl@2 playwright-core)"; exit 0; }
[ -d "$NPM/playwright-core" ] || { skip "attnview browser: playwright-core absent (npm install --prefix $BUILD/npm playwright-core)"; exit 0; }
[ -f "$P" ] && [ -f "$M" ] || { skip "attnview browser: 7hvp.pdb or the fixture model absent in $SHARED"; exit 0; }

awk 'BEGIN { split("ALA A ARG R ASN N ASP D CYS C GLN Q GLU E GLY G HIS H ILE I LEU L LYS K MET M PHE F PRO P SER S THR T TRP W TYR Y VAL V", t, " ")
             for (i = 1; i < 40; i += 2) aa[t[i]] = t[i + 1]; print ">7hvp_A" }
     /^SEQRES/ && substr($0, 12, 1) == "A" { for (i = 5; i <= NF; i++) printf "%s", ($i in aa) ? aa[$i] : "X" }
     END { print "" }' "$P" > "$T/7hvp.fa"
check "seqread | attn | truecontacts | attnview (7HVP)" sh -c "'$BIN/seqread' '$T/7hvp.fa' | '$BIN/attn' -m '$M' --attentions --contacts |
  '$BIN/truecontacts' --pdb '$P' | '$BIN/attnview' --pdb '$P' -o '$T/7hvp.html'"
CHROMIUM=$CHROMIUM NODE_PATH=$NPM timeout 180 node tests/pipeline/attnview_browser.js "$T/7hvp.html" "$BUILD/attnview-7hvp.png" \
  > "$T/browser" 2>&1
rc=$?
cat "$T/browser"
[ $rc -eq 0 ] || grep -q '^FAIL ' "$T/browser" || fail "attnview browser driver exited with status $rc: $(tail -c 300 "$T/browser")"
