//! The flags of `carbonext orders watch`, parsed and validated before anything connects.
//!
//! ```
//! use std::time::Duration;
//! use carbonext_cli::cli::parse_interval;
//!
//! assert_eq!(parse_interval("30s"), Ok(Duration::from_secs(30)));
//! assert_eq!(parse_interval("1500ms"), Ok(Duration::from_millis(1500)));
//! assert_eq!(parse_interval("2m"), Ok(Duration::from_secs(120)));
//! assert!(parse_interval("0s").is_err());
//! ```

use std::path::PathBuf;
use std::time::Duration;

use clap::Args;

/// Examples of `carbonext orders watch`.
pub const WATCH_EXAMPLES: &str = "\
Examples:
  # every status change of every order, one JSON object per line
  carbonext --profile prod orders watch | jq -c '{id, status}'

  # to a local service, signed (the secret is printed on stderr)
  carbonext orders watch --forward-to http://127.0.0.1:3000/carbonext/events

  # a script per event, the event's JSON on its stdin
  carbonext orders watch --interval 1m --exec './on-order-event.sh'

Each event is handed over at least once, in order per order: a receiver that answers other
than 2xx, or a command that exits non-zero, gets the same event again after a back-off, and
the order's later events wait. A receiver checks the `Carbonext-Signature` header with
`carbonext_domain::events::verify_signature`. Ctrl-C stops (exit 130); the next start
resumes from the state file, delivering again only what was not done.";

/// `carbonext orders watch`.
#[derive(Debug, Clone, Args)]
pub struct WatchOrdersArgs {
    /// Time between two polls of the API: `30s`, `500ms`, `5m`, `1h` (a bare number is
    /// seconds).
    #[arg(long, value_name = "DURATION", default_value = "30s", value_parser = parse_interval)]
    pub interval: Duration,
    /// Where progress is kept (orders known, events not yet delivered), so a restart
    /// resumes; default: a file per target and API key under $XDG_STATE_HOME/carbonext/.
    #[arg(long, value_name = "FILE")]
    pub state: Option<PathBuf>,
    /// POST each event as JSON to this http(s) URL, signed in the `Carbonext-Signature`
    /// header with a secret printed on stderr at start and kept beside the state file
    /// (`FILE.secret`); retried until the receiver answers 2xx.
    #[arg(long, value_name = "URL", value_parser = parse_forward_url)]
    pub forward_to: Option<reqwest::Url>,
    /// Run this command (with `sh -c`) once per event, the event's JSON on its stdin and
    /// CARBONEXT_EVENT_ID, CARBONEXT_ORDER_ID, CARBONEXT_EVENT_STATUS in its environment;
    /// a non-zero exit runs it again later. Its stdout goes to stderr.
    #[arg(long, value_name = "CMD", value_parser = parse_command)]
    pub exec: Option<String>,
}

/// A positive duration: a number followed by `ms`, `s`, `m` or `h` (seconds without one).
pub fn parse_interval(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: u64 = number
        .parse()
        .map_err(|_| format!("`{text}` is not a duration such as 30s, 500ms, 5m or 1h"))?;
    let duration = match unit {
        "ms" => Duration::from_millis(number),
        "" | "s" => Duration::from_secs(number),
        "m" => Duration::from_secs(number.saturating_mul(60)),
        "h" => Duration::from_secs(number.saturating_mul(3600)),
        _ => {
            return Err(format!(
                "`{text}` is not a duration such as 30s, 500ms, 5m or 1h"
            ))
        }
    };
    if duration.is_zero() {
        return Err("the interval must be longer than zero".to_owned());
    }
    Ok(duration)
}

/// An absolute `http` or `https` URL.
fn parse_forward_url(text: &str) -> Result<reqwest::Url, String> {
    let url = reqwest::Url::parse(text.trim())
        .map_err(|e| format!("not an absolute URL ({e}), e.g. http://127.0.0.1:3000/events"))?;
    match url.scheme() {
        "http" | "https" if url.has_host() => Ok(url),
        _ => Err("only http:// and https:// URLs can receive events".to_owned()),
    }
}

fn parse_command(text: &str) -> Result<String, String> {
    if text.trim().is_empty() {
        Err("the command is empty".to_owned())
    } else {
        Ok(text.to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intervals_need_a_known_unit_and_a_positive_length() {
        assert_eq!(parse_interval("45"), Ok(Duration::from_secs(45)));
        assert_eq!(parse_interval("1h"), Ok(Duration::from_secs(3600)));
        for bad in ["", "s", "-1s", "1.5s", "10d", "0", "0ms", "1 s"] {
            assert!(parse_interval(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn only_http_urls_receive_events() {
        assert!(parse_forward_url("http://127.0.0.1:3000/events").is_ok());
        assert!(parse_forward_url("https://hooks.example/carbonext").is_ok());
        for bad in [
            "127.0.0.1:3000",
            "ftp://x/y",
            "file:///tmp/x",
            "/events",
            "",
        ] {
            assert!(parse_forward_url(bad).is_err(), "{bad:?} accepted");
        }
    }
}
