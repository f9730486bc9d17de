//! Where the CLI talks to, and the authenticated [`Session`] every API command uses.
//!
//! Where requests go is decided by [`crate::target`] (flags > environment > profile >
//! default, the target taken whole from one source); this module turns that target and the
//! credentials into a session.
//!
//! Outside the sandbox the credentials are `--client` (or `CARBONEXT_CLIENT_ID`) and
//! `CARBONEXT_CLIENT_SECRET`, else those of the profile the target came from.

use std::time::Duration;

use carbonext_auth::{AccessToken, Credentials, Environment, TokenCache};
use carbonext_domain::{Carbonext, RetryPolicy, Timeouts};
use carbonext_postgres_lock::PostgresKeyLock;
use carbonext_sandbox::Sandbox;

use crate::cli::GlobalArgs;
use crate::exit::CliError;
use crate::target::{RemoteTarget, Resolved, Source, Target};

/// Time limit of one HTTP attempt unless `--timeout-secs` says otherwise.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// The credentials of a remote target and where each part came from.
#[derive(Debug, Clone)]
pub struct ResolvedCredentials {
    /// The client id and secret.
    pub credentials: Credentials,
    /// Where the client id came from.
    pub id_source: Source,
    /// Where the secret came from.
    pub secret_source: Source,
}

/// `--client`, else `CARBONEXT_CLIENT_ID`, else the profile's client id; the secret from
/// `CARBONEXT_CLIENT_SECRET`, else the profile's credentials file. The profile's are used
/// only when the target is the profile's: its secret is never sent to other hosts (exit 2).
pub fn credentials(
    global: &GlobalArgs,
    resolved: &Resolved,
) -> Result<ResolvedCredentials, CliError> {
    let read = |name: &'static str| -> Result<Option<String>, CliError> {
        match std::env::var(name) {
            Ok(value) if !value.trim().is_empty() => Ok(Some(value.trim().to_owned())),
            Ok(_) | Err(std::env::VarError::NotPresent) => Ok(None),
            Err(std::env::VarError::NotUnicode(_)) => {
                Err(CliError::usage(format!("{name} is not valid Unicode")))
            }
        }
    };
    let mut id = match global.as_client.as_deref().map(str::trim) {
        Some(id) if !id.is_empty() => Some((id.to_owned(), Source::Flag("--client"))),
        _ => read(carbonext_auth::CLIENT_ID_VAR)?
            .map(|id| (id, Source::Env(carbonext_auth::CLIENT_ID_VAR))),
    };
    let mut secret = read(carbonext_auth::CLIENT_SECRET_VAR)?
        .map(|secret| (secret, Source::Env(carbonext_auth::CLIENT_SECRET_VAR)));
    if let Some(profile) = &resolved.profile {
        if resolved.target_is_profile() {
            if id.is_none() {
                id = profile
                    .settings
                    .client_id
                    .clone()
                    .map(|id| (id, Source::Profile));
            }
            if secret.is_none() {
                secret = profile.secret()?.map(|secret| (secret, Source::Profile));
            }
        } else if secret.is_none() {
            return Err(CliError::usage(format!(
                "the target comes from {}, not from profile {}: its secret is only sent to its \
                 own hosts, so nothing was sent",
                resolved_target_source(resolved),
                profile.name
            ))
            .hint(format!(
                "drop the flags or variables of the target to use profile {}, or set \
                 CARBONEXT_CLIENT_SECRET for the other target",
                profile.name
            )));
        }
    }
    match (id, secret) {
        (Some((id, id_source)), Some((secret, secret_source))) => Ok(ResolvedCredentials {
            credentials: Credentials::new(id, secret),
            id_source,
            secret_source,
        }),
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
            .hint("or save them once with `carbonext login --profile NAME`")
            .hint("or run without --env/--api-url to use the embedded sandbox"))
        }
    }
}

/// The flags or variables the target came from, for messages.
fn resolved_target_source(resolved: &Resolved) -> String {
    match &resolved.target {
        Target::Remote(remote) => {
            let names: Vec<String> = [remote.env_source, remote.api_source, remote.token_source]
                .into_iter()
                .filter(|s| matches!(s, Source::Flag(_) | Source::Env(_)))
                .map(|s| s.label(None))
                .collect();
            names.join(", ")
        }
        Target::Embedded => "the embedded sandbox".to_owned(),
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
    /// The remote target, `None` for the embedded sandbox.
    pub remote: Option<RemoteTarget>,
    /// The retry policy given to the SDK, for requests sent around it (`carbonext api`).
    pub retry: RetryPolicy,
}

impl Session {
    /// Opens a session on `target`. Nothing is sent to the API yet (the embedded sandbox is
    /// started, and said so on stderr).
    pub async fn open(resolved: &Resolved, global: &GlobalArgs) -> Result<Self, CliError> {
        let target = &resolved.target;
        let remote = match target {
            Target::Embedded => None,
            Target::Remote(remote) => Some(remote.clone()),
        };
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
            Target::Remote(RemoteTarget { environment, .. }) => {
                let environment = environment.clone();
                let credentials = credentials(global, resolved)?.credentials;
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
            .retry_policy(retry.clone());
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
            remote,
            retry,
        })
    }

    /// Gets an access token now, so authentication problems are reported as such (exit code
    /// 3, or 5 when the token endpoint is unreachable) before any API call.
    pub async fn authenticate(&self) -> Result<AccessToken, CliError> {
        self.tokens
            .token()
            .await
            .map_err(|error| crate::diagnose::auth(error, self.remote.as_ref()))
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
