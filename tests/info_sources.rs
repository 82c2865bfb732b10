//! info.json is one answer per image: byte-identical apart from `id`, whether its facts came
//! from S3 metadata written by `create-metadata`, from the directory walk over S3, or from
//! the file source. CloudFront keeps info.json for a year, so a second answer for the same
//! image would be frozen at the edge (and Mirador's OpenSeadragon 5 misplaced every level
//! when the two disagreed).
//!
//! Every kind of image is covered: pyramids with and without edge tiles, a SubIFD pyramid, a
//! tiled TIFF without pyramid, a strip TIFF, a multi-page TIFF (each page), JPEG, PNG, WebP
//! and JPEG 2000; under the default limits and under limits smaller than the images, so
//! that the largest levels drop out of `sizes`. The S3 side runs against a real
//! S3-compatible server with every request counted on the wire.

mod common;

use common::s3::Stage;
use common::{app_s3, app_with, fixture_dir, vips};
use serde_json::Value;
use std::path::Path;
use tessera::config::Config;
use tessera::service::App;
use tessera::tools::metadata::{run, ProgressMode, RunOptions, S3Url};

/// Extra images beside the shared fixtures: an odd-sized libvips pyramid (edge tiles at
/// every level, `floor` halving), a SubIFD pyramid, and one wider than a tile by a pixel
/// (its pyramid stops before one tile holds it).
fn add_pyramids(dir: &Path) {
    let p = |name: &str| dir.join(name).to_string_lossy().into_owned();
    let tiffsave = |input: &str, output: &str, options: &[&str]| {
        let (input, output) = (p(input), p(output));
        let mut args = vec!["tiffsave", &input, &output, "--tile", "--pyramid"];
        args.extend(["--tile-width", "256", "--tile-height", "256"]);
        args.extend_from_slice(options);
        vips(&args);
    };
    vips(&["black", &p("odd.v"), "2049", "1251", "--bands", "3"]);
    tiffsave("odd.v", "odd.tif", &["--compression", "deflate"]);
    tiffsave(
        "odd.v",
        "subifd.tif",
        &["--subifd", "--compression", "jpeg"],
    );
    vips(&["black", &p("edge.v"), "513", "300", "--bands", "3"]);
    tiffsave("edge.v", "edge.tif", &[]);
    for f in ["odd.v", "edge.v"] {
        std::fs::remove_file(dir.join(f)).unwrap();
    }
    // Turned a quarter (EXIF orientation 6), and a pyramid carrying the same TIFF tag:
    // everything must describe them as displayed (500x300, not 300x500).
    common::turned_jpeg(&dir.join("turned.jpg"), &common::quadrants(500, 300), 6);
    tiffsave("turned.jpg", "turned.tif", &["--compression", "jpeg"]);
}

/// Identifiers to compare: every image, and every page of the multi-page TIFF.
const IMAGES: [&str; 17] = [
    "turned.jpg",
    "turned.tif",
    "quad.tif",
    "lossless.tif",
    "lzw.tif",
    "none.tif",
    "strip.tif",
    "odd.tif",
    "subifd.tif",
    "edge.tif",
    "quad.jpg",
    "quad.png",
    "quad.webp",
    "quad.jp2",
    "sub/nested.png",
    "doc.tif",
    "doc.tif;3",
];

/// The info.json body with its `id`/`@id` blanked, as text (byte equality is the point).
async fn info_without_id(app: &App, version: &str, identifier: &str) -> String {
    let id = identifier.replace('/', "%2F").replace(';', "%3B");
    let resp = common::get(app, &format!("/iiif/{version}/{id}/info.json"), &[]).await;
    assert_eq!(resp.status(), 200, "{version} {identifier}");
    let body = String::from_utf8(resp.body().to_vec()).unwrap();
    let doc: Value = serde_json::from_str(&body).unwrap();
    let key = if version == "3" { "id" } else { "@id" };
    let id = doc[key].as_str().unwrap();
    body.replacen(&format!("\"{id}\""), "\"\"", 1)
}

fn tight(config: &mut Config) {
    config.max_width = 600;
    config.max_height = 600;
    config.max_area = 300_000;
}

#[test]
fn info_json_is_the_same_from_metadata_from_the_walk_and_from_files() {
    let images = fixture_dir();
    add_pyramids(images.path());
    let stage = Stage::start("tessera-info");
    let (runtime, proxy, bucket) = (&stage.runtime, &stage.proxy, stage.bucket.clone());
    runtime.block_on(async {
        let admin = &stage.admin;
        let client = admin.client();
        for name in IMAGES.iter().filter(|name| !name.contains(';')) {
            let body = std::fs::read(images.path().join(name)).unwrap();
            for prefix in ["walk", "meta", "legacy"] {
                let put = client
                    .put_object()
                    .bucket(&bucket)
                    .key(format!("{prefix}/{name}"));
                put.body(body.clone().into()).send().await.unwrap();
            }
        }
        for prefix in ["meta/", "legacy/"] {
            let target = S3Url {
                bucket: bucket.clone(),
                key: prefix.into(),
            };
            let summary = run(admin, &RunOptions::new(target), ProgressMode::Quiet).await;
            assert!(summary.unwrap().succeeded());
        }
        // legacy/: serverless-iiif's keys alone (no levels), so the server must walk.
        for name in IMAGES.iter().filter(|name| !name.contains(';')) {
            let key = format!("legacy/{name}");
            let head = client.head_object().bucket(&bucket).key(&key).send().await;
            let meta = head.unwrap().metadata.unwrap_or_default();
            let mut copy = client
                .copy_object()
                .bucket(&bucket)
                .key(&key)
                .copy_source(format!("{bucket}/{key}"))
                .metadata_directive(aws_sdk_s3::types::MetadataDirective::Replace);
            for (k, v) in meta.iter().filter(|(k, _)| k.as_str() != "iiif-levels") {
                copy = copy.metadata(k, v);
            }
            copy.send().await.unwrap();
        }
    });

    for tweak in [(|_: &mut Config| {}) as fn(&mut Config), tight] {
        let files = app_with(images.path(), tweak);
        let reader = runtime.block_on(common::s3::test_store(&proxy.endpoint, 64 * 1024, 16 << 20));
        let s3 = runtime.block_on(async {
            app_s3(reader, |c: &mut Config| {
                c.bucket = bucket.clone();
                tweak(c);
            })
        });
        for name in IMAGES {
            let object = name.split(';').next().unwrap();
            for version in ["3", "2"] {
                let want = runtime.block_on(info_without_id(&files, version, name));
                for prefix in ["meta", "walk", "legacy"] {
                    let gets = proxy.requests("GET", &format!("{prefix}/{object}")).len();
                    let id = format!("{prefix}/{name}");
                    let got = runtime.block_on(info_without_id(&s3, version, &id));
                    assert_eq!(got, want, "{id} (v{version}) differs from the file's");
                    let gets = proxy.requests("GET", &format!("{prefix}/{object}")).len() - gets;
                    if prefix == "meta" && !name.contains(';') {
                        assert_eq!(gets, 0, "{id}: info.json from metadata reads no bytes");
                    }
                }
            }
        }
    }
}
