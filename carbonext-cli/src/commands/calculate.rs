//! `carbonext calculate types|distance|route`: transport emissions.

use carbonext_domain::Calculator;

use super::Context;
use crate::cli::CalculateCommand;
use crate::exit::CliError;
use crate::views;

/// Runs a `calculate` subcommand.
pub async fn run(context: &Context, command: CalculateCommand) -> Result<(), CliError> {
    context
        .with_session(|session| async move {
            let calculator = &session.carbonext;
            let result = match command {
                CalculateCommand::Types => match calculator.transport_types().await {
                    Ok(types) => context
                        .output
                        .show(types.as_slice(), views::transport_types),
                    Err(error) => Err(error.into()),
                },
                CalculateCommand::Distance { transport, meters } => {
                    match calculator.emissions_by_distance(transport, meters).await {
                        Ok(emission) => context.output.show(&emission, views::emission),
                        Err(error) => Err(error.into()),
                    }
                }
                CalculateCommand::Route {
                    transport,
                    from,
                    to,
                    units,
                } => match calculator
                    .emissions_by_route(transport, from, to, units)
                    .await
                {
                    Ok(emission) => context.output.show(&emission, views::emission),
                    Err(error) => Err(error.into()),
                },
            };
            (session, result)
        })
        .await
}
