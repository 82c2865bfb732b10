//! Operator tools behind the `tessera` subcommands: writing image facts into S3 metadata
//! ([`metadata`]), making pyramid TIFFs ([`convert`]) and checking them ([`inspect`]).
//!
//! They sit above the serving layers and reuse them: the facts come from [`crate::tiff`]
//! over a [`crate::source`], the pixels from [`crate::render`]. Nothing in the serving path
//! depends on this module.

pub mod convert;
pub mod inspect;
pub mod metadata;
pub mod s3_args;
