//! `carbonext calculate types|airports|distance|route`: transport emissions.

use carbonext_domain::calculator::{Route, TransportId};
use carbonext_domain::{Calculator, Decimal};
use futures::StreamExt;

use super::Context;
use crate::cli::CalculateCommand;
use crate::exit::CliError;
use crate::progress::Progress;
use crate::views;

/// A `calculate` subcommand with its input validated.
enum Request {
    Types,
    Airports,
    Distance {
        transport: TransportId,
        meters: Decimal,
    },
    Route {
        transport: TransportId,
        route: Route,
        units: Decimal,
    },
}

impl Request {
    /// Checks the route's codes: two ZIP codes or two airport codes (exit code 2 otherwise).
    fn new(command: CalculateCommand) -> Result<Self, CliError> {
        Ok(match command {
            CalculateCommand::Types => Self::Types,
            CalculateCommand::Airports => Self::Airports,
            CalculateCommand::Distance { transport, meters } => {
                Self::Distance { transport, meters }
            }
            CalculateCommand::Route {
                transport,
                from,
                to,
                units,
            } => Self::Route {
                transport,
                route: Route::from_codes(&from, &to).map_err(carbonext_domain::Error::from)?,
                units,
            },
        })
    }
}

/// Runs a `calculate` subcommand; invalid input is refused before anything is sent.
pub async fn run(context: &Context, command: CalculateCommand) -> Result<(), CliError> {
    let request = Request::new(command)?;
    context
        .with_session(|session| async move {
            let calculator = &session.carbonext;
            let result = match request {
                Request::Types => match calculator.transport_types().await {
                    Ok(types) => context
                        .output
                        .show(types.as_slice(), views::transport_types),
                    Err(error) => Err(error.into()),
                },
                Request::Airports => {
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
                Request::Distance { transport, meters } => {
                    match calculator.emissions_by_distance(transport, meters).await {
                        Ok(emission) => context.output.show(&emission, views::emission),
                        Err(error) => Err(error.into()),
                    }
                }
                Request::Route {
                    transport,
                    route,
                    units,
                } => match calculator.emissions_by_route(transport, route, units).await {
                    Ok(emission) => context.output.show(&emission, views::emission),
                    Err(error) => Err(error.into()),
                },
            };
            (session, result)
        })
        .await
}
