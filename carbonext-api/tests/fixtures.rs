//! Every example body of the API docs and seeds decodes into its generated type, is
//! snapshot-tested, and re-encodes with every number's digits intact.
//!
//! The fixtures in `tests/fixtures/` are the JSON blocks of
//! `shared/reference/carbonext-api-docs/*.md` and `shared/reference/seeds/*.md`, named
//! `<operation>[.<variant>].<request|response>.json`, copied verbatim except for these fixes
//! (JSON has no comments, so they are listed here):
//!
//! - `list_applications.response.json`: trailing comma after the last item removed
//!   (core-concepts-applications.md, "List Applications" example response).
//! - `create_user.response.json`: trailing comma after the last permission removed
//!   (users.md, "Users [POST]" example response).
//! - `list_orders.seed.response.json`: seeds/integrating.en.md step 4 answers the order
//!   creation with a page of orders whose opening reads `{ [ {...} ], "pageIndex": ...`; the
//!   array is given its `"items":` key. It is a page, so it is a `list_orders` fixture.
//! - `request_token.*.request.json`: the token request is a form, written in the docs as a
//!   JavaScript object for `qs.stringify({...})` with single quotes; its fields are kept as a
//!   JSON object (double quotes, trailing spaces dropped). `offline_access` is the form of the
//!   HTML-commented "BODY urlencoded" block of core-concepts-authorization.md, its
//!   `{{client_id}}` placeholders kept as text.
//! - Request bodies of `JSON.stringify({...})` examples are the object literal as written.
//!
//! Identical examples repeated in getting-started-integrating.md and seeds/integrating.en.md
//! (token request and response, price, order request, balance) have one fixture, named
//! `getting_started`. Not fixtures: the HTML-commented examples of calls outside the 24
//! documented ones (invoice creation and its response, refresh token, userinfo), and the
//! empty `qs.stringify({})` form the list-applications example attaches to its GET.

mod common;

use carbonext_api::types;
use carbonext_api::Page;
use common::{encoded, fixture, json, numbers, round_trip_differences};
use serde::de::DeserializeOwned;
use serde::Serialize;

/// Decodes the fixture as `T`, checks that re-encoding keeps every number's text and every
/// kept value, and returns the decoded value with its pretty re-encoding (the snapshot).
fn decode<T: DeserializeOwned + Serialize>(name: &str) -> (T, String) {
    let text = fixture(name);
    let decoded: T = serde_json::from_str(&text).unwrap_or_else(|e| {
        panic!(
            "{name} does not decode as {}: {e}",
            std::any::type_name::<T>()
        )
    });
    let original = json(&text);
    let reencoded = encoded(&decoded);
    let differences = round_trip_differences(&original, &reencoded);
    assert!(
        differences.is_empty(),
        "{name}: re-encoding changed the document:\n{}",
        differences.join("\n")
    );
    // Stated separately: the numbers of the original, in order, are exactly the numbers of
    // the re-encoding (no null or empty member holds a number, so none may go missing).
    let reencoded_numbers = numbers(&reencoded);
    for (path, text) in numbers(&original) {
        assert!(
            reencoded_numbers.contains(&(path.clone(), text.clone())),
            "{name}: number {text} at {path} did not survive re-encoding"
        );
    }
    let pretty = serde_json::to_string_pretty(&decoded).unwrap();
    (decoded, pretty)
}

macro_rules! fixture_test {
    ($test:ident, $file:literal, $ty:ty $(, |$value:ident| $check:expr)?) => {
        #[test]
        fn $test() {
            let (_decoded, pretty): ($ty, String) = decode($file);
            $( let $value = &_decoded; $check; )?
            insta::assert_snapshot!($file, pretty);
        }
    };
}

/// Every fixture file, each decoded by one test below.
const FIXTURES: &[&str] = &[
    "calculate_emission.distance.request.json",
    "calculate_emission.distance.response.json",
    "calculate_emission.route.request.json",
    "calculate_emission.route.response.json",
    "cancel_order.response.json",
    "cancel_orders.response.json",
    "create_application.request.json",
    "create_application.response.json",
    "create_order.getting_started.request.json",
    "create_order.getting_started.response.json",
    "create_order.getting_started_axios.request.json",
    "create_order.request.json",
    "create_order.response.json",
    "create_user.request.json",
    "create_user.response.json",
    "delete_user.response.json",
    "get_allowed_filters.response.json",
    "get_application.response.json",
    "get_balance.getting_started.response.json",
    "get_balance.response.json",
    "get_invoice.response.json",
    "get_price.getting_started.response.json",
    "get_price.response.json",
    "get_user.response.json",
    "list_airports.response.json",
    "list_applications.response.json",
    "list_calculator_types.response.json",
    "list_invoices.filtered.response.json",
    "list_invoices.response.json",
    "list_orders.response.json",
    "list_orders.seed.response.json",
    "list_permissions.response.json",
    "list_resources.response.json",
    "list_users.response.json",
    "request_token.no_scope.request.json",
    "request_token.offline_access.request.json",
    "request_token.request.json",
    "request_token.response.json",
];

#[test]
fn every_fixture_file_is_listed_and_decoded() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let mut on_disk: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().into_string().unwrap())
        .collect();
    on_disk.sort();
    assert_eq!(on_disk, FIXTURES);
}

#[test]
fn round_trip_check_catches_a_lost_trailing_zero_and_a_dropped_number() {
    let original = json(r#"{"totalPrice": 2.200, "items": [{"vcuAmount": 0.02}], "note": null}"#);
    let trimmed = json(r#"{"totalPrice": 2.2, "items": [{}]}"#);
    let differences = round_trip_differences(&original, &trimmed);
    assert_eq!(
        differences,
        [
            "/items/0/vcuAmount: number 0.02 dropped",
            "/totalPrice: number 2.200 re-encoded as 2.2",
        ]
    );
}

#[test]
fn round_trip_check_accepts_dropped_nulls_and_empty_arrays() {
    let original = json(r#"{"a": 1.50, "b": null, "c": [], "d": "x"}"#);
    let kept = json(r#"{"a": 1.50, "d": "x"}"#);
    assert_eq!(
        round_trip_differences(&original, &kept),
        Vec::<String>::new()
    );
}

// --- auth ---------------------------------------------------------------------------------

fixture_test!(
    token_request_with_scope_decodes_as_token_request,
    "request_token.request.json",
    types::TokenRequest,
    |r| assert_eq!(r.scope.as_deref(), Some("roles"))
);
fixture_test!(
    token_request_without_scope_decodes_as_token_request,
    "request_token.no_scope.request.json",
    types::TokenRequest,
    |r| assert_eq!(
        r.client_secret.expose(),
        "7beb0588-edb3-44f4-bbfc-9779cd5c9dbf"
    )
);
fixture_test!(
    commented_offline_access_token_form_decodes_as_token_request,
    "request_token.offline_access.request.json",
    types::TokenRequest,
    |r| assert_eq!(r.grant_type, "client_credentials")
);
fixture_test!(
    token_response_decodes_as_token_response,
    "request_token.response.json",
    types::TokenResponse,
    |t| {
        assert_eq!(t.expires_in, 36000);
        assert_eq!(t.not_before_policy, Some(0));
    }
);

// --- prices -------------------------------------------------------------------------------

fixture_test!(
    price_response_decodes_as_price,
    "get_price.response.json",
    types::Price,
    |p| assert_eq!(p.vcu_price.to_string(), "137.5")
);
fixture_test!(
    getting_started_price_response_decodes_as_price,
    "get_price.getting_started.response.json",
    types::Price
);

// --- orders -------------------------------------------------------------------------------

fixture_test!(
    order_request_decodes_as_new_order_with_fractional_vcu_amount,
    "create_order.request.json",
    types::NewOrder,
    |o| assert_eq!(o.vcu_amount.to_string(), "0.02")
);
fixture_test!(
    getting_started_order_request_with_empty_recipient_decodes_as_new_order,
    "create_order.getting_started.request.json",
    types::NewOrder,
    |o| assert_eq!(
        o.certificate_recipient_info,
        Some(types::CertificateRecipientInfo::default())
    )
);
fixture_test!(
    getting_started_axios_order_request_decodes_as_new_order,
    "create_order.getting_started_axios.request.json",
    types::NewOrder
);
fixture_test!(
    order_response_decodes_as_order_keeping_2_200,
    "create_order.response.json",
    types::Order,
    |o| assert_eq!(o.total_price.unwrap().to_string(), "2.200")
);
fixture_test!(
    getting_started_order_response_decodes_as_paid_subscription_order,
    "create_order.getting_started.response.json",
    types::Order,
    |o| assert_eq!(o.status, carbonext_api::OrderStatus::Paid)
);
fixture_test!(
    order_list_decodes_as_page_of_orders_with_both_timestamp_shapes,
    "list_orders.response.json",
    Page<types::Order>,
    |p| assert_eq!(p.items.len(), 2)
);
fixture_test!(
    seed_order_list_decodes_as_page_keeping_195_7295744096000,
    "list_orders.seed.response.json",
    Page<types::Order>,
    |p| assert_eq!(
        p.items[0].total_price.unwrap().to_string(),
        "195.7295744096000"
    )
);
fixture_test!(
    cancel_order_response_decodes_as_cancelled_order,
    "cancel_order.response.json",
    types::Order,
    |o| assert_eq!(o.status, carbonext_api::OrderStatus::Cancelled)
);
fixture_test!(
    batch_cancel_response_of_one_order_decodes_as_cancelled_orders,
    "cancel_orders.response.json",
    carbonext_api::CancelledOrders,
    |c| assert!(matches!(c, carbonext_api::CancelledOrders::Order(_)))
);

// --- balance and invoices -----------------------------------------------------------------

fixture_test!(
    balance_response_decodes_as_balance,
    "get_balance.response.json",
    types::Balance
);
fixture_test!(
    getting_started_balance_decodes_keeping_37_53443683424,
    "get_balance.getting_started.response.json",
    types::Balance,
    |b| assert_eq!(
        b.balances_by_currency[0]
            .vcu_balance
            .debt
            .unwrap()
            .to_string(),
        "37.53443683424"
    )
);
fixture_test!(
    invoice_list_decodes_as_page_of_invoices,
    "list_invoices.response.json",
    Page<types::Invoice>
);
fixture_test!(
    filtered_invoice_list_without_aggregations_decodes_as_page_of_invoices,
    "list_invoices.filtered.response.json",
    Page<types::Invoice>,
    |p| {
        assert_eq!(p.total_count, 7);
        assert_eq!(p.aggregations, None);
    }
);
fixture_test!(
    invoice_response_decodes_as_invoice,
    "get_invoice.response.json",
    types::Invoice
);

// --- applications -------------------------------------------------------------------------

fixture_test!(
    application_request_decodes_as_new_application,
    "create_application.request.json",
    types::NewApplication,
    |a| assert_eq!(a.permissions.len(), 2)
);
fixture_test!(
    application_response_decodes_as_application_credentials,
    "create_application.response.json",
    types::ApplicationCredentials
);
fixture_test!(
    application_list_decodes_as_page_of_applications,
    "list_applications.response.json",
    Page<types::Application>
);
fixture_test!(
    application_response_with_permissions_decodes_as_application,
    "get_application.response.json",
    types::Application,
    |a| assert_eq!(
        a.permissions[0].name.as_deref(),
        Some("default-roles-co2free")
    )
);

// --- users and permissions ----------------------------------------------------------------

fixture_test!(
    user_request_decodes_as_new_user,
    "create_user.request.json",
    types::NewUser
);
fixture_test!(
    created_user_with_permission_keys_decodes_as_user,
    "create_user.response.json",
    types::User,
    |u| assert_eq!(u.permissions[2].key.as_deref(), Some("certificates_read"))
);
fixture_test!(
    user_list_decodes_as_page_of_users,
    "list_users.response.json",
    Page<types::User>
);
fixture_test!(
    user_with_permission_names_decodes_as_user,
    "get_user.response.json",
    types::User,
    |u| assert_eq!(u.permissions[1].name.as_deref(), Some("orders_read"))
);
fixture_test!(
    delete_user_response_decodes_as_true,
    "delete_user.response.json",
    bool,
    |b| assert!(*b)
);
fixture_test!(
    bare_permission_array_decodes_as_permission_list,
    "list_permissions.response.json",
    types::PermissionList,
    |l| assert!(matches!(l, types::PermissionList::Array(items) if items.len() == 3))
);

// --- filters and calculators --------------------------------------------------------------

fixture_test!(
    resources_response_decodes_as_resources,
    "list_resources.response.json",
    types::Resources
);
fixture_test!(
    allowed_filters_response_decodes_as_allowed_filters,
    "get_allowed_filters.response.json",
    types::AllowedFilters
);
fixture_test!(
    calculator_types_response_decodes_as_calculator_types,
    "list_calculator_types.response.json",
    types::CalculatorTypes
);
fixture_test!(
    airport_list_decodes_as_page_of_airports,
    "list_airports.response.json",
    Page<types::Airport>,
    |p| assert!(p.has_next_page)
);
fixture_test!(
    distance_emission_request_decodes_as_distance_form,
    "calculate_emission.distance.request.json",
    carbonext_api::EmissionRequest,
    |r| assert!(matches!(
        r,
        carbonext_api::EmissionRequest::DistanceEmissionRequest(_)
    ))
);
fixture_test!(
    distance_emission_response_decodes_as_emission,
    "calculate_emission.distance.response.json",
    types::Emission
);
fixture_test!(
    route_emission_request_decodes_as_route_form,
    "calculate_emission.route.request.json",
    carbonext_api::EmissionRequest,
    |r| assert!(matches!(
        r,
        carbonext_api::EmissionRequest::RouteEmissionRequest(_)
    ))
);
fixture_test!(
    route_emission_response_decodes_keeping_0_0293110549184694,
    "calculate_emission.route.response.json",
    types::Emission,
    |e| assert_eq!(e.emission.to_string(), "0.0293110549184694")
);
