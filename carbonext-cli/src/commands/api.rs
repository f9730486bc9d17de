//! `carbonext api`: one authenticated request to the configured API, the answer printed as
//! received, so every number keeps its digits.
//!
//! The request goes through the facade's HTTP client to its base URL only (a full URL is
//! refused), with a token from its cache. GET, HEAD and OPTIONS are retried on connection
//! failures, 429 and 5xx per the retry policy; a 401 is retried once with a new token.
//! `--paginate` walks `page`/`page-size` and prints the items of every page as one JSON
//! array, each item's text untouched.
//!
//! ```text
//! $ carbonext api /v1/orders --paginate | jq length
//! 250
//! ```

use std::io::Read;

use carbonext_api::ClientInfo;
use reqwest::header::HeaderMap;
use reqwest::{Method, StatusCode};
use serde::Deserialize;
use serde_json::value::RawValue;

use super::Context;
use crate::cli::ApiArgs;
use crate::connect::Session;
use crate::exit::{CliError, ExitCode};
use crate::output::write_stdout;

/// Items per page of `--paginate` when the path sets no `page-size`.
const PAGE_SIZE: u32 = 100;

/// An answer as received.
struct Answer {
    status: StatusCode,
    version: reqwest::Version,
    headers: HeaderMap,
    body: String,
}

/// Why an attempt did not give an answer worth keeping.
enum Failure {
    /// No answer (connection, time limit, body cut).
    Transport(reqwest::Error),
    /// An answer to retry (429, 5xx), kept as the outcome should no retry be allowed.
    Retryable(Answer),
}

/// A page of the pagination envelope, its items kept as raw JSON text.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawPage<'a> {
    #[serde(borrow)]
    items: Vec<&'a RawValue>,
    total_pages: Option<i64>,
}

/// Runs `carbonext api`.
pub async fn run(context: &Context, args: ApiArgs) -> Result<(), CliError> {
    let method = match &args.method {
        Some(m) => Method::from_bytes(m.trim().to_ascii_uppercase().as_bytes())
            .map_err(|_| CliError::usage(format!("{m:?} is not an HTTP method")))?,
        None if args.data.is_some() => Method::POST,
        None => Method::GET,
    };
    let path = check_path(&args.path)?;
    let body = args.data.as_deref().map(read_body).transpose()?;
    if args.paginate && method != Method::GET {
        return Err(CliError::usage("--paginate walks the pages of a GET"));
    }
    let safe = matches!(method, Method::GET | Method::HEAD | Method::OPTIONS);
    let gate = if safe {
        None
    } else {
        Some(context.write_gate()?)
    };
    context
        .with_session(|session| async move {
            if let Some(gate) = gate {
                if let Err(error) = gate.confirm(vec![format!("{method} {path}")]).await {
                    return (session, Err(error));
                }
            }
            let result = if args.paginate {
                paginate(&session, &path).await
            } else {
                match send(&session, &method, &path, body.as_deref(), safe).await {
                    Ok(answer) => print(&answer, args.include),
                    Err(error) => Err(error),
                }
            };
            (session, result)
        })
        .await
}

/// A path under the base URL: `/v1/orders`, `v1/orders?page=2`. Full URLs are refused, so
/// the token only ever goes to the configured API.
fn check_path(path: &str) -> Result<String, CliError> {
    let path = path.trim();
    if path.contains("://") || path.starts_with("//") {
        return Err(CliError::usage(format!(
            "{path:?}: give a path under the API's base URL (e.g. /v1/orders), not a URL"
        ))
        .hint("the target is chosen by --env/--api-url/--profile; the token goes nowhere else"));
    }
    Ok(if path.starts_with('/') {
        path.to_owned()
    } else {
        format!("/{path}")
    })
}

/// The body of `-d`: the JSON itself, `@FILE` or `@-` (stdin); checked to be JSON.
fn read_body(data: &str) -> Result<String, CliError> {
    let text = match data.strip_prefix('@') {
        Some("-") => {
            let mut text = String::new();
            std::io::stdin()
                .read_to_string(&mut text)
                .map_err(|e| CliError::usage(format!("could not read stdin: {e}")))?;
            text
        }
        Some(file) => std::fs::read_to_string(file)
            .map_err(|e| CliError::usage(format!("could not read {file}: {e}")))?,
        None => data.to_owned(),
    };
    serde_json::from_str::<serde::de::IgnoredAny>(&text)
        .map_err(|e| CliError::usage(format!("the body is not JSON: {e}; nothing was sent")))?;
    Ok(text)
}

async fn attempt(
    session: &Session,
    method: &Method,
    url: &str,
    body: Option<&str>,
) -> Result<Answer, Failure> {
    let tokens = session
        .carbonext
        .token_cache()
        .expect("the session has a token cache");
    let mut refreshed = false;
    loop {
        // A token failure was reported by the session's authentication; a new one failing
        // here shows as the API's 401.
        let token = tokens.token().await.ok();
        let mut request = session
            .carbonext
            .raw()
            .client()
            .request(method.clone(), url)
            .header(reqwest::header::ACCEPT, "application/json");
        if let Some(token) = &token {
            request = request.bearer_auth(token.secret().expose());
        }
        if let Some(body) = body {
            request = request
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(body.to_owned());
        }
        let response = request.send().await.map_err(Failure::Transport)?;
        let status = response.status();
        if status == StatusCode::UNAUTHORIZED && !refreshed {
            // A revoked or expired token: a 401 means nothing was processed.
            if let Some(token) = &token {
                tokens.invalidate_if_current(token);
            }
            refreshed = true;
            continue;
        }
        let version = response.version();
        let headers = response.headers().clone();
        let body = response.text().await.map_err(Failure::Transport)?;
        let answer = Answer {
            status,
            version,
            headers,
            body,
        };
        return if status == StatusCode::TOO_MANY_REQUESTS || status.is_server_error() {
            Err(Failure::Retryable(answer))
        } else {
            Ok(answer)
        };
    }
}

/// Sends one request (retried when `safe`), returning any answer that is not a failure to
/// retry; a 4xx is an answer too.
async fn send(
    session: &Session,
    method: &Method,
    path: &str,
    body: Option<&str>,
    safe: bool,
) -> Result<Answer, CliError> {
    let url = format!("{}{path}", session.carbonext.raw().baseurl());
    let policy = session.retry.clone();
    let outcome = policy
        .run(
            |_| attempt(session, method, &url, body),
            |failure, _| async move {
                let after = match &failure {
                    Failure::Retryable(answer) => carbonext_auth::retry_after(&answer.headers),
                    Failure::Transport(_) => None,
                };
                if safe {
                    carbonext_auth::Verdict::Retry {
                        error: failure,
                        after,
                    }
                } else {
                    carbonext_auth::Verdict::Done(Err(failure))
                }
            },
        )
        .await;
    match outcome {
        Ok(answer) => Ok(answer),
        Err(Failure::Retryable(answer)) => Ok(answer),
        Err(Failure::Transport(error)) => Err(CliError {
            unreachable: error.is_connect(),
            ..CliError::unavailable(format!("no answer from {url}: {error}"))
        }),
    }
}

/// Prints an answer (the status line and headers first with `include`); a non-2xx answer
/// is still printed, then ends as its exit code.
fn print(answer: &Answer, include: bool) -> Result<(), CliError> {
    let mut text = String::new();
    if include {
        text.push_str(&format!("{:?} {}\n", answer.version, answer.status));
        for (name, value) in &answer.headers {
            text.push_str(&format!(
                "{name}: {}\n",
                String::from_utf8_lossy(value.as_bytes())
            ));
        }
        text.push('\n');
    }
    text.push_str(&answer.body);
    if !answer.body.is_empty() && !answer.body.ends_with('\n') {
        text.push('\n');
    }
    write_stdout(&text)?;
    status_error(answer.status).map_or(Ok(()), Err)
}

/// The exit code of a status: none for 2xx and 3xx.
fn status_error(status: StatusCode) -> Option<CliError> {
    let code = match status.as_u16() {
        200..=399 => return None,
        401 => ExitCode::Auth,
        429 | 500.. => ExitCode::Unavailable,
        _ => ExitCode::Rejected,
    };
    Some(CliError::new(code, format!("the API answered {status}")))
}

/// `path` with `page` (and `page-size` unless given) set.
fn page_path(path: &str, page: u32) -> String {
    let (base, query) = path.split_once('?').unwrap_or((path, ""));
    let mut pairs: Vec<String> = query
        .split('&')
        .filter(|p| !p.is_empty() && !p.starts_with("page="))
        .map(str::to_owned)
        .collect();
    if !pairs.iter().any(|p| p.starts_with("page-size=")) {
        pairs.push(format!("page-size={PAGE_SIZE}"));
    }
    pairs.push(format!("page={page}"));
    format!("{base}?{}", pairs.join("&"))
}

/// Every page's items as one JSON array, each item's text as received.
async fn paginate(session: &Session, path: &str) -> Result<(), CliError> {
    let mut items: Vec<String> = Vec::new();
    let mut page = 1u32;
    loop {
        let answer = send(session, &Method::GET, &page_path(path, page), None, true).await?;
        if let Some(error) = status_error(answer.status) {
            write_stdout(&format!("{}\n", answer.body.trim_end()))?;
            return Err(error);
        }
        let parsed: RawPage<'_> = serde_json::from_str(&answer.body).map_err(|e| {
            CliError::usage(format!(
                "{path} did not answer the pagination envelope (items, totalPages): {e}"
            ))
        })?;
        let count = parsed.items.len();
        items.extend(parsed.items.iter().map(|item| item.get().to_owned()));
        let last = parsed
            .total_pages
            .map_or(count == 0, |total| i64::from(page) >= total);
        if last || count == 0 {
            break;
        }
        page += 1;
    }
    let mut text = String::from("[");
    for (i, item) in items.iter().enumerate() {
        text.push_str(if i == 0 { "\n  " } else { ",\n  " });
        text.push_str(item);
    }
    text.push_str(if items.is_empty() { "]\n" } else { "\n]\n" });
    write_stdout(&text)
}
