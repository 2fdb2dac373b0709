// attnview_browser.js: drive headless Chromium over an attnview page (run by attnview_browser.sh).
//
// Usage: node attnview_browser.js PAGE.html SHOT.png
// Opens the page from disk, waits for NGL, switches the head through the page's
// select, a head-grid thumbnail and the threshold slider, takes a screenshot and
// counts non-white pixels in the NGL canvas. Prints PASS/FAIL lines (tests/lib.sh).
"use strict";
const { chromium } = require("playwright-core");
const path = require("path");

const [pagePath, shotPath] = process.argv.slice(2);
const pageUrl = "file://" + path.resolve(pagePath);
let nfail = 0;
const report = (ok, what) => { console.log((ok ? "PASS " : "FAIL ") + what); if (!ok) nfail++; };

// non-white pixels of a PNG, counted in a blank page of the browser itself
async function inkFraction(context, png) {
  const p = await context.newPage();
  const frac = await p.evaluate(async (b64) => {
    const img = new Image();
    img.src = "data:image/png;base64," + b64;
    await img.decode();
    const c = document.createElement("canvas");
    c.width = img.width; c.height = img.height;
    const g = c.getContext("2d");
    g.drawImage(img, 0, 0);
    const d = g.getImageData(0, 0, c.width, c.height).data;
    let ink = 0;
    for (let i = 0; i < d.length; i += 4) if (d[i] + d[i + 1] + d[i + 2] < 720) ink++;
    return ink / (c.width * c.height);
  }, png.toString("base64"));
  await p.close();
  return frac;
}

const view = (page) => page.evaluate(() => [document.body.dataset.view, +document.body.dataset.arcs]);

(async () => {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
           "--disable-component-update", "--disable-sync", "--use-angle=swiftshader", "--enable-unsafe-swiftshader"],
  });
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const errors = [], requests = [];
  page.on("console", (m) => { if (m.type() === "error") errors.push(m.text()); });
  page.on("pageerror", (e) => errors.push(String(e)));
  page.on("request", (r) => requests.push(r.url()));

  await page.goto(pageUrl);
  let ready = "timeout";
  try {
    await page.waitForFunction(() => document.body.dataset.state !== "loading", null, { timeout: 60000 });
    ready = await page.evaluate(() => document.body.dataset.state);
  } catch (e) { /* reported below */ }
  report(ready === "ready", "NGL finished loading the structure (state " + ready + ")");

  const [v0, n0] = await view(page);
  report(n0 > 0, `attention arcs drawn for layer,head ${v0}: ${n0}`);
  const layers = await page.$$eval("#layer option", (o) => o.length);
  const heads = await page.$$eval("#head option", (o) => o.length);
  await page.selectOption("#head", { index: 1 });
  const [v1, n1] = await view(page);
  report(v1 === v0.split(",")[0] + ",2" && n1 > 0, `head switched through the select: ${v0} -> ${v1} (${n1} arcs)`);
  await page.click(`g.head[data-layer="0"][data-head="${heads - 1}"]`);
  const [v2] = await view(page);
  report(v2 === `1,${heads}`, `head-grid thumbnail opens its head: ${v2} (grid ${layers} x ${heads})`);
  await page.$eval("#threshold", (el) => { el.value = "0.9"; el.dispatchEvent(new Event("input")); });
  const [, nhi] = await view(page);
  await page.$eval("#threshold", (el) => { el.value = "0.1"; el.dispatchEvent(new Event("input")); });
  const [, nlo] = await view(page);
  report(nhi < nlo, `threshold slider: ${nhi} arcs at 0.9, ${nlo} at 0.1`);
  await page.waitForTimeout(500);

  const canvas = await page.$("#viewport canvas");
  const shot = canvas ? await canvas.screenshot() : null;
  const ink = shot ? await inkFraction(context, shot) : 0;
  report(ink > 0.05, `NGL canvas shows the structure: ${(100 * ink).toFixed(1)}% non-white pixels`);
  await page.locator("#main").screenshot({ path: shotPath });

  report(errors.length === 0, "no console errors" + (errors.length ? ": " + errors.slice(0, 3).join(" | ") : ""));
  const net = requests.filter((u) => u !== pageUrl && !u.startsWith("data:") && !u.startsWith("blob:"));
  report(net.length === 0, `no network requests (${requests.length} requests, all the page itself, data: or blob:)` +
         (net.length ? ": " + net.slice(0, 3).join(" ") : ""));
  await browser.close();
  process.exit(nfail ? 1 : 0);
})().catch((e) => { console.log("FAIL browser driver: " + e); process.exit(1); });
