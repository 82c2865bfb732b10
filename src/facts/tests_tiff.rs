//! The directory walker against hand-built files: every flavour of TIFF, and the hostile
//! ones (cycles, bad offsets, absurd counts, truncation, garbage) that must end in errors.

use super::testkit::{build, CountingSource, TestIfd, LONG};
use super::*;
use crate::iiif::Dimensions;
use crate::source::{SourceError, SourceErrorKind};

const FLAVOURS: [(bool, bool); 4] = [(false, true), (false, false), (true, true), (true, false)];

/// A three-level tiled pyramid in the main chain, each level padded with a tile offset
/// array so directories sit kilobytes apart, as in real files.
fn chain_pyramid() -> Vec<TestIfd> {
    let level = |w: u32, h: u32, kind: u32| {
        let offsets: Vec<u64> = (0..1500).collect();
        let ifd = TestIfd::image(w, h)
            .tiled(256, 256)
            .tag(259, 3, &[7])
            .tag(262, 3, &[6])
            .tag(324, LONG, &offsets);
        if kind == 0 {
            ifd
        } else {
            ifd.subfile(kind)
        }
    };
    vec![
        level(4000, 3000, 0),
        level(2000, 1500, 1),
        level(1000, 750, 1),
    ]
}

#[test]
fn every_flavour_reads_the_same_pyramid() {
    for (big, little) in FLAVOURS {
        let built = build(&chain_pyramid(), big, little);
        let src = CountingSource::new(built.bytes.clone());
        let info = read_tiff(&src).unwrap_or_else(|e| panic!("big={big} little={little}: {e}"));
        assert_eq!(info.page_count(), 1);
        assert_eq!(info.is_big_tiff(), big);
        let sizes: Vec<(u32, u32)> = info.pages[0]
            .levels
            .iter()
            .map(|l| (l.width, l.height))
            .collect();
        assert_eq!(sizes, [(4000, 3000), (2000, 1500), (1000, 750)]);
        let level = &info.pages[0].levels[1];
        assert_eq!(
            (
                level.compression,
                level.photometric,
                level.samples_per_pixel,
                level.bits_per_sample
            ),
            (7, 6, 3, 8)
        );
        assert_eq!(
            level.tile,
            Some(Dimensions {
                width: 256,
                height: 256
            })
        );
        assert_eq!(info.level_load(0, 2), Some(LevelLoad::Page(2)));
        assert_eq!(info.directories_read(), 3);
        // One read per directory (the first one sits in the header's read): the tile
        // offset arrays between directories are never read.
        assert_eq!(src.reads(), 3, "big={big} little={little}");
        assert_eq!(info.source_reads(), 3);
        assert!(src.bytes_read() <= 3 * 4096);
    }
}

#[test]
fn strips_report_rows_per_strip_and_no_tile() {
    let ifds = [
        TestIfd::image(640, 480).tag(278, LONG, &[16]),
        TestIfd::image(640, 480),
    ];
    let info = read_tiff(&build(&ifds, false, true).source()).unwrap();
    assert_eq!(
        info.page_count(),
        2,
        "same-size unmarked directories are pages"
    );
    assert_eq!(info.pages[0].levels[0].rows_per_strip, Some(16));
    assert_eq!(
        info.pages[1].levels[0].rows_per_strip,
        Some(480),
        "default: one strip"
    );
    assert_eq!(info.is_tiled(0, 0), Some(false));
    let facts = info.facts(1).unwrap();
    assert_eq!((facts.width, facts.height, facts.tile), (640, 480, None));
    assert_eq!(info.facts(2), None);
}

#[test]
fn subifds_are_levels_of_their_page() {
    let subs = vec![
        TestIfd::image(500, 400).tiled(128, 128).subfile(1),
        TestIfd::image(250, 200).tiled(128, 128).subfile(4),
        TestIfd::image(125, 100).tiled(128, 128).subfile(1),
    ];
    let page = |_| {
        TestIfd::image(1000, 800)
            .tiled(128, 128)
            .subfile(2)
            .with_subs(subs.clone())
    };
    let ifds: Vec<TestIfd> = (0..2).map(page).collect();
    for (big, little) in FLAVOURS {
        let info = read_tiff(&build(&ifds, big, little).source()).unwrap();
        assert_eq!(info.page_count(), 2);
        assert_eq!(info.directories_read(), 8);
        let loads: Vec<LevelLoad> = info.pages[1].levels.iter().map(|l| l.load).collect();
        let want = [
            LevelLoad::Page(1),
            LevelLoad::SubIfd { page: 1, index: 0 },
            LevelLoad::SubIfd { page: 1, index: 2 },
        ];
        assert_eq!(
            loads, want,
            "the mask SubIFD is skipped but keeps its index"
        );
        assert_eq!(info.facts(1).unwrap().levels.len(), 3);
    }
}

#[test]
fn a_single_subifd_offset_fits_inline() {
    let ifds = [TestIfd::image(64, 64).with_subs(vec![TestIfd::image(32, 32).subfile(1)])];
    let info = read_tiff(&build(&ifds, false, false).source()).unwrap();
    assert_eq!(info.pages[0].levels.len(), 2);
}

fn corrupt_message(bytes: Vec<u8>) -> String {
    let err = read_tiff(&crate::source::MemorySource::new(bytes, "mem:bad")).unwrap_err();
    assert_eq!(err.kind(), FactsErrorKind::Corrupt, "{err}");
    err.to_string()
}

#[test]
fn cycles_end_in_errors() {
    for (big, little) in FLAVOURS {
        let mut built = build(&chain_pyramid(), big, little);
        let (first, last) = (built.ifds[0], built.next_fields[2]);
        built.patch(last, first);
        assert!(corrupt_message(built.bytes.clone()).contains("cycle"));
        let mut selfloop = build(&chain_pyramid(), big, little);
        let (own, field) = (selfloop.ifds[1], selfloop.next_fields[1]);
        selfloop.patch(field, own);
        assert!(corrupt_message(selfloop.bytes).contains("cycle"));
    }
    // A SubIFD pointing back at its parent is a cycle too.
    let ifds = [TestIfd::image(64, 64).with_subs(vec![TestIfd::image(32, 32)])];
    let built = build(&ifds, false, true);
    let parent = built.ifds[0].to_le_bytes();
    let mut bytes = built.bytes.clone();
    // The one SubIFD offset is inline in the last entry (tag 330); point it at the parent.
    let entries = u16::from_le_bytes([
        bytes[built.ifds[0] as usize],
        bytes[built.ifds[0] as usize + 1],
    ]) as usize;
    let field = built.ifds[0] as usize + 2 + (entries - 1) * 12 + 8;
    bytes[field..field + 4].copy_from_slice(&parent[..4]);
    assert!(corrupt_message(bytes).contains("cycle"));
}

#[test]
fn bad_offsets_and_counts_are_errors() {
    let mut built = build(&chain_pyramid(), false, true);
    let field = built.next_fields[0];
    built.patch(field, 1 << 30);
    assert!(corrupt_message(built.bytes.clone()).contains("outside the file"));
    built.patch(4, 0);
    assert!(corrupt_message(built.bytes.clone()).contains("no directories"));
    let mut built = build(&chain_pyramid(), false, true);
    let at = built.ifds[1] as usize;
    built.bytes[at..at + 2].copy_from_slice(&60000u16.to_le_bytes());
    assert!(corrupt_message(built.bytes).contains("60000 entries"));
    let mut big = build(&chain_pyramid(), true, true);
    let at = big.ifds[0] as usize;
    big.bytes[at..at + 8].copy_from_slice(&(1u64 << 40).to_le_bytes());
    assert!(corrupt_message(big.bytes).contains("entries"));
}

#[test]
fn missing_size_or_half_a_tile_is_corrupt() {
    let no_height = TestIfd::image(10, 10).tag(257, LONG, &[0]);
    assert!(corrupt_message(build(&[no_height], false, true).bytes).contains("no image size"));
    let half_tile = TestIfd::image(10, 10).tag(322, LONG, &[16]);
    assert!(corrupt_message(build(&[half_tile], false, true).bytes).contains("tile size"));
    let wide = TestIfd::image(10, 10).tag(256, 16, &[1 << 33]);
    assert!(corrupt_message(build(&[wide], true, true).bytes).contains("out of range"));
}

#[test]
fn too_many_directories_is_an_error() {
    let ifds: Vec<TestIfd> = (0..tiff::walk::MAX_DIRECTORIES + 1)
        .map(|_| TestIfd::image(8, 8))
        .collect();
    assert!(corrupt_message(build(&ifds, false, true).bytes).contains("directories"));
}

#[test]
fn truncation_is_an_error_or_the_same_answer() {
    for (big, little) in FLAVOURS {
        let subs = vec![
            TestIfd::image(50, 40).subfile(1),
            TestIfd::image(25, 20).subfile(1),
        ];
        let ifds = [
            TestIfd::image(100, 80).with_subs(subs),
            TestIfd::image(100, 80).tiled(16, 16),
        ];
        let bytes = build(&ifds, big, little).bytes;
        let whole = read_tiff(&crate::source::MemorySource::new(
            bytes.clone(),
            "mem:whole",
        ))
        .unwrap();
        // Only the first value of per-sample tags is read, so cutting the last few bytes
        // may go unnoticed; what must never happen is a different answer or a panic.
        for cut in 0..bytes.len() {
            let src = crate::source::MemorySource::new(bytes[..cut].to_vec(), "mem:cut");
            if let Ok(info) = read_tiff(&src) {
                assert_eq!(
                    info.pages,
                    whole.pages,
                    "cut at {cut} of {} (big={big})",
                    bytes.len()
                );
                assert!(
                    cut + 8 >= bytes.len(),
                    "cut at {cut} of {} went unnoticed",
                    bytes.len()
                );
            }
            let _ = read_facts(&src);
        }
    }
}

/// A tiny deterministic generator, so garbage tests are repeatable.
pub(crate) fn xorshift(state: &mut u64) -> u64 {
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    *state
}

#[test]
fn garbage_and_flipped_bytes_never_panic() {
    let mut rng = 0x9E37_79B9_7F4A_7C15u64;
    for (big, little) in FLAVOURS {
        let good = build(&chain_pyramid(), big, little).bytes;
        for _ in 0..400 {
            let mut bytes = good.clone();
            for _ in 0..1 + xorshift(&mut rng) % 8 {
                let at = (xorshift(&mut rng) % 600) as usize % bytes.len();
                bytes[at] = xorshift(&mut rng) as u8;
            }
            let _ = read_facts(&crate::source::MemorySource::new(bytes, "mem:flipped"));
        }
    }
    for n in 0..300 {
        let mut bytes: Vec<u8> = (0..64 + n).map(|_| xorshift(&mut rng) as u8).collect();
        let magic: &[u8] = [b"II*\0", b"MM\0*", b"II+\0", b"MM\0+"][n % 4];
        bytes[..4].copy_from_slice(magic);
        let _ = read_facts(&crate::source::MemorySource::new(bytes, "mem:garbage"));
    }
}

struct FailingSource(SourceErrorKind);

impl crate::source::Source for FailingSource {
    fn len(&self) -> u64 {
        1 << 20
    }
    fn read_at(&self, _: u64, _: usize) -> Result<bytes::Bytes, SourceError> {
        Err(SourceError::new(self.0, "bucket said no"))
    }
    fn identity(&self) -> &str {
        "failing"
    }
}

#[test]
fn source_errors_keep_their_kind() {
    for kind in [
        SourceErrorKind::NotFound,
        SourceErrorKind::Forbidden,
        SourceErrorKind::Unavailable,
    ] {
        let err = read_facts(&FailingSource(kind)).unwrap_err();
        assert_eq!(err.kind(), FactsErrorKind::Source(kind));
        assert_eq!(err.source_error().map(|e| e.kind()), Some(kind));
        assert!(std::error::Error::source(&err).is_some());
        assert!(err.to_string().contains("bucket said no"), "{err}");
    }
}

#[test]
fn a_directory_bigger_than_a_chunk_costs_one_more_read() {
    let ifd = (0..400u16).fold(TestIfd::image(64, 48), |ifd, i| {
        ifd.tag(40000 + i, LONG, &[i as u64])
    });
    let src = CountingSource::new(build(&[ifd], false, true).bytes);
    let info = read_facts(&src).unwrap();
    assert_eq!(info.facts(0), Some(crate::iiif::ImageFacts::single(64, 48)));
    // The sniffing read holds the header and the directory's first 4 KiB; its tail is one
    // more read, not a re-read from the start.
    assert_eq!(src.reads(), 2);
    assert!(src.bytes_read() < 2 * 4096 + 1024);
}

#[test]
fn a_directory_of_scattered_values_fails_within_its_read_budget() {
    let src = CountingSource::new(super::testkit::scattered_values(4096, 10));
    assert!(src.len() < 100_000);
    let err = read_facts(&src).unwrap_err();
    assert_eq!(err.kind(), FactsErrorKind::Unsupported, "{err}");
    assert!(src.reads() <= 32, "{} reads", src.reads());
}
