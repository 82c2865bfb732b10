//! What depends on how a request is written: CORS headers (a fixed `*`, a reflected
//! Origin with credentials, a list of origins), info.json's gzip for clients that accept
//! it, and the canonical percent-encoding CloudFront's viewer-request function sends.

mod common;
use common::*;

fn vary(resp: &http::Response<bytes::Bytes>) -> Vec<String> {
    resp.headers()
        .get_all("vary")
        .iter()
        .flat_map(|v| v.to_str().unwrap().split(','))
        .map(|v| v.trim().to_ascii_lowercase())
        .collect()
}

#[tokio::test]
async fn cors_reflects_the_origin_with_credentials_and_varies_on_it() {
    let dir = fixture_dir();
    let app = app_with(dir.path(), |c| {
        c.cors_origin = "reflect".into();
        c.cors_credentials = true;
        c.cors_expose_headers = "Link, ETag".into();
        c.cors_max_age = 600;
    });
    let origin = ("origin", "https://viewer.example");
    for path in [
        "/iiif/3/quad.tif/info.json",
        "/iiif/3/missing.tif/info.json",
    ] {
        let resp = get(&app, path, &[origin]).await;
        assert_eq!(
            header(&resp, "access-control-allow-origin"),
            origin.1,
            "{path}"
        );
        assert_eq!(header(&resp, "access-control-allow-credentials"), "true");
        assert!(vary(&resp).contains(&"origin".to_string()), "{path}");
    }
    let info = get(&app, "/iiif/3/quad.tif/info.json", &[origin]).await;
    assert_eq!(header(&info, "access-control-expose-headers"), "Link, ETag");
    // info.json's own Vary is kept beside Origin.
    assert!(vary(&info).contains(&"accept".to_string()));
    let pre = request(&app, "OPTIONS", "/iiif/3/quad.tif/info.json", &[origin]).await;
    assert_eq!(header(&pre, "access-control-allow-origin"), origin.1);
    assert_eq!(header(&pre, "access-control-max-age"), "600");
    // No Origin, nothing to name; the answer still varies on it.
    let plain = get(&app, "/iiif/3/quad.tif/info.json", &[]).await;
    assert!(plain.headers().get("access-control-allow-origin").is_none());
    assert!(vary(&plain).contains(&"origin".to_string()));
}

#[tokio::test]
async fn cors_lists_name_their_origins_only() {
    let dir = fixture_dir();
    let app = app_with(dir.path(), |c| {
        c.cors_origin = "https://a.example,https://b.example".into();
    });
    let path = "/iiif/3/quad.tif/info.json";
    let b = get(&app, path, &[("origin", "https://b.example")]).await;
    assert_eq!(
        header(&b, "access-control-allow-origin"),
        "https://b.example"
    );
    assert!(b
        .headers()
        .get("access-control-allow-credentials")
        .is_none());
    let other = get(&app, path, &[("origin", "https://evil.example")]).await;
    assert_eq!(other.status(), 200);
    assert!(other.headers().get("access-control-allow-origin").is_none());
    assert!(vary(&other).contains(&"origin".to_string()));
}

#[tokio::test]
async fn info_json_is_gzipped_for_clients_that_accept_it() {
    use std::io::Read;
    let dir = fixture_dir();
    let app = app(dir.path());
    let path = "/iiif/3/quad.tif/info.json";
    let plain = get(&app, path, &[]).await;
    assert!(plain.headers().get("content-encoding").is_none());
    let zipped = get(&app, path, &[("accept-encoding", "gzip, deflate, br")]).await;
    assert_eq!(zipped.status(), 200);
    assert_eq!(header(&zipped, "content-encoding"), "gzip");
    assert!(vary(&zipped).contains(&"accept-encoding".to_string()));
    assert!(vary(&plain).contains(&"accept-encoding".to_string()));
    assert!(zipped.body().len() < plain.body().len());
    let mut text = Vec::new();
    flate2::read::GzDecoder::new(&zipped.body()[..])
        .read_to_end(&mut text)
        .unwrap();
    assert_eq!(text, plain.body().to_vec());
    // Two representations, two validators; each revalidates on its own.
    let tag = header(&zipped, "etag").to_string();
    assert_ne!(tag, header(&plain, "etag"));
    let again = get(
        &app,
        path,
        &[("accept-encoding", "gzip"), ("if-none-match", &tag)],
    )
    .await;
    assert_eq!(again.status(), 304);
    // Images are never gzipped.
    let tile = get(
        &app,
        "/iiif/3/quad.tif/full/100,/0/default.jpg",
        &[("accept-encoding", "gzip")],
    )
    .await;
    assert!(tile.headers().get("content-encoding").is_none());
}

/// CloudFront's viewer-request function (template.yaml) rewrites every /iiif/ path to one
/// canonical percent-encoding before origin access control signs it; the service must
/// read the rewritten path as the same request.
#[tokio::test]
async fn canonically_encoded_paths_mean_the_same_request() {
    let dir = fixture_dir();
    let app = app(dir.path());
    for (raw, canonical) in [
        (
            "/iiif/3/quad.tif/pct:10,20,30,40/!100,100/0/default.jpg",
            "/iiif/3/quad.tif/pct%3A10%2C20%2C30%2C40/%21100%2C100/0/default.jpg",
        ),
        (
            "/iiif/3/quad.tif/full/^max/0/default.png",
            "/iiif/3/quad.tif/full/%5Emax/0/default.png",
        ),
        (
            "/iiif/3/sub%2fnested.png/info.json",
            "/iiif/3/sub%2Fnested.png/info.json",
        ),
        (
            "/iiif/manifest/3/sub%2fnested.png",
            "/iiif/manifest/3/sub%2Fnested.png",
        ),
    ] {
        let a = get(&app, raw, &[]).await;
        let b = get(&app, canonical, &[]).await;
        assert_eq!(a.status(), 200, "{raw}");
        assert_eq!(b.status(), 200, "{canonical}");
        assert_eq!(header(&a, "etag"), header(&b, "etag"), "{canonical}");
    }
}
