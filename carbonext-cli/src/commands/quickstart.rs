//! `carbonext quickstart`: the whole journey in four steps, explained as it goes.
//!
//! 1. get an access token (said to be obtained, never printed);
//! 2. the price of 1 VCU;
//! 3. an order of 3 VCU paid with the balance;
//! 4. the resulting balance.
//!
//! With no configuration it runs against the embedded sandbox, so it works on a fresh machine.
//! With `--output json` it prints one object: `quote`, `order` and `balance`.

use std::time::Duration;

use carbonext_domain::{Balance, Currency, Ledger, NewOrder, Order, Quote, VcuAmount, VcuMarket};
use serde::Serialize;

use super::Context;
use crate::exit::CliError;
use crate::output::{print_json, write_stdout, Table};

/// What the quickstart did, for `--output json`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Journey {
    token_obtained: bool,
    quote: Quote,
    order: Order,
    balance: Balance,
}

/// Runs the four steps.
pub async fn run(context: &Context) -> Result<(), CliError> {
    let one: VcuAmount = "1".parse().map_err(|e| CliError::usage(format!("{e}")))?;
    let three: VcuAmount = "3".parse().map_err(|e| CliError::usage(format!("{e}")))?;
    let order = NewOrder::builder(three)
        .currency(Currency::Brl)
        .pay_with_balance(true)
        .meta_data("carbonext quickstart")
        .build()
        .map_err(|e| CliError::usage(e.to_string()))?;

    let gate = context.write_gate()?;
    let session = context.open().await?;
    let text = !context.output.is_json();
    let say = |line: String| -> Result<(), CliError> {
        if text {
            write_stdout(&format!("{line}\n"))
        } else {
            Ok(())
        }
    };

    let result = async {
        say(format!(
            "Carbonext quickstart — talking to the {}.\n",
            session.description
        ))?;

        say("Step 1/4 · Getting an access token…".to_owned())?;
        let token = session.authenticate().await?;
        say(format!(
            "  ✓ Access token obtained (valid for {}; it is never printed).\n",
            human_duration(token.remaining())
        ))?;

        say("Step 2/4 · Asking the price of 1 VCU (1 VCU = 1 tonne of CO2e)…".to_owned())?;
        let quote = session.carbonext.quote(one, Currency::Brl).await?;
        say(format!(
            "  ✓ 1 VCU costs {} {}.\n",
            quote.vcu_price, quote.currency
        ))?;

        say("Step 3/4 · Placing an order of 3 VCU, paid with the balance…".to_owned())?;
        gate.confirm(vec!["order 3 VCUs (BRL), paid with the balance".to_owned()])
            .await?;
        let placed = session
            .carbonext
            .place_order(order)
            .await
            .map(|placed| placed.order)
            .map_err(|error| {
                let rejected = matches!(&error, carbonext_domain::Error::Api(r) if r.status < 500);
                let error = CliError::from(error);
                if rejected {
                    error.hint("the balance may not cover 3 VCU: see `carbonext balance`")
                } else {
                    error
                }
            })?;
        let total = placed
            .total_price
            .map(|t| format!(" for {t} {}", currency_of(&placed)))
            .unwrap_or_default();
        say(format!(
            "  ✓ Order {} placed: {} VCU{total}, status {}.\n",
            placed.id, placed.vcu_amount, placed.status
        ))?;

        say("Step 4/4 · Reading the balance…".to_owned())?;
        let balance = session.carbonext.balance(None).await?;
        if text {
            let mut table =
                Table::new(["currency", "balance (VCU)", "credit", "debt", "future debt"]);
            for b in &balance.balances_by_currency {
                table.row([
                    b.currency.to_string(),
                    b.balance.to_string(),
                    crate::output::or_dash(b.credit),
                    crate::output::or_dash(b.debt),
                    crate::output::or_dash(b.future_debt),
                ]);
            }
            let indented: String = table
                .to_string()
                .lines()
                .map(|line| format!("    {line}\n"))
                .collect();
            say(format!("  ✓ Your balance now:\n{indented}"))?;
            say(
                "Done! Next: `carbonext orders list`, `carbonext balance`, `carbonext --help`."
                    .to_owned(),
            )?;
            if session.is_embedded() {
                say(
                    "This ran against the embedded sandbox; set CARBONEXT_ENV=homologation and \
                     your CARBONEXT_CLIENT_ID / CARBONEXT_CLIENT_SECRET to try the real API."
                        .to_owned(),
                )?;
            }
            Ok(())
        } else {
            print_json(&Journey {
                token_obtained: true,
                quote,
                order: placed,
                balance,
            })
        }
    }
    .await;
    session.close().await;
    result
}

fn currency_of(order: &Order) -> String {
    order
        .target_currency
        .as_ref()
        .map_or_else(|| "BRL".to_owned(), ToString::to_string)
}

/// `9h 59m`, `59m 58s`, `12s`.
fn human_duration(duration: Duration) -> String {
    let secs = duration.as_secs();
    let (h, m, s) = (secs / 3600, (secs % 3600) / 60, secs % 60);
    if h > 0 {
        format!("{h}h {m:02}m")
    } else if m > 0 {
        format!("{m}m {s:02}s")
    } else {
        format!("{s}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_like_people_say_them() {
        assert_eq!(human_duration(Duration::from_secs(35_999)), "9h 59m");
        assert_eq!(human_duration(Duration::from_secs(61)), "1m 01s");
        assert_eq!(human_duration(Duration::from_secs(7)), "7s");
    }
}
