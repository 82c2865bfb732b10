//! The time by which an answer must be sent, when a front door has one.
//!
//! A Lambda invocation is killed at its deadline, and the platform's timeout reply
//! (`Sandbox.Timedout`) has reached viewers through CloudFront as a cached 200. So the
//! Lambda front door attaches a [`Deadline`] to the request as an `http` extension, and
//! the image core gives a render only the time left minus [`DEADLINE_MARGIN`]: a render that
//! cannot finish by then is abandoned and answered 503 + Retry-After + `no-store`, which
//! no cache keeps. The standalone server attaches none and renders without a limit.

use super::error::{ErrorKind, ImageError};
use std::time::{Duration, Instant};

/// Time kept back from the deadline to send the answer: the 503 itself is tiny, but a
/// finished image still has to be streamed out within the invocation, and a cold
/// container's first write is slower than a warm one's. One second covers a 10 MB image
/// at Lambda's streaming rate with room to spare, and costs little of a 10-30 s timeout.
pub const DEADLINE_MARGIN: Duration = Duration::from_secs(1);

/// The instant by which the response must be complete (a request extension).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Deadline(pub Instant);

impl Deadline {
    /// Time a render may take from now, or 503 when nothing is left after the margin.
    pub(crate) fn budget(self) -> Result<Duration, ImageError> {
        self.0
            .checked_duration_since(Instant::now())
            .and_then(|left| left.checked_sub(DEADLINE_MARGIN))
            .filter(|budget| !budget.is_zero())
            .ok_or_else(|| {
                ImageError::new(
                    ErrorKind::Unavailable,
                    "no time left before the invocation deadline",
                )
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn budget_is_the_time_left_minus_the_margin() {
        let far = Deadline(Instant::now() + DEADLINE_MARGIN + Duration::from_secs(10));
        let budget = far.budget().unwrap();
        assert!(budget <= Duration::from_secs(10) && budget > Duration::from_secs(9));
        let within_margin = Deadline(Instant::now() + DEADLINE_MARGIN / 2);
        assert_eq!(
            within_margin.budget().unwrap_err().kind,
            ErrorKind::Unavailable
        );
        let past = Deadline(Instant::now());
        assert_eq!(past.budget().unwrap_err().kind, ErrorKind::Unavailable);
    }
}
