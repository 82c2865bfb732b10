//! `create-metadata` against a real S3-compatible server (moto on loopback): what it
//! writes, what it keeps, what it refuses, and what it leaves alone.
//!
//! The runs read and write through a counting TCP proxy, so "a rerun copies nothing" and
//! "a dry run writes nothing" are checked on the wire (a copy is a PUT), not only in the
//! tool's own summary. Uploads and checks go to the server directly. One server serves
//! every scenario, each in its own key prefix; the test images are made per run (pyramid
//! TIFFs by the vips CLI, JPEG and PNG by the `image` crate).

// The helpers every integration test shares live beside the flat test files; a test
// crate in its own folder reaches them by path.
#[path = "../common/mod.rs"]
mod common;

use aws_sdk_s3::types::{ServerSideEncryption, StorageClass, Tag};
use common::s3::{CountingProxy, Server};
use std::collections::HashMap;
use tessera::source::S3Store;
use tessera::tools::metadata::*;
use tokio::runtime::Runtime;

/// A server, a runtime, a direct store for set-up and checks, a store through the proxy.
pub struct Fixture {
    pub runtime: Runtime,
    pub admin: S3Store,
    pub via_proxy: S3Store,
    pub proxy: CountingProxy,
    pub bucket: String,
    pub endpoint: String,
    pub images: tempfile::TempDir,
}

pub async fn store(endpoint: &str) -> S3Store {
    common::s3::test_store(endpoint, 64 * 1024, 16 << 20).await
}

/// The attributes an upload may carry; `None` leaves each out.
#[derive(Default)]
pub struct Upload<'a> {
    pub meta: &'a [(&'a str, &'a str)],
    pub dressed: bool,
}

impl Fixture {
    pub fn image(&self, name: &str) -> Vec<u8> {
        std::fs::read(self.images.path().join(name)).unwrap()
    }

    /// Uploads `body`; a `dressed` upload carries every attribute the copy must keep.
    pub fn put(&self, key: &str, body: Vec<u8>, upload: Upload) {
        let client = self.admin.client();
        let mut put = client.put_object().bucket(&self.bucket).key(key);
        for (k, v) in upload.meta {
            put = put.metadata(*k, *v);
        }
        if upload.dressed {
            put = put
                .content_type("image/tiff")
                .cache_control("public, max-age=60")
                .content_disposition("inline; filename=\"scan.tif\"")
                .content_encoding("identity")
                .content_language("de")
                .storage_class(StorageClass::StandardIa)
                .server_side_encryption(ServerSideEncryption::Aes256)
                .tagging("project=atlas&stage=raw%20scan");
        }
        self.runtime.block_on(put.body(body.into()).send()).unwrap();
    }

    pub fn head(&self, key: &str) -> ObjectState {
        self.runtime
            .block_on(head_object(self.admin.client(), &self.bucket, key))
            .unwrap()
    }

    pub fn body(&self, key: &str) -> Vec<u8> {
        self.runtime.block_on(async {
            let out = self
                .admin
                .client()
                .get_object()
                .bucket(&self.bucket)
                .key(key)
                .send();
            out.await.unwrap().body.collect().await.unwrap().to_vec()
        })
    }

    pub fn tags(&self, key: &str) -> HashMap<String, String> {
        let out = self.runtime.block_on(
            self.admin
                .client()
                .get_object_tagging()
                .bucket(&self.bucket)
                .key(key)
                .send(),
        );
        let tags: Vec<Tag> = out.unwrap().tag_set().to_vec();
        tags.into_iter()
            .map(|t| (t.key().to_owned(), t.value().to_owned()))
            .collect()
    }

    pub fn options(&self, prefix: &str) -> RunOptions {
        RunOptions::new(S3Url {
            bucket: self.bucket.clone(),
            key: prefix.to_owned(),
        })
    }

    pub fn run(&self, options: &RunOptions) -> Summary {
        self.runtime
            .block_on(run(&self.via_proxy, options, ProgressMode::Quiet))
            .unwrap()
    }

    /// Copies (PUTs with a key under `prefix`) that crossed the proxy so far.
    pub fn puts_under(&self, prefix: &str) -> usize {
        self.proxy
            .requests("PUT", "")
            .iter()
            .filter(|line| line.contains(&format!("/{}/{prefix}", self.bucket)))
            .count()
    }
}

/// Test images: `pyramid.tif` (1500x1000, 256 px JPEG tiles, main-chain pyramid),
/// `subifd.tif` (the same with SubIFD levels), `photo.jpg` (640x480), `plan.png`
/// (300x200).
fn make_images() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let p = |name: &str| dir.path().join(name).to_string_lossy().into_owned();
    common::quadrants(1500, 1000).save(p("source.png")).unwrap();
    let tiled = [
        "--tile",
        "--tile-width",
        "256",
        "--tile-height",
        "256",
        "--compression",
        "jpeg",
    ];
    let (source, pyramid, subifd) = (p("source.png"), p("pyramid.tif"), p("subifd.tif"));
    common::vips(&[&["tiffsave", &source, &pyramid, "--pyramid"], &tiled[..]].concat());
    let subifd_args = ["tiffsave", &source, &subifd, "--pyramid", "--subifd"];
    common::vips(&[&subifd_args[..], &tiled[..]].concat());
    image::DynamicImage::ImageRgb8(common::quadrants(640, 480))
        .save(p("photo.jpg"))
        .unwrap();
    common::quadrants(300, 200).save(p("plan.png")).unwrap();
    dir
}

#[test]
fn create_metadata_against_a_real_server() {
    let server = Server::start();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let proxy = CountingProxy::start(&server.endpoint);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    let bucket = format!("tessera-meta-{}-{nanos}", std::process::id());
    let admin = runtime.block_on(store(&server.endpoint));
    let via_proxy = runtime.block_on(store(&proxy.endpoint));
    runtime
        .block_on(admin.client().create_bucket().bucket(&bucket).send())
        .unwrap();
    let fx = Fixture {
        runtime,
        admin,
        via_proxy,
        proxy,
        bucket,
        endpoint: server.endpoint.clone(),
        images: make_images(),
    };

    scenarios::writes_readable_metadata_and_keeps_every_attribute(&fx);
    scenarios::a_rerun_copies_nothing(&fx);
    scenarios::a_dry_run_writes_nothing(&fx);
    scenarios::filters_and_the_single_object_form(&fx);
    scenarios::missing_and_corrupt_objects_fail_while_the_rest_complete(&fx);
    copies::every_copy_is_conditional_on_the_etag_that_was_read(&fx);
    copies::large_objects_are_copied_in_parts_keeping_everything(&fx);
    copies::sse_kms_settings_survive_the_copy(&fx);
    handler_cli::the_upload_handler_skips_objects_that_carry_metadata(&fx);
    handler_cli::inspect_reads_s3_objects_by_ranges(&fx);
    handler_cli::the_binary_exits_non_zero_and_lists_failures(&fx);
}

mod copies;
mod handler_cli;
mod scenarios;
