//! The size limit of successful bodies ([`Hooks::with_body_limit`], 32 MiB by default), over
//! real loopback HTTP: a body within the limit decodes whether or not it declares its length; a
//! `Content-Length` above the limit fails at once without the body being downloaded; a chunked
//! body fails as soon as it passes the limit. Both failures are `Error::ResponseBodyError`
//! caused by [`BodyTooLarge`], never a panic or the whole body in memory.

mod common;

use std::error::Error as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use carbonext_api::{
    success_status, types, BodyTooLarge, Client, Error, Hooks, DEFAULT_BODY_LIMIT, SUCCESS_STATUSES,
};
use common::{Canned, Peer};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

const PRICE: &str = r#"{"vcuPrice": 137.50, "currency": "BRL"}"#;

/// How a [`RawPeer`] sends its `200` body.
#[derive(Clone, Copy)]
enum Framing {
    /// `Content-Length: declared`, then the first `send` bytes, then the connection idles.
    Length { declared: u64, send: u64 },
    /// `Transfer-Encoding: chunked`, `total` bytes in 64 KiB chunks.
    Chunked { total: u64 },
}

/// A hand-written HTTP/1.1 server on 127.0.0.1 that answers every request with a `200` whose
/// body starts with `{"vcuPrice": 137.50, "currency": "BRL", "padding": "` and goes on with
/// `x`s; counts the body bytes it managed to write.
struct RawPeer {
    url: String,
    written: Arc<AtomicU64>,
    task: tokio::task::JoinHandle<()>,
}

impl RawPeer {
    async fn start(framing: Framing) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let written = Arc::new(AtomicU64::new(0));
        let count = Arc::clone(&written);
        let task = tokio::spawn(async move {
            loop {
                let Ok((socket, _)) = listener.accept().await else {
                    return;
                };
                tokio::spawn(answer(socket, framing, Arc::clone(&count)));
            }
        });
        Self { url, written, task }
    }

    fn written(&self) -> u64 {
        self.written.load(Ordering::SeqCst)
    }
}

impl Drop for RawPeer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// `len` bytes of the body: the JSON start, then `x`s, from offset `at`.
fn body_bytes(at: u64, len: usize) -> Vec<u8> {
    let head = br#"{"vcuPrice": 137.50, "currency": "BRL", "padding": ""#;
    (at..at + len as u64)
        .map(|i| head.get(i as usize).copied().unwrap_or(b'x'))
        .collect()
}

async fn answer(mut socket: tokio::net::TcpStream, framing: Framing, written: Arc<AtomicU64>) {
    // Read the request head (the GETs of these tests have no body).
    let mut head = Vec::new();
    let mut buf = [0u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        match socket.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => head.extend_from_slice(&buf[..n]),
        }
    }
    const CHUNK: usize = 64 * 1024;
    match framing {
        Framing::Length { declared, send } => {
            let status = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {declared}\r\n\r\n"
            );
            if socket.write_all(status.as_bytes()).await.is_err() {
                return;
            }
            let mut at = 0;
            while at < send {
                let len = CHUNK.min((send - at) as usize);
                if socket.write_all(&body_bytes(at, len)).await.is_err() {
                    return;
                }
                at += len as u64;
                written.fetch_add(len as u64, Ordering::SeqCst);
            }
            // Idle: a client waiting for the declared length would hang here.
            tokio::time::sleep(Duration::from_secs(60)).await;
        }
        Framing::Chunked { total } => {
            let status = "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n";
            if socket.write_all(status.as_bytes()).await.is_err() {
                return;
            }
            let mut at = 0;
            while at < total {
                let len = CHUNK.min((total - at) as usize);
                let mut frame = format!("{len:x}\r\n").into_bytes();
                frame.extend_from_slice(&body_bytes(at, len));
                frame.extend_from_slice(b"\r\n");
                if socket.write_all(&frame).await.is_err() {
                    return;
                }
                at += len as u64;
                written.fetch_add(len as u64, Ordering::SeqCst);
            }
            let _ = socket.write_all(b"0\r\n\r\n").await;
        }
    }
}

/// The [`BodyTooLarge`] in the source chain of a `ResponseBodyError`.
fn too_large(error: &Error<types::ProblemDetails>) -> BodyTooLarge {
    let Error::ResponseBodyError(source) = error else {
        panic!("expected Error::ResponseBodyError, got {error:?}");
    };
    let mut cause = source.source();
    while let Some(err) = cause {
        if let Some(found) = err.downcast_ref::<BodyTooLarge>() {
            return found.clone();
        }
        cause = err.source();
    }
    panic!("no BodyTooLarge behind {source:?}");
}

#[test]
fn the_default_limit_is_32_mib() {
    assert_eq!(DEFAULT_BODY_LIMIT, 32 * 1024 * 1024);
    assert_eq!(Hooks::none().body_limit(), DEFAULT_BODY_LIMIT);
    assert_eq!(Hooks::none().with_body_limit(10).body_limit(), 10);
}

#[tokio::test]
async fn a_body_within_the_limit_decodes_with_or_without_content_length() {
    // Exactly at the limit, with Content-Length (axum sets it): passed through untouched.
    let peer = Peer::start(Canned::json(PRICE)).await;
    let client = Client::new(&peer.url, Hooks::none().with_body_limit(PRICE.len() as u64));
    let price = client.get_price().send().await.unwrap().into_inner();
    assert_eq!(price.vcu_price.to_string(), "137.50");

    // Chunked, under the limit: the counting stream lets it through.
    let raw = RawPeer::start(Framing::Chunked { total: 300_000 }).await;
    let client = Client::new(&raw.url, Hooks::none().with_body_limit(300_000));
    let error = client.get_price().send().await.unwrap_err();
    // The padding string never closes, so the body is read whole and then fails to decode.
    match error {
        Error::InvalidResponsePayload(bytes, _) => assert_eq!(bytes.len(), 300_000),
        other => panic!("expected the whole body to be read, got {other:?}"),
    }
}

#[tokio::test]
async fn content_length_above_the_limit_fails_without_downloading() {
    let raw = RawPeer::start(Framing::Length {
        declared: 1 << 30,
        send: 0,
    })
    .await;
    let client = Client::new(&raw.url, Hooks::none());
    let started = Instant::now();
    let error = client.get_price().send().await.unwrap_err();
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "took {:?}",
        started.elapsed()
    );
    let cause = too_large(&error);
    assert_eq!(cause.status(), reqwest::StatusCode::OK);
    assert_eq!(cause.limit(), DEFAULT_BODY_LIMIT);
    assert_eq!(cause.content_length(), Some(1 << 30));
    assert!(cause.excerpt().is_empty());
    assert_eq!(
        cause.to_string(),
        "response body exceeds the 32 MiB limit (Content-Length 1073741824)"
    );
    assert_eq!(raw.written(), 0);
}

#[tokio::test]
async fn chunked_body_fails_once_past_the_limit() {
    let limit = 1024 * 1024;
    let raw = RawPeer::start(Framing::Chunked { total: 1 << 30 }).await;
    let client = Client::new(&raw.url, Hooks::none().with_body_limit(limit));
    let error = client.get_price().send().await.unwrap_err();
    let cause = too_large(&error);
    assert_eq!(cause.status(), reqwest::StatusCode::OK);
    assert_eq!(cause.limit(), limit);
    assert_eq!(cause.content_length(), None);
    assert!(
        cause
            .excerpt()
            .starts_with(br#"{"vcuPrice": 137.50, "currency": "BRL""#),
        "{:?}",
        String::from_utf8_lossy(cause.excerpt())
    );
    assert_eq!(cause.excerpt().len(), 512);
    let debug = format!("{cause:?}");
    assert!(!debug.contains("vcuPrice"), "Debug shows no body: {debug}");
    assert!(debug.contains("excerpt_len: 512"), "{debug}");
    assert_eq!(
        cause.to_string(),
        "response body exceeds the 1 MiB limit (chunked)"
    );
    // The client stopped reading: the server got nowhere near the end of its gigabyte.
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(
        raw.written() < 64 * 1024 * 1024,
        "{} bytes written",
        raw.written()
    );
    // The error's Display (reqwest's) is short and names no body.
    assert!(error.to_string().len() < 512, "{error}");
}

#[tokio::test]
async fn error_bodies_keep_their_own_excerpt_limit() {
    // A 4xx larger than a tiny success limit still becomes problem details.
    let body = r#"{"type": "about:blank", "title": "Bad Request", "status": 400, "detail": "a detail longer than sixteen bytes"}"#;
    let peer = Peer::start(Canned::new(
        axum::http::StatusCode::BAD_REQUEST,
        "application/problem+json",
        body,
    ))
    .await;
    let client = Client::new(&peer.url, Hooks::none().with_body_limit(16));
    match client.get_price().send().await.unwrap_err() {
        Error::ErrorResponse(response) => {
            assert_eq!(response.status().as_u16(), 400);
            assert_eq!(response.into_inner().title.as_deref(), Some("Bad Request"));
        }
        other => panic!("expected Error::ErrorResponse, got {other:?}"),
    }
}

#[test]
fn every_operation_has_one_documented_success_status() {
    assert_eq!(success_status("get_price"), Some(200));
    assert_eq!(success_status("create_order"), Some(200));
    assert_eq!(success_status("nope"), None);
    assert!(SUCCESS_STATUSES.windows(2).all(|pair| pair[0] < pair[1]));
    for (operation, _) in SUCCESS_STATUSES {
        assert!(success_status(operation).is_some(), "{operation}");
    }
}
