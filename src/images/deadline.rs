//! The time by which an answer must be sent, and how fast it leaves once it is ready.
//!
//! A Lambda invocation is killed at its deadline, and the platform's timeout reply
//! (`Sandbox.Timedout`) has reached viewers through CloudFront as a cached 200; a streamed
//! answer cut off at the deadline is a truncated image with 200 headers. So every request
//! carries a [`Deadline`] (the invocation's on Lambda, a configured budget on the
//! standalone server) and all of its work (HEAD, directory walk, download, render, encode)
//! gets the time left minus [`DEADLINE_MARGIN`]. A finished answer must also be able to
//! leave in time: at the [`Delivery`] rate of its front door, the bytes past the free burst
//! must stream out before the deadline. What does not fit is answered 503 + Retry-After +
//! `no-store` before any 200 header is sent, and no cache keeps that.

use super::error::{ErrorKind, ImageError};
use std::time::{Duration, Instant};

/// Time kept back from the deadline to send the answer's headers and its first, uncapped
/// bytes (or the 503): a cold container's first write is slower than a warm one's. One
/// second costs little of a 10-30 s timeout.
pub const DEADLINE_MARGIN: Duration = Duration::from_secs(1);

/// The instant by which the response must be complete (a request extension).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Deadline(pub Instant);

impl Deadline {
    /// Time the work may take from now, or 503 when nothing is left after the margin.
    pub(crate) fn budget(self) -> Result<Duration, ImageError> {
        self.0
            .checked_duration_since(Instant::now())
            .and_then(|left| left.checked_sub(DEADLINE_MARGIN))
            .filter(|budget| !budget.is_zero())
            .ok_or_else(|| {
                ImageError::new(ErrorKind::Unavailable, "no time left before the deadline")
            })
    }

    /// Fine when an answer of `len` bytes, sent by `delivery` from now, is complete before
    /// the deadline minus the margin; 503 otherwise (nothing has been sent yet).
    pub(crate) fn check_delivery(self, len: u64, delivery: Delivery) -> Result<(), ImageError> {
        let needed = delivery.time_for(len);
        if needed.is_zero() {
            return Ok(());
        }
        let left = self.budget()?;
        if needed <= left {
            return Ok(());
        }
        Err(ImageError::new(
            ErrorKind::Unavailable,
            format!("an answer of {len} bytes needs {needed:?} to stream, {left:?} left"),
        ))
    }
}

/// How fast an answer leaves its front door once its headers are sent: the first
/// `burst_bytes` at once, the rest at `bytes_per_sec` (a request extension; without one,
/// sending is not counted).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Delivery {
    pub burst_bytes: u64,
    pub bytes_per_sec: u64,
}

impl Delivery {
    /// Lambda response streaming: "the first 6 MB of your function's response has
    /// uncapped bandwidth", the rest goes at most at the documented 2 MB/s (configurable,
    /// `TESSERA_STREAM_BYTES_PER_SEC`). Decimal megabytes, the smaller reading.
    pub const LAMBDA_BURST_BYTES: u64 = 6_000_000;

    /// Lambda response streaming at `bytes_per_sec` after its burst.
    pub fn lambda(bytes_per_sec: u64) -> Delivery {
        Delivery {
            burst_bytes: Self::LAMBDA_BURST_BYTES,
            bytes_per_sec,
        }
    }

    /// Time to send `len` bytes.
    pub fn time_for(self, len: u64) -> Duration {
        let capped = len.saturating_sub(self.burst_bytes);
        Duration::from_secs_f64(capped as f64 / self.bytes_per_sec.max(1) as f64)
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

    #[test]
    fn lambda_streams_six_megabytes_free_then_two_per_second() {
        let lambda = Delivery::lambda(2_000_000);
        assert_eq!(lambda.time_for(0), Duration::ZERO);
        assert_eq!(lambda.time_for(6_000_000), Duration::ZERO);
        assert_eq!(lambda.time_for(10_000_000), Duration::from_secs(2));
        assert_eq!(lambda.time_for(46_000_000), Duration::from_secs(20));
    }

    #[test]
    fn an_answer_must_stream_out_before_the_deadline() {
        let lambda = Delivery::lambda(2_000_000);
        let ten_left = Deadline(Instant::now() + DEADLINE_MARGIN + Duration::from_secs(10));
        // Within the burst nothing is counted.
        assert!(ten_left.check_delivery(5_000_000, lambda).is_ok());
        // 4 s of streaming fits in 10 s; 20 s does not.
        assert!(ten_left.check_delivery(14_000_000, lambda).is_ok());
        let late = ten_left.check_delivery(46_000_000, lambda).unwrap_err();
        assert_eq!(late.kind, ErrorKind::Unavailable);
    }
}
