//! Request metrics through the service: `GET /metrics` on the standalone server (its
//! counters moving with real requests over real files), never through the Lambda door or
//! when turned off, and one CloudWatch EMF line per Lambda request, with the namespace,
//! route, status class and cold start it should carry.

mod common;
mod lambda_support;

use common::*;
use serde_json::Value;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tessera::config::{Config, MetricsMode};
use tessera::doors::lambda::respond;
use tessera::service::App;
use tessera::source::FileStore;

/// The value of the sample `name` (labels included, exactly) in OpenMetrics `text`.
fn sample(text: &str, name: &str) -> Option<f64> {
    text.lines()
        .find_map(|line| line.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
}

async fn metrics_text(app: &App) -> String {
    let resp = get(app, "/metrics", &[]).await;
    assert_eq!(resp.status(), 200);
    assert_eq!(
        header(&resp, "content-type"),
        "application/openmetrics-text; version=1.0.0; charset=utf-8"
    );
    assert_eq!(header(&resp, "cache-control"), "no-store");
    String::from_utf8(resp.body().to_vec()).unwrap()
}

#[tokio::test]
async fn prometheus_counters_move_with_requests() {
    let dir = fixture_dir();
    let app = app(dir.path());
    let before = metrics_text(&app).await;
    let image_ok = "tessera_requests_total{route=\"image\",status_class=\"2xx\"}";
    assert_eq!(sample(&before, image_ok), None, "{before}");

    // PNG: rendered (a JPEG tile on the grid would be the stored tile, not a render).
    let tile = "/iiif/3/quad.tif/0,0,256,256/max/0/default.png";
    assert_eq!(get(&app, tile, &[]).await.status(), 200);
    assert_eq!(get(&app, tile, &[]).await.status(), 200);
    let missing = "/iiif/3/missing.tif/info.json";
    assert_eq!(get(&app, missing, &[]).await.status(), 404);

    let after = metrics_text(&app).await;
    let count = |name: &str| sample(&after, name).unwrap_or_else(|| panic!("{name}:\n{after}"));
    assert_eq!(count(image_ok), 2.0);
    assert_eq!(
        count("tessera_requests_total{route=\"info\",status_class=\"4xx\"}"),
        1.0
    );
    // The first /metrics request was counted when it finished.
    assert_eq!(
        count("tessera_requests_total{route=\"metrics\",status_class=\"2xx\"}"),
        1.0
    );
    assert_eq!(
        count("tessera_request_duration_seconds_count{route=\"image\"}"),
        2.0
    );
    assert_eq!(count("tessera_render_duration_seconds_count"), 2.0);
    // The tiled level is opened once and reused; its facts walked once and reused.
    assert_eq!(
        count("tessera_cache_lookups_total{cache=\"opened_image\",result=\"miss\"}"),
        1.0
    );
    assert_eq!(
        count("tessera_cache_lookups_total{cache=\"opened_image\",result=\"hit\"}"),
        1.0
    );
    assert_eq!(
        count("tessera_cache_lookups_total{cache=\"facts\",result=\"miss\"}"),
        1.0
    );
    assert_eq!(
        count("tessera_cache_lookups_total{cache=\"facts\",result=\"hit\"}"),
        1.0
    );
    // The /metrics request being answered is the one in flight.
    assert_eq!(count("tessera_requests_in_flight"), 1.0);
    assert_eq!(count("tessera_cache_entries{cache=\"opened_image\"}"), 1.0);
    assert_eq!(count("tessera_s3_requests_total"), 0.0);
}

#[tokio::test]
async fn metrics_are_refused_on_lambda_and_when_turned_off() {
    let dir = fixture_dir();
    let lambda_app = app(dir.path());
    let via_lambda = lambda_support::invocation("GET", "/metrics", Duration::from_secs(30));
    let resp = respond(&lambda_app, via_lambda).await;
    assert_eq!(resp.status(), 404);
    assert_eq!(header(&resp, "cache-control"), "no-store");

    for mode in [MetricsMode::Off, MetricsMode::Emf] {
        let app = app_with(dir.path(), |c| c.metrics = mode);
        let resp = get(&app, "/metrics", &[]).await;
        assert_eq!(resp.status(), 404, "{mode:?}");
        assert_eq!(header(&resp, "cache-control"), "no-store");
    }
}

/// An app whose EMF lines are collected, as the Lambda would print them.
fn app_with_emf(
    root: &std::path::Path,
    tweak: impl FnOnce(&mut Config),
) -> (App, Arc<Mutex<Vec<String>>>) {
    let mut config = Config::from_env().expect("default configuration");
    config.root = root.to_path_buf();
    config.public_base_url = String::new();
    tweak(&mut config);
    let store = Arc::new(FileStore::new(root, &config.key_template).unwrap());
    let lines = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&lines);
    let app = App::with_store(config, store)
        .expect("app")
        .with_emf_sink(Box::new(move |line| {
            sink.lock().unwrap().push(line.to_owned())
        }));
    (app, lines)
}

async fn invoke(app: &App, path: &str) -> u16 {
    let req = lambda_support::invocation("GET", path, Duration::from_secs(30));
    respond(app, req).await.status().as_u16()
}

#[tokio::test]
async fn each_lambda_request_prints_one_emf_line() {
    let dir = fixture_dir();
    let (app, lines) = app_with_emf(dir.path(), |c| {
        c.metrics_namespace = "Museum/IIIF".into();
        c.lambda_function_name = Some("tessera-eu-west-1-abc".into());
    });
    assert_eq!(invoke(&app, "/iiif/3/quad.tif/info.json").await, 200);
    assert_eq!(
        invoke(&app, "/iiif/3/quad.tif/0,0,256,256/128,/0/default.jpg").await,
        200
    );
    assert_eq!(
        invoke(&app, "/iiif/3/quad.tif/0,0,256,256/128,/0/default.jpg").await,
        200
    );
    assert_eq!(invoke(&app, "/iiif/3/missing.tif/info.json").await, 404);
    let docs: Vec<Value> = lines
        .lock()
        .unwrap()
        .iter()
        .map(|line| {
            assert!(line.ends_with('\n') && !line.trim_end().contains('\n'));
            serde_json::from_str(line).unwrap()
        })
        .collect();
    assert_eq!(docs.len(), 4);
    let field = |i: usize, name: &str| docs[i][name].clone();
    let routes: Vec<_> = (0..4).map(|i| field(i, "Route")).collect();
    assert_eq!(routes, ["info", "image", "image", "info"]);
    let classes: Vec<_> = (0..4).map(|i| field(i, "StatusClass")).collect();
    assert_eq!(classes, ["2xx", "2xx", "2xx", "4xx"]);
    let cold: Vec<_> = (0..4).map(|i| field(i, "ColdStart")).collect();
    assert_eq!(cold, [1, 0, 0, 0]);
    for doc in &docs {
        let directive = &doc["_aws"]["CloudWatchMetrics"][0];
        assert_eq!(directive["Namespace"], "Museum/IIIF");
        assert_eq!(doc["Function"], "tessera-eu-west-1-abc");
        assert!(doc["Latency"].as_f64().unwrap() > 0.0);
    }
    // Only the image requests rendered; the second reused the opened image.
    assert!(docs[0].get("RenderTime").is_none());
    assert!(docs[1]["RenderTime"].as_f64().unwrap() > 0.0);
    assert_eq!(
        (field(1, "OpenedImageMisses"), field(2, "OpenedImageHits")),
        (1.into(), 1.into())
    );
    // info.json walked the directories; the tiles found its facts.
    assert_eq!(field(0, "FactsCacheMisses"), 1);
    assert_eq!(field(1, "FactsCacheHits"), 1);
}

#[tokio::test]
async fn emf_lines_follow_the_setting_and_the_front_door() {
    let dir = fixture_dir();
    let path = "/iiif/3/quad.tif/info.json";
    // Off: no line on Lambda.
    let (app, lines) = app_with_emf(dir.path(), |c| c.metrics = MetricsMode::Off);
    assert_eq!(invoke(&app, path).await, 200);
    assert!(lines.lock().unwrap().is_empty());
    // Auto: none from the standalone server either (it has /metrics).
    let (app, lines) = app_with_emf(dir.path(), |_| {});
    assert_eq!(get(&app, path, &[]).await.status(), 200);
    assert!(lines.lock().unwrap().is_empty());
    // Emf: the standalone server prints them too (for a CloudWatch agent).
    let (app, lines) = app_with_emf(dir.path(), |c| c.metrics = MetricsMode::Emf);
    assert_eq!(get(&app, path, &[]).await.status(), 200);
    assert_eq!(lines.lock().unwrap().len(), 1);
}

#[test]
fn a_bad_namespace_stops_the_app_at_start() {
    let dir = fixture_dir();
    let mut config = Config::from_env().expect("default configuration");
    config.metrics_namespace = "AWS/Lambda".into();
    let store = Arc::new(FileStore::new(dir.path(), "").unwrap());
    let err = App::with_store(config, store).err().expect("refused");
    assert!(err.contains("TESSERA_METRICS_NAMESPACE"), "{err}");
}
