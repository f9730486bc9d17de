//! `carbonext orders watch`: order events without webhooks, from the command line.
//!
//! The SDK's watcher (`Carbonext::watch_orders`) polls the order listing every `--interval`
//! and hands each change of status over at least once, in order per order; this command
//! gives it a file store ([`state`]) and a handler ([`deliver`]) that prints the event as one
//! JSON line on stdout, and with `--forward-to` POSTs it signed, with `--exec` runs a
//! command. Everything for people (where it watches, the signing secret, deliveries,
//! retries) goes to stderr, so stdout can be piped as is.
//!
//! ```text
//! $ carbonext orders watch --forward-to http://127.0.0.1:3000/events
//! Watching the orders of the embedded sandbox every 30s; progress in ~/.local/state/carbonext/orders-watch-embedded-sandbox.json
//! Forwarding to http://127.0.0.1:3000/events with the signing secret cbxwh_5f0c… (kept in …json.secret)
//! {"id":"2f9b…:Billed","order":{…},"previous":"Issued","status":"Billed","observedAt":"…"}
//! 2f9b…:Billed forwarded: HTTP 200
//! ^C
//! error: interrupted: stopped watching; the progress is saved in …
//! ```
//!
//! Ctrl-C or SIGTERM stops at once (exit 130): an event being delivered is not marked done
//! and is delivered again at the next start, as is any event recorded but not delivered.

mod deliver;
mod state;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use carbonext_domain::events::{EventStore, FileEventStore, WatchOptions};

use super::Context;
use crate::cli::WatchOrdersArgs;
use crate::connect::Session;
use crate::exit::{CliError, ExitCode};
use crate::output::note;
use deliver::{Deliver, Exec, Forward, Stop};

/// Runs `orders watch` until interrupted or until a failure retrying cannot fix.
pub async fn run(context: &Context, args: WatchOrdersArgs) -> Result<(), CliError> {
    let resolved = context.resolved()?;
    let state = match &args.state {
        Some(path) => path.clone(),
        None => state::default_path(resolved, &context.global)?,
    };
    state::prepare(&state)?;
    let forward = match &args.forward_to {
        Some(url) => {
            let (secret, made) = state::signing_secret(&state)?;
            let kept = state::secret_path(&state);
            Some((Forward::new(url.clone(), secret.clone())?, secret, made, kept))
        }
        None => None,
    };
    context
        .with_session(|session| async move {
            let result = watch(&session, &args, &state, forward).await;
            (session, result)
        })
        .await
}

type Forwarding = (Forward, carbonext_domain::events::signature::SigningSecret, bool, PathBuf);

async fn watch(
    session: &Session,
    args: &WatchOrdersArgs,
    state: &Path,
    forward: Option<Forwarding>,
) -> Result<(), CliError> {
    if session.is_embedded() {
        note(
            "The embedded sandbox reads its state file when it starts: orders placed by other \
             commands while this one runs are not seen. To watch a sandbox live, run \
             `carbonext sandbox serve` and point --api-url/--auth-url at it.",
        );
    }
    note(format!(
        "Watching the orders of the {} every {}; progress in {}",
        session.description,
        humanise(args.interval),
        state.display()
    ));
    let forward = forward.map(|(forward, secret, made, kept)| {
        note(format!(
            "Forwarding events to {} with the signing secret {} ({} {}). Receivers check the \
             {} header with it.",
            args.forward_to
                .as_ref()
                .map(|url| url.as_str())
                .unwrap_or_default(),
            secret.expose_secret(),
            if made { "new, kept in" } else { "kept in" },
            kept.display(),
            carbonext_domain::events::SIGNATURE_HEADER,
        ));
        forward
    });
    if let Some(command) = &args.exec {
        note(format!("Running `{command}` for each event (the event on its stdin)"));
    }
    note("Press Ctrl-C to stop.");

    let store = open_store(state)?;
    let stop = Arc::new(Stop::default());
    let handler = Deliver::new(forward, args.exec.clone().map(Exec::new), Arc::clone(&stop));
    let options = WatchOptions::default().interval(args.interval);
    let watcher = session.carbonext.watch_orders(options, store.clone(), handler);
    tokio::select! {
        result = watcher => {
            result?;
            Ok(())
        }
        error = stop.raised() => Err(error),
        () = carbonext_sandbox::cli::shutdown_signal() => Err(interrupted(&store, state).await),
    }
}

fn open_store(state: &Path) -> Result<FileEventStore, CliError> {
    FileEventStore::open(state).map_err(|e| {
        CliError::usage(format!("the watcher's state in {} cannot be used: {e}", state.display()))
            .hint("give another --state FILE, or delete the file to start afresh")
    })
}

/// The error of a stop by Ctrl-C or SIGTERM, saying what is left to deliver.
async fn interrupted(store: &FileEventStore, state: &Path) -> CliError {
    let pending = store.load().await.map(|progress| progress.pending.len());
    let error = CliError::new(
        ExitCode::Interrupted,
        format!("interrupted: stopped watching; the progress is saved in {}", state.display()),
    );
    match pending {
        Ok(0) => error,
        Ok(pending) => error.hint(format!(
            "{pending} event(s) recorded but not delivered are delivered at the next start"
        )),
        Err(e) => error.hint(format!("the state could not be read back: {e}")),
    }
}

/// `30s`, `1m30s`, `500ms`.
fn humanise(interval: std::time::Duration) -> String {
    let millis = interval.as_millis();
    if millis % 1000 != 0 {
        return format!("{millis}ms");
    }
    let secs = interval.as_secs();
    match (secs / 3600, secs % 3600 / 60, secs % 60) {
        (0, 0, s) => format!("{s}s"),
        (0, m, 0) => format!("{m}m"),
        (0, m, s) => format!("{m}m{s}s"),
        (h, 0, 0) => format!("{h}h"),
        (h, m, s) => format!("{h}h{m}m{s}s"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn intervals_read_as_they_were_given() {
        assert_eq!(humanise(Duration::from_secs(30)), "30s");
        assert_eq!(humanise(Duration::from_secs(90)), "1m30s");
        assert_eq!(humanise(Duration::from_secs(3600)), "1h");
        assert_eq!(humanise(Duration::from_millis(1500)), "1500ms");
    }
}
