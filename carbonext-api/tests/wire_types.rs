//! The hand-written wire types: [`Timestamp`] (both server shapes, full precision, ordered
//! by instant), the open enums (unknown values kept, known ones case-insensitive),
//! [`Secret`] (never in `Debug`), [`DecimalText`] (exact text, exact input only), [`Page`],
//! and the `schemars::JsonSchema` implementations of the generated types.

mod common;

use std::collections::HashSet;

use carbonext_api::{
    types, Client, Currency, DecimalText, Hooks, InvoiceStatus, OrderStatus, OrderType, Page,
    PaymentType, PurchaseType, Secret, Timestamp, TimestampError,
};
use chrono::{TimeZone, Timelike, Utc};
use common::{fixture, Canned, Peer};

fn ts(text: &str) -> Timestamp {
    text.parse()
        .unwrap_or_else(|e| panic!("{text} should parse: {e}"))
}

/// `fixture` with the first occurrence of `from` replaced by `to`.
fn fixture_with(name: &str, from: &str, to: &str) -> String {
    let text = fixture(name);
    assert!(text.contains(from), "{name} has no {from}");
    text.replacen(from, to, 1)
}

// --- Timestamp ----------------------------------------------------------------------------

#[test]
fn timestamp_without_offset_is_utc_with_microseconds() {
    let t = ts("2022-07-24T18:26:44.417678");
    assert_eq!(
        t.utc(),
        Utc.with_ymd_and_hms(2022, 7, 24, 18, 26, 44).unwrap()
            + chrono::Duration::nanoseconds(417_678_000)
    );
}

#[test]
fn timestamp_with_seven_digits_and_z_keeps_every_digit() {
    let t = ts("2022-07-24T18:26:44.4176783Z");
    assert_eq!(t.utc().nanosecond(), 417_678_300);
    assert_eq!(t.utc().second(), 44);
}

#[test]
fn both_timestamp_shapes_re_encode_exactly_as_received() {
    for text in [
        "\"2022-07-24T18:26:44.417678\"",
        "\"2022-07-24T18:26:44.4176783Z\"",
        "\"2022-07-22T17:03:29.6645009Z\"",
        "\"2021-12-06T13:54:13.56172\"",
        "\"2022-07-24T15:26:44.417678-03:00\"",
    ] {
        let t: Timestamp = serde_json::from_str(text).unwrap();
        assert_eq!(serde_json::to_string(&t).unwrap(), text);
        assert_eq!(t.to_string(), text.trim_matches('"'));
    }
}

#[test]
fn timestamps_compare_by_instant_not_by_text() {
    let micro = ts("2022-07-24T18:26:44.417678");
    let seven = ts("2022-07-24T18:26:44.4176783Z");
    let same_as_micro = ts("2022-07-24T18:26:44.4176780Z");
    let same_in_brazil = ts("2022-07-24T15:26:44.417678-03:00");

    assert!(micro < seven);
    assert!(seven > micro);
    assert_eq!(micro, same_as_micro);
    assert_eq!(micro, same_in_brazil);
    assert_ne!(micro.as_str(), same_as_micro.as_str());
    let distinct: HashSet<Timestamp> = [micro, seven, same_as_micro, same_in_brazil]
        .into_iter()
        .collect();
    assert_eq!(distinct.len(), 2);
}

#[test]
fn timestamps_sort_chronologically() {
    let mut list = [
        ts("2022-07-24T18:26:44.4176783Z"),
        ts("2021-12-06T13:54:13.56172"),
        ts("2022-07-24T18:26:44.417678"),
        ts("2022-01-01"),
    ];
    list.sort();
    let texts: Vec<&str> = list.iter().map(Timestamp::as_str).collect();
    assert_eq!(
        texts,
        [
            "2021-12-06T13:54:13.56172",
            "2022-01-01",
            "2022-07-24T18:26:44.417678",
            "2022-07-24T18:26:44.4176783Z",
        ]
    );
}

#[test]
fn bare_date_is_midnight_utc_and_re_encodes_as_the_date() {
    let t: Timestamp = serde_json::from_str("\"2022-07-24\"").unwrap();
    assert_eq!(t.utc(), Utc.with_ymd_and_hms(2022, 7, 24, 0, 0, 0).unwrap());
    assert_eq!(serde_json::to_string(&t).unwrap(), "\"2022-07-24\"");
}

#[test]
fn timestamp_without_fraction_parses() {
    assert_eq!(
        ts("2022-07-24T18:26:44").utc(),
        Utc.with_ymd_and_hms(2022, 7, 24, 18, 26, 44).unwrap()
    );
}

#[test]
fn garbage_timestamp_fails_with_timestamp_error() {
    for garbage in [
        "yesterday",
        "",
        "24/07/2022 18:26:44",
        "2022-13-40T25:61:61",
    ] {
        let error: TimestampError = garbage.parse::<Timestamp>().unwrap_err();
        assert!(
            error.to_string().starts_with("invalid timestamp"),
            "{error}"
        );
    }
}

#[test]
fn timestamps_outside_four_digit_years_are_refused() {
    // Found by fuzz/fuzz_targets/timestamp.rs: `-2-02-12T0:12:13.7117` parsed, but
    // `Timestamp::from_utc` of its instant wrote text that did not parse back.
    for outside in [
        "-2-02-12T0:12:13.7117",
        "-0001-01-01",
        "10000-01-01T00:00:00Z",
        "0000-01-01T00:00:00+01:00",
    ] {
        assert!(outside.parse::<Timestamp>().is_err(), "{outside} parsed");
    }
    let edge: Timestamp = "9999-12-31T23:59:59.9999999Z".parse().unwrap();
    let written = Timestamp::from_utc(edge.utc());
    assert_eq!(written.as_str().parse::<Timestamp>().unwrap(), edge);
}

#[test]
fn timestamp_error_quotes_at_most_64_characters_of_the_input() {
    let long = "x".repeat(1000);
    let error = long.parse::<Timestamp>().unwrap_err().to_string();
    assert!(error.contains(&"x".repeat(64)));
    assert!(!error.contains(&"x".repeat(65)));
}

#[test]
fn garbage_timestamp_fails_the_order_that_holds_it() {
    let text = fixture_with(
        "create_order.response.json",
        "2022-07-24T18:26:44.4176783Z",
        "not a date",
    );
    let error = serde_json::from_str::<types::Order>(&text).unwrap_err();
    assert!(
        error.to_string().contains("invalid timestamp `not a date`"),
        "{error}"
    );
}

#[test]
fn timestamp_from_utc_is_written_like_the_server_and_round_trips_equal() {
    let instant = Utc.with_ymd_and_hms(2022, 7, 24, 18, 26, 44).unwrap()
        + chrono::Duration::nanoseconds(417_678_312);
    let t = Timestamp::from_utc(instant);
    assert_eq!(t.as_str(), "2022-07-24T18:26:44.4176783Z");
    let back: Timestamp = serde_json::from_str(&serde_json::to_string(&t).unwrap()).unwrap();
    assert_eq!(back, t);
    assert_eq!(back.utc(), t.utc());
    assert_eq!(Timestamp::from(instant), t);
}

#[test]
fn timestamp_from_utc_of_a_whole_second_writes_seven_zeros() {
    let t = Timestamp::from_utc(Utc.with_ymd_and_hms(2022, 7, 24, 18, 26, 44).unwrap());
    assert_eq!(t.as_str(), "2022-07-24T18:26:44.0000000Z");
}

#[test]
fn timestamp_from_now_round_trips_through_json_equal() {
    let now = Timestamp::from_utc(Utc::now());
    let back: Timestamp = serde_json::from_str(&serde_json::to_string(&now).unwrap()).unwrap();
    assert_eq!(back, now);
    assert_eq!(back.as_str(), now.as_str());
}

#[test]
fn timestamp_from_utc_writes_a_leap_second_as_60() {
    let leap = chrono::NaiveDate::from_ymd_opt(2016, 12, 31)
        .unwrap()
        .and_hms_nano_opt(23, 59, 59, 1_500_000_000)
        .unwrap()
        .and_utc();
    let t = Timestamp::from_utc(leap);
    assert_eq!(t.as_str(), "2016-12-31T23:59:60.5000000Z");
    assert_eq!(ts(t.as_str()), t);
}

// --- open enums ---------------------------------------------------------------------------

#[test]
fn unknown_order_status_and_currency_decode_inside_a_whole_order() {
    let text = fixture_with("create_order.response.json", "\"Issued\"", "\"Retired\"")
        .replacen("\"BRL\"", "\"EUR\"", 1)
        .replacen("\"Postpaid\"", "\"Prepaid\"", 1);
    let order: types::Order = serde_json::from_str(&text).unwrap();

    assert_eq!(order.status, OrderStatus::Unknown("Retired".into()));
    assert_eq!(order.target_currency, Some(Currency::Unknown("EUR".into())));
    assert_eq!(order.type_, Some(OrderType::Unknown("Prepaid".into())));
    assert!(!order.status.is_known());
    assert_eq!(order.total_price.unwrap().to_string(), "2.200");

    let reencoded = serde_json::to_string(&order).unwrap();
    assert!(reencoded.contains(r#""status":"Retired""#), "{reencoded}");
    assert!(
        reencoded.contains(r#""targetCurrency":"EUR""#),
        "{reencoded}"
    );
    assert!(reencoded.contains(r#""type":"Prepaid""#), "{reencoded}");
}

#[test]
fn unknown_invoice_values_decode_inside_a_whole_invoice() {
    let text = fixture_with("get_invoice.response.json", "\"Paid\"", "\"Refunded\"")
        .replacen("\"BRL\"", "\"EUR\"", 1)
        .replacen(
            "\"dueDate\": null",
            "\"dueDate\": null, \"paymentType\": \"pix\", \"purchaseType\": \"postPaid\"",
            1,
        );
    let invoice: types::Invoice = serde_json::from_str(&text).unwrap();

    assert_eq!(invoice.status, InvoiceStatus::Unknown("Refunded".into()));
    assert_eq!(invoice.currency, Some(Currency::Unknown("EUR".into())));
    assert_eq!(
        invoice.payment_type,
        Some(PaymentType::Unknown("pix".into()))
    );
    assert_eq!(
        invoice.purchase_type,
        Some(PurchaseType::Unknown("postPaid".into()))
    );
    let reencoded = serde_json::to_value(&invoice).unwrap();
    assert_eq!(reencoded["status"], "Refunded");
    assert_eq!(reencoded["currency"], "EUR");
    assert_eq!(reencoded["paymentType"], "pix");
    assert_eq!(reencoded["purchaseType"], "postPaid");
}

#[tokio::test]
async fn client_decodes_an_order_with_an_unknown_status() {
    let body = fixture_with("cancel_order.response.json", "\"Cancelled\"", "\"Retired\"");
    let peer = Peer::start(Canned::json(body)).await;
    let client = Client::new(&peer.url, Hooks::none());
    let order = client
        .cancel_order()
        .order_id(uuid::Uuid::nil())
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(order.status, OrderStatus::Unknown("Retired".into()));
}

#[test]
fn known_enum_values_match_without_regard_to_case() {
    let pending: InvoiceStatus = serde_json::from_str("\"pending\"").unwrap();
    assert_eq!(pending, InvoiceStatus::Pending);
    assert_eq!(serde_json::to_string(&pending).unwrap(), "\"Pending\"");
    assert_eq!(OrderStatus::from("ISSUED"), OrderStatus::Issued);
    assert_eq!(Currency::from("usd"), Currency::Usd);
    assert_eq!(PaymentType::from("CreditCard"), PaymentType::CreditCard);
    assert_eq!(PurchaseType::from("prepaid"), PurchaseType::PrePaid);
}

#[test]
fn known_enum_values_write_their_documented_spelling() {
    let written: Vec<String> = OrderStatus::KNOWN.iter().map(ToString::to_string).collect();
    assert_eq!(written, ["Issued", "Paid", "Billed", "Cancelled"]);
    assert_eq!(PaymentType::CreditCard.as_str(), "creditCard");
    assert_eq!(PurchaseType::PrePaid.as_str(), "prePaid");
    assert!(Currency::KNOWN.iter().all(Currency::is_known));
}

#[test]
fn unknown_enum_value_keeps_its_exact_text() {
    let odd: Currency = serde_json::from_str("\"eur \"").unwrap();
    assert_eq!(odd, Currency::Unknown("eur ".into()));
    assert_eq!(serde_json::to_string(&odd).unwrap(), "\"eur \"");
}

// --- Secret -------------------------------------------------------------------------------

#[test]
fn token_response_debug_never_shows_the_access_token() {
    let token: types::TokenResponse =
        serde_json::from_str(&fixture("request_token.response.json")).unwrap();
    for shown in [format!("{token:?}"), format!("{token:#?}")] {
        assert!(!shown.contains("kRjvJJpQpwWHoWKi"), "{shown}");
        assert!(shown.contains("[REDACTED]"), "{shown}");
        assert!(shown.contains("36000"), "the rest stays visible: {shown}");
    }
    assert_eq!(
        token.access_token.expose(),
        "kRjvJJpQpwWHoWKi-K_5SO0w0dkAqiO2QudmyoJxlTI"
    );
}

#[test]
fn application_credentials_debug_never_shows_the_client_secret() {
    let credentials: types::ApplicationCredentials =
        serde_json::from_str(&fixture("create_application.response.json")).unwrap();
    let shown = format!("{credentials:?}");
    assert!(
        !shown.contains("1d49c575-81f8-4d8c-bc18-93711cf7eb24"),
        "{shown}"
    );
    assert!(shown.contains("cbx_b2b_myapp_name"), "{shown}");
    // The secret's place shows the marker, and the secret itself is still held.
    assert!(
        shown.contains("client_secret: Secret([REDACTED])"),
        "{shown}"
    );
    assert_eq!(
        credentials.client_secret.expose(),
        "1d49c575-81f8-4d8c-bc18-93711cf7eb24"
    );
}

#[test]
fn token_request_debug_never_shows_the_client_secret() {
    let request: types::TokenRequest =
        serde_json::from_str(&fixture("request_token.request.json")).unwrap();
    for shown in [format!("{request:?}"), format!("{request:#?}")] {
        assert!(!shown.contains("7beb0588"), "{shown}");
        assert!(
            shown.contains("Secret([REDACTED])"),
            "the field is shown, redacted: {shown}"
        );
        assert!(
            shown.contains("cbx_b2b_3fe7cbb3-212b-4591-acb3-009ca9e57ff7"),
            "the rest stays visible: {shown}"
        );
    }
    assert_eq!(
        request.client_secret.expose(),
        "7beb0588-edb3-44f4-bbfc-9779cd5c9dbf"
    );
}

#[test]
fn secret_serialises_as_its_value_for_the_server() {
    let secret = Secret::new("s3cr3t");
    assert_eq!(serde_json::to_string(&secret).unwrap(), "\"s3cr3t\"");
    assert_eq!(secret, Secret::from("s3cr3t"));
    assert_ne!(secret, Secret::from("s3cr3T"));
    assert_ne!(secret, Secret::from("s3cr3t!"));
}

// --- DecimalText --------------------------------------------------------------------------

#[test]
fn decimal_text_displays_exactly_the_digits_it_was_given() {
    for text in ["0.02", "1.50", "110.00", "195.7295744096000", "1", "-3.0"] {
        let value: DecimalText = text.parse().unwrap();
        assert_eq!(value.to_string(), text);
        assert_eq!(
            serde_json::to_string(&value).unwrap(),
            format!("\"{text}\"")
        );
    }
}

#[test]
fn decimal_text_refuses_input_it_would_have_to_round_or_cannot_read() {
    for bad in [
        "0.12345678901234567890123456789",
        "79228162514264337593543950336",
        "abc",
        "",
        "1,5",
        "0.02 VCU",
    ] {
        assert!(bad.parse::<DecimalText>().is_err(), "{bad} was accepted");
    }
}

#[test]
fn decimal_text_round_trips_through_json_text() {
    let value: DecimalText = serde_json::from_str("\"0.020\"").unwrap();
    assert_eq!(value.to_string(), "0.020");
    assert_eq!(value.value(), rust_decimal::Decimal::new(20, 3));
    assert!(serde_json::from_str::<DecimalText>("\"1e400\"").is_err());
}

#[test]
fn decimal_text_from_a_decimal_keeps_its_scale() {
    let amount = rust_decimal::Decimal::new(150, 2);
    assert_eq!(DecimalText::from(amount).to_string(), "1.50");
    assert_eq!(
        rust_decimal::Decimal::from(DecimalText::from(amount)),
        amount
    );
}

// --- Page ---------------------------------------------------------------------------------

#[test]
fn page_map_keeps_the_envelope() {
    let page: Page<types::Order> =
        serde_json::from_str(&fixture("list_orders.response.json")).unwrap();
    let ids = page.clone().map(|order| order.id);
    assert_eq!(
        ids.items,
        page.items.iter().map(|o| o.id).collect::<Vec<_>>()
    );
    assert_eq!(
        (ids.page_index, ids.total_pages, ids.total_count),
        (1, 1, 2)
    );
    assert_eq!(
        (ids.has_previous_page, ids.has_next_page),
        (page.has_previous_page, page.has_next_page)
    );
}

#[test]
fn page_without_aggregations_member_decodes() {
    let page: Page<types::Airport> =
        serde_json::from_str(&fixture("list_airports.response.json")).unwrap();
    assert_eq!(page.aggregations, None);
    assert_eq!(page.items[0].code, "CPT");
}

// --- JsonSchema ---------------------------------------------------------------------------

fn schema_text<T: schemars::JsonSchema>() -> String {
    serde_json::to_string(&schemars::schema_for!(T)).unwrap()
}

#[test]
fn order_schema_names_every_wire_field() {
    let schema = schema_text::<types::Order>();
    for field in [
        "\"id\"",
        "\"vcuAmount\"",
        "\"vcuUnitPrice\"",
        "\"totalPrice\"",
        "\"targetCurrency\"",
        "\"status\"",
        "\"createdAt\"",
        "\"certificateRecipientInfo\"",
        "\"retireForRecipient\"",
        "\"date-time\"",
    ] {
        assert!(schema.contains(field), "{field} missing from {schema}");
    }
}

#[test]
fn generated_types_implement_json_schema() {
    assert!(schema_text::<Page<types::Invoice>>().contains("\"pageIndex\""));
    assert!(schema_text::<types::Balance>().contains("\"balancesByCurrency\""));
    assert!(schema_text::<types::TokenResponse>().contains("\"access_token\""));
    assert!(schema_text::<types::TokenResponse>().contains("\"password\""));
    assert!(schema_text::<carbonext_api::EmissionRequest>().contains("\"originCode\""));
    assert!(schema_text::<types::PermissionList>().contains("\"containerId\""));
    assert!(schema_text::<types::NewOrder>().contains("\"payWithBalance\""));
    assert!(schema_text::<DecimalText>().contains("\"decimal\""));
    assert!(schema_text::<InvoiceStatus>().contains("Pending"));
}
