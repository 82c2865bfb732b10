//! Pure IIIF: parsing request paths, planning renders, canonical forms and info.json.
//! No I/O, no async, no unsafe; everything here is testable with tables of strings.
//!
//! The service calls, in order: [`parse_route`] on the path after the version prefix;
//! for an image, [`plan`] once the image's [`ImageFacts`] are known, then
//! [`canonical_request`] for the `Link` header and ETag; for info.json, [`info_json`].

mod canonical;
mod error;
mod info;
mod level;
mod limits;
mod model;
mod number;
mod offer;
mod plan;
mod region;
mod request;
mod route;
mod scale;
mod size;
mod version;

pub use canonical::canonical_request;
pub use error::{IiifError, IiifErrorKind};
pub use info::{info_json, InfoOptions};
pub use limits::Limits;
pub use model::{Dimensions, Format, ImageFacts, Plan, Quality, Rect};
pub use plan::plan;
pub use request::ImageRequest;
pub use route::{parse_route, Route};
pub use version::{context_uri, profile_uri, Version};
