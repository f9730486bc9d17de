//! `carbonext offset route|distance|tonnes|batch`: from an emission to the order of the VCUs
//! that neutralise it, exactly once per key.
//!
//! A single offset prints the calculation, the VCUs, the quote and the order (or why nothing
//! was ordered: an order already placed under the key, a zero emission, a dry run). A quote
//! above `--max-total-price` orders nothing and exits 8.
//!
//! `offset batch --file rows.csv` reads the file twice: first to validate every row (bad
//! rows are listed with their line numbers and nothing is sent), then to offset the rows as
//! they are read, `--concurrency` at a time, writing one result per row in file order. Memory
//! stays flat in the number of rows: only the keys are kept (to refuse duplicates), and only
//! the rows in flight are held.

use std::collections::{HashMap, VecDeque};
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;
use std::sync::{Arc, Mutex};

use carbonext_domain::calculator::{Route, TransportId};
use carbonext_domain::offset::{
    BatchOutcome, EmissionSource, Offset, OffsetOutcome, OffsetRequest, Rounding,
};
use carbonext_domain::{Decimal, Offsetting, OrderKey, Recipient};
use futures::StreamExt;
use serde::Serialize;

use super::Context;
use crate::cli::{
    parse_positive, parse_tonnes, parse_transport, ExportFormat, OffsetBatchArgs, OffsetCommand,
    OffsetCommon, OffsetOptions, OutputMode, RecipientArgs,
};
use crate::exit::{CliError, ExitCode};
use crate::output::{note, or_dash, stdout_error, Details};
use crate::progress::Progress;

/// Most bad rows listed on stderr; the rest are counted.
const BAD_ROWS_SHOWN: usize = 100;

/// Runs an `offset` subcommand.
pub async fn run(context: &Context, command: OffsetCommand) -> Result<(), CliError> {
    match command {
        OffsetCommand::Batch(args) => batch(context, args).await,
        single => offset_one(context, single_request(single)?).await,
    }
}

/// The validated request of a single offset (nothing sent).
fn single_request(command: OffsetCommand) -> Result<OffsetRequest, CliError> {
    let invalid =
        |e: carbonext_domain::ValidationError| CliError::from(carbonext_domain::Error::from(e));
    let (source, options) = match command {
        OffsetCommand::Route {
            transport,
            from,
            to,
            units,
            options,
        } => {
            let route = Route::from_codes(&from, &to).map_err(invalid)?;
            let source = EmissionSource::route(transport, route, units).map_err(invalid)?;
            (source, options)
        }
        OffsetCommand::Distance {
            transport,
            meters,
            units,
            options,
        } => (
            EmissionSource::distance(transport, meters, units).map_err(invalid)?,
            options,
        ),
        OffsetCommand::Tonnes { tonnes, options } => {
            (EmissionSource::tonnes(tonnes).map_err(invalid)?, options)
        }
        OffsetCommand::Batch(_) => {
            return Err(CliError::usage("a batch has no single emission source"))
        }
    };
    let OffsetOptions {
        key,
        note,
        common,
        recipient,
    } = options;
    // Without --key (allowed only for a dry run) a fresh key: nothing will be ordered.
    let key = key.unwrap_or_else(OrderKey::generate);
    build(source, key, &common, note, recipient.to_recipient()).map_err(invalid)
}

fn build(
    source: EmissionSource,
    key: OrderKey,
    common: &OffsetCommon,
    note: Option<String>,
    recipient: Recipient,
) -> Result<OffsetRequest, carbonext_domain::ValidationError> {
    let mut builder = OffsetRequest::builder(source, key)
        .rounding(common.round)
        .currency(common.currency.clone())
        .pay_with_balance(common.pay_with_balance)
        .recipient(recipient)
        .dry_run(common.dry_run);
    if let Some(limit) = common.max_total_price {
        builder = builder.max_total_price(limit);
    }
    if let Some(note) = note.filter(|n| !n.is_empty()) {
        builder = builder.note(note);
    }
    builder.build()
}

async fn offset_one(context: &Context, request: OffsetRequest) -> Result<(), CliError> {
    let rounding = request.rounding();
    context
        .with_session(|session| async move {
            let result = match session.carbonext.offset(request).await {
                Ok(offset) => {
                    match &offset.outcome {
                        OffsetOutcome::Existing(_) => note(format!(
                            "An order with key {} already exists: not ordering again.",
                            offset.key
                        )),
                        OffsetOutcome::NothingToOffset => {
                            note("The emission is zero: nothing to offset, nothing ordered.")
                        }
                        OffsetOutcome::DryRun => note("Dry run: nothing ordered."),
                        _ => {}
                    }
                    context
                        .output
                        .show(&offset, |offset| details(offset, rounding))
                }
                Err(error) => Err(error.into()),
            };
            (session, result)
        })
        .await
}

/// An offset for people: the emission, the VCUs, the price and the order, amounts as received.
fn details(offset: &Offset, rounding: Rounding) -> Details {
    let calculation = offset.calculation.as_ref();
    let quote = offset.quote.as_ref();
    let order = offset.order();
    Details::new()
        .field("key", offset.key.to_string())
        .field("status", offset.outcome.as_str())
        .optional(
            "calculated",
            calculation.map(|c| {
                format!("{} {}", c.emission, c.unit.as_deref().unwrap_or_default())
                    .trim_end()
                    .to_owned()
            }),
        )
        .field("emission", format!("{} tCO2eq", offset.tonnes))
        .field("rounding", rounding.to_string())
        .field("VCUs", or_dash(offset.vcus))
        .optional(
            "price per VCU",
            quote.map(|q| format!("{} {}", q.vcu_price, q.currency)),
        )
        .optional(
            "total price",
            quote.map(|q| format!("{} {}", q.total_price, q.currency)),
        )
        .optional("order", order.map(|o| o.id))
        .optional("order status", order.map(|o| o.status.to_string()))
        .optional("VCUs ordered", order.map(|o| o.vcu_amount))
        .optional(
            "order total",
            order.and_then(|o| {
                o.total_price
                    .map(|total| format!("{total} {}", or_dash(o.target_currency.as_ref())))
            }),
        )
        .optional("metaData", order.and_then(|o| o.meta_data.as_deref()))
}

/// The columns a batch file may have, by canonical name and the spellings accepted.
const COLUMNS: [(&str, &[&str]); 15] = [
    ("key", &["key"]),
    ("kind", &["kind"]),
    ("transport", &["transport", "type"]),
    ("from", &["from", "origin"]),
    ("to", &["to", "destination"]),
    ("meters", &["meters", "distance"]),
    ("units", &["units", "passengers", "grams"]),
    ("tonnes", &["tonnes", "tco2eq"]),
    ("note", &["note"]),
    ("recipient_name", &["recipient_name"]),
    ("recipient_email", &["recipient_email"]),
    ("recipient_tax_id", &["recipient_tax_id"]),
    ("retirement_name", &["retirement_name"]),
    ("retirement_email", &["retirement_email"]),
    ("retirement_tax_id", &["retirement_tax_id"]),
];

/// Where each known column is in the file.
#[derive(Debug, Clone)]
struct Header {
    width: usize,
    positions: HashMap<&'static str, usize>,
}

impl Header {
    fn new(record: &csv::StringRecord) -> Result<Self, String> {
        let mut positions = HashMap::new();
        for (index, name) in record.iter().enumerate() {
            let spelled: String = name
                .trim()
                .to_ascii_lowercase()
                .chars()
                .map(|c| if c == '-' || c == ' ' { '_' } else { c })
                .collect();
            let canonical = COLUMNS
                .iter()
                .find(|(_, spellings)| spellings.contains(&spelled.as_str()))
                .map(|(canonical, _)| *canonical)
                .ok_or_else(|| {
                    format!(
                        "unknown column `{}`; the columns are {}",
                        name.trim(),
                        COLUMNS.map(|(c, _)| c).join(", ")
                    )
                })?;
            if positions.insert(canonical, index).is_some() {
                return Err(format!("column `{canonical}` appears twice"));
            }
        }
        if !positions.contains_key("key") {
            return Err("a `key` column is required".to_owned());
        }
        Ok(Self {
            width: record.len(),
            positions,
        })
    }

    /// The cell of `column` in `record`, trimmed; `None` when absent or empty.
    fn get<'r>(&self, record: &'r csv::StringRecord, column: &str) -> Option<&'r str> {
        let index = *self.positions.get(column)?;
        record.get(index).map(str::trim).filter(|v| !v.is_empty())
    }
}

/// The request of one data row, or what is wrong with it.
fn row_request(
    header: &Header,
    record: &csv::StringRecord,
    common: &OffsetCommon,
) -> Result<OffsetRequest, String> {
    if record.len() != header.width {
        return Err(format!(
            "{} fields where the header has {}",
            record.len(),
            header.width
        ));
    }
    let cell = |column: &str| header.get(record, column);
    let required = |column: &str| cell(column).ok_or_else(|| format!("`{column}` is empty"));
    let key = OrderKey::new(required("key")?).map_err(|e| e.to_string())?;
    let kind = match cell("kind") {
        Some(kind) => kind.to_ascii_lowercase(),
        // Inferred from the columns filled in.
        None if cell("tonnes").is_some() => "tonnes".to_owned(),
        None if cell("from").is_some() || cell("to").is_some() => "route".to_owned(),
        None if cell("meters").is_some() => "distance".to_owned(),
        None => return Err("`kind` is empty and no tonnes, route or distance is given".to_owned()),
    };
    let transport = || -> Result<TransportId, String> {
        parse_transport(required("transport")?).map_err(|e| format!("transport: {e}"))
    };
    let units = || -> Result<Decimal, String> {
        parse_positive(required("units")?).map_err(|e| format!("units: {e}"))
    };
    let source = match kind.as_str() {
        "route" => {
            let route =
                Route::from_codes(required("from")?, required("to")?).map_err(|e| e.to_string())?;
            EmissionSource::route(transport()?, route, units()?)
        }
        "distance" => {
            let meters = parse_positive(required("meters")?).map_err(|e| format!("meters: {e}"))?;
            EmissionSource::distance(transport()?, meters, units()?)
        }
        "tonnes" => EmissionSource::tonnes(parse_tonnes(required("tonnes")?)?),
        other => {
            return Err(format!(
                "kind `{}` is not route, distance or tonnes",
                other.chars().take(40).collect::<String>()
            ))
        }
    }
    .map_err(|e| e.to_string())?;
    let text = |column: &str| cell(column).map(str::to_owned);
    let recipient = RecipientArgs {
        recipient_name: text("recipient_name"),
        recipient_email: text("recipient_email"),
        recipient_tax_id: text("recipient_tax_id"),
        retirement_name: text("retirement_name"),
        retirement_email: text("retirement_email"),
        retirement_tax_id: text("retirement_tax_id"),
    }
    .to_recipient();
    build(source, key, common, text("note"), recipient).map_err(|e| e.to_string())
}

fn reader(path: &Path) -> Result<csv::Reader<File>, CliError> {
    let file = File::open(path)
        .map_err(|e| CliError::usage(format!("could not open {}: {e}", path.display())))?;
    Ok(csv::ReaderBuilder::new()
        .flexible(true)
        .has_headers(true)
        .from_reader(file))
}

fn read_header(reader: &mut csv::Reader<File>, path: &Path) -> Result<Header, CliError> {
    let record = reader
        .headers()
        .map_err(|e| CliError::usage(format!("{}: line 1: {e}", path.display())))?;
    Header::new(record).map_err(|e| CliError::usage(format!("{}: line 1: {e}", path.display())))
}

/// The 1-based line a record starts on.
fn line_of(position: Option<&csv::Position>) -> u64 {
    position.map_or(0, csv::Position::line)
}

/// Reads the whole file once: every row must make a valid request and keys must be unique.
/// Returns the number of rows; sends nothing.
fn validate(path: &Path, common: &OffsetCommon) -> Result<u64, CliError> {
    let mut reader = reader(path)?;
    let header = read_header(&mut reader, path)?;
    let mut bad: Vec<String> = Vec::new();
    let mut bad_count = 0usize;
    let mut keys: HashMap<String, u64> = HashMap::new();
    let mut rows = 0u64;
    let mut record = csv::StringRecord::new();
    loop {
        let problem = match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {
                rows += 1;
                let line = line_of(record.position());
                match row_request(&header, &record, common) {
                    Ok(request) => match keys.get(request.key().as_str()) {
                        Some(first) => Some((
                            line,
                            format!("key {} is already on line {first}", request.key()),
                        )),
                        None => {
                            keys.insert(request.key().as_str().to_owned(), line);
                            None
                        }
                    },
                    Err(problem) => Some((line, problem)),
                }
            }
            Err(error) => {
                rows += 1;
                let line = line_of(error.position());
                let problem = match error.kind() {
                    csv::ErrorKind::Utf8 { .. } => "the row is not valid UTF-8".to_owned(),
                    _ => error.to_string(),
                };
                Some((line, problem))
            }
        };
        if let Some((line, problem)) = problem {
            bad_count += 1;
            if bad.len() < BAD_ROWS_SHOWN {
                bad.push(format!("line {line}: {problem}"));
            }
        }
    }
    if bad_count > 0 {
        let mut error = CliError::usage(format!(
            "{bad_count} bad row(s) in {}; nothing was ordered",
            path.display()
        ));
        for line in bad {
            error = error.hint(line);
        }
        if bad_count > BAD_ROWS_SHOWN {
            error = error.hint(format!("… and {} more", bad_count - BAD_ROWS_SHOWN));
        }
        return Err(error);
    }
    if rows == 0 {
        return Err(CliError::usage(format!(
            "{} has no rows under its header; nothing to offset",
            path.display()
        )));
    }
    Ok(rows)
}

/// One line of the results: the row, what happened, amounts as received.
#[derive(Debug, Serialize)]
struct ResultRow {
    line: u64,
    key: String,
    status: &'static str,
    order_id: Option<String>,
    #[serde(with = "carbonext_domain::amount::decimal_text::option")]
    tonnes: Option<Decimal>,
    #[serde(with = "carbonext_domain::amount::decimal_text::option")]
    vcus: Option<Decimal>,
    #[serde(with = "carbonext_domain::amount::decimal_text::option")]
    total_price: Option<Decimal>,
    currency: Option<String>,
    error: Option<String>,
}

impl ResultRow {
    fn new(line: u64, outcome: BatchOutcome) -> Self {
        let key = outcome.key.to_string();
        match outcome.result {
            Ok(offset) => {
                let order = offset.order();
                let total_price = order
                    .and_then(|o| o.total_price)
                    .or(offset.quote.as_ref().map(|q| q.total_price));
                let currency = order
                    .and_then(|o| o.target_currency.as_ref())
                    .or(offset.quote.as_ref().map(|q| &q.currency))
                    .map(ToString::to_string);
                Self {
                    line,
                    key,
                    status: offset.outcome.as_str(),
                    order_id: order.map(|o| o.id.to_string()),
                    tonnes: Some(offset.tonnes),
                    vcus: order
                        .map(|o| o.vcu_amount)
                        .or(offset.vcus.map(Decimal::from)),
                    total_price,
                    currency,
                    error: None,
                }
            }
            Err(error) => Self {
                line,
                key,
                status: "failed",
                order_id: None,
                tonnes: None,
                vcus: None,
                total_price: None,
                currency: None,
                error: Some(error.to_string()),
            },
        }
    }
}

/// Where results are written, as they come.
enum Sink {
    Csv(Box<csv::Writer<Box<dyn Write + Send>>>),
    Jsonl(Box<dyn Write + Send>),
}

impl Sink {
    fn open(args: &OffsetBatchArgs, mode: OutputMode) -> Result<Self, CliError> {
        let format = match (&args.results_format, &args.results) {
            (Some(format), _) => *format,
            (None, Some(path)) => match path.extension().and_then(|e| e.to_str()) {
                Some(ext) if ["jsonl", "ndjson", "json"].contains(&ext) => ExportFormat::Jsonl,
                _ => ExportFormat::Csv,
            },
            (None, None) if mode == OutputMode::Json => ExportFormat::Jsonl,
            (None, None) => ExportFormat::Csv,
        };
        let out: Box<dyn Write + Send> = match &args.results {
            Some(path) => Box::new(BufWriter::new(File::create(path).map_err(|e| {
                CliError::usage(format!("could not create {}: {e}", path.display()))
            })?)),
            None => Box::new(std::io::stdout()),
        };
        Ok(match format {
            ExportFormat::Csv => Sink::Csv(Box::new(csv::Writer::from_writer(out))),
            ExportFormat::Jsonl => Sink::Jsonl(out),
        })
    }

    fn write(&mut self, row: &ResultRow) -> Result<(), CliError> {
        match self {
            Sink::Csv(writer) => writer.serialize(row).map_err(|e| match e.into_kind() {
                csv::ErrorKind::Io(io) => stdout_error(io),
                other => CliError::unavailable(format!("could not write a result: {other:?}")),
            }),
            Sink::Jsonl(out) => {
                let line = carbonext_domain::json::to_string(row)
                    .map_err(|e| CliError::unavailable(format!("could not write JSON: {e}")))?;
                writeln!(out, "{line}").map_err(stdout_error)
            }
        }
    }

    fn flush(&mut self) -> Result<(), CliError> {
        match self {
            Sink::Csv(writer) => writer.flush(),
            Sink::Jsonl(out) => out.flush(),
        }
        .map_err(stdout_error)
    }
}

/// Counts of each status, for the summary.
#[derive(Debug, Default)]
struct Tally {
    rows: u64,
    by_status: HashMap<&'static str, u64>,
}

impl Tally {
    fn add(&mut self, status: &'static str) {
        self.rows += 1;
        *self.by_status.entry(status).or_default() += 1;
    }

    fn count(&self, status: &str) -> u64 {
        self.by_status.get(status).copied().unwrap_or(0)
    }

    fn summary(&self) -> String {
        let parts: Vec<String> = [
            "placed",
            "existing",
            "nothing_to_offset",
            "dry_run",
            "failed",
        ]
        .iter()
        .filter(|s| self.count(s) > 0 || **s == "failed")
        .map(|s| format!("{} {}", self.count(s), s.replace('_', " ")))
        .collect();
        format!("{} rows: {}", self.rows, parts.join(", "))
    }
}

async fn batch(context: &Context, args: OffsetBatchArgs) -> Result<(), CliError> {
    let rows = validate(&args.file, &args.common)?;
    let mut sink = Sink::open(&args, context.output.mode())?;
    let mut reader = reader(&args.file)?;
    let header = read_header(&mut reader, &args.file)?;
    let concurrency = usize::from(args.concurrency);
    let common = args.common.clone();
    context
        .with_session(|session| async move {
            // Lines of the rows in flight, oldest first: results come back in file order.
            let lines: Arc<Mutex<VecDeque<u64>>> = Arc::default();
            let in_flight = Arc::clone(&lines);
            let mut changed = 0u64;
            let changed_rows: Arc<Mutex<Vec<(u64, String)>>> = Arc::default();
            let changed_sink = Arc::clone(&changed_rows);
            let items = reader.into_records().filter_map(move |record| {
                let (line, request) = match record {
                    Ok(record) => (
                        line_of(record.position()),
                        row_request(&header, &record, &common),
                    ),
                    Err(error) => (line_of(error.position()), Err(error.to_string())),
                };
                match request {
                    Ok(request) => {
                        in_flight
                            .lock()
                            .unwrap_or_else(|e| e.into_inner())
                            .push_back(line);
                        Some(request)
                    }
                    Err(problem) => {
                        // The file changed since it was validated: the row is skipped.
                        changed_sink
                            .lock()
                            .unwrap_or_else(|e| e.into_inner())
                            .push((line, problem));
                        None
                    }
                }
            });
            let mut results = session
                .carbonext
                .offset_batch(futures::stream::iter(items), concurrency);
            let progress = Progress::new(Some(rows), "rows");
            let mut tally = Tally::default();
            let mut failure = None;
            while let Some(outcome) = results.next().await {
                let line = lines
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .pop_front()
                    .unwrap_or(0);
                let row = ResultRow::new(line, outcome);
                tally.add(row.status);
                if let Err(error) = sink.write(&row) {
                    failure = Some(error);
                    break;
                }
                progress.inc();
            }
            progress.finish();
            let flushed = sink.flush();
            for (line, problem) in changed_rows
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .iter()
            {
                changed += 1;
                note(format!(
                    "line {line} changed since it was validated and was skipped: {problem}"
                ));
            }
            note(tally.summary());
            let failed = tally.count("failed") + changed;
            let result = match (failure, flushed) {
                (Some(error), _) | (None, Err(error)) => Err(error),
                (None, Ok(())) if failed > 0 => Err(CliError::new(
                    ExitCode::BatchFailed,
                    format!(
                        "{failed} of {rows} rows failed; the others were offset (the results \
                         say which and why)"
                    ),
                )
                .hint("running the same file again offsets only what is missing")),
                (None, Ok(())) => Ok(()),
            };
            (session, result)
        })
        .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::{parse_rounding, Cli, Command};
    use clap::Parser;

    fn common() -> OffsetCommon {
        OffsetCommon {
            round: Rounding::Exact,
            max_total_price: None,
            currency: carbonext_domain::Currency::Brl,
            pay_with_balance: false,
            dry_run: false,
        }
    }

    fn rows(text: &str) -> Vec<Result<OffsetRequest, String>> {
        let mut reader = csv::ReaderBuilder::new()
            .flexible(true)
            .from_reader(text.as_bytes());
        let header = Header::new(reader.headers().unwrap()).unwrap();
        reader
            .records()
            .map(|r| row_request(&header, &r.unwrap(), &common()))
            .collect()
    }

    #[test]
    fn rows_of_each_kind_become_requests_and_kind_can_be_inferred() {
        let parsed = rows(
            "key,kind,transport,from,to,distance,passengers,tonnes,recipient_name\n\
             trip_000001,route,air,GRU,JFK,,2,,Jane\n\
             ship_000002,distance,truck,,,100000,3.5,,\n\
             ship_000003,tonnes,,,,,,1.25,\n\
             ship_000004,,,,,,,0.5,\n\
             ship_000005,,bus,01310-100,20040-020,,30,,\n",
        );
        let parsed: Vec<OffsetRequest> = parsed.into_iter().map(Result::unwrap).collect();
        assert!(matches!(parsed[0].source(), EmissionSource::Route { .. }));
        assert_eq!(
            parsed[0].recipient().and_then(|r| r.name.as_deref()),
            Some("Jane")
        );
        assert!(matches!(
            parsed[1].source(),
            EmissionSource::Distance { .. }
        ));
        assert!(matches!(parsed[2].source(), EmissionSource::Tonnes { .. }));
        assert!(matches!(parsed[3].source(), EmissionSource::Tonnes { .. }));
        assert!(matches!(parsed[4].source(), EmissionSource::Route { .. }));
    }

    #[test]
    fn bad_rows_say_what_is_wrong() {
        let parsed = rows(
            "key,kind,transport,from,to,units,tonnes\n\
             short,tonnes,,,,,1\n\
             ship_000002,route,air,GRU,01310-100,2,\n\
             ship_000003,tonnes,,,,,-1\n\
             ship_000004,boat,,,,,\n\
             ship_000005,route,rocket,GRU,JFK,2,\n\
             ship_000006,route,air,GRU,JFK,0,\n\
             ship_000007,tonnes\n",
        );
        let problems: Vec<String> = parsed.into_iter().map(|r| r.unwrap_err()).collect();
        assert!(problems[0].contains("order key"), "{}", problems[0]);
        assert!(problems[1].contains("route"), "{}", problems[1]);
        assert!(problems[2].contains("zero or more"), "{}", problems[2]);
        assert!(problems[3].contains("boat"), "{}", problems[3]);
        assert!(problems[4].contains("transport"), "{}", problems[4]);
        assert!(problems[5].contains("units"), "{}", problems[5]);
        assert!(problems[6].contains("fields"), "{}", problems[6]);
    }

    #[test]
    fn headers_must_name_known_columns_and_a_key() {
        let header = |text: &str| {
            Header::new(&csv::StringRecord::from(
                text.split(',').collect::<Vec<_>>(),
            ))
        };
        assert!(header("Key,Kind,Tonnes").is_ok());
        assert!(header("kind,tonnes").unwrap_err().contains("key"));
        assert!(header("key,colour").unwrap_err().contains("colour"));
        assert!(header("key,distance,meters").unwrap_err().contains("twice"));
    }

    #[test]
    fn rounding_reads_exact_decimals_or_whole() {
        assert_eq!(parse_rounding("exact"), Ok(Rounding::Exact));
        assert_eq!(parse_rounding("2"), Ok(Rounding::UpToDecimals(2)));
        assert_eq!(parse_rounding("whole"), Ok(Rounding::UpToWholeVcus));
        assert!(parse_rounding("29").is_err());
        assert!(parse_rounding("-1").is_err());
    }

    #[test]
    fn a_key_is_required_unless_the_run_is_dry() {
        let parse = |args: &[&str]| {
            let mut argv = vec!["carbonext", "offset", "tonnes", "1.25"];
            argv.extend_from_slice(args);
            Cli::try_parse_from(argv)
        };
        assert!(parse(&[]).is_err());
        assert!(parse(&["--dry-run"]).is_ok());
        match parse(&["--key", "shipment_0001", "--round", "whole"])
            .unwrap()
            .command
        {
            Command::Offset(OffsetCommand::Tonnes { tonnes, options }) => {
                assert_eq!(tonnes.to_string(), "1.25");
                assert_eq!(options.common.round, Rounding::UpToWholeVcus);
            }
            other => panic!("parsed as {other:?}"),
        }
    }
}
