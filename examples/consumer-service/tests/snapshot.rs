//! Proves that real sandbox responses, as the SDK returns them to a service, snapshot stably
//! with `carbonext_domain::testing::redacted` (feature `testing`): ids and timestamps replaced
//! by placeholders, amounts kept.

use carbonext_domain::testing::redacted;
use carbonext_domain::{
    Carbonext, Credentials, Currency, Environment, NewOrder, OrderKey, VcuAmount, VcuMarket,
};
use carbonext_sandbox::Sandbox;

async fn sandbox() -> Sandbox {
    Sandbox::builder()
        .deterministic(true)
        .start()
        .await
        .expect("the sandbox starts on 127.0.0.1")
}

fn connect(sandbox: &Sandbox) -> Carbonext {
    Carbonext::builder()
        .environment(Environment::custom(sandbox.api_url(), sandbox.token_url()))
        .credentials(Credentials::new(
            sandbox.client_id(),
            sandbox.client_secret(),
        ))
        .build()
        .expect("the facade builds")
}

#[tokio::test]
async fn an_order_of_3_vcu_paid_with_the_balance_snapshots_with_ids_and_timestamps_redacted() {
    let sandbox = sandbox().await;
    let carbonext = connect(&sandbox);
    let amount: VcuAmount = "3".parse().unwrap();
    let order = NewOrder::builder(amount)
        .pay_with_balance(true)
        .meta_data("consumer snapshot")
        .key(OrderKey::from_external_id("consumer", "snapshot_0001").unwrap())
        .build()
        .unwrap();

    let placed = carbonext.place_order(order).await.unwrap().order;

    insta::assert_json_snapshot!("placed_order", redacted(&placed));
}

#[tokio::test]
async fn a_quote_of_0_02_vcu_snapshots_with_its_amounts() {
    let sandbox = sandbox().await;
    let carbonext = connect(&sandbox);

    let quote = carbonext
        .quote("0.02".parse().unwrap(), Currency::Brl)
        .await
        .unwrap();

    insta::assert_json_snapshot!("quote", redacted(&quote));
}
