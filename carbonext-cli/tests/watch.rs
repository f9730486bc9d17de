//! `carbonext orders watch` as a process, against a sandbox and a receiver started in the
//! test on 127.0.0.1: orders are placed, cancelled, billed by moving the sandbox clock past
//! their month and paid through the sandbox, and what the watcher hands over is compared with
//! the sandbox's own record of every order's transitions (`Sandbox::order_histories`).
//!
//! Nothing waits on a timer: each step waits for the receiver (or the command's output) to
//! have seen what the step made, woken by a `Notify`.

mod common;

use std::collections::{BTreeMap, HashMap};
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use carbonext_domain::events::signature::SigningSecret;
use carbonext_domain::events::{verify_signature, OrderEvent, SignatureError};
use carbonext_domain::{
    Carbonext, Credentials, Environment, InvoiceStatus, NewOrder, OrderId, OrderStatus, VcuMarket,
};
use carbonext_sandbox::Sandbox;
use tokio::sync::Notify;

/// Lines a process wrote on one stream, collected by a thread, with a wake-up per line.
#[derive(Default)]
struct Lines {
    lines: Mutex<Vec<String>>,
    added: Notify,
}

impl Lines {
    fn collect(stream: impl std::io::Read + Send + 'static) -> Arc<Self> {
        let lines = Arc::new(Self::default());
        let filled = Arc::clone(&lines);
        std::thread::spawn(move || {
            for line in BufReader::new(stream).lines() {
                let Ok(line) = line else { break };
                filled.lines.lock().unwrap().push(line);
                filled.added.notify_waiters();
            }
        });
        lines
    }

    fn snapshot(&self) -> Vec<String> {
        self.lines.lock().unwrap().clone()
    }

    /// Waits until `found` finds something in the lines.
    async fn until<T>(&self, found: impl Fn(&[String]) -> Option<T>) -> T {
        loop {
            let added = self.added.notified();
            tokio::pin!(added);
            added.as_mut().enable();
            if let Some(value) = found(&self.lines.lock().unwrap()) {
                return value;
            }
            added.await;
        }
    }
}

/// One POST the receiver got.
#[derive(Clone, Debug)]
struct Attempt {
    event_id: String,
    signature: String,
    body: Vec<u8>,
    accepted: bool,
}

/// A receiver that fails the first two attempts of every tenth distinct event.
#[derive(Default)]
struct Receiver {
    attempts: Mutex<Vec<Attempt>>,
    arrived: Notify,
}

impl Receiver {
    async fn start(self: &Arc<Self>) -> String {
        let app = axum::Router::new()
            .route("/events", axum::routing::post(receive))
            .with_state(Arc::clone(self));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/events", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        url
    }

    fn accepted(&self) -> Vec<Attempt> {
        let attempts = self.attempts.lock().unwrap();
        attempts.iter().filter(|a| a.accepted).cloned().collect()
    }

    /// Waits until `count` events were accepted; fails as soon as an event arrives while a
    /// refused one was not delivered again (the watcher retries an event until a 2xx before
    /// it hands over any later one).
    async fn until_accepted(&self, count: usize) {
        loop {
            let arrived = self.arrived.notified();
            tokio::pin!(arrived);
            arrived.as_mut().enable();
            retried_before_moving_on(&self.attempts.lock().unwrap());
            if self.accepted().len() >= count {
                return;
            }
            arrived.await;
        }
    }
}

/// Panics when an attempt follows a refused attempt of another event that was not accepted
/// in between.
fn retried_before_moving_on(attempts: &[Attempt]) {
    let mut refused: Option<&str> = None;
    for attempt in attempts {
        if let Some(waiting) = refused {
            assert_eq!(
                attempt.event_id, waiting,
                "an event was handed over while a refused one was not yet delivered"
            );
        }
        refused = (!attempt.accepted).then_some(attempt.event_id.as_str());
    }
}

async fn receive(
    State(receiver): State<Arc<Receiver>>,
    headers: HeaderMap,
    body: Bytes,
) -> StatusCode {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    let event_id = header("carbonext-event-id");
    let mut attempts = receiver.attempts.lock().unwrap();
    let mut distinct: Vec<&str> = Vec::new();
    for attempt in attempts.iter() {
        if !distinct.contains(&attempt.event_id.as_str()) {
            distinct.push(&attempt.event_id);
        }
    }
    let rank = distinct
        .iter()
        .position(|id| *id == event_id)
        .unwrap_or(distinct.len())
        + 1;
    let earlier = attempts.iter().filter(|a| a.event_id == event_id).count();
    let accepted = !(rank % 10 == 0 && earlier < 2);
    attempts.push(Attempt {
        event_id,
        signature: header("carbonext-signature"),
        body: body.to_vec(),
        accepted,
    });
    drop(attempts);
    receiver.arrived.notify_waiters();
    if accepted {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    }
}

fn facade(sandbox: &Sandbox) -> Carbonext {
    Carbonext::builder()
        .environment(Environment::custom(sandbox.api_url(), sandbox.token_url()))
        .credentials(Credentials::new(
            sandbox.client_id(),
            sandbox.client_secret(),
        ))
        .build()
        .unwrap()
}

/// A watcher process, killed if the test ends without [`interrupt`]ing it.
struct Running(Option<Child>);

impl Running {
    fn child(&mut self) -> &mut Child {
        self.0.as_mut().expect("running")
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(mut child) = self.0.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// `carbonext orders watch` pointed at `sandbox`, every 100 ms, its progress in `state`.
fn watcher(sandbox: &Sandbox, state: &Path, extra: &[&str]) -> Running {
    let mut command: Command = common::carbonext(sandbox);
    command
        .args(["orders", "watch", "--interval", "100ms", "--state"])
        .arg(state)
        .args(extra)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    Running(Some(command.spawn().expect("the watcher starts")))
}

/// Waits for the watcher to say its first poll is done.
async fn ready(stderr: &Lines) {
    stderr
        .until(|lines| lines.iter().any(|l| l.starts_with("Ready:")).then_some(()))
        .await;
}

/// Asks the process to stop as Ctrl-C does, and returns its exit code.
fn interrupt(mut running: Running) -> Option<i32> {
    let mut child = running.0.take().expect("running");
    let status = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    child.wait().unwrap().code()
}

/// Every event the sandbox's histories imply: per order, the statuses it took, in order.
fn histories(sandbox: &Sandbox) -> BTreeMap<String, Vec<String>> {
    sandbox
        .order_histories()
        .into_iter()
        .map(|(id, history)| {
            let statuses = history.iter().map(|c| c.status.to_string()).collect();
            (id.to_string(), statuses)
        })
        .collect()
}

/// Per order, the statuses of the events in `events`, in the order they came.
fn per_order<'a>(
    events: impl IntoIterator<Item = &'a OrderEvent>,
) -> BTreeMap<String, Vec<String>> {
    let mut orders: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for event in events {
        orders
            .entry(event.order.id.to_string())
            .or_default()
            .push(event.status.to_string());
    }
    orders
}

async fn place(carbonext: &Carbonext, count: usize) -> Vec<OrderId> {
    let mut ids = Vec::new();
    for _ in 0..count {
        let order = NewOrder::builder("0.5".parse().unwrap()).build().unwrap();
        ids.push(carbonext.place_order(order).await.unwrap().order.id);
    }
    ids
}

/// The invoices the sandbox billed and nobody paid yet.
fn pending_invoices(sandbox: &Sandbox) -> Vec<uuid::Uuid> {
    sandbox
        .invoices_snapshot()
        .into_iter()
        .filter(|i| i.status == InvoiceStatus::Pending)
        .map(|i| i.id)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forwarded_events_all_arrive_signed_and_in_order_per_order_despite_failing_attempts() {
    let sandbox = common::sandbox().await;
    let carbonext = facade(&sandbox);
    let receiver = Arc::new(Receiver::default());
    let url = receiver.start().await;
    let home = common::fresh_home();
    let state = home.join("watch.json");

    let mut child = watcher(&sandbox, &state, &["--forward-to", &url]);
    let stdout = Lines::collect(child.child().stdout.take().unwrap());
    let stderr = Lines::collect(child.child().stderr.take().unwrap());
    let secret: SigningSecret = stderr
        .until(|lines| {
            lines.iter().find_map(|line| {
                let start = line.find("cbxwh_")?;
                line.get(start..start + 70)?.parse().ok()
            })
        })
        .await;

    // Orders placed before its first poll would be taken as they are (no event).
    ready(&stderr).await;

    // 25 orders appear (25 events), 5 are cancelled (5), the other 20 are billed (20) and
    // paid (20): 70 events, each step seen before the next is made.
    let ids = place(&carbonext, 25).await;
    receiver.until_accepted(25).await;
    for id in &ids[..5] {
        carbonext.cancel_order(*id).await.unwrap();
    }
    receiver.until_accepted(30).await;
    // Past the end of the month they were placed in: billed.
    sandbox.advance_clock(Duration::from_secs(40 * 86_400));
    let invoices = pending_invoices(&sandbox);
    assert_eq!(invoices.len(), 1, "one invoice for the month");
    receiver.until_accepted(50).await;
    sandbox.pay_invoice(invoices[0]).unwrap();
    receiver.until_accepted(70).await;

    let accepted = receiver.accepted();
    let events: Vec<OrderEvent> = accepted
        .iter()
        .map(|a| serde_json::from_slice(&a.body).expect("an event as JSON"))
        .collect();
    // Every transition the sandbox made, none invented, each accepted once, in order per
    // order.
    let expected = histories(&sandbox);
    assert_eq!(per_order(&events), expected);
    assert_eq!(expected.values().map(Vec::len).sum::<usize>(), 70);
    for event in &events {
        let statuses = &expected[&event.order.id.to_string()];
        let at = statuses
            .iter()
            .position(|s| *s == event.status.to_string())
            .unwrap();
        let previous = at.checked_sub(1).map(|i| statuses[i].clone());
        assert_eq!(event.previous.as_ref().map(ToString::to_string), previous);
        assert_eq!(
            event.id.to_string(),
            format!("{}:{}", event.order.id, event.status)
        );
    }
    // The receiver failed the first two attempts of every tenth event: 7 events got 3
    // attempts, the others 1.
    let attempts = receiver.attempts.lock().unwrap().clone();
    assert_eq!(attempts.len(), 70 + 7 * 2);
    let mut tries: HashMap<&str, usize> = HashMap::new();
    for attempt in &attempts {
        *tries.entry(&attempt.event_id).or_default() += 1;
    }
    assert_eq!(tries.values().filter(|n| **n == 3).count(), 7);
    assert_eq!(tries.values().filter(|n| **n == 1).count(), 63);

    // Every attempt verifies with the printed secret, and with no other.
    let now = chrono::Utc::now().timestamp();
    let tolerance = Duration::from_secs(300);
    let wrong = SigningSecret::generate();
    for attempt in &attempts {
        let check = |secret: &SigningSecret| {
            verify_signature(
                secret.expose_secret(),
                &attempt.signature,
                &attempt.body,
                now,
                tolerance,
            )
        };
        assert_eq!(check(&secret), Ok(()), "{}", attempt.signature);
        assert_eq!(check(&wrong), Err(SignatureError::Mismatch));
    }

    // Ctrl-C: exit 130. stdout held one JSON object per event, printed once however often
    // it was retried, and nothing else; the secret went to stderr only.
    assert_eq!(interrupt(child), Some(130));
    let printed = stdout.snapshot();
    let printed_events: Vec<OrderEvent> = printed
        .iter()
        .map(|line| serde_json::from_str(line).expect("stdout holds JSON lines only"))
        .collect();
    assert_eq!(printed_events.len(), 70);
    assert_eq!(per_order(&printed_events), expected);
    assert!(!printed.join("\n").contains("cbxwh_"));
    let stderr_text = stderr.snapshot().join("\n");
    assert!(stderr_text.contains("interrupted"), "{stderr_text}");

    // A restart reuses the secret and the progress: only the new order's event comes.
    let mut child = watcher(&sandbox, &state, &["--forward-to", &url]);
    let _stdout = Lines::collect(child.child().stdout.take().unwrap());
    let stderr = Lines::collect(child.child().stderr.take().unwrap());
    stderr
        .until(|lines| {
            lines
                .iter()
                .any(|l| l.contains(secret.expose_secret()))
                .then_some(())
        })
        .await;
    ready(&stderr).await;
    let new = place(&carbonext, 1).await;
    receiver.until_accepted(71).await;
    let accepted = receiver.accepted();
    assert_eq!(
        accepted.len(),
        71,
        "nothing delivered twice after the restart"
    );
    assert_eq!(accepted[70].event_id, format!("{}:Issued", new[0]));
    assert_eq!(interrupt(child), Some(130));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exec_gets_each_event_on_stdin_and_runs_again_after_a_failure() {
    let sandbox = common::sandbox().await;
    let carbonext = facade(&sandbox);
    let home = common::fresh_home();
    let state = home.join("watch.json");
    let runs = home.join("runs");
    std::fs::create_dir_all(&runs).unwrap();
    // Fails the first run of each event, then appends the event and its variables; says
    // which on its stdout (the watcher's stderr).
    let script = format!(
        "seen=\"{runs}/$CARBONEXT_EVENT_ID\"; \
         if [ ! -e \"$seen\" ]; then touch \"$seen\"; echo \"refused $CARBONEXT_EVENT_ID\"; exit 3; fi; \
         cat >> {runs}/events.jsonl; \
         echo \"$CARBONEXT_EVENT_ID $CARBONEXT_ORDER_ID $CARBONEXT_EVENT_STATUS ${{CARBONEXT_CLIENT_SECRET:-none}}\" >> {runs}/vars; \
         echo \"ran $CARBONEXT_EVENT_ID\"",
        runs = runs.display()
    );
    let mut child = watcher(&sandbox, &state, &["--exec", &script]);
    let stdout = Lines::collect(child.child().stdout.take().unwrap());
    let stderr = Lines::collect(child.child().stderr.take().unwrap());
    ready(&stderr).await;

    let ids = place(&carbonext, 2).await;
    stdout.until(|lines| (lines.len() >= 2).then_some(())).await;
    carbonext.cancel_order(ids[0]).await.unwrap();
    // Each event: refused once, then run again (before any other event) and done.
    stderr
        .until(|lines| {
            let runs: Vec<(&str, &str)> = lines
                .iter()
                .filter_map(|l| l.split_once(' '))
                .filter(|(what, _)| *what == "refused" || *what == "ran")
                .collect();
            for pair in runs.windows(2) {
                if pair[0].0 == "refused" {
                    assert_eq!(
                        pair[1],
                        ("ran", pair[0].1),
                        "a refused event is run again first"
                    );
                }
            }
            (runs.iter().filter(|(what, _)| *what == "ran").count() >= 3).then_some(())
        })
        .await;
    assert_eq!(interrupt(child), Some(130));

    let given: Vec<OrderEvent> = std::fs::read_to_string(runs.join("events.jsonl"))
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    assert_eq!(per_order(&given), histories(&sandbox));
    let printed: Vec<OrderEvent> = stdout
        .snapshot()
        .iter()
        .map(|line| serde_json::from_str(line).expect("JSON lines only"))
        .collect();
    assert_eq!(printed.len(), 3, "each event printed once though run twice");
    assert_eq!(per_order(&printed), per_order(&given));
    let vars = std::fs::read_to_string(runs.join("vars")).unwrap();
    for event in &given {
        let line = format!("{} {} {} none", event.id, event.order.id, event.status);
        assert!(vars.lines().any(|l| l == line), "{line} not in {vars}");
    }
    assert_eq!(given[0].status, OrderStatus::Issued);
}
