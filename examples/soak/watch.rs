//! Watching the server from outside while the load runs: its resident memory (VmRSS, and
//! the kernel's own high-water mark VmHWM) from /proc, and the bytes its cache and temp
//! folders take on disk. Also the guards that stop the load before it harms the machine
//! it shares (a runaway RSS or temp folder), or when the server has gone.

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// What was seen; the peaks only grow.
#[derive(Clone, Debug, Default)]
pub(crate) struct Seen {
    pub(crate) peak_rss: u64,
    pub(crate) hwm: u64,
    pub(crate) peak_cache_dir: u64,
    pub(crate) peak_temp_dir: u64,
    /// Why the load was stopped early, if it was.
    pub(crate) stopped: Option<String>,
}

pub(crate) struct Watch {
    pub(crate) pid: u32,
    pub(crate) dirs: [PathBuf; 2],
    pub(crate) rss_guard: u64,
    pub(crate) disk_guard: u64,
}

impl Watch {
    /// Samples every 100 ms until `stop` is set; sets `stop` itself when a guard trips.
    pub(crate) async fn run(self, seen: Arc<Mutex<Seen>>, stop: Arc<AtomicBool>) {
        let mut tick = tokio::time::interval(Duration::from_millis(100));
        let mut round = 0u64;
        while !stop.load(Ordering::Relaxed) {
            tick.tick().await;
            round += 1;
            let verdict = self.sample(&mut seen.lock().unwrap(), round % 10 == 1);
            if let Some(why) = verdict {
                seen.lock().unwrap().stopped.get_or_insert(why);
                stop.store(true, Ordering::Relaxed);
            }
        }
    }

    /// One sample (the folders only when `with_dirs`: walking them costs more); a reason to
    /// stop, if any.
    fn sample(&self, seen: &mut Seen, with_dirs: bool) -> Option<String> {
        let Some((rss, hwm)) = memory(self.pid) else {
            return Some("the server process is gone".to_owned());
        };
        seen.peak_rss = seen.peak_rss.max(rss);
        seen.hwm = seen.hwm.max(hwm);
        if rss > self.rss_guard {
            return Some(format!("server RSS {} over the guard", mib(rss)));
        }
        if with_dirs {
            let [cache, temp] = [&self.dirs[0], &self.dirs[1]].map(|d| disk_bytes(d));
            seen.peak_cache_dir = seen.peak_cache_dir.max(cache);
            seen.peak_temp_dir = seen.peak_temp_dir.max(temp);
            if cache + temp > self.disk_guard {
                return Some(format!("server files {} over the guard", mib(cache + temp)));
            }
        }
        None
    }
}

/// VmRSS and VmHWM of a process, in bytes; None once it has exited.
pub(crate) fn memory(pid: u32) -> Option<(u64, u64)> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let field = |name: &str| {
        let line = status.lines().find(|l| l.starts_with(name))?;
        let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
        Some(kb * 1024)
    };
    // A zombie has no memory lines: it is gone as far as serving goes.
    Some((field("VmRSS:")?, field("VmHWM:")?))
}

/// Bytes the files under `dir` occupy on disk (allocated blocks: a sparse file counts for
/// what it really holds).
pub(crate) fn disk_bytes(dir: &Path) -> u64 {
    files(dir).iter().map(|(_, m)| m.blocks() * 512).sum()
}

/// Every file under `dir` (recursively) with its metadata; none if `dir` is missing.
pub(crate) fn files(dir: &Path) -> Vec<(PathBuf, std::fs::Metadata)> {
    let mut found = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(dir) = todo.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let Ok(meta) = entry.metadata() else { continue };
            if meta.is_dir() {
                todo.push(entry.path());
            } else {
                found.push((entry.path(), meta));
            }
        }
    }
    found
}

pub(crate) fn mib(bytes: u64) -> String {
    format!("{:.0} MiB", bytes as f64 / 1048576.0)
}
