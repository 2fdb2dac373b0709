"""attnview_oracle.py: check attnview's HTML page and SVG/PNG figures against the golden npy files.

Usage: attnview_oracle.py PAGE.html CONTACTS.svg GRID.svg ATTENTIONS.npy CONTACTS.npy MINSEP
       attnview_oracle.py truth CONTACTS.npy MINSEP OUT.npy
       attnview_oracle.py png CONTACTS.png GRID.png ATTENTIONS.npy CONTACTS.npy MINSEP
Decodes the page's embedded attention (base64 u8, special tokens dropped) and
compares it with the golden attention; checks the page makes no outside
reference, the SVGs parse as XML, the head grid has a cell per head, the top-L
marks are the golden top-L pairs and the predicted-map PNG holds the golden
probabilities. "truth" writes a contacts_true for the PNG checks: only the
best top-L pair a contact, cell (L-1, 0) unknown, all else none. "png" decodes
the PNG figures (made with that truth) and checks their sizes and pixels: true,
unknown and no-contact cells shaded, the top-L pairs boxed green (the true one)
and red, the probabilities inside, the head thumbnails max-pooled.
One PASS/FAIL line per check (tests/lib.sh).
"""
import base64, json, re, sys, zlib
import xml.etree.ElementTree as ET
import numpy as np

nfail = 0


def report(ok, what):
    global nfail
    print(("PASS " if ok else "FAIL ") + what)
    nfail += not ok


def png_rgb(uri):
    """pixels of an 8-bit RGB, unfiltered PNG data: URI (the encoder's only kind)"""
    return png_decode(base64.b64decode(uri.split(",", 1)[1]))


def png_decode(b):
    assert b[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, w = 8, b"", 0
    while pos < len(b):
        n = int.from_bytes(b[pos:pos + 4], "big"); kind = b[pos + 4:pos + 8]; data = b[pos + 8:pos + 8 + n]
        assert zlib.crc32(b[pos + 4:pos + 8 + n]) == int.from_bytes(b[pos + 8 + n:pos + 12 + n], "big"), "CRC"
        if kind == b"IHDR": w, h = int.from_bytes(data[:4], "big"), int.from_bytes(data[4:8], "big")
        if kind == b"IDAT": idat += data
        pos += 12 + n
    raw = np.frombuffer(zlib.decompress(idat), np.uint8).reshape(h, 3 * w + 1)
    assert (raw[:, 0] == 0).all()
    return raw[:, 1:].reshape(h, w, 3)


def top_pairs(c, minsep):
    """the golden top-L pairs i < j, j - i >= minsep, ties broken as plm_svg_TopPairs() does"""
    L = c.shape[0]
    iu = [(c[i, j], i, j) for i in range(L) for j in range(i + minsep, L)]
    return [(i, j) for _, i, j in sorted(iu, key=lambda t: (-t[0], t[1], t[2]))[:L]]


def thumb(a, side):
    """a map max-pooled onto side x side pixels, red channel of the heat colour"""
    L = a.shape[0]
    blk = [a[y * L // side:(y + 1) * L // side, x * L // side:(x + 1) * L // side].max()
           for y in range(side) for x in range(side)]
    return np.rint(255 + (8 - 255) * np.array(blk).reshape(side, side) / a.max())


if sys.argv[1] == "truth":
    c = np.load(sys.argv[2])
    t = np.zeros(c.shape, np.uint8)
    i, j = top_pairs(c, int(sys.argv[3]))[0]
    t[i, j] = t[j, i] = 1
    t[-1, 0] = 255
    np.save(sys.argv[4], t)
    sys.exit(0)

if sys.argv[1] == "png":
    cpng, gpng, attn_npy, cont_npy, minsep = sys.argv[2:7]
    c, a = np.load(cont_npy), np.load(attn_npy)[:, :, 1:-1, 1:-1]
    L, top = c.shape[0], top_pairs(c, int(minsep))
    s = 480 // L
    px = png_decode(open(cpng, "rb").read()).astype(int)
    Y0, X0 = 48, 40   # room for the residue ticks; the caption and legend take 62 px below
    report(px.shape == (Y0 + L * s + 62, X0 + 20 + max(L * s, 460), 3), f"contact PNG is {px.shape[1]} x {px.shape[0]} px, {s} px a pair")
    cell = lambda i, j, dy=s // 2, dx=s // 2: tuple(px[Y0 + i * s + dy, X0 + j * s + dx])
    (i0, j0), (i1, j1) = top[0], top[1]
    report(cell(j0, i0) == (90, 90, 90) and cell(L - 1, 0) == (250, 220, 220) and cell(j1, i1) == (255, 255, 255),
           "contact PNG below the diagonal: true contact dark grey, unknown light red, none white")
    report(cell(i0, j0, 0, 0) == (0x1a, 0x96, 0x41) and cell(i1, j1, s - 1, s - 1) == (0xd7, 0x19, 0x1c),
           f"contact PNG boxes top-L pairs: ({i0},{j0}) true green, ({i1},{j1}) false red")
    inner = [px[Y0 + i * s + 1:Y0 + (i + 1) * s - 1, X0 + j * s + 1:X0 + (j + 1) * s - 1, 0] for i, j in top]
    want = [np.rint(255 + (8 - 255) * np.clip(c[i, j], 0, 1)) for i, j in top]
    report(s >= 3 and all(np.abs(p - w).max() <= 1 for p, w in zip(inner, want)),
           "contact PNG: inside each box, the golden probability")
    g = png_decode(open(gpng, "rb").read()).astype(int)
    nl, nh = a.shape[:2]
    side = min(L, 48) * (48 // min(L, 48))
    report(g.shape == (24 + nl * (side + 6) + 10, 30 + nh * (side + 6) + 10, 3), f"grid PNG is {g.shape[1]} x {g.shape[0]} px")
    ok = all(np.abs(g[27 + l * (side + 6):27 + l * (side + 6) + side, 33 + h * (side + 6):33 + h * (side + 6) + side, 0]
                    - thumb(a[l, h], side)).max() <= 1 for l, h in ((0, 0), (nl - 1, nh - 1)))
    report(side == 48 and ok, "grid PNG: thumbnails L1 H1 and the last are the max-pooled maps")
    sys.exit(1 if nfail else 0)

page, csvg, gsvg, attn_npy, cont_npy, minsep = sys.argv[1:7]
minsep = int(minsep)
html = open(page, encoding="utf-8").read()
a = np.load(attn_npy)[:, :, 1:-1, 1:-1]
nl, nh, L = a.shape[0], a.shape[1], a.shape[2]
m = re.search(r'<script type="application/json" id="plmdata">(.*?)</script>', html, re.S)
d = json.loads(m.group(1)) if m else {}
q = np.frombuffer(base64.b64decode(d.get("attention", "")), np.uint8)
report(q.size == a.size, f"embedded attention has {q.size} bytes = {nl} x {nh} x {L} x {L}")
if q.size == a.size:
    err = np.abs(q.reshape(a.shape) / 255.0 - a).max()
    report(err <= 0.5 / 255 + 1e-6, f"embedded attention decodes to the golden one within 1/510 (max error {err:.2e})")
report(d.get("layers") == list(range(1, nl + 1)) and d.get("heads") == list(range(1, nh + 1)) and d.get("L") == L,
       "layer/head labels and L in the page data")
report(len(d.get("ca", [])) == L and any(d["ca"]), "per-residue CA coordinates embedded")
markup = re.sub(r"<script>.*?</script>", "", html, flags=re.S)   # NGL's own strings are not references
outside = re.findall(r'(?:src|href)\s*=\s*"(?!data:)[^"]*"|<link\b|@import|url\((?!data:)', markup)
report(not outside and "default-src 'none'" in html, "page references nothing outside itself; CSP default-src 'none'")
report(html.count('<g class="head"') == nl * nh and 'id="viewport"' in html and "NGL" in html,
       f"page holds the viewer, NGL and {nl * nh} head-grid cells")

ns = {"s": "http://www.w3.org/2000/svg"}
grid = ET.parse(gsvg).getroot()
cells = grid.findall(".//s:g[@class='head']", ns)
imgs = [png_rgb(c.find("s:image", ns).get("href")) for c in cells]
side = min(L, 48)
report(len(cells) == nl * nh and all(i.shape == (side, side, 3) for i in imgs),
       f"grid SVG parses, {len(cells)} cells of {side}x{side} px")
first = imgs[0][..., 0].astype(float)
report(np.abs(first - thumb(a[0, 0], side)).max() <= 1, "grid thumbnail L1 H1 is the max-pooled map, scaled to its maximum")

cm = ET.parse(csvg).getroot()
c = np.load(cont_npy)
marks = {(round((float(e.get("cy")) - 30) * L / 300 - 0.5), round((float(e.get("cx")) - 30) * L / 300 - 0.5))
         for e in cm.findall(".//s:circle[@class='topl']", ns) if float(e.get("cx")) < 330}
top = set(top_pairs(c, minsep))
report(marks == top, f"contact SVG marks the golden top-L pairs ({len(marks)} of {len(top)})")
pred = png_rgb(cm.findall(".//s:image", ns)[0].get("href"))[..., 0].astype(float)
report(np.abs(pred - np.rint(255 + (8 - 255) * np.clip(c, 0, 1))).max() <= 1, "contact SVG's predicted map holds the golden probabilities")
sys.exit(1 if nfail else 0)
