//! Error answers reach the caller as typed errors whatever the server (or a proxy in front
//! of it) sent: problem details stay untouched, anything else becomes problem details with
//! the HTTP status and an excerpt; token endpoint failures become an OAuth error object; a
//! malformed success body is `InvalidResponsePayload`, never a panic.

mod common;

use axum::http::StatusCode;
use carbonext_api::{types, Client, Error, Hooks, Secret};
use common::{Canned, Peer};

async fn client_for(canned: Canned) -> (Peer, Client) {
    let peer = Peer::start(canned).await;
    let client = Client::new(&peer.url, Hooks::none());
    (peer, client)
}

/// The problem details of an `ErrorResponse`, with the HTTP status of the response.
fn problem(error: Error<types::ProblemDetails>) -> (reqwest::StatusCode, types::ProblemDetails) {
    match error {
        Error::ErrorResponse(response) => (response.status(), response.into_inner()),
        other => panic!("expected Error::ErrorResponse, got {other:?}"),
    }
}

fn token_request() -> types::TokenRequest {
    types::TokenRequest {
        grant_type: "client_credentials".into(),
        client_id: "cbx_b2b_app".into(),
        client_secret: Secret::new("wrong"),
        scope: None,
    }
}

#[tokio::test]
async fn html_502_becomes_problem_details_with_status_and_excerpt() {
    let html = "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body><center><h1>502 Bad Gateway</h1></center></body>\r\n</html>\r\n";
    let (_peer, client) = client_for(Canned::new(StatusCode::BAD_GATEWAY, "text/html", html)).await;
    let (status, problem) = problem(client.get_price().send().await.unwrap_err());

    assert_eq!(status, 502);
    assert_eq!(problem.status, Some(502));
    assert_eq!(problem.type_.as_deref(), Some("about:blank"));
    assert_eq!(problem.title.as_deref(), Some("Bad Gateway"));
    assert_eq!(problem.detail.as_deref(), Some(html.trim()));
}

#[tokio::test]
async fn empty_500_becomes_problem_details_with_status_and_reason() {
    let (_peer, client) = client_for(Canned::new(
        StatusCode::INTERNAL_SERVER_ERROR,
        "text/plain",
        "",
    ))
    .await;
    let (status, problem) = problem(client.list_orders().send().await.unwrap_err());

    assert_eq!(status, 500);
    assert_eq!(problem.status, Some(500));
    assert_eq!(problem.title.as_deref(), Some("Internal Server Error"));
    assert_eq!(problem.detail.as_deref(), Some(""));
}

#[tokio::test]
async fn plain_text_404_becomes_problem_details_with_the_text_as_detail() {
    let (_peer, client) = client_for(Canned::new(
        StatusCode::NOT_FOUND,
        "text/plain",
        "Order not found\n",
    ))
    .await;
    let (status, problem) = problem(
        client
            .cancel_order()
            .order_id(uuid::Uuid::nil())
            .send()
            .await
            .unwrap_err(),
    );

    assert_eq!(status, 404);
    assert_eq!(problem.status, Some(404));
    assert_eq!(problem.title.as_deref(), Some("Not Found"));
    assert_eq!(problem.detail.as_deref(), Some("Order not found"));
}

#[tokio::test]
async fn problem_details_400_reaches_the_caller_untouched() {
    let body = r#"{
        "type": "https://tools.ietf.org/html/rfc7231#section-6.5.1",
        "title": "One or more validation errors occurred.",
        "status": 400,
        "traceId": "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00",
        "errors": {"VcuAmount": ["'Vcu Amount' must be greater than '0'."]}
    }"#;
    let (_peer, client) = client_for(Canned::new(
        StatusCode::BAD_REQUEST,
        "application/problem+json",
        body,
    ))
    .await;
    let (status, problem) = problem(
        client
            .create_order()
            .body(types::NewOrder::builder().vcu_amount(rust_decimal::Decimal::ZERO))
            .send()
            .await
            .unwrap_err(),
    );

    let sent: types::ProblemDetails = serde_json::from_str(body).unwrap();
    assert_eq!(status, 400);
    assert_eq!(problem, sent);
    assert_eq!(
        problem.detail, None,
        "no excerpt added to real problem details"
    );
    assert_eq!(
        problem.errors["VcuAmount"],
        ["'Vcu Amount' must be greater than '0'."]
    );
}

#[tokio::test]
async fn json_error_body_that_is_not_problem_details_is_replaced_with_an_excerpt() {
    let body = r#"{"status": "failed", "message": "quota"}"#;
    let (_peer, client) = client_for(Canned::new(
        StatusCode::TOO_MANY_REQUESTS,
        "application/json",
        body,
    ))
    .await;
    let (status, problem) = problem(client.list_invoices().send().await.unwrap_err());

    assert_eq!(status, 429);
    assert_eq!(problem.status, Some(429));
    assert_eq!(problem.title.as_deref(), Some("Too Many Requests"));
    assert_eq!(problem.detail.as_deref(), Some(body));
}

#[tokio::test]
async fn gateway_json_without_problem_members_is_replaced_with_an_excerpt() {
    // What API gateways answer (Kong, AWS API Gateway): a JSON object, but with none of the
    // problem details members, which would otherwise decode as an empty ProblemDetails.
    let body = r#"{"message":"Unauthorized"}"#;
    let (_peer, client) = client_for(Canned::new(
        StatusCode::UNAUTHORIZED,
        "application/json",
        body,
    ))
    .await;
    let (status, problem) = problem(client.get_balance().send().await.unwrap_err());

    assert_eq!(status, 401);
    assert_eq!(problem.status, Some(401));
    assert_eq!(problem.title.as_deref(), Some("Unauthorized"));
    assert_eq!(problem.detail.as_deref(), Some(body));
}

#[tokio::test]
async fn problem_details_with_only_a_title_are_kept() {
    let body =
        r#"{"title":"Order cannot be cancelled after 10 days","detail":"purchased 2022-07-01"}"#;
    let (_peer, client) = client_for(Canned::new(
        StatusCode::CONFLICT,
        "application/problem+json",
        body,
    ))
    .await;
    let (status, problem) = problem(
        client
            .cancel_orders()
            .body(types::CancelOrders {
                orders_ids: vec![uuid::Uuid::nil()],
            })
            .send()
            .await
            .unwrap_err(),
    );

    assert_eq!(status, 409);
    assert_eq!(
        problem,
        serde_json::from_str::<types::ProblemDetails>(body).unwrap()
    );
}

#[tokio::test]
async fn huge_error_body_is_cut_to_a_short_excerpt() {
    let body = "x".repeat(1024 * 1024);
    let (_peer, client) = client_for(Canned::new(StatusCode::BAD_GATEWAY, "text/html", body)).await;
    let (status, problem) = problem(client.list_users().send().await.unwrap_err());

    assert_eq!(status, 502);
    assert_eq!(problem.status, Some(502));
    let detail = problem.detail.unwrap();
    assert!(
        detail.chars().count() <= 512,
        "{} chars",
        detail.chars().count()
    );
    assert!(detail.starts_with("xxxx"));
}

#[tokio::test]
async fn huge_problem_details_body_is_not_trusted_half_read() {
    // Past the read limit the body is incomplete, so even valid-looking JSON is replaced.
    let body = format!(
        r#"{{"title": "big", "status": 400, "detail": "{}"}}"#,
        "y".repeat(1024 * 1024)
    );
    let (_peer, client) = client_for(Canned::new(
        StatusCode::BAD_REQUEST,
        "application/json",
        body,
    ))
    .await;
    let (status, problem) = problem(client.list_users().send().await.unwrap_err());

    assert_eq!(status, 400);
    assert_eq!(problem.title.as_deref(), Some("Bad Request"));
    assert!(problem.detail.unwrap().chars().count() <= 512);
}

#[tokio::test]
async fn non_utf8_error_body_becomes_a_lossy_excerpt() {
    let (_peer, client) = client_for(Canned::new(
        StatusCode::SERVICE_UNAVAILABLE,
        "application/octet-stream",
        vec![0xff, 0xfe, b'o', b'k'],
    ))
    .await;
    let (status, problem) = problem(client.list_resources().send().await.unwrap_err());
    assert_eq!(status, 503);
    assert_eq!(problem.detail.as_deref(), Some("\u{fffd}\u{fffd}ok"));
}

#[tokio::test]
async fn token_endpoint_html_error_becomes_oauth_unexpected_response() {
    let (_peer, client) = client_for(Canned::new(
        StatusCode::UNAUTHORIZED,
        "text/html",
        "<html><body>Unauthorized</body></html>",
    ))
    .await;
    let error = client
        .request_token()
        .body(token_request())
        .send()
        .await
        .unwrap_err();

    let Error::ErrorResponse(response) = error else {
        panic!("expected Error::ErrorResponse, got {error:?}");
    };
    assert_eq!(response.status(), 401);
    let oauth = response.into_inner();
    assert_eq!(oauth.error, "unexpected_response");
    assert_eq!(
        oauth.error_description.as_deref(),
        Some("HTTP 401 Unauthorized: <html><body>Unauthorized</body></html>")
    );
}

#[tokio::test]
async fn token_endpoint_oauth_error_reaches_the_caller_untouched() {
    let body = r#"{"error":"invalid_client","error_description":"Invalid client or Invalid client credentials"}"#;
    let (_peer, client) = client_for(Canned::new(
        StatusCode::UNAUTHORIZED,
        "application/json",
        body,
    ))
    .await;
    let error = client
        .request_token()
        .body(token_request())
        .send()
        .await
        .unwrap_err();

    let Error::ErrorResponse(response) = error else {
        panic!("expected Error::ErrorResponse, got {error:?}");
    };
    let oauth = response.into_inner();
    assert_eq!(
        oauth,
        serde_json::from_str::<types::OAuthError>(body).unwrap()
    );
}

#[tokio::test]
async fn malformed_json_in_a_200_is_invalid_response_payload() {
    let (_peer, client) = client_for(Canned::json(r#"{"vcuPrice": 137.5, "currency": "#)).await;
    let error = client.get_price().send().await.unwrap_err();
    match error {
        Error::InvalidResponsePayload(bytes, _) => {
            assert_eq!(&bytes[..], br#"{"vcuPrice": 137.5, "currency": "#)
        }
        other => panic!("expected Error::InvalidResponsePayload, got {other:?}"),
    }
}

#[tokio::test]
async fn wrongly_shaped_200_is_invalid_response_payload() {
    let (_peer, client) = client_for(Canned::json(r#"{"vcuPrice": "a lot"}"#)).await;
    let error = client.get_price().send().await.unwrap_err();
    assert!(
        matches!(error, Error::InvalidResponsePayload(..)),
        "{error:?}"
    );
}

#[tokio::test]
async fn unreachable_server_is_a_communication_error() {
    // Bind, learn the port, close: nothing listens there any more.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let client = Client::new(&url, Hooks::none());
    let error = client.list_resources().send().await.unwrap_err();
    assert!(matches!(error, Error::CommunicationError(_)), "{error:?}");
}
