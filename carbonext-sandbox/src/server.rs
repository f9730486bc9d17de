//! The accept loop: HTTP/1.1 connections served by hyper, each of which can be closed
//! without a response.
//!
//! `axum::serve` offers no way to abandon one request's connection, which the drop faults
//! need. Here every connection gets a [`ConnectionKill`] in its requests' extensions; firing
//! it drops the connection future, closing the socket whatever the handler was doing, so the
//! client sees a connection error and no response at all.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::http::Request;
use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;
use tokio::sync::{watch, Notify};
use tower::Service;

/// How long shutdown waits for requests in flight.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(5);

/// Closes the connection a request arrived on, without answering.
#[derive(Clone, Debug)]
pub struct ConnectionKill(Arc<Notify>);

impl ConnectionKill {
    /// Closes the connection and never returns: the caller's future is dropped with it.
    pub async fn abandon(&self) -> ! {
        self.0.notify_one();
        std::future::pending().await
    }
}

/// Serves `app` on `listener` until `shutdown` becomes `true`, then drains.
pub async fn serve(listener: TcpListener, app: Router, mut shutdown: watch::Receiver<bool>) {
    let graceful = GracefulShutdown::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => spawn_connection(stream, peer, app.clone(), &graceful),
                Err(error) => {
                    tracing::warn!(%error, "accept failed");
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
            },
            changed = shutdown.changed() => {
                if changed.is_err() || *shutdown.borrow() {
                    break;
                }
            }
        }
    }
    drop(listener);
    tokio::select! {
        () = graceful.shutdown() => {}
        () = tokio::time::sleep(DRAIN_TIMEOUT) => {}
    }
}

fn spawn_connection(
    stream: tokio::net::TcpStream,
    peer: SocketAddr,
    app: Router,
    graceful: &GracefulShutdown,
) {
    let _ = stream.set_nodelay(true);
    let kill = Arc::new(Notify::new());
    let handle = ConnectionKill(kill.clone());
    let service = hyper::service::service_fn(move |mut request: Request<Incoming>| {
        request.extensions_mut().insert(handle.clone());
        app.clone().call(request)
    });
    let connection =
        hyper::server::conn::http1::Builder::new().serve_connection(TokioIo::new(stream), service);
    let connection = graceful.watch(connection);
    tokio::spawn(async move {
        tokio::select! {
            result = connection => {
                if let Err(error) = result {
                    tracing::debug!(%error, %peer, "connection ended with an error");
                }
            }
            () = kill.notified() => {
                tracing::debug!(%peer, "connection dropped by a fault");
            }
        }
    });
}
