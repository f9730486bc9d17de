//! `carbonext-bench-stream`: streams every order of the API at `CARBONEXT_API_URL` /
//! `CARBONEXT_AUTH_URL` (credentials `CARBONEXT_CLIENT_ID` / `CARBONEXT_CLIENT_SECRET`) to stdout
//! as JSON lines through `Ledger::orders`, or with `--first-page` only the first page. P3 runs it
//! under `/usr/bin/time -v` to measure the library stream's peak memory in its own process,
//! next to the `carbonext orders export` CLI.

use std::io::Write;

use carbonext_domain::{Carbonext, Ledger, OrderQuery};
use futures::StreamExt;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let first_page = std::env::args().any(|a| a == "--first-page");
    let carbonext = Carbonext::from_env()?;
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    if first_page {
        let page = carbonext
            .orders_page(OrderQuery::new().page_size(100), 1)
            .await?;
        for order in page.items {
            serde_json::to_writer(&mut out, &order)?;
            out.write_all(b"\n")?;
        }
    } else {
        let mut orders = carbonext.orders(OrderQuery::new());
        while let Some(order) = orders.next().await {
            serde_json::to_writer(&mut out, &order?)?;
            out.write_all(b"\n")?;
        }
    }
    out.flush()?;
    Ok(())
}
