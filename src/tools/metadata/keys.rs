//! Which user metadata keys `create-metadata` writes, and when an object already has them.
//!
//! Keys written: `iiif-width`, `iiif-height`, `iiif-pages`, and for tiled TIFFs
//! `iiif-tilewidth` and `iiif-tileheight`. These are the keys serverless-iiif's own
//! create-metadata writes, so a bucket prepared by either tool looks the same; Tessera and
//! serverless-iiif v8 both read them (each also reads the plain spelling, `width`, first).
//! One more is Tessera's own, `iiif-levels`: the stored levels of the first image, which
//! info.json lists as `sizes`; with it info.json costs the HEAD alone (without it the
//! server walks the directories). serverless-iiif ignores keys it does not know. So is
//! `iiif-directories`, where each of those levels' directories is in a TIFF: with it a cold
//! tile reads its level's directory alone instead of walking the chain to it. It is left out
//! for a turned (EXIF/TIFF-oriented) first image, whose tiles are always rendered upright.
//!
//! Because the plain spelling is read first by both servers, a stale plain `width` left by
//! some older tool would hide a fresh `iiif-width`. So every dimension key, in either
//! spelling and any letter case, is removed before the `iiif-` set is added; every other
//! key is kept as it was. "Already right" is judged by reading the object's metadata back
//! through [`metadata_dimensions`], exactly as the server will: an object whose keys read
//! back as the facts we would write is left alone, whichever spelling it carries.
//!
//! `pages` is the number of pyramid levels of the first image that sit in the TIFF's main
//! directory chain: what serverless-iiif (sharp) opens as `page=N` to serve its `sizes`.
//! Levels stored as SubIFDs and the other pages of a multi-page document are not counted,
//! so serverless-iiif never asks for a page that is not a level. Non-TIFF images have 1.
//! Tessera reads `pages` but does not rely on it: it finds the real levels when it renders.

use crate::facts::{ImageInfo, LevelLoad};
use crate::source::{format_levels, metadata_dimensions, MetaDirectories, MetaFacts};
use std::collections::HashMap;

/// The dimension key names, without the `iiif-` prefix; both spellings are ours to replace.
const DIMENSION_KEYS: [&str; 8] = [
    "width",
    "height",
    "pages",
    "tilewidth",
    "tileheight",
    "tilesize",
    "levels",
    "directories",
];

/// The facts `create-metadata` records for an image, in the form the server reads back.
pub fn facts_to_record(info: &ImageInfo) -> Option<MetaFacts> {
    let facts = info.facts(0)?;
    let pages = match info.tiff() {
        Some(tiff) => tiff.pages[0]
            .levels
            .iter()
            .filter(|level| matches!(level.load, LevelLoad::Page(_)))
            .count() as u32,
        None => 1,
    };
    Some(MetaFacts {
        width: facts.width,
        height: facts.height,
        pages: Some(pages),
        tile_width: facts.tile.map(|t| t.width),
        tile_height: facts.tile.map(|t| t.height),
        levels: Some(facts.levels.iter().map(|l| (l.width, l.height)).collect()),
        directories: directories(info),
    })
}

/// Where the first image's levels are stored, when it is an upright TIFF.
fn directories(info: &ImageInfo) -> Option<MetaDirectories> {
    let tiff = info.tiff()?;
    if !tiff.orientation(0).is_upright() {
        return None;
    }
    Some(MetaDirectories {
        little_endian: tiff.is_little_endian(),
        big_tiff: tiff.is_big_tiff(),
        offsets: tiff.pages[0].levels.iter().map(|l| l.directory).collect(),
    })
}

/// True when `existing` already reads back as `facts`.
pub fn is_current(existing: &HashMap<String, String>, facts: &MetaFacts) -> bool {
    metadata_dimensions(existing).as_ref() == Some(facts)
}

/// `existing` without any dimension key, plus the `iiif-` keys for `facts`.
pub fn merged(existing: &HashMap<String, String>, facts: &MetaFacts) -> HashMap<String, String> {
    let mut out: HashMap<String, String> = existing
        .iter()
        .filter(|(key, _)| !is_dimension_key(key))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let mut put = |name: &str, value: Option<u32>| {
        if let Some(value) = value {
            out.insert(format!("iiif-{name}"), value.to_string());
        }
    };
    put("width", Some(facts.width));
    put("height", Some(facts.height));
    put("pages", facts.pages);
    put("tilewidth", facts.tile_width);
    put("tileheight", facts.tile_height);
    if let Some(levels) = &facts.levels {
        out.insert("iiif-levels".into(), format_levels(levels));
    }
    if let Some(directories) = &facts.directories {
        out.insert("iiif-directories".into(), directories.format());
    }
    out
}

fn is_dimension_key(key: &str) -> bool {
    let key = key.to_ascii_lowercase();
    let bare = key.strip_prefix("iiif-").unwrap_or(&key);
    DIMENSION_KEYS.contains(&bare)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    const TILED: MetaFacts = MetaFacts {
        width: 5000,
        height: 3000,
        pages: Some(5),
        tile_width: Some(512),
        tile_height: Some(512),
        levels: None,
        directories: None,
    };
    const PLAIN: MetaFacts = MetaFacts {
        width: 40,
        height: 30,
        pages: Some(1),
        tile_width: None,
        tile_height: None,
        levels: None,
        directories: None,
    };

    fn with_levels(facts: MetaFacts, levels: &[(u32, u32)]) -> MetaFacts {
        MetaFacts {
            levels: Some(levels.to_vec()),
            ..facts
        }
    }

    #[test]
    fn merged_keeps_other_keys_replaces_every_dimension_spelling_and_reads_back() {
        let existing = meta(&[
            ("owner", "library"),
            ("Width", "1"),
            ("tilesize", "256"),
            ("iiif-pages", "9"),
            ("widthnote", "kept: not a dimension key"),
        ]);
        let pyramid = with_levels(TILED, &[(5000, 3000), (2500, 1500), (1250, 750)]);
        for facts in [TILED, PLAIN, pyramid, with_levels(PLAIN, &[(40, 30)])] {
            let out = merged(&existing, &facts);
            assert_eq!(out["owner"], "library");
            assert_eq!(out["widthnote"], "kept: not a dimension key");
            assert!(!out.contains_key("Width") && !out.contains_key("tilesize"));
            assert_eq!(out["iiif-width"], facts.width.to_string());
            assert_eq!(metadata_dimensions(&out), Some(facts.clone()));
            assert!(is_current(&out, &facts), "{out:?}");
            assert_eq!(merged(&out, &facts), out, "merging twice changes nothing");
        }
        assert!(!merged(&existing, &PLAIN).contains_key("iiif-tilewidth"));
        let stale = meta(&[("levels", "40x30"), ("IIIF-Levels", "1x1")]);
        let out = merged(&stale, &with_levels(PLAIN, &[(40, 30), (20, 15)]));
        assert_eq!(out.len(), 4, "{out:?}");
        assert_eq!(out["iiif-levels"], "40x30,20x15");
    }

    #[test]
    fn current_only_when_every_recorded_fact_reads_back_equal() {
        type Case = (&'static [(&'static str, &'static str)], MetaFacts, bool);
        let cases: &[Case] = &[
            (&[], PLAIN, false),
            (
                &[("width", "40"), ("height", "30"), ("pages", "1")],
                PLAIN,
                true,
            ),
            (&[("width", "40"), ("height", "30")], PLAIN, false),
            (
                &[
                    ("iiif-width", "40"),
                    ("iiif-height", "30"),
                    ("iiif-pages", "1"),
                ],
                PLAIN,
                true,
            ),
            (
                &[
                    ("width", "41"),
                    ("iiif-width", "40"),
                    ("iiif-height", "30"),
                    ("iiif-pages", "1"),
                ],
                PLAIN,
                false,
            ),
            (
                &[
                    ("width", "40"),
                    ("height", "30"),
                    ("pages", "1"),
                    ("tilesize", "256"),
                ],
                PLAIN,
                false,
            ),
            (
                &[
                    ("width", "5000"),
                    ("height", "3000"),
                    ("pages", "5"),
                    ("tilesize", "512"),
                ],
                TILED,
                true,
            ),
            (
                &[
                    ("width", "5000"),
                    ("height", "3000"),
                    ("pages", "4"),
                    ("tilesize", "512"),
                ],
                TILED,
                false,
            ),
        ];
        for (pairs, facts, want) in cases {
            assert_eq!(is_current(&meta(pairs), facts), *want, "{pairs:?}");
        }
    }
}
