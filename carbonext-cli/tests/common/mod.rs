//! Shared by the CLI tests: a deterministic sandbox on 127.0.0.1, the `carbonext` binary
//! pointed at it, and redaction of ids and timestamps (never amounts) for snapshots.
//!
//! Every command gets a home folder of its own ([`bare`]): the embedded sandbox keeps its
//! state under `XDG_STATE_HOME`, so without it tests would see each other's orders. Tests of
//! that state share one folder between processes on purpose ([`bare_in`]).

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;

use carbonext_sandbox::Sandbox;
use regex::Regex;

/// Every variable the CLI reads, removed so the developer's shell cannot leak into a test.
pub const CARBONEXT_VARS: [&str; 11] = [
    "CARBONEXT_ENV",
    "CARBONEXT_API_URL",
    "CARBONEXT_AUTH_URL",
    "CARBONEXT_CLIENT_ID",
    "CARBONEXT_CLIENT_SECRET",
    "CARBONEXT_RETRY_ATTEMPTS",
    "CARBONEXT_TIMEOUT_SECS",
    "CARBONEXT_SANDBOX_PORT",
    "CARBONEXT_LOCK_URL",
    "CARBONEXT_LOCK_WAIT_SECS",
    "CARBONEXT_PROFILE",
];

/// Whether the sandboxes of these tests offer the `metaData_like` filter: off (the API as
/// documented) unless `CARBONEXT_TEST_METADATA_FILTER=1`, with which `.ci/run` runs the
/// exactly-once suites a second time.
pub fn metadata_filter() -> bool {
    std::env::var("CARBONEXT_TEST_METADATA_FILTER").is_ok_and(|v| v == "1")
}

/// A deterministic sandbox (fixed ids, secret and clock start).
pub async fn sandbox() -> Sandbox {
    Sandbox::builder()
        .deterministic(true)
        .metadata_filter(metadata_filter())
        .start()
        .await
        .expect("sandbox starts")
}

/// A new empty folder for one test's home, under Cargo's folder for test files (so nothing
/// is left outside the target folder).
pub fn fresh_home() -> PathBuf {
    static HOMES: AtomicU64 = AtomicU64::new(0);
    let home = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!(
        "cli-home-{}-{}",
        std::process::id(),
        HOMES.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = std::fs::remove_dir_all(&home);
    std::fs::create_dir_all(&home).expect("a test home folder");
    home
}

/// The binary with a clean environment and a home folder of its own (`HOME`, `XDG_*`), so
/// its embedded sandbox starts empty.
pub fn bare() -> Command {
    bare_in(&fresh_home())
}

/// The binary with a clean environment and `home` as `HOME`, with `XDG_STATE_HOME`,
/// `XDG_CONFIG_HOME`, `XDG_DATA_HOME` and `XDG_CACHE_HOME` inside it: processes given the
/// same `home` share the embedded sandbox's state file.
pub fn bare_in(home: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_carbonext"));
    for var in CARBONEXT_VARS {
        command.env_remove(var);
    }
    command
        .env_remove("RUST_LOG")
        .env("HOME", home)
        .env("XDG_STATE_HOME", home.join("state"))
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env("XDG_DATA_HOME", home.join("data"))
        .env("XDG_CACHE_HOME", home.join("cache"));
    command
}

/// Where a process run by [`bare_in`]`(home)` keeps its embedded sandbox's state.
pub fn state_file_in(home: &Path) -> PathBuf {
    home.join("state").join("carbonext").join("sandbox.json")
}

/// The binary pointed at `sandbox` (`--api-url`, `--auth-url` = full token URL) with its
/// seeded credentials in the environment.
pub fn carbonext(sandbox: &Sandbox) -> Command {
    let mut command = bare();
    command
        .args([
            "--api-url",
            &sandbox.api_url(),
            "--auth-url",
            &sandbox.token_url(),
        ])
        .env("CARBONEXT_CLIENT_ID", sandbox.client_id())
        .env("CARBONEXT_CLIENT_SECRET", sandbox.client_secret())
        .env("CARBONEXT_RETRY_ATTEMPTS", "2");
    command
}

/// Runs `command` with `args`.
pub fn run(mut command: Command, args: &[&str]) -> Output {
    command.args(args).output().expect("the binary runs")
}

/// stdout as text.
pub fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).expect("stdout is UTF-8")
}

/// stderr as text.
pub fn stderr(output: &Output) -> String {
    String::from_utf8(output.stderr.clone()).expect("stderr is UTF-8")
}

/// Asserts the exit code, showing both streams when it differs.
#[track_caller]
pub fn assert_code(output: &Output, code: i32) {
    assert_eq!(
        output.status.code(),
        Some(code),
        "stdout:\n{}\nstderr:\n{}",
        stdout(output),
        stderr(output)
    );
}

/// Runs and asserts exit 0, returning stdout.
#[track_caller]
pub fn ok(command: Command, args: &[&str]) -> String {
    let output = run(command, args);
    assert_code(&output, 0);
    stdout(&output)
}

fn patterns() -> &'static [(Regex, &'static str)] {
    static PATTERNS: OnceLock<Vec<(Regex, &'static str)>> = OnceLock::new();
    PATTERNS.get_or_init(|| {
        [
            (
                r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}",
                "[uuid]",
            ),
            (
                r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})?",
                "[timestamp]",
            ),
            // Generated client order keys (32 hex digits).
            (r"\b[0-9a-f]{32}\b", "[order-key]"),
            (r"127\.0\.0\.1:\d+", "127.0.0.1:[port]"),
        ]
        .into_iter()
        .map(|(pattern, replacement)| (Regex::new(pattern).expect("valid regex"), replacement))
        .collect()
    })
}

/// `text` with ids, order keys, timestamps and ports replaced by placeholders. Amounts are
/// never touched.
pub fn redact(text: &str) -> String {
    patterns()
        .iter()
        .fold(text.to_owned(), |text, (regex, replacement)| {
            regex.replace_all(&text, *replacement).into_owned()
        })
}

/// The first UUID in `text`.
pub fn first_uuid(text: &str) -> String {
    patterns()[0]
        .0
        .find(text)
        .map(|m| m.as_str().to_owned())
        .expect("a UUID in the output")
}

/// Like [`redact`], padding each placeholder to the width of what it replaces, so table
/// columns stay aligned in snapshots.
pub fn redact_table(text: &str) -> String {
    patterns()
        .iter()
        .fold(text.to_owned(), |text, (regex, replacement)| {
            regex
                .replace_all(&text, |caps: &regex::Captures<'_>| {
                    let width = caps[0].chars().count();
                    format!("{replacement:<width$}")
                })
                .into_owned()
        })
}
