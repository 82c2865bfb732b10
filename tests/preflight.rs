//! Preflight headers (serverless-iiif's `x-preflight-location` and
//! `x-preflight-dimensions`) through the service: ignored unless `TESSERA_PREFLIGHT` is on;
//! when on, the location replaces the identifier's object (file and S3), the dimensions
//! answer info.json, a malformed value is 400 and a location outside the root or bucket
//! 403 (both `no-store`), and two locations for one identifier never share an answer.

mod common;

use common::{app, app_with, fixture_dir, get, header};
use serde_json::Value;

const LOCATION: &str = "x-preflight-location";
const DIMENSIONS: &str = "x-preflight-dimensions";

fn json(resp: &http::Response<bytes::Bytes>) -> Value {
    assert_eq!(resp.status(), 200, "{:?}", resp.body());
    serde_json::from_slice(resp.body()).unwrap()
}

#[tokio::test]
async fn headers_are_ignored_unless_trusted() {
    let dir = fixture_dir();
    let app = app(dir.path());
    let path = "/iiif/3/alias.tif/info.json";
    let resp = get(&app, path, &[(LOCATION, "quad.tif")]).await;
    assert_eq!(resp.status(), 404);
    let resp = get(&app, path, &[(DIMENSIONS, r#"{"width":5,"height":5}"#)]).await;
    assert_eq!(resp.status(), 404);
}

#[tokio::test]
async fn a_trusted_location_replaces_the_identifiers_object() {
    let dir = fixture_dir();
    let app = app_with(dir.path(), |c| c.preflight = true);
    let info = json(
        &get(
            &app,
            "/iiif/3/alias.tif/info.json",
            &[(LOCATION, "quad.tif")],
        )
        .await,
    );
    assert_eq!(
        (info["width"].as_u64(), info["height"].as_u64()),
        (Some(1000), Some(800))
    );
    assert!(
        info["id"].as_str().unwrap().ends_with("/iiif/3/alias.tif"),
        "{info}"
    );
    // Pixels of the located image: quad.tif's red top-left quadrant.
    let tile = get(
        &app,
        "/iiif/3/alias.tif/0,0,100,100/max/0/default.png",
        &[(LOCATION, "quad.tif")],
    )
    .await;
    let img = common::decode(&tile, image::ImageFormat::Png);
    assert!(common::near(common::rgb_at(&img, 50, 50), common::RED, 8));
    // Without the header the identifier means itself again.
    assert_eq!(
        get(&app, "/iiif/3/alias.tif/info.json", &[]).await.status(),
        404
    );
}

#[tokio::test]
async fn two_locations_for_one_identifier_never_share_an_answer() {
    let dir = fixture_dir();
    let app = app_with(dir.path(), |c| c.preflight = true);
    let info = "/iiif/3/same/info.json";
    let a = json(&get(&app, info, &[(LOCATION, "quad.tif")]).await);
    let b = json(&get(&app, info, &[(LOCATION, "sub/nested.png")]).await);
    assert_eq!(a["width"], 1000);
    assert_eq!(b["width"], 300);
    let image = "/iiif/3/same/full/100,/0/default.jpg";
    let a = get(&app, image, &[(LOCATION, "quad.tif")]).await;
    let b = get(&app, image, &[(LOCATION, "sub/nested.png")]).await;
    assert_eq!((a.status().as_u16(), b.status().as_u16()), (200, 200));
    assert_ne!(header(&a, "etag"), header(&b, "etag"));
    assert_ne!(a.body(), b.body());
    // A conditional request with the other location's ETag is answered in full.
    let etag_a = header(&a, "etag").to_string();
    let again = get(
        &app,
        image,
        &[(LOCATION, "sub/nested.png"), ("if-none-match", &etag_a)],
    )
    .await;
    assert_eq!(again.status(), 200);
}

#[tokio::test]
async fn trusted_dimensions_answer_info_json_without_reading() {
    let dir = fixture_dir();
    let app = app_with(dir.path(), |c| c.preflight = true);
    let dims = r#"[{"width": 320, "height": 240}, {"width": 640, "height": 480}]"#;
    // No such file: the dimensions are the answer.
    let info = json(&get(&app, "/iiif/3/nowhere.tif/info.json", &[(DIMENSIONS, dims)]).await);
    assert_eq!(
        (info["width"].as_u64(), info["height"].as_u64()),
        (Some(640), Some(480))
    );
    let sizes: Vec<u64> = info["sizes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["width"].as_u64().unwrap())
        .collect();
    assert_eq!(sizes, [320, 640]);
}

#[tokio::test]
async fn bad_preflights_are_400_and_escapes_403() {
    let dir = fixture_dir();
    let app = app_with(dir.path(), |c| c.preflight = true);
    let path = "/iiif/3/alias.tif/info.json";
    for (name, value, status) in [
        (LOCATION, "../outside.tif", 403),
        (LOCATION, "/etc/passwd", 403),
        (LOCATION, "sub/../../x.tif", 403),
        (LOCATION, "s3://bucket/key.tif", 400),
        (LOCATION, "", 400),
        (DIMENSIONS, "{not json", 400),
        (DIMENSIONS, r#"{"width": 0, "height": 10}"#, 400),
        (LOCATION, "missing.tif", 404),
    ] {
        let resp = get(&app, path, &[(name, value)]).await;
        assert_eq!(resp.status(), status, "{name}: {value:?}");
        assert_eq!(
            header(&resp, "cache-control"),
            "no-store",
            "{name}: {value:?}"
        );
    }
    // The server keeps serving.
    assert_eq!(
        get(&app, "/iiif/3/quad.tif/info.json", &[]).await.status(),
        200
    );
}

#[test]
fn s3_locations_are_keys_of_the_configured_bucket() {
    let dir = fixture_dir();
    let stage = common::s3::Stage::start("tessera-preflight");
    let runtime = &stage.runtime;
    stage.put(
        "deep/path/real.tif",
        std::fs::read(dir.path().join("quad.tif")).unwrap(),
    );
    let reader = stage.reader(64 * 1024, 64 << 20);
    let bucket = stage.bucket.clone();
    let app = runtime.block_on(async {
        common::app_s3(reader, |c| {
            c.bucket = bucket;
            c.preflight = true;
        })
    });
    let located = format!("s3://{}/deep/path/real.tif", stage.bucket);
    let path = "/iiif/3/public-name/info.json";
    let info = runtime.block_on(get(&app, path, &[(LOCATION, &located)]));
    assert_eq!(json(&info)["width"], 1000);
    let tile = runtime.block_on(get(
        &app,
        "/iiif/3/public-name/0,0,256,256/256,/0/default.jpg",
        &[(LOCATION, &located)],
    ));
    assert_eq!(tile.status(), 200);
    let elsewhere = runtime.block_on(get(
        &app,
        path,
        &[(LOCATION, "s3://another-bucket/deep/path/real.tif")],
    ));
    assert_eq!(elsewhere.status(), 403);
    let not_s3 = runtime.block_on(get(&app, path, &[(LOCATION, "deep/path/real.tif")]));
    assert_eq!(not_s3.status(), 400);
}
