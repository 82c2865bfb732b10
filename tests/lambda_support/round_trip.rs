//! The round trip both end-to-end tests run: HTTP requests into the emulated Function URL,
//! answered by a real `bootstrap` process, checked as a viewer would see them.

use super::emulator::{Emulator, Function};
use super::BUFFERED_LIMIT;
use serde_json::Value;
use std::time::Duration;

/// info.json with the viewer-facing `id`, a tile (JPEG and AVIF), a streamed full-size image over 6 MB, a
/// 404, every answer streamed (chunked), and one JSON log line per request.
pub async fn round_trip(emulator: &Emulator, function: &Function) {
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(120))
        .build()
        .unwrap();
    let url = |path: &str| format!("{}{path}", emulator.function_url);

    let info = client
        .get(url("/iiif/3/quad.tif/info.json"))
        .header("x-forwarded-host", "images.example.org")
        .send()
        .await
        .unwrap();
    assert_eq!(info.status(), 200, "log:\n{}", function.log_text());
    let info: Value = serde_json::from_slice(&info.bytes().await.unwrap()).unwrap();
    assert_eq!(info["id"], "https://images.example.org/iiif/3/quad.tif");

    let tile = client
        .get(url("/iiif/3/quad.tif/0,0,512,512/256,/0/default.jpg"))
        .send()
        .await
        .unwrap();
    assert_eq!(tile.status(), 200);
    assert_eq!(tile.headers()["content-type"], "image/jpeg");
    let tile = tile.bytes().await.unwrap();
    let img = image::load_from_memory(&tile).unwrap();
    assert_eq!((img.width(), img.height()), (256, 256));

    // AVIF needs libheif and its AV1 encoder, which the bundle must carry.
    let avif = client
        .get(url("/iiif/3/quad.tif/0,0,512,512/256,/0/default.avif"))
        .send()
        .await
        .unwrap();
    assert_eq!(avif.status(), 200, "log:\n{}", function.log_text());
    assert_eq!(avif.headers()["content-type"], "image/avif");
    assert_eq!(&avif.bytes().await.unwrap()[4..12], b"ftypavif");

    let large = client
        .get(url("/iiif/3/noise.png/full/max/0/default.png"))
        .send()
        .await
        .unwrap();
    assert_eq!(large.status(), 200);
    assert_eq!(
        large.headers()["cache-control"],
        "public, max-age=86400, s-maxage=31536000"
    );
    let large = large.bytes().await.unwrap();
    assert!(large.len() > BUFFERED_LIMIT, "{} bytes", large.len());
    let img = image::load_from_memory(&large).unwrap();
    assert_eq!((img.width(), img.height()), (1800, 1800));

    let missing = client
        .get(url("/iiif/3/nothing-here.tif/info.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
    assert_eq!(missing.headers()["cache-control"], "no-store");

    assert_eq!(emulator.init_error(), None);
    let invocations = emulator.invocations();
    assert_eq!(invocations.len(), 5);
    for inv in &invocations {
        assert_eq!(inv.response_mode.as_deref(), Some("streaming"), "{inv:?}");
        assert_eq!(inv.transfer_encoding.as_deref(), Some("chunked"), "{inv:?}");
    }
    assert!(invocations[3].posted_bytes > BUFFERED_LIMIT);

    // One JSON log line per request, with its status.
    let log = function.log_text();
    let requests: Vec<Value> = log
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|v| v["message"] == "request")
        .collect();
    let statuses: Vec<u64> = requests
        .iter()
        .filter_map(|v| v["status"].as_u64())
        .collect();
    assert_eq!(statuses, vec![200, 200, 200, 200, 404], "log:\n{log}");
}
