//! The standalone server over a real socket: HTTP/1.1 and h2c on one port, many
//! concurrent tile requests, and a graceful shutdown that ends the serve loop; and raw
//! sockets as a slowloris would hold them: half a head, nothing at all, half an HTTP/2
//! preface, an idle kept-alive connection, more connections than the cap. Each is cut off
//! (or waits) while a good request is still served.

mod common;
use common::*;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serves_http1_and_h2c_then_shuts_down_gracefully() {
    let dir = fixture_dir();
    let app = app(dir.path());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(tessera::doors::server::serve(listener, app, async {
        let _ = stopped.await;
    }));

    let base = format!("http://{addr}");
    let http1 = reqwest::Client::builder().http1_only().build().unwrap();
    let resp = http1
        .get(format!("{base}/iiif/3/quad.tif/info.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.version(), reqwest::Version::HTTP_11);
    assert_eq!(resp.status(), 200);

    let h2c = reqwest::Client::builder()
        .http2_prior_knowledge()
        .build()
        .unwrap();
    let resp = h2c
        .get(format!(
            "{base}/iiif/3/quad.tif/0,0,256,256/max/0/default.jpg"
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.version(), reqwest::Version::HTTP_2);
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["content-type"], "image/jpeg");

    // A viewer's burst: every 256 px tile at full resolution, at once, over one h2 connection.
    let mut tiles = Vec::new();
    for x in (0..1000).step_by(256) {
        for y in (0..800).step_by(256) {
            let url = format!("{base}/iiif/3/quad.tif/{x},{y},256,256/max/0/default.jpg");
            let client = h2c.clone();
            tiles.push(tokio::spawn(async move {
                client.get(url).send().await.map(|r| r.status().as_u16())
            }));
        }
    }
    for tile in tiles {
        assert_eq!(tile.await.unwrap().unwrap(), 200);
    }

    stop.send(()).unwrap();
    tokio::time::timeout(Duration::from_secs(25), server)
        .await
        .expect("serve returns after shutdown")
        .unwrap();
    assert!(
        http1.get(format!("{base}/health")).send().await.is_err(),
        "no longer listening"
    );
}

/// A server on a free loopback port over an empty root, with settings tweaked; stops when
/// the returned sender is dropped or sent to.
async fn start(
    tweak: impl FnOnce(&mut tessera::config::Config),
) -> (std::net::SocketAddr, tokio::sync::oneshot::Sender<()>) {
    let dir = tempfile::tempdir().unwrap();
    let app = app_with(dir.path(), tweak);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(async move {
        let _dir = dir;
        tessera::doors::server::serve(listener, app, async {
            let _ = stopped.await;
        })
        .await;
    });
    (addr, stop)
}

/// Connects and sends `bytes` (possibly nothing, possibly half a request).
async fn client(addr: std::net::SocketAddr, bytes: &[u8]) -> TcpStream {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream.write_all(bytes).await.unwrap();
    stream
}

/// Everything the server sends until it closes the connection, or `None` if it is still
/// open after `wait`.
async fn until_closed(stream: &mut TcpStream, wait: Duration) -> Option<Vec<u8>> {
    let mut got = Vec::new();
    let mut chunk = [0u8; 4096];
    let read_all = async {
        loop {
            match stream.read(&mut chunk).await {
                Ok(0) | Err(_) => break,
                Ok(n) => got.extend_from_slice(&chunk[..n]),
            }
        }
    };
    tokio::time::timeout(wait, read_all).await.ok()?;
    Some(got)
}

/// Reads one response of a kept-alive connection: up to the end of the `ok\n` body.
async fn health_response(stream: &mut TcpStream) -> String {
    let mut got = Vec::new();
    let mut chunk = [0u8; 4096];
    while !got.ends_with(b"\r\n\r\nok\n") {
        let n = tokio::time::timeout(Duration::from_secs(10), stream.read(&mut chunk))
            .await
            .expect("a response")
            .unwrap();
        assert!(n > 0, "closed early: {}", String::from_utf8_lossy(&got));
        got.extend_from_slice(&chunk[..n]);
    }
    String::from_utf8_lossy(&got).into_owned()
}

const HALF_HEAD: &[u8] = b"GET /health HTTP/1.1\r\nHost: tessera.test\r\n";
const GOOD: &[u8] = b"GET /health HTTP/1.1\r\nHost: tessera.test\r\nConnection: close\r\n\r\n";
const KEEP_ALIVE: &[u8] = b"GET /health HTTP/1.1\r\nHost: tessera.test\r\n\r\n";
/// Longer than any timeout set below: a connection still open by then is a hang.
const HANG: Duration = Duration::from_secs(10);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_and_silent_clients_are_cut_off_after_the_header_timeout() {
    let (addr, _stop) = start(|c| c.header_read_timeout_ms = 500).await;
    let mut slow = [
        client(addr, HALF_HEAD).await,
        client(addr, b"").await,
        // Half the HTTP/2 preface: hyper's own timeout has not started yet.
        client(addr, b"PRI * HTTP/2.0\r\n").await,
    ];
    for (i, stream) in slow.iter_mut().enumerate() {
        let sent = until_closed(stream, HANG).await;
        let sent = sent.unwrap_or_else(|| panic!("slow client {i} still connected"));
        assert!(!String::from_utf8_lossy(&sent).contains(" 200 "), "{i}");
    }
    // A kept-alive connection waiting for its next request is cut off the same way.
    let mut kept = client(addr, KEEP_ALIVE).await;
    assert!(health_response(&mut kept).await.starts_with("HTTP/1.1 200"));
    assert!(until_closed(&mut kept, HANG).await.is_some(), "kept alive");
    // And the server still serves.
    let mut good = client(addr, GOOD).await;
    let answer = until_closed(&mut good, HANG).await.unwrap();
    assert!(String::from_utf8_lossy(&answer).starts_with("HTTP/1.1 200"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idle_connection_is_closed_after_the_idle_timeout() {
    let (addr, _stop) = start(|c| {
        c.header_read_timeout_ms = 60_000;
        c.idle_timeout_ms = 500;
    })
    .await;
    let mut kept = client(addr, KEEP_ALIVE).await;
    assert!(health_response(&mut kept).await.starts_with("HTTP/1.1 200"));
    assert!(until_closed(&mut kept, HANG).await.is_some(), "still open");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_beyond_the_cap_wait_until_a_slow_one_goes_away() {
    let (addr, _stop) = start(|c| {
        c.max_connections = 2;
        c.header_read_timeout_ms = 60_000;
    })
    .await;
    let first = client(addr, HALF_HEAD).await;
    let _second = client(addr, HALF_HEAD).await;
    let mut good = client(addr, GOOD).await;
    let early = until_closed(&mut good, Duration::from_millis(500)).await;
    assert_eq!(early, None, "answered beyond the cap");
    drop(first);
    let answer = until_closed(&mut good, HANG).await.expect("served");
    assert!(String::from_utf8_lossy(&answer).starts_with("HTTP/1.1 200"));
}
