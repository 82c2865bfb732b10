//! A small counting TCP proxy in front of the test S3 server, so tests assert what
//! actually crossed the wire. It also injects faults on the requests a test names:
//! delays, error statuses, reset connections and bodies cut short.
#![allow(dead_code)]

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// A loopback TCP proxy that logs every request head ("GET /bucket/key bytes=0-99") it
/// forwards. A request is logged before it is forwarded, so it is in the log by the time
/// its response reaches the client.
pub struct CountingProxy {
    pub endpoint: String,
    log: Arc<Mutex<Vec<Logged>>>,
    faults: Arc<Mutex<Vec<Rule>>>,
    delay: Arc<Mutex<Duration>>,
}

/// What the proxy does to a request instead of passing it on untouched.
#[derive(Clone, Copy, Debug)]
pub enum Fault {
    /// Waits this long, then forwards it.
    Delay(Duration),
    /// Answers this status itself, with an empty body; the server never sees the request.
    Status(u16),
    /// Closes the connection without an answer.
    Reset,
    /// Forwards it, then passes on the answer's head and only this many body bytes, and
    /// closes the connection.
    Truncate(usize),
}

/// A fault for the next `times` requests with `method` whose path ends with `key`.
struct Rule {
    method: String,
    key: String,
    fault: Fault,
    times: usize,
}

/// One client connection's way back: the server's answers, cut short when armed.
type Cut = Arc<Mutex<Option<usize>>>;

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
        let faults: Arc<Mutex<Vec<Rule>>> = Arc::default();
        let delay: Arc<Mutex<Duration>> = Arc::default();
        let (log_for_thread, faults_for_thread) = (Arc::clone(&log), Arc::clone(&faults));
        let delay_for_thread = Arc::clone(&delay);
        std::thread::spawn(move || {
            for client in listener.incoming().flatten() {
                let server = TcpStream::connect(&upstream).unwrap();
                let cut: Cut = Arc::default();
                let back = (server.try_clone().unwrap(), client.try_clone().unwrap());
                let back_cut = Arc::clone(&cut);
                std::thread::spawn(move || copy_answers(back.0, back.1, &back_cut));
                let (log, faults) = (Arc::clone(&log_for_thread), Arc::clone(&faults_for_thread));
                let delay = Arc::clone(&delay_for_thread);
                std::thread::spawn(move || {
                    forward_requests(client, server, &log, (&faults, &delay), &cut)
                });
            }
        });
        CountingProxy {
            endpoint,
            log,
            faults,
            delay,
        }
    }

    /// Holds every request from now on for `delay` before forwarding it (a slow store);
    /// `Duration::ZERO` lifts it.
    pub fn set_delay(&self, delay: Duration) {
        *self.delay.lock().unwrap() = delay;
    }

    /// Applies `fault` to the next `times` requests with `method` whose path (without
    /// query) ends with `key`.
    pub fn inject(&self, method: &str, key: &str, fault: Fault, times: usize) {
        self.faults.lock().unwrap().push(Rule {
            method: method.to_owned(),
            key: key.to_owned(),
            fault,
            times,
        });
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

/// The fault to apply to a request, if a rule names it (and counts it).
fn fault_for(faults: &Mutex<Vec<Rule>>, method: &str, path: &str) -> Option<Fault> {
    let mut rules = faults.lock().unwrap();
    let path = path.split('?').next().unwrap_or("");
    let rule = rules
        .iter_mut()
        .find(|r| r.times > 0 && r.method == method && path.ends_with(&r.key))?;
    rule.times -= 1;
    Some(rule.fault)
}

/// Copies requests from client to server, logging each head and passing bodies through,
/// applying the faults the rules name.
fn forward_requests(
    mut client: TcpStream,
    mut server: TcpStream,
    log: &Mutex<Vec<Logged>>,
    (faults, delay): (&Mutex<Vec<Rule>>, &Mutex<Duration>),
    cut: &Cut,
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
            let fault = fault_for(faults, request_line[0], request_line[1]);
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
            let pause = *delay.lock().unwrap();
            if !pause.is_zero() {
                std::thread::sleep(pause);
            }
            match fault {
                Some(Fault::Delay(pause)) => std::thread::sleep(pause),
                Some(Fault::Status(status)) => {
                    let answer = format!("HTTP/1.1 {status} Injected\r\ncontent-length: 0\r\n\r\n");
                    if client.write_all(answer.as_bytes()).is_err() {
                        return;
                    }
                    continue;
                }
                Some(Fault::Reset) => {
                    let _ = client.shutdown(Shutdown::Both);
                    let _ = server.shutdown(Shutdown::Both);
                    return;
                }
                Some(Fault::Truncate(keep)) => *cut.lock().unwrap() = Some(keep),
                None => {}
            }
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

/// Copies the server's answers back to the client; when `cut` is armed, passes on the next
/// answer's head and only that many body bytes, then closes both connections.
fn copy_answers(mut server: TcpStream, mut client: TcpStream, cut: &Cut) {
    let mut chunk = [0u8; 16 * 1024];
    let mut pending = Vec::new();
    loop {
        let n = match server.read(&mut chunk) {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        let Some(keep) = *cut.lock().unwrap() else {
            if client.write_all(&chunk[..n]).is_err() {
                return;
            }
            continue;
        };
        pending.extend_from_slice(&chunk[..n]);
        let Some(end) = pending.windows(4).position(|w| w == b"\r\n\r\n") else {
            continue;
        };
        if pending.len() < end + 4 + keep {
            continue;
        }
        let _ = client.write_all(&pending[..end + 4 + keep]);
        let _ = client.shutdown(Shutdown::Both);
        let _ = server.shutdown(Shutdown::Both);
        return;
    }
}
