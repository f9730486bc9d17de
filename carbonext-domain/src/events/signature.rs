//! Signed event deliveries (`carbonext orders watch --forward-to`): how a receiver checks that
//! a POSTed event came from its watcher.
//!
//! INTERFACE SKELETON: header `Carbonext-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of
//! "<t>.<body>" keyed with the secret>`; secrets look like `cbxwh_<64 hex digits>`.

/// The header that carries the signature.
pub const SIGNATURE_HEADER: &str = "Carbonext-Signature";

/// Why a delivery's signature was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// The header is not `t=…,v1=…`.
    #[error("malformed signature header")]
    Malformed,
    /// The signature does not match the body and the secret.
    #[error("signature does not match")]
    Mismatch,
    /// The timestamp is further from now than the tolerance.
    #[error("signature timestamp outside the tolerance")]
    Expired,
}

/// The header value for `body` sent at `timestamp` (unix seconds) with `secret`.
pub fn sign(secret: &str, timestamp: i64, body: &[u8]) -> String {
    let _ = (secret, timestamp, body);
    unimplemented!("skeleton")
}

/// Checks `header` against `body` and `secret`; `tolerance` bounds how far its timestamp may
/// be from `now` (unix seconds).
pub fn verify_signature(
    secret: &str,
    header: &str,
    body: &[u8],
    now: i64,
    tolerance: std::time::Duration,
) -> Result<(), SignatureError> {
    let _ = (secret, header, body, now, tolerance);
    unimplemented!("skeleton")
}
