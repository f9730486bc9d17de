//! `carbonext balance`: VCU balance per currency, over an optional period.

use carbonext_domain::{Ledger, Period};

use super::Context;
use crate::cli::BalanceArgs;
use crate::exit::CliError;
use crate::views;

/// Prints the balance.
pub async fn run(context: &Context, args: BalanceArgs) -> Result<(), CliError> {
    let period = match (args.start, args.end) {
        (None, None) => None,
        (start, end) => Some(Period::new(start, end).map_err(|e| CliError::usage(e.to_string()))?),
    };
    context
        .with_session(|session| async move {
            let result = match session.carbonext.balance(period).await {
                Ok(balance) => context.output.show(&balance, views::balance),
                Err(error) => Err(error.into()),
            };
            (session, result)
        })
        .await
}
