//! `-v` logging: `tracing` events of the carbonext crates on stderr.
//!
//! | flag | filter |
//! |---|---|
//! | none | off (or `RUST_LOG` when set) |
//! | `-v` | info for everything, debug for the carbonext crates |
//! | `-vv` | trace for everything (the HTTP stack included) |
//!
//! The carbonext crates log operations, URLs, statuses and token lifetimes, never a client secret or an
//! access token, so no level prints one.

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;

/// The filter directives for a verbosity count.
pub fn directives(verbose: u8) -> Option<String> {
    let level = match verbose {
        0 => return None,
        1 => "debug",
        _ => return Some("trace".to_owned()),
    };
    let crates = [
        "carbonext_cli",
        "carbonext_domain",
        "carbonext_auth",
        "carbonext_api",
        "carbonext_sandbox",
    ];
    let mut directives = vec!["info".to_owned()];
    directives.extend(crates.iter().map(|c| format!("{c}={level}")));
    Some(directives.join(","))
}

/// Installs the subscriber for `verbose` (`RUST_LOG` applies when no `-v` is given).
pub fn init(verbose: u8) {
    let filter = match directives(verbose) {
        Some(directives) => EnvFilter::new(directives),
        None => match EnvFilter::try_from_default_env() {
            Ok(filter) => filter,
            Err(_) => return,
        },
    };
    // A second initialisation (never in the binary) is harmless.
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(true)
        .with_ansi(std::io::stderr().is_terminal())
        .try_init();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_v_raises_the_carbonext_crates_and_two_raise_everything() {
        assert_eq!(directives(0), None);
        let one = directives(1).expect("some");
        assert!(one.starts_with("info,"));
        assert!(one.contains("carbonext_domain=debug"));
        assert_eq!(directives(2).as_deref(), Some("trace"));
        assert_eq!(directives(3).as_deref(), Some("trace"));
    }
}
