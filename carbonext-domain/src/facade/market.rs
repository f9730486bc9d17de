//! [`VcuMarket`] for [`Carbonext`]: quotes, orders (placed through
//! `placement.rs`) and cancellations.

use async_trait::async_trait;
use carbonext_api::{operations, DecimalText};

use super::carbonext::Carbonext;
use super::placement::PlacedOrder;
use crate::error::{Result, ValidationError};
use crate::order::{NewOrder, Order, OrderId, Quote};
use crate::{Currency, VcuAmount, VcuMarket};

#[async_trait]
impl VcuMarket for Carbonext {
    async fn quote(&self, amount: VcuAmount, currency: Currency) -> Result<Quote> {
        let price = self
            .retrying(operations::GET_PRICE, || {
                self.api()
                    .get_price()
                    .vcu_amount(DecimalText(amount.value()))
                    .target_currency(currency.clone())
                    .send()
            })
            .await?
            .into_inner();
        Quote::new(amount, price.vcu_price.value(), price.currency).ok_or_else(|| {
            ValidationError::AmountTooLarge {
                value: amount.to_string(),
            }
            .into()
        })
    }

    async fn place_order(&self, order: NewOrder) -> Result<PlacedOrder> {
        self.place_keyed(order).await
    }

    async fn cancel_order(&self, id: OrderId) -> Result<Order> {
        let order = self
            .retrying(operations::CANCEL_ORDER, || {
                self.api().cancel_order().order_id(id.0).send()
            })
            .await?;
        Ok(Order::from(order.into_inner()))
    }

    async fn cancel_orders(&self, ids: Vec<OrderId>) -> Result<Vec<Order>> {
        if ids.is_empty() {
            return Err(ValidationError::Empty {
                what: "the list of orders to cancel",
            }
            .into());
        }
        let body = carbonext_api::types::CancelOrders {
            orders_ids: ids.iter().map(|id| id.0).collect(),
        };
        let cancelled = self
            .retrying(operations::CANCEL_ORDERS, || {
                self.api().cancel_orders().body(body.clone()).send()
            })
            .await?
            .into_inner();
        Ok(match cancelled {
            carbonext_api::CancelledOrders::Array(orders) => {
                orders.into_iter().map(Order::from).collect()
            }
            carbonext_api::CancelledOrders::Order(order) => vec![Order::from(order)],
        })
    }
}
