//! Exactly-once orders: [`VcuMarket::place_order`](crate::VcuMarket::place_order) holds the
//! key's lock
//! ([`key_lock`](crate::key_lock)) over one lookup, the creation and, when an answer is lost,
//! the reconciliation that decides whether anything may be sent again.

use carbonext_api::operations;
use carbonext_auth::Verdict;

use super::carbonext::Carbonext;
use super::config::deadline_after;
use super::conflict::differing;
use super::failure::{AttemptError, Failure};
use crate::error::{Error, KeyLockError, Result};
use crate::key_lock::KeyGuard;
use crate::order::{NewOrder, Order, OrderKey};

/// What [`VcuMarket::place_order`](crate::VcuMarket::place_order) did. Serialises as the
/// order's own fields plus `alreadyExisted`.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PlacedOrder {
    /// The order, as the API reports it.
    #[serde(flatten)]
    pub order: Order,
    /// `true` when an order with the caller-given key already existed and none was placed.
    pub already_existed: bool,
}

impl Carbonext {
    /// [`VcuMarket::place_order`](crate::VcuMarket::place_order): sent again only when it
    /// provably was not processed: connect errors and 429 are retried; after an ambiguous
    /// failure (time-out, dropped connection, 5xx) the order is looked up by its key first, and
    /// sent again only when no order carries it. An existing order under the key is compared
    /// with the request first.
    pub(crate) async fn place_keyed(&self, order: NewOrder) -> Result<PlacedOrder> {
        if !order.key_was_given() {
            // A generated key is this call's alone: no lock, no lookup.
            return self.create_order(order, None).await;
        }
        let key = order.key().clone();
        let held = self.lock_key(&key).await?;
        let placed = match self.find_by_key(&key).await {
            Ok(Some(existing)) => match differing(&order, &existing) {
                differing if differing.is_empty() => {
                    tracing::debug!(order_key = %key, order_id = %existing.id, "an order with this key exists; not placing another");
                    Ok(PlacedOrder {
                        order: existing,
                        already_existed: true,
                    })
                }
                differing => Err(Error::KeyConflict {
                    key: key.clone(),
                    existing: Box::new(existing),
                    differing,
                }),
            },
            Ok(None) => self.create_order(order, Some(&held)).await,
            Err(err) => Err(err),
        };
        held.release().await;
        placed
    }

    /// Takes the lock of `key`, waiting at most the configured order key wait: concurrent
    /// placements of the key wait, then find this one's order. Release the guard once the
    /// placement is settled.
    pub(crate) async fn lock_key(&self, key: &OrderKey) -> Result<KeyGuard> {
        let wait = self.config().key_wait;
        let acquire = self
            .config()
            .key_lock
            .acquire_within(key, &self.config().timeouts);
        match tokio::time::timeout_at(deadline_after(wait), acquire).await {
            Ok(held) => held,
            Err(_) => Err(Error::KeyLock {
                key: key.clone(),
                reason: KeyLockError::TimedOut { waited: wait },
            }),
        }
    }

    /// Creates `order`, known absent, with the key's lock `held` when the caller gave the key:
    /// sent again only once proven unprocessed.
    pub(crate) async fn create_order(
        &self,
        order: NewOrder,
        held: Option<&KeyGuard>,
    ) -> Result<PlacedOrder> {
        let key = order.key().clone();
        if let Some(lost) = lost_lock(&key, held, false) {
            return Err(lost);
        }
        let body = order.to_wire();
        let key = &key;
        let placed = self
            .with_retries(
                operations::CREATE_ORDER,
                Some(key),
                || {
                    let sent = self.api().create_order().body(body.clone()).send();
                    async move {
                        let created = sent.await?.into_inner();
                        Ok(PlacedOrder {
                            order: Order::from(created),
                            already_existed: false,
                        })
                    }
                },
                |err| self.settle_order(key, held, err),
            )
            .await;
        if let (Ok(placed), Some(_)) = (&placed, held) {
            self.remember_placed(key, &placed.order);
        }
        placed
    }

    /// What a failed attempt to place the order with `key` means: retried when it provably
    /// was not processed, settled by looking the key up when it may have been.
    ///
    /// With the key's lock `held`, a lost lock stops the placement instead of sending again:
    /// another process may hold the key by now.
    async fn settle_order(
        &self,
        key: &OrderKey,
        held: Option<&KeyGuard>,
        err: AttemptError,
    ) -> Verdict<PlacedOrder, AttemptError> {
        let lost =
            || lost_lock(key, held, true).map(|e| Verdict::Done(Err(AttemptError::Settled(e))));
        let unknown = |err: AttemptError, why: String| {
            Verdict::Done(Err(AttemptError::Settled(Error::OutcomeUnknown {
                key: key.clone(),
                message: format!("{}; {why}", err.into_error(operations::CREATE_ORDER)),
            })))
        };
        // `Processed`: a 2xx whose body was undecodable or too large, so the order exists.
        let failure = err.failure();
        match failure {
            Failure::Final => Verdict::Done(Err(err)),
            Failure::NotSent | Failure::Throttled(_) => lost().unwrap_or(Verdict::Retry {
                after: failure.wait(),
                error: err,
            }),
            Failure::Ambiguous | Failure::Processed => match self.find_by_key(key).await {
                Ok(Some(existing)) => {
                    tracing::debug!(order_key = %key, order_id = %existing.id, "the order was placed after all");
                    Verdict::Done(Ok(PlacedOrder {
                        order: existing,
                        already_existed: false,
                    }))
                }
                // Never sent again after a success status: that could place it twice.
                Ok(None) if failure == Failure::Processed => {
                    unknown(err, "no order with this key was found".to_owned())
                }
                // Provably absent: safe to send again (the policy permitting), while the key
                // is still ours.
                Ok(None) => lost().unwrap_or(Verdict::Retry {
                    after: None,
                    error: err,
                }),
                Err(lookup) => unknown(err, format!("looking the order up failed: {lookup}")),
            },
        }
    }
}

/// [`Error::KeyLock`] when the placement of `key` holds a lock that was lost; `sent` says
/// whether a request to create the order went out.
fn lost_lock(key: &OrderKey, held: Option<&KeyGuard>, sent: bool) -> Option<Error> {
    let message = held?.is_held().err()?;
    tracing::warn!(order_key = %key, %message, "the order key lock was lost; stopping the placement");
    Some(Error::KeyLock {
        key: key.clone(),
        reason: KeyLockError::Lost { message, sent },
    })
}
