//! Public catalogue endpoints: resources, allowed filters, calculator types, airports and
//! emission calculations.

mod common;

use common::{dec, http};
use serde_json::{json, Value};

async fn get(sandbox: &carbonext_sandbox::Sandbox, path: &str) -> (u16, Value) {
    let response = http()
        .get(format!("{}{path}", sandbox.api_url()))
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.json().await.unwrap())
}

async fn calculate(sandbox: &carbonext_sandbox::Sandbox, body: Value) -> (u16, Value) {
    let response = http()
        .post(format!("{}/v1/calculators/calculate", sandbox.api_url()))
        .json(&body)
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.json().await.unwrap())
}

#[tokio::test]
async fn resources_and_allowed_filters() {
    let sandbox = common::sandbox().await;
    let (_, resources) = get(&sandbox, "/v1/resources").await;
    assert_eq!(
        resources["entities"],
        json!([
            "applications",
            "invoices",
            "orders",
            "subscriptions",
            "retirements",
            "users"
        ])
    );
    let (status, orders) = get(&sandbox, "/v1/allowed-filters/orders").await;
    assert_eq!(status, 200);
    let filters: Vec<&str> = orders["filters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f.as_str().unwrap())
        .collect();
    for documented in [
        "status_in",
        "vcuUnitPrice_ge",
        "invoiceId_eq",
        "createdAt_lt",
        "totalPrice_eq",
    ] {
        assert!(filters.contains(&documented), "{documented}");
    }
    // Not documented, so not offered unless asked for (`metadata_filter`).
    assert!(
        !filters.iter().any(|f| f.starts_with("metaData")),
        "{filters:?}"
    );
    assert_eq!(orders["sort"][0], "createdAt");
    assert_eq!(
        orders["aggregate"]["operations"],
        json!(["sum", "avg", "min", "max", "count"])
    );
    let (status, invoices) = get(&sandbox, "/v1/allowed-filters/invoices").await;
    assert_eq!(status, 200);
    assert!(invoices["filters"]
        .as_array()
        .unwrap()
        .contains(&json!("totalVcuAmount_ge")));
    let (status, _) = get(&sandbox, "/v1/allowed-filters/spaceships").await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn calculator_types_and_airports() {
    let sandbox = common::sandbox().await;
    let (_, types) = get(&sandbox, "/v1/calculators/types").await;
    assert_eq!(
        types["types"],
        json!([
            {"value": 0, "name": "CargoTruck", "responseUnit": "tCO2eq/tonne", "requestUnit": "grams"},
            {"value": 1, "name": "PassengerAirplane", "responseUnit": "tCO2eq/passenger", "requestUnit": "passenger"},
            {"value": 2, "name": "PassengerBus", "responseUnit": "tCO2eq/passenger", "requestUnit": "passenger"}
        ])
    );
    let (_, first) = get(&sandbox, "/v1/calculators/airports").await;
    assert!(first["totalCount"].as_i64().unwrap() >= 100);
    assert_eq!(first["items"].as_array().unwrap().len(), 10);
    assert_eq!(
        first["items"][0],
        json!({"code": "CPT", "country": "África do Sul", "city": "Cidade do Cabo"})
    );
    let (_, all) = get(&sandbox, "/v1/calculators/airports?page-size=1000").await;
    let codes: Vec<&str> = all["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["code"].as_str().unwrap())
        .collect();
    for code in [
        "GRU", "GIG", "BSB", "CGH", "SDU", "CNF", "POA", "REC", "SSA", "FOR", "JFK", "LHR", "CDG",
        "FRA", "LIS", "MAD",
    ] {
        assert!(codes.contains(&code), "{code}");
    }
}

#[tokio::test]
async fn emission_by_distance_matches_the_docs_example() {
    let sandbox = common::sandbox().await;
    let (status, body) = calculate(&sandbox, json!({"type": 0, "distance": 100000})).await;
    assert_eq!(status, 200);
    assert_eq!(dec(&body["emission"]), "0.03885");
    assert_eq!(body["emissionUnit"], "tCO2eq/tonne");
    let (_, plane) = calculate(&sandbox, json!({"type": 1, "distance": 1000000})).await;
    assert_eq!(dec(&plane["emission"]), "0.158");
    assert_eq!(plane["emissionUnit"], "tCO2eq/passenger");
    let (_, bus) = calculate(&sandbox, json!({"type": 2, "distance": 1000})).await;
    assert_eq!(dec(&bus["emission"]), "0.000027");
}

#[tokio::test]
async fn emission_by_route_uses_great_circle_and_cep_approximation() {
    let sandbox = common::sandbox().await;
    // GRU–LIS is about 7,940 km: two passengers at 0.000158 t/pkm ≈ 2.51 t.
    let (status, flight) = calculate(
        &sandbox,
        json!({"type": 1, "originCode": "GRU", "destCode": "lis", "unitValue": 2}),
    )
    .await;
    assert_eq!(status, 200);
    let emission: f64 = dec(&flight["emission"]).parse().unwrap();
    assert!((2.45..2.56).contains(&emission), "{emission}");
    assert_eq!(flight["emissionUnit"], "tCO2eq");
    // Return trip, same emission.
    let (_, back) = calculate(
        &sandbox,
        json!({"type": 1, "originCode": "LIS", "destCode": "GRU", "unitValue": 2}),
    )
    .await;
    assert_eq!(back["emission"], flight["emission"]);

    // The docs' truck example: São Paulo → Belém, 20 kg.
    let (status, truck) = calculate(
        &sandbox,
        json!({"type": 0, "originCode": "01526-000", "destCode": "66060425", "unitValue": 20000}),
    )
    .await;
    assert_eq!(status, 200);
    let emission: f64 = dec(&truck["emission"]).parse().unwrap();
    assert!((0.02..0.035).contains(&emission), "{emission}");

    for (body, field) in [
        (
            json!({"type": 1, "originCode": "XXX", "destCode": "GRU", "unitValue": 1}),
            "originCode",
        ),
        (
            json!({"type": 0, "originCode": "GRU", "destCode": "66060425", "unitValue": 1}),
            "originCode",
        ),
        (
            json!({"type": 0, "originCode": "01526-000", "destCode": "00000000", "unitValue": 1}),
            "destCode",
        ),
        (
            json!({"type": 0, "originCode": "01526-000", "destCode": "66060425", "unitValue": 0}),
            "unitValue",
        ),
        (json!({"type": 7, "distance": 10}), "type"),
        (json!({"type": 0, "distance": -10}), "distance"),
        (json!({"type": 0}), "$"),
    ] {
        let (status, problem) = calculate(&sandbox, body.clone()).await;
        assert_eq!(status, 400, "{body}");
        assert!(problem["errors"][field].is_array(), "{body} → {problem}");
    }
}
