//! Tessera: a IIIF Image API 3.0 and 2.1 server on libvips.
//!
//! The crate is five layers that depend one way: [`iiif`], [`source`] and [`facts`] know
//! nothing of each other's callers; [`render`] turns a plan into encoded bytes with libvips;
//! [`images`] is the HTTP-free core that owns the store, the caches and the render slots
//! and answers "facts of this image" and "this image request, rendered"; [`service`] is
//! one async function from an HTTP request to an HTTP response over that core, called by
//! the front doors in [`doors`] (the standalone server, the Lambdas) and the tests alike.
//! [`config`] reads every environment variable once at start; no `main` reads any.
//! [`tools`] are the command-line tools (create-metadata, convert, inspect).
//!
//! [`metrics`] turns each finished request into EMF lines or Prometheus counters.
//!
//! [`cache`] is the kit every cache is built from (single-flight fetches, one stats shape).

pub mod cache;
pub mod config;
pub mod doors;
pub mod facts;
pub mod iiif;
pub mod images;
pub mod logging;
pub mod metrics;
pub mod render;
pub mod service;
pub mod source;
pub mod tools;
