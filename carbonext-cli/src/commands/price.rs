//! `carbonext price`: what an amount of VCUs costs now.

use carbonext_domain::VcuMarket;

use super::Context;
use crate::cli::PriceArgs;
use crate::exit::CliError;
use crate::views;

/// Prints the quote for `args.vcu` VCUs in `args.currency`.
pub async fn run(context: &Context, args: PriceArgs) -> Result<(), CliError> {
    context
        .with_session(|session| async move {
            let result = match session.carbonext.quote(args.vcu, args.currency).await {
                Ok(quote) => context.output.show(&quote, views::quote),
                Err(error) => Err(error.into()),
            };
            (session, result)
        })
        .await
}
