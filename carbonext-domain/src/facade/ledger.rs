//! [`Ledger`] for [`Carbonext`]: balance, and orders and invoices by page or as streams
//! (through [`paging`](super::paging)).

use async_trait::async_trait;
use carbonext_api::{operations, Page};
use futures_util::stream::{BoxStream, StreamExt};

use super::carbonext::Carbonext;
use super::paging::STREAM_PAGE_SIZE;
use crate::error::Result;
use crate::ledger::{Balance, Invoice, InvoiceId, Period};
use crate::order::Order;
use crate::query::{InvoiceQuery, OrderQuery};
use crate::Ledger;

#[async_trait]
impl Ledger for Carbonext {
    async fn balance(&self, period: Option<Period>) -> Result<Balance> {
        let period = period.unwrap_or_default();
        let balance = self
            .retrying(operations::GET_BALANCE, || {
                let mut call = self.api().get_balance();
                if let Some(start) = period.start() {
                    call = call.start_date(start);
                }
                if let Some(end) = period.end() {
                    call = call.end_date(end);
                }
                call.send()
            })
            .await?;
        Ok(Balance::from(balance.into_inner()))
    }

    async fn orders_page(&self, query: OrderQuery, page: u32) -> Result<Page<Order>> {
        self.orders_page_of(&query, page).await
    }

    fn orders(&self, query: OrderQuery) -> BoxStream<'static, Result<Order>> {
        let query = query.with_default_page_size(STREAM_PAGE_SIZE);
        if let Some(key) = query.order_key().cloned() {
            let this = self.clone();
            return futures_util::stream::once(
                async move { this.orders_with_key(&query, &key).await },
            )
            .flat_map(|listed| match listed {
                Ok(orders) => {
                    futures_util::stream::iter(orders.into_iter().map(Ok).collect::<Vec<_>>())
                }
                Err(err) => futures_util::stream::iter(vec![Err(err)]),
            })
            .boxed();
        }
        self.items_of(query, |this, query, page| async move {
            this.orders_page_of(&query, page).await
        })
    }

    async fn invoices_page(&self, query: InvoiceQuery, page: u32) -> Result<Page<Invoice>> {
        self.invoices_page_of(&query, page).await
    }

    fn invoices(&self, query: InvoiceQuery) -> BoxStream<'static, Result<Invoice>> {
        let query = query.with_default_page_size(STREAM_PAGE_SIZE);
        self.items_of(query, |this, query, page| async move {
            this.invoices_page_of(&query, page).await
        })
    }

    async fn invoice(&self, id: InvoiceId) -> Result<Invoice> {
        let invoice = self
            .retrying(operations::GET_INVOICE, || {
                self.api().get_invoice().id(id.0).send()
            })
            .await?;
        Ok(Invoice::from(invoice.into_inner()))
    }
}
