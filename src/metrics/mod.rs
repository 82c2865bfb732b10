//! Request metrics: what each request was and cost, for dashboards and alarms.
//!
//! [`meter`] counts a request's S3 traffic and cache look-ups where they happen and credits
//! them to that request; the service turns each finished request into one
//! [`RequestRecord`], and [`Metrics`] hands it to the sinks the front door wants
//! (`TESSERA_METRICS`):
//! - on Lambda, one CloudWatch Embedded Metric Format line on stdout ([`emf`]), so a
//!   dashboard works with nothing but the log group;
//! - on the standalone server, counters and histograms behind `GET /metrics`
//!   ([`prometheus`]).
//!
//! The request log line carries the same numbers, so a spike on a chart can be followed to
//! the requests that made it.

pub mod emf;
pub mod meter;
pub mod prometheus;
mod record;

pub use meter::{Metered, RequestMeter};
pub use record::{status_class, RequestRecord, RouteKind};

use crate::config::{Config, MetricsMode};
use prometheus::Prometheus;
use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// Which front door a request came through: the sinks differ (see [`MetricsMode`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum FrontDoor {
    /// The standalone server (and tests that call the service directly).
    #[default]
    Server,
    /// A Lambda invocation.
    Lambda,
}

/// Where EMF lines go: stdout in production, a buffer in tests.
pub type EmfSink = Box<dyn Fn(&str) + Send + Sync>;

/// The process's metric sinks and settings.
pub struct Metrics {
    mode: MetricsMode,
    namespace: String,
    function: String,
    prometheus: Prometheus,
    emf_sink: EmfSink,
    served_one: AtomicBool,
}

/// CloudWatch's limits on a namespace: 1-255 characters, none reserved for AWS.
fn check_namespace(namespace: &str) -> Result<(), String> {
    let allowed = |c: char| c.is_ascii_alphanumeric() || "._-/#: ".contains(c);
    if namespace.is_empty() || namespace.len() > 255 || !namespace.chars().all(allowed) {
        return Err(format!(
            "bad TESSERA_METRICS_NAMESPACE {namespace:?}: 1-255 of A-Z a-z 0-9 . _ - / # : and space"
        ));
    }
    if namespace.starts_with("AWS/") {
        return Err("TESSERA_METRICS_NAMESPACE may not start with AWS/ (reserved)".into());
    }
    Ok(())
}

impl Metrics {
    pub fn from_config(config: &Config) -> Result<Metrics, String> {
        check_namespace(&config.metrics_namespace)?;
        Ok(Metrics {
            mode: config.metrics,
            namespace: config.metrics_namespace.clone(),
            function: config
                .lambda_function_name
                .clone()
                .unwrap_or_else(|| "tessera".into()),
            prometheus: Prometheus::new(),
            emf_sink: Box::new(write_stdout),
            served_one: AtomicBool::new(false),
        })
    }

    /// Sends EMF lines to `sink` instead of stdout.
    pub fn with_emf_sink(mut self, sink: EmfSink) -> Metrics {
        self.emf_sink = sink;
        self
    }

    /// Whether requests through `door` produce EMF lines.
    pub fn emits_emf(&self, door: FrontDoor) -> bool {
        match self.mode {
            MetricsMode::Emf | MetricsMode::Both => true,
            MetricsMode::Auto => door == FrontDoor::Lambda,
            MetricsMode::Prometheus | MetricsMode::Off => false,
        }
    }

    /// Whether `GET /metrics` answers through `door`. Never on Lambda: each instance holds
    /// only its own counters, and no scraper can reach a chosen instance.
    pub fn serves_prometheus(&self, door: FrontDoor) -> bool {
        door == FrontDoor::Server
            && matches!(
                self.mode,
                MetricsMode::Auto | MetricsMode::Prometheus | MetricsMode::Both
            )
    }

    /// A request starts: its meter.
    pub fn begin(&self) -> Arc<RequestMeter> {
        self.prometheus.started();
        RequestMeter::new()
    }

    /// True exactly once per process, for its first request.
    pub fn take_cold_start(&self) -> bool {
        !self.served_one.swap(true, Ordering::Relaxed)
    }

    /// A request ended: every sink gets its record.
    pub fn finish(&self, door: FrontDoor, record: &RequestRecord) {
        self.prometheus.finished(record);
        if self.emits_emf(door) {
            (self.emf_sink)(&emf::line(record, &self.namespace, &self.function));
        }
    }

    /// The `/metrics` body, with what the caches hold now.
    pub fn prometheus_text(&self, held: &[prometheus::Held]) -> String {
        self.prometheus.encode(held)
    }
}

/// One write per line, under stdout's lock, so concurrent requests' lines never mix.
fn write_stdout(line: &str) {
    let mut out = std::io::stdout().lock();
    if let Err(err) = out.write_all(line.as_bytes()).and_then(|()| out.flush()) {
        tracing::warn!(error = %err, "cannot write the metrics line");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn namespaces_follow_cloudwatch_rules() {
        assert!(check_namespace("Tessera").is_ok());
        assert!(check_namespace("Museum/IIIF prod").is_ok());
        assert!(check_namespace("").is_err());
        assert!(check_namespace("AWS/Lambda").is_err());
        assert!(check_namespace("bad\nname").is_err());
        assert!(check_namespace(&"x".repeat(256)).is_err());
    }
}
