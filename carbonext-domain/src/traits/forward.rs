//! Every trait of [`traits`](super) implemented for `&T`, `Box<T>` and `Arc<T>` (`T` a sized
//! implementation or a `dyn` trait object), forwarding each call to `T`: a function taking
//! `&impl VcuMarket` (or `impl VcuMarket`) accepts a `&Carbonext`, an `Arc<dyn VcuMarket>`,
//! a `Box<dyn VcuMarket>` or a mock alike.
//!
//! ```
//! use std::sync::Arc;
//! use carbonext_domain::VcuMarket;
//!
//! fn handler(_market: &impl VcuMarket) {}
//!
//! fn wire(market: Arc<dyn VcuMarket>) {
//!     handler(&market);
//!     handler(&&*market);
//! }
//! ```

use std::sync::Arc;

use async_trait::async_trait;
use futures_util::stream::BoxStream;
use rust_decimal::Decimal;

use super::{Accounts, Calculator, Ledger, Offsetting, VcuMarket};
use crate::accounts::{
    AllowedFilters, ApiKey, ApiKeyId, NewApiKey, NewApiKeySecret, NewUser, Permission, Resource,
    User, UserId, UserUpdate,
};
use crate::calculator::{Airport, Emission, Route, TransportId, TransportType};
use crate::error::Result;
use crate::ledger::{Balance, Invoice, InvoiceId, Period};
use crate::offset::{Offset, OffsetRequest};
use crate::order::{NewOrder, Order, OrderId, Quote};
use crate::query::{InvoiceQuery, OrderQuery};
use crate::{Currency, Page, VcuAmount};

/// Implements `$trait` for `&T`, `Box<T>` and `Arc<T>` by forwarding every method to `T`.
/// A method added to a trait is added here once, in the trait's list.
macro_rules! forward {
    ($trait:ident {
        $(async fn $method:ident(&self $(, $arg:ident: $ty:ty)*) -> $ret:ty;)*
        $(fn $sync:ident(&self $(, $sarg:ident: $sty:ty)*) -> $sret:ty;)*
    }) => {
        forward!(@impl $trait, [&'a T] { $(async fn $method($($arg: $ty),*) -> $ret;)* $(fn $sync($($sarg: $sty),*) -> $sret;)* });
        forward!(@impl $trait, [Box<T>] { $(async fn $method($($arg: $ty),*) -> $ret;)* $(fn $sync($($sarg: $sty),*) -> $sret;)* });
        forward!(@impl $trait, [Arc<T>] { $(async fn $method($($arg: $ty),*) -> $ret;)* $(fn $sync($($sarg: $sty),*) -> $sret;)* });
    };
    (@impl $trait:ident, [$($pointer:tt)+] {
        $(async fn $method:ident($($arg:ident: $ty:ty),*) -> $ret:ty;)*
        $(fn $sync:ident($($sarg:ident: $sty:ty),*) -> $sret:ty;)*
    }) => {
        #[async_trait]
        impl<'a, T: $trait + ?Sized> $trait for $($pointer)+ {
            $(
                async fn $method(&self $(, $arg: $ty)*) -> $ret {
                    (**self).$method($($arg),*).await
                }
            )*
            $(
                fn $sync(&self $(, $sarg: $sty)*) -> $sret {
                    (**self).$sync($($sarg),*)
                }
            )*
        }
    };
}

forward!(VcuMarket {
    async fn quote(&self, amount: VcuAmount, currency: Currency) -> Result<Quote>;
    async fn place_order(&self, order: NewOrder) -> Result<crate::PlacedOrder>;
    async fn cancel_order(&self, id: OrderId) -> Result<Order>;
    async fn cancel_orders(&self, ids: Vec<OrderId>) -> Result<Vec<Order>>;
});

forward!(Ledger {
    async fn balance(&self, period: Option<Period>) -> Result<Balance>;
    async fn orders_page(&self, query: OrderQuery, page: u32) -> Result<Page<Order>>;
    async fn invoices_page(&self, query: InvoiceQuery, page: u32) -> Result<Page<Invoice>>;
    async fn invoice(&self, id: InvoiceId) -> Result<Invoice>;
    fn orders(&self, query: OrderQuery) -> BoxStream<'static, Result<Order>>;
    fn invoices(&self, query: InvoiceQuery) -> BoxStream<'static, Result<Invoice>>;
});

forward!(Calculator {
    async fn transport_types(&self) -> Result<Vec<TransportType>>;
    async fn emissions_by_distance(&self, transport: TransportId, meters: Decimal) -> Result<Emission>;
    async fn emissions_by_route(&self, transport: TransportId, route: Route, units: Decimal) -> Result<Emission>;
    fn airports(&self) -> BoxStream<'static, Result<Airport>>;
});

forward!(Offsetting {
    async fn offset(&self, request: OffsetRequest) -> Result<Offset>;
});

forward!(Accounts {
    async fn create_user(&self, user: NewUser) -> Result<User>;
    async fn users_page(&self, page: u32, page_size: u32) -> Result<Page<User>>;
    async fn user(&self, id: UserId) -> Result<User>;
    async fn update_user(&self, id: UserId, update: UserUpdate) -> Result<User>;
    async fn delete_user(&self, id: UserId) -> Result<()>;
    async fn create_api_key(&self, key: NewApiKey) -> Result<NewApiKeySecret>;
    async fn api_keys_page(&self, page: u32, page_size: u32) -> Result<Page<ApiKey>>;
    async fn api_key(&self, id: ApiKeyId) -> Result<ApiKey>;
    async fn permissions(&self) -> Result<Vec<Permission>>;
    async fn resources(&self) -> Result<Vec<Resource>>;
    async fn allowed_filters(&self, resource: Resource) -> Result<AllowedFilters>;
});
