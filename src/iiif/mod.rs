//! Pure IIIF: parsing request paths, planning renders, canonical forms and info.json.
//! No I/O, no async, no unsafe; everything here is testable with tables of strings.

mod model;

pub use model::{Dimensions, Format, ImageFacts, Plan, Quality, Rect};
