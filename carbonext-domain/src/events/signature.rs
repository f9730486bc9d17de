//! Signed event deliveries (`carbonext orders watch --forward-to`): how a receiver checks that
//! a POSTed event came from its watcher.
//!
//! Each delivery carries the header [`SIGNATURE_HEADER`]:
//!
//! ```text
//! Carbonext-Signature: t=1765152000,v1=04d7ad6cf279fc00bb081f7e249dad53415598793903acfe4b7b4278f984361a
//! ```
//!
//! `t` is when it was sent (unix seconds) and `v1` the lowercase hex HMAC-SHA256 of
//! `"{t}.{body}"` (the raw body bytes, before any JSON parsing), keyed with the UTF-8 bytes of
//! the whole secret text (`cbxwh_` prefix included). Secrets look like `cbxwh_` + 64 hex
//! digits ([`SigningSecret`]); the CLI prints its secret once on stderr when it starts.
//!
//! A receiver checks the raw body before it trusts anything in it, and refuses deliveries
//! whose timestamp is far from its clock (a replayed old delivery):
//!
//! ```
//! use std::time::Duration;
//! use carbonext_domain::events::signature::SigningSecret;
//! use carbonext_domain::events::{sign, verify_signature, SignatureError};
//!
//! let secret = SigningSecret::generate();
//! let body = br#"{"id":"8f7c9d2e-0d5b-4c1e-9a43-3b2f1e6d7c10:Billed"}"#;
//! let header = sign(secret.expose_secret(), 1_765_152_000, body);
//!
//! let now = 1_765_152_030; // the receiver's clock, unix seconds
//! let tolerance = Duration::from_secs(300);
//! assert_eq!(verify_signature(secret.expose_secret(), &header, body, now, tolerance), Ok(()));
//! assert_eq!(
//!     verify_signature(secret.expose_secret(), &header, b"{}", now, tolerance),
//!     Err(SignatureError::Mismatch)
//! );
//! ```
//!
//! Several `v1=` entries may be given (any one matching is enough) and entries with other
//! names are ignored, so a sender can sign with two secrets while receivers rotate.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use hmac::{Hmac, KeyInit, Mac};
use rand::RngCore;
use sha2::Sha256;

/// The header that carries the signature.
pub const SIGNATURE_HEADER: &str = "Carbonext-Signature";

/// What every generated secret starts with.
pub const SECRET_PREFIX: &str = "cbxwh_";

/// Hex digits after [`SECRET_PREFIX`] (32 random bytes).
const SECRET_HEX_DIGITS: usize = 64;

type HmacSha256 = Hmac<Sha256>;

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
    let code = mac(secret, timestamp, body).finalize().into_bytes();
    format!("t={timestamp},v1={}", to_hex(&code))
}

/// Checks `header` against `body` and `secret`; `tolerance` bounds how far its timestamp may
/// be from `now` (unix seconds).
///
/// The signature is checked first (in constant time), so [`SignatureError::Expired`] means
/// an authentic but old (or future-dated) delivery.
pub fn verify_signature(
    secret: &str,
    header: &str,
    body: &[u8],
    now: i64,
    tolerance: Duration,
) -> Result<(), SignatureError> {
    let parsed = Header::parse(header)?;
    let authentic = parsed.signatures.iter().any(|candidate| {
        mac(secret, parsed.timestamp, body)
            .verify_slice(candidate)
            .is_ok()
    });
    if !authentic {
        return Err(SignatureError::Mismatch);
    }
    if now.abs_diff(parsed.timestamp) > tolerance.as_secs() {
        return Err(SignatureError::Expired);
    }
    Ok(())
}

/// The MAC of `"{timestamp}.{body}"`, before finalisation.
fn mac(secret: &str, timestamp: i64, body: &[u8]) -> HmacSha256 {
    let mut mac =
        HmacSha256::new_from_slice(secret.as_bytes()).expect("HMAC takes keys of any length");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    mac
}

/// A parsed `t=…,v1=…[,v1=…]` header.
struct Header {
    timestamp: i64,
    signatures: Vec<Vec<u8>>,
}

impl Header {
    fn parse(header: &str) -> Result<Self, SignatureError> {
        let mut timestamp = None;
        let mut signatures = Vec::new();
        for part in header.split(',') {
            let (name, value) = part
                .trim()
                .split_once('=')
                .ok_or(SignatureError::Malformed)?;
            match name {
                "t" if timestamp.is_none() => {
                    timestamp = Some(value.parse().map_err(|_| SignatureError::Malformed)?);
                }
                "t" => return Err(SignatureError::Malformed),
                "v1" => signatures.push(from_hex(value).ok_or(SignatureError::Malformed)?),
                _ => {}
            }
        }
        match timestamp {
            Some(timestamp) if !signatures.is_empty() => Ok(Self {
                timestamp,
                signatures,
            }),
            _ => Err(SignatureError::Malformed),
        }
    }
}

fn to_hex(bytes: &[u8]) -> String {
    use fmt::Write;
    bytes.iter().fold(String::new(), |mut text, byte| {
        let _ = write!(text, "{byte:02x}");
        text
    })
}

fn from_hex(text: &str) -> Option<Vec<u8>> {
    if text.is_empty() || !text.len().is_multiple_of(2) || !text.is_ascii() {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).ok())
        .collect()
}

/// A signing secret (`cbxwh_` + 64 hex digits): `Debug` and `Display` never show it; read it
/// with [`SigningSecret::expose_secret`] where it must be used or shown on purpose.
///
/// ```
/// use carbonext_domain::events::signature::SigningSecret;
///
/// let secret = SigningSecret::generate();
/// assert!(secret.expose_secret().starts_with("cbxwh_"));
/// assert_eq!(format!("{secret}"), "cbxwh_<redacted>");
/// let again: SigningSecret = secret.expose_secret().parse().unwrap();
/// assert_eq!(again, secret);
/// assert!("cbxwh_short".parse::<SigningSecret>().is_err());
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct SigningSecret(String);

impl SigningSecret {
    /// A new secret: 32 bytes from the thread's cryptographically secure generator (seeded
    /// from the operating system), in hex after [`SECRET_PREFIX`].
    pub fn generate() -> Self {
        let mut bytes = [0u8; SECRET_HEX_DIGITS / 2];
        rand::rng().fill_bytes(&mut bytes);
        Self(format!("{SECRET_PREFIX}{}", to_hex(&bytes)))
    }

    /// The secret's text, to sign with or to show on purpose.
    pub fn expose_secret(&self) -> &str {
        &self.0
    }
}

/// A secret text that is not `cbxwh_` + 64 hex digits (the text is not kept).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a signing secret is `cbxwh_` followed by 64 hexadecimal digits")]
pub struct InvalidSigningSecret;

impl FromStr for SigningSecret {
    type Err = InvalidSigningSecret;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let text = text.trim();
        let digits = text
            .strip_prefix(SECRET_PREFIX)
            .ok_or(InvalidSigningSecret)?;
        if digits.len() == SECRET_HEX_DIGITS && digits.bytes().all(|b| b.is_ascii_hexdigit()) {
            Ok(Self(text.to_owned()))
        } else {
            Err(InvalidSigningSecret)
        }
    }
}

impl fmt::Debug for SigningSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SigningSecret(<redacted>)")
    }
}

impl fmt::Display for SigningSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{SECRET_PREFIX}<redacted>")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FIVE_MINUTES: Duration = Duration::from_secs(300);

    /// Vectors computed outside this crate, with Python's standard library:
    ///
    /// ```text
    /// python3 -c 'import hmac, hashlib; print(hmac.new(SECRET.encode(),
    ///     f"{T}.".encode() + BODY, hashlib.sha256).hexdigest())'
    /// ```
    const VECTORS: [(&str, i64, &[u8], &str); 3] = [
        (
            "cbxwh_0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
            1_765_152_000,
            br#"{"id":"ev"}"#,
            "04d7ad6cf279fc00bb081f7e249dad53415598793903acfe4b7b4278f984361a",
        ),
        (
            "cbxwh_ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
            1_700_000_000,
            b"",
            "6d4b2da0c96856d8041dea7f71bdf0c64c19b7a4ef830543632047f483edc947",
        ),
        (
            "whsec_test",
            1,
            "{\"status\":\"Cancelled\",\"note\":\"açaí\"}".as_bytes(),
            "78234bae3114307c7ab666b21e9ee85d923a8dfb7d9724bca8063fe370a368a9",
        ),
    ];

    #[test]
    fn sign_matches_independently_computed_vectors() {
        for (secret, t, body, hex) in VECTORS {
            assert_eq!(sign(secret, t, body), format!("t={t},v1={hex}"));
        }
    }

    #[test]
    fn verify_accepts_the_independent_vectors() {
        for (secret, t, body, hex) in VECTORS {
            let header = format!("t={t},v1={hex}");
            assert_eq!(
                verify_signature(secret, &header, body, t + 299, FIVE_MINUTES),
                Ok(())
            );
        }
    }

    #[test]
    fn a_wrong_secret_fails() {
        let (secret, t, body, _) = VECTORS[0];
        let header = sign(secret, t, body);
        let other = SigningSecret::generate();
        assert_eq!(
            verify_signature(other.expose_secret(), &header, body, t, FIVE_MINUTES),
            Err(SignatureError::Mismatch)
        );
        // One character off.
        let almost = secret.replace("ef0123", "ef0124");
        assert_eq!(
            verify_signature(&almost, &header, body, t, FIVE_MINUTES),
            Err(SignatureError::Mismatch)
        );
    }

    #[test]
    fn a_tampered_body_or_timestamp_fails() {
        let (secret, t, body, _) = VECTORS[0];
        let header = sign(secret, t, body);
        assert_eq!(
            verify_signature(secret, &header, br#"{"id":"ew"}"#, t, FIVE_MINUTES),
            Err(SignatureError::Mismatch)
        );
        // Moving the timestamp (to get past the tolerance) breaks the signature.
        let moved = header.replacen(&format!("t={t}"), &format!("t={}", t + 600), 1);
        assert_eq!(
            verify_signature(secret, &moved, body, t + 600, FIVE_MINUTES),
            Err(SignatureError::Mismatch)
        );
    }

    #[test]
    fn a_stale_or_future_timestamp_fails() {
        let (secret, t, body, _) = VECTORS[0];
        let header = sign(secret, t, body);
        assert_eq!(
            verify_signature(secret, &header, body, t + 300, FIVE_MINUTES),
            Ok(())
        );
        assert_eq!(
            verify_signature(secret, &header, body, t + 301, FIVE_MINUTES),
            Err(SignatureError::Expired)
        );
        assert_eq!(
            verify_signature(secret, &header, body, t - 301, FIVE_MINUTES),
            Err(SignatureError::Expired)
        );
        // No overflow at the ends of the range.
        assert_eq!(
            verify_signature(secret, &header, body, i64::MIN, FIVE_MINUTES),
            Err(SignatureError::Expired)
        );
    }

    #[test]
    fn malformed_headers_are_refused_as_such() {
        let (secret, t, body, hex) = VECTORS[0];
        for header in [
            String::new(),
            "garbage".to_owned(),
            format!("v1={hex}"),
            format!("t={t}"),
            format!("t=soon,v1={hex}"),
            format!("t={t},v1=zz"),
            format!("t={t},v1={hex}0"),
            format!("t={t},t={t},v1={hex}"),
        ] {
            assert_eq!(
                verify_signature(secret, &header, body, t, FIVE_MINUTES),
                Err(SignatureError::Malformed),
                "{header:?}"
            );
        }
    }

    #[test]
    fn any_matching_v1_entry_is_enough_and_other_schemes_are_ignored() {
        let (secret, t, body, hex) = VECTORS[0];
        let header = format!("t={t}, v0=abcd, v1={}, v1={hex}", "00".repeat(32));
        assert_eq!(
            verify_signature(secret, &header, body, t, FIVE_MINUTES),
            Ok(())
        );
        // A truncated signature is not a prefix match.
        let short = format!("t={t},v1={}", &hex[..32]);
        assert_eq!(
            verify_signature(secret, &short, body, t, FIVE_MINUTES),
            Err(SignatureError::Mismatch)
        );
    }

    #[test]
    fn generated_secrets_are_well_formed_distinct_and_redacted() {
        let first = SigningSecret::generate();
        let second = SigningSecret::generate();
        assert_ne!(first, second);
        for secret in [&first, &second] {
            let text = secret.expose_secret();
            assert_eq!(text.len(), SECRET_PREFIX.len() + SECRET_HEX_DIGITS);
            assert_eq!(text.parse::<SigningSecret>().as_ref(), Ok(secret));
            let digits = &text[SECRET_PREFIX.len()..];
            assert!(!format!("{secret:?}").contains(digits));
            assert!(!format!("{secret}").contains(digits));
            assert!(!format!("{:?}", Some(secret)).contains(digits));
        }
        for bad in [
            "",
            "cbxwh_",
            "whsec_0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
            "cbxwh_0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdeg",
            "cbxwh_0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcde",
        ] {
            assert_eq!(bad.parse::<SigningSecret>(), Err(InvalidSigningSecret));
        }
    }
}
