//! `carbonext orders create|list|cancel|export` (`orders watch` is in [`super::watch`]).
//!
//! `create` places an order exactly once: with `--key`, an order already carrying that key is
//! shown instead of placing a second one, so re-running the same command is safe. With
//! `--max-total-price` (and always in production, to show what will be paid) it quotes
//! first: a total above the limit orders nothing and exits 8.

use std::io::Write;

use carbonext_domain::{Ledger, NewOrder, Order, OrderQuery, PlacedOrder, VcuMarket};
use futures::StreamExt;
use serde::Serialize;

use super::Context;
use crate::cli::{
    CreateOrderArgs, ExportFormat, ExportOrdersArgs, ListOrdersArgs, OrderFilters, OrdersCommand,
};
use crate::confirm::WriteGate;
use crate::connect::Session;
use crate::exit::CliError;
use crate::output::{note, or_dash, stdout_error};
use crate::progress::Progress;
use crate::views;

/// Runs an `orders` subcommand.
pub async fn run(context: &Context, command: OrdersCommand) -> Result<(), CliError> {
    match command {
        OrdersCommand::Create(args) => create(context, args).await,
        OrdersCommand::List(args) => list(context, args).await,
        OrdersCommand::Get { id } => get(context, id).await,
        OrdersCommand::Cancel { ids } => cancel(context, ids).await,
        OrdersCommand::Export(args) => export(context, args).await,
        OrdersCommand::Watch(args) => super::watch::run(context, args).await,
    }
}

/// The validated order of `args` (nothing sent).
pub fn new_order(args: &CreateOrderArgs) -> Result<NewOrder, CliError> {
    let mut builder = NewOrder::builder(args.vcu)
        .currency(args.currency.clone())
        .pay_with_balance(args.pay_with_balance)
        .recipient(args.recipient.to_recipient());
    if let Some(text) = &args.meta_data {
        builder = builder.meta_data(text.clone());
    }
    if let Some(key) = &args.key {
        builder = builder.key(key.clone());
    }
    builder.build().map_err(|e| CliError::usage(e.to_string()))
}

/// The order query of `filters` (validated, nothing sent).
pub fn order_query(filters: &OrderFilters) -> Result<OrderQuery, CliError> {
    let mut query = OrderQuery::new();
    match filters.status.as_slice() {
        [] => {}
        [one] => query = query.status(one.clone()),
        many => query = query.status_in(many.iter().cloned()),
    }
    if let (Some(from), Some(to)) = (filters.from, filters.to) {
        if from > to {
            return Err(CliError::usage(format!("--from {from} is after --to {to}")));
        }
    }
    if let Some(from) = filters.from {
        query = query.created_from(from);
    }
    if let Some(to) = filters.to {
        query = query.created_to(to);
    }
    if let Some(key) = &filters.key {
        query = query.key(key);
    }
    if let Some((field, direction)) = filters.sort {
        query = query.sort(field, direction);
    }
    if let Some(size) = filters.page_size {
        query = query.page_size(size);
    }
    query
        .validate()
        .map_err(|e| CliError::usage(e.to_string()))?;
    Ok(query)
}

/// Quotes the order when a limit or a confirmation needs the price; refuses a total above
/// the limit; shows the plan and asks in production.
async fn check_price(
    session: &Session,
    args: &CreateOrderArgs,
    gate: &WriteGate,
) -> Result<(), CliError> {
    let mut plan = vec![format!("order {} VCUs ({})", args.vcu, args.currency)];
    if args.max_total_price.is_some() || gate.asks() {
        let quote = session
            .carbonext
            .quote(args.vcu, args.currency.clone())
            .await?;
        if let Some(limit) = args.max_total_price {
            if quote.total_price > limit {
                return Err(carbonext_domain::Error::PriceAboveLimit {
                    vcus: args.vcu,
                    quoted: quote.total_price,
                    limit,
                    currency: quote.currency,
                }
                .into());
            }
        }
        plan.push(format!(
            "quote: {} {} per VCU",
            quote.vcu_price, quote.currency
        ));
        plan.push(format!("total: {} {}", quote.total_price, quote.currency));
    }
    if let Some(key) = &args.key {
        plan.push(format!("key: {key}"));
    }
    gate.confirm(plan).await
}

async fn create(context: &Context, args: CreateOrderArgs) -> Result<(), CliError> {
    let order = new_order(&args)?;
    let gate = context.write_gate()?;
    context
        .with_session(|session| async move {
            if let Err(error) = check_price(&session, &args, &gate).await {
                return (session, Err(error));
            }
            // With `--key`, the SDK looks the key up first and returns the order already placed.
            let result = session.carbonext.place_order(order).await;
            let result = match result {
                Ok(PlacedOrder {
                    order,
                    already_existed,
                }) => {
                    if already_existed {
                        note(format!(
                            "An order with key {} already exists: not placing it again.",
                            or_dash(order.key())
                        ));
                    }
                    let placed = views::Placed {
                        order: &order,
                        already_existed,
                    };
                    context.output.show(&placed, |p| views::order(p.order))
                }
                Err(error) => Err(error.into()),
            };
            (session, result)
        })
        .await
}

async fn list(context: &Context, args: ListOrdersArgs) -> Result<(), CliError> {
    let query = order_query(&args.filters)?;
    let page = args.page;
    let all = args.all;
    context
        .with_session(|session| async move {
            let result = if all {
                match collect_all(&session, query).await {
                    Ok(orders) => context.output.show(orders.as_slice(), views::orders),
                    Err(error) => Err(error),
                }
            } else {
                match session.carbonext.orders_page(query, page).await {
                    Ok(page) => context
                        .output
                        .show(&page, |p| views::page(p, "orders", views::orders)),
                    Err(error) => Err(error.into()),
                }
            };
            (session, result)
        })
        .await
}

/// One order by id: the API has none, so orders are listed newest first, 1000 a page, until
/// it is found.
async fn get(context: &Context, id: carbonext_domain::OrderId) -> Result<(), CliError> {
    let query = OrderQuery::new()
        .sort(
            carbonext_domain::OrderSort::CreatedAt,
            carbonext_domain::SortDirection::Desc,
        )
        .page_size(1000);
    context
        .with_session(|session| async move {
            let mut stream = session.carbonext.orders(query);
            let mut seen = 0u64;
            let result = loop {
                match stream.next().await {
                    Some(Ok(order)) if order.id == id => {
                        break context.output.show(&order, views::order)
                    }
                    Some(Ok(_)) => seen += 1,
                    Some(Err(error)) => break Err(error.into()),
                    None => {
                        break Err(CliError::new(
                            crate::exit::ExitCode::Rejected,
                            format!("no order {id} among the {seen} orders of this account"),
                        ))
                    }
                }
            };
            drop(stream);
            (session, result)
        })
        .await
}

/// How many orders `query` matches, asked only when a progress bar will show it.
async fn total_for_progress(session: &Session, query: &OrderQuery) -> Option<u64> {
    if !Progress::wanted() {
        return None;
    }
    let page = session
        .carbonext
        .orders_page(query.clone().page_size(1), 1)
        .await
        .ok()?;
    u64::try_from(page.total_count).ok()
}

async fn collect_all(session: &Session, query: OrderQuery) -> Result<Vec<Order>, CliError> {
    let progress = Progress::new(total_for_progress(session, &query).await, "orders");
    let mut stream = session.carbonext.orders(query);
    let mut orders = Vec::new();
    while let Some(order) = stream.next().await {
        orders.push(order?);
        progress.inc();
    }
    progress.finish();
    Ok(orders)
}

async fn cancel(context: &Context, ids: Vec<carbonext_domain::OrderId>) -> Result<(), CliError> {
    let gate = context.write_gate()?;
    context
        .with_session(|session| async move {
            let plan = ids.iter().map(|id| format!("cancel order {id}")).collect();
            if let Err(error) = gate.confirm(plan).await {
                return (session, Err(error));
            }
            let result = match ids.as_slice() {
                [one] => match session.carbonext.cancel_order(*one).await {
                    Ok(order) => context.output.show(&order, views::order),
                    Err(error) => Err(error.into()),
                },
                _ => match session.carbonext.cancel_orders(ids).await {
                    Ok(orders) => context.output.show(orders.as_slice(), views::orders),
                    Err(error) => Err(error.into()),
                },
            };
            (session, result)
        })
        .await
}

/// One CSV row of an order: the API's field names, amounts verbatim.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct CsvOrder {
    id: String,
    created_at: String,
    status: String,
    #[serde(rename = "type")]
    order_type: String,
    vcu_amount: String,
    vcu_unit_price: String,
    total_price: String,
    target_currency: String,
    payment_date: String,
    meta_data: String,
    order_key: String,
}

impl From<&Order> for CsvOrder {
    fn from(order: &Order) -> Self {
        let text = |v: Option<String>| v.unwrap_or_default();
        Self {
            id: order.id.to_string(),
            created_at: text(order.created_at.as_ref().map(ToString::to_string)),
            status: order.status.to_string(),
            order_type: text(order.order_type.as_ref().map(ToString::to_string)),
            vcu_amount: order.vcu_amount.to_string(),
            vcu_unit_price: text(order.vcu_unit_price.map(|d| d.to_string())),
            total_price: text(order.total_price.map(|d| d.to_string())),
            target_currency: text(order.target_currency.as_ref().map(ToString::to_string)),
            payment_date: text(order.payment_date.as_ref().map(ToString::to_string)),
            meta_data: text(order.meta_data.clone()),
            order_key: text(order.order_key.as_ref().map(ToString::to_string)),
        }
    }
}

async fn export(context: &Context, args: ExportOrdersArgs) -> Result<(), CliError> {
    let query = order_query(&args.filters)?;
    let format = args.format;
    context
        .with_session(|session| async move {
            let result = stream_export(&session, query, format).await;
            (session, result)
        })
        .await
}

/// Writes every order as it arrives; a failure midway leaves what was written and exits
/// non-zero.
async fn stream_export(
    session: &Session,
    query: OrderQuery,
    format: ExportFormat,
) -> Result<(), CliError> {
    let progress = Progress::new(total_for_progress(session, &query).await, "orders");
    let stdout = std::io::stdout();
    let mut csv = match format {
        ExportFormat::Csv => Some(csv::Writer::from_writer(stdout.lock())),
        ExportFormat::Jsonl => None,
    };
    let mut stream = session.carbonext.orders(query);
    let mut count = 0usize;
    while let Some(order) = stream.next().await {
        let order = order?;
        match &mut csv {
            Some(writer) => {
                writer
                    .serialize(CsvOrder::from(&order))
                    .map_err(csv_error)?;
            }
            None => {
                let line = carbonext_domain::json::to_string(&order)
                    .map_err(|e| CliError::unavailable(format!("could not write JSON: {e}")))?;
                let mut out = stdout.lock();
                writeln!(out, "{line}").map_err(stdout_error)?;
            }
        }
        count += 1;
        progress.inc();
    }
    progress.finish();
    match csv {
        Some(mut writer) => {
            if count == 0 {
                // No order: still print the header so the file is a valid, empty table.
                writer.write_record(CSV_HEADER).map_err(csv_error)?;
            }
            writer.flush().map_err(stdout_error)?;
        }
        None => std::io::stdout().flush().map_err(stdout_error)?,
    }
    tracing::debug!(count, "export finished");
    Ok(())
}

/// A CSV write failure; a closed stdout is reported like any other.
fn csv_error(error: csv::Error) -> CliError {
    match error.into_kind() {
        csv::ErrorKind::Io(io) => stdout_error(io),
        other => CliError::unavailable(format!("could not write CSV: {other:?}")),
    }
}

const CSV_HEADER: [&str; 11] = [
    "id",
    "createdAt",
    "status",
    "type",
    "vcuAmount",
    "vcuUnitPrice",
    "totalPrice",
    "targetCurrency",
    "paymentDate",
    "metaData",
    "orderKey",
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::Cli;
    use clap::Parser;

    fn create_args(extra: &[&str]) -> CreateOrderArgs {
        let mut argv = vec!["carbonext", "orders", "create"];
        argv.extend_from_slice(extra);
        match Cli::try_parse_from(argv).expect("valid").command {
            crate::cli::Command::Orders(OrdersCommand::Create(args)) => args,
            other => panic!("parsed as {other:?}"),
        }
    }

    #[test]
    fn recipient_and_meta_data_reach_the_order() {
        let order = new_order(&create_args(&[
            "--vcu",
            "0.02",
            "--recipient-name",
            "ACME",
            "--retirement-tax-id",
            "123",
            "--meta-data",
            "fleet",
            "--key",
            "invoice_2026_03",
        ]))
        .expect("valid");
        let recipient = order.recipient().expect("recipient set");
        assert_eq!(recipient.name.as_deref(), Some("ACME"));
        assert_eq!(recipient.retirement_tax_id.as_deref(), Some("123"));
        assert_eq!(
            order.wire_meta_data(),
            format!("fleet [cbx-key:invoice_2026_03 fp={}]", order.fingerprint())
        );
    }

    #[test]
    fn too_long_meta_data_is_a_usage_error() {
        let long = "x".repeat(600);
        let error =
            new_order(&create_args(&["--vcu", "1", "--meta-data", &long])).expect_err("too long");
        assert_eq!(error.code, crate::exit::ExitCode::Usage);
    }

    #[test]
    fn an_inverted_date_range_is_a_usage_error() {
        let filters = OrderFilters {
            status: vec![],
            from: chrono::NaiveDate::from_ymd_opt(2026, 3, 31),
            to: chrono::NaiveDate::from_ymd_opt(2026, 3, 1),
            key: None,
            sort: None,
            page_size: None,
        };
        assert!(order_query(&filters).is_err());
    }

    #[test]
    fn csv_header_matches_the_row_fields() {
        let header = {
            let mut writer = csv::Writer::from_writer(Vec::new());
            writer
                .serialize(CsvOrder {
                    id: String::new(),
                    created_at: String::new(),
                    status: String::new(),
                    order_type: String::new(),
                    vcu_amount: String::new(),
                    vcu_unit_price: String::new(),
                    total_price: String::new(),
                    target_currency: String::new(),
                    payment_date: String::new(),
                    meta_data: String::new(),
                    order_key: String::new(),
                })
                .expect("serialises");
            String::from_utf8(writer.into_inner().expect("flushed")).expect("utf-8")
        };
        assert!(header.starts_with(&CSV_HEADER.join(",")));
    }
}
