//! The standalone server's `GET /metrics`: counters and histograms since the process
//! started, in the OpenMetrics text format (which Prometheus, VictoriaMetrics and the
//! OpenTelemetry collector scrape), made with `prometheus-client`.
//!
//! Everything is fed from the same [`RequestRecord`] as the EMF line, so both report one
//! truth. Labels are the low-cardinality ones (route kind, status class, cache name);
//! paths and identifiers never become labels, which would grow the series without bound.

use super::record::RequestRecord;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::{Registry, Unit};

/// The media type of [`Prometheus::encode`]'s output.
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    route: &'static str,
    status_class: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    route: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct CacheLabels {
    cache: &'static str,
}

/// What a cache holds at a scrape: its name, entries and bytes.
pub type Held = (&'static str, u64, u64);

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct LookupLabels {
    cache: &'static str,
    result: &'static str,
}

/// 1 ms to about 33 s, doubling: tiles live in the first buckets, a cold whole-object
/// download near the last.
fn seconds_histogram() -> Histogram {
    Histogram::new(exponential_buckets(0.001, 2.0, 16))
}

/// The registry and the handles that requests update.
pub struct Prometheus {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: Family<RouteLabels, Histogram, fn() -> Histogram>,
    render: Histogram,
    s3_requests: Counter,
    s3_bytes: Counter,
    stored_tiles: Counter,
    lookups: Family<LookupLabels, Counter>,
    in_flight: Gauge,
    entries: Family<CacheLabels, Gauge>,
    resident: Family<CacheLabels, Gauge>,
}

impl Default for Prometheus {
    fn default() -> Self {
        Self::new()
    }
}

impl Prometheus {
    pub fn new() -> Prometheus {
        let mut registry = Registry::with_prefix("tessera");
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register("requests", "Requests answered", requests.clone());
        let latency = Family::new_with_constructor(seconds_histogram as fn() -> Histogram);
        registry.register_with_unit(
            "request_duration",
            "Time from a request's arrival to its answer",
            Unit::Seconds,
            latency.clone(),
        );
        let render = seconds_histogram();
        registry.register_with_unit(
            "render_duration",
            "libvips open, compute and encode, for requests that rendered",
            Unit::Seconds,
            render.clone(),
        );
        let stored_tiles = Counter::default();
        registry.register(
            "stored_tiles",
            "Image requests answered with a stored JPEG tile as it is (no render)",
            stored_tiles.clone(),
        );
        let s3_requests = Counter::default();
        registry.register("s3_requests", "S3 calls sent", s3_requests.clone());
        let s3_bytes = Counter::default();
        registry.register_with_unit(
            "s3_received",
            "S3 body bytes received",
            Unit::Bytes,
            s3_bytes.clone(),
        );
        let lookups = Family::<LookupLabels, Counter>::default();
        registry.register(
            "cache_lookups",
            "Cache look-ups by cache (block, opened_image, facts) and result (hit, miss)",
            lookups.clone(),
        );
        let in_flight = Gauge::default();
        registry.register(
            "requests_in_flight",
            "Requests being answered now",
            in_flight.clone(),
        );
        let entries = Family::<CacheLabels, Gauge>::default();
        registry.register("cache_entries", "Entries each cache holds", entries.clone());
        let resident = Family::<CacheLabels, Gauge>::default();
        registry.register_with_unit(
            "cache_resident",
            "Bytes each cache holds (memory, or disk for the whole-object cache)",
            Unit::Bytes,
            resident.clone(),
        );
        Prometheus {
            registry,
            entries,
            resident,
            requests,
            latency,
            render,
            s3_requests,
            s3_bytes,
            stored_tiles,
            lookups,
            in_flight,
        }
    }

    /// A request started; [`Prometheus::finished`] ends it.
    pub fn started(&self) {
        self.in_flight.inc();
    }

    pub fn finished(&self, record: &RequestRecord) {
        self.in_flight.dec();
        let route = record.route.as_str();
        self.requests
            .get_or_create(&RequestLabels {
                route,
                status_class: record.status_class(),
            })
            .inc();
        self.latency
            .get_or_create(&RouteLabels { route })
            .observe(record.latency.as_secs_f64());
        if let Some(render) = record.render {
            self.render.observe(render.as_secs_f64());
        }
        if record.stored_tile {
            self.stored_tiles.inc();
        }
        let m = &record.metered;
        self.s3_requests.inc_by(m.s3_requests);
        self.s3_bytes.inc_by(m.s3_bytes);
        for (cache, hits, misses) in [
            ("block", m.block_hits, m.block_misses),
            ("opened_image", m.opened_hits, m.opened_misses),
            ("facts", m.facts_hits, m.facts_misses),
        ] {
            for (result, n) in [("hit", hits), ("miss", misses)] {
                if n > 0 {
                    self.lookups
                        .get_or_create(&LookupLabels { cache, result })
                        .inc_by(n);
                }
            }
        }
    }

    /// Everything registered, as OpenMetrics text, with the caches' `held` state now.
    pub fn encode(&self, held: &[Held]) -> String {
        for &(cache, entries, bytes) in held {
            let labels = CacheLabels { cache };
            let gauge = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
            self.entries.get_or_create(&labels).set(gauge(entries));
            self.resident.get_or_create(&labels).set(gauge(bytes));
        }
        let mut text = String::new();
        // Writing into a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut text, &self.registry);
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::{Metered, RouteKind};
    use std::time::Duration;

    #[test]
    fn a_finished_request_moves_its_counters() {
        let prometheus = Prometheus::new();
        prometheus.started();
        prometheus.finished(&RequestRecord {
            route: RouteKind::Image,
            status: 200,
            latency: Duration::from_millis(20),
            render: Some(Duration::from_millis(15)),
            metered: Metered {
                s3_requests: 2,
                s3_bytes: 1000,
                block_misses: 3,
                ..Metered::default()
            },
            cold_start: false,
            stored_tile: true,
        });
        let text = prometheus.encode(&[("block", 3, 196_608)]);
        for expected in [
            "tessera_requests_total{route=\"image\",status_class=\"2xx\"} 1",
            "tessera_request_duration_seconds_count{route=\"image\"} 1",
            "tessera_render_duration_seconds_count 1",
            "tessera_s3_requests_total 2",
            "tessera_stored_tiles_total 1",
            "tessera_s3_received_bytes_total 1000",
            "tessera_cache_lookups_total{cache=\"block\",result=\"miss\"} 3",
            "tessera_requests_in_flight 0",
            "tessera_cache_entries{cache=\"block\"} 3",
            "tessera_cache_resident_bytes{cache=\"block\"} 196608",
            "# EOF",
        ] {
            assert!(text.contains(expected), "{expected} in:\n{text}");
        }
    }
}
