//! The command line: every flag and subcommand of `carbonext`, parsed by clap.
//!
//! Values are parsed into validated domain types here (amounts, dates, ids, statuses), so that
//! a malformed value is a usage error (exit code 2) before any connection is made.
//!
//! ```
//! use carbonext_cli::cli::{Cli, Command};
//! use clap::Parser;
//!
//! let cli = Cli::try_parse_from(["carbonext", "price", "--vcu", "0.02"]).unwrap();
//! assert!(matches!(cli.command, Command::Price(_)));
//! assert!(Cli::try_parse_from(["carbonext", "price", "--vcu", "0"]).is_err());
//! ```

use chrono::NaiveDate;
use clap::{Args, Parser, Subcommand, ValueEnum};
use clap_complete::Shell;
use rust_decimal::Decimal;

use carbonext_domain::accounts::{ApiKeyId, UserId};
use carbonext_domain::calculator::TransportId;
use carbonext_domain::{
    Currency, InvoiceId, InvoiceSort, InvoiceStatus, OrderId, OrderKey, OrderSort, OrderStatus,
    Recipient, SortDirection, VcuAmount,
};

mod global;
mod offset;
mod parse;
mod profiles;
mod watch;

pub use global::{EnvironmentName, GlobalArgs, LockUrl, OutputMode};
pub use offset::{OffsetBatchArgs, OffsetCommand, OffsetCommon, OffsetOptions};
#[allow(clippy::wildcard_imports)]
use parse::*;
pub use parse::{parse_positive, parse_rounding, parse_tonnes, parse_transport};
pub use profiles::{ApiArgs, AuthCommand, LoginArgs, ProfilesCommand};
pub use watch::{parse_interval, WatchOrdersArgs, WATCH_EXAMPLES};

/// The resolution, as printed at the end of `carbonext --help`.
pub const RESOLUTION_HELP: &str = "\
Where a command goes (first source that sets a value wins):

  setting        flag          variable                 default
  environment    --env         CARBONEXT_ENV            embedded sandbox
  API URL        --api-url     CARBONEXT_API_URL        the environment's
  token URL      --auth-url    CARBONEXT_AUTH_URL       the environment's
  client id      --client      CARBONEXT_CLIENT_ID      the sandbox's (embedded only)
  client secret  (none)        CARBONEXT_CLIENT_SECRET  the sandbox's (embedded only)
  profile        --profile     CARBONEXT_PROFILE        default-profile in config.toml

Between the variables and the default comes the profile (`carbonext login` saves one in
$XDG_CONFIG_HOME/carbonext/, `carbonext auth status` shows every source). A profile's secret
is only sent to its own hosts: with the target from a flag or a variable, it is not used.

The target (environment + API URL + token URL) is taken whole from the highest source that
sets any part of it; parts set by a lower source are ignored and stderr says so. With
--env production, a URL that is not production's is refused (exit 2, nothing sent).
Writes to a remote target name its host on stderr; writes to production show what they will
do and ask on a terminal, or need --yes (CARBONEXT_ASSUME_YES=1) without one.";

/// carbonext: buy and retire carbon credits (VCUs) through the Carbonext B2B API.
///
/// Without `--env`, `--api-url` or `CARBONEXT_ENV` every command runs against an embedded
/// sandbox started in-process, with fake credentials: nothing real is bought.
#[derive(Debug, Parser)]
#[command(
    name = "carbonext",
    version,
    about,
    long_about,
    after_long_help = RESOLUTION_HELP,
    max_term_width = 100
)]
pub struct Cli {
    /// Options valid before or after any subcommand.
    #[command(flatten)]
    pub global: GlobalArgs,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Verify an API key (by getting a token) and save it as a profile: settings in
    /// $XDG_CONFIG_HOME/carbonext/config.toml, the secret in credentials.toml (mode 0600).
    ///
    /// The profile is --profile NAME (else CARBONEXT_PROFILE, else `default`). The target is
    /// --env, or --api-url with --auth-url (or their variables), else the profile's own when
    /// it is saved again; on a terminal without one, it is asked. Nothing is saved unless a
    /// token is had (exit 3 otherwise).
    #[command(after_long_help = profiles::LOGIN_EXAMPLES)]
    Login(LoginArgs),
    /// List, show and remove saved profiles (secrets are never shown).
    #[command(subcommand)]
    Profiles(ProfilesCommand),
    /// Where commands go and whether they can authenticate.
    #[command(subcommand)]
    Auth(AuthCommand),
    /// Send one authenticated request to the configured API and print the answer as
    /// received (exact numbers kept).
    #[command(after_long_help = profiles::API_EXAMPLES)]
    Api(ApiArgs),
    /// Token → price of 1 VCU → order of 3 VCU paid with balance → balance, step by step.
    Quickstart,
    /// Price of an amount of VCUs now.
    Price(PriceArgs),
    /// Place, list, cancel and export orders.
    #[command(subcommand)]
    Orders(OrdersCommand),
    /// VCU balance per currency.
    Balance(BalanceArgs),
    /// List and read invoices.
    #[command(subcommand)]
    Invoices(InvoicesCommand),
    /// Emissions of transport, to know how many VCUs neutralise them.
    #[command(subcommand)]
    Calculate(CalculateCommand),
    /// Offset an emission: calculate it, buy the VCUs that neutralise it, exactly once per
    /// key; or a whole CSV file of shipments and trips.
    #[command(subcommand)]
    Offset(OffsetCommand),
    /// Administration: users of the customer account.
    #[command(subcommand)]
    Users(UsersCommand),
    /// Administration: API keys (applications).
    #[command(subcommand, name = "api-keys")]
    ApiKeys(ApiKeysCommand),
    /// Administration: every permission that can be granted.
    Permissions,
    /// The local emulator of the Carbonext API.
    #[command(subcommand)]
    Sandbox(SandboxCommand),
    /// Shell completion script on stdout.
    Completions {
        /// Shell to complete for.
        #[arg(value_enum)]
        shell: Shell,
    },
}

/// `carbonext price`.
#[derive(Debug, Args)]
pub struct PriceArgs {
    /// VCUs to price (1 VCU = 1 tCO2eq); exact decimal, e.g. 0.02.
    #[arg(long, value_name = "AMOUNT", default_value = "1", value_parser = parse_vcu)]
    pub vcu: VcuAmount,
    /// Currency of the price (BRL, USD).
    #[arg(long, value_name = "CODE", default_value = "BRL", value_parser = parse_currency)]
    pub currency: Currency,
}

/// `carbonext orders …`.
#[derive(Debug, Subcommand)]
pub enum OrdersCommand {
    /// Place an order (exactly once, even if the answer is lost).
    #[command(after_long_help = ORDERS_CREATE_EXAMPLES)]
    Create(CreateOrderArgs),
    /// One order by id. The API has no lookup by id: this lists orders newest first, page
    /// after page (up to 1000 per page), until the order is found, so an old order costs
    /// one request per 1000 newer orders.
    Get {
        /// Order id.
        #[arg(value_name = "ID", value_parser = parse_order_id)]
        id: OrderId,
    },
    /// One page of orders, or every order with --all.
    List(ListOrdersArgs),
    /// Cancel orders (only Issued ones, within 10 days of purchase). JSON: the order, or an
    /// array when several ids are given.
    Cancel {
        /// Ids of the orders to cancel.
        #[arg(required = true, value_name = "ID", value_parser = parse_order_id)]
        ids: Vec<OrderId>,
    },
    /// Every order matching the filters, streamed page after page.
    Export(ExportOrdersArgs),
    /// Every change of an order's status (billed, paid, cancelled, new), as one JSON line
    /// on stdout, forwarded to a URL or given to a command: the API has no webhooks, so this
    /// polls it and keeps its progress in a state file.
    #[command(after_long_help = WATCH_EXAMPLES)]
    Watch(WatchOrdersArgs),
}

/// Examples of `carbonext orders create`.
pub const ORDERS_CREATE_EXAMPLES: &str = "\
Examples:
  # 3 VCUs paid from the balance, safe to re-run (the key places it once)
  carbonext orders create --vcu 3 --pay-with-balance --key invoice_2026_03

  # quote first and order nothing above 500 BRL (exit 8)
  carbonext orders create --vcu 0.02 --max-total-price 500 --key trip_000123

  # a certificate for a customer
  carbonext orders create --vcu 1 --key gift_000042 --recipient-name 'ACME Ltda' \\
      --recipient-email esg@acme.example

  # production from a script (the write is confirmed in advance)
  carbonext --profile prod orders create --vcu 1 --key batch_2026_04 --yes";

/// `carbonext orders create`.
#[derive(Debug, Args)]
pub struct CreateOrderArgs {
    /// VCUs to buy; exact decimal, e.g. 0.02.
    #[arg(long, value_name = "AMOUNT", value_parser = parse_vcu)]
    pub vcu: VcuAmount,
    /// Currency to charge (BRL, USD).
    #[arg(long, value_name = "CODE", default_value = "BRL", value_parser = parse_currency)]
    pub currency: Currency,
    /// Pay from the VCU balance at once (default: billed later).
    #[arg(long)]
    pub pay_with_balance: bool,
    /// Quote first and order nothing when the total is above this (in --currency): exit 8.
    #[arg(long, value_name = "AMOUNT", value_parser = parse_price_limit)]
    pub max_total_price: Option<Decimal>,
    /// Free text kept with the order.
    #[arg(long, value_name = "TEXT")]
    pub meta_data: Option<String>,
    /// Client order key (8–64 of A-Z a-z 0-9 _): running the command again with the same key
    /// never places a second order.
    #[arg(long, value_name = "KEY", value_parser = parse_order_key)]
    pub key: Option<OrderKey>,
    /// Who the certificate names, and who the credits are retired for.
    #[command(flatten)]
    pub recipient: RecipientArgs,
}

/// Filters shared by `orders list` and `orders export`.
#[derive(Debug, Clone, Args)]
pub struct OrderFilters {
    /// Only orders in this status (Issued, Paid, Billed, Cancelled); repeat for several.
    #[arg(long, value_name = "S", value_parser = parse_order_status)]
    pub status: Vec<OrderStatus>,
    /// Created on or after this day (YYYY-MM-DD).
    #[arg(long, value_name = "DATE", value_parser = parse_date)]
    pub from: Option<NaiveDate>,
    /// Created on or before this day (YYYY-MM-DD).
    #[arg(long, value_name = "DATE", value_parser = parse_date)]
    pub to: Option<NaiveDate>,
    /// Only the order(s) placed with this client order key.
    #[arg(long, value_name = "KEY", value_parser = parse_order_key)]
    pub key: Option<OrderKey>,
    /// Sort by createdAt, vcuAmount, status or vcuUnitPrice, optionally `:asc` or `:desc`.
    #[arg(long, value_name = "FIELD[:asc|desc]", value_parser = parse_order_sort)]
    pub sort: Option<(OrderSort, SortDirection)>,
    /// Items per page (1–1000).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub page_size: Option<u32>,
}

/// `carbonext orders list`.
#[derive(Debug, Args)]
pub struct ListOrdersArgs {
    /// Filters, sort and page size.
    #[command(flatten)]
    pub filters: OrderFilters,
    /// Page to show (1-based).
    #[arg(long, value_name = "N", default_value_t = 1, conflicts_with = "all",
          value_parser = clap::value_parser!(u32).range(1..))]
    pub page: u32,
    /// Every page; JSON output is then an array of orders.
    #[arg(long)]
    pub all: bool,
}

/// `carbonext orders export`.
#[derive(Debug, Args)]
pub struct ExportOrdersArgs {
    /// Output format.
    #[arg(long, value_enum)]
    pub format: ExportFormat,
    /// Filters, sort and page size.
    #[command(flatten)]
    pub filters: OrderFilters,
}

/// Formats of `orders export`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ExportFormat {
    /// Comma-separated values with a header row.
    Csv,
    /// One JSON object per line.
    Jsonl,
}

/// `carbonext balance`.
#[derive(Debug, Args)]
pub struct BalanceArgs {
    /// First day of the period (YYYY-MM-DD).
    #[arg(long, value_name = "DATE", value_parser = parse_date)]
    pub start: Option<NaiveDate>,
    /// Last day of the period (YYYY-MM-DD).
    #[arg(long, value_name = "DATE", value_parser = parse_date)]
    pub end: Option<NaiveDate>,
}

/// `carbonext invoices …`.
#[derive(Debug, Subcommand)]
pub enum InvoicesCommand {
    /// One page of invoices, or every invoice with --all.
    List(ListInvoicesArgs),
    /// One invoice.
    Get {
        /// Invoice id.
        #[arg(value_name = "ID", value_parser = parse_invoice_id)]
        id: InvoiceId,
    },
}

/// `carbonext invoices list`.
#[derive(Debug, Args)]
pub struct ListInvoicesArgs {
    /// Only invoices in this status (Paid, Pending); repeat for several.
    #[arg(long, value_name = "S", value_parser = parse_invoice_status)]
    pub status: Vec<InvoiceStatus>,
    /// Created on or after this day (YYYY-MM-DD).
    #[arg(long, value_name = "DATE", value_parser = parse_date)]
    pub from: Option<NaiveDate>,
    /// Created on or before this day (YYYY-MM-DD).
    #[arg(long, value_name = "DATE", value_parser = parse_date)]
    pub to: Option<NaiveDate>,
    /// Sort by createdAt, totalVcuAmount, totalPrice or status, optionally `:asc` or `:desc`.
    #[arg(long, value_name = "FIELD[:asc|desc]", value_parser = parse_invoice_sort)]
    pub sort: Option<(InvoiceSort, SortDirection)>,
    /// Page to show (1-based).
    #[arg(long, value_name = "N", default_value_t = 1, conflicts_with = "all",
          value_parser = clap::value_parser!(u32).range(1..))]
    pub page: u32,
    /// Items per page (1–1000).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub page_size: Option<u32>,
    /// Every page; JSON output is then an array of invoices.
    #[arg(long)]
    pub all: bool,
}

/// `carbonext calculate …`.
#[derive(Debug, Subcommand)]
pub enum CalculateCommand {
    /// The transport types and their ids.
    Types,
    /// Every airport code usable in `calculate route` by air.
    Airports,
    /// Emissions of a distance travelled.
    Distance {
        /// Transport type id (see `calculate types`).
        #[arg(long = "type", value_name = "ID", value_parser = parse_transport_id)]
        transport: TransportId,
        /// Distance in meters.
        #[arg(long, value_name = "M", value_parser = parse_positive_decimal)]
        meters: Decimal,
    },
    /// Emissions between two codes: two Brazilian ZIP codes (01310-100) by road, or two
    /// airport codes (GRU) by air.
    Route {
        /// Transport type id (see `calculate types`).
        #[arg(long = "type", value_name = "ID", value_parser = parse_transport_id)]
        transport: TransportId,
        /// Origin: a ZIP code (01310-100 or 01310100) or an airport code (GRU).
        #[arg(long, value_name = "CODE")]
        from: String,
        /// Destination, of the same kind as the origin.
        #[arg(long, value_name = "CODE")]
        to: String,
        /// Units of the type's request unit (grams, passengers…).
        #[arg(long, value_name = "N", value_parser = parse_positive_decimal)]
        units: Decimal,
    },
}

/// The certificate's recipient and the retirement's beneficiary, of `orders create` and
/// `offset`.
#[derive(Debug, Clone, Default, Args)]
pub struct RecipientArgs {
    /// Name on the certificate.
    #[arg(long, value_name = "N")]
    pub recipient_name: Option<String>,
    /// Where the certificate is sent.
    #[arg(long, value_name = "E")]
    pub recipient_email: Option<String>,
    /// Tax document (CPF/CNPJ) of the recipient.
    #[arg(long, value_name = "T")]
    pub recipient_tax_id: Option<String>,
    /// Name the credits are retired for.
    #[arg(long, value_name = "N")]
    pub retirement_name: Option<String>,
    /// E-mail of the retirement beneficiary.
    #[arg(long, value_name = "E")]
    pub retirement_email: Option<String>,
    /// Tax document of the retirement beneficiary.
    #[arg(long, value_name = "T")]
    pub retirement_tax_id: Option<String>,
}

impl RecipientArgs {
    /// The [`Recipient`] of the fields given (empty ones are left out).
    pub fn to_recipient(&self) -> Recipient {
        type Set = fn(Recipient, String) -> Recipient;
        let fields: [(&Option<String>, Set); 6] = [
            (&self.recipient_name, Recipient::name),
            (&self.recipient_email, Recipient::email),
            (&self.recipient_tax_id, Recipient::tax_id),
            (&self.retirement_name, Recipient::retirement_name),
            (&self.retirement_email, Recipient::retirement_email),
            (&self.retirement_tax_id, Recipient::retirement_tax_id),
        ];
        fields
            .into_iter()
            .fold(Recipient::new(), |recipient, (value, set)| match value {
                Some(value) if !value.is_empty() => set(recipient, value.clone()),
                _ => recipient,
            })
    }
}

/// Paging of the administration listings.
#[derive(Debug, Clone, Copy, Args)]
pub struct PageArgs {
    /// Page to show (1-based).
    #[arg(long, value_name = "N", default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..))]
    pub page: u32,
    /// Items per page (1–1000).
    #[arg(long, value_name = "N", default_value_t = 20, value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub page_size: u32,
}

/// `carbonext users …`.
#[derive(Debug, Subcommand)]
pub enum UsersCommand {
    /// One page of users.
    List(PageArgs),
    /// One user with their permissions.
    Get {
        /// User id.
        #[arg(value_name = "ID", value_parser = parse_user_id)]
        id: UserId,
    },
    /// Create a user.
    Create {
        /// Full name.
        #[arg(long)]
        name: String,
        /// E-mail (login).
        #[arg(long)]
        email: String,
        /// Permission key to grant (e.g. orders_read); repeat for several.
        #[arg(long = "permission", value_name = "KEY")]
        permissions: Vec<String>,
    },
    /// Change a user's name and/or permissions.
    Update {
        /// User id.
        #[arg(value_name = "ID", value_parser = parse_user_id)]
        id: UserId,
        /// New name.
        #[arg(long)]
        name: Option<String>,
        /// Permission key the user should hold; repeat for several.
        #[arg(long = "permission", value_name = "KEY")]
        permissions: Vec<String>,
    },
    /// Delete a user.
    Delete {
        /// User id.
        #[arg(value_name = "ID", value_parser = parse_user_id)]
        id: UserId,
    },
}

/// `carbonext api-keys …`.
#[derive(Debug, Subcommand)]
pub enum ApiKeysCommand {
    /// One page of API keys.
    List(PageArgs),
    /// One API key with its permissions.
    Get {
        /// API key id.
        #[arg(value_name = "ID", value_parser = parse_api_key_id)]
        id: ApiKeyId,
    },
    /// Create an API key; its secret is printed this once.
    Create {
        /// Client id of the new key.
        #[arg(long)]
        client_id: String,
        /// Human-readable name.
        #[arg(long)]
        display_name: String,
        /// Permission key to grant (e.g. orders_write); repeat for several.
        #[arg(long = "permission", value_name = "KEY")]
        permissions: Vec<String>,
    },
}

/// `carbonext sandbox …`.
#[derive(Debug, Subcommand)]
pub enum SandboxCommand {
    /// Run the sandbox in the foreground until Ctrl-C, printing its URLs and seeded (fake)
    /// credentials.
    Serve(Box<carbonext_sandbox::cli::ServeArgs>),
    /// Delete the embedded sandbox's state file, so the next command starts afresh.
    Reset,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn amounts_must_be_positive_plain_decimals() {
        for bad in ["0", "-1", "abc", "1e3", "NaN", ""] {
            assert!(
                Cli::try_parse_from(["carbonext", "price", "--vcu", bad]).is_err(),
                "{bad} accepted"
            );
        }
        let cli = Cli::try_parse_from(["carbonext", "orders", "create", "--vcu", "0.020"])
            .expect("valid");
        match cli.command {
            Command::Orders(OrdersCommand::Create(args)) => {
                assert_eq!(args.vcu.to_string(), "0.020");
            }
            other => panic!("parsed as {other:?}"),
        }
    }

    #[test]
    fn global_flags_work_after_the_subcommand() {
        let cli = Cli::try_parse_from(["carbonext", "balance", "--output", "json", "-vv"])
            .expect("valid");
        assert_eq!(cli.global.output, OutputMode::Json);
        assert_eq!(cli.global.verbose, 2);
    }
}
