//! The checks after the load: the server still answers a health check and a good tile,
//! its whole-object cache holds only finished files within budget, and its peak memory
//! set against the budget it was given.

use crate::watch::{self, mib, Seen};
use std::path::Path;
use std::time::{Duration, Instant};

pub(crate) fn memory_line(seen: &Seen, budget: u64) -> String {
    let peak = seen.hwm.max(seen.peak_rss);
    let head = format!(
        "server peak RSS: {} (VmHWM {}, largest VmRSS sample {})",
        mib(peak),
        mib(seen.hwm),
        mib(seen.peak_rss)
    );
    if budget == 0 {
        return format!("{head}; no memory budget given");
    }
    let share = 100.0 * peak as f64 / budget as f64;
    let verdict = if peak <= budget { "within" } else { "OVER" };
    format!(
        "{head}; memory budget {} ({share:.0}%, {verdict})",
        mib(budget)
    )
}

/// The server still answers: /health, and one good tile as a JPEG. A 503 is asked again
/// after its Retry-After (at most 10 s, three tries): busy is not down, but a server that
/// stays busy once the load has stopped is stuck.
pub(crate) async fn still_serving(client: &reqwest::Client, base: &str) -> Vec<String> {
    let mut problems = Vec::new();
    for (path, want) in [
        ("/health", "text/plain"),
        (
            "/iiif/3/pyramid.tif/0,0,512,512/512,/0/default.jpg",
            "image/jpeg",
        ),
    ] {
        let started = Instant::now();
        let mut answer = get(client, &format!("{base}{path}")).await;
        for _ in 1..3 {
            let Err(Busy(wait)) = answer else { break };
            tokio::time::sleep(wait).await;
            answer = get(client, &format!("{base}{path}")).await;
        }
        let ms = started.elapsed().as_millis();
        match answer {
            Ok(kind) if kind.starts_with(want) => {
                println!("after the load: {path} 200 {kind} in {ms} ms")
            }
            Ok(kind) => problems.push(format!("{path}: 200 but {kind}, not {want}")),
            Err(Busy(_)) => problems.push(format!("{path}: still 503 {ms} ms after the load")),
            Err(Failed(why)) => problems.push(format!("{path}: {why} after the load")),
        }
    }
    problems
}

enum NotServed {
    /// 503, with the wait its Retry-After asks for.
    Busy(Duration),
    Failed(String),
}
use NotServed::{Busy, Failed};

/// One GET read to the end: the Content-Type of a complete 200.
async fn get(client: &reqwest::Client, url: &str) -> Result<String, NotServed> {
    let response = client.get(url).send().await;
    let response = response.map_err(|e| Failed(format!("no answer ({e})")))?;
    let header = |name| {
        let value = response.headers().get(name)?.to_str().ok()?;
        Some(value.to_owned())
    };
    let (kind, retry) = (header("content-type"), header("retry-after"));
    match response.status().as_u16() {
        200 => {}
        503 => {
            let secs = retry.and_then(|r| r.parse().ok()).unwrap_or(1u64);
            return Err(Busy(Duration::from_secs(secs.min(10))));
        }
        status => return Err(Failed(format!("answered {status}"))),
    }
    let body = response.bytes().await;
    body.map_err(|e| Failed(format!("a cut answer ({e})")))?;
    Ok(kind.unwrap_or_default())
}

/// The whole-object cache holds only finished files, within its budget.
pub(crate) fn cache_folder(dir: &Path, budget: u64) -> Vec<String> {
    let files = watch::files(dir);
    let total: u64 = files.iter().map(|(_, m)| m.len()).sum();
    println!(
        "cache folder after the load: {} files, {}",
        files.len(),
        mib(total)
    );
    let mut problems: Vec<String> = files
        .iter()
        .filter(|(p, _)| p.extension().is_some_and(|e| e == "part"))
        .map(|(p, _)| format!("a partial download is left in the cache: {}", p.display()))
        .collect();
    if total > budget {
        problems.push(format!(
            "the cache holds {} over its budget {}",
            mib(total),
            mib(budget)
        ));
    }
    problems
}
