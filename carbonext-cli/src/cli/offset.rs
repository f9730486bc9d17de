//! The arguments of `carbonext offset …`: one emission, or a CSV file of them.

use clap::{Args, Subcommand};
use rust_decimal::Decimal;

use carbonext_domain::calculator::TransportId;
use carbonext_domain::offset::Rounding;
use carbonext_domain::{Currency, OrderKey};

/// Examples of `carbonext offset batch`.
pub const BATCH_EXAMPLES: &str = "\
Examples:
  # shipments.csv:
  #   key,kind,transport,from,to,units,tonnes
  #   ship_000001,route,truck,01310-100,20040-002,1200000,
  #   trip_000002,route,air,GRU,GIG,2,
  #   misc_000003,tonnes,,,,,1.5
  carbonext offset batch --file shipments.csv --round 2 --results results.csv

  # check first: calculate and quote every row, order nothing
  carbonext offset batch --file shipments.csv --dry-run

  # from another program, results as JSON lines on stdout
  export-shipments | carbonext offset batch --file - -o json";

#[allow(clippy::wildcard_imports)]
use super::parse::*;
use super::{ExportFormat, RecipientArgs};

/// `carbonext offset …`.
#[derive(Debug, Subcommand)]
pub enum OffsetCommand {
    /// Offset a trip between two ZIP codes by road or two airports by air.
    Route {
        /// Transport: air, truck, bus, or a type id (see `calculate types`).
        #[arg(long, value_name = "T", value_parser = parse_transport)]
        transport: TransportId,
        /// Origin: a ZIP code (01310-100) or an airport code (GRU).
        #[arg(long, value_name = "CODE")]
        from: String,
        /// Destination, of the same kind as the origin.
        #[arg(long, value_name = "CODE")]
        to: String,
        /// Passengers (air, bus) or grams of cargo (truck): the type's request unit.
        #[arg(long, value_name = "N", visible_aliases = ["passengers", "grams"],
              value_parser = parse_positive_decimal)]
        units: Decimal,
        /// Key, rounding, price limit, recipient…
        #[command(flatten)]
        options: OffsetOptions,
    },
    /// Offset a distance travelled: the calculator answers per tonne of cargo (truck) or per
    /// passenger, multiplied by --units.
    Distance {
        /// Transport: air, truck, bus, or a type id (see `calculate types`).
        #[arg(long, value_name = "T", value_parser = parse_transport)]
        transport: TransportId,
        /// Distance in meters.
        #[arg(long, value_name = "M", value_parser = parse_positive_decimal)]
        meters: Decimal,
        /// Tonnes of cargo (truck) or passengers carried.
        #[arg(long, value_name = "N", visible_aliases = ["passengers", "cargo-tonnes"],
              value_parser = parse_positive_decimal)]
        units: Decimal,
        /// Key, rounding, price limit, recipient…
        #[command(flatten)]
        options: OffsetOptions,
    },
    /// Offset a known emission, in tCO2eq (1 VCU = 1 tCO2eq).
    Tonnes {
        /// tCO2eq to offset; exact decimal, zero or more (zero orders nothing).
        #[arg(value_name = "TCO2EQ", value_parser = parse_tonnes)]
        tonnes: Decimal,
        /// Key, rounding, price limit, recipient…
        #[command(flatten)]
        options: OffsetOptions,
    },
    /// Offset every row of a CSV file, each exactly once by its key.
    ///
    /// The file has a header row; one row per shipment or trip. Columns (any order, names
    /// case-insensitive): `key` (required, unique), `kind` (route, distance or tonnes),
    /// `transport` (air, truck, bus or a type id), `from` and `to` (route), `meters` or
    /// `distance` (distance), `units` or `passengers` or `grams` (route, distance), `tonnes`
    /// (tonnes), and optionally `note`, `recipient_name`, `recipient_email`,
    /// `recipient_tax_id`, `retirement_name`, `retirement_email`, `retirement_tax_id`.
    ///
    /// Every row is validated before anything is sent: bad rows are listed with their line
    /// numbers (the header is line 1) and the command exits 2 with nothing ordered. Results
    /// (key, status placed/existing/failed/nothing_to_offset/dry_run, order id, VCUs, total,
    /// error) go to --results, else to stdout. Exit 0 when every row succeeded, 9 when some
    /// failed (the others were still offset). Running the same file again orders nothing
    /// twice: rows already offset are reported as existing.
    #[command(after_long_help = BATCH_EXAMPLES)]
    Batch(OffsetBatchArgs),
}

/// Options of every `offset` command.
#[derive(Debug, Clone, Args)]
pub struct OffsetOptions {
    /// Client order key (8–64 of A-Z a-z 0-9 _), e.g. the shipment or trip id: running the
    /// command again with the same key never orders twice. Optional only with --dry-run.
    #[arg(long, value_name = "KEY", value_parser = parse_order_key,
          required_unless_present = "dry_run")]
    pub key: Option<OrderKey>,
    /// Free text recorded in the order's metaData before what was offset.
    #[arg(long, value_name = "TEXT")]
    pub note: Option<String>,
    /// Recipient and common settings.
    #[command(flatten)]
    pub common: OffsetCommon,
    /// Who the certificate names, and who the credits are retired for.
    #[command(flatten)]
    pub recipient: RecipientArgs,
}

/// Settings shared by single offsets and every row of a batch.
#[derive(Debug, Clone, Args)]
pub struct OffsetCommon {
    /// VCUs from the emission, always rounded up: `exact` (every digit), a number of
    /// decimals (`2`), or `whole` (whole VCUs: VERRA retires whole units only).
    #[arg(long, value_name = "exact|N|whole", default_value = "exact", value_parser = parse_rounding)]
    pub round: Rounding,
    /// Order nothing when the quote's total is above this (in --currency): exit 8.
    #[arg(long, value_name = "AMOUNT", value_parser = parse_price_limit)]
    pub max_total_price: Option<Decimal>,
    /// Currency to quote and charge (BRL, USD).
    #[arg(long, value_name = "CODE", default_value = "BRL", value_parser = parse_currency)]
    pub currency: Currency,
    /// Pay from the VCU balance at once (default: billed later).
    #[arg(long)]
    pub pay_with_balance: bool,
    /// Calculate and quote (price limit included), order nothing.
    #[arg(long)]
    pub dry_run: bool,
}

/// `carbonext offset batch`.
#[derive(Debug, Args)]
pub struct OffsetBatchArgs {
    /// The CSV file of shipments or trips (header row, a `key` column); `-` reads stdin.
    #[arg(long, value_name = "PATH")]
    pub file: std::path::PathBuf,
    /// Rows offset at the same time (1–64).
    #[arg(long, value_name = "N", default_value_t = 8,
          value_parser = clap::value_parser!(u16).range(1..=64))]
    pub concurrency: u16,
    /// Where the results go (`.csv` or `.jsonl`); default stdout.
    #[arg(long, value_name = "PATH")]
    pub results: Option<std::path::PathBuf>,
    /// Format of the results (default: from the --results extension, else CSV, or JSON
    /// lines with --output json).
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub results_format: Option<ExportFormat>,
    /// Rounding, price limit (per row), currency, payment, dry run.
    #[command(flatten)]
    pub common: OffsetCommon,
}
