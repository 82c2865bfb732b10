//! The S3 source against a real S3-compatible server (moto, started by `scripts/s3-server`
//! on a free loopback port, or the one named by `TESSERA_TEST_S3_ENDPOINT`).
//!
//! Reads go through a small counting TCP proxy written here, so request counts are checked
//! twice: by our own counters and by what actually crossed the wire. Uploads go to the
//! server directly and are not counted. One test drives every scenario in turn, so the
//! server is started once and stopped by a guard even when a scenario fails.

// The helpers every integration test shares live beside the flat test files; a test
// crate in its own folder reaches them by path.
#[path = "../common/mod.rs"]
mod common;

use bytes::Bytes;
use common::s3::{CountingProxy, Server};
use tessera::source::*;
use tokio::runtime::Runtime;

const BLOCK: u64 = 64 * 1024;

/// Everything a scenario needs: a runtime, a direct store for uploads, a store reading
/// through the counting proxy, and a bucket of its own.
struct Fixture {
    runtime: Runtime,
    admin: Option<S3Store>,
    proxy: CountingProxy,
    bucket: String,
}

impl Fixture {
    /// The store talking to the server directly, for uploads (set once the runtime is up).
    fn admin(&self) -> &S3Store {
        self.admin.as_ref().unwrap()
    }

    /// A fresh store (and so a fresh block cache and counters) that reads via the proxy.
    fn reader(&self) -> S3Store {
        self.store(&self.proxy.endpoint)
    }

    /// A store with static test credentials, so the SDK looks up nothing else.
    fn store(&self, endpoint: &str) -> S3Store {
        let store = common::s3::test_store(endpoint, BLOCK, 64 << 20);
        self.runtime.block_on(store)
    }

    /// Uploads `body` under `key` with user metadata; returns the ETag S3 gave it.
    fn put(&self, key: &str, body: &Bytes, meta: &[(&str, &str)]) -> String {
        let mut put = self
            .admin()
            .client()
            .put_object()
            .bucket(&self.bucket)
            .key(key);
        for (k, v) in meta {
            put = put.metadata(*k, *v);
        }
        let out = self
            .runtime
            .block_on(put.body(body.clone().into()).send())
            .unwrap();
        out.e_tag().unwrap().to_owned()
    }

    fn head(&self, store: &S3Store, key: &str) -> Result<ObjectHead, SourceError> {
        self.runtime.block_on(store.head(&self.bucket, key))
    }
}

/// Deterministic noise (xorshift64), so a wrong offset cannot read matching bytes.
fn noise(len: usize, mut seed: u64) -> Bytes {
    let mut out = Vec::with_capacity(len);
    while out.len() < len {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        out.extend_from_slice(&seed.to_le_bytes());
    }
    out.truncate(len);
    out.into()
}

#[test]
fn s3_source_against_a_real_server() {
    let server = Server::start();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let proxy = CountingProxy::start(&server.endpoint);
    // Unique per run, so a reused server (TESSERA_TEST_S3_ENDPOINT) starts clean.
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap();
    let bucket = format!(
        "tessera-test-{}-{}",
        std::process::id(),
        nanos.subsec_nanos()
    );
    let admin = None;
    let mut fx = Fixture {
        runtime,
        admin,
        proxy,
        bucket,
    };
    fx.admin = Some(fx.store(&server.endpoint));
    fx.runtime
        .block_on(
            fx.admin()
                .client()
                .create_bucket()
                .bucket(&fx.bucket)
                .send(),
        )
        .unwrap();

    head_reports_size_etag_and_metadata(&fx);
    reads_return_the_uploaded_bytes_with_few_gets(&fx);
    concurrent_cold_reads_cause_one_get(&fx);
    missing_objects_and_buckets_are_not_found(&fx);
    a_replaced_object_fails_instead_of_mixing_versions(&fx);
    whole_object_reads_and_unreachable_servers(&fx);
}

mod scenarios;
use scenarios::*;
