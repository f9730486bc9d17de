//! Lists: one page of orders or invoices through one helper, and the prefetching streams
//! that read every page.

use std::future::Future;
use std::num::NonZeroU32;
use std::sync::Arc;

use carbonext_api::{operations, Page};
use chrono::{DateTime, Utc};
use futures_util::stream::{self, BoxStream, StreamExt};

use super::carbonext::Carbonext;
use super::lookup::server_date;
use super::pipeline::{check_page, check_page_size};
use crate::error::Result;
use crate::ledger::Invoice;
use crate::order::Order;
use crate::query::{InvoiceQuery, OrderQuery};

/// Page size the streams ask for when the query sets none.
pub(crate) const STREAM_PAGE_SIZE: u32 = 100;

/// The four page arguments of a list call, validated.
struct PageArgs {
    page: NonZeroU32,
    size: Option<NonZeroU32>,
    filter: Option<String>,
    sort: Option<String>,
}

impl PageArgs {
    fn new(
        page: u32,
        size: Option<u32>,
        filter: Option<String>,
        sort: Option<String>,
    ) -> Result<Self> {
        Ok(Self {
            page: check_page(page)?,
            size: size.map(check_page_size).transpose()?,
            filter,
            sort,
        })
    }
}

/// `$call` (a generated list builder of orders or invoices, which take the same four page
/// arguments) with the arguments of `$args` set.
macro_rules! with_page_args {
    ($call:expr, $args:expr) => {{
        let args = &$args;
        let mut call = $call.page(args.page);
        if let Some(size) = args.size {
            call = call.page_size(size);
        }
        if let Some(filter) = &args.filter {
            call = call.filter_by(filter.clone());
        }
        if let Some(sort) = &args.sort {
            call = call.sort_by(sort.clone());
        }
        call
    }};
}

impl Carbonext {
    /// Page `page` of the orders `query` selects (its key aside: see
    /// [`orders_with_key`](Carbonext::orders_with_key)), and the server's clock when it said.
    pub(crate) async fn orders_page_dated(
        &self,
        query: &OrderQuery,
        page: u32,
    ) -> Result<(Page<Order>, Option<DateTime<Utc>>)> {
        let args = PageArgs::new(
            page,
            query.checked_page_size()?,
            query.filter_by()?,
            query.sort_by(),
        )?;
        let result = self
            .retrying(operations::LIST_ORDERS, || {
                with_page_args!(self.api().list_orders(), args).send()
            })
            .await?;
        let date = server_date(result.headers());
        Ok((result.into_inner().map(Order::from), date))
    }

    /// Page `page` of the orders `query` selects: with a key, the orders placed with exactly
    /// that key, in one page.
    pub(crate) async fn orders_page_of(
        &self,
        query: &OrderQuery,
        page: u32,
    ) -> Result<Page<Order>> {
        match query.order_key() {
            Some(key) => {
                check_page(page)?;
                let orders = self.orders_with_key(query, key).await?;
                Ok(single_page(orders, page))
            }
            None => Ok(self.orders_page_dated(query, page).await?.0),
        }
    }

    /// Page `page` of the invoices `query` selects.
    pub(crate) async fn invoices_page_of(
        &self,
        query: &InvoiceQuery,
        page: u32,
    ) -> Result<Page<Invoice>> {
        let args = PageArgs::new(
            page,
            query.checked_page_size()?,
            query.filter_by()?,
            query.sort_by(),
        )?;
        let result = self
            .retrying(operations::LIST_INVOICES, || {
                with_page_args!(self.api().list_invoices(), args).send()
            })
            .await?;
        Ok(result.into_inner().map(Invoice::from))
    }

    /// Every item of every page `fetch` gets for `query`, pages fetched ahead as configured.
    pub(crate) fn items_of<Q, T, F, Fut>(&self, query: Q, fetch: F) -> BoxStream<'static, Result<T>>
    where
        Q: Clone + Send + Sync + 'static,
        T: Send + 'static,
        F: Fn(Carbonext, Q, u32) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<Page<T>>> + Send + 'static,
    {
        let this = self.clone();
        self.paginate(move |page| fetch(this.clone(), query.clone(), page))
    }

    /// The items of page 1, then of pages 2 to its `totalPages`, `prefetch` pages ahead; the
    /// stream ends after the first error.
    pub(crate) fn paginate<T, F, Fut>(&self, fetch: F) -> BoxStream<'static, Result<T>>
    where
        T: Send + 'static,
        F: Fn(u32) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<Page<T>>> + Send + 'static,
    {
        let prefetch = self.config().prefetch;
        let fetch = Arc::new(fetch);
        let first = fetch(1);
        stream::once(first)
            .flat_map(move |first| match first {
                Err(err) => stream::iter(vec![Err(err)]).boxed(),
                Ok(page) => {
                    let pages = u32::try_from(page.total_pages).unwrap_or(0).max(1);
                    let fetch = Arc::clone(&fetch);
                    let rest = stream::iter(2..=pages)
                        .map(move |n| fetch(n))
                        .buffered(prefetch)
                        .flat_map(|page| match page {
                            Ok(page) => {
                                stream::iter(page.items.into_iter().map(Ok).collect::<Vec<_>>())
                            }
                            Err(err) => stream::iter(vec![Err(err)]),
                        });
                    stream::iter(page.items.into_iter().map(Ok).collect::<Vec<_>>())
                        .chain(rest)
                        .boxed()
                }
            })
            .scan(false, |failed, item| {
                // End the stream after the first error.
                if *failed {
                    return futures_util::future::ready(None);
                }
                *failed = item.is_err();
                futures_util::future::ready(Some(item))
            })
            .boxed()
    }
}

/// `orders` as page `page` of a one-page list (an empty page after it).
fn single_page(orders: Vec<Order>, page: u32) -> Page<Order> {
    let count = orders.len() as i64;
    let first = page == 1;
    Page {
        items: if first { orders } else { Vec::new() },
        page_index: page as i32,
        total_pages: i32::from(count > 0),
        total_count: count,
        aggregations: None,
        has_previous_page: !first,
        has_next_page: false,
    }
}
