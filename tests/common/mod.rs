//! Test fixtures: real image files generated per test run (a known four-colour pattern,
//! encoded by the `image` crate and by the libvips CLI as pyramid TIFFs), and an [`App`]
//! over a temporary directory, driven through `service::handle` as every front door does.
#![allow(dead_code)]

pub mod proxy;
pub mod s3;

use bytes::Bytes;
use http::{Request, Response};
use image::{DynamicImage, Rgb, RgbImage};
use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use tessera::config::Config;
use tessera::service::{handle, App};
use tessera::source::FileStore;

pub const RED: [u8; 3] = [220, 30, 30];
pub const GREEN: [u8; 3] = [30, 200, 60];
pub const BLUE: [u8; 3] = [40, 60, 220];
pub const YELLOW: [u8; 3] = [240, 220, 40];

/// A `w` x `h` image in four quadrants: red top-left, green top-right, blue bottom-left,
/// yellow bottom-right.
pub fn quadrants(w: u32, h: u32) -> RgbImage {
    RgbImage::from_fn(w, h, |x, y| {
        let c = match (x < w / 2, y < h / 2) {
            (true, true) => RED,
            (false, true) => GREEN,
            (true, false) => BLUE,
            (false, false) => YELLOW,
        };
        Rgb(c)
    })
}

/// Runs the libvips CLI; the project's scripts install it (Debian libvips-tools).
pub fn vips(args: &[&str]) {
    let status = Command::new("vips")
        .args(args)
        .status()
        .expect("the vips CLI (libvips-tools)");
    assert!(status.success(), "vips {args:?} failed");
}

/// `vips tiffsave` options for a tiled pyramid: `tile` px square tiles, `compression`.
pub fn pyramid_options(tile: u32, compression: &str) -> Vec<String> {
    let tile = tile.to_string();
    [
        "--tile",
        "--tile-width",
        &tile,
        "--tile-height",
        &tile,
        "--pyramid",
    ]
    .into_iter()
    .chain(["--compression", compression])
    .map(str::to_owned)
    .collect()
}

/// The stored pixels that EXIF orientation `o` turns into `shown` (EXIF's definitions).
pub fn stored_for(o: u8, shown: &RgbImage) -> RgbImage {
    use image::imageops::{flip_horizontal, flip_vertical, rotate180, rotate270, rotate90};
    match o {
        2 => flip_horizontal(shown),
        3 => rotate180(shown),
        4 => flip_vertical(shown),
        5 => rotate270(&flip_horizontal(shown)),
        6 => rotate270(shown),
        7 => rotate90(&flip_horizontal(shown)),
        8 => rotate90(shown),
        _ => shown.clone(),
    }
}

/// An APP1 EXIF segment holding only IFD0 with Orientation = `o` (big-endian, as many
/// cameras write it).
fn exif_app1(o: u8) -> Vec<u8> {
    let mut tiff = b"MM\0\x2a\0\0\0\x08".to_vec();
    tiff.extend_from_slice(&1u16.to_be_bytes());
    tiff.extend_from_slice(&274u16.to_be_bytes());
    tiff.extend_from_slice(&3u16.to_be_bytes());
    tiff.extend_from_slice(&1u32.to_be_bytes());
    tiff.extend_from_slice(&[0, o, 0, 0]);
    tiff.extend_from_slice(&0u32.to_be_bytes());
    let payload = [&b"Exif\0\0"[..], &tiff].concat();
    let mut segment = vec![0xFF, 0xE1];
    segment.extend_from_slice(&(payload.len() as u16 + 2).to_be_bytes());
    segment.extend_from_slice(&payload);
    segment
}

/// Writes a JPEG (quality 95) at `path` that displays as `shown` under EXIF orientation
/// `o`: the stored pixels turned the other way, the EXIF segment spliced in after SOI.
pub fn turned_jpeg(path: &Path, shown: &RgbImage, o: u8) {
    let mut jpeg = Vec::new();
    let encoder = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, 95);
    stored_for(o, shown).write_with_encoder(encoder).unwrap();
    let tagged = [&jpeg[..2], &exif_app1(o), &jpeg[2..]].concat();
    std::fs::write(path, tagged).unwrap();
}

/// A directory of fixtures, all the four-colour pattern unless said: quad.png, quad.jpg,
/// quad.webp, quad.jp2, quad.tif (JPEG tiles, 256 px, pyramid), lossless.tif (deflate
/// tiles, 128 px, pyramid), lzw.tif (LZW tiles, pyramid), none.tif (uncompressed 512 px
/// tiles, no pyramid), strip.tif (deflate strips), sub/nested.png (300x200), doc.tif
/// (3 pages: red, green, blue).
pub fn fixture_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let p = |name: &str| dir.path().join(name).to_string_lossy().into_owned();
    let quad = quadrants(1000, 800);
    quad.save(p("quad.png")).unwrap();
    let quad_png = p("quad.png");
    DynamicImage::ImageRgb8(quad.clone())
        .save(p("quad.jpg"))
        .unwrap();
    // (name, tiffsave options)
    let tiffs: [(&str, &[&str]); 5] = [
        (
            "quad.tif",
            &[
                "--tile",
                "--tile-width",
                "256",
                "--tile-height",
                "256",
                "--pyramid",
                "--compression",
                "jpeg",
                "--Q",
                "90",
            ],
        ),
        (
            "lossless.tif",
            &[
                "--tile",
                "--tile-width",
                "128",
                "--tile-height",
                "128",
                "--pyramid",
                "--compression",
                "deflate",
            ],
        ),
        ("lzw.tif", &["--tile", "--pyramid", "--compression", "lzw"]),
        (
            "none.tif",
            &["--tile", "--tile-width", "512", "--tile-height", "512"],
        ),
        ("strip.tif", &["--compression", "deflate"]),
    ];
    for (name, options) in tiffs {
        let out = p(name);
        let mut cmd = vec!["tiffsave", quad_png.as_str(), out.as_str()];
        cmd.extend_from_slice(options);
        vips(&cmd);
    }
    vips(&["webpsave", &quad_png, &p("quad.webp"), "--lossless"]);
    vips(&["jp2ksave", &quad_png, &p("quad.jp2"), "--lossless"]);
    std::fs::create_dir(dir.path().join("sub")).unwrap();
    quadrants(300, 200).save(p("sub/nested.png")).unwrap();
    for (i, c) in [RED, GREEN, BLUE].iter().enumerate() {
        RgbImage::from_pixel(300, 400, Rgb(*c))
            .save(p(&format!("page{i}.png")))
            .unwrap();
    }
    // (`vips arrayjoin` crashes in Debian's libvips 8.14 CLI; two joins do the same.)
    vips(&[
        "join",
        &p("page0.png"),
        &p("page1.png"),
        &p("doc01.v"),
        "vertical",
    ]);
    vips(&[
        "join",
        &p("doc01.v"),
        &p("page2.png"),
        &p("doc.v"),
        "vertical",
    ]);
    vips(&[
        "tiffsave",
        &p("doc.v"),
        &p("doc.tif"),
        "--page-height",
        "400",
        "--compression",
        "deflate",
    ]);
    for f in ["doc.v", "doc01.v", "page0.png", "page1.png", "page2.png"] {
        std::fs::remove_file(dir.path().join(f)).unwrap();
    }
    dir
}

/// An app serving `root`, with test-friendly defaults.
pub fn app(root: &Path) -> Arc<App> {
    app_with(root, |_| {})
}

pub fn app_with(root: &Path, tweak: impl FnOnce(&mut Config)) -> Arc<App> {
    let mut config = Config::from_env().expect("default configuration");
    config.root = root.to_path_buf();
    config.public_base_url = String::new();
    tweak(&mut config);
    let store = Arc::new(FileStore::new(root, &config.key_template).unwrap());
    Arc::new(App::with_store(config, store).expect("app"))
}

/// An app over an S3 store the test built (static credentials, a loopback endpoint).
pub fn app_s3(s3: tessera::source::S3Store, tweak: impl FnOnce(&mut Config)) -> Arc<App> {
    let mut config = Config::from_env().expect("default configuration");
    config.source = tessera::config::SourceKind::S3;
    config.public_base_url = String::new();
    tweak(&mut config);
    let store = tessera::images::bucket_store(s3, &config).expect("disk cache");
    Arc::new(App::with_store(config, store).expect("app"))
}

/// GET `path` (with extra headers) through the service, as the front doors do.
pub async fn get(app: &App, path: &str, headers: &[(&str, &str)]) -> Response<Bytes> {
    request(app, "GET", path, headers).await
}

pub async fn request(
    app: &App,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
) -> Response<Bytes> {
    let mut builder = Request::builder()
        .method(method)
        .uri(path)
        .header("host", "tessera.test");
    for (k, v) in headers {
        builder = builder.header(*k, *v);
    }
    handle(app, builder.body(()).unwrap()).await
}

/// A counter from the app's `GET /metrics` (0 before its first increment).
pub async fn counter(app: &App, name: &str) -> u64 {
    let text = String::from_utf8(get(app, "/metrics", &[]).await.body().to_vec()).unwrap();
    let prefix = format!("{name} ");
    text.lines()
        .find_map(|l| l.strip_prefix(&prefix)?.parse().ok())
        .unwrap_or(0)
}

/// Decodes a response body as an image, checking it is the format asked for.
pub fn decode(resp: &Response<Bytes>, format: image::ImageFormat) -> DynamicImage {
    assert_eq!(
        resp.status(),
        200,
        "body: {:?}",
        String::from_utf8_lossy(resp.body())
    );
    let guessed = image::guess_format(resp.body()).expect("a known image format");
    assert_eq!(guessed, format);
    image::load_from_memory_with_format(resp.body(), format).expect("decodes")
}

/// True when `got` is within `tol` of `want` on every channel.
pub fn near(got: [u8; 3], want: [u8; 3], tol: u8) -> bool {
    got.iter().zip(want).all(|(g, w)| g.abs_diff(w) <= tol)
}

pub fn rgb_at(img: &DynamicImage, x: u32, y: u32) -> [u8; 3] {
    let p = img.to_rgb8().get_pixel(x, y).0;
    [p[0], p[1], p[2]]
}

pub fn header<'a>(resp: &'a Response<Bytes>, name: &str) -> &'a str {
    resp.headers()
        .get(name)
        .map(|v| v.to_str().unwrap())
        .unwrap_or("")
}
