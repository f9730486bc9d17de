//! What a call that got no answer ran into: the one classifier of transport errors
//! ([`TransportFailure`]) and the typed failure of a hook that refused a request
//! ([`HookFailure`]).
//!
//! Progenitor's `Error` carries a hook's refusal only as a string (`Error::Custom`). So that
//! the hook's own error reaches the caller typed, the client ends such a call with
//! `Error::CommunicationError` whose `reqwest::Error` has a [`HookFailure`] in its source
//! chain; [`HookFailure::find`] finds it, [`TransportFailure::of`] reports it as
//! [`TransportFailure::Hook`], and nothing was sent.

use std::fmt;
use std::sync::Mutex;

use bytes::Bytes;

/// Error a hook returns from [`RequestHook::prepare`](crate::RequestHook::prepare). The call then ends with
/// `Error::CommunicationError` whose source chain holds a [`HookFailure`] naming the hook and
/// carrying this error, typed ([`HookFailure::take_source`]); its `Display` must never contain
/// a secret.
pub type HookError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// A hook's [`prepare`](crate::RequestHook::prepare) refused the request: nothing was sent.
///
/// Carries the hook's [`name`](crate::RequestHook::name) and its error, which the first
/// caller of [`take_source`](Self::take_source) gets by value (to downcast it to its type).
pub struct HookFailure {
    hook: String,
    /// The hook's error in one line, with its causes (kept for `Display` once taken).
    message: String,
    source: Mutex<Option<HookError>>,
}

impl HookFailure {
    /// The failure of hook `hook` with its error `source`.
    pub fn new(hook: impl Into<String>, source: HookError) -> Self {
        let mut message = source.to_string();
        let mut cause = source.source();
        while let Some(inner) = cause {
            message.push_str(&format!(": {inner}"));
            cause = inner.source();
        }
        Self {
            hook: hook.into(),
            message,
            source: Mutex::new(Some(source)),
        }
    }

    /// The name of the hook that refused the request.
    pub fn hook(&self) -> &str {
        &self.hook
    }

    /// The hook's error and its causes, in one line.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The hook's own error, by value; `None` once taken.
    pub fn take_source(&self) -> Option<HookError> {
        self.source
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .take()
    }

    /// The hook failure behind `err`, if a hook caused it.
    pub fn find(err: &reqwest::Error) -> Option<&HookFailure> {
        let mut source = std::error::Error::source(err);
        while let Some(cause) = source {
            if let Some(found) = cause.downcast_ref::<HookFailure>() {
                return Some(found);
            }
            source = cause.source();
        }
        None
    }

    /// A `reqwest::Error` whose source chain holds this failure (the only error type of
    /// progenitor's `Error` that carries a typed source).
    pub(crate) async fn into_reqwest_error(self) -> reqwest::Error {
        let failing = futures_util::stream::once(async move { Err::<Bytes, _>(self) });
        let response = http::Response::new(reqwest::Body::wrap_stream(failing));
        match reqwest::Response::from(response).bytes().await {
            Err(err) => err,
            Ok(_) => unreachable!("a body made of one error cannot be read"),
        }
    }
}

impl fmt::Debug for HookFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HookFailure")
            .field("hook", &self.hook)
            .field("message", &self.message)
            .finish_non_exhaustive()
    }
}

impl fmt::Display for HookFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "hook {} refused the request: {}",
            self.hook, self.message
        )
    }
}

impl std::error::Error for HookFailure {}

/// Why an exchange got no usable answer: the one classification of transport errors, for
/// the `error.type` of a span and for the words of an error.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum TransportFailure {
    /// A hook refused the request ([`HookFailure`]): nothing was sent.
    Hook,
    /// No connection could be made: nothing was sent.
    Connect,
    /// The exchange ran out of time: the request may have been processed.
    Timeout,
    /// The response body could not be read (cut, or over the client's limit).
    Body,
    /// Any other failure of the exchange: the request may have been processed.
    Request,
}

impl TransportFailure {
    /// What kind of failure `err` is.
    pub fn of(err: &reqwest::Error) -> Self {
        if HookFailure::find(err).is_some() {
            Self::Hook
        } else if err.is_timeout() {
            Self::Timeout
        } else if err.is_connect() {
            Self::Connect
        } else if err.is_body() || err.is_decode() {
            Self::Body
        } else {
            Self::Request
        }
    }

    /// Short name, the `error.type` of a span: `hook`, `connect`, `timeout`, `body`, `request`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Hook => "hook",
            Self::Connect => "connect",
            Self::Timeout => "timeout",
            Self::Body => "body",
            Self::Request => "request",
        }
    }

    /// What happened, in words for an error message.
    pub fn describe(self) -> &'static str {
        match self {
            Self::Hook => "a hook refused the request",
            Self::Connect => "could not connect",
            Self::Timeout => "timed out",
            Self::Body => "the response body could not be read",
            Self::Request => "the connection failed",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug)]
    struct Refused;

    impl fmt::Display for Refused {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("tenant header missing")
        }
    }

    impl std::error::Error for Refused {}

    #[tokio::test]
    async fn a_hook_failure_travels_typed_inside_a_reqwest_error() {
        let err = HookFailure::new("tenant", Box::new(Refused))
            .into_reqwest_error()
            .await;
        assert_eq!(TransportFailure::of(&err), TransportFailure::Hook);
        let failure = HookFailure::find(&err).expect("in the source chain");
        assert_eq!(failure.hook(), "tenant");
        assert_eq!(
            failure.to_string(),
            "hook tenant refused the request: tenant header missing"
        );
        let source = failure.take_source().expect("taken once");
        assert!(source.downcast::<Refused>().is_ok());
        assert!(failure.take_source().is_none());
    }
}
