//! `carbonext-sandbox`: serves the Carbonext homologation emulator on 127.0.0.1.
//!
//! ```text
//! carbonext-sandbox --port 8080 [--deterministic] [--token-lifetime SECS] [--latency-ms N]
//!                   [--fail-share STATUS:SHARE] [--rate-limit SHARE:RETRY_AFTER]
//!                   [--drop-before-handler SHARE] [--drop-after-commit SHARE]
//!                   [--print-credentials-json]
//! ```
//!
//! Logs go to stderr, filtered by `RUST_LOG` (default `warn`).

use clap::Parser;

/// Offline emulator of the Carbonext homologation environment (token endpoint + B2B API).
#[derive(Debug, Parser)]
#[command(name = "carbonext-sandbox", version, about)]
struct Cli {
    #[command(flatten)]
    serve: carbonext_sandbox::cli::ServeArgs,
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    Cli::parse().serve.run().await
}
