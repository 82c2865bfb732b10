//! A real S3-compatible server for integration tests (moto, started by `scripts/s3-server`
//! on a free loopback port, or the one named by `TESSERA_TEST_S3_ENDPOINT`), and a small
//! counting TCP proxy in front of it, so tests assert what actually crossed the wire.
#![allow(dead_code)]

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::Command;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
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

/// A loopback TCP proxy that logs every request head ("GET /bucket/key bytes=0-99") it
/// forwards. A request is logged before it is forwarded, so it is in the log by the time
/// its response reaches the client. [`CountingProxy::set_delay`] holds each request back
/// (a slow store).
pub struct CountingProxy {
    pub endpoint: String,
    log: Arc<Mutex<Vec<Logged>>>,
    delay_ms: Arc<AtomicU64>,
}

/// One forwarded request: its log line and its headers (names lowercased).
struct Logged {
    line: String,
    headers: HashMap<String, String>,
}

impl CountingProxy {
    pub fn start(upstream: &str) -> CountingProxy {
        let upstream = upstream.trim_start_matches("http://").to_owned();
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let endpoint = format!("http://{}", listener.local_addr().unwrap());
        let log = Arc::new(Mutex::new(Vec::new()));
        let log_for_thread = Arc::clone(&log);
        let delay_ms = Arc::new(AtomicU64::new(0));
        let delay_for_thread = Arc::clone(&delay_ms);
        std::thread::spawn(move || {
            for client in listener.incoming().flatten() {
                let server = TcpStream::connect(&upstream).unwrap();
                let mut back = (server.try_clone().unwrap(), client.try_clone().unwrap());
                std::thread::spawn(move || std::io::copy(&mut back.0, &mut back.1));
                let log = Arc::clone(&log_for_thread);
                let delay = Arc::clone(&delay_for_thread);
                std::thread::spawn(move || forward_requests(client, server, &log, &delay));
            }
        });
        CountingProxy {
            endpoint,
            log,
            delay_ms,
        }
    }

    /// Holds every request from now on for `delay` before forwarding it.
    pub fn set_delay(&self, delay: Duration) {
        self.delay_ms
            .store(delay.as_millis() as u64, Ordering::Relaxed);
    }

    /// Requests with `method` whose path (without query) ends with `key`; the SDK adds
    /// queries such as `?x-id=GetObject`.
    pub fn requests(&self, method: &str, key: &str) -> Vec<String> {
        self.matching(method, key, |l| l.line.clone())
    }

    /// The value of header `name` (lowercase) on each request `requests` would list.
    pub fn header_values(&self, method: &str, key: &str, name: &str) -> Vec<Option<String>> {
        self.matching(method, key, |l| l.headers.get(name).cloned())
    }

    fn matching<T>(&self, method: &str, key: &str, pick: impl Fn(&Logged) -> T) -> Vec<T> {
        let log = self.log.lock().unwrap();
        let wanted = |logged: &&Logged| {
            let mut words = logged.line.split(' ');
            words.next() == Some(method)
                && words
                    .next()
                    .is_some_and(|p| p.split('?').next().unwrap().ends_with(key))
        };
        log.iter().filter(wanted).map(pick).collect()
    }
}

/// Copies requests from client to server, logging each head and passing bodies through.
fn forward_requests(
    mut client: TcpStream,
    mut server: TcpStream,
    log: &Mutex<Vec<Logged>>,
    delay_ms: &AtomicU64,
) {
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
            let line = format!("{} {} {range}", request_line[0], request_line[1]);
            let body: usize = headers
                .get("content-length")
                .map_or(0, |v| v.parse().unwrap());
            log.lock().unwrap().push(Logged { line, headers });
            while buf.len() < end + 4 + body {
                let n = client.read(&mut chunk).unwrap_or(0);
                if n == 0 {
                    return;
                }
                buf.extend_from_slice(&chunk[..n]);
            }
            let request: Vec<u8> = buf.drain(..end + 4 + body).collect();
            std::thread::sleep(Duration::from_millis(delay_ms.load(Ordering::Relaxed)));
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
