//! A watch over each connection of the standalone server: its bytes moving and its
//! requests in flight, so a connection that does nothing useful is closed.
//!
//! hyper's header read timeout (HTTP/1.1) cuts off a head that trickles in, and the wait
//! for the next request on a kept-alive connection; but it starts only once hyper reads a
//! head, after hyper-util has told HTTP/1.1 from HTTP/2 by the first bytes, and HTTP/2 has
//! none. So every connection is also watched here:
//! - its first request must arrive within the header timeout, so a client that connects
//!   and sends nothing, or half an HTTP/2 preface, holds its connection no longer;
//! - with no request in flight, a connection that moves no byte for the idle timeout is
//!   closed (an HTTP/2 client that keeps its connection, a client that stopped reading).
//!
//! Closing drops the connection, which never cuts off a request: none is in flight then.

use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering::Relaxed};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::sync::Notify;
use tokio::time::Instant;

/// How long a connection may take to bring its first request, and stay idle.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Limits {
    pub header_read: Duration,
    pub idle: Duration,
}

/// What one connection has been doing.
pub(crate) struct Activity {
    opened: Instant,
    /// Milliseconds from `opened` to the last byte read or written, or request finished.
    last_ms: AtomicU64,
    requests: AtomicU64,
    in_flight: AtomicUsize,
    /// A request started or ended: the watch recomputes when it is due.
    changed: Notify,
}

impl Activity {
    pub(crate) fn new() -> Arc<Activity> {
        Arc::new(Activity {
            opened: Instant::now(),
            last_ms: AtomicU64::new(0),
            requests: AtomicU64::new(0),
            in_flight: AtomicUsize::new(0),
            changed: Notify::new(),
        })
    }

    fn touch(&self) {
        let ms = self.opened.elapsed().as_millis() as u64;
        self.last_ms.fetch_max(ms, Relaxed);
    }

    /// Counts a request in flight until the returned guard is dropped.
    pub(crate) fn request(self: &Arc<Self>) -> InFlight {
        self.requests.fetch_add(1, Relaxed);
        self.in_flight.fetch_add(1, Relaxed);
        self.changed.notify_one();
        InFlight(Arc::clone(self))
    }

    /// Completes when the connection should be closed, saying why.
    pub(crate) async fn expired(&self, limits: Limits) -> &'static str {
        loop {
            let now = Instant::now();
            let (due, why) = if self.requests.load(Relaxed) == 0 {
                (
                    self.opened + limits.header_read,
                    "no request within the header timeout",
                )
            } else if self.in_flight.load(Relaxed) > 0 {
                // Busy: look again later; a finished request counts as activity.
                (now + limits.idle, "")
            } else {
                let last = Duration::from_millis(self.last_ms.load(Relaxed));
                (self.opened + last + limits.idle, "idle")
            };
            if now >= due {
                return why;
            }
            tokio::select! {
                _ = tokio::time::sleep_until(due) => {}
                _ = self.changed.notified() => {}
            }
        }
    }
}

/// A request in flight on its connection.
pub(crate) struct InFlight(Arc<Activity>);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.touch();
        self.0.in_flight.fetch_sub(1, Relaxed);
        self.0.changed.notify_one();
    }
}

/// A stream that reports every byte it moves to its connection's [`Activity`].
pub(crate) struct Watched<T> {
    inner: T,
    activity: Arc<Activity>,
}

impl<T> Watched<T> {
    pub(crate) fn new(inner: T, activity: Arc<Activity>) -> Self {
        Watched { inner, activity }
    }

    fn note<R>(
        &self,
        moved: Poll<io::Result<R>>,
        bytes: impl Fn(&R) -> bool,
    ) -> Poll<io::Result<R>> {
        if let Poll::Ready(Ok(r)) = &moved {
            if bytes(r) {
                self.activity.touch();
            }
        }
        moved
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for Watched<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.inner).poll_read(cx, buf);
        let grew = buf.filled().len() > before;
        self.note(polled, |_| grew)
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for Watched<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let polled = Pin::new(&mut self.inner).poll_write(cx, buf);
        self.note(polled, |n| *n > 0)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let polled = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        self.note(polled, |n| *n > 0)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMITS: Limits = Limits {
        header_read: Duration::from_millis(50),
        idle: Duration::from_millis(80),
    };

    #[tokio::test]
    async fn a_connection_without_a_request_expires_after_the_header_timeout() {
        let activity = Activity::new();
        let started = Instant::now();
        assert_eq!(
            activity.expired(LIMITS).await,
            "no request within the header timeout"
        );
        assert!(started.elapsed() >= LIMITS.header_read);
    }

    #[tokio::test]
    async fn idle_counts_from_the_first_request_not_from_the_header_limit() {
        let activity = Activity::new();
        let limits = Limits {
            header_read: Duration::from_secs(60),
            idle: LIMITS.idle,
        };
        let watch = {
            let activity = Arc::clone(&activity);
            tokio::spawn(async move { activity.expired(limits).await })
        };
        drop(activity.request());
        let closed = tokio::time::timeout(Duration::from_secs(10), watch).await;
        assert_eq!(closed.expect("closed when idle").unwrap(), "idle");
    }

    #[tokio::test]
    async fn a_request_in_flight_keeps_its_connection_then_idle_counts_from_its_end() {
        let activity = Activity::new();
        let request = activity.request();
        let watch = tokio::time::timeout(LIMITS.idle * 3, activity.expired(LIMITS));
        assert!(watch.await.is_err(), "closed with a request in flight");
        drop(request);
        let ended = Instant::now();
        assert_eq!(activity.expired(LIMITS).await, "idle");
        assert!(ended.elapsed() >= LIMITS.idle);
    }
}
