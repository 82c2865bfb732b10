// Table tests of the tile checks the browser test relies on (run by `node --test`), so a
// check that could never fail would show here first.
import { test } from "node:test";
import assert from "node:assert/strict";
import { aspectProblem, checkImage, imageDimensions, requestedSize, tileScale } from "./tiles.mjs";

// odd-size.tif: 5001x3333, 512 px tiles, scale factors 1..16.
const info = {
  width: 5001,
  height: 3333,
  tiles: [{ width: 512, height: 512, scaleFactors: [1, 2, 4, 8, 16] }],
};

/** A JPEG with only SOI and a SOF0 frame header of w x h: all the check reads. */
function jpeg(w, h) {
  const b = Buffer.from([0xff, 0xd8, 0xff, 0xc0, 0, 17, 8, 0, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0]);
  b.writeUInt16BE(h, 7);
  b.writeUInt16BE(w, 9);
  return b;
}

test("decodes JPEG and PNG sizes", () => {
  assert.deepEqual(imageDimensions(jpeg(113, 416)), { w: 113, h: 416 });
  const png = Buffer.alloc(32);
  png.writeUInt32BE(0x89504e47, 0);
  png.writeUInt32BE(640, 16);
  png.writeUInt32BE(480, 20);
  assert.deepEqual(imageDimensions(png), { w: 640, h: 480 });
  assert.equal(imageDimensions(Buffer.from("not an image")), null);
});

test("tile grid membership", () => {
  const cases = [
    // [x, y, w, h, size w, size h, scale or null]
    [0, 0, 512, 512, 512, 512, 1],
    [4608, 3072, 393, 261, 393, 261, 1], // bottom-right edge tile
    [4096, 0, 905, 3333, 114, 417, 8], // rounded up (OpenSeadragon 6)
    [4096, 0, 905, 3333, 113, 416, 8], // rounded down (info.json sizes)
    [4096, 0, 905, 3333, 112, 416, null], // neither
    [256, 0, 512, 512, 512, 512, null], // off the grid
    [4608, 0, 300, 512, 300, 512, null], // edge tile that stops short of the edge
    [0, 0, 5001, 3333, 313, 209, 16],
  ];
  // 2.1's `w,` leaves the height to the server: only the width places the tile.
  const derived = { w: 226, h: 511, exact: [true, false] };
  assert.equal(tileScale({ x: 4096, y: 0, w: 905, h: 2048 }, derived, info), 4);
  for (const [x, y, w, h, sw, sh, want] of cases) {
    assert.equal(tileScale({ x, y, w, h }, { w: sw, h: sh, exact: [true, true] }, info), want, `${x},${y},${w},${h}/${sw},${sh}`);
  }
});

test("derived sizes", () => {
  assert.deepEqual(requestedSize("512,", { w: 1024, h: 700 }), { w: 512, h: 350, exact: [true, false] });
  assert.deepEqual(requestedSize("max", { w: 5, h: 7 }), { w: 5, h: 7, exact: [true, true] });
  assert.equal(requestedSize("pct:50", { w: 5, h: 7 }), null);
});

test("whole checks flag what a viewer must never see", () => {
  const url = (r, s) => `http://h/iiif/3/odd-size.tif/${r}/${s}/0/default.jpg`;
  const ok = checkImage(url("4096,0,905,3333", "113,416"), 200, "image/jpeg", jpeg(113, 416), info);
  assert.deepEqual(ok, { problems: [], scale: 8 });
  const thumb = checkImage(url("full", "!200,200"), 200, "image/jpeg", jpeg(200, 133), info);
  assert.deepEqual(thumb, { problems: [], scale: null });
  const wrong = checkImage(url("0,0,512,512", "512,512"), 200, "image/jpeg", jpeg(512, 511), info);
  assert.deepEqual(wrong.problems, ["decoded 512x511, asked for 512x512"]);
  const failed = checkImage(url("0,0,512,512", "512,512"), 500, "text/plain", Buffer.from("x"), info);
  assert.equal(failed.problems.length, 3);
  assert.equal(checkImage("http://h/iiif/3/odd-size.tif/info.json", 200, "image/x", null, info).problems[0],
    "not a region/size this check understands");
  const off = checkImage(url("100,0,512,512", "512,512"), 200, "image/jpeg", jpeg(512, 512), info);
  assert.deepEqual(off.problems, ["region is off the tile grid"]);
});

test("region and size must share an aspect ratio, within a pixel of rounding", () => {
  const exact = (w, h) => ({ w, h, exact: [true, true] });
  const cases = [
    // [region w, h, size w, h, distorted?]
    [905, 3333, 113, 416, false],
    [905, 3333, 114, 417, false],
    [5001, 3333, 313, 209, false],
    [8192, 8192, 512, 438, true], // Mirador's OpenSeadragon with misread sizes (issue 9)
    [5001, 3333, 313, 313, true], // a thumbnail stretched into a square
    [905, 3333, 113, 425, true],
  ];
  for (const [rw, rh, w, h, bad] of cases) {
    assert.equal(aspectProblem({ w: rw, h: rh }, exact(w, h)) !== null, bad, `${rw}x${rh} -> ${w}x${h}`);
  }
  // `w,` leaves the height to the server, so there is nothing to compare.
  assert.equal(aspectProblem({ w: 8192, h: 8192 }, { w: 512, h: 438, exact: [true, false] }), null);
  const url = "http://h/iiif/3/odd-size.tif/0,0,4096,4096/512,438/0/default.jpg";
  const skewed = checkImage(url, 200, "image/jpeg", jpeg(512, 438), info);
  assert.ok(skewed.problems.some((p) => p.startsWith("aspect differs")), skewed.problems.join());
});
