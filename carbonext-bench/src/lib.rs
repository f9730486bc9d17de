//! Shared set-up of the carbonext-rs benchmarks: an in-process sandbox, the SDK pointed at it,
//! the hand-written `reqwest` baseline, a minimal axum server, and where figures that criterion
//! does not measure (counts, peak memory) are recorded for `carbonext-bench-summary`.
//!
//! Every benchmark measures its baseline in the same run, on the same machine, and the summary
//! prints ratios; absolute times are context only (the machines are shared and noisy).
//!
//! ```no_run
//! # async fn demo() {
//! let sandbox = carbonext_bench::sandbox().await;
//! let sdk = carbonext_bench::connect(&sandbox, 4);
//! let raw = carbonext_bench::RawPrices::new(&sandbox).await;
//! let price = raw.quote(rust_decimal::Decimal::ONE, "BRL").await;
//! carbonext_bench::record("example", serde_json::json!({ "price": price.vcu_price.to_string() }));
//! # }
//! ```

pub mod counting;

use std::future::Future;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

use carbonext_domain::{Carbonext, Credentials, Environment, NewOrder, VcuAmount, VcuMarket};
use carbonext_sandbox::Sandbox;
use futures::StreamExt;
use rust_decimal::Decimal;
use serde::Deserialize;

/// Path and query of the price the SDK's `quote(1, BRL)` asks for.
pub const PRICE_PATH: &str = "/v1/prices?vcu-amount=1&target-currency=BRL";

/// Worker threads of the benchmark runtime: the machine has 2 cores.
pub const WORKER_THREADS: usize = 2;

/// Runs `carbonext-bench-offset` (`program`, its path as cargo gives it to tests and benches)
/// over `rows` generated shipments, 16 in flight, keys starting with `prefix`, against
/// `sandbox`; returns its JSON summary (statuses, seconds, peak heap and RSS). Panics if it
/// fails.
pub fn offset_batch_process(
    program: &str,
    sandbox: &Sandbox,
    rows: usize,
    prefix: &str,
) -> serde_json::Value {
    let output = std::process::Command::new(program)
        .args([rows.to_string(), "16".to_owned(), prefix.to_owned()])
        .env("CARBONEXT_API_URL", sandbox.api_url())
        .env("CARBONEXT_AUTH_URL", sandbox.token_url())
        .env("CARBONEXT_CLIENT_ID", sandbox.client_id())
        .env("CARBONEXT_CLIENT_SECRET", sandbox.client_secret())
        .env_remove("CARBONEXT_ENV")
        .output()
        .expect("the batch runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("a JSON summary")
}

/// A multi-threaded tokio runtime shared by the server and the client under test.
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(WORKER_THREADS)
        .enable_all()
        .build()
        .expect("a tokio runtime")
}

/// A sandbox on 127.0.0.1 with its seeded customer.
pub async fn sandbox() -> Sandbox {
    Sandbox::builder()
        .start()
        .await
        .expect("the sandbox starts on 127.0.0.1")
}

/// The SDK facade, authenticated with the sandbox's seeded key, streams fetching `prefetch`
/// pages ahead, on its default HTTP client.
pub fn connect(sandbox: &Sandbox, prefetch: usize) -> Carbonext {
    builder(sandbox, prefetch)
        .build()
        .expect("the facade builds")
}

/// [`connect`] on the HTTP client `http` (shared with another client under test, so both
/// send over the same pooled connections).
pub fn connect_with(sandbox: &Sandbox, prefetch: usize, http: reqwest::Client) -> Carbonext {
    builder(sandbox, prefetch)
        .http_client(http)
        .build()
        .expect("the facade builds")
}

fn builder(sandbox: &Sandbox, prefetch: usize) -> carbonext_domain::CarbonextBuilder {
    Carbonext::builder()
        .environment(Environment::custom(sandbox.api_url(), sandbox.token_url()))
        .credentials(Credentials::new(
            sandbox.client_id(),
            sandbox.client_secret(),
        ))
        .prefetch(prefetch)
}

/// `GET /v1/prices` decoded by hand: what a service without the SDK would write.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RawPrice {
    /// Unit price.
    pub vcu_price: Decimal,
    /// Currency code.
    pub currency: String,
}

#[derive(Deserialize)]
struct RawToken {
    access_token: String,
}

/// The baseline of P1: what a service without the SDK would write for a price quote — one
/// `reqwest::Client`, a bearer token fetched once, a GET whose URL carries the call's amount
/// and currency, and a serde decode.
#[derive(Clone, Debug)]
pub struct RawPrices {
    http: reqwest::Client,
    api_url: String,
    constant_url: String,
    authorization: String,
}

impl RawPrices {
    /// Fetches a token from the sandbox's token endpoint with its seeded credentials.
    pub async fn new(sandbox: &Sandbox) -> Self {
        let http = reqwest::Client::new();
        let token: RawToken = http
            .post(sandbox.token_url())
            .form(&[
                ("grant_type", "client_credentials"),
                ("client_id", &sandbox.client_id()),
                ("client_secret", &sandbox.client_secret()),
            ])
            .send()
            .await
            .expect("token request")
            .error_for_status()
            .expect("token granted")
            .json()
            .await
            .expect("token response");
        Self {
            http,
            api_url: sandbox.api_url(),
            constant_url: format!("{}{PRICE_PATH}", sandbox.api_url()),
            authorization: format!("Bearer {}", token.access_token),
        }
    }

    /// The HTTP client (`reqwest::Client::new()`: no timeouts), to share with the client
    /// compared against this one.
    pub fn http(&self) -> &reqwest::Client {
        &self.http
    }

    /// The authorization header value (for load generators hitting other servers).
    pub fn authorization(&self) -> &str {
        &self.authorization
    }

    /// One price request for `amount` VCUs in `currency`, decoded: the URL is written per
    /// call, as a hand-written `quote(amount, currency)` must (decimals and ISO codes need no
    /// percent-encoding, so a `format!` is all it takes).
    pub async fn quote(&self, amount: Decimal, currency: &str) -> RawPrice {
        let url = format!(
            "{}/v1/prices?vcu-amount={amount}&target-currency={currency}",
            self.api_url
        );
        self.get(&url).await
    }

    /// The same request as `quote(1, "BRL")` with its URL written once, at construction: the
    /// cheapest possible client, which no caller with varying amounts can be (a P1 layer, for
    /// context).
    pub async fn quote_constant_url(&self) -> RawPrice {
        self.get(&self.constant_url).await
    }

    async fn get(&self, url: &str) -> RawPrice {
        self.http
            .get(url)
            .header(reqwest::header::AUTHORIZATION, &self.authorization)
            .send()
            .await
            .expect("price request")
            .error_for_status()
            .expect("price answered")
            .json()
            .await
            .expect("price decodes")
    }
}

/// One VCU, the amount every quote benchmark asks for.
pub fn one_vcu() -> VcuAmount {
    VcuAmount::new(Decimal::ONE).expect("1 is positive")
}

/// Runs `total` calls of `call`, at most `in_flight` at a time; panics on the first failure.
pub async fn run_concurrently<F, Fut>(total: usize, in_flight: usize, call: F)
where
    F: Fn(usize) -> Fut,
    Fut: Future<Output = ()>,
{
    futures::stream::iter(0..total)
        .map(call)
        .buffer_unordered(in_flight)
        .collect::<()>()
        .await;
}

/// Runs `total` calls of `call` from `callers` tasks spawned on the current runtime, each
/// making its share of the calls one after the other (so `callers` calls are in flight), as
/// a service's request handlers would; returns the wall time from the first spawn to the last
/// call's end.
///
/// Unlike [`run_concurrently`] inside `Runtime::block_on`, the callers run on the runtime's
/// worker threads, next to the server and the connections, instead of on a third thread that
/// competes with them for the machine's cores.
pub async fn run_spawned<F, Fut>(total: usize, callers: usize, call: F) -> std::time::Duration
where
    F: Fn() -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    let call = std::sync::Arc::new(call);
    let started = std::time::Instant::now();
    let tasks: Vec<_> = (0..callers)
        .map(|i| {
            let call = std::sync::Arc::clone(&call);
            // The first `total % callers` callers make one call more.
            let share = total / callers + usize::from(i < total % callers);
            tokio::spawn(async move {
                for _ in 0..share {
                    call().await;
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.expect("a caller panicked");
    }
    started.elapsed()
}

/// Places `count` orders of 0.01 VCU (billed later), 32 in flight.
pub async fn seed_orders(carbonext: &Carbonext, count: usize) {
    let amount = VcuAmount::new(Decimal::new(1, 2)).expect("positive");
    run_concurrently(count, 32, |_| {
        let carbonext = carbonext.clone();
        async move {
            carbonext
                .place_order(NewOrder::builder(amount).build().expect("valid order"))
                .await
                .expect("order placed");
        }
    })
    .await;
}

/// Serves `body` as `application/json` at `GET /v1/prices` on 127.0.0.1, with the least an
/// axum app can do: the P4 baseline.
pub async fn minimal_prices_server(body: axum::body::Bytes) -> SocketAddr {
    use axum::http::header;
    use axum::routing::get;

    let app = axum::Router::new().route(
        "/v1/prices",
        get(move || {
            let body = body.clone();
            async move { ([(header::CONTENT_TYPE, "application/json")], body) }
        }),
    );
    let listener = tokio::net::TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)))
        .await
        .expect("bind 127.0.0.1");
    let addr = listener.local_addr().expect("local address");
    tokio::spawn(async move {
        axum::serve(listener, app).await.expect("minimal server");
    });
    addr
}

/// The cargo target directory this benchmark was built in (`target/`).
pub fn target_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("CARGO_TARGET_DIR") {
        return PathBuf::from(dir);
    }
    // target/<profile>/deps/<bench>-<hash> or target/<profile>/<bin>: cargo marks the
    // target directory's root with CACHEDIR.TAG.
    let exe = std::env::current_exe().expect("current executable");
    exe.ancestors()
        .find(|dir| dir.join("CACHEDIR.TAG").is_file())
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("target"))
}

/// Where figures that are not criterion timings are written, one JSON file each.
pub fn extras_dir() -> PathBuf {
    target_dir().join("criterion").join("carbonext-extras")
}

/// Records a figure for the summary and prints it.
pub fn record(name: &str, value: serde_json::Value) {
    let dir = extras_dir();
    std::fs::create_dir_all(&dir).expect("create the extras directory");
    let text = serde_json::to_string_pretty(&value).expect("JSON");
    std::fs::write(dir.join(format!("{name}.json")), &text).expect("write the figure");
    println!("{name}: {text}");
}

/// Peak resident set size of a child process, in KiB, from `/usr/bin/time -v` when installed,
/// else by polling `/proc/<pid>/status` (`VmHWM`) until it exits.
pub fn peak_rss_kib(
    program: &std::path::Path,
    args: &[&str],
    envs: &[(&str, String)],
) -> std::io::Result<PeakRss> {
    use std::process::{Command, Stdio};

    let time = std::path::Path::new("/usr/bin/time");
    if time.exists() {
        let output = Command::new(time)
            .arg("-v")
            .arg(program)
            .args(args)
            .envs(envs.iter().map(|(k, v)| (*k, v.as_str())))
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .output()?;
        let stderr = String::from_utf8_lossy(&output.stderr);
        let kib = stderr
            .lines()
            .find_map(|l| l.trim().strip_prefix("Maximum resident set size (kbytes):"))
            .and_then(|v| v.trim().parse().ok())
            .ok_or_else(|| std::io::Error::other(format!("no RSS in: {stderr}")))?;
        return Ok(PeakRss {
            kib,
            stdout_bytes: output.stdout.len(),
            success: output.status.success(),
            method: "/usr/bin/time -v",
        });
    }
    let mut child = Command::new(program)
        .args(args)
        .envs(envs.iter().map(|(k, v)| (*k, v.as_str())))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()?;
    let pid = child.id();
    let mut stdout = child.stdout.take().expect("piped stdout");
    let reader = std::thread::spawn(move || {
        let mut sink = Vec::new();
        std::io::Read::read_to_end(&mut stdout, &mut sink).map(|_| sink.len())
    });
    let mut kib = 0;
    loop {
        if let Ok(status) = std::fs::read_to_string(format!("/proc/{pid}/status")) {
            if let Some(v) = status
                .lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            {
                kib = v;
            }
        }
        if let Some(status) = child.try_wait()? {
            let stdout_bytes = reader.join().expect("reader thread")?;
            return Ok(PeakRss {
                kib,
                stdout_bytes,
                success: status.success(),
                method: "/proc/<pid>/status VmHWM (polled every 5 ms)",
            });
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// What [`peak_rss_kib`] found.
#[derive(Clone, Copy, Debug)]
pub struct PeakRss {
    /// Peak resident set size, KiB.
    pub kib: u64,
    /// Bytes the process wrote to stdout.
    pub stdout_bytes: usize,
    /// Whether it exited successfully.
    pub success: bool,
    /// How it was measured.
    pub method: &'static str,
}
