//! Every `events/*.json` (the Function URL payloads `sam local invoke -e` takes) parsed by
//! lambda_http's own request parsing and answered by the service through the Lambda glue,
//! with status, headers and body checked. An event file without a case here fails the
//! test, so the folder and the expectations cannot drift apart.

mod common;
mod lambda_support;

use bytes::Bytes;
use common::*;
use http::Response;
use lambda_support::*;
use serde_json::Value;
use tessera::service::App;

async fn invoke(app: &App, name: &str) -> Response<Bytes> {
    let req = lambda_http::request::from_str(&event_text(name))
        .unwrap_or_else(|e| panic!("{name}.json does not parse as a Lambda HTTP event: {e}"));
    tessera::doors::lambda::respond(app, req).await
}

/// The body as JSON; the events accept gzip as browsers do, so info.json comes gzipped.
fn json(resp: &Response<Bytes>) -> Value {
    let mut body = resp.body().to_vec();
    if resp
        .headers()
        .get("content-encoding")
        .is_some_and(|v| v == "gzip")
    {
        use std::io::Read;
        let mut text = Vec::new();
        flate2::read::GzDecoder::new(&body[..])
            .read_to_end(&mut text)
            .expect("gzip body");
        body = text;
    }
    serde_json::from_slice(&body).expect("JSON body")
}

fn assert_error(resp: &Response<Bytes>, status: u16, body_start: &str) {
    assert_eq!(resp.status(), status);
    assert_eq!(header(resp, "cache-control"), "no-store");
    assert_eq!(header(resp, "content-type"), "text/plain; charset=utf-8");
    let body = String::from_utf8_lossy(resp.body());
    assert!(body.starts_with(body_start), "body: {body}");
}

/// Checks one event's answer; panics on an event without a case.
fn check(name: &str, resp: &Response<Bytes>) {
    const VIEWER_BASE: &str = "https://images.example.org";
    let cacheable = "public, max-age=86400, s-maxage=31536000";
    match name {
        "info-v3" => {
            assert_eq!(resp.status(), 200);
            assert_eq!(header(resp, "cache-control"), cacheable);
            assert_eq!(json(resp)["id"], format!("{VIEWER_BASE}/iiif/3/quad.tif"));
            assert_eq!(json(resp)["width"], 1000);
        }
        "info-v2" => {
            assert_eq!(resp.status(), 200);
            assert_eq!(header(resp, "content-type"), "application/ld+json");
            assert_eq!(json(resp)["@id"], format!("{VIEWER_BASE}/iiif/2/quad.tif"));
        }
        "info-direct" => {
            // Called on the Function URL itself: no X-Forwarded-Host, so the Host header.
            assert_eq!(resp.status(), 200);
            assert_eq!(
                json(resp)["id"],
                "https://abcdefghij0123456789abcdefghij01.lambda-url.us-east-1.on.aws/iiif/3/quad.tif"
            );
        }
        "tile" => {
            let img = decode(resp, image::ImageFormat::Jpeg);
            assert_eq!((img.width(), img.height()), (256, 256));
            assert!(near(rgb_at(&img, 128, 128), RED, 24));
            assert_eq!(header(resp, "cache-control"), cacheable);
            // The canonical link names the viewer-facing URL in canonical form (w,h).
            let link = header(resp, "link");
            let want = format!(
                "<{VIEWER_BASE}/iiif/3/quad.tif/0,0,512,512/256,256/0/default.jpg>;rel=\"canonical\""
            );
            assert!(link.starts_with(&want), "{link}");
        }
        "head-tile" => {
            assert_eq!(resp.status(), 200);
            assert!(resp.body().is_empty());
            assert_eq!(header(resp, "content-type"), "image/jpeg");
            assert!(header(resp, "content-length").parse::<u64>().unwrap() > 1000);
        }
        "full-large" => {
            assert!(
                resp.body().len() > BUFFERED_LIMIT,
                "only {} bytes: the event no longer proves streaming",
                resp.body().len()
            );
            let img = decode(resp, image::ImageFormat::Png);
            assert_eq!((img.width(), img.height()), (1800, 1800));
        }
        "base-redirect" => {
            assert_eq!(resp.status(), 303);
            assert_eq!(
                header(resp, "location"),
                format!("{VIEWER_BASE}/iiif/3/quad.tif/info.json")
            );
        }
        "options-preflight" => {
            assert_eq!(resp.status(), 204);
            assert_eq!(header(resp, "access-control-allow-origin"), "*");
            assert!(header(resp, "access-control-allow-methods").contains("GET"));
            assert_eq!(header(resp, "access-control-allow-headers"), "range");
        }
        "encoded-slash" => {
            assert_eq!(resp.status(), 200);
            let info = json(resp);
            assert_eq!(info["id"], format!("{VIEWER_BASE}/iiif/3/sub%2Fnested.png"));
            assert_eq!(
                (info["width"].as_u64(), info["height"].as_u64()),
                (Some(300), Some(200))
            );
        }
        "bad-region" => assert_error(resp, 400, "Bad request"),
        "missing-image" => assert_error(resp, 404, "Not found"),
        other => panic!("events/{other}.json has no expected answer in tests/lambda_events.rs"),
    }
}

#[tokio::test]
async fn every_event_file_is_answered_as_expected() {
    let dir = event_fixtures();
    let app = app(dir.path());
    let names = event_names();
    assert!(names.len() >= 11, "events/ lost files: {names:?}");
    for name in &names {
        let resp = invoke(&app, name).await;
        check(name, &resp);
        // Every answer carries CORS, success or not.
        assert_eq!(header(&resp, "access-control-allow-origin"), "*", "{name}");
    }
}

#[tokio::test]
async fn configured_public_base_url_wins_over_forwarded_headers() {
    let dir = event_fixtures();
    let app = app_with(dir.path(), |c| {
        c.public_base_url = "https://iiif.example.com/images/".into();
    });
    let info = json(&invoke(&app, "info-v3").await);
    assert_eq!(
        info["id"],
        "https://iiif.example.com/images/iiif/3/quad.tif"
    );
    let redirect = invoke(&app, "base-redirect").await;
    assert_eq!(
        header(&redirect, "location"),
        "https://iiif.example.com/images/iiif/3/quad.tif/info.json"
    );
}
