//! The Presentation 3 manifest Tessera makes for any identifier (what Mirador opens), and
//! the viewer assets it serves: driven through `service::handle` over real files.

mod common;
use common::*;
use serde_json::Value;

fn json(resp: &http::Response<bytes::Bytes>) -> Value {
    assert_eq!(
        resp.status(),
        200,
        "{:?}",
        String::from_utf8_lossy(resp.body())
    );
    serde_json::from_slice(resp.body()).expect("JSON body")
}

#[tokio::test]
async fn manifest_paints_one_canvas_with_the_image_service() {
    let dir = fixture_dir();
    let app = app(dir.path());
    let resp = get(&app, "/iiif/manifest/3/quad.tif", &[]).await;
    let doc = json(&resp);
    assert_eq!(
        header(&resp, "content-type"),
        "application/ld+json;profile=\"http://iiif.io/api/presentation/3/context.json\""
    );
    assert_eq!(header(&resp, "access-control-allow-origin"), "*");
    assert_eq!(
        doc["@context"],
        "http://iiif.io/api/presentation/3/context.json"
    );
    assert_eq!(doc["type"], "Manifest");
    assert_eq!(doc["id"], "http://tessera.test/iiif/manifest/3/quad.tif");
    assert_eq!(doc["label"]["none"][0], "quad.tif");
    let canvas = &doc["items"][0];
    assert_eq!(canvas["type"], "Canvas");
    assert_eq!(
        (canvas["width"].as_u64(), canvas["height"].as_u64()),
        (Some(1000), Some(800))
    );
    let page = &canvas["items"][0];
    assert_eq!(page["type"], "AnnotationPage");
    let annotation = &page["items"][0];
    assert_eq!(annotation["motivation"], "painting");
    assert_eq!(annotation["target"], canvas["id"]);
    let body = &annotation["body"];
    assert_eq!(body["type"], "Image");
    assert_eq!(body["format"], "image/jpeg");
    assert_eq!(
        (body["width"].as_u64(), body["height"].as_u64()),
        (Some(1000), Some(800))
    );
    let service = &body["service"][0];
    assert_eq!(service["id"], "http://tessera.test/iiif/3/quad.tif");
    assert_eq!(service["type"], "ImageService3");
    assert_eq!(service["profile"], "level2");
    // The URLs it names are served: the body image, and the service's info.json.
    let path = |url: &Value| url.as_str().unwrap().replace("http://tessera.test", "");
    let image = get(&app, &path(&body["id"]), &[]).await;
    assert_eq!(
        decode(&image, image::ImageFormat::Jpeg).width(),
        1000,
        "full/max of a 1000 px image"
    );
    let info = get(&app, &format!("{}/info.json", path(&service["id"])), &[]).await;
    assert_eq!(json(&info)["id"], service["id"]);
}

#[tokio::test]
async fn manifest_for_2_1_a_page_and_an_encoded_slash() {
    let dir = fixture_dir();
    let app = app(dir.path());
    let doc = json(&get(&app, "/iiif/manifest/2/sub%2Fnested.png", &[]).await);
    assert_eq!(
        doc["id"],
        "http://tessera.test/iiif/manifest/2/sub%2Fnested.png"
    );
    assert_eq!(doc["label"]["none"][0], "sub/nested.png");
    let body = &doc["items"][0]["items"][0]["items"][0]["body"];
    assert_eq!(body["width"], 300);
    assert_eq!(
        body["service"][0]["@id"],
        "http://tessera.test/iiif/2/sub%2Fnested.png"
    );
    assert_eq!(body["service"][0]["@type"], "ImageService2");
    // A page of a multi-page TIFF is an identifier like any other.
    let page = json(&get(&app, "/iiif/manifest/3/doc.tif;2", &[]).await);
    assert_eq!(page["items"][0]["height"], 400);
    assert_eq!(
        page["id"],
        "http://tessera.test/iiif/manifest/3/doc.tif%3B2"
    );
}

#[tokio::test]
async fn manifest_urls_follow_the_public_url() {
    let dir = fixture_dir();
    let app = app(dir.path());
    let forwarded = [
        ("x-forwarded-proto", "https"),
        ("x-forwarded-host", "images.example.org"),
        ("x-forwarded-prefix", "/museum"),
    ];
    let doc = json(&get(&app, "/iiif/manifest/3/quad.jpg", &forwarded).await);
    let base = "https://images.example.org/museum";
    assert_eq!(doc["id"], format!("{base}/iiif/manifest/3/quad.jpg"));
    let body = &doc["items"][0]["items"][0]["items"][0]["body"];
    assert_eq!(
        body["id"],
        format!("{base}/iiif/3/quad.jpg/full/max/0/default.jpg")
    );
    assert_eq!(body["service"][0]["id"], format!("{base}/iiif/3/quad.jpg"));
}

#[tokio::test]
async fn manifest_errors_are_the_image_apis() {
    let dir = fixture_dir();
    let app = app(dir.path());
    for (path, status) in [
        ("/iiif/manifest/3/missing.tif", 404),
        ("/iiif/manifest/4/quad.tif", 404),
        ("/iiif/manifest/3/", 404),
        ("/iiif/manifest/3/quad.tif/extra", 404),
        ("/iiif/manifest/3/..%2F..%2Fetc%2Fpasswd", 403),
        ("/iiif/manifest/3/%zz", 400),
    ] {
        let resp = get(&app, path, &[]).await;
        assert_eq!(resp.status(), status, "{path}");
        assert_eq!(header(&resp, "cache-control"), "no-store", "{path}");
    }
}

#[tokio::test]
async fn mirador_is_served_from_its_assets_directory() {
    let dir = fixture_dir();
    let assets = tempfile::tempdir().unwrap();
    std::fs::write(assets.path().join("mirador.min.js"), "window.Mirador = {};").unwrap();
    let app = app_with(dir.path(), |c| {
        c.mirador_assets = assets.path().to_path_buf()
    });
    let js = get(&app, "/viewer/mirador/mirador.min.js", &[]).await;
    assert_eq!(js.status(), 200);
    assert_eq!(
        header(&js, "content-type"),
        "text/javascript; charset=utf-8"
    );
    assert_eq!(&js.body()[..], b"window.Mirador = {};");
    assert_eq!(get(&app, "/viewer/mirador/..%2Fx", &[]).await.status(), 404);
    let page = get(&app, "/viewer?viewer=mirador&id=quad.tif", &[]).await;
    let html = String::from_utf8_lossy(page.body());
    assert!(html.contains("/viewer/mirador/mirador.min.js") && html.contains("/iiif/manifest/"));
}
