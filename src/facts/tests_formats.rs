//! Header readers against hand-built bytes: the awkward but legal cases (big EXIF before
//! the frame header, fill bytes, extended boxes) and the broken ones, which must be errors;
//! then against the files libvips writes (skipped with a message when `vips` is absent).

use super::testkit::CountingSource;
use super::tests_tiff::xorshift;
use super::tests_vips::{save, with_image};
use super::*;
use crate::source::MemorySource;

fn jpeg_with(segments: &[(u8, Vec<u8>)], width: u16, height: u16) -> Vec<u8> {
    let mut out = vec![0xFF, 0xD8];
    for (marker, body) in segments {
        out.extend([0xFF, *marker]);
        out.extend(((body.len() + 2) as u16).to_be_bytes());
        out.extend(body);
    }
    // Fill bytes before SOF2 (progressive), which is legal.
    out.extend([0xFF, 0xFF, 0xFF, 0xC2, 0, 17, 8]);
    out.extend(height.to_be_bytes());
    out.extend(width.to_be_bytes());
    out.extend([3, 1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1]);
    out.extend([0xFF, 0xDA, 0, 2, 0xFF, 0xD9]);
    out
}

fn png(width: u32, height: u32) -> Vec<u8> {
    let mut out = vec![0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13];
    out.extend(b"IHDR");
    out.extend(width.to_be_bytes());
    out.extend(height.to_be_bytes());
    out.extend([8, 2, 0, 0, 0, 0, 0, 0, 0]);
    out
}

fn webp(chunk: &[u8; 4], data: &[u8]) -> Vec<u8> {
    let mut out = b"RIFF\0\0\0\0WEBP".to_vec();
    out.extend(chunk);
    out.extend((data.len() as u32).to_le_bytes());
    out.extend(data);
    out
}

fn jp2(ihdr_first: bool, xl_box: bool) -> Vec<u8> {
    let mut out = vec![0, 0, 0, 12, b'j', b'P', b' ', b' ', 0x0D, 0x0A, 0x87, 0x0A];
    out.extend([0, 0, 0, 20]);
    out.extend(b"ftypjp2 \0\0\0\0jp2 ");
    let mut ihdr = vec![0, 0, 0, 22];
    ihdr.extend(b"ihdr");
    ihdr.extend(480u32.to_be_bytes());
    ihdr.extend(640u32.to_be_bytes());
    ihdr.extend([0, 3, 7, 7, 0, 0]);
    let mut siz = vec![0xFF, 0x4F, 0xFF, 0x51, 0, 41, 0, 0];
    for v in [1000u32, 900, 40, 20, 256, 256, 0, 0] {
        siz.extend(v.to_be_bytes());
    }
    siz.extend([0, 1, 7, 1, 1]);
    let codestream = siz;
    let mut jp2c = Vec::new();
    if xl_box {
        jp2c.extend([0, 0, 0, 1]);
        jp2c.extend(b"jp2c");
        jp2c.extend((codestream.len() as u64 + 16).to_be_bytes());
    } else {
        jp2c.extend([0, 0, 0, 0]);
        jp2c.extend(b"jp2c");
    }
    jp2c.extend(&codestream);
    if ihdr_first {
        out.extend((ihdr.len() as u32 + 8).to_be_bytes());
        out.extend(b"jp2h");
        out.extend(ihdr);
    }
    out.extend(jp2c);
    out
}

fn raster(bytes: Vec<u8>) -> Result<(ContainerFormat, u32, u32), FactsError> {
    match read_facts(&MemorySource::new(bytes, "mem:raster"))? {
        ImageInfo::Raster {
            format,
            width,
            height,
            ..
        } => Ok((format, width, height)),
        ImageInfo::Tiff(_) => panic!("not a TIFF"),
    }
}

#[test]
fn jpeg_skips_big_segments_in_few_reads() {
    let exif = vec![0x45; 60_000];
    let icc = vec![0x49; 30_000];
    let bytes = jpeg_with(
        &[
            (0xE0, vec![0; 14]),
            (0xE1, exif),
            (0xE2, icc),
            (0xDB, vec![0; 65]),
        ],
        4032,
        3024,
    );
    let src = CountingSource::new(bytes.clone());
    let info = read_facts(&src).unwrap();
    assert_eq!(
        info,
        ImageInfo::Raster {
            format: ContainerFormat::Jpeg,
            width: 4032,
            height: 3024,
            orientation: Default::default(),
            tiled: false,
        }
    );
    // Start, past EXIF, past ICC: one read per big segment skipped, never the segments.
    assert_eq!(src.reads(), 3);
    assert!(src.bytes_read() < 16 * 1024);
}

#[test]
fn header_sizes() {
    let vp8 = [0x50, 0x2A, 0x00, 0x9D, 0x01, 0x2A, 0x20, 0x03, 0x58, 0x02];
    let vp8l_bits: u32 = (799) | (599 << 14);
    let mut vp8l = vec![0x2F];
    vp8l.extend(vp8l_bits.to_le_bytes());
    vp8l.extend([0; 5]);
    let vp8x = [0x10, 0, 0, 0, 0x1F, 0x03, 0, 0x57, 0x02, 0];
    let cases: Vec<(Vec<u8>, (ContainerFormat, u32, u32))> = vec![
        (png(1234, 567), (ContainerFormat::Png, 1234, 567)),
        (
            b"GIF89a\x40\x01\xC8\x00\x00\x00\x00".to_vec(),
            (ContainerFormat::Gif, 320, 200),
        ),
        (webp(b"VP8 ", &vp8), (ContainerFormat::Webp, 800, 600)),
        (webp(b"VP8L", &vp8l), (ContainerFormat::Webp, 800, 600)),
        (webp(b"VP8X", &vp8x), (ContainerFormat::Webp, 800, 600)),
        (jp2(true, false), (ContainerFormat::Jp2, 640, 480)),
        (jp2(false, true), (ContainerFormat::Jp2, 960, 880)),
        (jp2(false, false), (ContainerFormat::Jp2, 960, 880)),
        (jpeg_with(&[], 17, 9), (ContainerFormat::Jpeg, 17, 9)),
    ];
    for (bytes, want) in cases {
        assert_eq!(raster(bytes).unwrap(), want);
    }
}

#[test]
fn broken_headers_are_errors() {
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("png zero width", png(0, 10)),
        ("jpeg zero height (DNL)", jpeg_with(&[], 10, 0)),
        ("jpeg scan before frame", vec![0xFF, 0xD8, 0xFF, 0xDA, 0, 2]),
        (
            "jpeg short segment",
            vec![0xFF, 0xD8, 0xFF, 0xE0, 0, 1, 0, 0],
        ),
        (
            "jpeg garbage after SOI",
            vec![0xFF, 0xD8, 0xFF, 0xE0, 0, 4, 0, 0, 0x12, 0x34],
        ),
        (
            "jpeg endless fill",
            [vec![0xFF, 0xD8], vec![0xFF; 500]].concat(),
        ),
        ("webp unknown chunk", webp(b"ALPH", &[0; 10])),
        ("webp vp8 no start code", webp(b"VP8 ", &[0; 10])),
    ];
    for (name, bytes) in cases {
        let err = raster(bytes).unwrap_err();
        assert!(
            matches!(
                err.kind(),
                FactsErrorKind::Corrupt | FactsErrorKind::Unsupported
            ),
            "{name}: {err}"
        );
    }
}

#[test]
fn truncated_headers_are_errors() {
    let files = [
        png(10, 10),
        jpeg_with(&[(0xE1, vec![1; 300])], 10, 10),
        jp2(true, false),
        jp2(false, true),
    ];
    for bytes in files {
        let whole = raster(bytes.clone()).unwrap();
        for cut in 0..bytes.len() {
            if let Ok(got) = raster(bytes[..cut].to_vec()) {
                assert_eq!(got, whole, "a cut file answered differently");
            }
        }
    }
}

#[test]
fn garbage_after_a_magic_never_panics() {
    let magics: [&[u8]; 6] = [
        &[0xFF, 0xD8, 0xFF],
        &[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A],
        b"RIFF\0\0\0\0WEBPVP8X",
        &[
            0, 0, 0, 0x0C, b'j', b'P', b' ', b' ', 0x0D, 0x0A, 0x87, 0x0A,
        ],
        &[0xFF, 0x4F, 0xFF, 0x51],
        b"GIF89a",
    ];
    let mut rng = 0x2545_F491_4F6C_DD1Du64;
    for n in 0..600 {
        let magic = magics[n % magics.len()];
        let tail: Vec<u8> = (0..n % 97).map(|_| xorshift(&mut rng) as u8).collect();
        let _ = read_facts(&MemorySource::new([magic, &tail].concat(), "mem:garbage"));
    }
}

#[test]
fn single_image_formats() {
    let Some(dir) = with_image(300, 200) else {
        return;
    };
    let d = dir.path();
    let cases = [
        ("a.jpg", "jpegsave", vec![], ContainerFormat::Jpeg),
        (
            "icc.jpg",
            "jpegsave",
            vec!["--profile", "srgb"],
            ContainerFormat::Jpeg,
        ),
        ("a.png", "pngsave", vec![], ContainerFormat::Png),
        ("x.webp", "webpsave", vec![], ContainerFormat::Webp),
        (
            "lossy.webp",
            "webpsave",
            vec!["--strip"],
            ContainerFormat::Webp,
        ),
        (
            "lossless.webp",
            "webpsave",
            vec!["--lossless", "--strip"],
            ContainerFormat::Webp,
        ),
        ("a.gif", "gifsave", vec![], ContainerFormat::Gif),
        ("a.jp2", "jp2ksave", vec![], ContainerFormat::Jp2),
    ];
    for (name, saver, args, format) in cases {
        let path = save(d, saver, name, &args);
        let src = CountingSource::from_file(&path);
        let info = read_facts(&src).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(
            info,
            ImageInfo::Raster {
                format,
                width: 300,
                height: 200,
                orientation: Default::default(),
                tiled: false,
            },
            "{name}"
        );
        assert_eq!(
            info.facts(0),
            Some(crate::iiif::ImageFacts::single(300, 200))
        );
        assert!(src.reads() <= 2, "{name}: {} reads", src.reads());
    }
    // A raw codestream: the contents of the JP2's jp2c box.
    let jp2 = std::fs::read(d.join("a.jp2")).unwrap();
    let at = jp2
        .windows(4)
        .position(|w| w == b"jp2c")
        .expect("a jp2c box")
        + 4;
    let src = CountingSource::new(jp2[at..].to_vec());
    assert_eq!(
        read_facts(&src).unwrap(),
        ImageInfo::Raster {
            format: ContainerFormat::Jp2,
            width: 300,
            height: 200,
            orientation: Default::default(),
            tiled: false,
        }
    );
    // Stored in 128 px tiles: a region decodes the tiles it touches, whole or raw.
    let tiled = save(
        d,
        "jp2ksave",
        "tiled.jp2",
        &["--tile-width", "128", "--tile-height", "128"],
    );
    let tiled = std::fs::read(tiled).unwrap();
    let at = tiled.windows(4).position(|w| w == b"jp2c").unwrap() + 4;
    for bytes in [tiled.clone(), tiled[at..].to_vec()] {
        let info = read_facts(&CountingSource::new(bytes)).unwrap();
        assert!(
            matches!(
                info,
                ImageInfo::Raster {
                    width: 300,
                    height: 200,
                    tiled: true,
                    ..
                }
            ),
            "{info:?}"
        );
    }
}
