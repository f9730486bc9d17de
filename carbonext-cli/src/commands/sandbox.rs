//! The sandbox commands and the embedded sandbox every API command uses by default.
//!
//! - `carbonext sandbox serve`: the sandbox in the foreground until Ctrl-C, printing its URLs,
//!   seeded (fake) credentials, the `export` lines to paste and the `carbonext login` line
//!   that saves it as a profile. The options are the `carbonext-sandbox` binary's
//!   (`--state FILE` keeps its state in a file).
//! - `carbonext sandbox reset`: deletes the embedded sandbox's state, so the next command
//!   starts afresh.
//! - [`start_embedded`]: the sandbox behind every command run without a target. It keeps
//!   its state in [`state_path`] (`$XDG_STATE_HOME/carbonext/sandbox.json`), so
//!   `orders create` then `orders list` shows the order, and says so on stderr first.
//!
//! ```text
//! $ carbonext orders create --vcu 3 --key my_first_order_01
//! Using the embedded sandbox state in /home/me/.local/state/carbonext/sandbox.json (…)
//! $ carbonext sandbox reset
//! Removed the embedded sandbox state in /home/me/.local/state/carbonext/sandbox.json
//! ```

use std::io::ErrorKind;
use std::path::PathBuf;

use carbonext_sandbox::cli::ServeArgs;
use carbonext_sandbox::{Sandbox, StateFile};
use serde::Serialize;

use crate::exit::CliError;
use crate::output::{note, write_stdout, Output};

/// Serves until Ctrl-C or SIGTERM, after printing the URLs, the `export` lines that point a
/// shell at it and the `carbonext login` line that saves it as a profile (or, with
/// `--print-credentials-json`, one JSON line).
pub async fn serve(args: ServeArgs) -> Result<(), CliError> {
    let port = args.port;
    let served = if args.print_credentials_json {
        args.run().await
    } else {
        serve_with_instructions(&args).await
    };
    served.map_err(|error| {
        if error.kind() == ErrorKind::InvalidData {
            return CliError::unavailable(format!("the sandbox could not start: {error}"))
                .hint("fix or remove the state file, or give another --state");
        }
        let error = CliError::unavailable(format!("the sandbox stopped: {error}"));
        if port != 0 {
            error.hint(format!(
                "is port {port} in use? try --port 0 for any free port"
            ))
        } else {
            error
        }
    })
}

async fn serve_with_instructions(args: &ServeArgs) -> std::io::Result<()> {
    let sandbox = args.start().await?;
    let info = sandbox.info();
    let mut text = format!(
        "Carbonext sandbox listening (fake credentials: nothing real is bought)\n\
         \x20 API URL:       {api}\n\
         \x20 token URL:     {token}\n\
         \x20 client id:     {id}\n",
        api = info.api_url,
        token = info.token_url,
        id = info.client_id,
    );
    if let Some(path) = sandbox.state_file() {
        text.push_str(&format!("  state file:    {}\n", path.display()));
    }
    text.push_str(&format!(
        "  control:       {api}/__sandbox/counters, /__sandbox/faults, /__sandbox/holds\n\n\
         Point a shell at it:\n\
         \x20 export CARBONEXT_API_URL={api}\n\
         \x20 export CARBONEXT_AUTH_URL={token}\n\
         \x20 export CARBONEXT_CLIENT_ID={id}\n\
         \x20 export CARBONEXT_CLIENT_SECRET={secret}\n\n\
         Or save it as the profile `sandbox` (then: carbonext --profile sandbox …):\n\
         \x20 printf '%s\\n' '{secret}' | carbonext --api-url {api} --auth-url {token} \\\n\
         \x20     login --profile sandbox --client-id {id} --client-secret-stdin\n\n\
         Press Ctrl-C to stop.\n",
        api = info.api_url,
        token = info.token_url,
        id = info.client_id,
        secret = info.client_secret,
    ));
    write_stdout(&text).map_err(|e| std::io::Error::other(e.message))?;
    sandbox
        .run_until(carbonext_sandbox::cli::shutdown_signal())
        .await;
    Ok(())
}

/// Where the embedded sandbox keeps its state: `$XDG_STATE_HOME/carbonext/sandbox.json`, or
/// `~/.local/state/carbonext/sandbox.json`; `None` without `HOME` nor `XDG_STATE_HOME`.
pub fn state_path() -> Option<PathBuf> {
    carbonext_sandbox::state_file::default_path()
}

/// Starts the embedded sandbox on its state file (in memory when there is no home folder to
/// keep it in), and says on stderr, as its first line, which state it uses.
pub async fn start_embedded() -> Result<Sandbox, CliError> {
    let path = state_path();
    let mut builder = Sandbox::builder();
    if let Some(path) = &path {
        builder = builder.state_file(path);
    }
    let sandbox = builder.start().await.map_err(|e| {
        let error = CliError::unavailable(format!("could not start the embedded sandbox: {e}"));
        if e.kind() == ErrorKind::InvalidData {
            error.hint("run `carbonext sandbox reset` to start afresh")
        } else {
            error
        }
    })?;
    let state = match &path {
        Some(path) => format!("state in {}", path.display()),
        None => "in memory (no HOME or XDG_STATE_HOME to keep its state in)".to_owned(),
    };
    note(format!(
        "Using the embedded sandbox {state} at {} (fake credentials; nothing real is bought). \
         Use --env or CARBONEXT_ENV for the Carbonext API.",
        sandbox.api_url()
    ));
    Ok(sandbox)
}

/// What `sandbox reset --output json` prints.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Reset {
    state_file: PathBuf,
    removed: bool,
}

/// Deletes the embedded sandbox's state file (under its lock).
pub fn reset(output: &Output) -> Result<(), CliError> {
    let path = state_path().ok_or_else(|| {
        CliError::usage("no HOME or XDG_STATE_HOME: the embedded sandbox keeps no state")
    })?;
    let removed = StateFile::new(&path)
        .reset()
        .map_err(|e| CliError::unavailable(format!("could not reset the sandbox: {e}")))?;
    let reset = Reset {
        state_file: path,
        removed,
    };
    output.show(&reset, |r| {
        if r.removed {
            format!(
                "Removed the embedded sandbox state in {}\n",
                r.state_file.display()
            )
        } else {
            format!(
                "No embedded sandbox state in {} (nothing to remove)\n",
                r.state_file.display()
            )
        }
    })
}
