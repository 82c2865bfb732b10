// Is a screenshot of the viewer's drawing area a picture, or blank? Samples a grid of pixels
// of the PNG and measures how many differ from the most common colour (the background a
// blank viewer shows) and how much brightness varies. The sample images are colourful
// noise, so a drawn view is far from uniform everywhere and at every zoom.
import { PNG } from "pngjs";

const GRID = 40; // 40 x 40 samples

export function pictureStats(pngBytes) {
  const png = PNG.sync.read(pngBytes);
  const counts = new Map();
  const lum = [];
  for (let gy = 0; gy < GRID; gy++) {
    for (let gx = 0; gx < GRID; gx++) {
      const x = Math.floor(((gx + 0.5) * png.width) / GRID);
      const y = Math.floor(((gy + 0.5) * png.height) / GRID);
      const i = (y * png.width + x) * 4;
      const [r, g, b] = png.data.subarray(i, i + 3);
      // Colours are binned to 8 levels per channel so JPEG noise does not split a flat area.
      const key = (r >> 5) * 64 + (g >> 5) * 8 + (b >> 5);
      counts.set(key, (counts.get(key) || 0) + 1);
      lum.push(0.299 * r + 0.587 * g + 0.114 * b);
    }
  }
  const mean = lum.reduce((a, b) => a + b, 0) / lum.length;
  const sd = Math.sqrt(lum.reduce((a, v) => a + (v - mean) ** 2, 0) / lum.length);
  const commonest = Math.max(...counts.values());
  return { picture: 1 - commonest / lum.length, luminanceSd: sd, colours: counts.size };
}

/** A problem description, or null when the view shows a picture. */
export function blankProblem(stats) {
  // A blank or single-colour view has picture ≈ 0 and sd ≈ 0; the noise scores ~0.9 when it
  // fills the view and ~0.4 for a portrait page letterboxed in a wide one, with sd > 15. The
  // thresholds leave room for that and for viewer chrome over part of the area.
  if (stats.picture < 0.25 || stats.luminanceSd < 8 || stats.colours < 8) {
    return `looks blank: ${JSON.stringify(stats)}`;
  }
  return null;
}

/** The RGB of pixel (x, y) of a decoded PNG. */
function rgb(png, x, y) {
  const i = (y * png.width + x) * 4;
  return [png.data[i], png.data[i + 1], png.data[i + 2]];
}

/**
 * The size of the drawn picture around the centre of a screenshot: from the centre it
 * walks left, right, up and down until a run of background pixels (the commonest colour
 * on the border: the home view letterboxes the image). Viewer chrome sits in corners and
 * at the border, away from the centre lines. Returns { w, h } in screen pixels.
 */
export function drawnExtent(pngBytes, run = 6) {
  const png = PNG.sync.read(pngBytes);
  const bin = ([r, g, b]) => (r >> 4) * 256 + (g >> 4) * 16 + (b >> 4);
  const counts = new Map();
  const count = (x, y) => {
    const key = bin(rgb(png, x, y));
    counts.set(key, (counts.get(key) || 0) + 1);
  };
  for (let x = 0; x < png.width; x++) { count(x, 0); count(x, png.height - 1); }
  for (let y = 0; y < png.height; y++) { count(0, y); count(png.width - 1, y); }
  const background = [...counts.entries()].sort((a, b) => b[1] - a[1])[0][0];
  const isBackground = (x, y) => bin(rgb(png, x, y)) === background;
  const [cx, cy] = [Math.floor(png.width / 2), Math.floor(png.height / 2)];
  /** Steps from the centre until `run` background pixels in a row (or the edge). */
  const reach = (dx, dy) => {
    let [x, y, seen, last] = [cx, cy, 0, 0];
    while (x >= 0 && y >= 0 && x < png.width && y < png.height) {
      if (isBackground(x, y)) {
        seen += 1;
        if (seen >= run) return last;
      } else {
        seen = 0;
        last = Math.abs(x - cx) + Math.abs(y - cy);
      }
      x += dx;
      y += dy;
    }
    return last;
  };
  if (isBackground(cx, cy) && isBackground(cx + 1, cy) && isBackground(cx, cy + 1)) {
    return { w: 0, h: 0 };
  }
  // The home view centres the image, so each side is twice the shorter reach: chrome laid
  // over one edge of the picture (Mirador's zoom bar) can lengthen a reach, never shorten it.
  const side = (a, b) => 2 * Math.min(reach(a, b), reach(-a, -b)) + 1;
  return { w: side(1, 0), h: side(0, 1) };
}

/** A problem when the drawn extent's aspect ratio is more than `tolerance` off the image's. */
export function aspectOff(extent, info, tolerance = 0.04) {
  if (extent.w < 50 || extent.h < 50) return `the drawn picture is ${extent.w}x${extent.h} px`;
  const drawn = extent.w / extent.h;
  const image = info.width / info.height;
  if (Math.abs(drawn / image - 1) <= tolerance) return null;
  return `drawn ${extent.w}x${extent.h} (aspect ${drawn.toFixed(3)}), image aspect ${image.toFixed(3)}`;
}
