//! HTTP behaviour of the service: info.json for both versions, redirects, CORS, caching
//! headers and conditional requests, HEAD, and hostile input answered with 4xx + no-store
//! while the service keeps serving.

mod common;
use common::*;
use serde_json::Value;

fn json(resp: &http::Response<bytes::Bytes>) -> Value {
    serde_json::from_slice(resp.body()).expect("JSON body")
}

#[tokio::test]
async fn info_json_3_describes_the_pyramid() {
    let dir = fixture_dir();
    let app = app(dir.path());
    let resp = get(&app, "/iiif/3/quad.tif/info.json", &[]).await;
    assert_eq!(resp.status(), 200);
    assert_eq!(
        header(&resp, "content-type"),
        "application/ld+json;profile=\"http://iiif.io/api/image/3/context.json\""
    );
    assert_eq!(header(&resp, "access-control-allow-origin"), "*");
    assert_eq!(
        header(&resp, "cache-control"),
        "public, max-age=86400, s-maxage=31536000"
    );
    assert!(
        header(&resp, "link").contains("<http://iiif.io/api/image/3/level2.json>;rel=\"profile\"")
    );
    let info = json(&resp);
    let text = String::from_utf8_lossy(resp.body());
    assert!(
        text.trim_start().starts_with("{\n  \"@context\""),
        "@context first: {text}"
    );
    assert_eq!(info["id"], "http://tessera.test/iiif/3/quad.tif");
    assert_eq!(info["type"], "ImageService3");
    assert_eq!(info["profile"], "level2");
    assert_eq!(
        (info["width"].as_u64(), info["height"].as_u64()),
        (Some(1000), Some(800))
    );
    assert_eq!(info["tiles"][0]["width"], 256);
    let factors: Vec<u64> = info["tiles"][0]["scaleFactors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_u64().unwrap())
        .collect();
    assert_eq!(factors, vec![1, 2, 4]);
    assert!(info["sizes"]
        .as_array()
        .unwrap()
        .iter()
        .any(|s| s["width"] == 1000 && s["height"] == 800));
    assert_eq!(info["maxWidth"], 10000);
    // Conditional request: the same ETag gives 304 with no body.
    let tag = header(&resp, "etag").to_string();
    let again = get(
        &app,
        "/iiif/3/quad.tif/info.json",
        &[("if-none-match", &tag)],
    )
    .await;
    assert_eq!(again.status(), 304);
    assert!(again.body().is_empty());
}

#[tokio::test]
async fn info_json_2_and_content_negotiation() {
    let dir = fixture_dir();
    let app = app(dir.path());
    let resp = get(&app, "/iiif/2/quad.jpg/info.json", &[]).await;
    assert_eq!(header(&resp, "content-type"), "application/json");
    let info = json(&resp);
    assert_eq!(info["@context"], "http://iiif.io/api/image/2/context.json");
    assert_eq!(info["@id"], "http://tessera.test/iiif/2/quad.jpg");
    assert_eq!(info["profile"][0], "http://iiif.io/api/image/2/level2.json");
    let ld = get(
        &app,
        "/iiif/2/quad.jpg/info.json",
        &[("accept", "application/ld+json")],
    )
    .await;
    assert_eq!(header(&ld, "content-type"), "application/ld+json");
    let plain3 = get(
        &app,
        "/iiif/3/quad.jpg/info.json",
        &[("accept", "application/json")],
    )
    .await;
    assert_eq!(header(&plain3, "content-type"), "application/json");
}

#[tokio::test]
async fn id_follows_the_public_url() {
    let dir = fixture_dir();
    let app = app(dir.path());
    let fwd = [
        ("x-forwarded-proto", "https"),
        ("x-forwarded-host", "images.example.org"),
        ("x-forwarded-prefix", "/museum"),
    ];
    let info = json(&get(&app, "/iiif/3/sub%2Fnested.png/info.json", &fwd).await);
    assert_eq!(
        info["id"],
        "https://images.example.org/museum/iiif/3/sub%2Fnested.png"
    );
    let configured = app_with(dir.path(), |c| {
        c.public_base_url = "https://cdn.example.org/".into()
    });
    let info = json(&get(&configured, "/iiif/3/quad.png/info.json", &fwd).await);
    assert_eq!(info["id"], "https://cdn.example.org/iiif/3/quad.png");
}

#[tokio::test]
async fn base_uri_redirects_to_info_json() {
    let dir = fixture_dir();
    let app = app(dir.path());
    let resp = get(&app, "/iiif/3/sub%2Fnested.png", &[]).await;
    assert_eq!(resp.status(), 303);
    assert_eq!(
        header(&resp, "location"),
        "http://tessera.test/iiif/3/sub%2Fnested.png/info.json"
    );
}

#[tokio::test]
async fn images_carry_caching_cors_and_link_headers() {
    let dir = fixture_dir();
    let app = app(dir.path());
    let resp = get(&app, "/iiif/3/quad.tif/square/pct:50/0/default.jpg", &[]).await;
    assert_eq!(resp.status(), 200);
    assert_eq!(
        header(&resp, "cache-control"),
        "public, max-age=86400, s-maxage=31536000"
    );
    assert_eq!(header(&resp, "access-control-allow-origin"), "*");
    let link = header(&resp, "link");
    assert!(link.contains("<http://tessera.test/iiif/3/quad.tif/100,0,800,800/400,400/0/default.jpg>;rel=\"canonical\""), "{link}");
    let tag = header(&resp, "etag").to_string();
    // The same image asked another way has the same canonical form, hence the same ETag.
    let same = get(
        &app,
        "/iiif/3/quad.tif/100,0,800,800/400,/0/default.jpg",
        &[],
    )
    .await;
    assert_eq!(header(&same, "etag"), tag);
    let not_modified = get(
        &app,
        "/iiif/3/quad.tif/square/pct:50/0/default.jpg",
        &[("if-none-match", &tag)],
    )
    .await;
    assert_eq!(not_modified.status(), 304);
    let head = request(
        &app,
        "HEAD",
        "/iiif/3/quad.tif/square/pct:50/0/default.jpg",
        &[],
    )
    .await;
    assert_eq!(head.status(), 200);
    assert!(head.body().is_empty());
    assert_eq!(
        header(&head, "content-length"),
        resp.body().len().to_string()
    );
}

#[tokio::test]
async fn preflight_health_and_methods() {
    let dir = fixture_dir();
    let app = app(dir.path());
    let pre = request(
        &app,
        "OPTIONS",
        "/iiif/3/quad.tif/info.json",
        &[
            ("origin", "https://viewer.example"),
            ("access-control-request-method", "GET"),
            ("access-control-request-headers", "accept"),
        ],
    )
    .await;
    assert_eq!(pre.status(), 204);
    assert_eq!(header(&pre, "access-control-allow-origin"), "*");
    assert!(header(&pre, "access-control-allow-methods").contains("GET"));
    assert_eq!(get(&app, "/health", &[]).await.status(), 200);
    let post = request(&app, "POST", "/iiif/3/quad.tif/info.json", &[]).await;
    assert_eq!(post.status(), 405);
    assert_eq!(header(&post, "cache-control"), "no-store");
}

#[tokio::test]
async fn hostile_requests_get_4xx_no_store_and_the_service_keeps_serving() {
    let dir = fixture_dir();
    let app = app(dir.path());
    let long = format!("/iiif/3/{}/info.json", "a".repeat(5000));
    let cases: Vec<(String, u16)> = vec![
        ("/iiif/3/..%2F..%2Fetc%2Fpasswd/info.json".into(), 403),
        ("/iiif/3/%2Fetc%2Fpasswd/info.json".into(), 403),
        ("/iiif/3/sub%2F..%2Fquad.png/info.json".into(), 403),
        ("/iiif/3/quad%00.png/info.json".into(), 400),
        ("/iiif/3/quad%zz.png/info.json".into(), 400),
        ("/iiif/3/%C3%28/info.json".into(), 400),
        (long, 400),
        ("/iiif/3/nothing-here/info.json".into(), 404),
        ("/iiif/3/a/b/full/max/0/default.jpg".into(), 404),
        (
            "/iiif/3/quad.tif/full/99999999999999,/0/default.jpg".into(),
            400,
        ),
        ("/iiif/3/quad.tif/full/^99999,/0/default.jpg".into(), 400),
        ("/iiif/3/quad.tif/full/2000,/0/default.jpg".into(), 400),
        ("/iiif/3/quad.tif/full/0,/0/default.jpg".into(), 400),
        ("/iiif/3/quad.tif/full/max/NaN/default.jpg".into(), 400),
        ("/iiif/3/quad.tif/full/max/-90/default.jpg".into(), 400),
        ("/iiif/3/quad.tif/full/max/inf/default.jpg".into(), 400),
        ("/iiif/3/quad.tif/full/max/361/default.jpg".into(), 400),
        ("/iiif/3/quad.tif/-1,0,10,10/max/0/default.jpg".into(), 400),
        (
            "/iiif/3/quad.tif/5000,5000,10,10/max/0/default.jpg".into(),
            400,
        ),
        ("/iiif/3/quad.tif/0,0,0,10/max/0/default.jpg".into(), 400),
        (
            "/iiif/3/quad.tif/pct:NaN,0,10,10/max/0/default.jpg".into(),
            400,
        ),
        ("/iiif/3/quad.tif/full/max/0/sepia.jpg".into(), 400),
        ("/iiif/3/quad.tif/full/max/0/default.bmp".into(), 400),
        ("/iiif/3/quad.tif/full/full/0/default.jpg".into(), 400),
        ("/iiif/2/quad.tif/full/^max/0/default.jpg".into(), 400),
        ("/nope".into(), 404),
    ];
    for (path, status) in &cases {
        let resp = get(&app, path, &[]).await;
        assert_eq!(resp.status().as_u16(), *status, "{path}");
        assert_eq!(header(&resp, "cache-control"), "no-store", "{path}");
        assert!(resp.body().len() < 300, "short body for {path}");
        assert!(
            !String::from_utf8_lossy(resp.body())
                .contains(&dir.path().to_string_lossy().to_string()),
            "no paths leak: {path}"
        );
    }
    // Not a real image: the file exists but is garbage.
    std::fs::write(
        dir.path().join("garbage.tif"),
        b"II*\0garbage garbage garbage",
    )
    .unwrap();
    let garbage = get(&app, "/iiif/3/garbage.tif/full/max/0/default.jpg", &[]).await;
    assert!(garbage.status().is_server_error() || garbage.status().is_client_error());
    assert_eq!(header(&garbage, "cache-control"), "no-store");
    assert_eq!(
        get(&app, "/iiif/3/quad.tif/full/100,/0/default.jpg", &[])
            .await
            .status(),
        200
    );
}

#[tokio::test]
async fn index_and_viewer_pages() {
    let dir = fixture_dir();
    let app = app(dir.path());
    let index = get(&app, "/", &[]).await;
    assert_eq!(index.status(), 200);
    let html = String::from_utf8_lossy(index.body());
    assert!(
        html.contains("quad.tif") && html.contains("/viewer?v=3&amp;id=sub%2Fnested%2Epng"),
        "{html}"
    );
    let viewer = get(&app, "/viewer?id=quad.tif", &[]).await;
    assert_eq!(viewer.status(), 200);
    assert!(String::from_utf8_lossy(viewer.body()).contains("openseadragon.min.js"));
}
