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
  // A blank or single-colour view has picture ≈ 0 and sd ≈ 0; the noise scores ~0.9 and
  // sd > 15. The thresholds leave room for viewer chrome over part of the area.
  if (stats.picture < 0.5 || stats.luminanceSd < 8 || stats.colours < 8) {
    return `looks blank: ${JSON.stringify(stats)}`;
  }
  return null;
}
