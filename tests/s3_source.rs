//! The S3 source against a real S3-compatible server (moto, started by `scripts/s3-server`
//! on a free loopback port, or the one named by `TESSERA_TEST_S3_ENDPOINT`).
//!
//! Reads go through a small counting TCP proxy written here, so request counts are checked
//! twice: by our own counters and by what actually crossed the wire. Uploads go to the
//! server directly and are not counted. One test drives every scenario in turn, so the
//! server is started once and stopped by a guard even when a scenario fails.

use bytes::Bytes;
use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::Command;
use std::sync::{Arc, Mutex};
use tessera::source::*;
use tokio::runtime::Runtime;

const BLOCK: u64 = 64 * 1024;

/// The server process, stopped on drop when this test started it.
struct Server {
    endpoint: String,
    state: Option<tempfile::TempDir>,
}

impl Server {
    fn start() -> Server {
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

fn script(args: &[&str]) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/s3-server");
    let out = Command::new(path)
        .args(args)
        .output()
        .expect("run scripts/s3-server");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "s3-server {args:?} failed: {stderr}");
    out.stdout
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A loopback TCP proxy that logs every request head ("GET /bucket/key bytes=0-99") it
/// forwards. A request is logged before it is forwarded, so it is in the log by the time
/// its response reaches the client.
struct CountingProxy {
    endpoint: String,
    log: Arc<Mutex<Vec<String>>>,
}

impl CountingProxy {
    fn start(upstream: &str) -> CountingProxy {
        let upstream = upstream.trim_start_matches("http://").to_owned();
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let endpoint = format!("http://{}", listener.local_addr().unwrap());
        let log = Arc::new(Mutex::new(Vec::new()));
        let log_for_thread = Arc::clone(&log);
        std::thread::spawn(move || {
            for client in listener.incoming().flatten() {
                let server = TcpStream::connect(&upstream).unwrap();
                let mut back = (server.try_clone().unwrap(), client.try_clone().unwrap());
                std::thread::spawn(move || std::io::copy(&mut back.0, &mut back.1));
                let log = Arc::clone(&log_for_thread);
                std::thread::spawn(move || forward_requests(client, server, &log));
            }
        });
        CountingProxy { endpoint, log }
    }

    /// Requests with `method` whose path (without query) ends with `key`; the SDK adds
    /// queries such as `?x-id=GetObject`.
    fn requests(&self, method: &str, key: &str) -> Vec<String> {
        let log = self.log.lock().unwrap();
        let wanted = |line: &&String| {
            let mut words = line.split(' ');
            words.next() == Some(method)
                && words
                    .next()
                    .is_some_and(|p| p.split('?').next().unwrap().ends_with(key))
        };
        log.iter().filter(wanted).cloned().collect()
    }
}

/// Copies requests from client to server, logging each head and passing bodies through.
fn forward_requests(mut client: TcpStream, mut server: TcpStream, log: &Mutex<Vec<String>>) {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 16 * 1024];
    loop {
        while let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..end]).into_owned();
            let headers: HashMap<String, String> = head
                .lines()
                .skip(1)
                .filter_map(|l| l.split_once(':'))
                .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
                .collect();
            let request_line: Vec<&str> = head.lines().next().unwrap_or("").split(' ').collect();
            let range = headers.get("range").map_or("", String::as_str);
            log.lock()
                .unwrap()
                .push(format!("{} {} {range}", request_line[0], request_line[1]));
            let body: usize = headers
                .get("content-length")
                .map_or(0, |v| v.parse().unwrap());
            while buf.len() < end + 4 + body {
                let n = client.read(&mut chunk).unwrap_or(0);
                if n == 0 {
                    return;
                }
                buf.extend_from_slice(&chunk[..n]);
            }
            let request: Vec<u8> = buf.drain(..end + 4 + body).collect();
            if server.write_all(&request).is_err() {
                return;
            }
        }
        match client.read(&mut chunk) {
            Ok(0) | Err(_) => return,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    }
}

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
        let mut settings = S3Settings::new("us-east-1");
        settings.endpoint_url = Some(endpoint.to_owned());
        settings.force_path_style = true;
        settings.credentials = S3Credentials::Static {
            access_key_id: "tessera-test".into(),
            secret_access_key: "tessera-test".into(),
        };
        let cache = Arc::new(BlockCache::new(BLOCK, 64 << 20));
        self.runtime.block_on(S3Store::new(&settings, cache))
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

#[path = "s3_source/scenarios.rs"]
mod scenarios;
use scenarios::*;
