//! `carbonext`: the Carbonext B2B API from the command line.
//!
//! The binary is a thin shell over `carbonext-domain`: [`cli`] parses (and validates) the
//! arguments, [`target`] decides where to talk to (the embedded sandbox unless told
//! otherwise, each setting from one source: flag, variable, [`profile`], default),
//! [`connect`] authenticates, [`confirm`] announces
//! writes and confirms production ones, [`commands`] calls the SDK, [`diagnose`] turns
//! configuration mistakes into what to fix, [`output`] and [`views`] print
//! tables or JSON, and [`exit`] maps every failure to one documented exit code.
//!
//! ```text
//! $ carbonext quickstart                      # zero configuration: embedded sandbox
//! $ carbonext login --profile hml --env hml   # verified, then saved (secret in a 0600 file)
//! $ carbonext --profile hml balance
//! $ carbonext price --vcu 0.02 --output json
//! $ CARBONEXT_ENV=homologation CARBONEXT_CLIENT_ID=… CARBONEXT_CLIENT_SECRET=… \
//!       carbonext orders create --vcu 3 --pay-with-balance --key invoice_2026_03
//! ```

#![warn(missing_docs)]

pub mod cli;
pub mod commands;
pub mod confirm;
pub mod connect;
pub mod diagnose;
pub mod exit;
pub mod logging;
pub mod output;
pub mod profile;
pub mod progress;
pub mod source;
pub mod target;
pub mod views;

use clap::Parser;

use crate::cli::Cli;
use crate::exit::ExitCode;

/// Parses the process arguments, runs the command, prints any error on stderr and returns the
/// exit code.
pub fn main_with_args<I, T>(args: I) -> ExitCode
where
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString> + Clone,
{
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(error) => {
            // Help and version go to stdout with 0; usage errors to stderr with 2.
            let _ = error.print();
            return if error.use_stderr() {
                ExitCode::Usage
            } else {
                ExitCode::Ok
            };
        }
    };
    logging::init(cli.global.verbose);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: could not start the async runtime: {error}");
            return ExitCode::Unavailable;
        }
    };
    match runtime.block_on(commands::run(cli)) {
        Ok(()) => ExitCode::Ok,
        Err(error) if error.code == ExitCode::Ok => {
            tracing::debug!(reason = %error.message, "stopped early");
            ExitCode::Ok
        }
        Err(error) => {
            tracing::debug!(code = error.code.code(), "command failed");
            eprintln!("{error}");
            error.code
        }
    }
}
