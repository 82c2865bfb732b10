//! `create-metadata`: record each image's width, height, pyramid levels and tile size as S3
//! user metadata, so `info.json` (Tessera's, and serverless-iiif's) costs one HEAD.
//!
//! The pieces, in the order an object meets them: [`target`] says which keys a run covers,
//! [`run`] lists them and works through them concurrently, [`object`] HEADs one, reads its
//! facts by ranges and decides, [`keys`] says what to write and when nothing needs writing,
//! [`copy`] writes by copying the object onto itself, [`progress`] shows it happening.
//! [`upload`] runs the same per-object logic for S3 upload notifications (a Lambda).

pub mod copy;
pub mod keys;
pub mod object;
mod progress;
pub mod run;
pub mod target;
pub mod upload;

pub use copy::{CopyPolicy, SINGLE_COPY_LIMIT};
pub use keys::{facts_to_record, is_current, merged};
pub use object::{head_object, ObjectJob, ObjectState, Outcome};
pub use progress::ProgressMode;
pub use run::{list_keys, run, RunOptions, Summary};
pub use target::{KeyFilter, S3Url};
pub use upload::{handle_records, parse_s3_event, records_from_value, UploadRecord};
