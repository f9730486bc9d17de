//! Build cost, SDK side: prices an amount of VCUs (`$1`, default 1) in BRL through
//! `carbonext-domain`, with the credentials `Carbonext::from_env` reads
//! (`CARBONEXT_ENV` / `CARBONEXT_API_URL`, `CARBONEXT_AUTH_URL`, `CARBONEXT_CLIENT_ID`,
//! `CARBONEXT_CLIENT_SECRET`). Built by `carbonext-bench/scripts/build-cost.sh`; its twin by
//! hand is `../raw`.

use carbonext_domain::{Carbonext, Currency, VcuMarket};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let amount = std::env::args().nth(1).unwrap_or_else(|| "1".to_owned());
    let carbonext = Carbonext::from_env()?;
    let quote = carbonext.quote(amount.parse()?, Currency::Brl).await?;
    println!(
        "{} VCU: {} {} ({} per VCU)",
        quote.vcu_amount, quote.total_price, quote.currency, quote.vcu_price
    );
    Ok(())
}
