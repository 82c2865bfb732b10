//! How the tools reach S3: the same variables as the server (`TESSERA_S3_ENDPOINT`,
//! `TESSERA_S3_PATH_STYLE`, `AWS_REGION`) and the standard AWS credential chain, so a shell
//! that can run `aws s3 ls` can run `tessera create-metadata`.

use crate::source::{BlockCache, S3Settings, S3Store};
use std::sync::Arc;

/// S3 connection flags shared by the tool subcommands.
#[derive(Clone, Debug, clap::Args)]
pub struct S3Args {
    /// Custom S3 endpoint URL (S3-compatible stores).
    #[arg(long, env = "TESSERA_S3_ENDPOINT")]
    pub s3_endpoint: Option<String>,
    /// Path-style addressing (needed by most S3-compatible stores on one host).
    #[arg(long, env = "TESSERA_S3_PATH_STYLE", default_value_t = false)]
    pub s3_path_style: bool,
    /// AWS region of the bucket.
    #[arg(long, env = "AWS_REGION", default_value = "us-east-1")]
    pub region: String,
}

impl S3Args {
    /// A store with the standard credential chain. The block cache is small: the tools
    /// read facts with exact ranges, which bypass it.
    pub async fn store(&self) -> S3Store {
        let mut settings = S3Settings::new(self.region.clone());
        settings.endpoint_url = self.s3_endpoint.clone().filter(|e| !e.is_empty());
        settings.force_path_style = self.s3_path_style;
        S3Store::new(&settings, Arc::new(BlockCache::new(65_536, 4 << 20))).await
    }
}
