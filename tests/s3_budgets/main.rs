//! Budgets and faults of the S3 source, through the whole service, against a real
//! S3-compatible server (moto) behind the counting proxy, which also injects faults:
//! error bursts, reset connections, bodies cut short. Each answer must be a clear status
//! with `no-store`, the service must keep serving good requests, and the whole-object disk
//! cache must hold nothing but the files it counts. One test drives every scenario, so the
//! server starts once.

#[path = "../common/mod.rs"]
mod common;

mod scenarios;

use bytes::Bytes;
use common::s3::{CountingProxy, Stage};
use http::Response;
use image::{DynamicImage, Rgb, RgbImage};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tessera::config::Config;
use tessera::service::App;

/// The whole-object disk budget of the app under test.
pub const DISK_BYTES: u64 = 200_000;

/// A running app over a bucket of its own, reading through the proxy.
pub struct Fixture {
    pub stage: Stage,
    pub app: Arc<App>,
    pub disk: tempfile::TempDir,
}

impl Fixture {
    pub fn put(&self, key: &str, body: Vec<u8>) {
        let stage = &self.stage;
        let put = stage.admin.client().put_object().bucket(&stage.bucket);
        stage
            .runtime
            .block_on(put.key(key).body(body.into()).send())
            .unwrap();
    }

    pub fn get(&self, path: &str) -> Response<Bytes> {
        self.stage
            .runtime
            .block_on(common::get(&self.app, path, &[]))
    }

    pub fn proxy(&self) -> &CountingProxy {
        &self.stage.proxy
    }

    /// Files under the disk cache's parent folder (the cache's own subfolder's contents).
    pub fn disk_files(&self) -> Vec<PathBuf> {
        let mut files = Vec::new();
        for dir in std::fs::read_dir(self.disk.path()).unwrap() {
            for file in std::fs::read_dir(dir.unwrap().path()).unwrap() {
                files.push(file.unwrap().path());
            }
        }
        files
    }

    /// GETs of `key` the proxy saw without a Range header: whole-object downloads.
    pub fn whole_gets(&self, key: &str) -> usize {
        let gets = self.proxy().requests("GET", key);
        gets.iter().filter(|l| !l.contains("bytes=")).count()
    }
}

/// The app's answer is an error nobody may keep.
pub fn assert_error(resp: &Response<Bytes>, status: u16) {
    let body = String::from_utf8_lossy(resp.body());
    assert_eq!(resp.status(), status, "{body}");
    assert_eq!(common::header(resp, "cache-control"), "no-store");
}

pub fn jpeg(image: RgbImage) -> Vec<u8> {
    let mut out = std::io::Cursor::new(Vec::new());
    DynamicImage::ImageRgb8(image)
        .write_to(&mut out, image::ImageFormat::Jpeg)
        .unwrap();
    out.into_inner()
}

pub fn solid(w: u32, h: u32, colour: [u8; 3]) -> RgbImage {
    RgbImage::from_pixel(w, h, Rgb(colour))
}

/// An uncompressed tiled TIFF of `image` (256 px tiles, no pyramid), so tiles far apart
/// sit in different blocks of the block cache.
pub fn tiled_tiff(dir: &Path, name: &str, image: &RgbImage) -> Vec<u8> {
    let png = dir.join(format!("{name}.png"));
    let tif = dir.join(format!("{name}.tif"));
    image.save(&png).unwrap();
    let (png, tif) = (png.to_str().unwrap(), tif.to_str().unwrap());
    common::vips(&["tiffsave", png, tif, "--tile", "--tile-width", "256"]);
    std::fs::read(tif).unwrap()
}

#[test]
fn s3_budgets_and_faults() {
    let stage = Stage::start("tessera-budgets");
    let disk = tempfile::tempdir().unwrap();
    let reader = stage.reader(65536, 64 << 20);
    let app = stage.runtime.block_on(async {
        common::app_s3(reader, |c: &mut Config| {
            c.bucket = stage.bucket.clone();
            c.disk_cache_dir = Some(disk.path().to_path_buf());
            c.disk_cache_bytes = Some(DISK_BYTES);
        })
    });
    let fx = Fixture { stage, app, disk };
    scenarios::an_object_over_the_disk_budget_is_refused_and_others_still_work(&fx);
    scenarios::a_truncated_download_leaves_no_partial_file(&fx);
    scenarios::error_bursts_and_resets_answer_503_and_the_service_goes_on(&fx);
    scenarios::a_hostile_tiff_fails_fast_and_is_not_walked_twice(&fx);
    scenarios::a_replaced_whole_object_is_read_anew(&fx);
    scenarios::a_replaced_tiled_object_is_read_anew(&fx);
}
