//! The human side of the standalone server: an index of the served images and a viewer
//! page that opens any identifier in OpenSeadragon or Mirador, whose builds are installed
//! from the npm registry at set-up time and served from disk here (no CDN). Mirador's
//! package ships a self-contained UMD bundle (`dist/mirador.min.js`, React included), so
//! it is served as is, with no bundling step of our own.

use super::error::{ErrorKind, ServiceError};
use super::respond::set;
use super::App;
use crate::images::ImageError;
use bytes::Bytes;
use http::header::{CACHE_CONTROL, CONTENT_TYPE};
use http::{Response, StatusCode};
use std::path::{Path, PathBuf};

const VIEWER_HTML: &str = include_str!("assets/viewer.html");

/// `/viewer`, `/viewer/openseadragon/...` and `/viewer/mirador/...`; anything else is 404.
pub(crate) async fn serve(
    app: &App,
    path: &str,
    _query: Option<&str>,
) -> Result<Response<Bytes>, ServiceError> {
    if path == "/viewer" || path == "/viewer/" {
        return Ok(page(app, VIEWER_HTML.to_string()));
    }
    let (root, asset) = if let Some(asset) = path.strip_prefix("/viewer/openseadragon/") {
        (&app.config.viewer_assets, asset)
    } else if let Some(asset) = path.strip_prefix("/viewer/mirador/") {
        (&app.config.mirador_assets, asset)
    } else {
        return Err(ServiceError::new(
            ErrorKind::NotFound,
            format!("no route {path}"),
        ));
    };
    let file = asset_path(root, asset)
        .ok_or_else(|| ServiceError::new(ErrorKind::NotFound, format!("no asset {asset}")))?;
    let bytes = tokio::fs::read(&file)
        .await
        .map_err(|e| ServiceError::new(ErrorKind::NotFound, format!("{}: {e}", file.display())))?;
    let mut resp = app.policy.response(StatusCode::OK, Bytes::from(bytes));
    set(resp.headers_mut(), CONTENT_TYPE, asset_type(asset));
    set(resp.headers_mut(), CACHE_CONTROL, "public, max-age=3600");
    Ok(resp)
}

/// Only plain names (`openseadragon.min.js`, `images/zoomin_rest.png`) are served.
fn asset_path(root: &Path, asset: &str) -> Option<PathBuf> {
    let plain = |s: &str| {
        !s.is_empty()
            && !s.starts_with('.')
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b))
    };
    let ok = match asset.split_once('/') {
        Some(("images", name)) => plain(name),
        Some(_) => false,
        None => plain(asset),
    };
    ok.then(|| root.join(asset))
}

fn asset_type(name: &str) -> &'static str {
    match name.rsplit('.').next() {
        Some("js") => "text/javascript; charset=utf-8",
        Some("png") => "image/png",
        Some("map") => "application/json",
        Some("css") => "text/css",
        _ => "application/octet-stream",
    }
}

/// `/`: every image under the file store's root, with viewer and info.json links.
pub(crate) async fn index(app: &App) -> Result<Response<Bytes>, ServiceError> {
    let names = app.images.store().list().await.map_err(ImageError::from)?;
    let mut rows = String::new();
    for name in &names {
        let q = percent_encoding::utf8_percent_encode(name, percent_encoding::NON_ALPHANUMERIC);
        let label = escape_html(name);
        rows.push_str(&format!(
            "<li><b>{label}</b> &mdash; <a href=\"/viewer?v=3&amp;id={q}\">OpenSeadragon</a> \
             <a href=\"/viewer?viewer=mirador&amp;v=3&amp;id={q}\">Mirador</a> \
             (<a href=\"/viewer?v=2&amp;id={q}\">2.1</a>) \
             <a href=\"/iiif/3/{q}/info.json\">info.json 3.0</a> \
             <a href=\"/iiif/2/{q}/info.json\">info.json 2.1</a> \
             <a href=\"/iiif/manifest/3/{q}\">manifest</a></li>\n"
        ));
    }
    if names.is_empty() {
        rows.push_str("<li>No images listed (S3 source, or an empty root).</li>");
    }
    let html = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Tessera</title>\
         <style>body{{font-family:system-ui,sans-serif;margin:2em}}li{{margin:.4em 0}}</style>\
         </head><body><h1>Tessera</h1><p>IIIF Image API 3.0 at <code>/iiif/3/</code>, 2.1 at \
         <code>/iiif/2/</code>.</p><ul>\n{rows}</ul></body></html>"
    );
    Ok(page(app, html))
}

fn page(app: &App, html: String) -> Response<Bytes> {
    let mut resp = app.policy.response(StatusCode::OK, Bytes::from(html));
    set(resp.headers_mut(), CONTENT_TYPE, "text/html; charset=utf-8");
    set(resp.headers_mut(), CACHE_CONTROL, "no-cache");
    resp
}

fn escape_html(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_asset_names_are_served() {
        let root = Path::new("/assets");
        assert!(asset_path(root, "openseadragon.min.js").is_some());
        assert!(asset_path(root, "images/home_rest.png").is_some());
        for bad in [
            "../x",
            "images/../x",
            ".hidden",
            "a/b",
            "images/",
            "",
            "x%2F..",
            "images/a/b",
        ] {
            assert!(asset_path(root, bad).is_none(), "{bad}");
        }
    }
}
