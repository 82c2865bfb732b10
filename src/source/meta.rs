//! Image facts stored as S3 user metadata, so `info.json` can skip reading the image.
//!
//! Two spellings are in use: plain (`width`, `height`, `pages`, `tilewidth`,
//! `tileheight`, `tilesize`) and prefixed (`iiif-width`, `iiif-height`, `iiif-pages`,
//! `iiif-tilesize`, `iiif-tilewidth`, `iiif-tileheight`), which serverless-iiif's
//! create-metadata tool and ours (`tools::metadata`) write. serverless-iiif v8 reads both,
//! and so do we.
//!
//! One key is ours alone: `iiif-levels` (or `levels`), the stored levels of the first image,
//! largest first, as `WxH` joined by commas (`25167x12483,12583x6241,...`; one entry for an
//! image with no pyramid). info.json lists the real levels as `sizes`, so without this key
//! metadata cannot say what the directory walk says, and the caller walks instead: one
//! answer per image, wherever its facts came from. A list that is malformed, does not start
//! at the full size, or does not shrink is ignored (treated as absent). The SDK hands us the keys without the `x-amz-meta-` prefix; header names are
//! case-insensitive, so keys are matched without regard to case.
//!
//! Another is ours too: `iiif-directories`, where each of those levels' TIFF directory is,
//! after the file's byte order and kind (`II42:` or `MM42:` for TIFF, `II43:` or `MM43:`
//! for BigTIFF, then the offsets in the order of `iiif-levels`:
//! `II43:32869878,38434994,...`). With it a cold tile reads its level's directory alone,
//! where the directories form a chain that must otherwise be walked from the first, one
//! round trip each. It is read only beside a valid `iiif-levels` of as many entries.
//!
//! Metadata is a hint: anything missing, zero or unparsable is treated as absent, and when
//! width or height is absent the caller falls back to walking the TIFF directories.

use std::collections::HashMap;

/// Dimensions read from object metadata.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MetaFacts {
    pub width: u32,
    pub height: u32,
    /// Number of pages (pyramid levels or document pages), when recorded.
    pub pages: Option<u32>,
    pub tile_width: Option<u32>,
    pub tile_height: Option<u32>,
    /// Every stored level of the first image as (width, height), full size first, when
    /// recorded (`iiif-levels`).
    pub levels: Option<Vec<(u32, u32)>>,
    /// Where each of `levels` is stored in a TIFF (`iiif-directories`), when recorded.
    pub directories: Option<MetaDirectories>,
}

/// A TIFF's byte order and kind, and the offset of each level's directory.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MetaDirectories {
    pub little_endian: bool,
    pub big_tiff: bool,
    /// One per level, full size first.
    pub offsets: Vec<u64>,
}

impl MetaDirectories {
    /// The `iiif-directories` value.
    pub fn format(&self) -> String {
        let order = if self.little_endian { "II" } else { "MM" };
        let kind = if self.big_tiff { 43 } else { 42 };
        let offsets: Vec<String> = self.offsets.iter().map(u64::to_string).collect();
        format!("{order}{kind}:{}", offsets.join(","))
    }

    /// `II42:`, `II43:`, `MM42:` or `MM43:` and `levels` offsets, each past the 8-byte
    /// header; anything else is `None`.
    fn parse(text: &str, levels: usize) -> Option<Self> {
        let (kind, list) = text.trim().split_once(':')?;
        let (little_endian, big_tiff) = match kind {
            "II42" => (true, false),
            "II43" => (true, true),
            "MM42" => (false, false),
            "MM43" => (false, true),
            _ => return None,
        };
        let offsets: Vec<u64> = list
            .split(',')
            .map(|part| part.trim().parse::<u64>().ok().filter(|&o| o >= 8))
            .collect::<Option<_>>()?;
        (offsets.len() == levels).then_some(MetaDirectories {
            little_endian,
            big_tiff,
            offsets,
        })
    }
}

/// More levels than this is not a pyramid anyone wrote (2^32 px would need 33).
const MAX_LEVELS: usize = 40;

/// Reads image facts from S3 user metadata; `None` unless both width and height are there.
pub fn metadata_dimensions(meta: &HashMap<String, String>) -> Option<MetaFacts> {
    let width = number(meta, "width")?;
    let height = number(meta, "height")?;
    let tile_size = number(meta, "tilesize");
    let levels = value(meta, "levels").and_then(|text| parse_levels(text, (width, height)));
    let directories = levels.as_ref().and_then(|levels| {
        value(meta, "directories").and_then(|text| MetaDirectories::parse(text, levels.len()))
    });
    Some(MetaFacts {
        width,
        height,
        pages: number(meta, "pages"),
        tile_width: number(meta, "tilewidth").or(tile_size),
        tile_height: number(meta, "tileheight").or(tile_size),
        levels,
        directories,
    })
}

/// The `iiif-levels` value for `levels` (full size first).
pub fn format_levels(levels: &[(u32, u32)]) -> String {
    let parts: Vec<String> = levels.iter().map(|(w, h)| format!("{w}x{h}")).collect();
    parts.join(",")
}

/// `WxH,WxH,...` starting at `full`, each level smaller than the one before on one axis at
/// least and larger on neither; anything else is `None`.
fn parse_levels(text: &str, full: (u32, u32)) -> Option<Vec<(u32, u32)>> {
    let levels: Vec<(u32, u32)> = text
        .split(',')
        .map(|part| {
            let (w, h) = part.trim().split_once(['x', 'X'])?;
            let size = (w.trim().parse::<u32>().ok()?, h.trim().parse::<u32>().ok()?);
            (size.0 > 0 && size.1 > 0).then_some(size)
        })
        .collect::<Option<_>>()?;
    let shrinking = levels
        .windows(2)
        .all(|pair| pair[1].0 <= pair[0].0 && pair[1].1 <= pair[0].1 && pair[1] != pair[0]);
    (levels.len() <= MAX_LEVELS && levels.first() == Some(&full) && shrinking).then_some(levels)
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

/// The text stored under `name`, else `iiif-name` (the same precedence as [`number`]).
fn value<'a>(meta: &'a HashMap<String, String>, name: &str) -> Option<&'a str> {
    let prefixed = format!("iiif-{name}");
    let found = [name, prefixed.as_str()].into_iter().find_map(|wanted| {
        meta.iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(wanted))
            .map(|(_, value)| value.as_str())
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
            levels: None,
            directories: None,
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

    #[test]
    fn reads_levels_only_when_they_describe_a_shrinking_pyramid_from_the_full_size() {
        let full = [("iiif-width", "1025"), ("iiif-height", "600")];
        type LevelCase = (&'static str, Option<Vec<(u32, u32)>>);
        let cases: &[LevelCase] = &[
            ("1025x600,512x300", Some(vec![(1025, 600), (512, 300)])),
            ("1025x600", Some(vec![(1025, 600)])),
            (" 1025X600 , 512x300 ", Some(vec![(1025, 600), (512, 300)])),
            ("512x300", None),
            ("1025x600,512x300,512x300", None),
            ("1025x600,2000x300", None),
            ("1025x600,0x300", None),
            ("1025x600,", None),
            ("1025x600;512x300", None),
            ("", None),
        ];
        for (text, want) in cases {
            let mut pairs = full.to_vec();
            pairs.push(("iiif-levels", text));
            let got = metadata_dimensions(&meta(&pairs)).unwrap();
            assert_eq!(&got.levels, want, "{text:?}");
        }
        let top = MAX_LEVELS as u32 + 1;
        let many: Vec<String> = (1..=top).rev().map(|w| format!("{w}x1")).collect();
        let top = top.to_string();
        let tall = meta(&[
            ("width", &top),
            ("height", "1"),
            ("levels", &many.join(",")),
        ]);
        assert_eq!(metadata_dimensions(&tall).unwrap().levels, None);
        let fits = meta(&[
            ("width", "40"),
            ("height", "1"),
            ("levels", &many[1..].join(",")),
        ]);
        assert_eq!(
            metadata_dimensions(&fits).unwrap().levels.unwrap().len(),
            MAX_LEVELS
        );
        let levels = [(25167, 12483), (12583, 6241), (393, 195)];
        assert_eq!(format_levels(&levels), "25167x12483,12583x6241,393x195");
        assert_eq!(
            parse_levels(&format_levels(&levels), levels[0]),
            Some(levels.to_vec())
        );
    }

    #[test]
    fn reads_directories_only_beside_levels_of_the_same_count() {
        let base = [
            ("iiif-width", "1025"),
            ("iiif-height", "600"),
            ("iiif-levels", "1025x600,512x300"),
        ];
        let dirs = |little_endian, big_tiff, offsets: &[u64]| MetaDirectories {
            little_endian,
            big_tiff,
            offsets: offsets.to_vec(),
        };
        type DirCase = (&'static str, Option<MetaDirectories>);
        let cases: &[DirCase] = &[
            ("II43:16,4096", Some(dirs(true, true, &[16, 4096]))),
            ("MM42: 8 , 900", Some(dirs(false, false, &[8, 900]))),
            ("II42:16", None),
            ("II42:16,32,64", None),
            ("II42:4,32", None),
            ("XX42:16,32", None),
            ("II44:16,32", None),
            ("16,32", None),
            ("II43:16,-32", None),
            ("", None),
        ];
        for (text, want) in cases {
            let mut pairs = base.to_vec();
            pairs.push(("iiif-directories", text));
            let got = metadata_dimensions(&meta(&pairs)).unwrap();
            assert_eq!(&got.directories, want, "{text:?}");
        }
        let without_levels = meta(&[
            ("width", "1025"),
            ("height", "600"),
            ("iiif-directories", "II42:16"),
        ]);
        assert_eq!(
            metadata_dimensions(&without_levels).unwrap().directories,
            None
        );
        let written = dirs(false, true, &[123456789012, 16]);
        assert_eq!(written.format(), "MM43:123456789012,16");
        assert_eq!(MetaDirectories::parse(&written.format(), 2), Some(written));
    }
}
