//! `carbonext offset …` as a user runs it: the real binary against a sandbox over 127.0.0.1.

mod common;

use std::path::PathBuf;

use common::{assert_code, carbonext, ok, run, sandbox, stderr, stdout};

/// A file named `name` in `dir` (a test's own temporary directory, deleted when dropped).
fn temp_file(dir: &tempfile::TempDir, name: &str, contents: &str) -> PathBuf {
    let path = dir.path().join(name);
    std::fs::write(&path, contents).expect("write the file");
    path
}

fn path_arg(path: &std::path::Path) -> &str {
    path.to_str().expect("UTF-8 path")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn offset_route_orders_once_and_a_rerun_reports_the_existing_order() {
    let sandbox = sandbox().await;
    let args = [
        "offset",
        "route",
        "--transport",
        "air",
        "--from",
        "GRU",
        "--to",
        "JFK",
        "--passengers",
        "2",
        "--key",
        "trip_000123",
        "--round",
        "2",
        "--retirement-name",
        "Jane Traveller",
    ];
    let table = ok(carbonext(&sandbox), &args);
    assert!(table.contains("status:         placed"), "{table}");
    assert!(table.contains("VCUs:           2.43"), "{table}");
    assert!(table.contains("total price:    267.3000 BRL"), "{table}");
    assert!(
        table.contains("offset: air GRU->JFK 2 passengers, 2.421859076 tCO2eq"),
        "{table}"
    );
    let orders = sandbox.orders_snapshot();
    assert_eq!(orders.len(), 1);
    assert_eq!(orders[0].vcu_amount.to_string(), "2.43");
    let meta = orders[0]
        .meta_data
        .as_deref()
        .map(String::from)
        .unwrap_or_default();
    assert!(meta.contains("[cbx-key:trip_000123 fp="), "{meta}");

    let again = run(carbonext(&sandbox), &[&args[..], &["-o", "json"]].concat());
    assert_code(&again, 0);
    assert!(
        stderr(&again).contains("already exists"),
        "{}",
        stderr(&again)
    );
    let json: serde_json::Value = serde_json::from_str(&stdout(&again)).expect("JSON");
    assert_eq!(json["outcome"]["status"], "existing");
    assert_eq!(sandbox.orders_snapshot().len(), 1);
    assert_eq!(sandbox.counters().operation("create_order"), 1);
    sandbox.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn offset_tonnes_prints_exact_amounts_as_json_numbers() {
    let sandbox = sandbox().await;
    let json = ok(
        carbonext(&sandbox),
        &[
            "offset",
            "tonnes",
            "0.0293110549184694",
            "--key",
            "shipment_000001",
            "--round",
            "6",
            "-o",
            "json",
        ],
    );
    for exact in [
        r#""tonnes": 0.0293110549184694"#,
        r#""vcus": 0.029312"#,
        r#""totalPrice": 3.22432000"#,
        r#""status": "placed""#,
    ] {
        assert!(json.contains(exact), "{exact} in {json}");
    }
    assert_eq!(
        sandbox.orders_snapshot()[0].vcu_amount.to_string(),
        "0.029312"
    );
    sandbox.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dry_run_quotes_and_orders_nothing() {
    let sandbox = sandbox().await;
    let output = run(
        carbonext(&sandbox),
        &[
            "offset",
            "distance",
            "--transport",
            "truck",
            "--meters",
            "100000",
            "--units",
            "3",
            "--dry-run",
        ],
    );
    assert_code(&output, 0);
    let text = stdout(&output);
    assert!(text.contains("status:         dry_run"), "{text}");
    assert!(text.contains("total price:    12.8205000 BRL"), "{text}");
    assert!(stderr(&output).contains("Dry run: nothing ordered."));
    assert_eq!(sandbox.counters().operation("create_order"), 0);
    assert!(sandbox.orders_snapshot().is_empty());
    sandbox.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_price_limit_below_the_quote_exits_8_with_nothing_ordered() {
    let sandbox = sandbox().await;
    let output = run(
        carbonext(&sandbox),
        &[
            "offset",
            "tonnes",
            "1.25",
            "--key",
            "shipment_000002",
            "--max-total-price",
            "137.49",
        ],
    );
    assert_code(&output, 8);
    let text = stderr(&output);
    assert!(
        text.contains("137.5000 BRL, above the limit of 137.49 BRL; nothing was ordered"),
        "{text}"
    );
    assert_eq!(sandbox.counters().operation("create_order"), 0);
    assert!(sandbox.orders_snapshot().is_empty());
    sandbox.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_with_three_bad_rows_exits_2_naming_their_lines_and_orders_nothing() {
    let sandbox = sandbox().await;
    let dir = tempfile::tempdir().expect("a temporary directory");
    let file = temp_file(
        &dir,
        "bad.csv",
        "key,kind,transport,from,to,distance,passengers,tonnes\n\
         trip_000001,route,air,GRU,JFK,,2,\n\
         short,tonnes,,,,,,1\n\
         ship_000003,tonnes,,,,,,1.25\n\
         ship_000004,route,air,GRU,01310-100,,2,\n\
         ship_000005,distance,truck,,,100000,3,\n\
         ship_000003,tonnes,,,,,,2\n",
    );
    let output = run(
        carbonext(&sandbox),
        &["offset", "batch", "--file", path_arg(&file)],
    );
    assert_code(&output, 2);
    let text = stderr(&output);
    assert!(text.contains("3 bad row(s)"), "{text}");
    assert!(text.contains("nothing was ordered"), "{text}");
    for line in ["line 3: ", "line 5: ", "line 7: "] {
        assert!(text.contains(line), "{line} in {text}");
    }
    for line in ["line 2: ", "line 4: ", "line 6: "] {
        assert!(!text.contains(line), "{line} in {text}");
    }
    assert_eq!(sandbox.counters().operation("create_order"), 0);
    assert_eq!(sandbox.counters().operation("get_price"), 0);
    assert!(sandbox.orders_snapshot().is_empty());
    sandbox.shutdown().await;
}

/// `rows` shipments, every fifth a flight; fixed-width keys.
fn shipments(rows: usize) -> String {
    let mut text = String::from("key,kind,transport,from,to,passengers,tonnes,recipient_name\n");
    for n in 0..rows {
        if n % 5 == 4 {
            text.push_str(&format!("trip_{n:06},route,air,GRU,GIG,{},,\n", 1 + n % 3));
        } else {
            text.push_str(&format!(
                "ship_{n:06},tonnes,,,,,{}.{:03},Customer {n}\n",
                n % 4,
                n + 1
            ));
        }
    }
    text
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_run_twice_orders_each_row_once_and_reports_existing_the_second_time() {
    const ROWS: usize = 1_000;
    let sandbox = sandbox().await;
    sandbox.faults().drop_after_commit(0.2);
    let dir = tempfile::tempdir().expect("a temporary directory");
    let file = temp_file(&dir, "shipments.csv", &shipments(ROWS));
    let first = temp_file(&dir, "first.csv", "");
    let output = run(
        carbonext(&sandbox),
        &[
            "offset",
            "batch",
            "--file",
            path_arg(&file),
            "--concurrency",
            "8",
            "--results",
            path_arg(&first),
        ],
    );
    assert_code(&output, 0);
    assert!(
        stderr(&output).contains(&format!("{ROWS} rows: {ROWS} placed, 0 failed")),
        "{}",
        stderr(&output)
    );
    let mut reader = csv::Reader::from_path(&first).expect("results");
    assert_eq!(
        reader.headers().expect("header"),
        vec![
            "line",
            "key",
            "status",
            "order_id",
            "tonnes",
            "vcus",
            "total_price",
            "currency",
            "error"
        ]
    );
    let results: Vec<csv::StringRecord> = reader.records().map(|r| r.expect("row")).collect();
    assert_eq!(results.len(), ROWS);
    for (n, row) in results.iter().enumerate() {
        assert_eq!(&row[0], (n + 2).to_string(), "file order");
        assert_eq!(&row[2], "placed", "{row:?}");
        assert!(!row[3].is_empty());
    }
    // Amounts as in the file and as priced, every digit: 1.002 tCO2eq at 110.00 BRL.
    assert_eq!(&results[1][1], "ship_000001");
    assert_eq!((&results[1][5], &results[1][6]), ("1.002", "110.22000"));
    assert_eq!(sandbox.orders_snapshot().len(), ROWS);

    // Again, results as JSON lines: nothing ordered, every row existing.
    let second = temp_file(&dir, "second.jsonl", "");
    let output = run(
        carbonext(&sandbox),
        &[
            "offset",
            "batch",
            "--file",
            path_arg(&file),
            "--results",
            path_arg(&second),
        ],
    );
    assert_code(&output, 0);
    assert!(
        stderr(&output).contains(&format!("{ROWS} rows: {ROWS} existing, 0 failed")),
        "{}",
        stderr(&output)
    );
    let lines = std::fs::read_to_string(&second).expect("results");
    assert_eq!(lines.lines().count(), ROWS);
    for line in lines.lines() {
        let row: serde_json::Value = serde_json::from_str(line).expect("JSON line");
        assert_eq!(row["status"], "existing", "{line}");
    }
    assert!(
        lines.contains(r#""vcus":1.002,"total_price":110.22000"#),
        "{lines}"
    );
    assert_eq!(sandbox.orders_snapshot().len(), ROWS);
    assert_eq!(sandbox.counters().operation("create_order"), ROWS as u64);
    sandbox.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_with_a_failing_row_offsets_the_others_and_exits_9() {
    let sandbox = sandbox().await;
    let dir = tempfile::tempdir().expect("a temporary directory");
    let file = temp_file(
        &dir,
        "failing.csv",
        "key,kind,transport,distance,units,tonnes\n\
         ship_000001,tonnes,,,,0.5\n\
         ship_000002,distance,99,1000,1,\n\
         ship_000003,tonnes,,,,0.75\n",
    );
    let output = run(
        carbonext(&sandbox),
        &["offset", "batch", "--file", path_arg(&file)],
    );
    assert_code(&output, 9);
    assert!(
        stderr(&output).contains("1 of 3 rows failed"),
        "{}",
        stderr(&output)
    );
    let text = stdout(&output);
    let rows: Vec<&str> = text.lines().collect();
    assert_eq!(rows.len(), 4, "{text}");
    assert!(rows[1].starts_with("2,ship_000001,placed,"), "{text}");
    assert!(rows[2].starts_with("3,ship_000002,failed,"), "{text}");
    assert!(rows[2].contains("HTTP 4"), "{text}");
    assert!(rows[3].starts_with("4,ship_000003,placed,"), "{text}");
    assert_eq!(sandbox.orders_snapshot().len(), 2);
    sandbox.shutdown().await;
}
