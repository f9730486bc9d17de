//! `offset batch` keeps its record: results flushed row by row, Ctrl-C settles what is in
//! flight and exits 130, a SIGKILL loses at most the rows in flight, a re-run completes the
//! file once; line numbers right for CRLF and multi-line fields; pt-BR `;` files.
//! The real binary against a sandbox on 127.0.0.1.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use carbonext_sandbox::Sandbox;
use common::{assert_code, carbonext, run, sandbox, stderr};

const ROWS: usize = 300;
const CONCURRENCY: usize = 8;

fn temp_file(dir: &tempfile::TempDir, name: &str, contents: &str) -> PathBuf {
    let path = dir.path().join(name);
    std::fs::write(&path, contents).expect("write the file");
    path
}

fn path_arg(path: &Path) -> &str {
    path.to_str().expect("UTF-8 path")
}

/// `rows` tonnes rows with fixed-width keys.
fn tonnes_file(rows: usize) -> String {
    let mut text = String::from("key,tonnes\n");
    for n in 0..rows {
        text.push_str(&format!("batch_{n:06},0.{:02}\n", 1 + n % 90));
    }
    text
}

/// Order id by key, of the orders the sandbox holds.
fn placed(sandbox: &Sandbox) -> BTreeMap<String, String> {
    sandbox
        .orders_snapshot()
        .into_iter()
        .filter_map(|order| {
            let meta = order.meta_data.clone().unwrap_or_default();
            let key = meta
                .rsplit_once("[cbx-key:")?
                .1
                .trim_end_matches(']')
                .split(' ')
                .next()?
                .to_owned();
            Some((key, order.id.to_string()))
        })
        .collect()
}

/// Order id by key, of the results file's rows with an order.
fn recorded(results: &Path) -> BTreeMap<String, String> {
    let mut reader = csv::Reader::from_path(results).expect("results file");
    reader
        .records()
        .map(|r| r.expect("a complete CSV row"))
        .filter(|r| !r[3].is_empty())
        .map(|r| (r[1].to_owned(), r[3].to_owned()))
        .collect()
}

fn start_batch(sandbox: &Sandbox, file: &Path, results: &Path) -> Child {
    let mut command: Command = carbonext(sandbox);
    command
        .args([
            "offset",
            "batch",
            "--file",
            path_arg(file),
            "--concurrency",
            &CONCURRENCY.to_string(),
            "--results",
            path_arg(results),
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    command.spawn().expect("the binary starts")
}

/// Waits (checking every 10 ms, up to 30 s) until the sandbox holds at least `orders`.
async fn until_orders(sandbox: &Sandbox, orders: usize) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while sandbox.orders_snapshot().len() < orders {
        assert!(Instant::now() < deadline, "the batch placed too few orders");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// Waits for `child` up to `limit`, killing it and failing past that.
async fn exit_within(child: &mut Child, limit: Duration) -> ExitStatus {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(status) = child.try_wait().expect("wait") {
            return status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("the batch did not exit within {limit:?}");
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ctrl_c_settles_the_rows_in_flight_records_every_order_and_exits_130() {
    let sandbox = sandbox().await;
    sandbox.faults().set_latency(Duration::from_millis(20));
    let dir = tempfile::tempdir().expect("a temporary directory");
    let file = temp_file(&dir, "rows.csv", &tonnes_file(ROWS));
    let results = dir.path().join("results.csv");
    let mut child = start_batch(&sandbox, &file, &results);
    until_orders(&sandbox, 20).await;
    let sent = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(sent.success());
    let started = Instant::now();
    let status = exit_within(&mut child, Duration::from_secs(10)).await;
    assert_eq!(status.code(), Some(130), "took {:?}", started.elapsed());
    let mut err = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().expect("stderr"), &mut err)
        .expect("stderr");
    assert!(err.contains("interrupted:"), "{err}");
    assert!(err.contains(" rows: "), "no summary: {err}");

    let placed = placed(&sandbox);
    let recorded = recorded(&results);
    assert!(placed.len() < ROWS, "the batch was not interrupted");
    assert_eq!(placed, recorded, "every order placed is in the results");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_batch_loses_at_most_the_rows_in_flight_and_a_rerun_completes_the_file_once() {
    let sandbox = sandbox().await;
    sandbox.faults().set_latency(Duration::from_millis(20));
    let dir = tempfile::tempdir().expect("a temporary directory");
    let file = temp_file(&dir, "rows.csv", &tonnes_file(ROWS));
    let results = dir.path().join("results.csv");
    let mut child = start_batch(&sandbox, &file, &results);
    until_orders(&sandbox, 40).await;
    child.kill().expect("SIGKILL");
    child.wait().expect("reaped");

    let placed_before = placed(&sandbox);
    let recorded = recorded(&results);
    let missing: BTreeSet<&String> = placed_before
        .keys()
        .filter(|key| !recorded.contains_key(*key))
        .collect();
    assert!(
        missing.len() <= CONCURRENCY,
        "{} placed orders missing from the results",
        missing.len()
    );
    assert!(recorded
        .iter()
        .all(|(k, id)| placed_before.get(k) == Some(id)));

    sandbox.faults().set_latency(Duration::ZERO);
    let rerun = dir.path().join("rerun.csv");
    let output = run(
        carbonext(&sandbox),
        &[
            "offset",
            "batch",
            "--file",
            path_arg(&file),
            "--results",
            path_arg(&rerun),
        ],
    );
    assert_code(&output, 0);
    let placed_after = placed(&sandbox);
    assert_eq!(placed_after.len(), ROWS, "one order per key");
    assert_eq!(
        sandbox.orders_snapshot().len(),
        ROWS,
        "no key ordered twice"
    );
    assert_eq!(recorded_rows(&rerun), ROWS);
    assert!(placed_before
        .iter()
        .all(|(k, id)| placed_after.get(k) == Some(id)));
}

fn recorded_rows(results: &Path) -> usize {
    csv::Reader::from_path(results)
        .expect("results file")
        .records()
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_rows_are_named_by_their_physical_line_in_crlf_and_multi_line_files() {
    let sandbox = sandbox().await;
    let dir = tempfile::tempdir().expect("a temporary directory");
    let crlf = temp_file(
        &dir,
        "crlf.csv",
        "key,tonnes\r\nship_000001,1\r\nship_000002,minus one\r\n",
    );
    let output = run(
        carbonext(&sandbox),
        &["offset", "batch", "--file", path_arg(&crlf)],
    );
    assert_code(&output, 2);
    assert!(
        stderr(&output).contains("line 3: tCO2eq"),
        "{}",
        stderr(&output)
    );
    let multi = temp_file(
        &dir,
        "multi.csv",
        "key,note,tonnes\r\nship_000001,\"two\r\nlines\",1\r\nship_000002,,x\r\n",
    );
    let output = run(
        carbonext(&sandbox),
        &["offset", "batch", "--file", path_arg(&multi)],
    );
    assert_code(&output, 2);
    assert!(
        stderr(&output).contains("line 4: tCO2eq"),
        "{}",
        stderr(&output)
    );
    assert!(sandbox.orders_snapshot().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_semicolon_file_reads_decimal_commas_and_refuses_a_dot() {
    let sandbox = sandbox().await;
    let dir = tempfile::tempdir().expect("a temporary directory");
    let dotted = temp_file(
        &dir,
        "dotted.csv",
        "key;tonnes\nship_000001;1,25\nship_000002;1.234\n",
    );
    let output = run(
        carbonext(&sandbox),
        &["offset", "batch", "--file", path_arg(&dotted)],
    );
    assert_code(&output, 2);
    let err = stderr(&output);
    assert!(err.contains("line 3: tonnes: `1.234` has a dot"), "{err}");
    assert!(sandbox.orders_snapshot().is_empty());

    let good = temp_file(
        &dir,
        "good.csv",
        "key;kind;tonnes;recipient_name\r\nship_000001;tonnes;1,25;Loja, Ltda\r\n",
    );
    let output = run(
        carbonext(&sandbox),
        &["offset", "batch", "--file", path_arg(&good)],
    );
    assert_code(&output, 0);
    let orders = sandbox.orders_snapshot();
    assert_eq!(orders.len(), 1);
    assert_eq!(orders[0].vcu_amount.to_string(), "1.25");
}
