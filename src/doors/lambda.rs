//! The Lambda front door's glue: a Function URL event becomes the same `http::Request`
//! the standalone server hands to [`service::handle`], and the answer goes back as a
//! streamed response.
//!
//! Streaming (Function URL `InvokeMode: RESPONSE_STREAM`) is what lifts the 6 MB ceiling
//! of buffered invocations, so a full-size image of tens of MB is delivered. The
//! invocation's deadline becomes a [`Deadline`] extension and streaming's documented rate a
//! [`Delivery`] one, so a request that cannot finish in time (its work, or the streaming of
//! its answer) is answered 503 + `no-store` instead of being killed into a platform error or
//! a truncated 200 that CloudFront could cache. Everything here is testable without the
//! Lambda runtime: the tests feed `events/*.json` through `lambda_http::request::from_str`
//! and [`respond`].

use crate::metrics::FrontDoor;
use crate::service::{self, App, Deadline, Delivery};
use bytes::Bytes;
use http_body_util::Full;
use lambda_http::{Context, RequestExt};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

/// Converts a Lambda HTTP request into the service's request: method, URI (still
/// percent-encoded, so `a%2Fb` stays one identifier), headers, and the deadline. The body
/// is dropped: no route of ours reads one.
pub fn service_request(req: lambda_http::Request) -> http::Request<()> {
    let deadline = req.lambda_context_ref().and_then(deadline_of);
    let (mut parts, _body) = req.into_parts();
    if let Some(deadline) = deadline {
        parts.extensions.insert(deadline);
    }
    http::Request::from_parts(parts, ())
}

/// A deadline further in the past than this is not a real one: Lambda's longest timeout is
/// 15 minutes, but local emulators send placeholders (`cargo lambda watch` sends 600000,
/// ten minutes after 1970), which would otherwise turn every render into a 503.
const IMPLAUSIBLY_PAST: Duration = Duration::from_secs(24 * 60 * 60);

/// The invocation's deadline as an `Instant`, from the epoch milliseconds the Runtime API
/// gives. A context without one (a unit test, a hand-made event), or with a placeholder,
/// has no deadline.
fn deadline_of(context: &Context) -> Option<Deadline> {
    if context.deadline == 0 {
        return None;
    }
    deadline_from(context.deadline(), SystemTime::now(), Instant::now())
}

/// Maps a wall-clock deadline onto the monotonic clock; one just past maps to `now`.
fn deadline_from(deadline: SystemTime, now: SystemTime, now_instant: Instant) -> Option<Deadline> {
    match deadline.duration_since(now) {
        Ok(left) => Some(Deadline(now_instant + left)),
        Err(past) if past.duration() > IMPLAUSIBLY_PAST => None,
        Err(_) => Some(Deadline(now_instant)),
    }
}

/// Answers one Lambda HTTP request through the service, its answer counted as streamed.
pub async fn respond(app: &App, req: lambda_http::Request) -> http::Response<Bytes> {
    let mut req = service_request(req);
    let delivery = Delivery::lambda(app.config().stream_bytes_per_sec);
    req.extensions_mut().insert(delivery);
    req.extensions_mut().insert(FrontDoor::Lambda);
    // Boxed: the service future nested inside the runtime's service stack is deeper than
    // the compiler's type-layout limit; one allocation per request breaks the chain.
    Box::pin(service::handle(app, req)).await
}

/// Runs the Lambda runtime loop until the platform stops the process. `app` is built once
/// at init (config, store and its S3 client, caches, libvips) and shared by every
/// invocation the container serves.
pub async fn run(app: Arc<App>) -> Result<(), lambda_http::Error> {
    let handler = lambda_http::service_fn(move |req: lambda_http::Request| {
        let app = Arc::clone(&app);
        async move {
            let resp = respond(&app, req).await;
            Ok::<_, std::convert::Infallible>(resp.map(Full::new))
        }
    });
    lambda_http::run_with_streaming_response(handler).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deadline_maps_wall_clock_onto_instant() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let instant = Instant::now();
        let ahead = deadline_from(now + Duration::from_millis(2500), now, instant);
        assert_eq!(ahead, Some(Deadline(instant + Duration::from_millis(2500))));
        let past = deadline_from(now - Duration::from_secs(1), now, instant);
        assert_eq!(past, Some(Deadline(instant)));
        let placeholder = SystemTime::UNIX_EPOCH + Duration::from_millis(600_000);
        assert_eq!(deadline_from(placeholder, now, instant), None);
    }

    #[test]
    fn zero_deadline_means_none_and_real_one_is_attached() {
        assert_eq!(deadline_of(&Context::default()), None);
        let mut context = Context::default();
        let in_ten = SystemTime::now() + Duration::from_secs(10);
        context.deadline = in_ten
            .duration_since(SystemTime::UNIX_EPOCH)
            .unwrap()
            .as_millis() as u64;
        let req = http::Request::builder()
            .uri("https://h/iiif/3/a%2Fb/info.json")
            .body(lambda_http::Body::Empty)
            .unwrap()
            .with_lambda_context(context);
        let converted = service_request(req);
        assert_eq!(converted.uri().path(), "/iiif/3/a%2Fb/info.json");
        let Deadline(at) = *converted.extensions().get::<Deadline>().unwrap();
        let left = at.saturating_duration_since(Instant::now());
        assert!(left > Duration::from_secs(8) && left <= Duration::from_secs(10));
    }
}
