/* attnpage.c: attnview's HTML page (see attnpage.h).
 *
 *   page_css, page_js   the page's style and script (ES5, no libraries but NGL)
 *   json_String()       a JSON string, safe inside <script>
 *   json_Residues()     the per-residue arrays
 *   script_Inline()     a script's text, with "</script" broken up
 *   page_Data()         the JSON block
 *   page_Body()         header, viewer, controls, figures
 *   plm_attnpage_Write()
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "attnpage.h"
#include "base64.h"
#include "error.h"
#include "svg.h"

static const char page_css[] =
  "body { font-family: sans-serif; margin: 1em 2em; color: #222; }\n"
  "h1 { font-size: 1.3em; margin-bottom: 0.2em; }\n"
  "h2 { font-size: 1.1em; margin-top: 1.5em; }\n"
  ".meta { color: #555; margin-top: 0; }\n"
  "#main { display: flex; gap: 1.5em; align-items: flex-start; }\n"
  "#viewport { width: 640px; height: 480px; border: 1px solid #ccc; position: relative; }\n"
  "#controls label { display: block; margin: 0.5em 0; }\n"
  "#controls input[type=number] { width: 5em; }\n"
  ".note { color: #555; font-size: 0.9em; max-width: 36em; }\n";

static const char page_js[] =
  "\"use strict\";\n"
  "(function () {\n"
  "  var D = JSON.parse(document.getElementById(\"plmdata\").textContent);\n"
  "  var L = D.L, nh = D.heads.length, body = document.body, stage = null, arcs = null;\n"
  "  var $ = function (id) { return document.getElementById(id); };\n"
  "\n"
  "  /* attention: nl x nh x L x L bytes, weight = byte / 255 */\n"
  "  var att = (function (s) {\n"
  "    var bin = atob(s), u = new Uint8Array(bin.length);\n"
  "    for (var i = 0; i < bin.length; i++) u[i] = bin.charCodeAt(i);\n"
  "    return u;\n"
  "  })(D.attention);\n"
  "\n"
  "  function fill(sel, ids, cur) {\n"
  "    ids.forEach(function (v, k) {\n"
  "      var o = document.createElement(\"option\");\n"
  "      o.value = k; o.textContent = v; sel.appendChild(o);\n"
  "    });\n"
  "    sel.value = cur;\n"
  "  }\n"
  "\n"
  "  /* pairs at or above the threshold, strongest first, at most cap of them;\n"
  "     \"max\" joins i,j and j,i into one pair, \"directed\" keeps both */\n"
  "  function arcList(l, h, thr, mode, cap) {\n"
  "    var base = (l * nh + h) * L * L, out = [], i, j, w;\n"
  "    for (i = 0; i < L; i++) {\n"
  "      if (!D.ca[i]) continue;\n"
  "      for (j = mode === \"max\" ? i + 1 : 0; j < L; j++) {\n"
  "        if (i === j || !D.ca[j]) continue;\n"
  "        w = att[base + i * L + j];\n"
  "        if (mode === \"max\") w = Math.max(w, att[base + j * L + i]);\n"
  "        if (w > 0 && w / 255 >= thr) out.push([w / 255, i, j]);\n"
  "      }\n"
  "    }\n"
  "    out.sort(function (a, b) { return b[0] - a[0] || a[1] - b[1] || a[2] - b[2]; });\n"
  "    return { arcs: out.slice(0, cap), above: out.length };\n"
  "  }\n"
  "\n"
  "  function markHead(l, h) {\n"
  "    Array.prototype.forEach.call(document.querySelectorAll(\"g.head\"), function (g) {\n"
  "      var on = +g.dataset.layer === l && +g.dataset.head === h;\n"
  "      var r = g.querySelector(\"rect\");\n"
  "      r.setAttribute(\"stroke\", on ? \"#e6550d\" : \"#999\");\n"
  "      r.setAttribute(\"stroke-width\", on ? \"3\" : \"1\");\n"
  "    });\n"
  "  }\n"
  "\n"
  "  function draw() {\n"
  "    var l = +$(\"layer\").value, h = +$(\"head\").value, mode = $(\"mode\").value;\n"
  "    var thr = +$(\"threshold\").value, cap = Math.max(1, $(\"maxarcs\").value | 0);\n"
  "    var r = arcList(l, h, thr, mode, cap), shape = new NGL.Shape(\"attention\");\n"
  "    r.arcs.forEach(function (a) {\n"
  "      var name = D.seq[a[1]] + (a[1] + 1) + \"-\" + D.seq[a[2]] + (a[2] + 1) + \" \" + a[0].toFixed(3);\n"
  "      if (mode === \"max\") shape.addCylinder(D.ca[a[1]], D.ca[a[2]], [0.9, 0.35, 0.05], D.radius * a[0], name);\n"
  "      else shape.addArrow(D.ca[a[1]], D.ca[a[2]], [0.9, 0.35, 0.05], D.radius * a[0], name);\n"
  "    });\n"
  "    if (arcs) stage.removeComponent(arcs);\n"
  "    arcs = null;\n"
  "    if (r.arcs.length) {\n"
  "      arcs = stage.addComponentFromObject(shape);\n"
  "      arcs.addRepresentation(\"buffer\");\n"
  "    }\n"
  "    $(\"thrval\").textContent = thr.toFixed(2);\n"
  "    $(\"arcinfo\").textContent = \"layer \" + D.layers[l] + \", head \" + D.heads[h] + \": \" + r.arcs.length +\n"
  "      \" arcs drawn\" + (r.above > r.arcs.length ? \" (strongest of \" + r.above + \" above the threshold)\" : \"\");\n"
  "    body.dataset.arcs = r.arcs.length;\n"
  "    body.dataset.view = D.layers[l] + \",\" + D.heads[h];\n"
  "    markHead(l, h);\n"
  "  }\n"
  "\n"
  "  /* residues coloured by the property plugin's answer, else by secondary structure */\n"
  "  function colour() {\n"
  "    if (!D.prop) return \"sstruc\";\n"
  "    var byres = {};\n"
  "    D.resnum.forEach(function (rn, i) { if (rn !== null) byres[rn + D.icode[i]] = D.prop[i]; });\n"
  "    return NGL.ColormakerRegistry.addScheme(function () {\n"
  "      this.atomColor = function (atom) {\n"
  "        var v = byres[atom.resno + (atom.inscode || \"\")];\n"
  "        return v === 1 ? 0x3182bd : (v === 0 ? 0xdddddd : 0x999999);\n"
  "      };\n"
  "    }, \"plmprop\");\n"
  "  }\n"
  "\n"
  "  function ready() {\n"
  "    requestAnimationFrame(function () { requestAnimationFrame(function () { body.dataset.state = \"ready\"; }); });\n"
  "  }\n"
  "\n"
  "  fill($(\"layer\"), D.layers, D.layer);\n"
  "  fill($(\"head\"), D.heads, D.head);\n"
  "  $(\"threshold\").value = D.threshold;\n"
  "  $(\"maxarcs\").value = D.maxArcs;\n"
  "  $(\"mode\").value = D.mode;\n"
  "  [\"layer\", \"head\", \"mode\"].forEach(function (id) { $(id).addEventListener(\"change\", draw); });\n"
  "  [\"threshold\", \"maxarcs\"].forEach(function (id) { $(id).addEventListener(\"input\", draw); });\n"
  "  Array.prototype.forEach.call(document.querySelectorAll(\"g.head\"), function (g) {\n"
  "    g.style.cursor = \"pointer\";\n"
  "    g.addEventListener(\"click\", function () {\n"
  "      $(\"layer\").value = g.dataset.layer;\n"
  "      $(\"head\").value = g.dataset.head;\n"
  "      draw();\n"
  "      $(\"viewport\").scrollIntoView();\n"
  "    });\n"
  "  });\n"
  "\n"
  "  stage = new NGL.Stage(\"viewport\", { backgroundColor: \"white\" });\n"
  "  window.plmView = { stage: stage, draw: draw };\n"
  "  stage.loadFile(new Blob([D.structure], { type: \"text/plain\" }),\n"
  "                 { ext: D.ext, name: D.structureName, defaultRepresentation: false }).then(function (c) {\n"
  "    var sele = D.chain ? \":\" + D.chain : \"protein\";\n"
  "    c.addRepresentation(\"cartoon\", { sele: sele, color: colour() });\n"
  "    c.autoView(sele);\n"
  "    draw();\n"
  "    ready();\n"
  "  }).catch(function (e) {\n"
  "    body.dataset.state = \"error\";\n"
  "    console.error(\"attnview: the structure did not load: \" + e);\n"
  "  });\n"
  "})();\n";

/* '<' is escaped so no "</script>" can end the block early */
static void
json_String(FILE *fp, const char *s, size_t n)
{
  fputc('"', fp);
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    if      (c == '"')  fputs("\\\"", fp);
    else if (c == '\\') fputs("\\\\", fp);
    else if (c == '\n') fputs("\\n", fp);
    else if (c < 0x20 || c == '<' || c == 0x7f) fprintf(fp, "\\u%04x", c);
    else fputc(c, fp);
  }
  fputc('"', fp);
}

static void
json_Residues(FILE *fp, const plm_attnpage *pg, int L)
{
  fputs(",\n\"ca\":[", fp);
  for (int i = 0; i < L; i++) {
    const float *x = pg->ca + 3 * (size_t)i;
    if (pg->has_ca[i]) fprintf(fp, "%s[%.3f,%.3f,%.3f]", i ? "," : "", x[0], x[1], x[2]);
    else               fprintf(fp, "%snull", i ? "," : "");
  }
  fputs("],\n\"resnum\":[", fp);
  for (int i = 0; i < L; i++) {
    if (pg->has_res[i]) fprintf(fp, "%s%d", i ? "," : "", pg->resnum[i]);
    else                fprintf(fp, "%snull", i ? "," : "");
  }
  fputs("],\n\"icode\":[", fp);
  for (int i = 0; i < L; i++) {
    char c = pg->icode[i] == ' ' ? '\0' : pg->icode[i];
    fputs(i ? "," : "", fp);
    json_String(fp, &c, c ? 1 : 0);
  }
  fputs("],\n\"prop\":", fp);
  if (!pg->prop) fputs("null", fp);
  else for (int i = 0; i < L; i++) fprintf(fp, "%c%d", i ? ',' : '[', pg->prop[i]);
  fputs(pg->prop ? "]" : "", fp);
}

/* a script inlined in HTML ends at the first "</script", wherever it is; "<\/script" means the
 * same in every JS context where it can occur (strings, regular expressions, comments) */
static void
script_Inline(FILE *fp, const char *js, size_t n)
{
  size_t i, from = 0;
  fputs("<script>", fp);
  for (i = 0; i + 8 <= n; i++)
    if (js[i] == '<' && js[i + 1] == '/' && strncasecmp(js + i + 2, "script", 6) == 0) {
      fwrite(js + from, 1, i + 1 - from, fp);
      fputc('\\', fp);
      from = i + 1;
    }
  fwrite(js + from, 1, n - from, fp);
  fputs("\n</script>\n", fp);
}

static void
page_Ids(FILE *fp, const char *key, const int *ids, int n)
{
  fprintf(fp, ",\n\"%s\":[", key);
  for (int k = 0; k < n; k++) fprintf(fp, "%s%d", k ? "," : "", ids[k]);
  fputc(']', fp);
}

static int
page_Data(FILE *fp, const plm_attnpage *pg, char *errbuf)
{
  const plm_resattn *a = pg->att;
  uint8_t           *q = NULL;
  int                status;

  PLM_XCHECK(plm_resattn_QuantizeU8(a, &q, errbuf));
  fputs("<script type=\"application/json\" id=\"plmdata\">{\"id\":", fp);
  json_String(fp, pg->id, strlen(pg->id));
  fputs(",\n\"seq\":", fp);
  json_String(fp, pg->letters, strlen(pg->letters));
  fprintf(fp, ",\n\"L\":%d,\"layer\":%d,\"head\":%d,\"threshold\":%g,\"radius\":%g,\"maxArcs\":%d,\"mode\":\"%s\"",
          a->L, pg->layer, pg->head, pg->threshold, pg->radius, pg->max_arcs, pg->directed ? "directed" : "max");
  page_Ids(fp, "layers", a->layer_ids, a->nl);
  page_Ids(fp, "heads", a->head_ids, a->nh);
  fputs(",\n\"chain\":", fp);
  json_String(fp, pg->chain, strlen(pg->chain));
  fprintf(fp, ",\"ext\":\"%s\",\"structureName\":", pg->ext);
  json_String(fp, pg->structure_name, strlen(pg->structure_name));
  json_Residues(fp, pg, a->L);
  fputs(",\n\"attention\":\"", fp);
  PLM_XCHECK(plm_base64_Write(fp, q, (size_t)a->nl * a->nh * a->L * a->L, errbuf));
  fputs("\",\n\"structure\":", fp);
  json_String(fp, pg->structure, pg->nstructure);
  fputs("}</script>\n", fp);
 ERROR:
  free(q);
  return status;
}

static void
html_Text(FILE *fp, const char *s)
{
  for (; *s; s++)
    switch (*s) {
    case '<': fputs("&lt;", fp); break;
    case '>': fputs("&gt;", fp); break;
    case '&': fputs("&amp;", fp); break;
    case '"': fputs("&quot;", fp); break;
    default:  fputc(*s, fp);
    }
}

static int
page_Body(FILE *fp, const plm_attnpage *pg, char *errbuf)
{
  const plm_resattn *a = pg->att;
  int                status;

  fputs("<h1>", fp); html_Text(fp, pg->id); fputs("</h1>\n<p class=\"meta\">", fp);
  html_Text(fp, pg->note);
  fputs("</p>\n<div id=\"main\"><div id=\"viewport\"></div>\n<div id=\"controls\">\n"
        "<label>Layer <select id=\"layer\"></select></label>\n"
        "<label>Head <select id=\"head\"></select></label>\n"
        "<label>Threshold <input id=\"threshold\" type=\"range\" min=\"0\" max=\"1\" step=\"0.01\"> <span id=\"thrval\"></span></label>\n"
        "<label>Pairs <select id=\"mode\"><option value=\"max\">max(a_ij, a_ji)</option>"
        "<option value=\"directed\">each direction (arrows i to j)</option></select></label>\n"
        "<label>At most <input id=\"maxarcs\" type=\"number\" min=\"1\"> arcs (the strongest)</label>\n"
        "<p id=\"arcinfo\"></p>\n<p class=\"note\">Cylinders join the C&alpha; atoms of residues i and j; their radius is "
        "proportional to the attention weight (special tokens removed).", fp);
  if (pg->prop) {
    fputs(" Residues: <b style=\"color:#3182bd\">", fp); html_Text(fp, pg->propname);
    fputs("</b>, light grey not, dark grey unknown.", fp);
  }
  else fputs(" Residues coloured by secondary structure.", fp);
  fputs("</p></div></div>\n<h2>Contact maps</h2>\n", fp);
  PLM_XCHECK(plm_svg_ContactMaps(fp, pg->pred, pg->truth, a->L, pg->minsep, 0, errbuf));
  fputs("<h2>Attention heads</h2>\n<p class=\"note\">Each thumbnail is one head's residue-residue attention, "
        "scaled to its own maximum; click one to show it on the structure.</p>\n", fp);
  PLM_XCHECK(plm_svg_HeadGrid(fp, a->w, a->nl, a->nh, a->L, a->layer_ids, a->head_ids, 0, errbuf));
  return PLM_OK;
 ERROR:
  return status;
}

int
plm_attnpage_Write(FILE *fp, const plm_attnpage *pg, char *errbuf)
{
  int status;

  fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; script-src 'unsafe-inline' 'unsafe-eval'; "
        "style-src 'unsafe-inline'; img-src data: blob:; worker-src blob:; connect-src blob: data:\">\n<title>", fp);
  html_Text(fp, pg->id);
  fprintf(fp, " - attnview</title>\n<style>\n%s</style>\n</head>\n<body data-state=\"loading\">\n", page_css);
  PLM_XCHECK(page_Body(fp, pg, errbuf));
  PLM_XCHECK(page_Data(fp, pg, errbuf));
  fputs("<!-- NGL (MIT License, https://github.com/nglviewer/ngl), inlined -->\n", fp);
  script_Inline(fp, pg->ngl, pg->nngl);
  script_Inline(fp, page_js, sizeof page_js - 1);
  fputs("</body></html>\n", fp);
  if (ferror(fp)) PLM_XFAIL(PLM_EIO, errbuf, "HTML: write failed");
  return PLM_OK;
 ERROR:
  return status;
}
