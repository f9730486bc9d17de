//! Request extractors whose failures are 400 problem details with the offending field, never
//! axum's plain-text rejections: [`Body`] for JSON bodies and [`IdPath`] for `{id}` segments.
//!
//! JSON is read through `serde_path_to_error`, so `{"vcuAmount": "x"}` answers
//! `errors: {"vcuAmount": ["..."]}`.

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Path, Request};
use axum::http::request::Parts;
use serde::de::DeserializeOwned;
use uuid::Uuid;

use crate::problem::Problem;

/// Largest accepted request body.
const BODY_LIMIT: usize = 1024 * 1024;

/// A JSON request body decoded as `T` (a generated wire type).
#[derive(Debug)]
pub struct Body<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for Body<T> {
    type Rejection = Problem;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = Bytes::from_request(req, state)
            .await
            .map_err(|e| Problem::bad_request(format!("could not read the body: {e}")))?;
        if bytes.len() > BODY_LIMIT {
            return Err(Problem::bad_request("the body is too large"));
        }
        decode(&bytes).map(Body)
    }
}

/// Decodes JSON `bytes` as `T`, naming the failing field.
pub fn decode<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, Problem> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(Problem::validation("$", "a JSON body is required"));
    }
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        let field = if path == "." { "$".to_owned() } else { path };
        Problem::validation(field, e.inner().to_string())
    })?;
    de.end()
        .map_err(|e| Problem::validation("$", format!("trailing characters: {e}")))?;
    Ok(value)
}

/// A path whose only parameter is a UUID (`{id}`, `{orderId}`).
#[derive(Clone, Copy, Debug)]
pub struct IdPath(pub Uuid);

impl<S: Send + Sync> FromRequestParts<S> for IdPath {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let Path(text) = Path::<String>::from_request_parts(parts, state)
            .await
            .map_err(|e| Problem::bad_request(format!("bad path: {e}")))?;
        text.parse()
            .map(IdPath)
            .map_err(|_| Problem::validation("id", format!("`{text}` is not a valid id (UUID)")))
    }
}

/// Decodes an already parsed JSON value as `T`, naming the failing field.
pub fn decode_value<T: DeserializeOwned>(value: serde_json::Value) -> Result<T, Problem> {
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        let field = if path == "." { "$".to_owned() } else { path };
        Problem::validation(field, e.inner().to_string())
    })
}
