//! Image facts stored as S3 user metadata, so `info.json` can skip reading the image.
//!
//! Two spellings are in use: plain (`width`, `height`, `pages`, `tilewidth`,
//! `tileheight`, `tilesize`) and prefixed (`iiif-width`, `iiif-height`, `iiif-pages`,
//! `iiif-tilesize`, `iiif-tilewidth`, `iiif-tileheight`), which serverless-iiif's
//! create-metadata tool and ours (`tools::metadata`) write. serverless-iiif v8 reads both,
//! and so do we. The SDK hands us the keys without the `x-amz-meta-` prefix; header names are
//! case-insensitive, so keys are matched without regard to case.
//!
//! Metadata is a hint: anything missing, zero or unparsable is treated as absent, and when
//! width or height is absent the caller falls back to walking the TIFF directories.

use std::collections::HashMap;

/// Dimensions read from object metadata.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MetaFacts {
    pub width: u32,
    pub height: u32,
    /// Number of pages (pyramid levels or document pages), when recorded.
    pub pages: Option<u32>,
    pub tile_width: Option<u32>,
    pub tile_height: Option<u32>,
}

/// Reads image facts from S3 user metadata; `None` unless both width and height are there.
pub fn metadata_dimensions(meta: &HashMap<String, String>) -> Option<MetaFacts> {
    let width = number(meta, "width")?;
    let height = number(meta, "height")?;
    let tile_size = number(meta, "tilesize");
    Some(MetaFacts {
        width,
        height,
        pages: number(meta, "pages"),
        tile_width: number(meta, "tilewidth").or(tile_size),
        tile_height: number(meta, "tileheight").or(tile_size),
    })
}

/// The positive number stored under `name` or `iiif-name`; the plain spelling wins when
/// both are present, as it does in serverless-iiif, so both servers read one object alike.
/// `create-metadata` writes the `iiif-` spelling and removes plain keys it replaces, so on
/// an object it wrote the two never disagree.
fn number(meta: &HashMap<String, String>, name: &str) -> Option<u32> {
    let prefixed = format!("iiif-{name}");
    let found = [name, prefixed.as_str()].into_iter().find_map(|wanted| {
        meta.iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(wanted))
            .and_then(|(_, value)| value.trim().parse::<u32>().ok())
            .filter(|&n| n > 0)
    });
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    type Case = (&'static [(&'static str, &'static str)], Option<MetaFacts>);

    fn meta(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn facts(width: u32, height: u32, pages: Option<u32>, tile: Option<(u32, u32)>) -> MetaFacts {
        let (tile_width, tile_height) = tile.unzip();
        MetaFacts {
            width,
            height,
            pages,
            tile_width,
            tile_height,
        }
    }

    #[test]
    fn reads_both_spellings_and_rejects_incomplete_or_bad_values() {
        let cases: &[Case] = &[
            (
                &[("width", "4000"), ("height", "3000")],
                Some(facts(4000, 3000, None, None)),
            ),
            (
                &[
                    ("iiif-width", "10"),
                    ("iiif-height", "20"),
                    ("iiif-pages", "5"),
                ],
                Some(facts(10, 20, Some(5), None)),
            ),
            (
                &[("width", "1"), ("height", "2"), ("tilesize", "512")],
                Some(facts(1, 2, None, Some((512, 512)))),
            ),
            (
                &[
                    ("width", "1"),
                    ("height", "2"),
                    ("iiif-tilewidth", "256"),
                    ("tileheight", "128"),
                ],
                Some(facts(1, 2, None, Some((256, 128)))),
            ),
            (
                &[
                    ("width", "1"),
                    ("height", "2"),
                    ("tilesize", "512"),
                    ("tilewidth", "256"),
                ],
                Some(facts(1, 2, None, Some((256, 512)))),
            ),
            (
                &[("Width", "7"), ("IIIF-Height", " 8 ")],
                Some(facts(7, 8, None, None)),
            ),
            (
                &[("width", "9"), ("iiif-width", "10"), ("height", "1")],
                Some(facts(9, 1, None, None)),
            ),
            (&[("width", "4000")], None),
            (&[("width", "0"), ("height", "10")], None),
            (&[("width", "-4"), ("height", "10")], None),
            (&[("width", "wide"), ("height", "10")], None),
            (
                &[("width", "4000"), ("height", "3000"), ("pages", "x")],
                Some(facts(4000, 3000, None, None)),
            ),
            (&[], None),
        ];
        for (pairs, want) in cases {
            assert_eq!(metadata_dimensions(&meta(pairs)), *want, "{pairs:?}");
        }
    }
}
