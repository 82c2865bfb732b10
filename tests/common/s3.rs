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
        // A free port is free only until someone else binds it: tests run in parallel, so
        // another one can take it between free_port() and the server's bind. A start that
        // fails is retried on a new port; the last failure carries the server's log.
        let mut failures = Vec::new();
        for _ in 0..3 {
            let state = tempfile::tempdir().unwrap();
            let dir = state.path().to_str().unwrap().to_owned();
            match try_script(&["start", &dir, &free_port().to_string()]) {
                Ok(out) => {
                    return Server {
                        endpoint: String::from_utf8(out).unwrap().trim().to_owned(),
                        state: Some(state),
                    }
                }
                Err(err) => {
                    let log = std::fs::read_to_string(state.path().join("server.log"));
                    failures.push(format!("{err}\n{}", log.unwrap_or_default()));
                }
            }
        }
        panic!("the S3 server did not start: {}", failures.join("\n---\n"));
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

    /// Puts `body` under `key` in the stage's bucket.
    pub fn put(&self, key: &str, body: Vec<u8>) {
        let put = self.admin.client().put_object().bucket(&self.bucket);
        let sent = put.key(key).body(body.into()).send();
        self.runtime.block_on(sent).unwrap();
    }

    /// A store reading through the proxy, as the service under test does.
    pub fn reader(&self, block_size: u64, cache_bytes: u64) -> S3Store {
        let store = test_store(&self.proxy.endpoint, block_size, cache_bytes);
        self.runtime.block_on(store)
    }
}

pub fn script(args: &[&str]) -> Vec<u8> {
    try_script(args).unwrap_or_else(|err| panic!("{err}"))
}

/// `scripts/s3-server ARGS...`: its stdout, or what it said on failure.
fn try_script(args: &[&str]) -> Result<Vec<u8>, String> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/s3-server");
    let out = Command::new(path)
        .args(args)
        .output()
        .expect("run scripts/s3-server");
    if out.status.success() {
        Ok(out.stdout)
    } else {
        let stderr = String::from_utf8_lossy(&out.stderr);
        Err(format!("s3-server {args:?} failed: {stderr}"))
    }
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}
