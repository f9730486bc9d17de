//! A batch of offsets from an iterator: one result per item, in input order, a bounded
//! number in flight, a failed item never stopping the others, and a re-run that orders
//! nothing twice.
//!
//! The shipments come from an iterator (a file, a database cursor); each is validated before
//! anything is sent, then `offset_batch` takes the requests as slots free up (from a stream,
//! memory stays flat however many there are). Against the embedded
//! sandbox, five shipments: three are offset, one emitted nothing, and one costs more than
//! its price limit and fails alone. Run again, the three orders are reported as existing and
//! no order is created. It exits non-zero if any of this does not hold.
//!
//! ```sh
//! cargo run -p carbonext-domain --example batch
//! ```

use carbonext_domain::offset::{BatchOutcome, EmissionSource, OffsetRequest, Rounding};
use carbonext_domain::{Carbonext, Credentials, Decimal, Environment, Error, OrderKey};
use carbonext_sandbox::Sandbox;
use futures::StreamExt;

/// A shipment as the service keeps it: its id, what it emitted, and an optional limit of
/// what its offset may cost (BRL).
struct Shipment {
    id: &'static str,
    tonnes: &'static str,
    max_total_price: Option<u32>,
}

const SHIPMENTS: [Shipment; 5] = [
    Shipment {
        id: "SHP-1001",
        tonnes: "0.25",
        max_total_price: None,
    },
    Shipment {
        id: "SHP-1002",
        tonnes: "1.5",
        max_total_price: None,
    },
    Shipment {
        id: "SHP-1003",
        tonnes: "0",
        max_total_price: None,
    },
    Shipment {
        id: "SHP-1004",
        tonnes: "12",
        max_total_price: Some(100),
    },
    Shipment {
        id: "SHP-1005",
        tonnes: "0.031",
        max_total_price: None,
    },
];

fn request(shipment: &Shipment) -> Result<OffsetRequest, Box<dyn std::error::Error>> {
    let source = EmissionSource::tonnes(Decimal::from_str_exact(shipment.tonnes)?)?;
    let key = OrderKey::from_external_id("shipment", shipment.id)?;
    let mut builder = OffsetRequest::builder(source, key).rounding(Rounding::UpToDecimals(2));
    if let Some(limit) = shipment.max_total_price {
        builder = builder.max_total_price(Decimal::from(limit));
    }
    Ok(builder.build()?)
}

/// Runs the whole batch, 3 at a time, and prints each result as it comes.
async fn run(carbonext: &Carbonext) -> Result<Vec<BatchOutcome>, Box<dyn std::error::Error>> {
    let requests = SHIPMENTS
        .iter()
        .map(request)
        .collect::<Result<Vec<_>, _>>()?;
    let results: Vec<BatchOutcome> = carbonext
        .offset_batch(futures::stream::iter(requests), 3)
        .inspect(|item| match &item.result {
            Ok(offset) => println!(
                "  {} {}: {} VCU, {}",
                item.index,
                SHIPMENTS[item.index].id,
                offset
                    .vcus
                    .map(|v| v.to_string())
                    .unwrap_or_else(|| "0".into()),
                offset.outcome.as_str()
            ),
            Err(error) => println!(
                "  {} {}: failed ({}): {error}",
                item.index,
                SHIPMENTS[item.index].id,
                error.kind()
            ),
        })
        .collect()
        .await;
    Ok(results)
}

fn statuses(results: &[BatchOutcome]) -> Vec<&'static str> {
    results
        .iter()
        .map(|item| match &item.result {
            Ok(offset) => offset.outcome.as_str(),
            Err(Error::PriceAboveLimit { .. }) => "price_above_limit",
            Err(_) => "failed",
        })
        .collect()
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

    println!("first run:");
    let first = run(&carbonext).await?;
    let indices: Vec<usize> = first.iter().map(|item| item.index).collect();
    assert_eq!(
        indices,
        [0, 1, 2, 3, 4],
        "one result per item, in input order"
    );
    assert_eq!(
        statuses(&first),
        [
            "placed",
            "placed",
            "nothing_to_offset",
            "price_above_limit",
            "placed"
        ]
    );
    let vcus = |item: &BatchOutcome| {
        item.result
            .as_ref()
            .ok()
            .and_then(|o| o.vcus)
            .map(|v| v.to_string())
    };
    assert_eq!(
        vcus(&first[4]).as_deref(),
        Some("0.04"),
        "0.031 t rounded up to 2 decimals"
    );
    assert_eq!(sandbox.counters().operation("create_order"), 3);

    println!("second run:");
    let second = run(&carbonext).await?;
    assert_eq!(
        statuses(&second),
        [
            "existing",
            "existing",
            "nothing_to_offset",
            "price_above_limit",
            "existing"
        ]
    );
    assert_eq!(
        sandbox.counters().operation("create_order"),
        3,
        "the re-run created no order"
    );
    for shipment in &SHIPMENTS {
        let key = OrderKey::from_external_id("shipment", shipment.id)?;
        let expected = usize::from(matches!(shipment.id, "SHP-1001" | "SHP-1002" | "SHP-1005"));
        assert_eq!(
            sandbox.orders_with_key(key.as_str()).len(),
            expected,
            "{}",
            shipment.id
        );
    }
    println!("ok: 3 orders for 5 shipments, none twice");
    Ok(())
}
