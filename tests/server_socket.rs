//! The standalone server over a real socket: HTTP/1.1 and h2c on one port, many
//! concurrent tile requests, and a graceful shutdown that ends the serve loop.

mod common;
use common::*;
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serves_http1_and_h2c_then_shuts_down_gracefully() {
    let dir = fixture_dir();
    let app = app(dir.path());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(tessera::doors::server::serve(listener, app, async {
        let _ = stopped.await;
    }));

    let base = format!("http://{addr}");
    let http1 = reqwest::Client::builder().http1_only().build().unwrap();
    let resp = http1
        .get(format!("{base}/iiif/3/quad.tif/info.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.version(), reqwest::Version::HTTP_11);
    assert_eq!(resp.status(), 200);

    let h2c = reqwest::Client::builder()
        .http2_prior_knowledge()
        .build()
        .unwrap();
    let resp = h2c
        .get(format!(
            "{base}/iiif/3/quad.tif/0,0,256,256/max/0/default.jpg"
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.version(), reqwest::Version::HTTP_2);
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["content-type"], "image/jpeg");

    // A viewer's burst: every 256 px tile at full resolution, at once, over one h2 connection.
    let mut tiles = Vec::new();
    for x in (0..1000).step_by(256) {
        for y in (0..800).step_by(256) {
            let url = format!("{base}/iiif/3/quad.tif/{x},{y},256,256/max/0/default.jpg");
            let client = h2c.clone();
            tiles.push(tokio::spawn(async move {
                client.get(url).send().await.map(|r| r.status().as_u16())
            }));
        }
    }
    for tile in tiles {
        assert_eq!(tile.await.unwrap().unwrap(), 200);
    }

    stop.send(()).unwrap();
    tokio::time::timeout(Duration::from_secs(25), server)
        .await
        .expect("serve returns after shutdown")
        .unwrap();
    assert!(
        http1.get(format!("{base}/health")).send().await.is_err(),
        "no longer listening"
    );
}
