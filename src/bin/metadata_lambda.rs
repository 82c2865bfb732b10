//! The create-metadata-on-upload Lambda: S3 `ObjectCreated` notifications in, image facts
//! written into each new object's metadata (see `tessera::tools::metadata::upload`).
//!
//! Thin on purpose: the work is the library's `handle_records`, tested against a real
//! S3-compatible server. The client is built once per container, with the function role's
//! credentials and `AWS_REGION` from the Lambda environment. An invocation fails when any
//! object failed, so the failure shows in the function's error metrics and, after the
//! platform's two retries of an asynchronous event, in its on-failure destination; objects
//! already done are skipped on retry by their metadata.

use lambda_runtime::{service_fn, Error, LambdaEvent};
use serde_json::{json, Value};
use tessera::config::S3Config;
use tessera::tools::metadata::{
    handle_records, records_from_value, CopyPolicy, ObjectJob, Outcome,
};

/// The function's settings: the S3 ones of the server, from the environment alone (a
/// Lambda has no command line).
#[derive(clap::Parser)]
struct Settings {
    #[command(flatten)]
    s3: S3Config,
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    tessera::logging::init(tessera::config::LogFormat::Json);
    let settings = <Settings as clap::Parser>::try_parse_from(["metadata-bootstrap"])?;
    let job = ObjectJob {
        store: tessera::tools::s3_store(&settings.s3).await,
        dry_run: false,
        policy: CopyPolicy::default(),
        trust_existing: true,
    };
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
