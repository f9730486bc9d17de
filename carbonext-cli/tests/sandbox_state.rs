//! The embedded sandbox remembers: real `carbonext` processes sharing one home folder share
//! the sandbox's state file (`$XDG_STATE_HOME/carbonext/sandbox.json`), one at a time or
//! several at once, until `carbonext sandbox reset`.

mod common;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Stdio};

use common::{assert_code, bare_in, fresh_home, ok, run, state_file_in, stderr};

/// The ids and keys of the orders `orders list --output json` shows.
fn orders(home: &Path) -> Vec<serde_json::Value> {
    let text = ok(bare_in(home), &["orders", "list", "--output", "json"]);
    let list: serde_json::Value = serde_json::from_str(&text).expect("JSON");
    list["items"].as_array().expect("items").clone()
}

#[test]
fn an_order_key_places_one_order_across_processes_until_reset() {
    let home = fresh_home();
    let create = [
        "orders",
        "create",
        "--vcu",
        "3",
        "--key",
        "my_first_order_01",
    ];

    let first = run(bare_in(&home), &create);
    assert_code(&first, 0);
    let first_line = stderr(&first).lines().next().unwrap_or_default().to_owned();
    let state_file = state_file_in(&home);
    assert!(
        first_line.contains(&state_file.display().to_string()),
        "the first line names the state file: {first_line}"
    );
    assert_eq!(orders(&home).len(), 1);

    let again = run(bare_in(&home), &create);
    assert_code(&again, 0);
    assert!(
        stderr(&again).contains("already exists"),
        "{}",
        stderr(&again)
    );
    let listed = orders(&home);
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert_eq!(listed[0]["orderKey"].as_str(), Some("my_first_order_01"));

    let reset = ok(bare_in(&home), &["sandbox", "reset"]);
    assert!(reset.contains("Removed"), "{reset}");
    assert!(!state_file.exists());
    assert!(orders(&home).is_empty());
}

#[test]
fn the_seeded_credentials_and_balance_outlive_the_process() {
    let home = fresh_home();
    ok(
        bare_in(&home),
        &[
            "orders",
            "create",
            "--vcu",
            "2",
            "--pay-with-balance",
            "--key",
            "paid_order_0001",
        ],
    );
    let balance = ok(bare_in(&home), &["balance", "--output", "json"]);
    assert!(
        balance.contains("998"),
        "2 of the seeded 1000 VCUs spent: {balance}"
    );
    let file: serde_json::Value =
        serde_json::from_slice(&std::fs::read(state_file_in(&home)).expect("state file"))
            .expect("JSON");
    assert_eq!(file["customers"].as_array().map(Vec::len), Some(1));
    assert!(!file.to_string().contains("accessToken"));
}

#[test]
fn eight_processes_at_once_keep_every_order() {
    let home = fresh_home();
    let keys: Vec<String> = (0..8).map(|i| format!("parallel_order_{i:02}")).collect();
    let children: Vec<Child> = keys
        .iter()
        .map(|key| {
            bare_in(&home)
                .args(["orders", "create", "--vcu", "1", "--key", key])
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .expect("spawns")
        })
        .collect();
    for child in children {
        let output = child.wait_with_output().expect("ends");
        assert_code(&output, 0);
    }

    let listed = orders(&home);
    assert_eq!(listed.len(), 8, "{listed:#?}");
    for key in &keys {
        assert!(
            listed
                .iter()
                .any(|o| o["orderKey"].as_str() == Some(key.as_str())),
            "{key} is kept"
        );
    }
    let text = std::fs::read_to_string(state_file_in(&home)).expect("state file");
    let file: serde_json::Value = serde_json::from_str(&text).expect("still valid JSON");
    assert_eq!(file["orders"].as_array().map(Vec::len), Some(8));
    assert_eq!(file["customers"].as_array().map(Vec::len), Some(1));
}

#[test]
fn sandbox_serve_with_state_shares_it_with_the_embedded_sandbox_while_running() {
    let home = fresh_home();
    let state_file = state_file_in(&home);
    let mut serve = bare_in(&home)
        .args([
            "sandbox",
            "serve",
            "--port",
            "0",
            "--print-credentials-json",
            "--state",
        ])
        .arg(&state_file)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawns");
    let line = BufReader::new(serve.stdout.take().expect("piped"))
        .lines()
        .next()
        .expect("a line")
        .expect("UTF-8");
    let info: serde_json::Value = serde_json::from_str(&line).expect("credentials JSON");
    let text = |field: &str| info[field].as_str().expect(field).to_owned();

    let mut remote = bare_in(&home);
    remote
        .args([
            "--api-url",
            &text("apiUrl"),
            "--auth-url",
            &text("tokenUrl"),
        ])
        .env("CARBONEXT_CLIENT_ID", text("clientId"))
        .env("CARBONEXT_CLIENT_SECRET", text("clientSecret"));
    ok(
        remote,
        &[
            "orders",
            "create",
            "--vcu",
            "4",
            "--key",
            "served_order_001",
        ],
    );

    // The serving process holds no lock between saves: an embedded sandbox on the same file
    // starts, with the same seeded customer, and sees the order at once.
    let listed = orders(&home);
    serve.kill().expect("stops");
    let _ = serve.wait();
    assert_eq!(listed.len(), 1, "{listed:?}");
    let file: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&state_file).expect("state file")).expect("JSON");
    assert_eq!(
        file["seeded"]["clientId"].as_str(),
        Some(text("clientId").as_str())
    );
}

#[test]
fn a_corrupt_state_file_is_reported_with_the_way_out() {
    let home = fresh_home();
    let state_file = state_file_in(&home);
    std::fs::create_dir_all(state_file.parent().expect("a folder")).expect("folder");
    std::fs::write(&state_file, "{ not json").expect("written");
    let output = run(bare_in(&home), &["orders", "list"]);
    assert_code(&output, 5);
    let err = stderr(&output);
    assert!(err.contains("sandbox reset"), "{err}");
    ok(bare_in(&home), &["sandbox", "reset"]);
    assert!(orders(&home).is_empty());
}
