//! What `orders watch` does with each event: print it as one JSON line on stdout (once per
//! run, however often it is retried), POST it signed to `--forward-to`, run `--exec` with
//! it on stdin. A failure of either returns `Err`, so the watcher hands the same event over
//! again after its back-off and holds the order's later events until it succeeds: per-order
//! order is the watcher's.
//!
//! A forwarded event is the same JSON as the printed line, with the headers
//! `Content-Type: application/json`, `Carbonext-Event-Id: <event id>` and
//! `Carbonext-Signature: t=<unix seconds>,v1=<hex>`, signed again at each attempt (a retry
//! is never stale). Only a 2xx answer counts as delivered; redirects are not followed.

use std::collections::HashSet;
use std::fs::File;
use std::process::Stdio;
use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use async_trait::async_trait;
use carbonext_domain::events::signature::SigningSecret;
use carbonext_domain::events::{sign, EventHandler, EventId, OrderEvent, SIGNATURE_HEADER};
use tokio::io::AsyncWriteExt;
use tokio::sync::Notify;

use crate::exit::CliError;
use crate::output::{note, write_stdout};

/// Header naming the event, so receivers can drop a repeat without parsing the body.
pub const EVENT_ID_HEADER: &str = "Carbonext-Event-Id";

/// Time limit of one forwarding attempt.
const FORWARD_TIMEOUT: Duration = Duration::from_secs(30);

type HandlerError = Box<dyn std::error::Error + Send + Sync>;

/// A reason to stop watching that retrying cannot fix (stdout closed), set by the handler
/// and awaited beside the watcher.
#[derive(Debug, Default)]
pub struct Stop {
    reason: Mutex<Option<CliError>>,
    raised: Notify,
}

impl Stop {
    fn raise(&self, error: CliError) {
        self.reason
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get_or_insert(error);
        self.raised.notify_one();
    }

    /// Resolves with the first reason raised.
    pub async fn raised(&self) -> CliError {
        loop {
            let notified = self.raised.notified();
            if let Some(error) = self.reason.lock().unwrap_or_else(|e| e.into_inner()).take() {
                return error;
            }
            notified.await;
        }
    }
}

/// POSTs events to one URL with one secret.
#[derive(Debug)]
pub struct Forward {
    client: reqwest::Client,
    url: reqwest::Url,
    secret: SigningSecret,
}

impl Forward {
    /// Forwarding to `url`, signed with `secret`.
    pub fn new(url: reqwest::Url, secret: SigningSecret) -> Result<Self, CliError> {
        let client = reqwest::Client::builder()
            .timeout(FORWARD_TIMEOUT)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| CliError::usage(format!("could not make an HTTP client: {e}")))?;
        Ok(Self {
            client,
            url,
            secret,
        })
    }

    async fn send(&self, event: &OrderEvent, body: &str) -> Result<u16, String> {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
        let signature = sign(self.secret.expose_secret(), now, body.as_bytes());
        let response = self
            .client
            .post(self.url.clone())
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header(EVENT_ID_HEADER, event.id.as_str())
            .header(SIGNATURE_HEADER, signature)
            .body(body.to_owned())
            .send()
            .await
            .map_err(|e| crate::exit::describe_chain(&e.without_url()))?;
        let status = response.status();
        if status.is_success() {
            Ok(status.as_u16())
        } else {
            Err(format!("HTTP {status}"))
        }
    }
}

/// The `--exec` command.
#[derive(Debug)]
pub struct Exec {
    command: String,
}

impl Exec {
    /// Runs `command` with `sh -c` per event.
    pub fn new(command: String) -> Self {
        Self { command }
    }

    async fn run(&self, event: &OrderEvent, body: &str) -> Result<(), String> {
        let mut command = shell(&self.command);
        command
            .stdin(Stdio::piped())
            .stdout(stderr_stdio())
            .stderr(Stdio::inherit())
            .env("CARBONEXT_EVENT_ID", event.id.as_str())
            .env("CARBONEXT_ORDER_ID", event.order.id.to_string())
            .env("CARBONEXT_EVENT_STATUS", event.status.to_string())
            // The command is the user's, but the API key's secret is not its business.
            .env_remove(carbonext_auth::CLIENT_SECRET_VAR)
            .kill_on_drop(true);
        let mut child = command
            .spawn()
            .map_err(|e| format!("could not start `{}`: {e}", self.command))?;
        if let Some(mut stdin) = child.stdin.take() {
            let written = stdin.write_all(format!("{body}\n").as_bytes()).await;
            // A command that does not read its stdin closes it early: not a failure.
            if let Err(e) = written.and(stdin.shutdown().await) {
                if e.kind() != std::io::ErrorKind::BrokenPipe {
                    return Err(format!(
                        "could not write the event to `{}`: {e}",
                        self.command
                    ));
                }
            }
        }
        let status = child
            .wait()
            .await
            .map_err(|e| format!("`{}` could not be waited for: {e}", self.command))?;
        if status.success() {
            Ok(())
        } else {
            Err(format!("`{}` {status}", self.command))
        }
    }
}

#[cfg(unix)]
fn shell(command: &str) -> tokio::process::Command {
    let mut shell = tokio::process::Command::new("sh");
    shell.arg("-c").arg(command);
    shell
}

#[cfg(not(unix))]
fn shell(command: &str) -> tokio::process::Command {
    let mut shell = tokio::process::Command::new("cmd");
    shell.arg("/C").arg(command);
    shell
}

/// The command's stdout joins ours on stderr: stdout carries events only.
fn stderr_stdio() -> Stdio {
    #[cfg(unix)]
    {
        use std::os::fd::AsFd;
        if let Ok(fd) = std::io::stderr().as_fd().try_clone_to_owned() {
            return Stdio::from(File::from(fd));
        }
    }
    Stdio::null()
}

/// The handler given to the watcher.
#[derive(Debug)]
pub struct Deliver {
    forward: Option<Forward>,
    exec: Option<Exec>,
    stop: std::sync::Arc<Stop>,
    /// Events printed and not yet delivered: a retry does not print them again.
    printed: Mutex<HashSet<EventId>>,
}

impl Deliver {
    /// Prints every event, then forwards it and/or runs the command; `stop` learns of
    /// failures retrying cannot fix.
    pub fn new(forward: Option<Forward>, exec: Option<Exec>, stop: std::sync::Arc<Stop>) -> Self {
        Self {
            forward,
            exec,
            stop,
            printed: Mutex::new(HashSet::new()),
        }
    }

    fn printed(&self) -> std::sync::MutexGuard<'_, HashSet<EventId>> {
        self.printed.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[async_trait]
impl EventHandler for Deliver {
    async fn handle(&self, event: &OrderEvent) -> Result<(), HandlerError> {
        let body = carbonext_domain::json::to_string(event)?;
        let first_attempt = self.printed().insert(event.id.clone());
        if first_attempt {
            if let Err(error) = write_stdout(&format!("{body}\n")) {
                // Not delivered: the next start hands it over again.
                self.stop.raise(error);
                return Err("stdout is closed".into());
            }
        }
        if let Some(forward) = &self.forward {
            match forward.send(event, &body).await {
                Ok(status) => note(format!("{} forwarded: HTTP {status}", event.id)),
                Err(failure) => {
                    note(format!("{} not forwarded ({failure}); retrying", event.id));
                    return Err(failure.into());
                }
            }
        }
        if let Some(exec) = &self.exec {
            if let Err(failure) = exec.run(event, &body).await {
                note(format!("{}: {failure}; retrying", event.id));
                return Err(failure.into());
            }
        }
        self.printed().remove(&event.id);
        Ok(())
    }
}
