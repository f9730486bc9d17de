//! `offset batch`: the rows of a file offset `--concurrency` at a time, one result per row
//! written (and flushed) in file order as it comes.
//!
//! The first Ctrl-C (or SIGTERM) stops taking rows, lets the placements in flight settle (for
//! [`SETTLE`] at most), writes their results, prints the summary and exits 130; a second one
//! exits at once. Since each result is flushed when written, even a SIGKILL loses at most the
//! rows in flight, and running the same file again completes it, each key ordered once.

use std::collections::{HashMap, VecDeque};
use std::fs::File;
use std::io::{BufWriter, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use carbonext_domain::offset::BatchOutcome;
use carbonext_domain::Decimal;
use futures::StreamExt;
use serde::Serialize;
use tokio::sync::Notify;

use super::file::{validate, BatchFile};
use crate::cli::{ExportFormat, OffsetBatchArgs, OutputMode};
use crate::commands::Context;
use crate::exit::{CliError, ExitCode};
use crate::output::{note, stdout_error};
use crate::progress::Progress;

/// Longest wait, after the first Ctrl-C, for the placements in flight.
pub const SETTLE: Duration = Duration::from_secs(5);

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

    /// Writes `row` and flushes it: a killed process loses at most the rows in flight.
    fn write(&mut self, row: &ResultRow) -> Result<(), CliError> {
        self.write_row(row)?;
        self.flush()
    }

    fn write_row(&mut self, row: &ResultRow) -> Result<(), CliError> {
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

/// Ctrl-C and SIGTERM: the first sets `stop` and wakes `first`, the second exits at once.
struct Interrupt {
    stop: Arc<AtomicBool>,
    first: Arc<Notify>,
    listener: tokio::task::JoinHandle<()>,
}

impl Interrupt {
    fn listen() -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let first = Arc::new(Notify::new());
        let listener = tokio::spawn({
            let (stop, first) = (Arc::clone(&stop), Arc::clone(&first));
            async move {
                signal().await;
                stop.store(true, Ordering::SeqCst);
                first.notify_one();
                note(format!(
                    "Interrupted: taking no new rows; settling the rows in flight (up to {}s). \
                     Ctrl-C again to quit at once.",
                    SETTLE.as_secs()
                ));
                signal().await;
                note("Interrupted again: quitting now; the rows in flight are not recorded.");
                std::process::exit(i32::from(ExitCode::Interrupted.code()));
            }
        });
        Self {
            stop,
            first,
            listener,
        }
    }

    /// Resolves [`SETTLE`] after the first signal.
    async fn settle_deadline(first: Arc<Notify>) {
        first.notified().await;
        tokio::time::sleep(SETTLE).await;
    }
}

impl Drop for Interrupt {
    fn drop(&mut self) {
        self.listener.abort();
    }
}

/// The next Ctrl-C or SIGTERM.
async fn signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut terminate) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = terminate.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// Runs `offset batch`.
pub(super) async fn batch(context: &Context, args: OffsetBatchArgs) -> Result<(), CliError> {
    let file = BatchFile::open(&args.file)?;
    let rows = validate(&file, &args.common)?;
    let gate = if args.common.dry_run {
        None
    } else {
        Some(context.write_gate()?)
    };
    let mut plan = vec![format!("offset {rows} rows of {}", file.path().display())];
    plan.push(match args.common.max_total_price {
        Some(limit) => format!("price limit per row: {limit} {}", args.common.currency),
        None => "no price limit (--max-total-price)".to_owned(),
    });
    let mut sink = Sink::open(&args, context.output.mode())?;
    let items = file.rows(&args.common)?;
    let concurrency = usize::from(args.concurrency);
    context
        .with_session(|session| async move {
            if let Some(gate) = gate {
                if let Err(error) = gate.confirm(plan).await {
                    return (session, Err(error));
                }
            }
            let interrupt = Interrupt::listen();
            // Lines of the rows in flight, oldest first: results come back in file order.
            let lines: Arc<Mutex<VecDeque<u64>>> = Arc::default();
            let in_flight = Arc::clone(&lines);
            let changed_rows: Arc<Mutex<Vec<(u64, String)>>> = Arc::default();
            let changed_sink = Arc::clone(&changed_rows);
            let stop = Arc::clone(&interrupt.stop);
            let items = items
                .take_while(move |_| !stop.load(Ordering::SeqCst))
                .filter_map(move |(line, request)| match request {
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
                });
            let mut results = session
                .carbonext
                .offset_batch(futures::stream::iter(items), concurrency);
            let progress = Progress::new(Some(rows), "rows");
            let mut tally = Tally::default();
            let mut failure = None;
            let mut unsettled = false;
            let deadline = Interrupt::settle_deadline(Arc::clone(&interrupt.first));
            tokio::pin!(deadline);
            loop {
                let outcome = tokio::select! {
                    outcome = results.next() => outcome,
                    () = &mut deadline => {
                        unsettled = true;
                        break;
                    }
                };
                let Some(outcome) = outcome else { break };
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
            let interrupted = interrupt.stop.load(Ordering::SeqCst);
            drop(interrupt);
            let flushed = sink.flush();
            let mut changed = 0u64;
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
                (None, Ok(())) if interrupted => {
                    let mut error = CliError::new(
                        ExitCode::Interrupted,
                        format!(
                            "interrupted: {} of {rows} rows done, their results written",
                            tally.rows
                        ),
                    );
                    if unsettled {
                        let pending = lines.lock().unwrap_or_else(|e| e.into_inner()).len();
                        error = error.hint(format!(
                            "{pending} row(s) in flight did not settle within {}s and are not \
                             in the results",
                            SETTLE.as_secs()
                        ));
                    }
                    Err(error.hint("running the same file again offsets only what is missing"))
                }
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
