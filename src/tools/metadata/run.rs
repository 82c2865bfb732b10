//! A whole `create-metadata` run: list the objects, process them a few at a time, and sum
//! up what happened.
//!
//! The listing is finished before the first object is processed: it costs one request per
//! 1,000 keys, and knowing the total up front is what gives the progress bar its ETA. Work
//! is bounded by a semaphore rather than by batches, so one slow object (a multipart copy)
//! does not hold up the others. A failure is recorded and the run goes on; the caller
//! decides the exit status from the summary.

use super::object::{ObjectJob, Outcome};
use super::progress::{Progress, ProgressMode};
use super::target::{KeyFilter, S3Url};
use super::CopyPolicy;
use crate::source::S3Store;
use aws_sdk_s3::Client;
use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

/// Everything a run is asked to do.
#[derive(Clone, Debug)]
pub struct RunOptions {
    pub target: S3Url,
    /// Treat `target.key` as one object's key rather than a prefix.
    pub single_object: bool,
    pub filter: KeyFilter,
    pub dry_run: bool,
    /// Objects processed at once (at least 1).
    pub concurrency: usize,
    pub policy: CopyPolicy,
}

impl RunOptions {
    /// Every object under `target`, eight at a time, for real, with the default copy policy.
    pub fn new(target: S3Url) -> RunOptions {
        RunOptions {
            target,
            single_object: false,
            filter: KeyFilter::all(),
            dry_run: false,
            concurrency: 8,
            policy: CopyPolicy::default(),
        }
    }
}

/// What a run did.
#[derive(Clone, Debug, Default)]
pub struct Summary {
    /// Objects considered (listed and accepted by the filter).
    pub objects: usize,
    pub written: usize,
    /// Already right, so skipped.
    pub current: usize,
    /// Dry run only: objects that would have been written.
    pub would_write: usize,
    /// Keys that failed, with the reason, in key order.
    pub failures: Vec<(String, String)>,
    pub elapsed: Duration,
    pub dry_run: bool,
}

impl Summary {
    pub fn succeeded(&self) -> bool {
        self.failures.is_empty()
    }

    fn add(&mut self, key: String, outcome: Outcome) {
        match outcome {
            Outcome::Written => self.written += 1,
            Outcome::Current => self.current += 1,
            Outcome::WouldWrite => self.would_write += 1,
            Outcome::Failed(why) => self.failures.push((key, why)),
        }
    }
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let written = if self.dry_run {
            format!("{} would be written (dry run)", self.would_write)
        } else {
            format!("{} written", self.written)
        };
        writeln!(
            f,
            "{} objects: {written}, {} already current (skipped), {} failed, in {:.1} s",
            self.objects,
            self.current,
            self.failures.len(),
            self.elapsed.as_secs_f64()
        )?;
        if !self.failures.is_empty() {
            writeln!(f, "failed:")?;
            for (key, why) in &self.failures {
                writeln!(f, "  {key}: {why}")?;
            }
        }
        Ok(())
    }
}

/// Runs `create-metadata` over `options.target` with `store`'s client.
pub async fn run(
    store: &S3Store,
    options: &RunOptions,
    mode: ProgressMode,
) -> Result<Summary, String> {
    let started = Instant::now();
    let bucket = options.target.bucket.clone();
    let keys = if options.single_object {
        vec![options.target.key.clone()]
    } else {
        list_keys(
            store.client(),
            &bucket,
            &options.target.key,
            &options.filter,
        )
        .await?
    };
    let job = ObjectJob {
        store: store.clone(),
        dry_run: options.dry_run,
        policy: options.policy,
        trust_existing: false,
    };
    let outcomes = process_all(job, &bucket, keys, options.concurrency, mode).await;
    let mut summary = Summary {
        objects: outcomes.len(),
        dry_run: options.dry_run,
        ..Summary::default()
    };
    for (key, outcome) in outcomes {
        summary.add(key, outcome);
    }
    summary.failures.sort();
    summary.elapsed = started.elapsed();
    Ok(summary)
}

/// Processes `keys` with at most `concurrency` in flight; outcomes in completion order.
pub(crate) async fn process_all(
    job: ObjectJob,
    bucket: &str,
    keys: Vec<String>,
    concurrency: usize,
    mode: ProgressMode,
) -> Vec<(String, Outcome)> {
    let progress = Arc::new(Progress::new(mode, keys.len(), job.dry_run));
    let permits = Arc::new(Semaphore::new(concurrency.max(1)));
    let mut tasks = JoinSet::new();
    let mut outcomes = Vec::with_capacity(keys.len());
    for key in keys {
        let Ok(permit) = Arc::clone(&permits).acquire_owned().await else {
            break;
        };
        let (job, bucket, progress) = (job.clone(), bucket.to_owned(), Arc::clone(&progress));
        tasks.spawn(async move {
            let outcome = job.process(&bucket, &key).await;
            progress.record(&key, &outcome);
            drop(permit);
            (key, outcome)
        });
        while let Some(done) = tasks.try_join_next() {
            outcomes.push(joined(done));
        }
    }
    while let Some(done) = tasks.join_next().await {
        outcomes.push(joined(done));
    }
    progress.finish();
    outcomes
}

/// A task that panicked has lost its key; it is still counted as a failure.
fn joined(done: Result<(String, Outcome), tokio::task::JoinError>) -> (String, Outcome) {
    done.unwrap_or_else(|e| {
        (
            "(unknown key)".into(),
            Outcome::Failed(format!("panicked: {e}")),
        )
    })
}

/// Every key under `prefix` that `filter` accepts, in S3's (lexicographic) order. Keys
/// ending in `/` are the empty "folder" markers consoles create, never images.
pub async fn list_keys(
    client: &Client,
    bucket: &str,
    prefix: &str,
    filter: &KeyFilter,
) -> Result<Vec<String>, String> {
    let mut pages = client
        .list_objects_v2()
        .bucket(bucket)
        .prefix(prefix)
        .into_paginator()
        .send();
    let mut keys = Vec::new();
    while let Some(page) = pages.next().await {
        let page = page
            .map_err(|e| super::object::sdk_message(&format!("list s3://{bucket}/{prefix}"), &e))?;
        keys.extend(
            page.contents()
                .iter()
                .filter_map(|object| object.key())
                .filter(|key| !key.ends_with('/') && filter.accepts(key))
                .map(str::to_owned),
        );
    }
    Ok(keys)
}
