//! Build cost, baseline: the quote of `../sdk` written by hand with reqwest and serde: a
//! `client_credentials` token, then `GET /v1/prices`, against `CARBONEXT_API_URL` and
//! `CARBONEXT_AUTH_URL` (the token endpoint) with `CARBONEXT_CLIENT_ID` and
//! `CARBONEXT_CLIENT_SECRET`. Amounts are printed as the JSON numbers received.

use serde::Deserialize;

#[derive(Deserialize)]
struct Token {
    access_token: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Price {
    vcu_price: serde_json::Number,
    currency: String,
}

fn var(name: &str) -> Result<String, String> {
    std::env::var(name).map_err(|_| format!("{name} is not set"))
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let amount = std::env::args().nth(1).unwrap_or_else(|| "1".to_owned());
    let client_id = var("CARBONEXT_CLIENT_ID")?;
    let client_secret = var("CARBONEXT_CLIENT_SECRET")?;
    let http = reqwest::Client::new();
    let token: Token = http
        .post(var("CARBONEXT_AUTH_URL")?)
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", client_id.as_str()),
            ("client_secret", client_secret.as_str()),
        ])
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    let price: Price = http
        .get(format!("{}/v1/prices", var("CARBONEXT_API_URL")?))
        .query(&[("vcu-amount", amount.as_str()), ("target-currency", "BRL")])
        .bearer_auth(&token.access_token)
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    println!(
        "{amount} VCU: {} {} per VCU",
        price.vcu_price, price.currency
    );
    Ok(())
}
