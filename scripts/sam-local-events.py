"""The images that events/*.json name, and the checks of `sam local invoke`'s answers.

    sam-local-events.py upload ENDPOINT BUCKET     make the images, put them in the bucket
    sam-local-events.py check NAME ANSWER LOG      check one event's answer (exit 1 if wrong)

The images and the expectations are those of tests/lambda_events.rs (quad.tif: 1000x800
in four colours, a JPEG-tiled pyramid; sub/nested.png: 300x200; noise.png: 1800x1800 of
noise, whose PNG is over Lambda's 6 MB buffered-response ceiling, so only a streamed answer
can carry it). An event without a case here fails, as it does there.

ANSWER is what `sam local invoke` printed on stdout: either a buffered Function URL
response (JSON with statusCode, headers, body, isBase64Encoded) or a streamed one (the
JSON prelude, eight NUL bytes, then the raw body), as the Lambda service would read it.
LOG is what it printed on stderr (the function's log lines among SAM's).

One event cannot pass through the emulator: the runtime interface emulator that SAM runs
(aws-lambda-rie) refuses any answer over 6 MB, streamed or not, where Lambda streams up to
20 MB. For full-large, RIE's refusal (Function.ResponseSizeTooLarge) is accepted only
together with the function's own log line saying it answered 200 for that request: the
function rendered the image and streamed past 6 MB. The streamed bytes themselves are
checked by tests/lambda_runtime.rs against the project's own Runtime API emulator.
"""

import base64
import gzip
import io
import json
import os
import subprocess
import sys
import tempfile

from PIL import Image

RED, GREEN, BLUE, YELLOW = (220, 30, 30), (30, 200, 60), (40, 60, 220), (240, 220, 40)
VIEWER_BASE = "https://images.example.org"
IMMUTABLE = "public, max-age=31536000, immutable"
BUFFERED_LIMIT = 6 * 1024 * 1024


def quadrants(w, h):
    img = Image.new("RGB", (w, h))
    for box, colour in [
        ((0, 0, w // 2, h // 2), RED),
        ((w // 2, 0, w, h // 2), GREEN),
        ((0, h // 2, w // 2, h), BLUE),
        ((w // 2, h // 2, w, h), YELLOW),
    ]:
        img.paste(colour, box)
    return img


def upload(endpoint, bucket):
    import boto3  # moto's dependency, in the same venv

    with tempfile.TemporaryDirectory() as tmp:
        quadrants(1000, 800).save(f"{tmp}/quad.png")
        subprocess.run(
            ["vips", "tiffsave", f"{tmp}/quad.png", f"{tmp}/quad.tif", "--tile",
             "--tile-width", "256", "--tile-height", "256", "--pyramid",
             "--compression", "jpeg", "--Q", "90"],
            check=True,
        )
        quadrants(300, 200).save(f"{tmp}/nested.png")
        Image.frombytes("RGB", (1800, 1800), os.urandom(1800 * 1800 * 3)).save(f"{tmp}/noise.png")
        s3 = boto3.client(
            "s3", endpoint_url=endpoint, region_name="us-east-1",
            aws_access_key_id="tessera", aws_secret_access_key="tessera",
        )
        s3.create_bucket(Bucket=bucket)
        for key, name in [("quad.tif", "quad.tif"), ("sub/nested.png", "nested.png"),
                          ("noise.png", "noise.png")]:
            s3.upload_file(f"{tmp}/{name}", bucket, key)


def parse(raw):
    """(status, lower-cased headers, body bytes) of a buffered or streamed answer."""
    if b"\0" * 8 in raw:
        prelude, body = raw.split(b"\0" * 8, 1)
        meta = json.loads(prelude)
    else:
        meta = json.loads(raw)
        body = meta.get("body") or ""
        body = base64.b64decode(body) if meta.get("isBase64Encoded") else body.encode()
    headers = {k.lower(): v for k, v in (meta.get("headers") or {}).items()}
    return meta.get("statusCode"), headers, body


def near(a, b, tolerance):
    return all(abs(x - y) <= tolerance for x, y in zip(a, b))


def emulator_refused_size(raw, log):
    """RIE's 6 MB refusal, after the function's log says it answered 200 (see the top)."""
    try:
        refused = json.loads(raw).get("errorType") == "Function.ResponseSizeTooLarge"
    except ValueError:
        return False
    answered = any(
        line.get("message") == "request" and line.get("status") == 200
        and line.get("path") == "/iiif/3/noise.png/full/max/0/default.png"
        for line in map(json_or_none, log.splitlines()) if isinstance(line, dict)
    )
    if refused and not answered:
        raise AssertionError("the emulator refused the size, but the function did not log a 200")
    if refused:
        print("full-large: the emulator refused the answer over 6 MB (its limit, not Lambda's);"
              " the function logged 200", file=sys.stderr)
    return refused


def json_or_none(line):
    try:
        return json.loads(line)
    except ValueError:
        return None


def check(name, status, headers, body):
    def expect(cond, what):
        if not cond:
            raise AssertionError(f"{what} (status {status}, headers {headers})")

    def error(want_status, body_start):
        expect(status == want_status, f"status {status}, not {want_status}")
        expect(headers.get("cache-control") == "no-store", "errors are no-store")
        expect(headers.get("content-type") == "text/plain; charset=utf-8", "plain-text error")
        expect(body.decode(errors="replace").startswith(body_start), f"body {body[:80]!r}")

    def info():
        # The events accept gzip as browsers do, so info.json comes gzipped, varying on it.
        if headers.get("content-encoding") != "gzip":
            return json.loads(body)
        expect("accept-encoding" in headers.get("vary", "").lower(), "gzip varies on Accept-Encoding")
        return json.loads(gzip.decompress(body))

    if name == "info-v3":
        expect(status == 200, "200")
        expect(headers.get("cache-control") == IMMUTABLE, "immutable")
        expect(info()["id"] == f"{VIEWER_BASE}/iiif/3/quad.tif", "viewer-facing id")
        expect(info()["width"] == 1000, "width 1000")
    elif name == "info-v2":
        expect(status == 200, "200")
        expect(headers.get("content-type") == "application/ld+json", "ld+json")
        expect(info()["@id"] == f"{VIEWER_BASE}/iiif/2/quad.tif", "viewer-facing @id")
    elif name == "info-direct":
        expect(status == 200, "200")
        expect(info()["id"] == "https://abcdefghij0123456789abcdefghij01.lambda-url.us-east-1"
               ".on.aws/iiif/3/quad.tif", "the Host header's id")
    elif name == "tile":
        img = Image.open(io.BytesIO(body))
        expect(img.format == "JPEG" and img.size == (256, 256), f"a 256x256 JPEG, not {img.size}")
        expect(near(img.convert("RGB").getpixel((128, 128)), RED, 24), "red")
        expect(headers.get("cache-control") == IMMUTABLE, "immutable")
        want = f"<{VIEWER_BASE}/iiif/3/quad.tif/0,0,512,512/256,256/0/default.jpg>;rel=\"canonical\""
        expect(headers.get("link", "").startswith(want), "canonical link")
    elif name == "head-tile":
        expect(status == 200 and body == b"", "200, empty body")
        expect(headers.get("content-type") == "image/jpeg", "image/jpeg")
        expect(int(headers.get("content-length", "0")) > 1000, "the GET's length")
    elif name == "full-large":
        expect(len(body) > BUFFERED_LIMIT, f"only {len(body)} bytes: no longer proves streaming")
        img = Image.open(io.BytesIO(body))
        expect(img.format == "PNG" and img.size == (1800, 1800), f"1800x1800 PNG, not {img.size}")
    elif name == "base-redirect":
        expect(status == 303, "303")
        expect(headers.get("location") == f"{VIEWER_BASE}/iiif/3/quad.tif/info.json", "location")
    elif name == "options-preflight":
        expect(status == 204, "204")
        expect(headers.get("access-control-allow-origin") == "*", "allow-origin")
        expect("GET" in headers.get("access-control-allow-methods", ""), "allow-methods")
        expect(headers.get("access-control-allow-headers") == "range", "allow-headers")
    elif name == "encoded-slash":
        expect(status == 200, "200")
        expect(info()["id"] == f"{VIEWER_BASE}/iiif/3/sub%2Fnested.png", "encoded id")
        expect((info()["width"], info()["height"]) == (300, 200), "300x200")
    elif name == "bad-region":
        error(400, "Bad request")
    elif name == "missing-image":
        error(404, "Not found")
    else:
        raise AssertionError(f"events/{name}.json has no expected answer in {sys.argv[0]}")
    # Every answer carries CORS, success or not.
    expect(headers.get("access-control-allow-origin") == "*", "CORS header")


def main():
    if sys.argv[1:2] == ["upload"] and len(sys.argv) == 4:
        upload(sys.argv[2], sys.argv[3])
    elif sys.argv[1:2] == ["check"] and len(sys.argv) == 5:
        name = sys.argv[2]
        with open(sys.argv[3], "rb") as f:
            raw = f.read()
        with open(sys.argv[4], errors="replace") as f:
            log = f.read()
        try:
            if not (name == "full-large" and emulator_refused_size(raw, log)):
                check(name, *parse(raw))
        except (AssertionError, ValueError, OSError) as e:
            sys.exit(f"{name}: {e}")
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
