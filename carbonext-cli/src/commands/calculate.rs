//! `carbonext calculate types|airports|distance|route`: transport emissions.

use carbonext_domain::Calculator;
use futures::StreamExt;

use super::Context;
use crate::cli::CalculateCommand;
use crate::exit::CliError;
use crate::progress::Progress;
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
                CalculateCommand::Airports => {
                    let progress = Progress::new(None, "airports");
                    let mut stream = calculator.airports();
                    let mut airports = Vec::new();
                    let mut failure = None;
                    while let Some(airport) = stream.next().await {
                        match airport {
                            Ok(airport) => {
                                airports.push(airport);
                                progress.inc();
                            }
                            Err(error) => {
                                failure = Some(error);
                                break;
                            }
                        }
                    }
                    progress.finish();
                    match failure {
                        Some(error) => Err(error.into()),
                        None => context.output.show(airports.as_slice(), views::airports),
                    }
                }
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
