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
use std::time::Duration;

use async_trait::async_trait;
use carbonext_domain::events::signature::SigningSecret;
use carbonext_domain::events::{
    EventId, EventStore, EventStoreError, FileEventStore, Leadership, PollRecord, Progress,
    WatchOptions, WatchStatus,
};

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
            Some((
                Forward::new(url.clone(), secret.clone())?,
                secret,
                made,
                kept,
            ))
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

/// The forwarder, its secret, whether the secret was made now, and where it is kept.
type Forwarding = (Forward, SigningSecret, bool, PathBuf);

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
        note(format!(
            "Running `{command}` for each event (the event on its stdin)"
        ));
    }
    note("Press Ctrl-C to stop.");

    let store = Arc::new(FileEventStore::new(state));
    let stop = Arc::new(Stop::default());
    let handler = Deliver::new(forward, args.exec.clone().map(Exec::new), Arc::clone(&stop));
    let (status, polls) = tokio::sync::watch::channel(WatchStatus::default());
    let options = WatchOptions::default()
        .interval(args.interval)
        .status(status);
    let watcher = session.carbonext.watch_orders(
        options,
        Announced(Arc::clone(&store), state.to_path_buf()),
        handler,
    );
    tokio::select! {
        result = watcher => {
            result?;
            Ok(())
        }
        error = stop.raised() => Err(error),
        () = carbonext_sandbox::cli::shutdown_signal() => Err(interrupted(&store, state).await),
        () = report(polls, args.interval) => unreachable!("reports until the watcher ends"),
    }
}

/// The file store, saying on stderr when another watcher of the same file makes this one
/// wait.
struct Announced(Arc<FileEventStore>, PathBuf);

/// How long leading may take before the wait is announced.
const LEAD_NOTICE: Duration = Duration::from_secs(1);

#[async_trait]
impl EventStore for Announced {
    async fn lead(&self) -> Result<Leadership, EventStoreError> {
        let lead = self.0.lead();
        tokio::pin!(lead);
        tokio::select! {
            led = &mut lead => return led,
            () = tokio::time::sleep(LEAD_NOTICE) => {}
        }
        note(format!(
            "Another `orders watch` uses {}; waiting for it to stop.",
            self.1.display()
        ));
        let led = lead.await;
        if led.is_ok() {
            note("The other watcher stopped: watching.");
        }
        led
    }

    async fn load(&self) -> Result<Progress, EventStoreError> {
        self.0.load().await
    }

    async fn record(&self, poll: &PollRecord) -> Result<(), EventStoreError> {
        self.0.record(poll).await
    }

    async fn acknowledge(&self, event: &EventId) -> Result<(), EventStoreError> {
        self.0.acknowledge(event).await
    }
}

/// Progress on stderr: when the first poll is done (what happens from then on is an event),
/// and each failed poll. Never ends.
async fn report(mut polls: tokio::sync::watch::Receiver<WatchStatus>, interval: Duration) {
    let mut first = true;
    let mut failed = 0;
    while polls.changed().await.is_ok() {
        let status = polls.borrow_and_update().clone();
        if first && status.polls > 0 {
            first = false;
            note(format!(
                "Ready: {} order(s) that can still change are tracked; every change from now on is an event.",
                status.tracked
            ));
        }
        if status.failed_polls > failed {
            failed = status.failed_polls;
            note(format!(
                "A poll failed (the API did not answer well after retries; -v shows why); polling again in {}.",
                humanise(interval)
            ));
        }
    }
    std::future::pending().await
}

/// The error of a stop by Ctrl-C or SIGTERM, saying what is left to deliver.
async fn interrupted(store: &FileEventStore, state: &Path) -> CliError {
    let pending = store.load().await.map(|progress| progress.pending.len());
    let error = CliError::new(
        ExitCode::Interrupted,
        format!(
            "interrupted: stopped watching; the progress is saved in {}",
            state.display()
        ),
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
    if !millis.is_multiple_of(1000) {
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
