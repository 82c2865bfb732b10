//! A real S3-compatible server for integration tests (moto, started by `scripts/s3-server`
//! on a free loopback port, or the one named by `TESSERA_TEST_S3_ENDPOINT`), and a small
//! counting TCP proxy in front of it (`proxy.rs`), so tests assert what actually crossed
//! the wire.
#![allow(dead_code)]

pub use super::proxy::CountingProxy;
use std::net::TcpListener;
use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use tessera::config::S3Config;
use tessera::source::{BlockCache, S3Credentials, S3Store};

/// A store for a loopback S3-compatible server: path-style, static test credentials (so
/// the SDK looks up nothing else), a block cache of `block_size` and `cache_bytes`.
pub async fn test_store(endpoint: &str, block_size: u64, cache_bytes: u64) -> S3Store {
    let credentials = S3Credentials::Static {
        access_key_id: "tessera-test".into(),
        secret_access_key: "tessera-test".into(),
    };
    S3Config::at_endpoint(endpoint)
        .store_with(
            credentials,
            Arc::new(BlockCache::new(block_size, cache_bytes)),
        )
        .await
}

/// The server process, stopped on drop when this test started it.
pub struct Server {
    pub endpoint: String,
    state: Option<tempfile::TempDir>,
}

impl Server {
    pub fn start() -> Server {
        if let Ok(endpoint) = std::env::var("TESSERA_TEST_S3_ENDPOINT") {
            return Server {
                endpoint,
                state: None,
            };
        }
        let state = tempfile::tempdir().unwrap();
        let port = free_port().to_string();
        let out = script(&["start", state.path().to_str().unwrap(), &port]);
        let endpoint = String::from_utf8(out).unwrap().trim().to_owned();
        Server {
            endpoint,
            state: Some(state),
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(state) = &self.state {
            script(&["stop", state.path().to_str().unwrap()]);
        }
    }
}

/// A server, a counting proxy in front of it, a multi-threaded runtime, and a bucket of
/// its own, created through `admin` (a store that talks to the server directly).
pub struct Stage {
    pub proxy: CountingProxy,
    pub runtime: tokio::runtime::Runtime,
    pub admin: S3Store,
    pub bucket: String,
    pub server: Server,
}

impl Stage {
    pub fn start(prefix: &str) -> Stage {
        let server = Server::start();
        let proxy = CountingProxy::start(&server.endpoint);
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .unwrap();
        let bucket = format!("{prefix}-{}", std::process::id());
        let admin = runtime.block_on(test_store(&server.endpoint, 65536, 1 << 20));
        let create = admin.client().create_bucket().bucket(&bucket);
        runtime.block_on(create.send()).unwrap();
        Stage {
            proxy,
            runtime,
            admin,
            bucket,
            server,
        }
    }

    /// A store reading through the proxy, as the service under test does.
    pub fn reader(&self, block_size: u64, cache_bytes: u64) -> S3Store {
        let store = test_store(&self.proxy.endpoint, block_size, cache_bytes);
        self.runtime.block_on(store)
    }
}

pub fn script(args: &[&str]) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/s3-server");
    let out = Command::new(path)
        .args(args)
        .output()
        .expect("run scripts/s3-server");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "s3-server {args:?} failed: {stderr}");
    out.stdout
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}
