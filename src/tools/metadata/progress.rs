//! How a run shows its progress: a bar with counts and an ETA on a terminal, one plain line
//! per object otherwise (a log file or CI output gains nothing from redrawn bars and loses
//! every line a bar overwrites), or nothing at all for tests and the upload handler.

use super::object::Outcome;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::Write;
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::sync::Mutex;

/// Where progress goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProgressMode {
    /// A redrawn bar on stderr.
    Bar,
    /// One line per object on stderr.
    Lines,
    /// Nothing.
    Quiet,
}

impl ProgressMode {
    /// A bar when stderr is a terminal, plain lines when it is not.
    pub fn for_stderr() -> ProgressMode {
        use std::io::IsTerminal;
        if std::io::stderr().is_terminal() {
            ProgressMode::Bar
        } else {
            ProgressMode::Lines
        }
    }
}

/// Counts outcomes as they arrive and shows them.
pub(crate) struct Progress {
    mode: ProgressMode,
    /// Names the written count "would write" on the bar.
    dry_run: bool,
    bar: Option<ProgressBar>,
    written: AtomicUsize,
    current: AtomicUsize,
    failed: AtomicUsize,
    lines: Mutex<()>,
}

impl Progress {
    pub(crate) fn new(mode: ProgressMode, total: usize, dry_run: bool) -> Progress {
        let bar = (mode == ProgressMode::Bar).then(|| {
            let bar =
                ProgressBar::with_draw_target(Some(total as u64), ProgressDrawTarget::stderr());
            let style = ProgressStyle::with_template(
                "{bar:30} {pos}/{len} objects  {msg}  {elapsed_precise} elapsed, eta {eta}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar());
            bar.set_style(style);
            bar
        });
        Progress {
            mode,
            dry_run,
            bar,
            written: AtomicUsize::new(0),
            current: AtomicUsize::new(0),
            failed: AtomicUsize::new(0),
            lines: Mutex::new(()),
        }
    }

    pub(crate) fn record(&self, key: &str, outcome: &Outcome) {
        let (counter, word) = match outcome {
            Outcome::Written => (&self.written, "written"),
            Outcome::WouldWrite => (&self.written, "would write"),
            Outcome::Current => (&self.current, "current"),
            Outcome::Failed(_) => (&self.failed, "FAILED"),
        };
        counter.fetch_add(1, Relaxed);
        let line = match outcome {
            Outcome::Failed(why) => format!("{word} {key}: {why}"),
            _ => format!("{word} {key}"),
        };
        match (&self.bar, self.mode) {
            (Some(bar), _) => {
                if matches!(outcome, Outcome::Failed(_)) {
                    bar.println(line);
                }
                bar.set_message(format!(
                    "{} {}, {} current, {} failed",
                    self.written.load(Relaxed),
                    if self.dry_run {
                        "would write"
                    } else {
                        "written"
                    },
                    self.current.load(Relaxed),
                    self.failed.load(Relaxed)
                ));
                bar.inc(1);
            }
            (None, ProgressMode::Lines) => {
                // One writer at a time, so concurrent objects never interleave a line.
                let _guard = self.lines.lock().unwrap_or_else(|e| e.into_inner());
                let _ = writeln!(std::io::stderr(), "{line}");
            }
            (None, _) => {}
        }
    }

    pub(crate) fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish();
        }
    }
}
