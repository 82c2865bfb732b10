//! The create-metadata-on-upload Lambda's loop: S3 `ObjectCreated` notifications in, image
//! facts written into each new object's metadata (the work is
//! [`crate::tools::metadata::handle_records`], tested against a real S3-compatible server).
//!
//! An invocation fails when any object failed, so the failure shows in the function's
//! error metrics and, after the platform's two retries of an asynchronous event, in its
//! on-failure destination; objects already done are skipped on retry by their metadata.

use crate::tools::metadata::{handle_records, records_from_value, ObjectJob, Outcome};
use lambda_runtime::{service_fn, Error, LambdaEvent};
use serde_json::{json, Value};

/// Serves upload notifications until the runtime stops; `job` must trust existing
/// metadata (see `tools::metadata::upload`), since writing metadata is itself an upload.
pub async fn run(job: ObjectJob) -> Result<(), Error> {
    let job = &job;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| async move {
        let records = records_from_value(event.payload)?;
        let outcomes = handle_records(job, &records).await;
        let mut failed = 0;
        for (record, outcome) in &outcomes {
            let text = match outcome {
                Outcome::Failed(why) => {
                    failed += 1;
                    format!("failed: {why}")
                }
                other => format!("{other:?}").to_lowercase(),
            };
            tracing::info!(bucket = %record.bucket, key = %record.key, outcome = %text, "create-metadata");
        }
        if failed > 0 {
            return Err(Error::from(format!("{failed} of {} objects failed", outcomes.len())));
        }
        Ok::<Value, Error>(json!({ "objects": outcomes.len() }))
    }))
    .await
}
