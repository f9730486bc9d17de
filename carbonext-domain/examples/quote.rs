//! Quote: what an amount of VCUs costs, exact to the last digit, before buying anything.
//!
//! Starts the embedded sandbox (an offline emulator of the Carbonext API on 127.0.0.1, with
//! fake credentials), points the `Carbonext` facade at it, and prices 3 VCUs in BRL and
//! 0.02 VCU in USD. It checks that each total is the unit price times the amount, exactly
//! (`330.00`, not `330`), and that quoting placed no order; it exits non-zero otherwise.
//!
//! ```sh
//! cargo run -p carbonext-domain --example quote
//! ```
//!
//! Against the real API, build the facade with `Carbonext::from_env()` instead
//! (`CARBONEXT_ENV`, `CARBONEXT_CLIENT_ID`, `CARBONEXT_CLIENT_SECRET`).

use carbonext_domain::{Carbonext, Credentials, Currency, Environment, VcuAmount, VcuMarket};
use carbonext_sandbox::Sandbox;

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

    for (amount, currency, expected_total) in [
        ("3", Currency::Brl, "330.00"),
        ("0.02", Currency::Usd, "0.4100"),
    ] {
        let amount: VcuAmount = amount.parse()?;
        let quote = carbonext.quote(amount, currency).await?;
        println!(
            "{} VCU at {} {} each: {} {}",
            quote.vcu_amount, quote.vcu_price, quote.currency, quote.total_price, quote.currency
        );
        assert_eq!(quote.vcu_amount, amount);
        assert_eq!(quote.total_price, amount.value() * quote.vcu_price);
        // Exact decimals, printed with every digit the computation carries.
        assert_eq!(quote.total_price.to_string(), expected_total);
    }

    let counters = sandbox.counters();
    assert_eq!(counters.operation("get_price"), 2, "one request per quote");
    assert_eq!(
        counters.operation("create_order"),
        0,
        "a quote orders nothing"
    );
    println!("ok: 2 quotes, 2 requests, no order placed");
    Ok(())
}
