//! The `carbonext` binary: see the `carbonext_cli` library for how it is put together.

fn main() -> std::process::ExitCode {
    carbonext_cli::main_with_args(std::env::args_os()).into()
}
