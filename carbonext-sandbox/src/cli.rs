//! Command-line serving: the `carbonext-sandbox` binary, and what the CLI's
//! `carbonext sandbox serve` flattens into its own parser.
//!
//! ```no_run
//! use clap::Parser;
//!
//! #[derive(Parser)]
//! struct Cli {
//!     #[command(flatten)]
//!     serve: carbonext_sandbox::cli::ServeArgs,
//! }
//!
//! # async fn demo() -> std::io::Result<()> {
//! Cli::parse().serve.run().await
//! # }
//! ```
//!
//! On start it prints the API URL, the token URL and the seeded client id and secret (fake
//! test data), or, with `--print-credentials-json`, one JSON line of
//! [`SandboxInfo`](crate::SandboxInfo) for scripts. It stops gracefully on Ctrl-C (or
//! SIGTERM on Unix).

use std::io::Write;
use std::time::Duration;

use carbonext_api::Currency;
use rust_decimal::Decimal;

use crate::faults::{FailShare, FaultSchedule, FaultSettings, RateLimit};
use crate::{Sandbox, DEFAULT_METADATA_FILTER};

/// Options of `carbonext-sandbox` / `carbonext sandbox serve`.
#[derive(Clone, Debug, clap::Args)]
pub struct ServeArgs {
    /// Port on 127.0.0.1 (0: any free port).
    #[arg(long, default_value_t = 8080, env = "CARBONEXT_SANDBOX_PORT")]
    pub port: u16,
    /// Fixed ids, client secret and clock start (for snapshot tests).
    #[arg(long)]
    pub deterministic: bool,
    /// Lifetime of access tokens, in seconds.
    #[arg(long, value_name = "SECS", default_value_t = 36_000)]
    pub token_lifetime: u64,
    /// VCUs of the seeded paid invoice (the initial balance).
    #[arg(long, value_name = "VCU", default_value = "1000")]
    pub initial_vcu_credit: Decimal,
    /// Unit price of a VCU in BRL.
    #[arg(long, value_name = "PRICE", default_value = "110.00")]
    pub price_brl: Decimal,
    /// Unit price of a VCU in USD.
    #[arg(long, value_name = "PRICE", default_value = "20.50")]
    pub price_usd: Decimal,
    /// Latency added to every API and token request, in milliseconds.
    #[arg(long, value_name = "N")]
    pub latency_ms: Option<u64>,
    /// Seed of the fault shares, to reproduce a run (printed at start; default random, or
    /// fixed with `--deterministic`).
    #[arg(long, value_name = "SEED")]
    pub fault_seed: Option<u64>,
    /// Answer a share of API requests, at random, with a 5xx, e.g. `503:0.2` (a fifth).
    #[arg(long, value_name = "STATUS:SHARE", value_parser = parse_fail_share)]
    pub fail_share: Option<FailShare>,
    /// Answer a share of API requests with 429, e.g. `0.1:5` (Retry-After: 5).
    #[arg(long, value_name = "SHARE:RETRY_AFTER", value_parser = parse_rate_limit)]
    pub rate_limit: Option<RateLimit>,
    /// Close the connection of a share of API requests before their handler runs.
    #[arg(long, value_name = "SHARE")]
    pub drop_before_handler: Option<f64>,
    /// Store a share of created orders, then close the connection without a response.
    #[arg(long, value_name = "SHARE")]
    pub drop_after_commit: Option<f64>,
    /// Refuse the next N tokens issued with 401 when they are used, as if revoked (`all`: every
    /// token from now on). `1` makes a client's first call fail with 401 and its new token work.
    #[arg(long, value_name = "N|all", value_parser = parse_revoke_on_issue)]
    pub revoke_on_issue: Option<u64>,
    /// Accept the undocumented `metaData_eq`/`metaData_like` order filters and list them in
    /// allowed-filters, for testing an API that offers them; by default (or with
    /// `--metadata-filter=false`) the sandbox serves exactly the documented filters.
    #[arg(
        long,
        value_name = "BOOL",
        num_args = 0..=1,
        default_value_t = DEFAULT_METADATA_FILTER,
        default_missing_value = "true",
        action = clap::ArgAction::Set
    )]
    pub metadata_filter: bool,
    /// Keep the state (orders, invoices, users, keys, clock) in FILE: loaded at start, saved
    /// after each write and on shutdown, shared safely with other processes using it.
    #[arg(long, value_name = "FILE")]
    pub state: Option<std::path::PathBuf>,
    /// Print one JSON line (apiUrl, tokenUrl, customerId, clientId, clientSecret, ...)
    /// instead of the human-readable banner.
    #[arg(long)]
    pub print_credentials_json: bool,
}

fn parse_fail_share(text: &str) -> Result<FailShare, String> {
    let (status, share) = text
        .split_once(':')
        .ok_or("expected STATUS:SHARE, e.g. 503:0.2")?;
    let status: u16 = status.parse().map_err(|_| "STATUS must be a number")?;
    if !(500..=599).contains(&status) {
        return Err("STATUS must be a 5xx status".into());
    }
    Ok(FailShare {
        status,
        share: parse_share(share)?,
    })
}

fn parse_rate_limit(text: &str) -> Result<RateLimit, String> {
    let (share, secs) = text
        .split_once(':')
        .ok_or("expected SHARE:RETRY_AFTER, e.g. 0.1:5")?;
    Ok(RateLimit {
        share: parse_share(share)?,
        retry_after_secs: secs.parse().map_err(|_| "RETRY_AFTER must be seconds")?,
    })
}

fn parse_share(text: &str) -> Result<f64, String> {
    let share: f64 = text.parse().map_err(|_| "SHARE must be a number")?;
    if (0.0..=1.0).contains(&share) {
        Ok(share)
    } else {
        Err("SHARE must be between 0 and 1".into())
    }
}

/// `N` or `all` (every token from now on: `u64::MAX`).
fn parse_revoke_on_issue(text: &str) -> Result<u64, String> {
    if text == "all" {
        return Ok(u64::MAX);
    }
    text.parse()
        .map_err(|_| format!("`{text}`: expected a number of tokens or `all`"))
}

impl ServeArgs {
    /// Starts a sandbox with these options (faults applied), without printing anything.
    pub async fn start(&self) -> std::io::Result<Sandbox> {
        let mut builder = Sandbox::builder();
        if let Some(path) = &self.state {
            builder = builder.state_file(path);
        }
        if let Some(seed) = self.fault_seed {
            builder = builder.fault_seed(seed);
        }
        let sandbox = builder
            .port(self.port)
            .deterministic(self.deterministic)
            .token_lifetime(Duration::from_secs(self.token_lifetime))
            .initial_vcu_credit(self.initial_vcu_credit)
            .price(Currency::Brl, self.price_brl)
            .price(Currency::Usd, self.price_usd)
            .metadata_filter(self.metadata_filter)
            .start()
            .await?;
        sandbox.faults().apply(&FaultSettings {
            latency_ms: self.latency_ms,
            fail_share: self.fail_share,
            rate_limit: self.rate_limit,
            drop_before_handler: self.drop_before_handler,
            drop_after_commit: self.drop_after_commit,
            revoke_on_issue: self.revoke_on_issue,
            ..FaultSettings::default()
        });
        Ok(sandbox)
    }

    /// Starts, prints the URLs and credentials, and serves until Ctrl-C or SIGTERM.
    pub async fn run(self) -> std::io::Result<()> {
        let sandbox = self.start().await?;
        let info = sandbox.info();
        let mut out = std::io::stdout().lock();
        if self.print_credentials_json {
            writeln!(
                out,
                "{}",
                serde_json::to_string(info).map_err(std::io::Error::other)?
            )?;
        } else {
            writeln!(out, "Carbonext sandbox listening")?;
            writeln!(out, "  API URL:       {}", info.api_url)?;
            writeln!(out, "  token URL:     {}", info.token_url)?;
            writeln!(out, "  client id:     {}", info.client_id)?;
            writeln!(out, "  client secret: {}", info.client_secret)?;
            if let Some(path) = sandbox.state_file() {
                writeln!(out, "  state file:    {}", path.display())?;
            }
            if let FaultSchedule::Seeded(seed) = sandbox.faults().schedule() {
                writeln!(
                    out,
                    "  fault seed:    {seed} (reproduce with --fault-seed {seed})"
                )?;
            }
            writeln!(
                out,
                "  control:       {}/__sandbox/counters, /__sandbox/faults, /__sandbox/holds",
                info.api_url
            )?;
            writeln!(out, "Press Ctrl-C to stop.")?;
        }
        out.flush()?;
        drop(out);
        sandbox.run_until(shutdown_signal()).await;
        Ok(())
    }
}

/// Completes on Ctrl-C, or on SIGTERM on Unix.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = terminate => {}
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        serve: ServeArgs,
    }

    fn serve_args(args: &[&str]) -> Result<ServeArgs, clap::Error> {
        Cli::try_parse_from(std::iter::once("carbonext-sandbox").chain(args.iter().copied()))
            .map(|cli| cli.serve)
    }

    #[tokio::test]
    async fn revoke_on_issue_is_applied_to_the_started_sandbox() {
        for (value, expected) in [("1", 1), ("all", u64::MAX)] {
            let args = serve_args(&["--port", "0", "--revoke-on-issue", value]).unwrap();
            let sandbox = args.start().await.unwrap();
            assert_eq!(sandbox.faults().settings().revoke_on_issue, Some(expected));
        }
        let sandbox = serve_args(&["--port", "0"]).unwrap().start().await.unwrap();
        assert_eq!(sandbox.faults().settings().revoke_on_issue, None);
    }

    #[tokio::test]
    async fn metadata_filter_is_a_switch_with_the_library_default() {
        for (args, expected) in [
            (&["--port", "0"][..], DEFAULT_METADATA_FILTER),
            (&["--port", "0", "--metadata-filter"][..], true),
            (&["--metadata-filter", "--port", "0"][..], true),
            (&["--port", "0", "--metadata-filter=false"][..], false),
            (&["--port", "0", "--metadata-filter", "false"][..], false),
        ] {
            let args = serve_args(args).unwrap();
            assert_eq!(args.metadata_filter, expected);
            let sandbox = args.start().await.unwrap();
            assert_eq!(sandbox.metadata_filter(), expected);
        }
    }

    #[tokio::test]
    async fn the_fault_seed_is_settable_and_fixed_by_deterministic() {
        let args = serve_args(&["--port", "0", "--fault-seed", "42"]).unwrap();
        let sandbox = args.start().await.unwrap();
        assert_eq!(sandbox.faults().schedule(), FaultSchedule::Seeded(42));
        let args = serve_args(&["--port", "0", "--deterministic"]).unwrap();
        let sandbox = args.start().await.unwrap();
        assert_eq!(
            sandbox.faults().schedule(),
            FaultSchedule::Seeded(crate::faults::DETERMINISTIC_FAULT_SEED)
        );
    }

    #[test]
    fn revoke_on_issue_refuses_other_words() {
        let err = serve_args(&["--revoke-on-issue", "some"]).expect_err("not a count");
        assert!(
            err.to_string()
                .contains("expected a number of tokens or `all`"),
            "{err}"
        );
    }
}
