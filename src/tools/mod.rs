//! Operator tools behind the `tessera` subcommands: writing image facts into S3 metadata
//! ([`metadata`]), making pyramid TIFFs ([`convert`]) and checking them ([`inspect`]).
//!
//! They sit above the serving layers and reuse them: the facts come from [`crate::facts`]
//! over a [`crate::source`], the pixels from [`crate::render`]. Nothing in the serving path
//! depends on this module.

pub mod convert;
pub mod inspect;
pub mod metadata;

use crate::config::S3Config;
use crate::source::{BlockCache, S3Store};
use std::sync::Arc;

/// The tools' store: the same settings as the server ([`S3Config`]: `TESSERA_S3_ENDPOINT`,
/// `TESSERA_S3_PATH_STYLE`, `AWS_REGION`, ...) and the standard AWS credential chain, so a
/// shell that can run `aws s3 ls` can run `tessera create-metadata`. The block cache is
/// small: the tools read facts with exact ranges, which bypass it.
pub async fn s3_store(s3: &S3Config) -> S3Store {
    s3.store(Arc::new(BlockCache::new(65_536, 4 << 20))).await
}
