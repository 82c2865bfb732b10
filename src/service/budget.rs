//! One deadline over the whole request: every route's work (HEAD, directory walk, whole
//! object download, render, encode, info.json and manifest alike) runs under the time
//! left, and a finished answer is sent only if it can also leave in time.
//!
//! The deadline is the front door's (the Lambda invocation's) or else the configured
//! request budget (`TESSERA_REQUEST_TIMEOUT_MS`), so no request waits on a slow store
//! forever. Work cut off at the deadline is dropped where it stands: S3 downloads run as
//! tasks of their own and finish for the next request, single-flight waiters take over a
//! dropped fetch, and a render keeps its slot until libvips returns. Either way the answer
//! is a 503 + Retry-After + `no-store` before any 200 header was sent.

use super::error::{ErrorKind, ServiceError};
use crate::images::{Deadline, Delivery};
use bytes::Bytes;
use http::{Method, Request, Response};
use std::future::Future;
use std::time::{Duration, Instant};

/// The request's deadline: the front door's, else `started` plus the configured budget.
pub(crate) fn deadline_of(req: &Request<()>, started: Instant, budget: Duration) -> Deadline {
    match req.extensions().get::<Deadline>() {
        Some(deadline) => *deadline,
        None => Deadline(started + budget),
    }
}

/// Runs `work` until the deadline minus the margin; past it, 503.
pub(crate) async fn within<T>(
    deadline: Deadline,
    work: impl Future<Output = Result<T, ServiceError>>,
) -> Result<T, ServiceError> {
    let budget = deadline.budget()?;
    tokio::time::timeout(budget, work).await.map_err(|_| {
        ServiceError::new(
            ErrorKind::Unavailable,
            format!("deadline: no answer within {budget:?}"),
        )
    })?
}

/// Passes an answer whose body can reach the client before the deadline at the front
/// door's delivery rate (HEAD sends no body); refuses it with 503 otherwise.
pub(crate) fn deliverable(
    req: &Request<()>,
    deadline: Deadline,
    resp: Response<Bytes>,
) -> Result<Response<Bytes>, ServiceError> {
    let Some(delivery) = req.extensions().get::<Delivery>() else {
        return Ok(resp);
    };
    let len = match *req.method() {
        Method::HEAD => 0,
        _ => resp.body().len() as u64,
    };
    deadline.check_delivery(len, *delivery)?;
    Ok(resp)
}
