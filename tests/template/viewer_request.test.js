// The viewer-request CloudFront Function of template.yaml, run on sample events.
// Usage: node viewer_request.test.js FILE, where FILE holds the function's code as the
// template has it (tests/template/test_template.py extracts it and runs this).
'use strict';
const assert = require('node:assert/strict');
const fs = require('node:fs');

const code = fs.readFileSync(process.argv[2], 'utf8');
// cloudfront-js-2.0 calls the top-level `handler`; nothing else is exported.
const handler = new Function(`${code}\nreturn handler;`)();

function run(uri, headers = {}) {
  const h = { host: { value: 'images.example.org' } };
  for (const [k, v] of Object.entries(headers)) h[k] = { value: v };
  return handler({ version: '1.0', request: { method: 'GET', uri, headers: h, querystring: {} } });
}

// X-Forwarded-Host is the viewer's Host, whatever the viewer sent.
const spoofed = run('/iiif/3/a/info.json', { 'x-forwarded-host': 'evil.example' });
assert.equal(spoofed.headers['x-forwarded-host'].value, 'images.example.org');

// Preflight headers come only from an origin-request hook: a viewer's are dropped.
const forged = run('/iiif/3/a/info.json', {
  'x-preflight-location': 's3://bucket/secret.tif',
  'x-preflight-dimensions': '{"width":1,"height":1}',
});
assert.equal(forged.headers['x-preflight-location'], undefined);
assert.equal(forged.headers['x-preflight-dimensions'], undefined);
assert.equal(forged.headers.host.value, 'images.example.org');

// Canonical percent-encoding of IIIF paths: one spelling per image.
const uris = [
  ['/iiif/3/a%2Fb/full/max/0/default.jpg', '/iiif/3/a%2Fb/full/max/0/default.jpg'],
  ['/iiif/3/a%2fb/info.json', '/iiif/3/a%2Fb/info.json'],
  ['/iiif/3/Green%20Firm/info.json', '/iiif/3/Green%20Firm/info.json'],
  ['/iiif/3/a+b/info.json', '/iiif/3/a%2Bb/info.json'],
  ['/iiif/3/%61bc/info.json', '/iiif/3/abc/info.json'],
  ['/iiif/3/ark:%2F12025%2F654/pct:10,20,30,40/!100,100/0/default.jpg',
   '/iiif/3/ark%3A%2F12025%2F654/pct%3A10%2C20%2C30%2C40/%21100%2C100/0/default.jpg'],
  ['/iiif/2/caf%C3%A9/full/^max/0/default.png', '/iiif/2/caf%C3%A9/full/%5Emax/0/default.png'],
  ['/iiif/3/a~b_c.d-e/info.json', '/iiif/3/a~b_c.d-e/info.json'],
  // Malformed escapes are left for the origin to refuse (400), not guessed at.
  ['/iiif/3/a%2/info.json', '/iiif/3/a%2/info.json'],
  ['/iiif/3/a%zz/info.json', '/iiif/3/a%zz/info.json'],
  // Only IIIF paths are touched.
  ['/viewer/a+b.js', '/viewer/a+b.js'],
];
for (const [uri, want] of uris) assert.equal(run(uri).uri, want, uri);
// Canonical is a fixed point.
for (const [, want] of uris) assert.equal(run(want).uri, want, want);

// info.json's Accept is one of the two media types the service answers with.
const ld = 'application/ld+json';
const json = 'application/json';
const accepts = [
  ['3', undefined, ld],
  ['3', '*/*', ld],
  ['3', 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8', ld],
  ['3', 'application/ld+json;profile="http://iiif.io/api/image/3/context.json"', ld],
  ['3', 'APPLICATION/JSON', json],
  ['3', 'application/json, application/ld+json;q=0.9', ld],
  ['2', undefined, json],
  ['2', '*/*', json],
  ['2', 'application/json', json],
  ['2', 'application/ld+json', ld],
];
for (const [version, accept, want] of accepts) {
  const out = run(`/iiif/${version}/x/info.json`, accept === undefined ? {} : { accept });
  assert.equal(out.headers.accept.value, want, `${version} ${accept}`);
}
// Images keep the viewer's Accept (it is not in their cache key).
assert.equal(run('/iiif/3/x/full/max/0/default.jpg', { accept: 'image/webp' }).headers.accept.value,
  'image/webp');
console.log(`viewer-request function: ${uris.length * 2 + accepts.length + 2} cases passed`);
