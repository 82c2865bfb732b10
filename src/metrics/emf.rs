//! CloudWatch Embedded Metric Format: one JSON line per request on stdout, which Lambda
//! sends to CloudWatch Logs and CloudWatch turns into metrics, with no agent, no API call
//! and no extra latency (the `PutMetricData` alternative would cost a request per
//! invocation). The logs (stderr) stay separate, so the metric lines are never interleaved
//! with a log line's text.
//!
//! Dimensions are kept few on purpose, since every distinct combination is a billed custom
//! metric: the function, the route kind and the status class. Each line declares three
//! dimension sets so that the dashboard can chart all requests, each route, and each
//! route's errors without metric math over many series. The request's status is a plain
//! property (searchable in Logs Insights), not a dimension.

use super::record::RequestRecord;
use serde_json::{json, Map, Value};
use std::time::SystemTime;

/// Metric names and units, as the EMF directive declares them.
const COUNT: &str = "Count";
const MILLISECONDS: &str = "Milliseconds";
const BYTES: &str = "Bytes";

/// The EMF object for one request, with `timestamp` in epoch milliseconds.
pub fn document(
    record: &RequestRecord,
    namespace: &str,
    function: &str,
    timestamp: SystemTime,
) -> Value {
    let millis = |d: std::time::Duration| d.as_secs_f64() * 1000.0;
    let m = &record.metered;
    let mut metrics: Vec<(&str, &str, Value)> = vec![
        ("Requests", COUNT, json!(1)),
        ("Latency", MILLISECONDS, json!(millis(record.latency))),
        ("S3Requests", COUNT, json!(m.s3_requests)),
        ("S3Bytes", BYTES, json!(m.s3_bytes)),
        ("BlockCacheHits", COUNT, json!(m.block_hits)),
        ("BlockCacheMisses", COUNT, json!(m.block_misses)),
        ("OpenedImageHits", COUNT, json!(m.opened_hits)),
        ("OpenedImageMisses", COUNT, json!(m.opened_misses)),
        ("FactsCacheHits", COUNT, json!(m.facts_hits)),
        ("FactsCacheMisses", COUNT, json!(m.facts_misses)),
        ("ColdStart", COUNT, json!(u8::from(record.cold_start))),
        ("StoredTiles", COUNT, json!(u8::from(record.stored_tile))),
    ];
    // Only requests that rendered have a render time: a 0 would drag the statistics down.
    if let Some(render) = record.render {
        metrics.push(("RenderTime", MILLISECONDS, json!(millis(render))));
    }
    let epoch_ms = timestamp
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64);
    let declared: Vec<Value> = metrics
        .iter()
        .map(|(name, unit, _)| json!({"Name": name, "Unit": unit}))
        .collect();
    let mut root = Map::new();
    root.insert(
        "_aws".into(),
        json!({
            "Timestamp": epoch_ms,
            "CloudWatchMetrics": [{
                "Namespace": namespace,
                "Dimensions": [
                    ["Function"],
                    ["Function", "Route"],
                    ["Function", "Route", "StatusClass"],
                ],
                "Metrics": declared,
            }],
        }),
    );
    root.insert("Function".into(), json!(function));
    root.insert("Route".into(), json!(record.route.as_str()));
    root.insert("StatusClass".into(), json!(record.status_class()));
    root.insert("Status".into(), json!(record.status));
    for (name, _, value) in metrics {
        root.insert(name.into(), value);
    }
    Value::Object(root)
}

/// The document as one line, newline included, ready for a single write.
pub fn line(record: &RequestRecord, namespace: &str, function: &str) -> String {
    let mut text = document(record, namespace, function, SystemTime::now()).to_string();
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::{Metered, RouteKind};
    use std::time::Duration;

    fn record(render: Option<Duration>) -> RequestRecord {
        RequestRecord {
            route: RouteKind::Image,
            status: 200,
            latency: Duration::from_micros(12_500),
            render,
            metered: Metered {
                s3_requests: 3,
                s3_bytes: 70_000,
                block_hits: 4,
                block_misses: 2,
                ..Metered::default()
            },
            cold_start: true,
            stored_tile: false,
        }
    }

    /// Every declared metric has a numeric member of its name, every dimension a string
    /// member, and the directive has the shape CloudWatch's EMF specification requires.
    #[test]
    fn the_line_is_a_valid_emf_document() {
        let at = SystemTime::UNIX_EPOCH + Duration::from_millis(1_764_000_000_123);
        let doc = document(&record(Some(Duration::from_millis(8))), "Tessera", "fn", at);
        let directive = &doc["_aws"];
        assert_eq!(directive["Timestamp"], 1_764_000_000_123u64);
        let metrics = &directive["CloudWatchMetrics"][0];
        assert_eq!(metrics["Namespace"], "Tessera");
        for set in metrics["Dimensions"].as_array().unwrap() {
            for dimension in set.as_array().unwrap() {
                let name = dimension.as_str().unwrap();
                assert!(doc[name].is_string(), "dimension {name} has a string value");
            }
        }
        let declared = metrics["Metrics"].as_array().unwrap();
        for metric in declared {
            let name = metric["Name"].as_str().unwrap();
            assert!(doc[name].is_number(), "metric {name} has a number");
            assert!(["Count", "Milliseconds", "Bytes"].contains(&metric["Unit"].as_str().unwrap()));
        }
        assert_eq!(doc["Route"], "image");
        assert_eq!(doc["StatusClass"], "2xx");
        assert_eq!(doc["Latency"], 12.5);
        assert_eq!(doc["RenderTime"], 8.0);
        assert_eq!(
            (doc["S3Requests"].as_u64(), doc["S3Bytes"].as_u64()),
            (Some(3), Some(70_000))
        );
        assert_eq!(doc["ColdStart"], 1);
        assert_eq!(doc["Function"], "fn");
    }

    #[test]
    fn a_request_that_did_not_render_declares_no_render_time() {
        let text = line(&record(None), "N", "fn");
        assert!(text.ends_with('\n') && !text.trim_end().contains('\n'));
        let doc: Value = serde_json::from_str(&text).unwrap();
        assert!(doc.get("RenderTime").is_none());
        let declared = doc["_aws"]["CloudWatchMetrics"][0]["Metrics"]
            .as_array()
            .unwrap();
        assert!(declared.iter().all(|m| m["Name"] != "RenderTime"));
    }
}
