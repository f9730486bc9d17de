//! [`Credentials`]: the API key pair (client id and client secret) of a Carbonext application.
//!
//! The secret is held in a [`SecretString`]: `Debug` shows the client id and `[REDACTED]`, and
//! reading the secret takes an explicit [`ExposeSecret::expose_secret`].
//!
//! ```
//! use carbonext_auth::Credentials;
//!
//! let credentials = Credentials::new("cbx_b2b_3fe7cbb3", "7beb0588-edb3");
//! assert_eq!(credentials.client_id(), "cbx_b2b_3fe7cbb3");
//! assert!(!format!("{credentials:?}").contains("7beb0588"));
//! ```

use std::fmt;

use secrecy::{ExposeSecret, SecretString};

use crate::AuthError;

/// Name of the environment variable holding the client id.
pub const CLIENT_ID_VAR: &str = "CARBONEXT_CLIENT_ID";
/// Name of the environment variable holding the client secret.
pub const CLIENT_SECRET_VAR: &str = "CARBONEXT_CLIENT_SECRET";

/// A client id and its secret, as issued for an application key.
#[derive(Clone)]
pub struct Credentials {
    client_id: String,
    client_secret: SecretString,
}

impl Credentials {
    /// Credentials from values. The secret accepts `&str`, `String` or a [`SecretString`].
    pub fn new(client_id: impl Into<String>, client_secret: impl Into<SecretString>) -> Self {
        Self {
            client_id: client_id.into(),
            client_secret: client_secret.into(),
        }
    }

    /// Credentials from `CARBONEXT_CLIENT_ID` and `CARBONEXT_CLIENT_SECRET`.
    ///
    /// An unset or empty variable is [`AuthError::MissingEnvVar`] naming it; a value that is not
    /// Unicode is [`AuthError::InvalidEnvironment`] (the value is never quoted).
    pub fn from_env() -> Result<Self, AuthError> {
        Self::from_lookup(crate::environment::process_env)
    }

    /// Like [`Credentials::from_env`], reading variables through `lookup` instead of the
    /// process environment (a config file, a test map). `lookup` returns `None` for an unset
    /// variable.
    pub fn from_lookup(
        lookup: impl Fn(&'static str) -> Result<Option<String>, AuthError>,
    ) -> Result<Self, AuthError> {
        let client_id = required(&lookup, CLIENT_ID_VAR)?;
        let client_secret = required(&lookup, CLIENT_SECRET_VAR)?;
        Ok(Self::new(client_id, client_secret))
    }

    /// The client id (public, like a user name).
    pub fn client_id(&self) -> &str {
        &self.client_id
    }

    /// The client secret. Do not log it.
    pub fn client_secret(&self) -> &SecretString {
        &self.client_secret
    }

    pub(crate) fn expose_secret(&self) -> &str {
        self.client_secret.expose_secret()
    }
}

fn required(
    lookup: &impl Fn(&'static str) -> Result<Option<String>, AuthError>,
    name: &'static str,
) -> Result<String, AuthError> {
    match lookup(name)? {
        Some(value) if !value.trim().is_empty() => Ok(value.trim().to_owned()),
        _ => Err(AuthError::MissingEnvVar { name }),
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("client_id", &self.client_id)
            .field("client_secret", &"[REDACTED]")
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lookup(
        vars: &'static [(&'static str, &'static str)],
    ) -> impl Fn(&'static str) -> Result<Option<String>, AuthError> {
        move |name| {
            Ok(vars
                .iter()
                .find(|(key, _)| *key == name)
                .map(|(_, value)| value.to_string()))
        }
    }

    #[test]
    fn debug_shows_the_id_and_never_the_secret() {
        let credentials = Credentials::new("app-id", "top-secret-value");
        let debug = format!("{credentials:?}");
        assert!(debug.contains("app-id"), "{debug}");
        assert!(!debug.contains("top-secret-value"), "{debug}");
        let debug = format!("{:#?}", credentials.client_secret());
        assert!(!debug.contains("top-secret-value"), "{debug}");
    }

    #[test]
    fn reads_both_variables() {
        let credentials = Credentials::from_lookup(lookup(&[
            (CLIENT_ID_VAR, "id"),
            (CLIENT_SECRET_VAR, " secret\n"),
        ]))
        .unwrap();
        assert_eq!(credentials.client_id(), "id");
        assert_eq!(credentials.expose_secret(), "secret");
    }

    #[test]
    fn missing_variable_is_named() {
        let error = Credentials::from_lookup(lookup(&[(CLIENT_ID_VAR, "id")])).unwrap_err();
        assert!(matches!(
            error,
            AuthError::MissingEnvVar {
                name: CLIENT_SECRET_VAR
            }
        ));
        assert_eq!(
            error.to_string(),
            "environment variable CARBONEXT_CLIENT_SECRET is not set"
        );
        let error = Credentials::from_lookup(lookup(&[(CLIENT_ID_VAR, "  ")])).unwrap_err();
        assert!(matches!(
            error,
            AuthError::MissingEnvVar {
                name: CLIENT_ID_VAR
            }
        ));
    }
}
