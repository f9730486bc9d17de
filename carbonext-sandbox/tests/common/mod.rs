//! Helpers shared by the integration tests: a started sandbox, tokens, and clients that talk
//! to it over real HTTP on 127.0.0.1.
#![allow(dead_code)]

use carbonext_api::{HookError, Hooks, OperationInfo, RequestHook};
use carbonext_sandbox::Sandbox;
use futures::future::BoxFuture;
use serde_json::Value;

/// A sandbox with the defaults.
pub async fn sandbox() -> Sandbox {
    Sandbox::builder().start().await.expect("sandbox starts")
}

/// A sandbox whose tokens outlive any clock jump of the tests (a year).
pub async fn long_lived() -> Sandbox {
    Sandbox::builder()
        .token_lifetime(std::time::Duration::from_secs(365 * 86_400))
        .start()
        .await
        .expect("sandbox starts")
}

/// `GET` of a control path (`/__sandbox/...`): answered 200, the body decoded as `T`.
pub async fn control_get<T: serde::de::DeserializeOwned>(sandbox: &Sandbox, path: &str) -> T {
    let response = http()
        .get(format!("{}{path}", sandbox.api_url()))
        .send()
        .await
        .expect("the sandbox answers");
    assert_eq!(response.status(), 200, "GET {path}");
    response.json().await.expect("the answer decodes")
}

/// `POST` to a control path (`/__sandbox/...`), with `body` as JSON when there is one:
/// answered 200, the body decoded as `T`.
pub async fn control_post<T: serde::de::DeserializeOwned>(
    sandbox: &Sandbox,
    path: &str,
    body: Option<Value>,
) -> T {
    let mut request = http().post(format!("{}{path}", sandbox.api_url()));
    if let Some(body) = &body {
        request = request.json(body);
    }
    let response = request.send().await.expect("the sandbox answers");
    assert_eq!(response.status(), 200, "POST {path}");
    response.json().await.expect("the answer decodes")
}

/// A plain HTTP client that never reuses connections (so a dropped connection cannot be
/// confused with a stale pooled one).
pub fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .build()
        .expect("client builds")
}

/// An access token for `client_id`/`client_secret`.
pub async fn token_for(sandbox: &Sandbox, client_id: &str, client_secret: &str) -> String {
    let response = http()
        .post(sandbox.token_url())
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", client_id),
            ("client_secret", client_secret),
        ])
        .send()
        .await
        .expect("token request");
    assert_eq!(response.status(), 200, "token endpoint answers 200");
    let body: Value = response.json().await.expect("token JSON");
    body["access_token"]
        .as_str()
        .expect("access_token")
        .to_owned()
}

/// An access token of the seeded key.
pub async fn token(sandbox: &Sandbox) -> String {
    token_for(sandbox, &sandbox.client_id(), &sandbox.client_secret()).await
}

/// Sets `Authorization: Bearer <token>` on every request of a generated client.
pub struct Bearer(pub String);

impl RequestHook for Bearer {
    fn prepare<'a>(
        &'a self,
        request: &'a mut reqwest::Request,
        _info: &'a OperationInfo,
    ) -> BoxFuture<'a, Result<(), HookError>> {
        let value = format!("Bearer {}", self.0).parse().expect("header value");
        request
            .headers_mut()
            .insert(reqwest::header::AUTHORIZATION, value);
        Box::pin(async { Ok(()) })
    }
}

/// The generated client, authenticated with the seeded key.
pub async fn api(sandbox: &Sandbox) -> carbonext_api::Client {
    let token = token(sandbox).await;
    carbonext_api::Client::new(&sandbox.api_url(), Hooks::none().with(Bearer(token)))
}

/// A raw JSON caller with a bearer token.
#[derive(Clone)]
pub struct Caller {
    pub base: String,
    pub token: String,
    pub http: reqwest::Client,
}

/// A response as status, headers and JSON body (`Null` when empty or not JSON).
pub struct Answer {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
}

impl Caller {
    pub async fn seeded(sandbox: &Sandbox) -> Self {
        Self {
            base: sandbox.api_url(),
            token: token(sandbox).await,
            http: http(),
        }
    }

    pub async fn with_key(sandbox: &Sandbox, client_id: &str, client_secret: &str) -> Self {
        Self {
            base: sandbox.api_url(),
            token: token_for(sandbox, client_id, client_secret).await,
            http: http(),
        }
    }

    pub async fn get(&self, path: &str) -> Answer {
        self.send(self.http.get(format!("{}{path}", self.base)))
            .await
    }

    pub async fn post(&self, path: &str, body: Value) -> Answer {
        self.send(self.http.post(format!("{}{path}", self.base)).json(&body))
            .await
    }

    pub async fn post_raw(&self, path: &str, body: &'static str) -> Answer {
        self.send(
            self.http
                .post(format!("{}{path}", self.base))
                .header("content-type", "application/json")
                .body(body),
        )
        .await
    }

    pub async fn put(&self, path: &str, body: Value) -> Answer {
        self.send(self.http.put(format!("{}{path}", self.base)).json(&body))
            .await
    }

    pub async fn delete(&self, path: &str) -> Answer {
        self.send(self.http.delete(format!("{}{path}", self.base)))
            .await
    }

    async fn send(&self, request: reqwest::RequestBuilder) -> Answer {
        let response = request
            .bearer_auth(&self.token)
            .send()
            .await
            .expect("the sandbox answers");
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let bytes = response.bytes().await.expect("body");
        let body = exact_json(&bytes).unwrap_or(Value::Null);
        Answer {
            status,
            headers,
            body,
        }
    }

    /// Places an order and returns its JSON.
    pub async fn order(&self, body: Value) -> Value {
        let answer = self.post("/v1/orders", body).await;
        assert_eq!(answer.status, 200, "order placed: {}", answer.body);
        answer.body
    }
}

impl Answer {
    /// Asserts a problem-details answer with `status` and returns its `errors` member.
    pub fn problem(&self, status: u16) -> &Value {
        assert_eq!(self.status, status, "status of {}", self.body);
        assert_eq!(self.body["status"], status, "problem status member");
        assert!(self.body["title"].is_string(), "problem title");
        assert!(self.body["type"].is_string(), "problem type");
        assert!(self.body["traceId"].is_string(), "problem traceId");
        let content_type = self.headers["content-type"].to_str().unwrap();
        assert!(
            content_type.starts_with("application/json"),
            "{content_type}"
        );
        &self.body["errors"]
    }
}

/// `value` as an exact decimal string: the text [`exact_json`] kept, or an integer's digits.
pub fn dec(value: &Value) -> String {
    value
        .as_str()
        .map_or_else(|| value.to_string(), str::to_owned)
}

/// Parses a JSON body keeping the exact digits of every fractional number, as a string holding
/// its text (`20.50` → `"20.50"`): a plain `serde_json::Value` would hold it as an `f64` and
/// print `20.5`. Integers stay numbers.
pub fn exact_json(bytes: &[u8]) -> Option<Value> {
    use serde_json::value::RawValue;
    fn exact(raw: &RawValue) -> Value {
        let text = raw.get().trim();
        match text.as_bytes().first() {
            Some(b'{') => {
                let members: std::collections::BTreeMap<String, &RawValue> =
                    serde_json::from_str(text).unwrap();
                Value::Object(members.into_iter().map(|(k, v)| (k, exact(v))).collect())
            }
            Some(b'[') => {
                let items: Vec<&RawValue> = serde_json::from_str(text).unwrap();
                Value::Array(items.into_iter().map(exact).collect())
            }
            Some(b'-' | b'0'..=b'9') if text.contains(['.', 'e', 'E']) => {
                Value::String(text.to_owned())
            }
            _ => serde_json::from_str(text).unwrap(),
        }
    }
    let raw: &RawValue = serde_json::from_slice(bytes).ok()?;
    Some(exact(raw))
}
