//! A local AWS Lambda Runtime API emulator with a Function URL in front, for end-to-end
//! tests of the real `bootstrap` process.
//!
//! It speaks the documented Runtime API (`GET /2018-06-01/runtime/invocation/next`, `POST
//! .../invocation/{id}/response` and `.../error`, `POST .../init/error`) on one loopback
//! port, and plays the Function URL on another: a plain HTTP request becomes a payload 2.0
//! event, waits for the function's answer, and the answer is written back as HTTP. A
//! streamed answer (`Lambda-Runtime-Function-Response-Mode: streaming`, chunked) is split
//! at the JSON prelude's eight NUL bytes as the Lambda service does. Each invocation is
//! recorded so tests can check how the function answered, not only what.
//!
//! Only what a test needs: one invocation at a time, no timeouts enforced by the emulator
//! (the deadline header is sent, and the function must keep it itself).

use bytes::Bytes;
use http::{HeaderMap, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use serde_json::{json, Value};
use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};
use tokio::net::TcpListener;
use tokio::sync::{mpsc, oneshot};

/// How the function answered one invocation.
#[derive(Clone, Debug)]
pub struct Invocation {
    pub request_id: String,
    /// `Lambda-Runtime-Function-Response-Mode` of the function's response POST.
    pub response_mode: Option<String>,
    /// `Transfer-Encoding` of the function's response POST.
    pub transfer_encoding: Option<String>,
    /// Bytes of the response POST's body (prelude included).
    pub posted_bytes: usize,
}

/// An event waiting for the function, with where its answer goes.
struct Pending {
    id: String,
    event: Value,
    reply: Reply,
}

/// Where the answer to one invocation goes.
type Reply = oneshot::Sender<Response<Full<Bytes>>>;

#[derive(Default)]
struct State {
    /// Invocations handed to the function and not yet answered, by request id.
    waiting: Mutex<Vec<(String, Reply)>>,
    invocations: Mutex<Vec<Invocation>>,
    init_error: Mutex<Option<String>>,
    /// Set once the function has asked for its first invocation (it is initialised).
    polled: std::sync::atomic::AtomicBool,
    /// When it first asked: the end of its init, for the cold-start measurement.
    first_poll: Mutex<Option<std::time::Instant>>,
}

pub struct Emulator {
    /// `host:port` for `AWS_LAMBDA_RUNTIME_API`.
    pub runtime_api: String,
    /// Base URL of the emulated Function URL.
    pub function_url: String,
    state: Arc<State>,
}

impl Emulator {
    /// Starts both listeners on free loopback ports, serving until the test ends.
    pub async fn start() -> Emulator {
        let state = Arc::new(State::default());
        let (queue_tx, queue_rx) = mpsc::unbounded_channel::<Pending>();
        let queue_rx = Arc::new(tokio::sync::Mutex::new(queue_rx));

        let runtime = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let runtime_addr = runtime.local_addr().unwrap();
        let st = Arc::clone(&state);
        serve(runtime, move |req| {
            runtime_api(req, Arc::clone(&st), Arc::clone(&queue_rx))
        });

        let url = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url_addr = url.local_addr().unwrap();
        let counter = Arc::new(Mutex::new(0u64));
        serve(url, move |req| {
            function_url(req, url_addr, queue_tx.clone(), Arc::clone(&counter))
        });

        Emulator {
            runtime_api: runtime_addr.to_string(),
            function_url: format!("http://{url_addr}"),
            state,
        }
    }

    pub fn invocations(&self) -> Vec<Invocation> {
        self.state.invocations.lock().unwrap().clone()
    }

    pub fn polled(&self) -> bool {
        self.state.polled.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// When the function first asked for an invocation.
    pub fn first_poll(&self) -> Option<std::time::Instant> {
        *self.state.first_poll.lock().unwrap()
    }

    pub fn init_error(&self) -> Option<String> {
        self.state.init_error.lock().unwrap().clone()
    }
}

/// Accepts HTTP/1.1 connections forever, each request answered by `handler`.
fn serve<F, Fut>(listener: TcpListener, handler: F)
where
    F: Fn(Request<Incoming>) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = Response<Full<Bytes>>> + Send + 'static,
{
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            // Small answers at once, as the Lambda service sends them: without it, Nagle's
            // algorithm meets the peer's delayed ACK and adds 40 ms to an exchange.
            let _ = stream.set_nodelay(true);
            let handler = handler.clone();
            tokio::spawn(async move {
                let service = hyper::service::service_fn(move |req| {
                    let fut = handler(req);
                    async move { Ok::<_, Infallible>(fut.await) }
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
}

fn simple(status: StatusCode, body: &'static str) -> Response<Full<Bytes>> {
    let mut resp = Response::new(Full::new(Bytes::from_static(body.as_bytes())));
    *resp.status_mut() = status;
    resp
}

async fn runtime_api(
    req: Request<Incoming>,
    state: Arc<State>,
    queue: Arc<tokio::sync::Mutex<mpsc::UnboundedReceiver<Pending>>>,
) -> Response<Full<Bytes>> {
    let path = req.uri().path().to_string();
    let Some(rest) = path.strip_prefix("/2018-06-01/runtime/") else {
        return simple(StatusCode::NOT_FOUND, "unknown path");
    };
    if rest == "invocation/next" {
        state
            .first_poll
            .lock()
            .unwrap()
            .get_or_insert_with(std::time::Instant::now);
        state
            .polled
            .store(true, std::sync::atomic::Ordering::SeqCst);
        let Some(pending) = queue.lock().await.recv().await else {
            return simple(StatusCode::INTERNAL_SERVER_ERROR, "emulator stopped");
        };
        let deadline = SystemTime::now() + Duration::from_secs(30);
        let deadline_ms = deadline
            .duration_since(SystemTime::UNIX_EPOCH)
            .unwrap()
            .as_millis();
        state
            .waiting
            .lock()
            .unwrap()
            .push((pending.id.clone(), pending.reply));
        return Response::builder()
            .header("content-type", "application/json")
            .header("lambda-runtime-aws-request-id", &pending.id)
            .header("lambda-runtime-deadline-ms", deadline_ms.to_string())
            .header(
                "lambda-runtime-invoked-function-arn",
                "arn:aws:lambda:us-east-1:000000000000:function:tessera",
            )
            .header(
                "lambda-runtime-trace-id",
                "Root=1-00000000-000000000000000000000000",
            )
            .body(Full::new(Bytes::from(pending.event.to_string())))
            .unwrap();
    }
    if rest == "init/error" {
        let body = req.into_body().collect().await.unwrap().to_bytes();
        *state.init_error.lock().unwrap() = Some(String::from_utf8_lossy(&body).into_owned());
        return simple(StatusCode::ACCEPTED, "");
    }
    let Some((id, what)) = rest
        .strip_prefix("invocation/")
        .and_then(|r| r.split_once('/'))
    else {
        return simple(StatusCode::NOT_FOUND, "unknown path");
    };
    let (id, what) = (id.to_string(), what.to_string());
    let header = |name: &str| {
        req.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let response_mode = header("lambda-runtime-function-response-mode");
    let transfer_encoding = header("transfer-encoding");
    let body = req.into_body().collect().await.unwrap().to_bytes();
    let reply = {
        let mut waiting = state.waiting.lock().unwrap();
        let at = waiting.iter().position(|(w, _)| *w == id);
        at.map(|i| waiting.remove(i).1)
    };
    let Some(reply) = reply else {
        return simple(StatusCode::BAD_REQUEST, "unknown request id");
    };
    state.invocations.lock().unwrap().push(Invocation {
        request_id: id,
        response_mode: response_mode.clone(),
        transfer_encoding,
        posted_bytes: body.len(),
    });
    let answer = match what.as_str() {
        "response" if response_mode.as_deref() == Some("streaming") => streamed_answer(&body),
        // A buffered answer stops at 6 MB in the real service; the function must stream.
        "response" => simple(
            StatusCode::BAD_GATEWAY,
            "function answered without streaming",
        ),
        _ => simple(StatusCode::BAD_GATEWAY, "function error"),
    };
    let _ = reply.send(answer);
    simple(StatusCode::ACCEPTED, "")
}

/// A streamed HTTP answer: JSON prelude, eight NUL bytes, then the body as is.
fn streamed_answer(posted: &Bytes) -> Response<Full<Bytes>> {
    let Some(split) = posted.windows(8).position(|w| w == [0u8; 8]) else {
        return simple(
            StatusCode::BAD_GATEWAY,
            "streamed response without a prelude",
        );
    };
    let prelude: Value = serde_json::from_slice(&posted[..split]).unwrap_or(Value::Null);
    http_answer(&prelude, posted.slice(split + 8..))
}

fn http_answer(meta: &Value, body: Bytes) -> Response<Full<Bytes>> {
    let status = meta["statusCode"].as_u64().unwrap_or(502) as u16;
    let mut builder = Response::builder().status(status);
    if let Some(headers) = meta["headers"].as_object() {
        for (name, value) in headers {
            let values = match value {
                Value::Array(items) => items.clone(),
                other => vec![other.clone()],
            };
            for v in values {
                if let Some(v) = v.as_str() {
                    builder = builder.header(name.as_str(), v);
                }
            }
        }
    }
    builder.body(Full::new(body)).unwrap()
}

/// The Function URL: an HTTP request becomes a payload 2.0 event for the function.
async fn function_url(
    req: Request<Incoming>,
    addr: SocketAddr,
    queue: mpsc::UnboundedSender<Pending>,
    counter: Arc<Mutex<u64>>,
) -> Response<Full<Bytes>> {
    let id = {
        let mut n = counter.lock().unwrap();
        *n += 1;
        format!("00000000-0000-4000-8000-{:012}", *n)
    };
    let event = function_url_event(req.method().as_str(), req.uri(), req.headers(), addr);
    let (reply, answer) = oneshot::channel();
    if queue.send(Pending { id, event, reply }).is_err() {
        return simple(StatusCode::BAD_GATEWAY, "emulator stopped");
    }
    answer
        .await
        .unwrap_or_else(|_| simple(StatusCode::BAD_GATEWAY, "no answer"))
}

fn function_url_event(
    method: &str,
    uri: &http::Uri,
    headers: &HeaderMap,
    addr: SocketAddr,
) -> Value {
    let mut map = serde_json::Map::new();
    for (name, value) in headers {
        if let Ok(v) = value.to_str() {
            map.insert(name.as_str().to_string(), json!(v));
        }
    }
    // The Function URL service adds these for every request (it terminates TLS).
    map.insert("x-forwarded-proto".into(), json!("https"));
    map.insert("x-forwarded-port".into(), json!("443"));
    let host = headers
        .get("host")
        .and_then(|h| h.to_str().ok())
        .map_or_else(|| addr.to_string(), str::to_string);
    json!({
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": uri.path(),
        "rawQueryString": uri.query().unwrap_or(""),
        "headers": map,
        "requestContext": {
            "accountId": "anonymous",
            "apiId": "emulator",
            "domainName": host,
            "domainPrefix": "emulator",
            "http": {
                "method": method,
                "path": uri.path(),
                "protocol": "HTTP/1.1",
                "sourceIp": "127.0.0.1",
                "userAgent": headers.get("user-agent").and_then(|v| v.to_str().ok()).unwrap_or(""),
            },
            "requestId": "emulator",
            "routeKey": "$default",
            "stage": "$default",
            "time": "22/Nov/2026:04:00:00 +0000",
            "timeEpoch": 0,
        },
        "isBase64Encoded": false,
    })
}

/// A function process started against an emulator; killed when dropped.
pub struct Function {
    child: std::process::Child,
    pub log: std::path::PathBuf,
    /// Where its stdout goes: the EMF metric lines.
    pub stdout: std::path::PathBuf,
    /// Just before the process was spawned: the start of its init.
    pub spawned: std::time::Instant,
}

impl Function {
    /// Starts `command` (the bootstrap, possibly wrapped in a chroot) with the Lambda
    /// environment the platform sets, its stderr going to `log` and its stdout beside it
    /// (`.stdout`).
    pub fn start(
        mut command: std::process::Command,
        emulator: &Emulator,
        log: std::path::PathBuf,
    ) -> Function {
        let stderr = std::fs::File::create(&log).unwrap();
        let stdout_path = log.with_extension("stdout");
        let stdout = std::fs::File::create(&stdout_path).unwrap();
        command
            .env("AWS_LAMBDA_RUNTIME_API", &emulator.runtime_api)
            .env("AWS_LAMBDA_FUNCTION_NAME", "tessera")
            .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
            .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "1024")
            .env("AWS_LAMBDA_LOG_GROUP_NAME", "/aws/lambda/tessera")
            .env("AWS_LAMBDA_LOG_STREAM_NAME", "emulator")
            .stdout(stdout)
            .stderr(stderr);
        let spawned = std::time::Instant::now();
        let child = command.spawn().expect("the function starts");
        let mut function = Function {
            child,
            log,
            stdout: stdout_path,
            spawned,
        };
        function.wait_ready(emulator);
        function
    }

    /// Waits for the first poll of the Runtime API; a process that exits first (a missing
    /// library, a bad configuration) fails the test at once with its log.
    fn wait_ready(&mut self, emulator: &Emulator) {
        for _ in 0..12_000 {
            if emulator.polled() {
                return;
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!(
                    "the function exited ({status}) before polling:\n{}",
                    self.log_text()
                );
            }
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        panic!(
            "the function did not poll within 60 s:\n{}",
            self.log_text()
        );
    }

    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    pub fn stdout_text(&self) -> String {
        std::fs::read_to_string(&self.stdout).unwrap_or_default()
    }
}

impl Drop for Function {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
