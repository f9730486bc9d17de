//! Writes are announced, and production writes confirmed.
//!
//! Before a command writes (an order, a cancellation, an offset, a user, an API key) to a
//! remote target, stderr names the host. Against production the command also shows what it
//! will do and asks on a terminal; without a terminal it needs `--yes` or
//! `CARBONEXT_ASSUME_YES=1`, and otherwise stops before sending anything (exit 2).
//! Homologation and sandboxes never ask.
//!
//! ```
//! use carbonext_cli::confirm::WriteGate;
//! use carbonext_cli::target::Target;
//!
//! let gate = WriteGate::new(&Target::Embedded, false).unwrap();
//! assert!(!gate.asks());
//! ```

use std::io::{BufRead, IsTerminal, Write};

use crate::exit::CliError;
use crate::output::note;
use crate::target::Target;

/// Variable that confirms production writes in advance, like `--yes`.
pub const ASSUME_YES_VAR: &str = "CARBONEXT_ASSUME_YES";

/// What a write needs before it is sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WriteGate {
    /// The embedded sandbox or a non-production host: nothing to confirm.
    Free,
    /// Production, confirmed in advance (`--yes`): the plan is shown, not asked.
    Confirmed,
    /// Production on a terminal: the plan is shown and asked.
    Ask,
}

impl WriteGate {
    /// The gate of a write to `target`; names a remote host on stderr. Production without a
    /// terminal and without `assume_yes` is refused here, before anything is sent.
    pub fn new(target: &Target, assume_yes: bool) -> Result<Self, CliError> {
        let Target::Remote(remote) = target else {
            return Ok(WriteGate::Free);
        };
        if !remote.production {
            note(format!(
                "Writing to {} ({}).",
                remote.host(),
                remote.environment.name()
            ));
            return Ok(WriteGate::Free);
        }
        note(format!(
            "Writing to {} (production: real orders, real money).",
            remote.host()
        ));
        if assume_yes {
            Ok(WriteGate::Confirmed)
        } else if std::io::stdin().is_terminal() {
            Ok(WriteGate::Ask)
        } else {
            Err(CliError::usage(
                "a write to production needs confirmation, and stdin is not a terminal: nothing was sent",
            )
            .hint(format!("confirm in advance with --yes or {ASSUME_YES_VAR}=1")))
        }
    }

    /// Whether [`WriteGate::confirm`] shows and asks (production).
    pub fn asks(&self) -> bool {
        !matches!(self, WriteGate::Free)
    }

    /// Shows `plan` (one line each) on stderr and, on a terminal, asks; refuses unless the
    /// answer is yes. Free writes pass without a word.
    pub async fn confirm(&self, plan: Vec<String>) -> Result<(), CliError> {
        if !self.asks() {
            return Ok(());
        }
        for line in &plan {
            note(format!("  {line}"));
        }
        if *self == WriteGate::Confirmed {
            note("Confirmed in advance (--yes).");
            return Ok(());
        }
        let answer = tokio::task::spawn_blocking(|| {
            eprint!("Proceed in production? [y/N] ");
            let _ = std::io::stderr().flush();
            let mut line = String::new();
            std::io::stdin().lock().read_line(&mut line).map(|_| line)
        })
        .await
        .ok()
        .and_then(Result::ok)
        .unwrap_or_default();
        if matches!(answer.trim().to_ascii_lowercase().as_str(), "y" | "yes") {
            Ok(())
        } else {
            Err(CliError::usage("not confirmed: nothing was written"))
        }
    }
}

/// `--yes`, or `CARBONEXT_ASSUME_YES` set to 1, true or yes.
pub fn assume_yes(flag: bool) -> bool {
    flag || std::env::var(ASSUME_YES_VAR)
        .is_ok_and(|v| matches!(v.trim().to_ascii_lowercase().as_str(), "1" | "true" | "yes"))
}
