//! `carbonext offset route|distance|tonnes|batch`: from an emission to the order of the VCUs
//! that neutralise it, exactly once per key.
//!
//! A single offset prints the calculation, the VCUs, the quote and the order (or why nothing
//! was ordered: an order already placed under the key, a zero emission, a dry run). A quote
//! above `--max-total-price` orders nothing and exits 8.
//!
//! `offset batch --file rows.csv` (see [`file`] for the formats read, [`batch`] for Ctrl-C)
//! reads the file twice: first to validate every row (bad
//! rows are listed with their line numbers and nothing is sent), then to offset the rows as
//! they are read, `--concurrency` at a time, writing one result per row in file order. Memory
//! stays flat in the number of rows: only the keys are kept (to refuse duplicates), and only
//! the rows in flight are held.

mod batch;
mod file;

use carbonext_domain::calculator::Route;
use carbonext_domain::offset::{EmissionSource, Offset, OffsetOutcome, OffsetRequest, Rounding};
use carbonext_domain::{Offsetting, OrderKey, Recipient};

use super::Context;
use crate::cli::{OffsetCommand, OffsetCommon, OffsetOptions};
use crate::confirm::WriteGate;
use crate::exit::CliError;
use crate::output::{note, or_dash, Details};
use crate::views;

/// Runs an `offset` subcommand.
pub async fn run(context: &Context, command: OffsetCommand) -> Result<(), CliError> {
    match command {
        OffsetCommand::Batch(args) => batch::batch(context, args).await,
        single => {
            let (request, preview) = single_request(single)?;
            offset_one(context, request, preview).await
        }
    }
}

/// The validated request of a single offset, and the same as a dry run (to show production's
/// confirmation the quote). Nothing sent.
fn single_request(command: OffsetCommand) -> Result<(OffsetRequest, OffsetRequest), CliError> {
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
    let recipient = recipient.to_recipient();
    let dry = OffsetCommon {
        dry_run: true,
        ..common.clone()
    };
    let preview = build(
        source.clone(),
        key.clone(),
        &dry,
        note.clone(),
        recipient.clone(),
    )
    .map_err(invalid)?;
    let request = build(source, key, &common, note, recipient).map_err(invalid)?;
    Ok((request, preview))
}

/// What a production offset will do, from its dry run: the VCUs, the quote, the total.
async fn plan(
    session: &crate::connect::Session,
    preview: OffsetRequest,
) -> Result<Vec<String>, CliError> {
    let key = preview.key().clone();
    let limit = preview.max_total_price();
    let offset = session.carbonext.offset(preview).await?;
    let mut plan = vec![format!("offset {} tCO2eq under key {key}", offset.tonnes)];
    if let OffsetOutcome::Existing(order) = &offset.outcome {
        plan.push(format!("already ordered ({}): nothing new", order.id));
    }
    plan.extend(offset.vcus.map(|vcus| format!("VCUs: {vcus}")));
    if let Some(quote) = &offset.quote {
        plan.push(format!(
            "quote: {} {} per VCU",
            quote.vcu_price, quote.currency
        ));
        plan.push(format!("total: {} {}", quote.total_price, quote.currency));
    }
    plan.extend(limit.map(|limit| format!("price limit: {limit}")));
    Ok(plan)
}

pub(super) fn build(
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

async fn offset_one(
    context: &Context,
    request: OffsetRequest,
    preview: OffsetRequest,
) -> Result<(), CliError> {
    let rounding = request.rounding();
    let gate = if request.is_dry_run() {
        None
    } else {
        Some(context.write_gate()?)
    };
    context
        .with_session(|session| async move {
            if let Some(gate) = gate.filter(WriteGate::asks) {
                let confirmed = match plan(&session, preview).await {
                    Ok(plan) => gate.confirm(plan).await,
                    Err(error) => Err(error),
                };
                if let Err(error) = confirmed {
                    return (session, Err(error));
                }
            }
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
                    let shown = views::PlacedOffset {
                        offset: &offset,
                        already_existed: matches!(offset.outcome, OffsetOutcome::Existing(_)),
                    };
                    context
                        .output
                        .show(&shown, |shown| details(shown.offset, rounding))
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::{parse_rounding, Cli, Command};
    use clap::Parser;

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
