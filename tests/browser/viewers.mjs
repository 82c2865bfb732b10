// End-to-end: real viewers in headless Chromium against a running Tessera.
//
// For each case (source, viewer, Image API version, image, drawer) it opens the viewer
// page, waits for the home view, zooms in two steps and pans, and then fails the case if any
// request to /iiif/ was not a 200 (info.json, manifest, images), if any image response is
// not an image of the size its URL asked for, if a request's region and size differ in
// aspect ratio, if any tile lies off the info.json tile grid, if the home view draws the
// image with another aspect ratio than its own, if zooming never reached finer tiles, if
// the page threw, or if a screenshot of the view looks blank. Screenshots go to $OUT. Run
// by scripts/browser-test, which starts a server on the file source and one on S3:
//   TESSERA_BASE=http://127.0.0.1:PORT [TESSERA_S3_BASE=http://127.0.0.1:PORT2] OUT=dir \
//   CHROMIUM=/usr/bin/chromium node viewers.mjs
import { chromium } from "playwright-core";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { VIEWERS } from "./drive.mjs";
import { checkImage, parseImageUrl } from "./tiles.mjs";
import { aspectOff, blankProblem, drawnExtent, pictureStats } from "./pixels.mjs";

const BASE = process.env.TESSERA_BASE || "http://127.0.0.1:8080";
const OUT = process.env.OUT || "var/test-output/browser";
const CHROMIUM = process.env.CHROMIUM || "/usr/bin/chromium";
// Both sources serve the same samples: the file source, and the S3 source with every
// object's facts in its metadata (written by create-metadata). Each viewer gets every
// sample from each; the large pyramid with the default WebGL drawer as people see it, the
// rest with the 2D canvas drawer, several times faster without a GPU. wide-pyramid.tif is
// wider than maxWidth with seven levels and odd sizes (what broke Mirador, issue 9);
// odd-size.tif has edge tiles on both axes at every level; collection/page.tif travels as
// collection%2Fpage.tif; document.tif;2 is a page of a multi-page TIFF. Image API 2.1,
// whose `w,` tile sizes leave the height to the server, runs on the two odd pyramids.
const SOURCES = { file: BASE, s3: process.env.TESSERA_S3_BASE };
const SAMPLES = [
  { version: "3", id: "large-pyramid.tif", drawer: "" },
  { version: "3", id: "wide-pyramid.tif", drawer: "canvas" },
  { version: "3", id: "photo.jpg", drawer: "canvas" },
  { version: "3", id: "odd-size.tif", drawer: "canvas" },
  { version: "3", id: "collection/page.tif", drawer: "canvas" },
  { version: "3", id: "document.tif;2", drawer: "canvas" },
  { version: "2", id: "wide-pyramid.tif", drawer: "canvas" },
  { version: "2", id: "odd-size.tif", drawer: "canvas" },
];
const ALL_CASES = Object.entries(SOURCES)
  .filter(([, base]) => base)
  .flatMap(([source, base]) =>
    ["openseadragon", "mirador"].flatMap((viewer) =>
      SAMPLES.map((sample) => ({ source, base, viewer, ...sample })),
    ),
  );
// ONLY=text runs the cases whose name contains it (while working on one viewer).
const CASES = ALL_CASES.filter((c) => caseName(c).includes(process.env.ONLY || ""));
const STEPS = ["home", "zoom1", "zoom2", "pan"];

/** Tracks the page's /iiif/ traffic: what is in flight and every finished exchange. */
function track(page, base) {
  const t = { pending: new Set(), exchanges: [], failures: [], otherErrors: [], step: "home" };
  const ours = (url) => url.startsWith(`${base}/iiif/`);
  page.on("request", (req) => ours(req.url()) && t.pending.add(req));
  page.on("requestfinished", (req) => t.pending.delete(req));
  page.on("requestfailed", (req) => {
    t.pending.delete(req);
    if (ours(req.url())) t.failures.push(`${req.url()}: ${req.failure()?.errorText}`);
  });
  page.on("response", (resp) => {
    const url = resp.url();
    if (!ours(url)) {
      if (url.startsWith(base) && resp.status() >= 400 && !url.endsWith("/favicon.ico")) {
        t.otherErrors.push(`${resp.status()} ${url}`);
      }
      return;
    }
    const step = t.step;
    const body = resp.body().catch(() => null);
    t.exchanges.push({ url, step, status: resp.status(), type: resp.headers()["content-type"], body });
  });
  page.on("pageerror", (err) => t.otherErrors.push(`page error: ${err.message}`));
  return t;
}

function caseName({ source, viewer, version, id, drawer }) {
  return `${source}-${viewer}-v${version}-${id.replace(/[^a-z0-9.-]+/gi, "_")}${drawer && `-${drawer}`}`;
}

async function runCase(browser, { source, base: BASE, viewer, version, id, drawer }) {
  const name = caseName({ source, viewer, version, id, drawer });
  const drive = VIEWERS[viewer];
  const enc = encodeURIComponent(id);
  const info = await (await fetch(`${BASE}/iiif/${version}/${enc}/info.json`)).json();
  const context = await browser.newContext({ viewport: { width: 1200, height: 800 } });
  const page = await context.newPage();
  const tracker = track(page, BASE);
  const problems = [];
  try {
    await page.goto(`${BASE}/viewer?viewer=${viewer}&v=${version}&id=${enc}&drawer=${drawer}`);
    await drive.ready(page);
    for (const step of STEPS) {
      tracker.step = step;
      if (step.startsWith("zoom")) await drive.zoomIn(page);
      if (step === "pan") await drive.pan(page);
      await drive.settled(page, tracker);
      await page.screenshot({ path: join(OUT, `${name}-${step}.png`) });
      const shot = await page.locator(drive.canvas).first().screenshot({
        path: join(OUT, `${name}-${step}-view.png`),
      });
      const blank = blankProblem(pictureStats(shot));
      if (blank) problems.push(`${step}: ${blank}`);
      // The home view shows the whole image: drawn with its own aspect ratio, not a level
      // misplaced into a square (Mirador's OpenSeadragon when it misreads `sizes`).
      const skew = step === "home" && !blank && aspectOff(drawnExtent(shot), info);
      if (skew) problems.push(`home: ${skew}`);
    }
  } catch (err) {
    problems.push(`driving the viewer: ${err.message.split("\n")[0]}`);
    await page.screenshot({ path: join(OUT, `${name}-error.png`) }).catch(() => {});
  }
  const result = await judge(tracker, info, `/iiif/${version}/${enc}/`);
  await context.close();
  return { name, ...result, problems: [...problems, ...result.problems] };
}

/** The scale most of `scales` have (the coarser one on a tie); Infinity for none. */
function settled(scales) {
  const counts = new Map();
  for (const s of scales) counts.set(s, (counts.get(s) || 0) + 1);
  let best = Infinity;
  let most = 0;
  for (const [scale, n] of counts) {
    if (n > most || (n === most && scale > best)) [best, most] = [scale, n];
  }
  return best;
}

/** Checks every exchange the page made once the case is over. */
async function judge(tracker, info, prefix) {
  const problems = [...tracker.failures, ...tracker.otherErrors];
  const scales = Object.fromEntries(STEPS.map((s) => [s, []]));
  let tiles = 0;
  let images = 0;
  for (const ex of tracker.exchanges) {
    const path = new URL(ex.url).pathname;
    if (!parseImageUrl(ex.url)) {
      if (ex.status !== 200) problems.push(`${ex.status} ${path}`);
      continue;
    }
    images += 1;
    if (!path.startsWith(prefix)) problems.push(`${path}: not under ${prefix}`);
    const { problems: found, scale } = checkImage(ex.url, ex.status, ex.type, await ex.body, info);
    for (const p of found) problems.push(`${path}: ${p}`);
    if (scale !== null) {
      tiles += 1;
      scales[ex.step].push(scale);
    }
  }
  // Zooming in must have reached finer tiles than the home view settled on: the scale most
  // of its tiles have. Not its finest: Mirador's opening animation can pass through finer
  // levels before the home view settles (more so on a loaded machine), and a few of those
  // tiles would make any zoom look like no zoom. Reaching the finest level also counts.
  const finest = (steps) => Math.min(...steps.flatMap((s) => scales[s]));
  const after = finest(["zoom1", "zoom2", "pan"]);
  if (!(after < settled(scales.home) || after === Math.min(...info.tiles[0].scaleFactors))) {
    problems.push(`zooming reached no finer tiles: ${JSON.stringify(scales)}`);
  }
  if (scales.pan.length === 0) problems.push("panning loaded no new tiles");
  return { images, tiles, scales: Object.fromEntries(STEPS.map((s) => [s, [...new Set(scales[s])]])), problems };
}

async function main() {
  mkdirSync(OUT, { recursive: true });
  // Playwright starts Chromium with a fresh temporary --user-data-dir of its own (it
  // refuses one in `args`); the other flags are the machine's notes for headless runs.
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync",
    ],
  });
  // Cases run WORKERS at a time (default 2), each in its own browser context: most of a
  // case is waiting for the viewer to settle, so two overlap well on two cores, and the
  // suite takes half as long. BROWSER_WORKERS=1 runs them one by one.
  const workers = Math.max(1, Number(process.env.BROWSER_WORKERS || 2));
  const results = [];
  const queue = [...CASES];
  const worker = async () => {
    for (let c = queue.shift(); c; c = queue.shift()) {
      const started = Date.now();
      const r = await runCase(browser, c);
      r.seconds = (Date.now() - started) / 1000;
      results.push(r);
      const verdict = r.problems.length ? "FAIL" : "ok  ";
      console.log(
        `${verdict} ${r.name}: ${r.tiles} tiles of ${r.images} image requests checked, ` +
          `scale factors ${JSON.stringify(r.scales)}, ${r.seconds.toFixed(1)} s`,
      );
      for (const p of r.problems.slice(0, 10)) console.log(`       ${p}`);
      if (r.problems.length > 10) console.log(`       ... ${r.problems.length - 10} more`);
    }
  };
  try {
    await Promise.all(Array.from({ length: workers }, worker));
  } finally {
    await browser.close();
  }
  writeFileSync(join(OUT, "summary.json"), JSON.stringify(results, null, 2));
  const failed = results.filter((r) => r.problems.length).length;
  console.log(`viewers: ${results.length - failed} passed, ${failed} failed`);
  process.exitCode = failed ? 1 : 0;
}

await main();
