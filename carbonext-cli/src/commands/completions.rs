//! `carbonext completions SHELL`: the shell completion script on stdout.

use clap::CommandFactory;
use clap_complete::Shell;

use crate::cli::Cli;
use crate::exit::CliError;
use crate::output::stdout_error;

/// Writes the completion script for `shell`.
pub fn run(shell: Shell) -> Result<(), CliError> {
    let mut command = Cli::command();
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut command, "carbonext", &mut script);
    let mut stdout = std::io::stdout().lock();
    std::io::Write::write_all(&mut stdout, &script).map_err(stdout_error)
}
