# plmplot.sh: figures from TSV tables. The fitted line must equal numpy's
# polyfit (and r numpy's corrcoef) on the rows with both values; every kind
# must write a PNG (signature, IHDR size as drawn) and an SVG that parses as
# XML with the same size; errors are one line naming file, column or line.
. tests/lib.sh
need_python "plmplot" || exit 0
"$PYTHON" - "$T/pts.tsv" "$T/grid.tsv" <<'PY'
import sys, numpy as np
rng = np.random.default_rng(7)
x = rng.uniform(100, 400, 40); y = 0.002 * x + rng.normal(0, 0.05, 40)
with open(sys.argv[1], "w") as f:
    f.write("# a summary line the reader skips\nfamily\tneff\tprec\n")
    for i in range(40):
        f.write(f"PF{i:05d}\t{x[i]!r}\t{'NA' if i in (3, 17) else repr(y[i])}\n")
with open(sys.argv[2], "w") as f:
    f.write("layer\thead\tvalue\n")
    for l in range(1, 4):
        for h in range(1, 7): f.write(f"{l}\t{h}\t{(l * h) % 5 / 4}\n")
PY
check "scatter --fit, PNG and SVG" "$BIN/plmplot" scatter -x neff -y prec --fit --label family --title "P@L vs Neff" \
  --xlabel Neff --ylabel P@L -o "$T/s.png" -o "$T/s.svg" "$T/pts.tsv"
cp "$T/out" "$T/fit.tsv"
check "lines --group" "$BIN/plmplot" lines -x head -y value --group layer -o "$T/l.png" -o "$T/l.svg" "$T/grid.tsv"
check "lines, two -y columns" "$BIN/plmplot" lines -x neff -y prec -y neff -o "$T/l2.svg" "$T/pts.tsv"
check "heatmap --row-max" "$BIN/plmplot" heatmap --row layer --col head --value value --row-max -o "$T/h.png" -o "$T/h.svg" "$T/grid.tsv"
check "bars --mark, from stdin" sh -c "\"$BIN/plmplot\" bars -x family -y neff --mark 150 -o \"$T/b.png\" -o \"$T/b.svg\" - < \"$T/pts.tsv\""

if "$PYTHON" - "$T/pts.tsv" "$T/fit.tsv" <<'PY' >"$T/err" 2>&1
import sys, numpy as np
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1]) if not l.startswith("#")][1:]
x = np.array([float(r[1]) for r in rows if r[2] != "NA"]); y = np.array([float(r[2]) for r in rows if r[2] != "NA"])
slope, icept = np.polyfit(x, y, 1); r = np.corrcoef(x, y)[0, 1]
head, row = [l.rstrip("\n").split("\t") for l in open(sys.argv[2])]
got = dict(zip(head, row))
assert got["x"] == "neff" and got["y"] == "prec" and int(got["n"]) == 38, got
for k, want in (("slope", slope), ("intercept", icept), ("pearson_r", r)):
    assert abs(float(got[k]) - want) <= 1e-8 * max(1, abs(want)), (k, got[k], want)
print(f"slope {slope:.6g} intercept {icept:.6g} r {r:.4f}")
PY
then pass "--fit equals numpy polyfit and corrcoef on the 38 complete rows ($(cat "$T/err"))"
else fail "--fit vs numpy: $(cat "$T/err")"; fi

if "$PYTHON" - "$T" s:660x460 h b l <<'PY' >"$T/err" 2>&1
import sys, struct, xml.etree.ElementTree as ET
d = sys.argv[1]
for spec in sys.argv[2:]:
    stem, _, size = spec.partition(":")
    png = open(f"{d}/{stem}.png", "rb").read()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and png[12:16] == b"IHDR", stem
    w, h = struct.unpack(">II", png[16:24])
    if size: assert f"{w}x{h}" == size, (stem, w, h)
    root = ET.parse(f"{d}/{stem}.svg").getroot()
    assert root.tag.endswith("svg") and int(float(root.get("width"))) == w and int(float(root.get("height"))) == h, (stem, root.attrib)
    assert len(list(root.iter())) > 10, stem
PY
then pass "PNG signature and size, SVG parses with the same size (scatter, lines, heatmap, bars)"
else fail "figure files: $(cat "$T/err")"; fi
grep -q 'stroke="#d6272' "$T/s.svg" && grep -q '>PF00000<' "$T/s.svg" && pass "scatter SVG has the fitted line and the point labels" \
  || fail "scatter SVG lacks the fit line or labels"

printf 'a\tb\n1\t2\n3\n' > "$T/ragged.tsv"
printf 'a\tb\n1\t2\n3\tx7\n' > "$T/word.tsv"
printf 'a\tb\n2\t1\n2\t5\n' > "$T/flat.tsv"
check_fails "a missing column names the column and the file" "pts.tsv: no column 'nope'" \
  "$BIN/plmplot" scatter -x neff -y nope -o "$T/x.png" "$T/pts.tsv"
check_fails "a ragged row names the line" "ragged.tsv line 3: 1 fields, the header has 2" "$BIN/plmplot" scatter -x a -y b -o "$T/x.png" "$T/ragged.tsv"
check_fails "a word in a numeric column names line and column" "word.tsv line 3, column 'b': 'x7' is not a number" \
  "$BIN/plmplot" scatter -x a -y b -o "$T/x.png" "$T/word.tsv"
check_fails "--fit on a constant x" "x is constant" "$BIN/plmplot" scatter -x a -y b --fit -o "$T/x.png" "$T/flat.tsv"
check_fails "two values for one heatmap cell" "line 3: a second value for a = 2" "$BIN/plmplot" heatmap --row a --col a --value b -o "$T/x.png" "$T/flat.tsv"
check_fails "two values at one x of a series" "grid.tsv line 3: a second 'head' at layer = 1" \
  "$BIN/plmplot" lines -x layer -y head -o "$T/x.png" "$T/grid.tsv"
check_fails "-o must be .png or .svg" "must end in .png or .svg" "$BIN/plmplot" scatter -x a -y b -o "$T/x.pdf" "$T/flat.tsv"
check_fails "an unreadable TSV" "nothere.tsv: No such file" "$BIN/plmplot" bars -x a -y b -o "$T/x.png" "$T/nothere.tsv"
[ "$(wc -l < "$T/err")" -eq 1 ] && pass "errors are one line" || fail "error of $(wc -l < "$T/err") lines"
[ ! -e "$T/x.png" ] && pass "no figure written on an error" || fail "a figure was written on an error"
