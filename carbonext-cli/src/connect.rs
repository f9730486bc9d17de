//! Where the CLI talks to, and the authenticated [`Session`] every API command uses.
//!
//! | given | target |
//! |---|---|
//! | nothing (no `--env`, `--api-url`, `--auth-url`, `CARBONEXT_ENV`, …) | an embedded sandbox started in-process, with its seeded fake credentials (said on stderr) |
//! | `--env homologation\|production` (or `CARBONEXT_ENV`) | that environment, `--api-url`/`--auth-url` overriding its URLs |
//! | `--api-url URL --auth-url URL` | those hosts |
//!
//! `--auth-url` (`CARBONEXT_AUTH_URL`) is the **full** token endpoint URL, as in
//! `carbonext-auth` (`…/protocol/openid-connect/token`), not the auth host's base. Outside
//! the sandbox the credentials come from `CARBONEXT_CLIENT_ID` and `CARBONEXT_CLIENT_SECRET`.
//!
//! ```
//! use carbonext_cli::cli::Cli;
//! use carbonext_cli::connect::Target;
//! use clap::Parser;
//!
//! let cli = Cli::try_parse_from([
//!     "carbonext", "--api-url", "http://127.0.0.1:8080",
//!     "--auth-url", "http://127.0.0.1:8080/token", "balance",
//! ]).unwrap();
//! let target = Target::resolve(&cli.global).unwrap();
//! assert!(matches!(target, Target::Remote(_)));
//! ```

use std::time::Duration;

use carbonext_auth::{AccessToken, Credentials, Environment, TokenCache};
use carbonext_domain::{Carbonext, RetryPolicy, Timeouts};
use carbonext_postgres_lock::PostgresKeyLock;
use carbonext_sandbox::Sandbox;

use crate::cli::{EnvironmentName, GlobalArgs};
use crate::exit::CliError;

/// Time limit of one HTTP attempt unless `--timeout-secs` says otherwise.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// What the flags and environment variables point at.
#[derive(Debug, Clone)]
pub enum Target {
    /// A sandbox started in this process.
    Embedded,
    /// A real (or separately running) API.
    Remote(Environment),
}

impl Target {
    /// Resolves the target from the global flags (which clap already merged with the
    /// `CARBONEXT_ENV`, `CARBONEXT_API_URL` and `CARBONEXT_AUTH_URL` variables).
    pub fn resolve(global: &GlobalArgs) -> Result<Self, CliError> {
        let api_url = global
            .api_url
            .as_deref()
            .map(str::trim)
            .filter(|u| !u.is_empty());
        let auth_url = global
            .auth_url
            .as_deref()
            .map(str::trim)
            .filter(|u| !u.is_empty());
        for (flag, url) in [("--api-url", api_url), ("--auth-url", auth_url)] {
            if let Some(url) = url {
                check_url(flag, url)?;
            }
        }
        let base = match global.environment {
            Some(EnvironmentName::Homologation) => Environment::homologation(),
            Some(EnvironmentName::Production) => Environment::production(),
            None => match (api_url, auth_url) {
                (None, None) => return Ok(Target::Embedded),
                (Some(api), Some(auth)) => {
                    return Ok(Target::Remote(Environment::custom(api, auth)))
                }
                (Some(_), None) => {
                    return Err(CliError::usage(
                        "--api-url (CARBONEXT_API_URL) needs --auth-url (CARBONEXT_AUTH_URL, the full token \
                         endpoint URL) or --env",
                    ))
                }
                (None, Some(_)) => {
                    return Err(CliError::usage(
                        "--auth-url (CARBONEXT_AUTH_URL) needs --api-url (CARBONEXT_API_URL, the API base \
                         URL) or --env",
                    ))
                }
            },
        };
        let mut environment = base;
        if let Some(api) = api_url {
            environment = environment.with_api_url(api);
        }
        if let Some(auth) = auth_url {
            environment = environment.with_token_url(auth);
        }
        Ok(Target::Remote(environment))
    }
}

fn check_url(flag: &str, url: &str) -> Result<(), CliError> {
    let lower = url.to_ascii_lowercase();
    let scheme_ok = lower.starts_with("http://") || lower.starts_with("https://");
    let host_ok = url
        .split_once("://")
        .is_some_and(|(_, rest)| !rest.is_empty());
    if scheme_ok && host_ok && reqwest::Url::parse(url).is_ok() {
        Ok(())
    } else {
        Err(CliError::usage(format!(
            "{flag} must be an absolute http(s) URL, got {url:?}"
        )))
    }
}

/// `CARBONEXT_CLIENT_ID` and `CARBONEXT_CLIENT_SECRET`, naming every missing one.
pub fn credentials_from_env() -> Result<Credentials, CliError> {
    let read = |name: &'static str| -> Result<Option<String>, CliError> {
        match std::env::var(name) {
            Ok(value) if !value.trim().is_empty() => Ok(Some(value.trim().to_owned())),
            Ok(_) | Err(std::env::VarError::NotPresent) => Ok(None),
            Err(std::env::VarError::NotUnicode(_)) => {
                Err(CliError::usage(format!("{name} is not valid Unicode")))
            }
        }
    };
    let id = read(carbonext_auth::CLIENT_ID_VAR)?;
    let secret = read(carbonext_auth::CLIENT_SECRET_VAR)?;
    match (id, secret) {
        (Some(id), Some(secret)) => Ok(Credentials::new(id, secret)),
        (id, secret) => {
            let missing: Vec<&str> = [
                (id.is_none(), carbonext_auth::CLIENT_ID_VAR),
                (secret.is_none(), carbonext_auth::CLIENT_SECRET_VAR),
            ]
            .into_iter()
            .filter_map(|(missing, name)| missing.then_some(name))
            .collect();
            Err(CliError::usage(format!(
                "missing credentials: set {}",
                missing.join(" and ")
            ))
            .hint("they are the client id and secret of a Carbonext API key")
            .hint("or run without --env/--api-url to use the embedded sandbox"))
        }
    }
}

/// An open connection: the SDK facade, its token cache and, for the default target, the
/// sandbox it talks to (stopped by [`Session::close`]).
#[derive(Debug)]
pub struct Session {
    /// The SDK facade every command calls.
    pub carbonext: Carbonext,
    tokens: TokenCache,
    sandbox: Option<Sandbox>,
    /// Where requests go, for people: `embedded sandbox`, `homologation API at https://…`.
    pub description: String,
}

impl Session {
    /// Opens a session on `target`. Nothing is sent to the API yet (the embedded sandbox is
    /// started, and said so on stderr).
    pub async fn open(target: Target, global: &GlobalArgs) -> Result<Self, CliError> {
        let (environment, credentials, sandbox, description) = match target {
            Target::Embedded => {
                let sandbox = crate::commands::sandbox::start_embedded().await?;
                let environment = Environment::custom(sandbox.api_url(), sandbox.token_url());
                let credentials = Credentials::new(sandbox.client_id(), sandbox.client_secret());
                (
                    environment,
                    credentials,
                    Some(sandbox),
                    "embedded sandbox".to_owned(),
                )
            }
            Target::Remote(environment) => {
                let credentials = credentials_from_env()?;
                let description = match environment.name() {
                    "custom" => format!("API at {}", environment.api_url()),
                    name => format!("{name} API at {}", environment.api_url()),
                };
                (environment, credentials, None, description)
            }
        };
        tracing::debug!(
            api_url = environment.api_url(),
            token_url = environment.token_url(),
            client_id = credentials.client_id(),
            "connecting"
        );
        let timeout = global
            .timeout_secs
            .map_or(DEFAULT_TIMEOUT, Duration::from_secs);
        let mut retry = RetryPolicy::default();
        if let Some(attempts) = global.retry_attempts.map(|a| a.max(1)) {
            retry = RetryPolicy::new(attempts, Duration::from_millis(100), Duration::from_secs(2));
        }
        // One set of limits, handed down by the SDK's builder: `--timeout-secs` bounds each
        // attempt and each token request, and connecting within it (10 s at most).
        let timeouts = Timeouts::default()
            .connect(timeout.min(Duration::from_secs(10)))
            .attempt(timeout)
            .token(timeout);
        let mut builder = Carbonext::builder()
            .environment(environment)
            .credentials(credentials)
            .timeouts(timeouts)
            .retry_policy(retry);
        if let Some(url) = global.lock_url.as_ref().filter(|u| !u.0.trim().is_empty()) {
            // Parsed here, connected at the first placement with --key.
            let lock = PostgresKeyLock::from_url(url.0.trim())
                .map_err(CliError::from)?
                .build();
            tracing::debug!(?lock, "order keys locked in PostgreSQL");
            builder = builder.order_key_lock(lock);
        }
        if let Some(secs) = global.lock_wait_secs {
            builder = builder.order_key_wait(Duration::from_secs(secs));
        }
        let carbonext = builder.build().map_err(CliError::from)?;
        let tokens = carbonext
            .token_cache()
            .expect("the builder makes the token cache")
            .clone();
        Ok(Self {
            carbonext,
            tokens,
            sandbox,
            description,
        })
    }

    /// Gets an access token now, so authentication problems are reported as such (exit code
    /// 3, or 5 when the token endpoint is unreachable) before any API call.
    pub async fn authenticate(&self) -> Result<AccessToken, CliError> {
        self.tokens.token().await.map_err(CliError::from)
    }

    /// Whether requests go to the embedded sandbox.
    pub fn is_embedded(&self) -> bool {
        self.sandbox.is_some()
    }

    /// Stops the embedded sandbox, if any.
    pub async fn close(self) {
        if let Some(sandbox) = self.sandbox {
            sandbox.shutdown().await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::Cli;
    use clap::Parser;

    fn global(args: &[&str]) -> GlobalArgs {
        let mut argv = vec!["carbonext"];
        argv.extend_from_slice(args);
        argv.push("permissions");
        Cli::try_parse_from(argv).expect("valid flags").global
    }

    #[test]
    fn env_flag_selects_the_environment_and_urls_override_it() {
        let target = Target::resolve(&global(&[
            "--env",
            "homologation",
            "--api-url",
            "http://127.0.0.1:9/",
        ]))
        .expect("valid");
        match target {
            Target::Remote(env) => {
                assert_eq!(env.api_url(), "http://127.0.0.1:9");
                assert_eq!(env.name(), "homologation");
                assert!(env.token_url().starts_with("https://auth-hml."));
            }
            Target::Embedded => panic!("expected remote"),
        }
    }

    #[test]
    fn one_url_without_the_other_or_an_env_is_a_usage_error() {
        let g = GlobalArgs {
            environment: None,
            api_url: Some("http://127.0.0.1:9".into()),
            auth_url: None,
            ..global(&[])
        };
        let err = Target::resolve(&g).expect_err("needs --auth-url");
        assert_eq!(err.code, crate::exit::ExitCode::Usage);
        assert!(err.message.contains("--auth-url"));
    }

    #[test]
    fn urls_must_be_absolute_http() {
        let g = GlobalArgs {
            environment: Some(EnvironmentName::Homologation),
            api_url: Some("ftp://x".into()),
            auth_url: None,
            ..global(&[])
        };
        assert!(Target::resolve(&g).is_err());
    }
}
