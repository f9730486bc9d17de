//! One poll's requests: what the watcher lists, on documented filters only
//! (`GET /v1/allowed-filters/orders`: `status_in`, `invoiceId_eq`, `createdAt_eq`, the sort
//! `createdAt_desc`), and in which order. Every list call goes through the facade's pipeline
//! (time limits, retries of 5xx, 429 and network failures).
//!
//! 1. **Open orders**: `status_in:Issued-Billed`, newest first, pages of
//!    [`POLL_PAGE_SIZE`](super::POLL_PAGE_SIZE).
//! 2. **New orders**: every status, newest first, until the first order the watcher knows or
//!    one created before its horizon: a first page of
//!    [`SCAN_FIRST_PAGE_SIZE`](super::SCAN_FIRST_PAGE_SIZE), then pages of
//!    [`POLL_PAGE_SIZE`](super::POLL_PAGE_SIZE) from the start when it was all new.
//! 3. **Settlement** of each tracked open order that neither list showed (it reached a final
//!    status, or moved between pages of the first list): its invoice's orders
//!    (`invoiceId_eq`) when it has one, otherwise the orders of its creation day
//!    (`createdAt_eq`), matched by id; one listing per invoice and per day, shared by every
//!    order that needs it.
//!
//! A fresh store's first poll lists the open orders and the newest order
//! ([`StartFrom::Now`]), or the whole history instead ([`StartFrom::Beginning`]).

use std::collections::{BTreeMap, BTreeSet, HashSet};

use chrono::{NaiveDate, Utc};

use super::tracker::{Observation, Tracker};
use super::watcher::{POLL_PAGE_SIZE, SCAN_FIRST_PAGE_SIZE};
use super::StartFrom;
use crate::error::Result;
use crate::query::{OrderQuery, OrderSort, SortDirection};
use crate::{Carbonext, InvoiceId, Order, OrderId, OrderStatus, Timestamp};

/// What one poll saw, in the order it saw it, and how many list requests it made.
#[derive(Debug, Default)]
pub(crate) struct Observed {
    /// Every order listed, in the order of the responses.
    pub observations: Vec<Observation>,
    /// List requests made (retries not counted).
    pub requests: u64,
}

impl Observed {
    fn saw(&self) -> HashSet<OrderId> {
        self.observations.iter().map(|o| o.order.id).collect()
    }
}

/// Newest first.
fn newest_first() -> OrderQuery {
    OrderQuery::new().sort(OrderSort::CreatedAt, SortDirection::Desc)
}

/// What a list of open orders is.
fn open_orders() -> OrderQuery {
    newest_first().status_in([OrderStatus::Issued, OrderStatus::Billed])
}

impl Carbonext {
    /// One poll's observations (see the module docs).
    pub(crate) async fn observe_orders(
        &self,
        tracker: &Tracker,
        start: StartFrom,
    ) -> Result<Observed> {
        let mut observed = Observed::default();
        if tracker.is_fresh() && start == StartFrom::Beginning {
            self.list_all(newest_first(), &mut observed).await?;
            return Ok(observed);
        }
        self.list_all(open_orders(), &mut observed).await?;
        if tracker.is_fresh() {
            // The newest order of all sets the horizon.
            let newest = newest_first().page_size(1);
            let (items, _) = self.fetch(&newest, 1, &mut observed).await?;
            observed.observations.extend(items);
        } else {
            self.scan_new(tracker, &mut observed).await?;
        }
        self.settle(tracker, &mut observed).await?;
        Ok(observed)
    }

    /// Page `number` of `query` (one request), each order with the response's `Date`; the
    /// page's `totalPages`.
    async fn fetch(
        &self,
        query: &OrderQuery,
        number: u32,
        observed: &mut Observed,
    ) -> Result<(Vec<Observation>, i32)> {
        observed.requests += 1;
        let (page, date) = self.orders_page_dated(query, number).await?;
        let observed_at = Timestamp::from_utc(date.unwrap_or_else(Utc::now));
        let items = page
            .items
            .into_iter()
            .map(|order| Observation {
                order,
                observed_at: observed_at.clone(),
            })
            .collect();
        Ok((items, page.total_pages))
    }

    /// The orders of every page of `query` (pages of [`POLL_PAGE_SIZE`]) down to the first
    /// for which `stop` holds (itself left out).
    async fn list_until(
        &self,
        query: OrderQuery,
        observed: &mut Observed,
        stop: impl Fn(&Order) -> bool,
    ) -> Result<Vec<Observation>> {
        let query = query.page_size(POLL_PAGE_SIZE);
        let mut listed = Vec::new();
        let mut number = 1;
        loop {
            let (items, total) = self.fetch(&query, number, observed).await?;
            let end = items.iter().position(|o| stop(&o.order));
            let stopped = end.is_some();
            listed.extend(items.into_iter().take(end.unwrap_or(usize::MAX)));
            if stopped || i64::from(number) >= i64::from(total) {
                return Ok(listed);
            }
            number += 1;
        }
    }

    /// Every order `query` lists, observed.
    async fn list_all(&self, query: OrderQuery, observed: &mut Observed) -> Result<()> {
        let listed = self.list_until(query, observed, |_| false).await?;
        observed.observations.extend(listed);
        Ok(())
    }

    /// Orders created since the last poll, newest first, down to (without) the first known
    /// one or the first created before the horizon.
    async fn scan_new(&self, tracker: &Tracker, observed: &mut Observed) -> Result<()> {
        let horizon = tracker.horizon().cloned();
        let stop = |order: &Order| {
            tracker.knows(&order.id)
                || match (&order.created_at, &horizon) {
                    (Some(created), Some(horizon)) => created < horizon,
                    _ => false,
                }
        };
        let first = newest_first().page_size(SCAN_FIRST_PAGE_SIZE);
        let (items, total) = self.fetch(&first, 1, observed).await?;
        let end = items.iter().position(|o| stop(&o.order));
        if end.is_some() || total <= 1 {
            let new = items.into_iter().take(end.unwrap_or(usize::MAX));
            observed.observations.extend(new);
            return Ok(());
        }
        // More new orders than a small page: read on in large pages (from the start, so that
        // orders created meanwhile only push the rest further, never past us).
        let listed = self.list_until(newest_first(), observed, stop).await?;
        observed.observations.extend(listed);
        Ok(())
    }

    /// Lists again, by invoice or by creation day, the tracked open orders no list showed.
    async fn settle(&self, tracker: &Tracker, observed: &mut Observed) -> Result<()> {
        let saw = observed.saw();
        let mut by_invoice: BTreeMap<InvoiceId, BTreeSet<OrderId>> = BTreeMap::new();
        let mut by_day: BTreeMap<NaiveDate, BTreeSet<OrderId>> = BTreeMap::new();
        let mut unreachable = 0usize;
        for (id, tracked) in tracker.open().filter(|(id, _)| !saw.contains(id)) {
            let day = tracked.created_at.as_ref().map(|t| t.utc().date_naive());
            match (tracked.invoice_id, day) {
                (Some(invoice), _) => {
                    by_invoice.entry(invoice).or_default().insert(*id);
                }
                (None, Some(day)) => {
                    by_day.entry(day).or_default().insert(*id);
                }
                (None, None) => unreachable += 1,
            }
        }
        if unreachable > 0 {
            tracing::warn!(
                orders = unreachable,
                "tracked orders with neither an invoice nor a creation date cannot be listed again"
            );
        }
        for (invoice, wanted) in by_invoice {
            let query = newest_first().invoice_id(invoice);
            let found = self.listed_among(query, &wanted, observed).await?;
            // Not on its invoice (it should be): its creation day says.
            for id in wanted.difference(&found) {
                let created = tracker.get(id).and_then(|t| t.created_at.as_ref());
                if let Some(created) = created {
                    by_day
                        .entry(created.utc().date_naive())
                        .or_default()
                        .insert(*id);
                }
            }
        }
        for (day, wanted) in by_day {
            let found = self
                .listed_among(newest_first().created_on(day), &wanted, observed)
                .await?;
            if found.len() < wanted.len() {
                tracing::warn!(%day, missing = wanted.len() - found.len(), "tracked orders not listed on their creation day");
            }
        }
        Ok(())
    }

    /// Every page of `query`, keeping only the orders of `wanted`; which of them it listed.
    async fn listed_among(
        &self,
        query: OrderQuery,
        wanted: &BTreeSet<OrderId>,
        observed: &mut Observed,
    ) -> Result<BTreeSet<OrderId>> {
        let listed = self.list_until(query, observed, |_| false).await?;
        let mut found = BTreeSet::new();
        for observation in listed {
            if wanted.contains(&observation.order.id) && found.insert(observation.order.id) {
                observed.observations.push(observation);
            }
        }
        Ok(found)
    }
}
