//! [`Calculator`] for [`Carbonext`]: transport types, airports and emissions.

use std::num::NonZeroU32;

use async_trait::async_trait;
use carbonext_api::{operations, Page};
use futures_util::stream::BoxStream;
use rust_decimal::Decimal;

use super::carbonext::Carbonext;
use super::paging::STREAM_PAGE_SIZE;
use super::pipeline::check_page;
use crate::calculator::{Airport, Emission, Route, TransportId, TransportType};
use crate::error::{Result, ValidationError};
use crate::Calculator;

/// A page of airports as domain values. An airport whose code is not three letters could not
/// be used in a route: it is left out, with a warning.
fn airports_page(page: Page<carbonext_api::types::Airport>) -> Page<Airport> {
    let index = page.page_index;
    page.filter_map(|wire| match Airport::try_from(wire) {
        Ok(airport) => Some(airport),
        Err(err) => {
            tracing::warn!(page = index, "airport left out: {err}");
            None
        }
    })
}

#[async_trait]
impl Calculator for Carbonext {
    async fn transport_types(&self) -> Result<Vec<TransportType>> {
        let types = self
            .retrying(operations::LIST_CALCULATOR_TYPES, || {
                self.api().list_calculator_types().send()
            })
            .await?;
        Ok(types
            .into_inner()
            .types
            .into_iter()
            .map(TransportType::from)
            .collect())
    }

    fn airports(&self) -> BoxStream<'static, Result<Airport>> {
        let this = self.clone();
        self.paginate(move |page| {
            let this = this.clone();
            async move {
                let page = check_page(page)?;
                let result = this
                    .retrying(operations::LIST_AIRPORTS, || {
                        this.api()
                            .list_airports()
                            .page(page)
                            .page_size(NonZeroU32::new(STREAM_PAGE_SIZE).expect("not zero"))
                            .send()
                    })
                    .await?;
                Ok(airports_page(result.into_inner()))
            }
        })
    }

    async fn emissions_by_distance(
        &self,
        transport: TransportId,
        meters: Decimal,
    ) -> Result<Emission> {
        if meters <= Decimal::ZERO {
            return Err(ValidationError::NonPositiveAmount {
                value: meters.to_string(),
            }
            .into());
        }
        let body = carbonext_api::EmissionRequest::DistanceEmissionRequest(
            carbonext_api::types::DistanceEmissionRequest {
                type_: transport.value(),
                distance: meters.into(),
            },
        );
        let emission = self
            .retrying(operations::CALCULATE_EMISSION, || {
                self.api().calculate_emission().body(body.clone()).send()
            })
            .await?;
        Ok(Emission::from(emission.into_inner()))
    }

    async fn emissions_by_route(
        &self,
        transport: TransportId,
        route: Route,
        units: Decimal,
    ) -> Result<Emission> {
        if units <= Decimal::ZERO {
            return Err(ValidationError::NonPositiveAmount {
                value: units.to_string(),
            }
            .into());
        }
        let body = carbonext_api::EmissionRequest::RouteEmissionRequest(
            carbonext_api::types::RouteEmissionRequest {
                type_: transport.value(),
                origin_code: route.origin_code().to_owned(),
                dest_code: route.destination_code().to_owned(),
                unit_value: units.into(),
            },
        );
        let emission = self
            .retrying(operations::CALCULATE_EMISSION, || {
                self.api().calculate_emission().body(body.clone()).send()
            })
            .await?;
        Ok(Emission::from(emission.into_inner()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn airports_whose_code_no_route_could_use_are_left_out_of_the_page() {
        let wire = |code: &str| carbonext_api::types::Airport {
            code: code.to_owned(),
            city: Some("Somewhere".into()),
            country: None,
        };
        let page = Page {
            items: vec![wire("gru"), wire("SBGR"), wire("GIG")],
            page_index: 3,
            total_pages: 7,
            total_count: 61,
            aggregations: None,
            has_previous_page: true,
            has_next_page: true,
        };
        let page = airports_page(page);
        let codes: Vec<&str> = page.items.iter().map(|a| a.code.as_str()).collect();
        assert_eq!(codes, ["GRU", "GIG"]);
        assert_eq!(
            (page.page_index, page.total_pages, page.total_count),
            (3, 7, 61)
        );
        assert_eq!(page.items[0].city.as_deref(), Some("Somewhere"));
    }
}
