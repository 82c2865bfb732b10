//! `create-metadata` on upload: the body of a Lambda function subscribed to the source
//! bucket's `s3:ObjectCreated:*` notifications.
//!
//! Two event shapes are accepted, parsed with serde structs of their documented shapes
//! rather than a Lambda events crate (no dependency; a thin binary or a test can pass any
//! JSON): S3 notifications (`{"Records": [...]}`, what a bucket's own notification
//! configuration sends) and EventBridge's `Object Created` events (what a rule on a bucket
//! with EventBridge enabled sends, the only trigger a template can attach to a bucket it
//! did not create). Notification keys arrive form-encoded (`+` for a space, `%XX` for the
//! rest) and are decoded. Whether EventBridge encodes keys is not stated in its
//! documentation, so its key is used as sent and, if no such object exists, decoded.
//!
//! Writing the metadata copies the object onto itself, which raises another ObjectCreated
//! event for the same key. The handler's job is built with `trust_existing`, so that second
//! invocation sees the metadata it just wrote in one HEAD and stops: no loop, and no bytes
//! read twice.

use super::object::{ObjectJob, Outcome};
use percent_encoding::percent_decode_str;
use serde::Deserialize;

/// One object an upload notification names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UploadRecord {
    /// e.g. `ObjectCreated:Put`, `ObjectCreated:Copy` (EventBridge: `ObjectCreated:` and
    /// its `reason`, e.g. `ObjectCreated:PutObject`).
    pub event_name: String,
    pub bucket: String,
    /// The key, decoded.
    pub key: String,
    /// A second reading of the key, tried when no object has `key` (EventBridge keys).
    pub fallback_key: Option<String>,
}

#[derive(Deserialize)]
struct Event {
    #[serde(rename = "Records", default)]
    records: Vec<Record>,
    #[serde(rename = "detail-type")]
    detail_type: Option<String>,
    detail: Option<Detail>,
}

#[derive(Deserialize)]
struct Detail {
    bucket: Named,
    object: Keyed,
    #[serde(default)]
    reason: String,
}

#[derive(Deserialize)]
struct Record {
    #[serde(rename = "eventName", default)]
    event_name: String,
    s3: S3Entity,
}

#[derive(Deserialize)]
struct S3Entity {
    bucket: Named,
    object: Keyed,
}

#[derive(Deserialize)]
struct Named {
    name: String,
}

#[derive(Deserialize)]
struct Keyed {
    key: String,
}

/// Parses an S3 notification event (`{"Records": [...]}`); S3's `s3:TestEvent`, which has
/// no records, yields none.
pub fn parse_s3_event(json: &str) -> Result<Vec<UploadRecord>, String> {
    let value = serde_json::from_str(json).map_err(|e| format!("not JSON: {e}"))?;
    records_from_value(value)
}

/// [`parse_s3_event`] for an event the Lambda runtime already decoded.
pub fn records_from_value(value: serde_json::Value) -> Result<Vec<UploadRecord>, String> {
    let event: Event =
        serde_json::from_value(value).map_err(|e| format!("not an S3 event: {e}"))?;
    if let (Some(kind), Some(detail)) = (&event.detail_type, event.detail) {
        return Ok(vec![eventbridge_record(kind, detail)]);
    }
    event
        .records
        .into_iter()
        .map(|record| {
            Ok(UploadRecord {
                event_name: record.event_name,
                bucket: record.s3.bucket.name,
                key: decode_key(&record.s3.object.key)?,
                fallback_key: None,
            })
        })
        .collect()
}

/// One EventBridge event is one object; the name follows the notification's form
/// (`ObjectCreated:...`) so [`handle_records`] filters both kinds alike.
fn eventbridge_record(kind: &str, detail: Detail) -> UploadRecord {
    let decoded = decode_key(&detail.object.key).ok();
    let fallback_key = decoded.filter(|d| *d != detail.object.key);
    let kind = if kind == "Object Created" {
        "ObjectCreated"
    } else {
        kind
    };
    UploadRecord {
        event_name: format!("{kind}:{}", detail.reason),
        bucket: detail.bucket.name,
        key: detail.object.key,
        fallback_key,
    }
}

/// S3 event keys are form-encoded: `+` is a space, `%2B` a plus.
fn decode_key(raw: &str) -> Result<String, String> {
    let spaced = raw.replace('+', " ");
    percent_decode_str(&spaced)
        .decode_utf8()
        .map(|key| key.into_owned())
        .map_err(|_| format!("key {raw:?} is not UTF-8 once decoded"))
}

/// Processes every ObjectCreated record in turn; other events are ignored. The job should
/// have `trust_existing` set (see the module documentation).
pub async fn handle_records(
    job: &ObjectJob,
    records: &[UploadRecord],
) -> Vec<(UploadRecord, Outcome)> {
    let mut outcomes = Vec::with_capacity(records.len());
    for record in records {
        if !record.event_name.starts_with("ObjectCreated:") {
            continue;
        }
        let mut outcome = job.process(&record.bucket, &record.key).await;
        if let (Outcome::Failed(why), Some(other)) = (&outcome, &record.fallback_key) {
            if why.contains("not found") {
                outcome = job.process(&record.bucket, other).await;
            }
        }
        outcomes.push((record.clone(), outcome));
    }
    outcomes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_documented_notification_shape_and_decodes_keys() {
        let json = r#"{"Records":[
          {"eventVersion":"2.1","eventSource":"aws:s3","eventName":"ObjectCreated:Put",
           "s3":{"s3SchemaVersion":"1.0","bucket":{"name":"images","arn":"arn:aws:s3:::images"},
                 "object":{"key":"scans/page+one%2B%C3%A9.tif","size":1024,"eTag":"abc"}}},
          {"eventName":"ObjectRemoved:Delete",
           "s3":{"bucket":{"name":"images"},"object":{"key":"gone.tif"}}}
        ]}"#;
        let records = parse_s3_event(json).unwrap();
        assert_eq!(records.len(), 2);
        assert_eq!(records[0].bucket, "images");
        assert_eq!(records[0].key, "scans/page one+é.tif");
        assert_eq!(records[0].event_name, "ObjectCreated:Put");
        assert_eq!(records[1].event_name, "ObjectRemoved:Delete");
    }

    #[test]
    fn parses_eventbridge_object_created_with_the_key_as_sent_and_decoded() {
        let json = r#"{"version":"0","detail-type":"Object Created","source":"aws.s3",
          "detail":{"version":"0","bucket":{"name":"images"},
                    "object":{"key":"a b+c.tif","size":5},"reason":"PutObject"}}"#;
        let records = parse_s3_event(json).unwrap();
        assert_eq!(records.len(), 1);
        assert_eq!(records[0].event_name, "ObjectCreated:PutObject");
        assert_eq!(records[0].key, "a b+c.tif");
        assert_eq!(records[0].fallback_key.as_deref(), Some("a b c.tif"));
        let plain = json.replace("a b+c.tif", "plain.tif");
        assert_eq!(parse_s3_event(&plain).unwrap()[0].fallback_key, None);
        let deleted = json.replace("Object Created", "Object Deleted");
        assert_eq!(
            parse_s3_event(&deleted).unwrap()[0].event_name,
            "Object Deleted:PutObject"
        );
    }

    #[test]
    fn a_test_event_has_no_records_and_garbage_is_refused() {
        let test_event = r#"{"Service":"Amazon S3","Event":"s3:TestEvent","Bucket":"images"}"#;
        assert_eq!(parse_s3_event(test_event).unwrap(), vec![]);
        assert!(parse_s3_event("[1,2]").is_err());
        assert!(parse_s3_event(r#"{"Records":[{"s3":{}}]}"#).is_err());
        assert!(decode_key("%FF").is_err());
    }
}
