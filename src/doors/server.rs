//! The standalone HTTP front door: HTTP/1.1 and HTTP/2 over cleartext (h2c, prior
//! knowledge) on one port, each request handed to [`crate::service::handle`], with a
//! graceful shutdown that lets requests in flight finish.
//!
//! A client must not be able to hold the server with connections that do nothing (a
//! slowloris): heads have a read timeout (hyper's, on its timer), every connection is
//! watched for its first request and for idleness (`connection`), and at most
//! `TESSERA_MAX_CONNECTIONS` are served at once: the next one is accepted only when one
//! closes, so the rest wait in the kernel's listen backlog rather than costing a task.

use super::connection::{Activity, Limits, Watched};
use crate::service::{handle, App};
use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto::Builder;
use hyper_util::server::graceful::GracefulShutdown;
use std::convert::Infallible;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

/// How long requests in flight may take to finish once shutdown starts.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(20);

/// Serves `app` on `listener` until `shutdown` completes, then drains connections.
pub async fn serve(listener: TcpListener, app: Arc<App>, shutdown: impl Future<Output = ()>) {
    let config = app.config();
    let limits = Limits {
        header_read: config.header_read_timeout(),
        idle: config.idle_timeout(),
    };
    let slots = Arc::new(Semaphore::new(config.max_connections as usize));
    let mut builder = Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read);
    let graceful = GracefulShutdown::new();
    tokio::pin!(shutdown);
    loop {
        // A free slot first, then the next connection: beyond the cap, clients wait.
        let permit = tokio::select! {
            permit = Arc::clone(&slots).acquire_owned() => permit,
            _ = &mut shutdown => break,
        };
        let Ok(permit) = permit else { break };
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            _ = &mut shutdown => break,
        };
        let (stream, peer) = match accepted {
            Ok(pair) => pair,
            Err(err) => {
                // Running out of file descriptors must not end the server.
                tracing::warn!(error = %err, "accept failed");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let activity = Activity::new();
        let app = Arc::clone(&app);
        let requests = Arc::clone(&activity);
        let service = hyper::service::service_fn(move |req: http::Request<Incoming>| {
            let app = Arc::clone(&app);
            let in_flight = requests.request();
            async move {
                let _in_flight = in_flight;
                // Our routes take no request body; dropping it unread is fine.
                let (parts, _body) = req.into_parts();
                let resp = handle(&app, http::Request::from_parts(parts, ())).await;
                Ok::<_, Infallible>(resp.map(Full::<Bytes>::new))
            }
        });
        let io = TokioIo::new(Watched::new(stream, Arc::clone(&activity)));
        let conn = graceful.watch(builder.serve_connection(io, service).into_owned());
        tokio::spawn(async move {
            let _permit = permit;
            tokio::select! {
                ended = conn => if let Err(err) = ended {
                    tracing::debug!(%peer, error = %err, "connection ended with an error");
                },
                why = activity.expired(limits) => {
                    tracing::debug!(%peer, why, "connection closed");
                }
            }
        });
    }
    tracing::info!("shutting down: draining connections");
    if tokio::time::timeout(DRAIN_TIMEOUT, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!("connections still open after {DRAIN_TIMEOUT:?}; stopping anyway");
    }
}

/// Completes on SIGTERM or Ctrl-C.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
}
