//! Which container a file is, from its first bytes.
//!
//! Only magic numbers are trusted, never the identifier's extension: objects in buckets are
//! often named `.tif` when they hold JPEG and the reverse, and the magic costs nothing
//! because the first read of any walk lands on it anyway.

use super::error::FactsError;
use super::fetch::Fetcher;
use crate::source::Source;

/// The containers whose sizes we read.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ContainerFormat {
    /// Classic TIFF or BigTIFF, either byte order.
    Tiff,
    Jpeg,
    Png,
    Webp,
    /// A JP2 file (box structure) or a raw JPEG 2000 codestream.
    Jp2,
    Gif,
}

/// Bytes [`sniff_bytes`] needs to tell every format apart.
pub(crate) const SNIFF_LEN: usize = 16;

const JP2_SIGNATURE: &[u8] = &[
    0, 0, 0, 0x0C, b'j', b'P', b' ', b' ', 0x0D, 0x0A, 0x87, 0x0A,
];
const J2K_CODESTREAM: &[u8] = &[0xFF, 0x4F, 0xFF, 0x51];
const PNG_SIGNATURE: &[u8] = &[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A];

/// The container of `head` (the object's first bytes), if we know it.
pub(crate) fn sniff_bytes(head: &[u8]) -> Option<ContainerFormat> {
    let tiff_magics: [&[u8]; 4] = [b"II*\0", b"MM\0*", b"II+\0", b"MM\0+"];
    if tiff_magics.iter().any(|m| head.starts_with(m)) {
        return Some(ContainerFormat::Tiff);
    }
    if head.starts_with(&[0xFF, 0xD8, 0xFF]) {
        return Some(ContainerFormat::Jpeg);
    }
    if head.starts_with(PNG_SIGNATURE) {
        return Some(ContainerFormat::Png);
    }
    if head.len() >= 12 && head.starts_with(b"RIFF") && &head[8..12] == b"WEBP" {
        return Some(ContainerFormat::Webp);
    }
    if head.starts_with(JP2_SIGNATURE) || head.starts_with(J2K_CODESTREAM) {
        return Some(ContainerFormat::Jp2);
    }
    if head.starts_with(b"GIF87a") || head.starts_with(b"GIF89a") {
        return Some(ContainerFormat::Gif);
    }
    None
}

/// Sniffs through an existing fetcher, so the read is reused by the parser that follows.
pub(crate) fn sniff_with(fetch: &mut Fetcher) -> Result<ContainerFormat, FactsError> {
    let head = fetch.clipped(0, SNIFF_LEN)?;
    sniff_bytes(&head).ok_or_else(|| {
        let shown: Vec<String> = head.iter().take(8).map(|b| format!("{b:02x}")).collect();
        FactsError::unrecognised(format!("unknown file signature [{}]", shown.join(" ")))
    })
}

/// The container format of `source`, from its magic bytes (one read).
pub fn sniff_format(source: &dyn Source) -> Result<ContainerFormat, FactsError> {
    sniff_with(&mut Fetcher::new(source))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn magic_numbers() {
        let cases: &[(&[u8], Option<ContainerFormat>)] = &[
            (b"II*\0\x08\0\0\0", Some(ContainerFormat::Tiff)),
            (b"MM\0*\0\0\0\x08", Some(ContainerFormat::Tiff)),
            (b"II+\0\x08\0\0\0", Some(ContainerFormat::Tiff)),
            (b"MM\0+\0\x08\0\0", Some(ContainerFormat::Tiff)),
            (&[0xFF, 0xD8, 0xFF, 0xE0], Some(ContainerFormat::Jpeg)),
            (PNG_SIGNATURE, Some(ContainerFormat::Png)),
            (b"RIFF\x10\0\0\0WEBPVP8 ", Some(ContainerFormat::Webp)),
            (b"RIFF\x10\0\0\0WAVEfmt ", None),
            (JP2_SIGNATURE, Some(ContainerFormat::Jp2)),
            (
                &[0xFF, 0x4F, 0xFF, 0x51, 0, 0x29],
                Some(ContainerFormat::Jp2),
            ),
            (b"GIF89a\x01\0", Some(ContainerFormat::Gif)),
            (b"GIF87a", Some(ContainerFormat::Gif)),
            (b"II*", None),
            (b"%PDF-1.7", None),
            (b"", None),
        ];
        for (head, want) in cases {
            assert_eq!(sniff_bytes(head), *want, "{head:?}");
        }
    }

    #[test]
    fn unknown_is_unrecognised() {
        let src = crate::source::MemorySource::new(b"hello world".to_vec(), "mem:txt");
        let err = sniff_format(&src).unwrap_err();
        assert_eq!(err.kind(), crate::facts::FactsErrorKind::Unrecognised);
        assert!(err.to_string().contains("68 65 6c"), "{err}");
    }
}
