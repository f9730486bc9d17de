//! Offsetting against the sandbox over 127.0.0.1: one offset from a route, a distance or known
//! tonnes; rounding exact to the last digit; zero emissions, price limits and dry runs that
//! order nothing; and a 1,000-item batch that places exactly 1,000 orders while a fifth of
//! the answers are dropped after commit, and none on a re-run.

mod common;

use carbonext_api::operations;
use carbonext_domain::calculator::{Route, TransportId};
use carbonext_domain::offset::{EmissionSource, OffsetOutcome, OffsetRequest, Rounding};
use carbonext_domain::{Decimal, Error, Ledger, Offsetting, OrderKey, OrderQuery, Recipient};
use futures::StreamExt;

fn d(text: &str) -> Decimal {
    Decimal::from_str_exact(text).unwrap()
}

fn key(text: &str) -> OrderKey {
    OrderKey::new(text).unwrap()
}

fn tonnes(text: &str) -> EmissionSource {
    EmissionSource::tonnes(d(text)).unwrap()
}

#[tokio::test]
async fn a_flight_is_calculated_rounded_quoted_and_ordered_once_with_what_was_offset() {
    let sandbox = common::sandbox().await;
    let carbonext = common::connect(&sandbox);
    let source = EmissionSource::route(
        TransportId::PASSENGER_AIRPLANE,
        Route::air("GRU", "JFK").unwrap(),
        Decimal::from(2),
    )
    .unwrap();
    let request = OffsetRequest::builder(source, key("trip_000123"))
        .rounding(Rounding::UpToDecimals(2))
        .recipient(Recipient::new().name("Jane Traveller"))
        .pay_with_balance(true)
        .build()
        .unwrap();

    let offset = carbonext.offset(request.clone()).await.expect("offset");

    let calculation = offset.calculation.clone().expect("calculated");
    assert_eq!(calculation.unit.as_deref(), Some("tCO2eq"));
    assert_eq!(offset.tonnes, calculation.emission);
    let vcus = offset.vcus.expect("something to offset").value();
    assert_eq!(vcus, Rounding::UpToDecimals(2).apply(calculation.emission));
    assert!(vcus >= offset.tonnes && vcus.scale() <= 2, "{vcus}");
    let quote = offset.quote.clone().expect("quoted");
    assert_eq!(quote.vcu_amount.value(), vcus);
    let OffsetOutcome::Placed(order) = &offset.outcome else {
        panic!("expected a placed order, got {:?}", offset.outcome);
    };
    assert_eq!(order.vcu_amount, vcus);
    assert_eq!(order.total_price, Some(quote.total_price));
    assert_eq!(order.key(), Some(&key("trip_000123")));
    let meta = order.meta_data.as_deref().unwrap_or_default();
    assert_eq!(
        meta,
        format!(
            "offset: air GRU->JFK 2 passengers, {} tCO2eq",
            calculation.emission
        )
    );
    assert_eq!(
        order
            .certificate_recipient_info
            .as_ref()
            .and_then(|r| r.name.as_deref()),
        Some("Jane Traveller")
    );

    // Again: the order is found by its key before anything is quoted, and reported.
    let prices = sandbox.counters().operation(operations::GET_PRICE.id);
    let again = carbonext.offset(request).await.expect("re-run");
    let OffsetOutcome::Existing(existing) = &again.outcome else {
        panic!("expected the existing order, got {:?}", again.outcome);
    };
    assert_eq!(existing.id, order.id);
    assert!(again.quote.is_none());
    assert_eq!(
        sandbox.counters().operation(operations::GET_PRICE.id),
        prices
    );
    assert_eq!(sandbox.counters().operation(operations::CREATE_ORDER.id), 1);
    assert_eq!(sandbox.orders_snapshot().len(), 1);
}

#[tokio::test]
async fn a_distance_answer_per_tonne_is_multiplied_by_the_tonnes_carried_exactly() {
    let sandbox = common::sandbox().await;
    let carbonext = common::connect(&sandbox);
    // 100 km by truck is 0.03885 tCO2eq per tonne (the API docs' example); 3.5 tonnes.
    let source = EmissionSource::distance(TransportId::CARGO_TRUCK, d("100000"), d("3.5")).unwrap();
    let request = OffsetRequest::builder(source, key("shipment_truck_01"))
        .build()
        .unwrap();
    let offset = carbonext.offset(request).await.expect("offset");
    assert_eq!(
        offset.calculation.as_ref().map(|c| c.emission.to_string()),
        Some("0.03885".to_owned())
    );
    assert_eq!(offset.tonnes.to_string(), "0.135975");
    assert_eq!(
        offset.vcus.map(|v| v.to_string()).as_deref(),
        Some("0.135975")
    );
    let order = offset.order().expect("placed");
    assert_eq!(order.vcu_amount.to_string(), "0.135975");
    assert_eq!(
        order.meta_data.as_deref(),
        Some("offset: truck 100000 m 3.5 t, 0.135975 tCO2eq")
    );
}

#[tokio::test]
async fn rounding_reaches_the_order_exact_to_the_last_digit() {
    let sandbox = common::sandbox().await;
    let carbonext = common::connect(&sandbox);
    let cases = [
        ("round_exact_0001", Rounding::Exact, "0.0293110549184694"),
        ("round_dec6_00001", Rounding::UpToDecimals(6), "0.029312"),
        ("round_dec2_00001", Rounding::UpToDecimals(2), "0.03"),
        ("round_whole_0001", Rounding::UpToWholeVcus, "1"),
    ];
    for (name, rounding, expected) in cases {
        let request = OffsetRequest::builder(tonnes("0.0293110549184694"), key(name))
            .rounding(rounding)
            .build()
            .unwrap();
        let offset = carbonext.offset(request).await.expect("offset");
        let order = offset.order().expect("placed");
        assert_eq!(order.vcu_amount.to_string(), expected, "{rounding}");
        let quote = offset.quote.as_ref().expect("quoted");
        assert_eq!(quote.vcu_amount.to_string(), expected);
        // 110.00 BRL per VCU in the sandbox, times the VCUs, every digit.
        assert_eq!(
            quote.total_price,
            d(expected) * d("110.00"),
            "{rounding}: {}",
            quote.total_price
        );
        assert_eq!(order.total_price, Some(quote.total_price));
    }
    let amounts: Vec<String> = sandbox
        .orders_snapshot()
        .iter()
        .map(|o| o.vcu_amount.to_string())
        .collect();
    assert_eq!(amounts, ["0.0293110549184694", "0.029312", "0.03", "1"]);
}

#[tokio::test]
async fn a_zero_distance_or_zero_units_offsets_nothing_like_zero_tonnes() {
    let sandbox = common::sandbox().await;
    let carbonext = common::connect(&sandbox);
    let route = Route::air("GRU", "JFK").unwrap();
    let truck = TransportId::CARGO_TRUCK;
    let plane = TransportId::PASSENGER_AIRPLANE;
    let sources = [
        EmissionSource::distance(truck, Decimal::ZERO, Decimal::ONE).unwrap(),
        EmissionSource::distance(truck, Decimal::from(1000), d("0.000")).unwrap(),
        EmissionSource::route(plane, route, Decimal::ZERO).unwrap(),
        tonnes("0"),
    ];
    for (n, source) in sources.into_iter().enumerate() {
        let request = OffsetRequest::builder(source, key(&format!("zero_{n:04}")))
            .build()
            .unwrap();
        let offset = carbonext.offset(request).await.expect("offset");
        assert_eq!(offset.outcome, OffsetOutcome::NothingToOffset, "source {n}");
        assert_eq!((offset.tonnes, offset.vcus), (Decimal::ZERO, None));
    }
    // Negative stays refused, before anything is sent.
    assert!(EmissionSource::distance(truck, d("-1"), Decimal::ONE).is_err());
    assert!(EmissionSource::route(plane, route, d("-0.5")).is_err());
    assert!(EmissionSource::tonnes(d("-0.01")).is_err());
    // Nothing was calculated, quoted or ordered (the token grant aside, no request at all).
    let counters = sandbox.counters();
    for op in [
        operations::CALCULATE_EMISSION.id,
        operations::GET_PRICE.id,
        operations::CREATE_ORDER.id,
    ] {
        assert_eq!(counters.operation(op), 0, "{op}");
    }
    assert!(sandbox.orders_snapshot().is_empty());
}

#[tokio::test]
async fn a_zero_emission_orders_nothing_and_says_so() {
    let sandbox = common::sandbox().await;
    let carbonext = common::connect(&sandbox);
    let known = OffsetRequest::builder(tonnes("0.000"), key("nothing_0001"))
        .rounding(Rounding::UpToWholeVcus)
        .build()
        .unwrap();
    let offset = carbonext.offset(known).await.expect("offset");
    assert_eq!(offset.outcome, OffsetOutcome::NothingToOffset);
    assert_eq!(offset.vcus, None);
    assert!(offset.order().is_none());

    // A flight that goes nowhere emits nothing.
    let nowhere = EmissionSource::route(
        TransportId::PASSENGER_AIRPLANE,
        Route::air("GRU", "GRU").unwrap(),
        Decimal::ONE,
    )
    .unwrap();
    let request = OffsetRequest::builder(nowhere, key("nothing_0002"))
        .build()
        .unwrap();
    let offset = carbonext.offset(request).await.expect("offset");
    assert_eq!(offset.outcome, OffsetOutcome::NothingToOffset);
    assert_eq!(offset.tonnes, Decimal::ZERO);

    let counters = sandbox.counters();
    assert_eq!(counters.operation(operations::GET_PRICE.id), 0);
    assert_eq!(counters.operation(operations::CREATE_ORDER.id), 0);
    assert!(sandbox.orders_snapshot().is_empty());
}

#[tokio::test]
async fn a_quote_above_the_limit_is_a_typed_error_and_nothing_is_ordered() {
    let sandbox = common::sandbox().await;
    let carbonext = common::connect(&sandbox);
    // 1.25 VCU at 110.00 BRL is 137.5000 BRL.
    let request = OffsetRequest::builder(tonnes("1.25"), key("limited_0001"))
        .max_total_price(d("137.49"))
        .build()
        .unwrap();
    let error = carbonext
        .offset(request)
        .await
        .expect_err("above the limit");
    match &error {
        Error::PriceAboveLimit {
            vcus,
            quoted,
            limit,
            currency,
        } => {
            assert_eq!(vcus.to_string(), "1.25");
            assert_eq!(quoted.to_string(), "137.5000");
            assert_eq!(limit.to_string(), "137.49");
            assert_eq!(currency.to_string(), "BRL");
        }
        other => panic!("expected PriceAboveLimit, got {other:?}"),
    }
    assert_eq!(error.kind(), "price_above_limit");
    assert!(error.to_string().contains("nothing was ordered"), "{error}");
    assert_eq!(sandbox.counters().operation(operations::CREATE_ORDER.id), 0);
    assert!(sandbox.orders_snapshot().is_empty());

    // A limit equal to the quote is not exceeded.
    let request = OffsetRequest::builder(tonnes("1.25"), key("limited_0001"))
        .max_total_price(d("137.5"))
        .build()
        .unwrap();
    let offset = carbonext.offset(request).await.expect("at the limit");
    assert!(matches!(offset.outcome, OffsetOutcome::Placed(_)));
}

#[tokio::test]
async fn a_dry_run_calculates_and_quotes_but_orders_nothing() {
    let sandbox = common::sandbox().await;
    let carbonext = common::connect(&sandbox);
    let source = EmissionSource::route(
        TransportId::CARGO_TRUCK,
        Route::road("01526-000", "66060-425").unwrap(),
        d("20000"),
    )
    .unwrap();
    let request = OffsetRequest::builder(source, key("dry_run_0001"))
        .dry_run(true)
        .build()
        .unwrap();
    let offset = carbonext.offset(request).await.expect("dry run");
    assert_eq!(offset.outcome, OffsetOutcome::DryRun);
    assert!(offset.calculation.is_some());
    assert!(offset.quote.is_some());
    assert_eq!(sandbox.counters().operation(operations::CREATE_ORDER.id), 0);
    assert!(sandbox.orders_snapshot().is_empty());
}

fn batch_item(n: usize) -> OffsetRequest {
    // Fixed-width keys; a few decimals of tonnes per shipment, every tenth a flight.
    let source = if n % 10 == 9 {
        EmissionSource::route(
            TransportId::PASSENGER_AIRPLANE,
            Route::air("GRU", "GIG").unwrap(),
            Decimal::from(1 + n % 3),
        )
        .unwrap()
    } else {
        EmissionSource::tonnes(Decimal::new(1 + n as i64, 3)).unwrap()
    };
    OffsetRequest::builder(source, key(&format!("shipment_{n:05}")))
        .build()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_item_batch_places_exactly_a_thousand_orders_despite_dropped_answers() {
    const ITEMS: usize = 1_000;
    let sandbox = common::sandbox().await;
    let carbonext = common::connect(&sandbox);
    // Counts on the exact "every 5th answer" schedule.
    sandbox
        .faults()
        .set_schedule(carbonext_sandbox::FaultSchedule::Periodic);
    sandbox.faults().drop_after_commit(0.2);

    let items = futures::stream::iter(0..ITEMS).map(batch_item);
    let results: Vec<_> = carbonext.offset_batch(items, 16).collect().await;
    assert_eq!(results.len(), ITEMS);
    for (n, item) in results.iter().enumerate() {
        assert_eq!(item.index, n, "input order");
        assert_eq!(item.key.as_str(), format!("shipment_{n:05}"));
        let offset = item.result.as_ref().expect("every item succeeds");
        assert!(
            matches!(offset.outcome, OffsetOutcome::Placed(_)),
            "{n}: {:?}",
            offset.outcome
        );
        assert_eq!(offset.order().and_then(|o| o.key()), Some(&item.key));
    }
    let orders = sandbox.orders_snapshot();
    assert_eq!(orders.len(), ITEMS, "exactly one order per item");
    // Each order was sent once; a fifth of the answers were lost and settled by looking the
    // key up: at most one look-up per item before creating and one more per lost answer
    // (refreshes of the key index, which concurrent look-ups share).
    let counters = sandbox.counters();
    assert_eq!(counters.dropped_answers(), (ITEMS / 5) as u64);
    assert_eq!(
        counters.operation(operations::CREATE_ORDER.id),
        ITEMS as u64
    );
    let lookups = counters.operation(operations::LIST_ORDERS.id);
    assert!(
        (1..=(ITEMS + ITEMS / 5) as u64).contains(&lookups),
        "{lookups}"
    );

    // The same input again: nothing placed, every item reported as existing.
    let items = futures::stream::iter(0..ITEMS).map(batch_item);
    let again: Vec<_> = carbonext.offset_batch(items, 16).collect().await;
    assert_eq!(again.len(), ITEMS);
    for (n, item) in again.iter().enumerate() {
        assert_eq!(item.index, n);
        let offset = item.result.as_ref().expect("re-run succeeds");
        assert!(
            matches!(offset.outcome, OffsetOutcome::Existing(_)),
            "{n}: {:?}",
            offset.outcome
        );
    }
    assert_eq!(sandbox.orders_snapshot().len(), ITEMS);
    assert_eq!(
        sandbox.counters().operation(operations::CREATE_ORDER.id),
        ITEMS as u64
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_item_never_stops_the_others() {
    let sandbox = common::sandbox().await;
    let carbonext = common::connect(&sandbox);
    let unknown_transport = EmissionSource::distance(TransportId::new(99), d("1000"), d("1"))
        .expect("the server, not the SDK, knows the types");
    let items = vec![
        OffsetRequest::builder(tonnes("0.5"), key("mixed_00001"))
            .build()
            .unwrap(),
        OffsetRequest::builder(unknown_transport, key("mixed_00002"))
            .build()
            .unwrap(),
        OffsetRequest::builder(tonnes("2"), key("mixed_00003"))
            .max_total_price(d("1"))
            .build()
            .unwrap(),
        OffsetRequest::builder(tonnes("0.75"), key("mixed_00004"))
            .build()
            .unwrap(),
    ];
    let results: Vec<_> = carbonext
        .offset_batch(futures::stream::iter(items), 4)
        .collect()
        .await;
    let statuses: Vec<String> = results
        .iter()
        .map(|item| match &item.result {
            Ok(offset) => offset.outcome.as_str().to_owned(),
            Err(error) => error.kind().to_owned(),
        })
        .collect();
    assert_eq!(statuses, ["placed", "api", "price_above_limit", "placed"]);
    assert_eq!(sandbox.orders_snapshot().len(), 2);
}

/// `shipment_1` is contained in `shipment_10` … `shipment_19` and `shipment_100` …
/// `shipment_199`: a `like` filter matches 111 orders, more than a first page of 100; the
/// key index of documented mode holds them all. Either way the re-run finds exactly its own.
async fn a_rerun_among_keys_that_contain_its_key(metadata_filter: bool) {
    let sandbox = carbonext_sandbox::Sandbox::builder()
        .deterministic(true)
        .metadata_filter(metadata_filter)
        .start()
        .await
        .unwrap();
    let carbonext = common::connect(&sandbox);
    let item = |n: usize| {
        OffsetRequest::builder(tonnes("0.1"), key(&format!("shipment_{n}")))
            .build()
            .unwrap()
    };
    let first: Vec<_> = carbonext
        .offset_batch(futures::stream::iter(1..=200).map(item), 4)
        .collect()
        .await;
    assert!(first.iter().all(|i| i.result.is_ok()));
    assert_eq!(sandbox.orders_snapshot().len(), 200);
    // A query by key lists exactly that key's order, not the 110 that contain it.
    let exact = OrderQuery::new().key(&key("shipment_1")).page_size(100);
    let page = carbonext.orders_page(exact, 1).await.expect("a page");
    assert_eq!(page.total_count, 1);
    assert_eq!(page.items.len(), 1);
    assert_eq!(page.items[0].key(), Some(&key("shipment_1")));

    let again = carbonext.offset(item(1)).await.expect("re-run");
    let OffsetOutcome::Existing(order) = &again.outcome else {
        panic!("expected the existing order, got {:?}", again.outcome);
    };
    assert_eq!(order.key(), Some(&key("shipment_1")));
    assert_eq!(sandbox.orders_snapshot().len(), 200, "no second order");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rerun_finds_its_order_among_keys_that_contain_its_key() {
    a_rerun_among_keys_that_contain_its_key(false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rerun_finds_its_order_among_more_than_a_page_of_like_matches() {
    a_rerun_among_keys_that_contain_its_key(true).await;
}

/// What a consumer might write against the trait: offset a shipment's tonnes under the
/// shipment's own key within a budget, and put the shipment up for review, instead of failing,
/// when the quote is above the budget.
#[derive(Debug, PartialEq)]
enum ShipmentOffset {
    Done,
    NeedsReview { quoted: Decimal, budget: Decimal },
}

async fn offset_shipment(
    offsetting: &dyn Offsetting,
    shipment: u32,
    tonnes_emitted: &str,
    budget: Decimal,
) -> Result<ShipmentOffset, Error> {
    let request = OffsetRequest::builder(
        tonnes(tonnes_emitted),
        key(&format!("shipment_{shipment:04}")),
    )
    .max_total_price(budget)
    .build()?;
    match offsetting.offset(request).await {
        Ok(_) => Ok(ShipmentOffset::Done),
        Err(Error::PriceAboveLimit { quoted, limit, .. }) => Ok(ShipmentOffset::NeedsReview {
            quoted,
            budget: limit,
        }),
        Err(other) => Err(other),
    }
}

#[tokio::test]
async fn offsetting_can_be_mocked_behind_the_trait() {
    let sent = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let mut mock = carbonext_domain::MockOffsetting::new();
    mock.expect_offset().times(1).returning({
        let sent = sent.clone();
        move |request| {
            sent.lock().unwrap().push(request);
            Err(Error::PriceAboveLimit {
                vcus: "2".parse().unwrap(),
                quoted: d("220.00"),
                limit: d("200"),
                currency: carbonext_domain::Currency::Brl,
            })
        }
    });

    let outcome = offset_shipment(&mock, 7, "2", d("200")).await;

    // What the consumer sent: the shipment's tonnes, under its key, with its budget.
    let sent = sent.lock().unwrap();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].source(), &tonnes("2"));
    assert_eq!(sent[0].key(), &key("shipment_0007"));
    assert_eq!(sent[0].max_total_price(), Some(d("200")));
    assert!(!sent[0].is_dry_run());
    // What it made of the refusal: a review, not an error.
    assert_eq!(
        outcome.expect("a price above the budget is no error for the consumer"),
        ShipmentOffset::NeedsReview {
            quoted: d("220.00"),
            budget: d("200"),
        }
    );
}
