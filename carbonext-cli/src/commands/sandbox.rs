//! `carbonext sandbox serve`: the sandbox in the foreground until Ctrl-C, printing its URLs
//! and seeded (fake) credentials. The options are the `carbonext-sandbox` binary's.

use carbonext_sandbox::cli::ServeArgs;

use crate::exit::CliError;

/// Serves until Ctrl-C or SIGTERM.
pub async fn serve(args: ServeArgs) -> Result<(), CliError> {
    let port = args.port;
    args.run().await.map_err(|error| {
        let error = CliError::unavailable(format!("the sandbox stopped: {error}"));
        if port != 0 {
            error.hint(format!(
                "is port {port} in use? try --port 0 for any free port"
            ))
        } else {
            error
        }
    })
}
