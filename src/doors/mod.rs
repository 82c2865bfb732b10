//! The front doors, together: each turns its own way of being called into calls on the
//! service or the tools, and nothing else. The binaries in `src/bin/` only read the
//! configuration and start one of these.
//!
//! - [`server`]: the standalone HTTP/1.1 + h2c server (`tessera serve`), each connection
//!   watched by `connection`.
//! - [`lambda`]: the image Lambda (`bootstrap`), Function URL events in, streamed
//!   responses out.
//! - [`uploads`]: the create-metadata Lambda (`metadata-bootstrap`), S3 upload
//!   notifications in, object metadata written.

mod connection;
pub mod lambda;
pub mod server;
pub mod uploads;
