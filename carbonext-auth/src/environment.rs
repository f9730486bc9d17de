//! [`Environment`]: where the API and its token endpoint live.
//!
//! Carbonext runs two hosts per environment: the B2B API and a Keycloak token endpoint. The
//! type's docs list the known URLs (the production token URL is a guess) and the environment
//! variables that override them.
//!
//! ```
//! use carbonext_auth::Environment;
//!
//! let local = Environment::homologation().with_api_url("http://127.0.0.1:8080/");
//! assert_eq!(local.api_url(), "http://127.0.0.1:8080");
//! assert_eq!(local.name(), "homologation");
//! ```

use std::fmt;

use carbonext_api::{HOMOLOGATION_API_URL, HOMOLOGATION_TOKEN_URL, PRODUCTION_API_URL};

use crate::AuthError;

/// Token endpoint assumed for production. Not documented by Carbonext: it follows the
/// homologation host's Keycloak pattern. Override it when it turns out to be wrong.
pub const PRODUCTION_TOKEN_URL: &str =
    "https://auth.carbonext.com.br/auth/realms/co2free/protocol/openid-connect/token";

/// Name of the variable selecting the environment.
pub const ENV_VAR: &str = "CARBONEXT_ENV";
/// Name of the variable overriding the API base URL.
pub const API_URL_VAR: &str = "CARBONEXT_API_URL";
/// Name of the variable overriding the full token endpoint URL.
pub const AUTH_URL_VAR: &str = "CARBONEXT_AUTH_URL";

/// An API base URL and the token endpoint that issues tokens for it.
///
/// | environment | API | token endpoint |
/// |---|---|---|
/// | homologation | `https://api-b2b-hml.carbonext.com.br` | `https://auth-hml.carbonext.com.br/auth/realms/co2free/protocol/openid-connect/token` |
/// | production | `https://api-b2b.carbonext.com.br` | [`PRODUCTION_TOKEN_URL`] (**a guess**) |
///
/// The production token URL is not documented by Carbonext; the value used follows the
/// homologation pattern and may be wrong. Every URL can be overridden, in code
/// ([`Environment::with_api_url`], [`Environment::with_token_url`], [`Environment::custom`])
/// or through the process environment ([`Environment::from_env`]):
///
/// | variable | meaning |
/// |---|---|
/// | `CARBONEXT_ENV` | `homologation` (alias `hml`) or `production` (alias `prod`), case-insensitive; **unset or empty means homologation**, so a missing variable never reaches production; any other value is [`AuthError::InvalidEnvironment`] |
/// | `CARBONEXT_API_URL` | base URL of the API, replaces the environment's |
/// | `CARBONEXT_AUTH_URL` | the **full** token endpoint URL, replaces the environment's |
///
/// An override that is not an absolute `http(s)` URL is [`AuthError::InvalidEnvironment`].
#[derive(Clone, PartialEq, Eq)]
pub struct Environment {
    name: &'static str,
    api_url: String,
    token_url: String,
}

impl Environment {
    /// The homologation (test) environment.
    pub fn homologation() -> Self {
        Self {
            name: "homologation",
            api_url: HOMOLOGATION_API_URL.to_owned(),
            token_url: HOMOLOGATION_TOKEN_URL.to_owned(),
        }
    }

    /// The production environment. Its token URL is [`PRODUCTION_TOKEN_URL`], a guess.
    pub fn production() -> Self {
        Self {
            name: "production",
            api_url: PRODUCTION_API_URL.to_owned(),
            token_url: PRODUCTION_TOKEN_URL.to_owned(),
        }
    }

    /// Any other pair of hosts (a sandbox, a proxy). `token_url` is the full endpoint URL.
    pub fn custom(api_url: impl Into<String>, token_url: impl Into<String>) -> Self {
        Self {
            name: "custom",
            api_url: trim_base(api_url.into()),
            token_url: token_url.into(),
        }
    }

    /// The environment named by `CARBONEXT_ENV` (default homologation) with the overrides of
    /// `CARBONEXT_API_URL` and `CARBONEXT_AUTH_URL`. See [`Environment`] for the variables.
    pub fn from_env() -> Result<Self, AuthError> {
        Self::from_lookup(process_env)
    }

    /// Like [`Environment::from_env`], reading variables through `lookup`.
    pub fn from_lookup(
        lookup: impl Fn(&'static str) -> Result<Option<String>, AuthError>,
    ) -> Result<Self, AuthError> {
        let set = |name| -> Result<Option<String>, AuthError> {
            Ok(lookup(name)?
                .map(|value| value.trim().to_owned())
                .filter(|value| !value.is_empty()))
        };
        let mut environment = match set(ENV_VAR)? {
            None => Self::homologation(),
            Some(name) => name.parse()?,
        };
        if let Some(url) = set(API_URL_VAR)? {
            check_url(API_URL_VAR, &url)?;
            environment = environment.with_api_url(url);
        }
        if let Some(url) = set(AUTH_URL_VAR)? {
            check_url(AUTH_URL_VAR, &url)?;
            environment = environment.with_token_url(url);
        }
        Ok(environment)
    }

    /// This environment with another API base URL (a trailing `/` is dropped).
    pub fn with_api_url(mut self, api_url: impl Into<String>) -> Self {
        self.api_url = trim_base(api_url.into());
        self
    }

    /// This environment with another full token endpoint URL.
    pub fn with_token_url(mut self, token_url: impl Into<String>) -> Self {
        self.token_url = token_url.into();
        self
    }

    /// Base URL of the API, without trailing `/`.
    pub fn api_url(&self) -> &str {
        &self.api_url
    }

    /// Full URL of the OAuth2 token endpoint.
    pub fn token_url(&self) -> &str {
        &self.token_url
    }

    /// `homologation`, `production` or `custom`: the environment the URLs started from.
    pub fn name(&self) -> &'static str {
        self.name
    }
}

/// Homologation: a default that cannot touch production by accident.
impl Default for Environment {
    fn default() -> Self {
        Self::homologation()
    }
}

impl std::str::FromStr for Environment {
    type Err = AuthError;

    /// `homologation`/`hml` or `production`/`prod`, case-insensitive.
    fn from_str(name: &str) -> Result<Self, Self::Err> {
        match name.trim().to_ascii_lowercase().as_str() {
            "homologation" | "hml" => Ok(Self::homologation()),
            "production" | "prod" => Ok(Self::production()),
            _ => Err(AuthError::InvalidEnvironment {
                name: ENV_VAR,
                reason: format!(
                    "unknown environment `{}` (expected `homologation` or `production`)",
                    name.chars().take(64).collect::<String>()
                ),
            }),
        }
    }
}

impl fmt::Debug for Environment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Environment")
            .field("name", &self.name)
            .field("api_url", &self.api_url)
            .field("token_url", &self.token_url)
            .finish()
    }
}

fn trim_base(url: String) -> String {
    match url.strip_suffix('/') {
        Some(trimmed) => trimmed.to_owned(),
        None => url,
    }
}

/// Rejects a URL reqwest could not send to. The value is not quoted: it may carry userinfo.
fn check_url(name: &'static str, url: &str) -> Result<(), AuthError> {
    match reqwest::Url::parse(url) {
        Ok(parsed) if matches!(parsed.scheme(), "http" | "https") && parsed.has_host() => Ok(()),
        Ok(_) => Err(AuthError::InvalidEnvironment {
            name,
            reason: "not an http(s) URL with a host".to_owned(),
        }),
        Err(error) => Err(AuthError::InvalidEnvironment {
            name,
            reason: format!("not a URL ({error})"),
        }),
    }
}

/// Reads a variable of the process environment; a non-Unicode value is an error that does not
/// quote it.
pub(crate) fn process_env(name: &'static str) -> Result<Option<String>, AuthError> {
    match std::env::var(name) {
        Ok(value) => Ok(Some(value)),
        Err(std::env::VarError::NotPresent) => Ok(None),
        Err(std::env::VarError::NotUnicode(_)) => Err(AuthError::InvalidEnvironment {
            name,
            reason: "value is not valid Unicode".to_owned(),
        }),
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
    fn unset_means_homologation() {
        let environment = Environment::from_lookup(lookup(&[])).unwrap();
        assert_eq!(environment, Environment::homologation());
        assert_eq!(
            environment.api_url(),
            "https://api-b2b-hml.carbonext.com.br"
        );
        assert_eq!(
            environment.token_url(),
            "https://auth-hml.carbonext.com.br/auth/realms/co2free/protocol/openid-connect/token"
        );
    }

    #[test]
    fn names_are_case_insensitive_with_aliases() {
        for name in ["production", "PROD", " Production "] {
            let environment =
                Environment::from_lookup(move |var| Ok((var == ENV_VAR).then(|| name.to_owned())))
                    .unwrap();
            assert_eq!(environment, Environment::production());
            assert_eq!(environment.api_url(), "https://api-b2b.carbonext.com.br");
            assert_eq!(environment.token_url(), PRODUCTION_TOKEN_URL);
        }
        assert_eq!(
            "hml".parse::<Environment>().unwrap(),
            Environment::homologation()
        );
    }

    #[test]
    fn unknown_name_is_an_error() {
        let error = Environment::from_lookup(lookup(&[(ENV_VAR, "staging")])).unwrap_err();
        assert!(matches!(
            error,
            AuthError::InvalidEnvironment { name: ENV_VAR, .. }
        ));
        assert_eq!(
            error.to_string(),
            "invalid environment variable CARBONEXT_ENV: unknown environment `staging` \
             (expected `homologation` or `production`)"
        );
    }

    #[test]
    fn overrides_replace_each_url() {
        let environment = Environment::from_lookup(lookup(&[
            (ENV_VAR, "production"),
            (AUTH_URL_VAR, "https://login.example.com/realms/x/token"),
        ]))
        .unwrap();
        assert_eq!(environment.api_url(), PRODUCTION_API_URL);
        assert_eq!(
            environment.token_url(),
            "https://login.example.com/realms/x/token"
        );
        assert_eq!(environment.name(), "production");

        let environment =
            Environment::from_lookup(lookup(&[(API_URL_VAR, "http://127.0.0.1:9000/")])).unwrap();
        assert_eq!(environment.api_url(), "http://127.0.0.1:9000");
        assert_eq!(environment.token_url(), HOMOLOGATION_TOKEN_URL);
    }

    #[test]
    fn malformed_override_is_an_error_that_does_not_quote_it() {
        let error = Environment::from_lookup(lookup(&[(AUTH_URL_VAR, "ftp://user:pw@host/x")]))
            .unwrap_err();
        assert!(matches!(
            error,
            AuthError::InvalidEnvironment {
                name: AUTH_URL_VAR,
                ..
            }
        ));
        assert!(!error.to_string().contains("pw"));
        assert!(Environment::from_lookup(lookup(&[(API_URL_VAR, "not a url")])).is_err());
    }
}
