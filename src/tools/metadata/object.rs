//! One object's turn: HEAD it, read its facts by ranges, decide, and copy it onto itself
//! with the new metadata when it needs them.
//!
//! The HEAD is the only full read of the object's attributes: everything the copy must
//! carry over (content headers, user metadata, storage class, encryption) comes from it,
//! and its ETag guards both the facts reads (`If-Match` on every ranged GET) and the copy
//! (`CopySourceIfMatch`), so an object overwritten while we work fails instead of being
//! replaced by the old bytes or labelled with the wrong sizes.

use super::copy::{copy_onto_itself, CopyPolicy};
use super::keys::{facts_to_record, is_current, merged};
use crate::facts::read_facts;
use crate::source::{metadata_dimensions, MetaFacts, ObjectHead, S3Store, Source};
use aws_sdk_s3::config::http::HttpResponse;
use aws_sdk_s3::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_s3::operation::head_object::HeadObjectOutput;
use aws_sdk_s3::types::{ServerSideEncryption, StorageClass};
use aws_sdk_s3::Client;
use std::collections::HashMap;
use std::sync::Arc;

/// What happened to one object.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// The metadata was written (the object was copied onto itself).
    Written,
    /// The metadata was already right; nothing was written.
    Current,
    /// Dry run: the metadata would have been written.
    WouldWrite,
    /// Reading, parsing or copying failed; the text says why.
    Failed(String),
}

/// The attributes a copy onto itself must preserve, as the HEAD reported them.
#[derive(Clone, Debug, Default)]
pub struct ObjectAttributes {
    pub content_type: Option<String>,
    pub cache_control: Option<String>,
    pub content_disposition: Option<String>,
    pub content_encoding: Option<String>,
    pub content_language: Option<String>,
    pub website_redirect_location: Option<String>,
    /// Absent for STANDARD (S3 only reports other classes).
    pub storage_class: Option<StorageClass>,
    pub server_side_encryption: Option<ServerSideEncryption>,
    pub ssekms_key_id: Option<String>,
    pub bucket_key_enabled: Option<bool>,
    /// Set when the object is encrypted with a customer-provided key, which we do not
    /// have: such objects cannot be read or copied by this tool.
    pub sse_customer_algorithm: Option<String>,
}

impl ObjectAttributes {
    /// The KMS key and bucket-key setting to send: only with SSE-KMS, since S3 refuses
    /// them beside SSE-S3 (AES256).
    pub fn kms(&self) -> (Option<String>, Option<bool>) {
        let kms = self
            .server_side_encryption
            .as_ref()
            .is_some_and(|sse| sse.as_str().starts_with("aws:kms"));
        if kms {
            (self.ssekms_key_id.clone(), self.bucket_key_enabled)
        } else {
            (None, None)
        }
    }
}

/// One object as the HEAD saw it.
#[derive(Clone, Debug)]
pub struct ObjectState {
    pub head: ObjectHead,
    pub attributes: ObjectAttributes,
}

/// HEADs `bucket/key`, keeping every attribute the copy needs.
pub async fn head_object(client: &Client, bucket: &str, key: &str) -> Result<ObjectState, String> {
    let out: HeadObjectOutput = client
        .head_object()
        .bucket(bucket)
        .key(key)
        .send()
        .await
        .map_err(|e| sdk_message("HEAD", &e))?;
    let head = ObjectHead::from_output(bucket, key, &out).map_err(|e| e.detail().to_owned())?;
    let attributes = ObjectAttributes {
        content_type: out.content_type().map(str::to_owned),
        cache_control: out.cache_control().map(str::to_owned),
        content_disposition: out.content_disposition().map(str::to_owned),
        content_encoding: out.content_encoding().map(str::to_owned),
        content_language: out.content_language().map(str::to_owned),
        website_redirect_location: out.website_redirect_location().map(str::to_owned),
        storage_class: out.storage_class().cloned(),
        server_side_encryption: out.server_side_encryption().cloned(),
        ssekms_key_id: out.ssekms_key_id().map(str::to_owned),
        bucket_key_enabled: out.bucket_key_enabled(),
        sse_customer_algorithm: out.sse_customer_algorithm().map(str::to_owned),
    };
    Ok(ObjectState { head, attributes })
}

/// The shared parts of a run that every object needs.
#[derive(Clone)]
pub struct ObjectJob {
    pub store: S3Store,
    pub dry_run: bool,
    pub policy: CopyPolicy,
    /// Skip, without reading its bytes, any object whose metadata already names a width,
    /// height, page count and levels. The upload handler sets this: its own copy raises
    /// another upload event, which must cost one HEAD and end there. (Objects that carry
    /// only serverless-iiif's keys are read and get their levels added.) The command line leaves it
    /// off and checks the recorded numbers against the image.
    pub trust_existing: bool,
}

impl ObjectJob {
    /// Processes one key from start to end; never panics on bad objects, only reports.
    pub async fn process(&self, bucket: &str, key: &str) -> Outcome {
        match self.try_process(bucket, key).await {
            Ok(outcome) => outcome,
            Err(message) => Outcome::Failed(message),
        }
    }

    async fn try_process(&self, bucket: &str, key: &str) -> Result<Outcome, String> {
        let client = self.store.client();
        let state = head_object(client, bucket, key).await?;
        if state.attributes.sse_customer_algorithm.is_some() {
            return Err("encrypted with a customer-provided key (SSE-C): cannot read".into());
        }
        let recorded = metadata_dimensions(&state.head.metadata);
        if self.trust_existing && recorded.is_some_and(|m| m.pages.is_some() && m.levels.is_some())
        {
            return Ok(Outcome::Current);
        }
        let facts = self.read_record(&state.head).await?;
        if is_current(&state.head.metadata, &facts) {
            return Ok(Outcome::Current);
        }
        if self.dry_run {
            return Ok(Outcome::WouldWrite);
        }
        let metadata: HashMap<String, String> = merged(&state.head.metadata, &facts);
        copy_onto_itself(client, &state, metadata, &self.policy).await?;
        Ok(Outcome::Written)
    }

    /// Reads the object's facts with exact ranged GETs (a few small reads for a TIFF, one or
    /// two for other formats) on a blocking thread, as [`Source::read_at`] requires.
    async fn read_record(&self, head: &ObjectHead) -> Result<MetaFacts, String> {
        let source: Arc<dyn Source> = Arc::new(self.store.open_exact(head));
        let info = tokio::task::spawn_blocking(move || read_facts(&*source))
            .await
            .map_err(|e| format!("facts reader stopped: {e}"))?
            .map_err(|e| format!("not a readable image: {e}"))?;
        facts_to_record(&info).ok_or_else(|| "no first image".to_string())
    }
}

/// An SDK error in one line: the S3 error code and message, else the HTTP status (a HEAD
/// of a missing key is a bare 404 with no body), else the SDK's own description. A 403
/// also says "not found": without s3:ListBucket (the template grants GetObject alone) S3
/// answers a missing key 403, and the upload handler tries a key's other reading on
/// "not found" (see `upload::handle_records`).
pub(crate) fn sdk_message<E>(what: &str, err: &SdkError<E, HttpResponse>) -> String
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    let status = err.raw_response().map(|r| r.status().as_u16());
    match (err.code(), err.message(), status) {
        (_, _, Some(404)) => format!("{what}: not found (404)"),
        (_, _, Some(403)) => format!(
            "{what}: not found or access denied (403; S3 answers 403 for a missing key to a \
             role without s3:ListBucket)"
        ),
        (Some(code), Some(message), _) => format!("{what}: {code}: {message}"),
        (Some(code), None, _) => format!("{what}: {code}"),
        (None, _, Some(status)) => format!("{what}: HTTP {status}"),
        _ => format!("{what}: {}", DisplayErrorContext(err)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_s3::error::ErrorMetadata;
    use aws_sdk_s3::operation::head_object::HeadObjectError;
    use aws_sdk_s3::primitives::SdkBody;

    fn head_error(status: u16) -> SdkError<HeadObjectError, HttpResponse> {
        let response = HttpResponse::new(status.try_into().unwrap(), SdkBody::empty());
        let err = HeadObjectError::generic(ErrorMetadata::builder().build());
        SdkError::service_error(err, response)
    }

    #[test]
    fn a_missing_key_reads_as_not_found_under_either_status() {
        // GetObject-only IAM: S3 answers a HEAD of a missing key with a bare 403.
        for status in [403, 404] {
            let message = sdk_message("HEAD", &head_error(status));
            assert!(message.contains("not found"), "{status}: {message}");
        }
        assert_eq!(sdk_message("HEAD", &head_error(500)), "HEAD: HTTP 500");
    }
}
