//! The traits services program against: [`VcuMarket`], [`Ledger`], [`Calculator`],
//! [`Offsetting`] and [`Accounts`].
//!
//! All are object-safe (`Arc<dyn VcuMarket>` works), `Send + Sync`, and implemented by the
//! [`Carbonext`](crate::Carbonext) facade. With the `mock` feature each has a mockall mock
//! (`MockVcuMarket`, `MockLedger`, `MockCalculator`, `MockOffsetting`, `MockAccounts`) for your own tests.
//! Each is also implemented for `&T`, `Box<T>` and `Arc<T>` (forwarding to `T`), so a function
//! taking `&impl VcuMarket` accepts an `Arc<dyn VcuMarket>`.

mod forward;

use async_trait::async_trait;
use futures_util::stream::BoxStream;
use rust_decimal::Decimal;

use crate::accounts::{
    AllowedFilters, ApiKey, ApiKeyId, NewApiKey, NewApiKeySecret, NewUser, Permission, Resource,
    User, UserId, UserUpdate,
};
use crate::calculator::{Airport, Emission, Route, TransportId, TransportType};
use crate::error::Result;
use crate::facade::PlacedOrder;
use crate::ledger::{Balance, Invoice, InvoiceId, Period};
use crate::offset::{Offset, OffsetRequest};
use crate::order::{NewOrder, Order, OrderId, Quote};
use crate::query::{InvoiceQuery, OrderQuery};
use crate::{Currency, Page, VcuAmount};

/// What moves money: quotes, orders and cancellations.
#[cfg_attr(feature = "mock", mockall::automock)]
#[async_trait]
pub trait VcuMarket: Send + Sync {
    /// Price of `amount` VCUs in `currency` now.
    async fn quote(&self, amount: VcuAmount, currency: Currency) -> Result<Quote>;

    /// Places `order` exactly once per key, and says whether an order with its key already
    /// existed ([`PlacedOrder::already_existed`]; nothing was placed then). An ambiguous failure
    /// is settled by looking the key up, never by blindly sending it again. An existing order
    /// under the key that differs from `order` (VCUs, currency, a recipient field given) is
    /// [`Error::KeyConflict`](crate::Error::KeyConflict), nothing sent.
    async fn place_order(&self, order: NewOrder) -> Result<PlacedOrder>;

    /// Cancels one order (only `Issued`, within 10 days of purchase).
    async fn cancel_order(&self, id: OrderId) -> Result<Order>;

    /// Cancels several orders in one call.
    async fn cancel_orders(&self, ids: Vec<OrderId>) -> Result<Vec<Order>>;
}

/// What reads the account: balance, orders and invoices.
#[cfg_attr(feature = "mock", mockall::automock)]
#[async_trait]
pub trait Ledger: Send + Sync {
    /// Balance per currency, over `period` or all time.
    async fn balance(&self, period: Option<Period>) -> Result<Balance>;

    /// One page (1-based) of orders.
    async fn orders_page(&self, query: OrderQuery, page: u32) -> Result<Page<Order>>;

    /// Every order matching `query`, in order, fetching a few pages ahead.
    fn orders(&self, query: OrderQuery) -> BoxStream<'static, Result<Order>>;

    /// One page (1-based) of invoices.
    async fn invoices_page(&self, query: InvoiceQuery, page: u32) -> Result<Page<Invoice>>;

    /// Every invoice matching `query`, in order, fetching a few pages ahead.
    fn invoices(&self, query: InvoiceQuery) -> BoxStream<'static, Result<Invoice>>;

    /// One invoice.
    async fn invoice(&self, id: InvoiceId) -> Result<Invoice>;
}

/// Emissions of transport, to know how many VCUs neutralise them.
///
/// The transport is a [`TransportId`]: take it from [`Calculator::transport_types`]
/// (`transport.id`), or give one kept elsewhere ([`TransportId::new`]). An id this version
/// does not know is sent as given: the server, not the SDK, says whether it exists.
///
/// ```no_run
/// use carbonext_domain::calculator::Route;
/// use carbonext_domain::{Calculator, Decimal};
///
/// # async fn run(calculator: &dyn Calculator) -> carbonext_domain::Result<()> {
/// let types = calculator.transport_types().await?;
/// let plane = types.iter().find(|t| t.name == "PassengerAirplane").expect("listed");
/// let flight = calculator
///     .emissions_by_route(plane.id, Route::air("GRU", "GIG")?, Decimal::from(2))
///     .await?;
/// println!("{} {}", flight.emission, flight.unit.as_deref().unwrap_or(""));
/// # Ok(()) }
/// ```
#[cfg_attr(feature = "mock", mockall::automock)]
#[async_trait]
pub trait Calculator: Send + Sync {
    /// Supported transport types, as the server lists them (unknown ones included).
    async fn transport_types(&self) -> Result<Vec<TransportType>>;

    /// Every airport usable in a [`Route::Air`]. An entry whose code is not three letters
    /// (which no route could use) is left out, with a warning in the logs.
    fn airports(&self) -> BoxStream<'static, Result<Airport>>;

    /// Emissions of `meters` travelled by `transport`, in the type's response unit. Refuses
    /// zero or negative meters before sending anything.
    async fn emissions_by_distance(
        &self,
        transport: TransportId,
        meters: Decimal,
    ) -> Result<Emission>;

    /// Emissions of `route` (ZIP codes by road, airport codes by air) for `units` of the
    /// type's request unit (grams, passengers), in tCO2eq. Refuses zero or negative units
    /// before sending anything; the route's codes were validated when it was made.
    async fn emissions_by_route(
        &self,
        transport: TransportId,
        route: Route,
        units: Decimal,
    ) -> Result<Emission>;
}

/// Offsetting an emission: calculate it, turn it into VCUs, quote them and order them exactly
/// once (see [`crate::offset`] for the steps and what each sends).
///
/// ```no_run
/// use carbonext_domain::offset::{EmissionSource, OffsetRequest, Rounding};
/// use carbonext_domain::{Decimal, Offsetting, OrderKey};
///
/// # async fn run(offsetting: &dyn Offsetting) -> Result<(), Box<dyn std::error::Error>> {
/// let request = OffsetRequest::builder(
///     EmissionSource::tonnes("1.25".parse()?)?,
///     OrderKey::from_external_id("shipment", "SHP-0042")?, // the shipment's own id
/// )
/// .rounding(Rounding::UpToWholeVcus)
/// .build()?;
/// let offset = offsetting.offset(request).await?;
/// println!("{} VCUs: {}", offset.vcus.map(|v| v.to_string()).unwrap_or_default(), offset.outcome.as_str());
/// # Ok(()) }
/// ```
#[cfg_attr(feature = "mock", mockall::automock)]
#[async_trait]
pub trait Offsetting: Send + Sync {
    /// Offsets `request`'s emission exactly once under its key: the calculation, the VCUs,
    /// the quote and the order (placed, or found already placed). A zero emission orders
    /// nothing ([`OffsetOutcome::NothingToOffset`](crate::offset::OffsetOutcome::NothingToOffset));
    /// a quote above the request's price limit is
    /// [`Error::PriceAboveLimit`](crate::Error::PriceAboveLimit), with nothing ordered.
    async fn offset(&self, request: OffsetRequest) -> Result<Offset>;
}

/// Administration: users, API keys, permissions and filter metadata.
#[cfg_attr(feature = "mock", mockall::automock)]
#[async_trait]
pub trait Accounts: Send + Sync {
    /// Creates a user.
    async fn create_user(&self, user: NewUser) -> Result<User>;
    /// One page of users.
    async fn users_page(&self, page: u32, page_size: u32) -> Result<Page<User>>;
    /// One user.
    async fn user(&self, id: UserId) -> Result<User>;
    /// Updates a user's name and permissions.
    async fn update_user(&self, id: UserId, update: UserUpdate) -> Result<User>;
    /// Deletes a user.
    async fn delete_user(&self, id: UserId) -> Result<()>;
    /// Creates an API key; its secret is returned this once.
    async fn create_api_key(&self, key: NewApiKey) -> Result<NewApiKeySecret>;
    /// One page of API keys.
    async fn api_keys_page(&self, page: u32, page_size: u32) -> Result<Page<ApiKey>>;
    /// One API key with its permissions.
    async fn api_key(&self, id: ApiKeyId) -> Result<ApiKey>;
    /// Every permission that can be granted.
    async fn permissions(&self) -> Result<Vec<Permission>>;
    /// Resources that accept filters, as the server lists them (unknown ones kept as
    /// [`Resource::Unknown`]).
    async fn resources(&self) -> Result<Vec<Resource>>;
    /// Filters, sorts and aggregations `resource` accepts.
    async fn allowed_filters(&self, resource: Resource) -> Result<AllowedFilters>;
}
