//! `carbonext invoices list|get`.

use carbonext_domain::{Invoice, InvoiceQuery, Ledger};
use futures::StreamExt;

use super::Context;
use crate::cli::{InvoicesCommand, ListInvoicesArgs};
use crate::connect::Session;
use crate::exit::CliError;
use crate::progress::Progress;
use crate::views;

/// Runs an `invoices` subcommand.
pub async fn run(context: &Context, command: InvoicesCommand) -> Result<(), CliError> {
    match command {
        InvoicesCommand::List(args) => list(context, args).await,
        InvoicesCommand::Get { id } => {
            context
                .with_session(|session| async move {
                    let result = match session.carbonext.invoice(id).await {
                        Ok(invoice) => context.output.show(&invoice, views::invoice),
                        Err(error) => Err(error.into()),
                    };
                    (session, result)
                })
                .await
        }
    }
}

/// The invoice query of `args` (validated, nothing sent).
pub fn invoice_query(args: &ListInvoicesArgs) -> Result<InvoiceQuery, CliError> {
    let mut query = InvoiceQuery::new();
    if !args.status.is_empty() {
        query = query.status_in(args.status.iter().cloned());
    }
    if let (Some(from), Some(to)) = (args.from, args.to) {
        if from > to {
            return Err(CliError::usage(format!("--from {from} is after --to {to}")));
        }
    }
    if let Some(from) = args.from {
        query = query.created_from(from);
    }
    if let Some(to) = args.to {
        query = query.created_to(to);
    }
    if let Some((field, direction)) = args.sort {
        query = query.sort(field, direction);
    }
    if let Some(size) = args.page_size {
        query = query.page_size(size);
    }
    query
        .validate()
        .map_err(|e| CliError::usage(e.to_string()))?;
    Ok(query)
}

async fn list(context: &Context, args: ListInvoicesArgs) -> Result<(), CliError> {
    let query = invoice_query(&args)?;
    let (page, all) = (args.page, args.all);
    context
        .with_session(|session| async move {
            let result = if all {
                match collect_all(&session, query).await {
                    Ok(invoices) => context.output.show(invoices.as_slice(), views::invoices),
                    Err(error) => Err(error),
                }
            } else {
                match session.carbonext.invoices_page(query, page).await {
                    Ok(page) => context
                        .output
                        .show(&page, |p| views::page(p, "invoices", views::invoices)),
                    Err(error) => Err(error.into()),
                }
            };
            (session, result)
        })
        .await
}

async fn collect_all(session: &Session, query: InvoiceQuery) -> Result<Vec<Invoice>, CliError> {
    let total = if Progress::wanted() {
        session
            .carbonext
            .invoices_page(query.clone().page_size(1), 1)
            .await
            .ok()
            .and_then(|p| u64::try_from(p.total_count).ok())
    } else {
        None
    };
    let progress = Progress::new(total, "invoices");
    let mut stream = session.carbonext.invoices(query);
    let mut invoices = Vec::new();
    while let Some(invoice) = stream.next().await {
        invoices.push(invoice?);
        progress.inc();
    }
    progress.finish();
    Ok(invoices)
}
