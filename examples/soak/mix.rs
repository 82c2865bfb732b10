//! The request mix: what a day of real and hostile traffic looks like, as URLs. Viewers'
//! tiles dominate (the OpenSeadragon pattern: info.json, then tiles of the grid info.json
//! offers at each scale factor); thumbnails of large single-resolution images, crops and
//! rotations follow; bombs, hostile paths and unknown images make up the rest. The images'
//! sizes and tile grids are read from the server's own info.json before the load starts.

use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;

/// What a request stands for; the table has one row per kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Kind {
    Info,
    Tile,
    Large,
    Crop,
    Rotate,
    Bomb,
    Hostile,
    Missing,
}

impl Kind {
    pub(crate) const ALL: [Kind; 8] = [
        Kind::Info,
        Kind::Tile,
        Kind::Large,
        Kind::Crop,
        Kind::Rotate,
        Kind::Bomb,
        Kind::Hostile,
        Kind::Missing,
    ];

    pub(crate) fn name(self) -> &'static str {
        match self {
            Kind::Info => "info.json",
            Kind::Tile => "tile",
            Kind::Large => "large !1024",
            Kind::Crop => "crop",
            Kind::Rotate => "rotation",
            Kind::Bomb => "bomb",
            Kind::Hostile => "hostile",
            Kind::Missing => "missing",
        }
    }

    /// Share of the requests, in percent (the weights add up to 100).
    fn weight(self) -> u64 {
        match self {
            Kind::Info => 5,
            Kind::Tile => 45,
            Kind::Large => 10,
            Kind::Crop => 10,
            Kind::Rotate => 7,
            Kind::Bomb => 5,
            Kind::Hostile => 10,
            Kind::Missing => 8,
        }
    }
}

/// The pyramids viewers walk.
pub(crate) const PYRAMIDS: [&str; 2] = ["pyramid.tif", "pyramid-256.tif"];
/// The 24 MP single-resolution images.
pub(crate) const LARGE: [&str; 3] = ["large.jpg", "large.png", "large-strip.tif"];
const BOMBS: [&str; 2] = ["bomb.jpg", "bomb.png"];

/// An image's size and tile grid, from its info.json.
#[derive(Clone, Debug)]
pub(crate) struct Picture {
    pub(crate) id: &'static str,
    pub(crate) width: u64,
    pub(crate) height: u64,
    pub(crate) tile: u64,
    pub(crate) factors: Vec<u64>,
}

/// Random choices from the standard library's randomly keyed hasher: a load generator
/// needs spread, not statistics, and this needs no crate.
pub(crate) struct Dice {
    state: RandomState,
    n: u64,
}

impl Dice {
    pub(crate) fn new() -> Dice {
        Dice {
            state: RandomState::new(),
            n: 0,
        }
    }

    /// A number in `0..below` (`below` > 0).
    pub(crate) fn below(&mut self, below: u64) -> u64 {
        self.n += 1;
        self.state.hash_one(self.n) % below
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
}

/// Everything the mix needs to know about the images.
pub(crate) struct Mix {
    pub(crate) pyramids: Vec<Picture>,
    pub(crate) large: Vec<Picture>,
}

impl Mix {
    /// The next request: its kind and its path (from `/iiif/` on).
    pub(crate) fn next(&self, dice: &mut Dice) -> (Kind, String) {
        let mut roll = dice.below(100);
        let kind = *Kind::ALL
            .iter()
            .find(|k| {
                let hit = roll < k.weight();
                roll = roll.saturating_sub(k.weight());
                hit
            })
            .unwrap_or(&Kind::Tile);
        let path = match kind {
            Kind::Info => info(dice),
            Kind::Tile => tile(dice.pick(&self.pyramids), dice),
            Kind::Large => format!("3/{}/full/!1024,1024/0/default.jpg", dice.pick(&LARGE)),
            Kind::Crop => crop(self, dice),
            Kind::Rotate => rotation(dice),
            Kind::Bomb => bomb(dice),
            Kind::Hostile => dice.pick(HOSTILE).replace("{long}", &"a".repeat(5000)),
            Kind::Missing => missing(dice),
        };
        (kind, format!("/iiif/{path}"))
    }
}

fn info(dice: &mut Dice) -> String {
    let version = dice.pick(&["2", "3"]);
    let id = dice.pick(&[PYRAMIDS[0], PYRAMIDS[1], LARGE[0], LARGE[1], LARGE[2]]);
    format!("{version}/{id}/info.json")
}

/// One tile of the grid at a random scale factor, written as OpenSeadragon writes it
/// (`w,h` for 3.0, `w,` for 2.1, `full` when one tile holds the level).
fn tile(p: &Picture, dice: &mut Dice) -> String {
    let factor = *dice.pick(&p.factors);
    let span = p.tile * factor;
    let (cols, rows) = (p.width.div_ceil(span), p.height.div_ceil(span));
    let (x, y) = (dice.below(cols) * span, dice.below(rows) * span);
    let (w, h) = (span.min(p.width - x), span.min(p.height - y));
    let (sw, sh) = (w.div_ceil(factor), h.div_ceil(factor));
    let region = if w == p.width && h == p.height {
        "full".to_owned()
    } else {
        format!("{x},{y},{w},{h}")
    };
    if dice.below(4) == 0 {
        format!("2/{}/{region}/{sw},/0/default.jpg", p.id)
    } else {
        format!("3/{}/{region}/{sw},{sh}/0/default.jpg", p.id)
    }
}

/// A region of 64 to 4096 pixels a side anywhere in a large image or a pyramid.
fn crop(mix: &Mix, dice: &mut Dice) -> String {
    let p = if dice.below(2) == 0 {
        dice.pick(&mix.large)
    } else {
        dice.pick(&mix.pyramids)
    };
    let (w, h) = (64 + dice.below(4033), 64 + dice.below(4033));
    let (w, h) = (w.min(p.width), h.min(p.height));
    let (x, y) = (dice.below(p.width - w + 1), dice.below(p.height - h + 1));
    let format = dice.pick(&["jpg", "jpg", "jpg", "png", "webp"]);
    format!("3/{}/{x},{y},{w},{h}/!512,512/0/default.{format}", p.id)
}

/// Right angles, mirrors and arbitrary angles on thumbnails; now and then the hostile one:
/// `^max` at 45 degrees, whose bounding box is twice the largest allowed output.
fn rotation(dice: &mut Dice) -> String {
    let id = dice.pick(&[PYRAMIDS[0], PYRAMIDS[1], LARGE[0], LARGE[1], LARGE[2]]);
    if dice.below(25) == 0 {
        return format!("3/{id}/full/^max/45/default.png");
    }
    let angle = dice.pick(&["90", "180", "270", "!0", "!90", "45", "22.5", "315"]);
    let format = dice.pick(&["jpg", "jpg", "png"]);
    format!("3/{id}/full/!1024,1024/{angle}/default.{format}")
}

fn bomb(dice: &mut Dice) -> String {
    let id = dice.pick(&BOMBS);
    let request = dice.pick(&[
        "info.json",
        "0,0,1,1/1,/0/default.jpg",
        "0,0,512,512/512,/0/default.jpg",
        "full/!1024,1024/0/default.jpg",
        "full/max/0/default.png",
    ]);
    format!("3/{id}/{request}")
}

/// Paths that try to leave the root, reach a file that is not an image, or break the
/// parser. `{long}` is a 5000-character identifier.
const HOSTILE: &[&str] = &[
    "3/..%2F..%2F..%2Fetc%2Fpasswd/info.json",
    "3/..%2Fimages%2Flarge.jpg/full/max/0/default.jpg",
    "3/%2Fetc%2Fpasswd/info.json",
    "3/.git%2Fconfig/info.json",
    "3/.git%2Fconfig/full/max/0/default.jpg",
    "2/.git%2Fconfig/info.json",
    "3/.git/info.json",
    "3/large.jpg%00.png/info.json",
    "3/%ZZ/info.json",
    "3/{long}/info.json",
    "3/{long}.tif/full/max/0/default.jpg",
    "3/large.jpg/-1,0,10,10/max/0/default.jpg",
    "3/large.jpg/0,0,0,0/max/0/default.jpg",
    "3/large.jpg/9000,9000,10,10/max/0/default.jpg",
    "3/large.jpg/99999999999999999999,0,1,1/max/0/default.jpg",
    "3/large.jpg/pct:200,0,10,10/max/0/default.jpg",
    "3/large.jpg/0,0,abc,10/max/0/default.jpg",
    "3/large.jpg/full/0,0/0/default.jpg",
    "3/large.jpg/full/^100000,/0/default.jpg",
    "3/large.jpg/full/max/360.5/default.jpg",
    "3/large.jpg/full/max/0/default.bmp",
    "3/large.jpg/full/max/0/evil.jpg",
];

fn missing(dice: &mut Dice) -> String {
    let n = dice.below(1_000_000);
    let request = dice.pick(&["info.json", "full/!512,512/0/default.jpg"]);
    let id = dice.pick(&[
        "missing-{n}.jpg",
        "missing-{n}",
        "nowhere%2Fmissing-{n}.tif",
    ]);
    format!("3/{}/{request}", id.replace("{n}", &n.to_string()))
}
