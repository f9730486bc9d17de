//! How the generated operations read a response: [`decode`], used in place of progenitor's
//! `ResponseValue::from_response` (`cargo xtask codegen` rewrites the calls).
//!
//! Same result and errors as progenitor's: the status, the headers and the body decoded as
//! JSON into `T`; a body that cannot be read is `Error::ResponseBodyError`, one that does not
//! decode is `Error::InvalidResponsePayload` with its bytes. It differs in cost only: the
//! headers are moved out of the response instead of copied, and the future is a few hundred
//! bytes instead of about a kilobyte (progenitor's `async fn` and reqwest's `bytes()` each keep
//! the response twice), which matters because every call's future holds it.

use std::future::Future;

use bytes::{Bytes, BytesMut};
use progenitor_client::{Error, ResponseValue};

/// Reads `response`'s whole body and decodes it as JSON into `T`.
// Not an `async fn`: that would keep the response twice in its future (rust-lang/rust#62958).
#[allow(clippy::manual_async_fn)]
pub(crate) fn decode<T, E>(
    mut response: reqwest::Response,
) -> impl Future<Output = Result<ResponseValue<T>, Error<E>>>
where
    T: serde::de::DeserializeOwned,
{
    async move {
        let body = read_body(&mut response)
            .await
            .map_err(Error::ResponseBodyError)?;
        // Taken after the body is read, so that they are not kept in the future meanwhile.
        let status = response.status();
        let headers = std::mem::take(response.headers_mut());
        match serde_json::from_slice(&body) {
            Ok(inner) => Ok(ResponseValue::new(inner, status, headers)),
            Err(err) => Err(Error::InvalidResponsePayload(body, err)),
        }
    }
}

/// The whole body: the one chunk as it came when there is one (the usual case), otherwise the
/// chunks joined once at the end into a buffer of the exact size (growing a buffer chunk by
/// chunk would briefly hold up to three times the body while it doubles).
async fn read_body(response: &mut reqwest::Response) -> reqwest::Result<Bytes> {
    let mut only: Option<Bytes> = None;
    let mut chunks: Vec<Bytes> = Vec::new();
    while let Some(chunk) = response.chunk().await? {
        match only.take() {
            Some(first) => chunks.extend([first, chunk]),
            None if chunks.is_empty() => only = Some(chunk),
            None => chunks.push(chunk),
        }
    }
    if let Some(only) = only {
        return Ok(only);
    }
    let mut joined = BytesMut::with_capacity(chunks.iter().map(Bytes::len).sum());
    for chunk in &chunks {
        joined.extend_from_slice(chunk);
    }
    Ok(joined.freeze())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn response(status: u16, body: reqwest::Body) -> reqwest::Response {
        http::Response::builder()
            .status(status)
            .header("x-trace", "abc")
            .body(body)
            .unwrap()
            .into()
    }

    fn chunked(parts: &[&'static str]) -> reqwest::Body {
        let chunks: Vec<Result<Bytes, std::io::Error>> = parts
            .iter()
            .map(|p| Ok(Bytes::from_static(p.as_bytes())))
            .collect();
        reqwest::Body::wrap_stream(futures::stream::iter(chunks))
    }

    #[tokio::test]
    async fn status_headers_and_the_value_are_kept() {
        let decoded: ResponseValue<serde_json::Value> =
            decode::<_, ()>(response(200, reqwest::Body::from(r#"{"a": 1.5}"#)))
                .await
                .unwrap();
        assert_eq!(decoded.status(), 200);
        assert_eq!(decoded.headers()["x-trace"], "abc");
        assert_eq!(decoded.into_inner().to_string(), r#"{"a":1.5}"#);
    }

    #[tokio::test]
    async fn a_body_in_many_chunks_is_joined_in_order() {
        let decoded: ResponseValue<Vec<u32>> =
            decode::<_, ()>(response(200, chunked(&["[1,", "2,", "3", "]"])))
                .await
                .unwrap();
        assert_eq!(decoded.into_inner(), vec![1, 2, 3]);
    }

    #[tokio::test]
    async fn an_undecodable_body_keeps_its_bytes() {
        let err = decode::<Vec<u32>, ()>(response(200, chunked(&["[1,", "2"])))
            .await
            .unwrap_err();
        match err {
            Error::InvalidResponsePayload(bytes, _) => assert_eq!(&bytes[..], b"[1,2"),
            other => panic!("expected InvalidResponsePayload, got {other:?}"),
        }
        let err = decode::<Vec<u32>, ()>(response(200, reqwest::Body::from("")))
            .await
            .unwrap_err();
        assert!(matches!(err, Error::InvalidResponsePayload(ref b, _) if b.is_empty()));
    }

    #[tokio::test]
    async fn a_failing_body_is_a_body_error() {
        let failing = futures::stream::iter(vec![
            Ok(Bytes::from_static(b"[1,")),
            Err(std::io::Error::other("connection reset")),
        ]);
        let err = decode::<Vec<u32>, ()>(response(200, reqwest::Body::wrap_stream(failing)))
            .await
            .unwrap_err();
        assert!(matches!(err, Error::ResponseBodyError(_)), "{err:?}");
    }
}
