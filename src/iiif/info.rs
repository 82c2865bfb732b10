//! The image information document (info.json) for Image API 3.0 and 2.1.
//!
//! Everything declared here is a promise the planner keeps: the limits are the ones `plan`
//! enforces, every listed size and every tile at every scale factor plans without error
//! (the tests in `plan` walk them all), and the features are the ones the service provides
//! beyond the level-2 profile (the HTTP ones, such as `canonicalLinkHeader`, are promises
//! `service` must keep). Keys are inserted in the spec's order, with
//! `@context` first (serde_json is built with `preserve_order`).

use serde_json::{json, Map, Value};

use super::limits::Limits;
use super::model::{Dimensions, Format, ImageFacts, Quality};
use super::offer::{sizes, tiles, TileSpec};
use super::version::{context_uri, profile_uri, Version};

/// Service-side facts that info.json needs besides the image's own.
#[derive(Clone, Debug, PartialEq)]
pub struct InfoOptions {
    /// The image's base URI (scheme, host, prefix, encoded identifier), no trailing slash.
    pub id: String,
    pub version: Version,
    /// A rights or license URI (3.0 `rights`, 2.1 `license`).
    pub rights: Option<String>,
    pub limits: Limits,
    /// 3.0 `preferredFormats`, omitted when empty.
    pub preferred_formats: Vec<Format>,
}

/// Formats the level-2 profile already implies; 3.0's `extraFormats` lists only the rest.
const LEVEL2_FORMATS: [Format; 2] = [Format::Jpg, Format::Png];
const QUALITIES: [Quality; 4] = [
    Quality::Default,
    Quality::Color,
    Quality::Gray,
    Quality::Bitonal,
];
const EXTRA_FEATURES_3: [&str; 4] = [
    "canonicalLinkHeader",
    "mirroring",
    "profileLinkHeader",
    "rotationArbitrary",
];
const SUPPORTS_2: [&str; 17] = [
    "baseUriRedirect",
    "canonicalLinkHeader",
    "cors",
    "jsonldMediaType",
    "mirroring",
    "profileLinkHeader",
    "regionByPct",
    "regionByPx",
    "regionSquare",
    "rotationArbitrary",
    "rotationBy90s",
    "sizeByConfinedWh",
    "sizeByDistortedWh",
    "sizeByH",
    "sizeByPct",
    "sizeByW",
    "sizeByWh",
];

/// The info.json document for `facts`, in the version `options.version` names.
pub fn info_json(facts: &ImageFacts, options: &InfoOptions) -> Value {
    match options.version {
        Version::V3 => info_v3(facts, options),
        Version::V2 => info_v2(facts, options),
    }
}

fn info_v3(facts: &ImageFacts, options: &InfoOptions) -> Value {
    let limits = &options.limits;
    let mut doc = Map::new();
    doc.insert("@context".into(), json!(context_uri(Version::V3)));
    doc.insert("id".into(), json!(options.id));
    doc.insert("type".into(), json!("ImageService3"));
    doc.insert("protocol".into(), json!("http://iiif.io/api/image"));
    doc.insert("profile".into(), json!("level2"));
    doc.insert("width".into(), json!(facts.width));
    doc.insert("height".into(), json!(facts.height));
    doc.insert("maxWidth".into(), json!(limits.max_width));
    doc.insert("maxHeight".into(), json!(limits.max_height));
    doc.insert("maxArea".into(), json!(limits.max_area));
    doc.insert("sizes".into(), sizes_value(&sizes(facts, limits)));
    doc.insert("tiles".into(), tiles_value(&tiles(facts, limits)));
    if !options.preferred_formats.is_empty() {
        doc.insert(
            "preferredFormats".into(),
            format_names(&options.preferred_formats),
        );
    }
    if let Some(rights) = &options.rights {
        doc.insert("rights".into(), json!(rights));
    }
    let extra_formats: Vec<Format> = Format::ALL
        .into_iter()
        .filter(|f| !LEVEL2_FORMATS.contains(f))
        .collect();
    doc.insert("extraFormats".into(), format_names(&extra_formats));
    doc.insert("extraQualities".into(), quality_names(&QUALITIES[1..]));
    let mut features = EXTRA_FEATURES_3.to_vec();
    if limits.upscaling {
        features.push("sizeUpscaling");
    }
    doc.insert("extraFeatures".into(), json!(features));
    Value::Object(doc)
}

fn info_v2(facts: &ImageFacts, options: &InfoOptions) -> Value {
    let limits = &options.limits;
    let mut supports = SUPPORTS_2.to_vec();
    if limits.upscaling {
        supports.push("sizeAboveFull");
    }
    let mut doc = Map::new();
    doc.insert("@context".into(), json!(context_uri(Version::V2)));
    doc.insert("@id".into(), json!(options.id));
    doc.insert("protocol".into(), json!("http://iiif.io/api/image"));
    doc.insert("width".into(), json!(facts.width));
    doc.insert("height".into(), json!(facts.height));
    doc.insert("sizes".into(), sizes_value(&sizes(facts, limits)));
    doc.insert("tiles".into(), tiles_value(&tiles(facts, limits)));
    let details = json!({
        "formats": format_names(&Format::ALL),
        "qualities": quality_names(&QUALITIES),
        "supports": supports,
        "maxWidth": limits.max_width,
        "maxHeight": limits.max_height,
        "maxArea": limits.max_area,
    });
    doc.insert("profile".into(), json!([profile_uri(Version::V2), details]));
    if let Some(rights) = &options.rights {
        doc.insert("license".into(), json!(rights));
    }
    Value::Object(doc)
}

fn sizes_value(sizes: &[Dimensions]) -> Value {
    sizes
        .iter()
        .map(|size| json!({ "width": size.width, "height": size.height }))
        .collect()
}

fn tiles_value(spec: &TileSpec) -> Value {
    json!([{
        "width": spec.size.width,
        "height": spec.size.height,
        "scaleFactors": spec.scale_factors,
    }])
}

fn format_names(formats: &[Format]) -> Value {
    formats
        .iter()
        .map(|format| json!(format.extension()))
        .collect()
}

fn quality_names(qualities: &[Quality]) -> Value {
    qualities
        .iter()
        .map(|quality| json!(quality.name()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options(version: Version, rights: Option<&str>) -> InfoOptions {
        InfoOptions {
            id: "https://example.org/iiif/3/67352ccc-d1b0-11e1-89ae-279075081939".into(),
            version,
            rights: rights.map(String::from),
            limits: Limits::default(),
            preferred_formats: vec![Format::Webp, Format::Jpg],
        }
    }

    #[test]
    fn version_3_document() {
        let facts = ImageFacts::single(1000, 1000);
        let doc = info_json(
            &facts,
            &options(
                Version::V3,
                Some("http://creativecommons.org/publicdomain/zero/1.0/"),
            ),
        );
        let expected = json!({
            "@context": "http://iiif.io/api/image/3/context.json",
            "id": "https://example.org/iiif/3/67352ccc-d1b0-11e1-89ae-279075081939",
            "type": "ImageService3",
            "protocol": "http://iiif.io/api/image",
            "profile": "level2",
            "width": 1000,
            "height": 1000,
            "maxWidth": 10000,
            "maxHeight": 10000,
            "maxArea": 100000000,
            "sizes": [{ "width": 500, "height": 500 }, { "width": 1000, "height": 1000 }],
            "tiles": [{ "width": 512, "height": 512, "scaleFactors": [1, 2] }],
            "preferredFormats": ["webp", "jpg"],
            "rights": "http://creativecommons.org/publicdomain/zero/1.0/",
            "extraFormats": ["webp", "tif", "gif", "avif"],
            "extraQualities": ["color", "gray", "bitonal"],
            "extraFeatures": ["canonicalLinkHeader", "mirroring", "profileLinkHeader", "rotationArbitrary", "sizeUpscaling"],
        });
        assert_eq!(doc, expected);
        let keys: Vec<&str> = doc
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        let expected_keys: Vec<&str> = expected
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(keys, expected_keys);
        assert_eq!(keys[0], "@context");
    }

    #[test]
    fn version_2_document() {
        let facts = ImageFacts::single(1000, 1000);
        let mut opts = options(
            Version::V2,
            Some("http://rightsstatements.org/vocab/InC/1.0/"),
        );
        opts.limits.upscaling = false;
        let doc = info_json(&facts, &opts);
        let keys: Vec<&str> = doc
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(
            keys,
            [
                "@context", "@id", "protocol", "width", "height", "sizes", "tiles", "profile",
                "license"
            ]
        );
        assert_eq!(doc["@context"], "http://iiif.io/api/image/2/context.json");
        assert_eq!(doc["profile"][0], "http://iiif.io/api/image/2/level2.json");
        let details = &doc["profile"][1];
        assert_eq!(
            details["formats"],
            json!(["jpg", "png", "webp", "tif", "gif", "avif"])
        );
        assert_eq!(
            details["qualities"],
            json!(["default", "color", "gray", "bitonal"])
        );
        assert_eq!(details["maxArea"], 100000000);
        let supports = details["supports"].as_array().unwrap();
        assert_eq!(supports.len(), 17);
        assert!(supports.contains(&json!("sizeByDistortedWh")));
        assert!(!supports.contains(&json!("sizeAboveFull")));
        assert_eq!(doc["license"], "http://rightsstatements.org/vocab/InC/1.0/");
    }

    #[test]
    fn optional_keys_and_features_follow_the_options() {
        let facts = ImageFacts::single(10, 10);
        let mut opts = options(Version::V3, None);
        opts.preferred_formats.clear();
        opts.limits.upscaling = false;
        let doc = info_json(&facts, &opts);
        for key in ["rights", "preferredFormats", "license"] {
            assert!(doc.get(key).is_none(), "{key}");
        }
        assert!(!doc["extraFeatures"]
            .as_array()
            .unwrap()
            .contains(&json!("sizeUpscaling")));
        opts.version = Version::V2;
        opts.limits.upscaling = true;
        let doc = info_json(&facts, &opts);
        assert!(doc.get("license").is_none());
        assert!(doc["profile"][1]["supports"]
            .as_array()
            .unwrap()
            .contains(&json!("sizeAboveFull")));
    }
}
