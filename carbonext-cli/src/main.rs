//! The `carbonext` binary: see the `carbonext_cli` library for how it is put together.

/// Variables that select the target; set-but-empty means unset, as in `carbonext-auth`.
const TARGET_VARS: [&str; 3] = ["CARBONEXT_ENV", "CARBONEXT_API_URL", "CARBONEXT_AUTH_URL"];

fn main() -> std::process::ExitCode {
    // Before any thread starts: clap would otherwise read an empty value as a missing one.
    for var in TARGET_VARS {
        if std::env::var_os(var).is_some_and(|value| value.is_empty()) {
            std::env::remove_var(var);
        }
    }
    carbonext_cli::main_with_args(std::env::args_os()).into()
}
