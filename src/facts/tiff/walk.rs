//! Walks the main IFD chain and each directory's SubIFDs, with one read per directory.
//!
//! Files come from anyone who can write to a bucket, so the walk is bounded four ways:
//! every directory offset is visited at most once (a cycle is an error, not a hang), the
//! total number of directories is capped, every offset is checked against the object
//! length before it is read, and each directory found allows [`READS_PER_DIRECTORY`] more
//! reads of the fetcher's budget, so reads stay proportional to directories. SubIFDs are followed one level deep and through their array
//! only, not through their own next-IFD links: that is how libvips (`tiffload subifd=K`)
//! and OME-TIFF address them.

use super::header::{read_header, Layout};
use super::ifd::{read_directory, Directory};
use crate::facts::error::FactsError;
use crate::facts::fetch::Fetcher;
use std::collections::HashSet;

/// The most directories one file may have. 4096 pages is beyond any document we serve
/// and bounds the reads a hostile file can make us issue.
pub(crate) const MAX_DIRECTORIES: u32 = 4096;
/// Reads one directory may cost: its entries (two reads when they outgrow the first
/// chunk), its SubIFD array, and the few out-of-line values facts use, which real writers
/// put right behind the directory (one read at most) but may scatter.
pub(crate) const READS_PER_DIRECTORY: u32 = 8;

/// One directory of the main chain with its SubIFDs, in array order.
#[derive(Clone, Debug)]
pub(crate) struct MainIfd {
    pub(crate) dir: Directory,
    pub(crate) subs: Vec<Directory>,
}

/// The decoded directory tree of one file.
#[derive(Clone, Debug)]
pub(crate) struct Walk {
    pub(crate) layout: Layout,
    pub(crate) mains: Vec<MainIfd>,
    pub(crate) directories: u32,
}

struct Walker<'f, 'a> {
    fetch: &'f mut Fetcher<'a>,
    layout: Layout,
    visited: HashSet<u64>,
}

impl Walker<'_, '_> {
    /// Reads the directory at `offset`, refusing revisits, bad offsets and too many.
    fn visit(&mut self, offset: u64, what: &str) -> Result<Directory, FactsError> {
        if offset < 8 || offset >= self.fetch.len() {
            return Err(FactsError::corrupt(format!(
                "{what} offset {offset} is outside the file ({} bytes)",
                self.fetch.len()
            )));
        }
        if !self.visited.insert(offset) {
            return Err(FactsError::corrupt(format!(
                "{what} at {offset} was already visited (a cycle)"
            )));
        }
        if self.visited.len() as u32 > MAX_DIRECTORIES {
            return Err(FactsError::corrupt(format!(
                "more than {MAX_DIRECTORIES} directories"
            )));
        }
        self.fetch.allow(READS_PER_DIRECTORY);
        read_directory(self.fetch, self.layout, offset)
    }
}

/// Reads the header and every directory reachable from it.
pub(crate) fn walk(fetch: &mut Fetcher) -> Result<Walk, FactsError> {
    let (layout, first) = read_header(fetch)?;
    if first == 0 {
        return Err(FactsError::corrupt("the TIFF has no directories"));
    }
    let mut walker = Walker {
        fetch,
        layout,
        visited: HashSet::new(),
    };
    let mut mains = Vec::new();
    let mut next = first;
    while next != 0 {
        let dir = walker.visit(next, "directory")?;
        let mut subs = Vec::with_capacity(dir.sub_ifds.len());
        for &offset in &dir.sub_ifds {
            subs.push(walker.visit(offset, "SubIFD")?);
        }
        next = dir.next;
        mains.push(MainIfd { dir, subs });
    }
    let directories = walker.visited.len() as u32;
    Ok(Walk {
        layout,
        mains,
        directories,
    })
}
