//! Flags valid before or after any subcommand: where to connect, how to print, how much to
//! log, and whether production writes are confirmed in advance (`--yes`).
//!
//! The target flags (`--env`, `--api-url`, `--auth-url`, `--client`) carry no `env = …`:
//! the variables are read by [`crate::target`], which keeps where each value came from.

use clap::{Args, ValueEnum};

/// Where to connect, how to print, how much to log.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Global options")]
pub struct GlobalArgs {
    /// Carbonext environment [env: CARBONEXT_ENV]. Without it (and without --api-url): the
    /// embedded sandbox. See "Where a command goes" below.
    #[arg(long = "env", value_enum, global = true, value_name = "ENV")]
    pub environment: Option<EnvironmentName>,

    /// Base URL of the API, without `/v1` (e.g. `http://127.0.0.1:8080`) [env:
    /// CARBONEXT_API_URL]; needs --auth-url unless --env is given.
    #[arg(long, global = true, value_name = "URL")]
    pub api_url: Option<String>,

    /// Full URL of the OAuth2 token endpoint, not the auth host's base (e.g.
    /// `https://auth-hml.carbonext.com.br/auth/realms/co2free/protocol/openid-connect/token`)
    /// [env: CARBONEXT_AUTH_URL].
    #[arg(long, global = true, value_name = "URL")]
    pub auth_url: Option<String>,

    /// Client id of the API key to authenticate as [env: CARBONEXT_CLIENT_ID]. Its secret is
    /// read from CARBONEXT_CLIENT_SECRET only: a secret on the command line shows in `ps`.
    /// (Not `--client-id`: `api-keys create` has that for the key it creates.)
    #[arg(long = "client", global = true, value_name = "ID")]
    pub as_client: Option<String>,

    /// Saved profile to use (see `carbonext login`) [env: CARBONEXT_PROFILE]; default: the
    /// `default-profile` setting. Flags and variables still win over its settings.
    #[arg(long, global = true, value_name = "NAME")]
    pub profile: Option<String>,

    /// Confirm writes to production in advance, for scripts [env: CARBONEXT_ASSUME_YES=1].
    /// Without it, production writes ask on a terminal and are refused without one.
    #[arg(long, short = 'y', global = true)]
    pub yes: bool,

    /// How results are printed on stdout.
    #[arg(long, short = 'o', value_enum, default_value_t = OutputMode::Table, global = true)]
    pub output: OutputMode,

    /// Log to stderr: -v debug of the carbonext crates, -vv trace of everything.
    #[arg(long, short = 'v', action = clap::ArgAction::Count, global = true)]
    pub verbose: u8,

    /// Attempts per call (first included) for retried calls and token requests.
    #[arg(long, env = "CARBONEXT_RETRY_ATTEMPTS", global = true, hide = true)]
    pub retry_attempts: Option<u32>,

    /// Time limit of one HTTP attempt, in seconds.
    #[arg(long, env = "CARBONEXT_TIMEOUT_SECS", global = true, hide = true)]
    pub timeout_secs: Option<u64>,

    /// PostgreSQL database whose advisory locks make orders placed with --key exactly-once
    /// across processes and machines (e.g. `postgres://orders@db.internal/orders`). Without
    /// it, placements are exactly-once within this process only.
    #[arg(
        long,
        env = "CARBONEXT_LOCK_URL",
        hide_env_values = true,
        global = true,
        value_name = "URL"
    )]
    pub lock_url: Option<LockUrl>,

    /// Longest wait, in seconds, for a key another placement holds (default 60).
    #[arg(
        long,
        env = "CARBONEXT_LOCK_WAIT_SECS",
        global = true,
        value_name = "SECS"
    )]
    pub lock_wait_secs: Option<u64>,
}

/// A PostgreSQL connection string, which may hold a password: never shown.
#[derive(Clone, PartialEq, Eq)]
pub struct LockUrl(pub String);

impl std::fmt::Debug for LockUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LockUrl(<redacted>)")
    }
}

impl std::str::FromStr for LockUrl {
    type Err = std::convert::Infallible;

    fn from_str(url: &str) -> Result<Self, Self::Err> {
        Ok(Self(url.to_owned()))
    }
}

/// A named Carbonext environment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum EnvironmentName {
    /// The test environment (api-b2b-hml.carbonext.com.br).
    #[value(alias = "hml")]
    Homologation,
    /// The real one: orders cost money.
    #[value(alias = "prod")]
    Production,
}

/// How results are printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum OutputMode {
    /// Aligned, human-readable tables.
    #[default]
    Table,
    /// The resource as JSON, with the API's own camelCase field names.
    Json,
}
