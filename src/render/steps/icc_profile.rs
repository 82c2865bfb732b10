//! What an embedded ICC profile says about itself, read from its bytes: enough to tell a
//! profile that is sRGB already (the common case, and a conversion that would cost a
//! colour transform per tile to change nothing) from one that needs converting.
//!
//! An ICC profile is a 128-byte header, a tag count and a table of (signature, offset,
//! size) entries (ICC.1:2010, section 7). The description tag `desc` is `textDescriptionType`
//! in version 2 profiles (ASCII) and `multiLocalizedUnicodeType` (`mluc`, UTF-16BE records)
//! in version 4. Profiles that are sRGB name themselves so ("sRGB IEC61966-2.1", "sRGB
//! built-in", "sRGB v4 ICC preference", ...); one that does not is converted, which is
//! always correct, only slower.

/// Whether the profile describes itself as sRGB. Unreadable profiles are not.
pub(crate) fn is_srgb(profile: &[u8]) -> bool {
    description(profile).is_some_and(|d| d.contains("sRGB"))
}

fn be32(bytes: &[u8], at: usize) -> Option<u32> {
    let b = bytes.get(at..at.checked_add(4)?)?;
    Some(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
}

/// The profile's description text, in either encoding.
pub(crate) fn description(profile: &[u8]) -> Option<String> {
    let count = be32(profile, 128)? as usize;
    let (offset, size) = (0..count.min(256)).find_map(|i| {
        let entry = 132 + 12 * i;
        (profile.get(entry..entry + 4)? == b"desc")
            .then(|| {
                Some((
                    be32(profile, entry + 4)? as usize,
                    be32(profile, entry + 8)? as usize,
                ))
            })
            .flatten()
    })?;
    let tag = profile.get(offset..offset.checked_add(size)?)?;
    match tag.get(..4)? {
        b"desc" => {
            let len = be32(tag, 8)? as usize;
            let text = tag.get(12..12usize.checked_add(len)?)?;
            Some(
                String::from_utf8_lossy(text)
                    .trim_end_matches('\0')
                    .to_owned(),
            )
        }
        b"mluc" => {
            // The first record: language, country, length, offset (from the tag's start).
            let len = be32(tag, 20)? as usize;
            let at = be32(tag, 24)? as usize;
            let units: Vec<u16> = tag
                .get(at..at.checked_add(len)?)?
                .chunks_exact(2)
                .map(|c| u16::from_be_bytes([c[0], c[1]]))
                .collect();
            Some(String::from_utf16_lossy(&units))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A profile holding only a tag table with one `desc` tag.
    fn profile_with(tag: &[u8]) -> Vec<u8> {
        let mut p = vec![0u8; 128];
        p.extend_from_slice(&1u32.to_be_bytes());
        p.extend_from_slice(b"desc");
        p.extend_from_slice(&144u32.to_be_bytes());
        p.extend_from_slice(&(tag.len() as u32).to_be_bytes());
        p.extend_from_slice(tag);
        p
    }

    fn v2_desc(text: &str) -> Vec<u8> {
        let mut tag = b"desc\0\0\0\0".to_vec();
        tag.extend_from_slice(&(text.len() as u32 + 1).to_be_bytes());
        tag.extend_from_slice(text.as_bytes());
        tag.push(0);
        tag
    }

    fn v4_mluc(text: &str) -> Vec<u8> {
        let utf16: Vec<u8> = text.encode_utf16().flat_map(u16::to_be_bytes).collect();
        let mut tag = b"mluc\0\0\0\0".to_vec();
        tag.extend_from_slice(&1u32.to_be_bytes());
        tag.extend_from_slice(&12u32.to_be_bytes());
        tag.extend_from_slice(b"enUS");
        tag.extend_from_slice(&(utf16.len() as u32).to_be_bytes());
        tag.extend_from_slice(&28u32.to_be_bytes());
        tag.extend_from_slice(&utf16);
        tag
    }

    #[test]
    fn descriptions_in_both_encodings() {
        let v2 = profile_with(&v2_desc("sRGB IEC61966-2.1"));
        assert_eq!(description(&v2).as_deref(), Some("sRGB IEC61966-2.1"));
        assert!(is_srgb(&v2));
        let v4 = profile_with(&v4_mluc("Adobe RGB (1998)"));
        assert_eq!(description(&v4).as_deref(), Some("Adobe RGB (1998)"));
        assert!(!is_srgb(&v4));
    }

    #[test]
    fn damaged_profiles_are_not_srgb_and_do_not_panic() {
        let whole = profile_with(&v2_desc("sRGB"));
        for cut in 0..whole.len() {
            let _ = description(&whole[..cut]);
        }
        assert!(!is_srgb(&whole[..150]));
        assert!(!is_srgb(&[]));
        let mut huge_count = whole.clone();
        huge_count[128..132].copy_from_slice(&u32::MAX.to_be_bytes());
        assert!(
            is_srgb(&huge_count),
            "the table is read up to the first desc"
        );
    }
}
