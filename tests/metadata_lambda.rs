//! The `metadata-bootstrap` binary end to end: a stand-in for the Lambda Runtime API hands
//! it S3 upload events, and it writes metadata to a real S3-compatible server (moto).
//!
//! The Runtime API is plain HTTP (`GET .../invocation/next` hands out an event, `POST
//! .../invocation/{id}/response` or `.../error` takes the result), so a few lines here stand
//! in for it. When the events run out the next poll is left unanswered and the binary, a
//! process this test started, is killed by its handle.

mod common;

use common::s3::Server;
use std::collections::VecDeque;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use tessera::source::metadata_dimensions;

/// Serves `events` to the runtime and reports each posted result as (path, body).
fn fake_runtime_api(events: Vec<String>) -> (String, mpsc::Receiver<(String, String)>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap().to_string();
    let (results, received) = mpsc::channel();
    let events = Arc::new(Mutex::new(events.into_iter().collect::<VecDeque<_>>()));
    // Request ids count across connections: the runtime client may poll for the next
    // event on a new connection, and a per-connection count would hand out `req-1` twice.
    let handed_out = Arc::new(AtomicUsize::new(0));
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let (events, results) = (Arc::clone(&events), results.clone());
            let handed_out = Arc::clone(&handed_out);
            std::thread::spawn(move || serve(stream, &events, &handed_out, &results));
        }
    });
    (address, received)
}

fn serve(
    mut stream: TcpStream,
    events: &Mutex<VecDeque<String>>,
    handed_out: &AtomicUsize,
    results: &mpsc::Sender<(String, String)>,
) {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    loop {
        while let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
            let length: usize = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .map_or(0, |v| v.trim().parse().unwrap());
            if buf.len() < end + 4 + length {
                break;
            }
            let request: Vec<u8> = buf.drain(..end + 4 + length).collect();
            let path = head.split(' ').nth(1).unwrap_or("").to_owned();
            if path.ends_with("/invocation/next") {
                let Some(event) = events.lock().unwrap().pop_front() else {
                    return; // no more events: leave the poll hanging
                };
                let id = handed_out.fetch_add(1, Ordering::SeqCst) + 1;
                let reply = format!(
                    "HTTP/1.1 200 OK\r\nlambda-runtime-aws-request-id: req-{id}\r\n\
                     lambda-runtime-deadline-ms: 99999999999999\r\n\
                     lambda-runtime-invoked-function-arn: arn:aws:lambda:us-east-1:1:function:m\r\n\
                     content-type: application/json\r\ncontent-length: {}\r\n\r\n{event}",
                    event.len()
                );
                stream.write_all(reply.as_bytes()).unwrap();
            } else {
                let body = String::from_utf8_lossy(&request[end + 4..]).into_owned();
                results.send((path, body)).unwrap();
                let ok = "HTTP/1.1 202 Accepted\r\ncontent-length: 0\r\n\r\n";
                stream.write_all(ok.as_bytes()).unwrap();
            }
        }
        match stream.read(&mut chunk) {
            Ok(0) | Err(_) => return,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    }
}

fn event(bucket: &str, key: &str) -> String {
    format!(
        r#"{{"Records":[{{"eventName":"ObjectCreated:Put","s3":{{"bucket":{{"name":"{bucket}"}},"object":{{"key":"{key}"}}}}}}]}}"#
    )
}

#[test]
fn the_lambda_binary_writes_metadata_for_uploads() {
    let server = Server::start();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let bucket = format!("tessera-lambda-{}", std::process::id());
    let admin = runtime.block_on(create_metadata_store(&server.endpoint));
    let client = admin.client();
    runtime
        .block_on(client.create_bucket().bucket(&bucket).send())
        .unwrap();
    let mut jpeg = std::io::Cursor::new(Vec::new());
    image::DynamicImage::ImageRgb8(common::quadrants(320, 240))
        .write_to(&mut jpeg, image::ImageFormat::Jpeg)
        .unwrap();
    for (key, body) in [
        ("new.jpg", jpeg.into_inner()),
        ("bad.tif", b"II*\0xx".to_vec()),
    ] {
        let put = client
            .put_object()
            .bucket(&bucket)
            .key(key)
            .body(body.into());
        runtime.block_on(put.send()).unwrap();
    }

    let (api, results) =
        fake_runtime_api(vec![event(&bucket, "new.jpg"), event(&bucket, "bad.tif")]);
    let mut child = Command::new(env!("CARGO_BIN_EXE_metadata-bootstrap"))
        .env("AWS_LAMBDA_RUNTIME_API", &api)
        .env("AWS_LAMBDA_FUNCTION_NAME", "metadata")
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "512")
        .env("AWS_LAMBDA_FUNCTION_VERSION", "1")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_ACCESS_KEY_ID", "tessera-test")
        .env("AWS_SECRET_ACCESS_KEY", "tessera-test")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_CONFIG_FILE", "/nonexistent")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
        .env("TESSERA_S3_ENDPOINT", &server.endpoint)
        .env("TESSERA_S3_PATH_STYLE", "true")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let wait = std::time::Duration::from_secs(60);
    let first = results.recv_timeout(wait);
    let second = results.recv_timeout(wait);
    child.kill().unwrap();
    child.wait().unwrap();

    let (path, body) = first.expect("a result for the first event");
    assert_eq!(
        path, "/2018-06-01/runtime/invocation/req-1/response",
        "{body}"
    );
    assert_eq!(body, r#"{"objects":1}"#);
    let (path, body) = second.expect("a result for the second event");
    assert_eq!(path, "/2018-06-01/runtime/invocation/req-2/error", "{body}");
    assert!(body.contains("1 of 1 objects failed"), "{body}");
    let head = runtime.block_on(admin.head(&bucket, "new.jpg")).unwrap();
    let facts = metadata_dimensions(&head.metadata).expect("metadata written");
    assert_eq!(
        (facts.width, facts.height, facts.pages),
        (320, 240, Some(1))
    );
}

async fn create_metadata_store(endpoint: &str) -> tessera::source::S3Store {
    common::s3::test_store(endpoint, 65_536, 1 << 20).await
}
