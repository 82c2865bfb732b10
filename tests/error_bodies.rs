//! No error body carries a byte of an object, a path, a bucket or a key, nor echoes what
//! the client sent: every error answers one fixed sentence per kind, and the detail goes to
//! the log only. A file that is not an image answers exactly as a missing one does, so a
//! probe for `.git/config` or `.env` learns nothing of what exists under the root.

mod common;
use bytes::Bytes;
use common::*;
use http::Response;

/// Words of the objects, paths and requests below that must never reach a body.
const NEVER_IN_A_BODY: &[&str] = &[
    "secret", ".git", "config", "core", "notes", "broken", "passwd", "doc", "quad", "tif", "png",
];

/// True when `text` holds two hex byte pairs in a row (`5b 63`), as a byte dump would.
fn has_hex_bytes(text: &str) -> bool {
    let is_byte = |w: &str| w.len() == 2 && w.chars().all(|c| c.is_ascii_hexdigit());
    let words: Vec<&str> = text
        .split(|c: char| c.is_whitespace() || "[],".contains(c))
        .filter(|w| !w.is_empty())
        .collect();
    words.windows(2).any(|pair| pair.iter().all(|w| is_byte(w)))
}

fn body(resp: &Response<Bytes>) -> String {
    String::from_utf8_lossy(resp.body()).into_owned()
}

/// A root with one small image, files that are no images, and a broken PNG.
fn root() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let p = |name: &str| dir.path().join(name);
    quadrants(64, 48).save(p("quad.png")).unwrap();
    std::fs::create_dir(p(".git")).unwrap();
    std::fs::write(p(".git/config"), "[core]\n\trepositoryformatversion = 0\n").unwrap();
    std::fs::write(p("notes.txt"), "secret notes\n").unwrap();
    std::fs::write(p("empty.jpg"), "").unwrap();
    // A PNG signature, then nothing a decoder can use.
    std::fs::write(p("broken.png"), b"\x89PNG\r\n\x1a\nsecret broken bytes").unwrap();
    dir
}

#[test]
fn the_hex_detector_sees_a_byte_dump() {
    assert!(has_hex_bytes("unknown file signature [5b 63 6f 72]"));
    assert!(!has_hex_bytes("Not found"));
}

#[tokio::test]
async fn a_file_that_is_no_image_answers_as_a_missing_one() {
    let dir = root();
    let app = app(dir.path());
    let missing = get(&app, "/iiif/3/no-such-file/info.json", &[]).await;
    assert_eq!(missing.status(), 404);
    for path in [
        "/iiif/3/.git%2Fconfig/info.json",
        "/iiif/2/.git%2Fconfig/info.json",
        "/iiif/3/.git%2Fconfig/full/max/0/default.jpg",
        "/iiif/manifest/3/.git%2Fconfig",
        "/iiif/3/notes.txt/info.json",
        "/iiif/3/empty.jpg/info.json",
    ] {
        let resp = get(&app, path, &[]).await;
        assert_eq!(resp.status(), missing.status(), "{path}: {}", body(&resp));
        assert_eq!(body(&resp), body(&missing), "{path}");
        let names = |r: &Response<Bytes>| {
            let mut names: Vec<String> = r.headers().keys().map(|k| k.to_string()).collect();
            names.sort();
            names
        };
        assert_eq!(names(&resp), names(&missing), "{path}");
    }
}

#[tokio::test]
async fn every_error_body_is_a_fixed_sentence() {
    let dir = root();
    let app = app(dir.path());
    let long = format!("/iiif/3/{}/info.json", "secret".repeat(1000));
    let cases: &[(&str, &str, u16)] = &[
        ("GET", "/iiif/3/.git%2Fconfig/info.json", 404),
        ("GET", "/iiif/3/notes.txt/full/max/0/default.png", 404),
        ("GET", "/iiif/3/no-secret-here.tif/info.json", 404),
        ("GET", "/iiif/3/broken.png/info.json", 500),
        ("GET", "/iiif/3/broken.png/full/max/0/default.jpg", 500),
        ("GET", "/iiif/3/..%2Fetc%2Fpasswd/info.json", 403),
        ("GET", "/iiif/3/%2Fetc%2Fpasswd/info.json", 403),
        ("GET", "/iiif/3/quad.png;9/info.json", 404),
        ("GET", "/iiif/3/quad.png;0/info.json", 400),
        (
            "GET",
            "/iiif/3/quad.png/secret-region/max/0/default.jpg",
            400,
        ),
        ("GET", "/iiif/3/quad.png/full/secret,/0/default.jpg", 400),
        ("GET", "/iiif/3/quad.png/full/max/secret/default.jpg", 400),
        ("GET", "/iiif/3/quad.png/full/max/0/default.secret", 400),
        ("GET", "/iiif/3/quad.png/full/max/0/secret.jpg", 400),
        ("GET", "/iiif/3/quad.png/full/99999,/0/default.jpg", 400),
        ("GET", "/iiif/3/quad.png/full/65,/0/default.jpg", 400),
        ("GET", "/iiif/3/quad.png/full/max/0/default.jp2", 400),
        ("GET", "/iiif/3/secret%ZZ/info.json", 400),
        ("GET", &long, 400),
        ("GET", "/iiif/manifest/9/secret.png", 404),
        ("GET", "/secret/notes.txt", 404),
        ("DELETE", "/iiif/3/quad.png/info.json", 405),
        ("HEAD", "/iiif/3/.git%2Fconfig/info.json", 404),
    ];
    let root_path = dir.path().to_string_lossy().into_owned();
    for &(method, path, status) in cases {
        let resp = request(&app, method, path, &[]).await;
        let text = body(&resp);
        assert_eq!(resp.status().as_u16(), status, "{method} {path}: {text}");
        assert_eq!(header(&resp, "cache-control"), "no-store", "{path}");
        assert!(text.lines().count() <= 1, "{path}: {text}");
        assert!(!text.contains(&root_path), "{path}: {text}");
        assert!(!has_hex_bytes(&text), "{path}: {text}");
        let lower = text.to_ascii_lowercase();
        for word in NEVER_IN_A_BODY {
            assert!(!lower.contains(word), "{path}: {word:?} in {text:?}");
        }
    }
    // The same kind always answers the same words, whatever the detail was.
    let first = body(
        &get(
            &app,
            "/iiif/3/quad.png/secret-region/max/0/default.jpg",
            &[],
        )
        .await,
    );
    let other = body(&get(&app, "/iiif/3/quad.png/full/max/0/default.secret", &[]).await);
    assert_eq!(first, other);
    // And the image is still served.
    let ok = get(&app, "/iiif/3/quad.png/full/32,/0/default.png", &[]).await;
    assert_eq!(decode(&ok, image::ImageFormat::Png).width(), 32);
}
