//! [`Offsetting`] for [`Carbonext`], and [`Carbonext::offset_batch`]: the steps of
//! [`offset`](crate::offset) with one key lookup under the key's lock.

use async_trait::async_trait;
use futures_util::stream::{Stream, StreamExt};
use rust_decimal::Decimal;

use super::carbonext::Carbonext;
use super::conflict::{differing_payment, differing_vcus};
use super::key_index::KeyKnowledge;
use super::ordered::run_in_order;
use crate::error::{Error, Result, ValidationError};
use crate::key_lock::KeyGuard;
use crate::offset::{BatchOutcome, EmissionSource, Offset, OffsetOutcome, OffsetRequest};
use crate::order::{NewOrder, Quote};
use crate::{Calculator, Offsetting, VcuAmount, VcuMarket};

#[async_trait]
impl Offsetting for Carbonext {
    async fn offset(&self, request: OffsetRequest) -> Result<Offset> {
        let key = request.key.clone();
        if offsets_nothing(&request.source) {
            return Ok(Offset {
                key,
                calculation: None,
                tonnes: Decimal::ZERO,
                vcus: None,
                quote: None,
                outcome: OffsetOutcome::NothingToOffset,
            });
        }
        let (calculation, tonnes) = match &request.source {
            EmissionSource::Tonnes { tonnes } => (None, *tonnes),
            EmissionSource::Distance {
                transport,
                meters,
                units,
            } => {
                let emission = self.emissions_by_distance(*transport, *meters).await?;
                let total = emission.emission.checked_mul(*units).ok_or_else(|| {
                    Error::from(ValidationError::AmountTooLarge {
                        value: format!("{} x {units}", emission.emission),
                    })
                })?;
                (Some(emission), total)
            }
            EmissionSource::Route {
                transport,
                route,
                units,
            } => {
                let emission = self.emissions_by_route(*transport, *route, *units).await?;
                let total = emission.emission;
                (Some(emission), total)
            }
        };
        let offset = |vcus, quote, outcome| Offset {
            key: key.clone(),
            calculation: calculation.clone(),
            tonnes,
            vcus,
            quote,
            outcome,
        };
        let rounded = request.rounding.apply(tonnes);
        if rounded <= Decimal::ZERO {
            // Nothing to neutralise (a negative answer of the calculator included).
            return Ok(offset(None, None, OffsetOutcome::NothingToOffset));
        }
        let vcus = VcuAmount::new(rounded)?;

        let held = self.lock_key(&key).await?;
        let settled = self.offset_held(&request, tonnes, vcus, &held).await;
        held.release().await;
        let (quote, outcome) = settled?;
        Ok(offset(Some(vcus), quote, outcome))
    }
}

/// A zero distance or zero units: nothing to calculate or order (zero tonnes is settled
/// after rounding, like a calculator's zero).
fn offsets_nothing(source: &EmissionSource) -> bool {
    match source {
        EmissionSource::Distance { meters, units, .. } => meters.is_zero() || units.is_zero(),
        EmissionSource::Route { units, .. } => units.is_zero(),
        EmissionSource::Tonnes { .. } => false,
    }
}

impl Carbonext {
    /// Steps 3 to 5 of an offset of `vcus`, with the key's lock `held`: the quote (when one
    /// was asked for) and the outcome.
    async fn offset_held(
        &self,
        request: &OffsetRequest,
        tonnes: Decimal,
        vcus: VcuAmount,
        held: &KeyGuard,
    ) -> Result<(Option<Quote>, OffsetOutcome)> {
        // A re-run finds the order placed before and reports it, whatever the price now. A
        // key that the key index, once filled, does not know is most likely new: it is looked
        // up and quoted at once (the quote is a read, wasted only when another process placed
        // the key meanwhile). Before the index is filled, nothing is guessed.
        let (existing, quoted) = match self.key_knowledge(&request.key) {
            KeyKnowledge::Known(known) => (Some(*known), None),
            KeyKnowledge::Unsure => (self.find_by_key(&request.key).await?, None),
            KeyKnowledge::Unknown => {
                let (found, quoted) = futures_util::future::join(
                    self.find_by_key(&request.key),
                    self.quote(vcus, request.currency.clone()),
                )
                .await;
                (found?, Some(quoted))
            }
        };
        if let Some(existing) = existing {
            // The key is bound to what it ordered: the VCUs this request's rounding gives, in
            // its currency, paid as it says.
            let mut differing = differing_vcus(vcus, &existing);
            differing.extend(differing_payment(request.pay_with_balance, &existing));
            if existing
                .target_currency
                .as_ref()
                .is_some_and(|currency| *currency != request.currency)
            {
                differing.push("targetCurrency");
            }
            if !differing.is_empty() {
                return Err(Error::KeyConflict {
                    key: request.key.clone(),
                    existing: Box::new(existing),
                    differing,
                });
            }
            return Ok((None, OffsetOutcome::Existing(existing)));
        }
        let quote = match quoted {
            Some(quoted) => quoted?,
            None => self.quote(vcus, request.currency.clone()).await?,
        };
        if let Some(limit) = request.max_total_price {
            if quote.total_price > limit {
                return Err(Error::PriceAboveLimit {
                    vcus,
                    quoted: quote.total_price,
                    limit,
                    currency: quote.currency.clone(),
                });
            }
        }
        if request.dry_run {
            return Ok((Some(quote), OffsetOutcome::DryRun));
        }
        let mut order = NewOrder::builder(vcus)
            .currency(request.currency.clone())
            .pay_with_balance(request.pay_with_balance)
            .meta_data(request.meta_data(tonnes).as_str())
            .key(request.key.clone());
        if let Some(recipient) = request.recipient.clone() {
            order = order.recipient(recipient);
        }
        let placed = self.create_order(order.build()?, Some(held)).await?;
        Ok((Some(quote), OffsetOutcome::Placed(placed.order)))
    }
}

impl Carbonext {
    /// Offsets every request of `items`, at most `concurrency` at a time (at least 1), and
    /// yields one [`BatchOutcome`] per item **in input order**.
    ///
    /// - Each item is exactly-once by its own key ([`Offsetting::offset`]): running the same
    ///   input again orders nothing twice, and reports the orders already placed as
    ///   [`OffsetOutcome::Existing`].
    /// - A failed item (a rejected route, a price above its limit, an outcome the API left
    ///   unknown…) is reported in its place and never stops the others.
    /// - Items are pulled from `items` only as slots free up, so memory stays flat in the
    ///   number of items: a million-row file streams through the same few buffers as ten rows.
    ///   A slow item (a flight's calculation, a retry) does not hold the others back: up to
    ///   `4 × concurrency` later results wait for it while new items keep starting.
    ///
    /// Keys should be unique within a batch: two items with one key place one order (the
    /// second reports it as existing).
    ///
    /// ```no_run
    /// use carbonext_domain::offset::{EmissionSource, OffsetRequest};
    /// use carbonext_domain::{Carbonext, Decimal, OrderKey};
    /// use futures::StreamExt;
    ///
    /// # async fn run(carbonext: Carbonext) -> Result<(), Box<dyn std::error::Error>> {
    /// let shipments = [("SHP-0001", "0.25"), ("SHP-0002", "1.5")];
    /// let items = futures::stream::iter(shipments).map(|(id, tonnes)| {
    ///     let source = EmissionSource::tonnes(tonnes.parse().unwrap()).unwrap();
    ///     let key = OrderKey::from_external_id("shipment", id).unwrap(); // the shipment's own id
    ///     OffsetRequest::builder(source, key).build().unwrap()
    /// });
    /// let mut results = carbonext.offset_batch(items, 8);
    /// while let Some(item) = results.next().await {
    ///     match item.result {
    ///         Ok(offset) => println!("{}: {}", item.key, offset.outcome.as_str()),
    ///         Err(error) => eprintln!("{}: {error}", item.key),
    ///     }
    /// }
    /// # Ok(()) }
    /// ```
    pub fn offset_batch<S>(
        &self,
        items: S,
        concurrency: usize,
    ) -> impl Stream<Item = BatchOutcome> + Send + 'static
    where
        S: Stream<Item = OffsetRequest> + Send + 'static,
    {
        let this = self.clone();
        let items = items.enumerate().map(move |(index, request)| {
            let this = this.clone();
            async move {
                let key = request.key().clone();
                let result = this.offset(request).await;
                BatchOutcome { index, key, result }
            }
        });
        run_in_order(items, concurrency)
    }
}
