//! The tally of answers and the table printed at the end: requests, answers by status,
//! latency percentiles per kind of request and overall.

use crate::mix::Kind;
use std::collections::BTreeMap;
use std::time::Duration;

/// How one request ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Outcome {
    Status(u16),
    /// No complete answer within the client's timeout.
    Timeout,
    /// The connection failed or closed before a complete answer.
    Transport,
}

impl Outcome {
    fn label(self) -> String {
        match self {
            Outcome::Status(s) => s.to_string(),
            Outcome::Timeout => "timeout".to_owned(),
            Outcome::Transport => "conn".to_owned(),
        }
    }

    /// A failure of the server rather than an answer to the request: a 5xx other than
    /// 501 (an image it does not support) and 503 (the documented "busy, retry"), or no
    /// answer at all.
    pub(crate) fn is_failure(self) -> bool {
        match self {
            Outcome::Status(s) => s >= 500 && s != 501 && s != 503,
            Outcome::Timeout | Outcome::Transport => true,
        }
    }
}

#[derive(Default)]
struct Row {
    latencies_us: Vec<u64>,
    outcomes: BTreeMap<Outcome, u64>,
}

impl Row {
    fn add(&mut self, outcome: Outcome, latency: Duration) {
        self.latencies_us.push(latency.as_micros() as u64);
        *self.outcomes.entry(outcome).or_default() += 1;
    }

    fn line(&mut self, name: &str) -> String {
        self.latencies_us.sort_unstable();
        let at = |q: f64| percentile(&self.latencies_us, q);
        let outcomes: Vec<String> = self
            .outcomes
            .iter()
            .map(|(o, n)| format!("{}:{n}", o.label()))
            .collect();
        format!(
            "| {name:<11} | {:>8} | {:>8} | {:>8} | {:>8} | {} |",
            self.latencies_us.len(),
            at(0.50),
            at(0.99),
            at(1.0),
            outcomes.join(" ")
        )
    }
}

/// Nearest-rank percentile of sorted microseconds, printed in milliseconds.
fn percentile(sorted: &[u64], q: f64) -> String {
    if sorted.is_empty() {
        return "-".to_owned();
    }
    let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    format!("{:.1}", sorted[rank - 1] as f64 / 1000.0)
}

/// Every answer, by kind.
#[derive(Default)]
pub(crate) struct Tally {
    rows: BTreeMap<Kind, Row>,
    all: Row,
}

impl Tally {
    pub(crate) fn add(&mut self, kind: Kind, outcome: Outcome, latency: Duration) {
        self.rows.entry(kind).or_default().add(outcome, latency);
        self.all.add(outcome, latency);
    }

    pub(crate) fn requests(&self) -> usize {
        self.all.latencies_us.len()
    }

    /// Answers that count against the server, by label, e.g. `500:3 timeout:1`.
    pub(crate) fn failures(&self) -> Vec<String> {
        let failed = self.all.outcomes.iter().filter(|(o, _)| o.is_failure());
        failed.map(|(o, n)| format!("{}:{n}", o.label())).collect()
    }

    /// Answers by status over all kinds, other than 2xx and 304.
    pub(crate) fn errors_by_status(&self) -> String {
        let errors: Vec<String> = (self.all.outcomes.iter())
            .filter(|(o, _)| !matches!(o, Outcome::Status(s) if *s < 300 || *s == 304))
            .map(|(o, n)| format!("{}:{n}", o.label()))
            .collect();
        if errors.is_empty() {
            "none".to_owned()
        } else {
            errors.join(" ")
        }
    }

    /// The Markdown table: one row per kind, then all of them.
    pub(crate) fn table(&mut self) -> String {
        let mut lines = vec![
            "| kind        | requests |  p50 ms  |  p99 ms  |  max ms  | answers (status:count) |"
                .to_owned(),
            "|---|---:|---:|---:|---:|---|".to_owned(),
        ];
        for (kind, row) in self.rows.iter_mut() {
            lines.push(row.line(kind.name()));
        }
        lines.push(self.all.line("all"));
        lines.join("\n")
    }
}
