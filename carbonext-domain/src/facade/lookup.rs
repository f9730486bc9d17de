//! The one key lookup: which orders carry exactly a given [`OrderKey`], relying only on what
//! the API documents or says at run time. Placement, offsets, reconciliation after a lost
//! answer and [`OrderQuery::key`] all go through it.
//!
//! The documented filters of orders (`GET /v1/allowed-filters/orders`) do not include
//! `metaData`, where the key is kept. So the lookup reads the orders of a **lookback window**
//! (14 days unless [`CarbonextBuilder::key_lookback`](crate::CarbonextBuilder::key_lookback)
//! says otherwise), newest first (`sort-by=createdAt_desc`, a documented sort), and matches the
//! exact key marker client-side. It keeps an index of the window's keys per client:
//!
//! - **First scan**: pages of up to 1,000 orders, newest first, until an order older than the
//!   window (the window ends at the server's `Date` header, so the server's clock, not ours,
//!   says what "14 days ago" is). When the window holds more than one page, the lookup first
//!   asks `GET /v1/allowed-filters/orders` once: if the API lists `metaData_like`, each
//!   lookup uses that filter instead (every page of matches, still matched exactly).
//! - **Refresh** before every lookup: page 1 of the newest orders, then further pages only
//!   while none of a page's orders was seen by an earlier scan; what it read joins the index
//!   when it completes, so a failed refresh leaves no gap behind orders it marked as seen.
//!   A refresh serves every lookup that began before it started: a lookup waits for one that
//!   started after it began, or starts one at once (see `refreshes.rs`).
//!
//! - **Known keys**: the newest 5,000 keyed orders of the window are kept whole, and those
//!   this client places are added at once. A placement whose key is among them is answered
//!   without a request (an order the API listed never leaves its list); an offset whose key a
//!   filled index does not hold is looked up and quoted at the same time.
//!
//! Placements hold the key's lock from before the lookup until the creation is settled, so
//! two placements of one key never both miss each other's order. Outside the window nothing
//! is guaranteed: an order older than the lookback is not found, and its key places a new one.

use std::collections::HashSet;
use std::sync::atomic::Ordering;

use chrono::{DateTime, NaiveDate, Utc};
use uuid::Uuid;

use super::carbonext::Carbonext;
use super::key_index::{created_day, Entry, Index, KeyKnowledge, Mode, FILL_PAGE_SIZE};
use super::refreshes::Step;
use crate::accounts::Resource;
use crate::error::Result;
use crate::order::{Order, OrderKey};
use crate::query::{OrderQuery, OrderSort, SortDirection};
use crate::Accounts;

/// Page size of a refresh and of a lookup by the metaData filter.
const REFRESH_PAGE_SIZE: u32 = 100;
/// The filter that, when the API lists it, replaces the window's index.
const META_DATA_LIKE: &str = "metaData_like";

impl Carbonext {
    /// Requests the first scan of the key index took (0 before it, or when the API offers the
    /// `metaData_like` filter and the index is not used).
    pub fn key_index_first_scan_requests(&self) -> u64 {
        self.lookup().first_scan_requests.load(Ordering::Relaxed)
    }

    /// Every order the API lists with exactly `key`, newest first: `Ok(vec![])` means
    /// provably absent within the lookback window. An order the index knows from an earlier
    /// page is listed again (by its creation day and VCU amount).
    pub(crate) async fn orders_keyed(&self, key: &OrderKey) -> Result<(Vec<Order>, Mode)> {
        let (whole, entries, mode) = self.lookup_key(key).await?;
        if entries.is_empty() {
            return Ok((whole, mode));
        }
        let again = self.listed_again(&OrderQuery::new(), &entries).await?;
        Ok((again, mode))
    }

    /// The lookup itself: the orders with `key` whole when the last page read held them all,
    /// otherwise the index's entries of them.
    async fn lookup_key(&self, key: &OrderKey) -> Result<(Vec<Order>, Vec<Entry>, Mode)> {
        let lookup = self.lookup();
        let ticket = lookup.refreshes.ticket();
        let filled = {
            let index = self.index();
            index.filled && index.window
        };
        if !filled {
            // The first scan decides the mode; one runs at a time, and lookups wait for it.
            let mut mode = lookup.mode.lock().await;
            if *mode != Some(Mode::MetaDataFilter) && !self.index().filled {
                self.served(ticket, Some(&mut *mode)).await?;
            }
            if *mode == Some(Mode::MetaDataFilter) {
                drop(mode);
                let query = OrderQuery::new().page_size(REFRESH_PAGE_SIZE);
                let found = self.matching(query, key).await?;
                return Ok((found, Vec::new(), Mode::MetaDataFilter));
            }
        }
        self.served(ticket, None).await?;
        let index = self.index();
        let entries = index.by_key.get(key).cloned().unwrap_or_default();
        let whole: Option<Vec<Order>> = entries
            .iter()
            .map(|e| index.recent.get(&e.id).cloned())
            .collect();
        Ok(match whole {
            Some(whole) => (whole, Vec::new(), Mode::Window),
            None => (Vec::new(), entries, Mode::Window),
        })
    }

    /// The first order listed with exactly `key`: `Ok(None)` when provably absent within the
    /// lookback window.
    pub(crate) async fn find_by_key(&self, key: &OrderKey) -> Result<Option<Order>> {
        if let Some(known) = self.known_order(key) {
            return Ok(Some(known));
        }
        Ok(self.orders_keyed(key).await?.0.into_iter().next())
    }

    /// What the key index says of `key` without a request: an order it holds whole, none
    /// although it is filled (so the key is most likely new), or nothing yet.
    pub(crate) fn key_knowledge(&self, key: &OrderKey) -> KeyKnowledge {
        if let Some(order) = self.known_order(key) {
            return KeyKnowledge::Known(Box::new(order));
        }
        let index = self.index();
        if index.window && index.filled && !index.by_key.contains_key(key) {
            KeyKnowledge::Unknown
        } else {
            KeyKnowledge::Unsure
        }
    }

    /// An order with `key` the index already holds whole, without a request: an order the
    /// API listed never leaves its list (a cancelled one stays, with its status), so a
    /// placement that finds its key here needs no refresh. `None` when the index holds none
    /// whole, or when the metaData filter replaces the index.
    pub(crate) fn known_order(&self, key: &OrderKey) -> Option<Order> {
        let index = self.index();
        if !index.window {
            return None;
        }
        let entry = index.by_key.get(key)?.first()?;
        index.recent.get(&entry.id).cloned()
    }

    /// Tells the index about an order this client just placed under `key`.
    pub(crate) fn remember_placed(&self, key: &OrderKey, order: &Order) {
        let mut index = self.index();
        if index.window {
            index.remember_placed(key.clone(), order.clone());
        }
    }

    fn index(&self) -> std::sync::MutexGuard<'_, Index> {
        self.lookup()
            .index
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The orders `query` selects among those placed with exactly its key, as the API lists
    /// them now: the index says which, and each is listed again by its creation day and VCU
    /// amount (documented filters) with the query's other filters.
    pub(crate) async fn orders_with_key(
        &self,
        query: &OrderQuery,
        key: &OrderKey,
    ) -> Result<Vec<Order>> {
        let (whole, mut entries, mode) = self.lookup_key(key).await?;
        let query = query.clone().without_key();
        if mode == Mode::MetaDataFilter {
            return self.matching(query, key).await;
        }
        entries.extend(whole.iter().map(|o| Entry {
            id: o.id.0,
            day: created_day(o),
            vcus: o.vcu_amount,
        }));
        self.listed_again(&query, &entries).await
    }

    /// The orders of `entries` as `query` lists them now, each by its creation day and VCU
    /// amount.
    async fn listed_again(&self, query: &OrderQuery, entries: &[Entry]) -> Result<Vec<Order>> {
        let mut orders: Vec<Order> = Vec::new();
        for entry in entries {
            let mut again = query.clone().vcu_amount(crate::FilterOp::Eq, entry.vcus);
            if let Some(day) = entry.day {
                again = again.created_on(day);
            }
            // Pages until the entry's order shows up: the rest cannot hold it.
            let mut number = 1;
            loop {
                let (page, _) = self.orders_page_dated(&again, number).await?;
                let total = page.total_pages;
                if let Some(order) = page.items.into_iter().find(|o| o.id.0 == entry.id) {
                    if !orders.iter().any(|o| o.id == order.id) {
                        orders.push(order);
                    }
                    break;
                }
                if i64::from(number) >= i64::from(total) {
                    break;
                }
                number += 1;
            }
        }
        Ok(orders)
    }

    /// Every order of every page of `query` plus the `metaData like KEY` filter whose key is
    /// exactly `key` (the filter also matches the keys that contain it).
    async fn matching(&self, query: OrderQuery, key: &OrderKey) -> Result<Vec<Order>> {
        let listed = self.all_pages(query.meta_data_like(key)).await?;
        Ok(listed
            .into_iter()
            .filter(|o| o.key() == Some(key))
            .collect())
    }

    /// Every order of every page of `query`. Orders created meanwhile only push the others
    /// towards later pages, so none is skipped (one may be read twice).
    async fn all_pages(&self, query: OrderQuery) -> Result<Vec<Order>> {
        let mut orders: Vec<Order> = Vec::new();
        let mut read: HashSet<Uuid> = HashSet::new();
        let mut number = 1;
        loop {
            let (page, _) = self.orders_page_dated(&query, number).await?;
            let total = page.total_pages;
            orders.extend(page.items.into_iter().filter(|o| read.insert(o.id.0)));
            if i64::from(number) >= i64::from(total) {
                return Ok(orders);
            }
            number += 1;
        }
    }

    /// Returns once a refresh that started after the lookup holding `ticket` began has
    /// completed, running one when none that would serve it is under way: the first scan
    /// (with `first_scan`, the mode it decides) or a refresh of the filled index.
    async fn served(&self, ticket: u64, mut first_scan: Option<&mut Option<Mode>>) -> Result<()> {
        loop {
            match self.lookup().refreshes.next_step(ticket) {
                Step::Served => return Ok(()),
                // An error means the refresh's sender is gone, which it never is while the
                // client lives: ask again either way.
                Step::Wait(mut ended) => _ = ended.changed().await,
                Step::Refresh(running) => {
                    match first_scan.as_deref_mut() {
                        Some(mode) => self.first_scan(mode).await?,
                        None => self.refresh_newest().await?,
                    }
                    running.completed();
                    return Ok(());
                }
            }
        }
    }

    /// The first day of the lookback window, by the server's clock when it gave it.
    fn window_start(&self, server_now: Option<DateTime<Utc>>) -> NaiveDate {
        let now = server_now.unwrap_or_else(Utc::now);
        let lookback =
            chrono::Duration::from_std(self.config().key_lookback).unwrap_or(chrono::Duration::MAX);
        now.checked_sub_signed(lookback)
            .map_or(NaiveDate::MIN, |start| start.date_naive())
    }

    /// Fills the index: every order of the window, newest first, deciding the mode after the
    /// first page.
    async fn first_scan(&self, mode: &mut Option<Mode>) -> Result<()> {
        let newest_first = OrderQuery::new()
            .sort(OrderSort::CreatedAt, SortDirection::Desc)
            .page_size(FILL_PAGE_SIZE);
        let mut number = 1;
        loop {
            let (page, server_now) = self.orders_page_dated(&newest_first, number).await?;
            self.lookup()
                .first_scan_requests
                .fetch_add(1, Ordering::Relaxed);
            let cutoff = self.window_start(server_now);
            let total = page.total_pages;
            {
                let mut index = self.index();
                index.slide(cutoff);
                let mut done = false;
                for order in page.items {
                    // An order older than the window ends the scan.
                    if !index.learn(order, cutoff) {
                        done = true;
                    }
                }
                if done || i64::from(number) >= i64::from(total) {
                    index.filled = true;
                    index.window = true;
                    *mode = Some(Mode::Window);
                    return Ok(());
                }
            }
            if number == 1 && mode.is_none() {
                // More than a page in the window: a filter, if the API offers one, is cheaper.
                if self.offers_meta_data_filter().await? {
                    *mode = Some(Mode::MetaDataFilter);
                    *self.index() = Index::default();
                    return Ok(());
                }
                *mode = Some(Mode::Window);
                self.index().window = true;
            }
            number += 1;
        }
    }

    /// Brings the filled index up to date: the newest orders, page by page until a page holds
    /// one an earlier scan saw (or one older than the window). What it read joins the index
    /// only once it has read it all, so the orders marked as seen always include every older
    /// order of the window, whichever refreshes fail or run at once.
    async fn refresh_newest(&self) -> Result<()> {
        let newest_first = OrderQuery::new()
            .sort(OrderSort::CreatedAt, SortDirection::Desc)
            .page_size(REFRESH_PAGE_SIZE);
        let mut read: Vec<Order> = Vec::new();
        let mut number = 1;
        loop {
            let (page, server_now) = self.orders_page_dated(&newest_first, number).await?;
            let cutoff = self.window_start(server_now);
            let total = page.total_pages;
            let last = {
                let index = self.index();
                page.items.iter().any(|order| {
                    index.seen.contains(&order.id.0)
                        || created_day(order).is_some_and(|day| day < cutoff)
                })
            };
            read.extend(page.items);
            if last || i64::from(number) >= i64::from(total) {
                let mut index = self.index();
                index.slide(cutoff);
                for order in read {
                    index.learn(order, cutoff);
                }
                return Ok(());
            }
            number += 1;
        }
    }

    /// Whether `GET /v1/allowed-filters/orders` lists `metaData_like`.
    async fn offers_meta_data_filter(&self) -> Result<bool> {
        let allowed = self.allowed_filters(Resource::Orders).await?;
        Ok(allowed
            .filters
            .iter()
            .any(|f| f.eq_ignore_ascii_case(META_DATA_LIKE)))
    }
}

/// The server's clock from a `Date` header (RFC 9110 §6.6.1; `Sun, 06 Nov 1994 08:49:37 GMT`).
pub(crate) fn server_date(headers: &reqwest::header::HeaderMap) -> Option<DateTime<Utc>> {
    let text = headers.get(reqwest::header::DATE)?.to_str().ok()?;
    DateTime::parse_from_rfc2822(text)
        .ok()
        .map(|date| date.with_timezone(&Utc))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_server_s_date_header_is_read_as_utc() {
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert(
            reqwest::header::DATE,
            "Mon, 15 Jan 2024 12:00:00 GMT".parse().unwrap(),
        );
        let date = server_date(&headers).expect("a valid date");
        assert_eq!(date.to_rfc3339(), "2024-01-15T12:00:00+00:00");
        headers.insert(reqwest::header::DATE, "yesterday".parse().unwrap());
        assert_eq!(server_date(&headers), None);
    }
}
