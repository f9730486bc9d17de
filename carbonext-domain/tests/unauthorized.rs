//! 401 answers: the facade drops the refused token and sends the call again, built anew, once;
//! never more, and never twice for an order or a user.

mod common;

use carbonext_domain::accounts::NewUser;
use carbonext_domain::{
    Accounts, Carbonext, Credentials, Currency, Error, Ledger, NewOrder, OrderQuery, VcuAmount,
    VcuMarket,
};
use carbonext_sandbox::Sandbox;
use futures::TryStreamExt;

fn vcu(text: &str) -> VcuAmount {
    text.parse().expect("a valid amount")
}

/// `(requests to operation, token requests)` so far.
fn counts(sandbox: &Sandbox, operation: &str) -> (u64, u64) {
    let counters = sandbox.counters();
    (counters.operation(operation), counters.token_requests())
}

#[tokio::test]
async fn a_revoked_token_is_replaced_and_the_read_sent_again_once() {
    let sandbox = common::sandbox().await;
    let carbonext = common::connect(&sandbox);
    carbonext.quote(vcu("1"), Currency::Brl).await.unwrap();
    let (prices, tokens) = counts(&sandbox, "get_price");

    sandbox.faults().revoke_all_tokens();
    let quote = carbonext.quote(vcu("2"), Currency::Brl).await.unwrap();
    assert_eq!(quote.vcu_amount, vcu("2"));
    assert_eq!(
        counts(&sandbox, "get_price"),
        (prices + 2, tokens + 1),
        "one refused request, one new token, one resend"
    );
    assert_eq!(sandbox.counters().expired_token_rejections(), 1);

    // The new token stays in use.
    carbonext.quote(vcu("3"), Currency::Brl).await.unwrap();
    assert_eq!(counts(&sandbox, "get_price"), (prices + 3, tokens + 1));
}

#[tokio::test]
async fn an_order_refused_with_401_is_placed_exactly_once_with_a_new_token() {
    let sandbox = common::sandbox().await;
    let carbonext = common::connect(&sandbox);
    carbonext.balance(None).await.unwrap();
    let (creates, tokens) = counts(&sandbox, "create_order");

    sandbox.faults().revoke_all_tokens();
    let order = NewOrder::builder(vcu("0.01"))
        .meta_data("after a revoked token")
        .build()
        .unwrap();
    let key = order.key().clone();
    let placed = carbonext.place_order(order).await.expect("placed").order;
    assert_eq!(placed.key(), Some(&key));
    assert_eq!(counts(&sandbox, "create_order"), (creates + 2, tokens + 1));

    let with_key: Vec<_> = carbonext
        .orders(OrderQuery::new().key(&key))
        .try_collect()
        .await
        .unwrap();
    assert_eq!(with_key.len(), 1, "one order for the key: {with_key:?}");
}

#[tokio::test]
async fn a_user_refused_with_401_is_created_once_with_a_new_token() {
    let sandbox = common::sandbox().await;
    let carbonext = common::connect(&sandbox);
    let before = carbonext.users_page(1, 100).await.unwrap().items.len();
    let (creates, tokens) = counts(&sandbox, "create_user");

    sandbox.faults().revoke_all_tokens();
    let user = carbonext
        .create_user(NewUser {
            email: "bia@acme.example".into(),
            name: "Bia".into(),
            permissions: vec![],
        })
        .await
        .expect("created");
    assert_eq!(user.email, "bia@acme.example");
    assert_eq!(counts(&sandbox, "create_user"), (creates + 2, tokens + 1));
    let after = carbonext.users_page(1, 100).await.unwrap().items.len();
    assert_eq!(after, before + 1);
}

#[tokio::test]
async fn the_raw_client_of_a_built_facade_resends_after_a_401_by_itself() {
    let sandbox = common::sandbox().await;
    let carbonext = common::connect(&sandbox);
    carbonext.quote(vcu("1"), Currency::Brl).await.unwrap();
    let (prices, tokens) = counts(&sandbox, "get_price");

    sandbox.faults().revoke_all_tokens();
    let price = carbonext
        .raw()
        .get_price()
        .send()
        .await
        .expect("resent with a new token");
    assert_eq!(price.status(), 200);
    assert_eq!(counts(&sandbox, "get_price"), (prices + 2, tokens + 1));

    // The facade, sharing the token cache, uses the new token as it is.
    carbonext.quote(vcu("2"), Currency::Brl).await.unwrap();
    assert_eq!(counts(&sandbox, "get_price"), (prices + 3, tokens + 1));
}

#[tokio::test]
async fn a_cold_facade_whose_first_token_is_refused_gets_a_second_one() {
    let sandbox = common::sandbox().await;
    sandbox.faults().revoke_on_issue(1);
    let carbonext = common::connect(&sandbox);
    let quote = carbonext.quote(vcu("1"), Currency::Brl).await.unwrap();
    assert_eq!(quote.vcu_amount, vcu("1"));
    assert_eq!(counts(&sandbox, "get_price"), (2, 2));
}

#[tokio::test]
async fn a_token_refused_every_time_is_sent_twice_then_ends_in_an_auth_error() {
    let sandbox = common::sandbox().await;
    sandbox.faults().revoke_on_issue(u64::MAX);
    let carbonext = common::connect(&sandbox);

    let err = carbonext
        .quote(vcu("1"), Currency::Brl)
        .await
        .expect_err("every token is refused");
    assert!(matches!(err, Error::Auth { .. }), "{err:?}");
    assert!(err.to_string().contains("401"), "{err}");
    assert_eq!(
        counts(&sandbox, "get_price"),
        (2, 2),
        "the first token, one new token and one resend; no retry loop"
    );
}

#[tokio::test]
async fn a_client_with_its_own_auth_hook_is_not_resent_by_the_facade_as_well() {
    let sandbox = common::sandbox().await;
    sandbox.faults().revoke_on_issue(u64::MAX);
    let cache = carbonext_auth::TokenCache::builder(
        Credentials::new(sandbox.client_id(), sandbox.client_secret()),
        sandbox.token_url(),
    )
    .build();
    // The hook resends after a 401 itself (the default of `ClientBuilder`).
    let api = carbonext_auth::ClientBuilder::new(sandbox.api_url(), cache).build();
    let carbonext = Carbonext::from_client(api).with_retry_policy(common::quick_retries());

    let err = carbonext
        .quote(vcu("1"), Currency::Brl)
        .await
        .expect_err("every token is refused");
    assert!(matches!(err, Error::Auth { .. }), "{err:?}");
    assert_eq!(
        counts(&sandbox, "get_price"),
        (2, 2),
        "the hook's one resend only"
    );
}
