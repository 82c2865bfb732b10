//! An Adobe RGB (1998) ICC profile built byte by byte (ICC.1 version 2, a matrix/TRC
//! display profile), so the tests embed a real wide-gamut profile without shipping a
//! binary file, and know exactly what it says: the primaries and the 563/256 gamma of the
//! Adobe RGB specification, adapted to the D50 connection space (Bradford, as published by
//! Bruce Lindbloom).

/// Adobe RGB's red, green and blue colorants in XYZ, D50-adapted.
const COLORANTS: [[f64; 3]; 3] = [
    [0.609_755_9, 0.311_104_8, 0.019_481_1],
    [0.205_240_1, 0.625_656_0, 0.060_890_2],
    [0.149_224_0, 0.063_219_7, 0.744_838_7],
];
const D50: [f64; 3] = [0.9642, 1.0, 0.8249];
/// 563/256 as the u8Fixed8Number a curveType holds.
const GAMMA: u16 = 563;

fn s15f16(v: f64) -> [u8; 4] {
    ((v * 65536.0).round() as i32).to_be_bytes()
}

fn xyz_tag(xyz: [f64; 3]) -> Vec<u8> {
    let mut tag = b"XYZ \0\0\0\0".to_vec();
    for v in xyz {
        tag.extend_from_slice(&s15f16(v));
    }
    tag
}

fn curve_tag() -> Vec<u8> {
    let mut tag = b"curv\0\0\0\0".to_vec();
    tag.extend_from_slice(&1u32.to_be_bytes());
    tag.extend_from_slice(&GAMMA.to_be_bytes());
    tag.extend_from_slice(&[0, 0]);
    tag
}

/// textDescriptionType: ASCII, then empty Unicode and ScriptCode parts.
fn desc_tag(text: &str) -> Vec<u8> {
    let mut tag = b"desc\0\0\0\0".to_vec();
    tag.extend_from_slice(&(text.len() as u32 + 1).to_be_bytes());
    tag.extend_from_slice(text.as_bytes());
    tag.push(0);
    tag.extend_from_slice(&[0; 8]); // Unicode language and count
    tag.extend_from_slice(&[0; 3]); // ScriptCode code and count
    tag.extend_from_slice(&[0; 67]);
    tag
}

fn text_tag(text: &str) -> Vec<u8> {
    let mut tag = b"text\0\0\0\0".to_vec();
    tag.extend_from_slice(text.as_bytes());
    tag.push(0);
    tag
}

/// The whole profile.
pub fn adobe_rgb() -> Vec<u8> {
    let tags: Vec<(&[u8; 4], Vec<u8>)> = vec![
        (b"desc", desc_tag("Adobe RGB (1998) test profile")),
        (b"cprt", text_tag("No copyright, use freely")),
        (b"wtpt", xyz_tag(D50)),
        (b"rXYZ", xyz_tag(COLORANTS[0])),
        (b"gXYZ", xyz_tag(COLORANTS[1])),
        (b"bXYZ", xyz_tag(COLORANTS[2])),
        (b"rTRC", curve_tag()),
        (b"gTRC", curve_tag()),
        (b"bTRC", curve_tag()),
    ];
    let table_len = 4 + 12 * tags.len();
    let mut offset = 128 + table_len;
    let mut table = (tags.len() as u32).to_be_bytes().to_vec();
    let mut data = Vec::new();
    for (signature, tag) in &tags {
        table.extend_from_slice(*signature);
        table.extend_from_slice(&(offset as u32).to_be_bytes());
        table.extend_from_slice(&(tag.len() as u32).to_be_bytes());
        let mut padded = tag.clone();
        padded.resize(tag.len().div_ceil(4) * 4, 0);
        offset += padded.len();
        data.extend_from_slice(&padded);
    }
    let size = 128 + table.len() + data.len();
    let mut header = Vec::with_capacity(128);
    header.extend_from_slice(&(size as u32).to_be_bytes());
    header.extend_from_slice(b"lcms");
    header.extend_from_slice(&[2, 0x10, 0, 0]); // version 2.1
    header.extend_from_slice(b"mntrRGB XYZ ");
    header.extend_from_slice(&[0x07, 0xd0, 0, 1, 0, 1, 0, 0, 0, 0, 0, 0]); // 2000-01-01
    header.extend_from_slice(b"acsp");
    header.resize(64, 0); // platform, flags, manufacturer, model, attributes
    header.extend_from_slice(&0u32.to_be_bytes()); // perceptual intent
    for v in D50 {
        header.extend_from_slice(&s15f16(v));
    }
    header.resize(128, 0); // creator, profile ID, reserved
    [header, table, data].concat()
}
