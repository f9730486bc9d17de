//! The arguments of the commands that remember and inspect where the CLI goes: `login`,
//! `profiles`, `auth status`, and the escape hatch `api`.

use clap::{Args, Subcommand};

/// Examples of `carbonext login`.
pub const LOGIN_EXAMPLES: &str = "\
Examples:
  # asks for the client id and secret on a terminal
  carbonext login --profile hml --env homologation

  # a script: the secret on stdin, never on the command line
  printf '%s\\n' \"$SECRET\" | carbonext login --profile prod --env production \\
      --client-id cbx_b2b_123 --client-secret-stdin --default

  # a sandbox started by `carbonext sandbox serve`
  carbonext --api-url http://127.0.0.1:8080 \\
      --auth-url http://127.0.0.1:8080/auth/realms/co2free/protocol/openid-connect/token \\
      login --profile local --client-id sandbox-client --client-secret-stdin

  # then
  carbonext --profile hml balance
  CARBONEXT_PROFILE=hml carbonext orders list";

/// Examples of `carbonext api`.
pub const API_EXAMPLES: &str = "\
Examples:
  carbonext api /v1/orders                          # GET, the body as received
  carbonext api /v1/orders --paginate > all.json    # every page, one JSON array
  carbonext api '/v1/orders?page-size=5' --include  # status line and headers first
  carbonext api '/v1/prices?vcu-amount=0.02&target-currency=BRL'
  carbonext api -X POST /v1/orders -d '{\"vcuAmount\": 1, \"targetCurrency\": \"BRL\"}'
  carbonext api -X POST /v1/orders -d @order.json   # the body from a file (@- : stdin)

Exit codes: 0 for a 2xx answer; 3 for a 401; 4 for any other 4xx (the body is still
printed); 5 for 5xx or 429 after retries (GET, HEAD and OPTIONS are retried) or no answer.
Writes (POST, PUT, PATCH, DELETE) to production are confirmed like every other write.";

/// `carbonext login`.
#[derive(Debug, Args)]
pub struct LoginArgs {
    /// Client id of the API key (asked on a terminal when missing; `--client` and
    /// CARBONEXT_CLIENT_ID work too).
    #[arg(long, value_name = "ID")]
    pub client_id: Option<String>,
    /// Read the client secret from the first line of stdin (else CARBONEXT_CLIENT_SECRET,
    /// else asked on a terminal without echo).
    #[arg(long)]
    pub client_secret_stdin: bool,
    /// Make this profile the default one (`default-profile`), used when no target, profile
    /// or CARBONEXT_PROFILE is given.
    #[arg(long)]
    pub default: bool,
}

/// `carbonext profiles …`.
#[derive(Debug, Subcommand)]
pub enum ProfilesCommand {
    /// Every saved profile, its target and whether it is the default.
    List,
    /// One profile's settings (the chosen one when no name is given); never its secret.
    Show {
        /// Profile name.
        name: Option<String>,
    },
    /// Forget a profile: its settings and its secret.
    Remove {
        /// Profile name.
        name: String,
    },
}

/// `carbonext auth …`.
#[derive(Debug, Subcommand)]
pub enum AuthCommand {
    /// Where commands go: the hosts, the profile, each setting with its source (flag, env,
    /// profile NAME, default), and whether a token can be had (exit 3 when not).
    Status,
}

/// `carbonext api`.
#[derive(Debug, Args)]
pub struct ApiArgs {
    /// Path under the API's base URL, e.g. `/v1/orders` (a query string may follow).
    #[arg(value_name = "PATH")]
    pub path: String,
    /// HTTP method (default GET, or POST with --data).
    #[arg(short = 'X', long, value_name = "METHOD")]
    pub method: Option<String>,
    /// JSON body: the text itself, `@FILE`, or `@-` for stdin.
    #[arg(short = 'd', long, value_name = "JSON|@FILE|@-")]
    pub data: Option<String>,
    /// Print the status line and the response headers before the body.
    #[arg(short = 'i', long)]
    pub include: bool,
    /// GET every page (`page`, `page-size`) and print the items as one JSON array.
    #[arg(long, conflicts_with = "include")]
    pub paginate: bool,
}
