//! `metadata-bootstrap`: the create-metadata-on-upload Lambda (see
//! `tessera::doors::uploads`).
//!
//! Thin on purpose: it reads the S3 settings from the environment (a Lambda has no command
//! line), builds the client once per container with the function role's credentials and
//! `AWS_REGION`, and hands over to the door.

use lambda_runtime::Error;
use tessera::config::S3Config;
use tessera::tools::metadata::{CopyPolicy, ObjectJob};

/// The function's settings: the S3 ones of the server, from the environment alone.
#[derive(clap::Parser)]
struct Settings {
    #[command(flatten)]
    s3: S3Config,
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    tessera::logging::init(tessera::config::LogFormat::Json);
    let settings = tessera::config::parse_env_only::<Settings>("metadata-bootstrap")?;
    let job = ObjectJob {
        store: tessera::tools::s3_store(&settings.s3).await,
        dry_run: false,
        policy: CopyPolicy::default(),
        trust_existing: true,
    };
    tessera::doors::uploads::run(job).await
}
