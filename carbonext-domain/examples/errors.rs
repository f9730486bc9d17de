//! Errors handled by what they mean: `Error::kind()` names the failure (for metrics and
//! alerts) and `Error::is_retryable()` says whether the same call may succeed later, so a
//! queue consumer knows whether to retry an event, dead-letter it or call a person.
//!
//! Against the embedded sandbox, three failures are provoked and settled:
//! - a **validation** error: an order of -1.5 VCU, refused before anything is sent
//!   (dead-letter: the input is wrong);
//! - a **key conflict**: an order key already used for 1 VCU, given again for 2 VCU: refused
//!   with the existing order and the differing field, nothing sent (dead-letter: a key is
//!   bound to what it ordered);
//! - a **retryable** failure: the sandbox's fault injection answers every API request 503;
//!   the SDK retries per its `RetryPolicy` (4 attempts), then returns `Error::Api` with the
//!   status, retryable: once the API is back, the same call succeeds.
//!
//! It exits non-zero if any error is not the one described.
//!
//! ```sh
//! cargo run -p carbonext-domain --example errors
//! ```

use carbonext_domain::{
    Carbonext, Credentials, Currency, Environment, Error, NewOrder, OrderKey, PlacedOrder,
    RetryPolicy, VcuMarket,
};
use carbonext_sandbox::Sandbox;

/// What a queue consumer does with a failed event.
#[derive(Debug, PartialEq)]
enum Settle {
    /// Deliver the event again later (with the same order key: it is looked up first).
    RetryLater,
    /// A person must look: a revoked secret, an API that changed.
    Alert,
    /// The event itself is wrong; keep it aside with the error.
    DeadLetter,
}

fn settle(err: &Error) -> Settle {
    if err.is_retryable() {
        Settle::RetryLater
    } else if matches!(err.kind(), "auth" | "decode") {
        Settle::Alert
    } else {
        Settle::DeadLetter
    }
}

/// The service's handler: orders the VCUs an invoice's event asks for (`vcus` as the event
/// carries it), keyed by the invoice's id.
async fn buy(
    market: &impl VcuMarket,
    invoice_id: &str,
    vcus: &str,
) -> carbonext_domain::Result<PlacedOrder> {
    let order = NewOrder::builder(vcus.parse()?)
        .key(OrderKey::from_external_id("invoice", invoice_id)?)
        .build()?;
    market.place_order(order).await
}

fn report(what: &str, err: &Error) -> Settle {
    let settled = settle(err);
    println!(
        "{what}:\n  kind {:?}, retryable {}, status {:?} → {settled:?}\n  {err}",
        err.kind(),
        err.is_retryable(),
        err.status()
    );
    settled
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let sandbox = Sandbox::builder().start().await?;
    let carbonext = Carbonext::builder()
        .environment(Environment::custom(sandbox.api_url(), sandbox.token_url()))
        .credentials(Credentials::new(
            sandbox.client_id(),
            sandbox.client_secret(),
        ))
        .build()?;

    // 1. Invalid input (an event asking for -1.5 VCU): refused before anything is sent.
    let err = buy(&carbonext, "INV-2026-0041", "-1.5")
        .await
        .expect_err("a negative amount is refused");
    assert_eq!(report("an order of -1.5 VCU", &err), Settle::DeadLetter);
    assert!(matches!(err, Error::Validation(_)), "{err:?}");
    assert_eq!(err.kind(), "validation");
    assert_eq!(
        sandbox.counters().total_api_requests(),
        0,
        "nothing was sent"
    );

    // 2. A key already bound to another order: the invoice's event said 1 VCU, then 2.
    let placed = buy(&carbonext, "INV-2026-0042", "1").await?;
    let err = buy(&carbonext, "INV-2026-0042", "2")
        .await
        .expect_err("the key holds an order of 1 VCU");
    assert_eq!(
        report("the same key for another amount", &err),
        Settle::DeadLetter
    );
    let Error::KeyConflict {
        existing,
        differing,
        ..
    } = &err
    else {
        panic!("expected Error::KeyConflict, got {err:?}");
    };
    assert_eq!(
        existing.id, placed.order.id,
        "the error carries the order under the key"
    );
    assert_eq!(differing, &["vcuAmount"]);
    assert_eq!(err.kind(), "key_conflict");
    assert_eq!(
        sandbox.counters().operation("create_order"),
        1,
        "nothing sent for the second"
    );

    // 3. The API failing: every request answered 503 (fault injection), retried by the SDK,
    //    then returned as retryable.
    sandbox.faults().fail_share(503, 1.0);
    let before = sandbox.counters().operation("get_price");
    let err = carbonext
        .quote("1".parse()?, Currency::Brl)
        .await
        .expect_err("the API answers 503");
    assert_eq!(report("the API answering 503", &err), Settle::RetryLater);
    assert!(matches!(err, Error::Api(_)), "{err:?}");
    assert_eq!((err.kind(), err.status()), ("api", Some(503)));
    let attempts = sandbox.counters().operation("get_price") - before;
    println!("  the SDK sent it {attempts} times before giving up");
    assert_eq!(attempts, u64::from(RetryPolicy::default().max_attempts));

    // The API is back: retrying the same call later succeeds.
    sandbox.faults().clear();
    let quote = carbonext.quote("1".parse()?, Currency::Brl).await?;
    println!(
        "retried later: 1 VCU costs {} {}",
        quote.total_price, quote.currency
    );
    println!("ok: each failure settled by its kind");
    Ok(())
}
