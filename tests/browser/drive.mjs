// How to drive each viewer like a person: wait for the home view, zoom in one step, pan.
// OpenSeadragon is driven through its viewport API and reports when every tile of the view
// is drawn; Mirador (React around its own OpenSeadragon) is driven through its zoom
// buttons and a mouse drag, and is done when the network has gone quiet.

/** Resolves once no tracked request has been in flight for `quietMs`. */
export async function networkQuiet(tracker, { quietMs = 1000, timeoutMs = 45000 } = {}) {
  const deadline = Date.now() + timeoutMs;
  let quietSince = Date.now();
  while (Date.now() < deadline) {
    if (tracker.pending.size > 0) quietSince = Date.now();
    else if (Date.now() - quietSince >= quietMs) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`network never went quiet (${tracker.pending.size} requests in flight)`);
}

const openSeadragon = {
  canvas: "#viewer .openseadragon-canvas",
  async ready(page) {
    await page.waitForFunction(
      () => window.viewer && window.viewer.world.getItemCount() > 0,
      null,
      { timeout: 30000 },
    );
  },
  async settled(page, tracker) {
    await networkQuiet(tracker, { quietMs: 500 });
    // OpenSeadragon's own word that every tile the current view needs is drawn.
    await page.waitForFunction(() => window.viewer.world.getItemAt(0).getFullyLoaded(), null, {
      timeout: 30000,
    });
  },
  async zoomIn(page) {
    await page.evaluate(() => window.viewer.viewport.zoomBy(2, null, true));
  },
  async pan(page) {
    // To 80% across and down the image: past the tiles the zooms loaded, onto edge tiles.
    await page.evaluate(() => {
      const vp = window.viewer.viewport;
      const size = window.viewer.world.getItemAt(0).getBounds();
      vp.panTo(new OpenSeadragon.Point(size.width * 0.8, size.height * 0.8), true);
    });
  },
};

const mirador = {
  canvas: "#viewer .openseadragon-canvas",
  async ready(page) {
    await page.waitForSelector(this.canvas, { timeout: 30000 });
  },
  async settled(page, tracker) {
    // Zooms animate for about a second and ask for tiles as they go.
    await page.waitForTimeout(1200);
    await networkQuiet(tracker, { quietMs: 700 });
  },
  async zoomIn(page) {
    await page.getByRole("button", { name: "Zoom in" }).click();
  },
  async pan(page) {
    // Two drags up and a little left, each 70% of the view's height: the view moves 1.4
    // views down, past the tiles the first zoom already loaded around the centre (on the
    // smaller images those reach far), and ends near the bottom edge, still filled by the
    // image. Drags start above the zoom buttons' bar, which covers the canvas's bottom.
    const box = await page.locator(this.canvas).first().boundingBox();
    const at = (fx, fy) => [box.x + box.width * fx, box.y + box.height * fy];
    for (let i = 0; i < 2; i++) {
      await page.mouse.move(...at(0.65, 0.8));
      await page.mouse.down();
      await page.mouse.move(...at(0.35, 0.1), { steps: 10 });
      await page.mouse.up();
    }
  },
};

export const VIEWERS = { openseadragon: openSeadragon, mirador };
