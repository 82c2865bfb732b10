// Pure checks of the image requests a viewer made: what size the IIIF URL asked for, what
// size the response really is (read from the JPEG/PNG header bytes), and whether a request
// lies on the tile grid info.json announced. No browser here, so node:test covers it
// (tiles.test.mjs).

/** Splits `/iiif/{2|3}/{identifier}/{region}/{size}/{rotation}/{quality}.{format}`. */
export function parseImageUrl(url) {
  const m = /^\/iiif\/[23]\/[^/]+\/([^/]+)\/([^/]+)\/([^/]+)\/([^/]+\.[a-z]+)$/.exec(new URL(url).pathname);
  return m && { region: m[1], size: m[2], rotation: m[3], qualityFormat: m[4] };
}

/** The region as x, y, w, h in image pixels, clipped to the image (IIIF §4.1). */
export function regionRect(region, info) {
  const { width: W, height: H } = info;
  if (region === "full") return { x: 0, y: 0, w: W, h: H };
  const m = /^(\d+),(\d+),(\d+),(\d+)$/.exec(region);
  if (!m) return null; // square and pct: regions are never tile requests
  const [x, y, w, h] = m.slice(1).map(Number);
  return { x, y, w: Math.min(w, W - x), h: Math.min(h, H - y) };
}

/**
 * The output size a size parameter asks for, given the region's size; `exact` says which
 * axes the URL names outright (a derived axis may round either way, ±1).
 */
export function requestedSize(size, rect) {
  const s = size.replace(/^\^/, "");
  if (s === "max" || s === "full") return { w: rect.w, h: rect.h, exact: [true, true] };
  let m = /^(\d+),(\d+)$/.exec(s);
  if (m) return { w: +m[1], h: +m[2], exact: [true, true] };
  if ((m = /^(\d+),$/.exec(s))) {
    return { w: +m[1], h: Math.round((rect.h * m[1]) / rect.w), exact: [true, false] };
  }
  if ((m = /^,(\d+)$/.exec(s))) {
    return { w: Math.round((rect.w * m[1]) / rect.h), h: +m[1], exact: [false, true] };
  }
  if ((m = /^!(\d+),(\d+)$/.exec(s))) {
    const scale = Math.min(m[1] / rect.w, m[2] / rect.h);
    return { w: Math.round(rect.w * scale), h: Math.round(rect.h * scale), exact: [false, false] };
  }
  return null;
}

/** Width and height from a JPEG (SOFn marker) or PNG (IHDR) body; null if neither. */
export function imageDimensions(bytes) {
  const b = bytes;
  if (b.length > 24 && b.readUInt32BE(0) === 0x89504e47) {
    return { w: b.readUInt32BE(16), h: b.readUInt32BE(20) };
  }
  if (b.length < 4 || b[0] !== 0xff || b[1] !== 0xd8) return null;
  let i = 2;
  while (i + 9 < b.length) {
    if (b[i] !== 0xff) return null;
    const marker = b[i + 1];
    if (marker === 0xff) { i += 1; continue; } // fill byte
    const len = b.readUInt16BE(i + 2);
    // SOF0..SOF15 except DHT (C4), JPG (C8) and DAC (CC) carry the frame size.
    if (marker >= 0xc0 && marker <= 0xcf && ![0xc4, 0xc8, 0xcc].includes(marker)) {
      return { w: b.readUInt16BE(i + 7), h: b.readUInt16BE(i + 5) };
    }
    i += 2 + len;
  }
  return null;
}

/**
 * Which scale factor of info.json's tile grid a request belongs to, or null when it is
 * not a tile request. A tile's region starts on the grid of (tile size × s) and runs to the
 * next grid line or the image edge; its size is the region divided by s. Viewers round that
 * division differently (OpenSeadragon 6 rounds up; Mirador's OpenSeadragon takes level
 * sizes from info.json `sizes`, which round down), so either is on the grid. `size` is a
 * requestedSize() result.
 */
export function tileScale(rect, size, info) {
  const grid = info.tiles?.[0];
  // A size that fixes neither axis (`!w,h`) cannot place a request on a level.
  if (!grid || !size.exact.some(Boolean)) return null;
  const tw = grid.width;
  const th = grid.height ?? grid.width;
  for (const s of grid.scaleFactors) {
    const [gw, gh] = [tw * s, th * s];
    const onGrid =
      rect.x % gw === 0 &&
      rect.y % gh === 0 &&
      rect.w === Math.min(gw, info.width - rect.x) &&
      rect.h === Math.min(gh, info.height - rect.y);
    // An axis the URL leaves to the server (`w,` in 2.1) says nothing about the grid.
    const fits = (got, region, exact) =>
      !exact || got === Math.floor(region / s) || got === Math.ceil(region / s);
    if (onGrid && fits(size.w, rect.w, size.exact[0]) && fits(size.h, rect.h, size.exact[1])) {
      return s;
    }
  }
  return null;
}

/**
 * A problem when a request names both output sides and they do not have the region's aspect
 * ratio: a viewer that misreads the levels asks for `0,0,8192,8192/512,438`. Each side may
 * be a pixel off the exact scale (viewers round up or down), which moves the cross product
 * `w * region.h - h * region.w` by at most region.w + region.h.
 */
export function aspectProblem(rect, size) {
  if (!size.exact[0] || !size.exact[1]) return null;
  const skew = Math.abs(size.w * rect.h - size.h * rect.w);
  if (skew <= rect.w + rect.h) return null;
  return `aspect differs: region ${rect.w}x${rect.h}, size ${size.w}x${size.h}`;
}

/**
 * Checks one image response against info.json. Returns { problems, scale }: `scale` is
 * the tile grid's scale factor, or null for a request off the grid (a thumbnail);
 * `problems` lists what is wrong (empty when all is well).
 */
export function checkImage(url, status, contentType, body, info) {
  const problems = [];
  if (status !== 200) problems.push(`status ${status}`);
  if (!/^image\//.test(contentType || "")) problems.push(`content-type ${contentType}`);
  const parsed = parseImageUrl(url);
  const rect = parsed && regionRect(parsed.region, info);
  const want = rect && requestedSize(parsed.size, rect);
  if (!want) return { problems: [...problems, "not a region/size this check understands"], scale: null };
  const got = body && imageDimensions(body);
  if (!got) {
    problems.push("body is not a JPEG or PNG");
  } else {
    const near = (a, b, exact) => (exact ? a === b : Math.abs(a - b) <= 1);
    if (!near(got.w, want.w, want.exact[0]) || !near(got.h, want.h, want.exact[1])) {
      problems.push(`decoded ${got.w}x${got.h}, asked for ${want.w}x${want.h}`);
    }
  }
  const distorted = aspectProblem(rect, want);
  if (distorted) problems.push(distorted);
  const scale = tileScale(rect, want, info);
  // Every x,y,w,h region a viewer asks for is a tile; only `full` may be a thumbnail.
  if (scale === null && parsed.region !== "full") problems.push("region is off the tile grid");
  return { problems, scale };
}
