//! A sandbox with a state file: the same credentials and data in the next sandbox, two
//! sandboxes on one file at once merged without losing a write, saving by rename, reset, and
//! no file at all unless asked for.

mod common;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use carbonext_sandbox::{Sandbox, StateFile};
use common::Caller;
use serde_json::{json, Value};

/// A new empty folder under Cargo's folder for test files, and the state file's path in it.
fn state_path() -> PathBuf {
    static FOLDERS: AtomicU64 = AtomicU64::new(0);
    let folder = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!(
        "sandbox-state-{}-{}",
        std::process::id(),
        FOLDERS.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = std::fs::remove_dir_all(&folder);
    folder.join("nested").join("sandbox.json")
}

async fn on_file(path: &Path) -> Sandbox {
    Sandbox::builder()
        .state_file(path)
        .start()
        .await
        .expect("starts on the state file")
}

fn file_json(path: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(path).expect("the state file")).expect("valid JSON")
}

fn order_ids(file: &Value) -> Vec<String> {
    file["orders"]
        .as_array()
        .expect("orders")
        .iter()
        .map(|o| o["id"].as_str().expect("id").to_owned())
        .collect()
}

#[tokio::test]
async fn the_next_sandbox_has_the_same_credentials_and_data() {
    let path = state_path();
    let first = on_file(&path).await;
    assert_eq!(first.state_file(), Some(path.as_path()));
    let placed = Caller::seeded(&first)
        .await
        .order(json!({"vcuAmount": 2, "payWithBalance": true}))
        .await;
    let credentials = first.customer();
    first.shutdown().await;

    let second = on_file(&path).await;
    assert_eq!(second.customer(), credentials);
    let orders = second.orders_snapshot();
    assert_eq!(orders.len(), 1);
    assert_eq!(orders[0].id.to_string(), placed["id"].as_str().expect("id"));
    let balance = Caller::seeded(&second)
        .await
        .get("/v1/customers/balance")
        .await;
    assert_eq!(balance.status, 200);
    assert_eq!(
        common::dec(&balance.body["balancesByCurrency"][0]["vcuBalance"]["balance"]),
        "998"
    );
    assert!(!std::fs::read_to_string(&path)
        .expect("file")
        .contains(&Caller::seeded(&second).await.token));
}

#[tokio::test]
async fn two_sandboxes_on_one_file_lose_no_write() {
    let path = state_path();
    let a = on_file(&path).await;
    let b = on_file(&path).await;
    assert_eq!(a.customer(), b.customer(), "one seeded customer for both");
    let (caller_a, caller_b) = (Caller::seeded(&a).await, Caller::seeded(&b).await);

    let from_a = caller_a.order(json!({"vcuAmount": 1})).await;
    let from_b = caller_b.order(json!({"vcuAmount": 2})).await;
    let from_a_id = from_a["id"].as_str().expect("id").to_owned();
    // A cancels its own order after B saved: A's update wins, B's order stays.
    let cancelled = caller_a
        .post(&format!("/v1/orders/{from_a_id}/cancel"), json!({}))
        .await;
    assert_eq!(cancelled.status, 200, "{}", cancelled.body);

    let file = file_json(&path);
    let ids = order_ids(&file);
    assert_eq!(ids.len(), 2, "{file:#}");
    assert!(ids.contains(&from_a_id));
    assert!(ids.contains(&from_b["id"].as_str().expect("id").to_owned()));
    let status_of_a = file["orders"]
        .as_array()
        .expect("orders")
        .iter()
        .find(|o| o["id"] == from_a["id"])
        .map(|o| o["status"].clone());
    assert_eq!(status_of_a, Some(json!("Cancelled")));
    // A took B's order when it saved.
    assert_eq!(a.orders_snapshot().len(), 2);
    a.shutdown().await;
    b.shutdown().await;
    assert_eq!(order_ids(&file_json(&path)).len(), 2);
}

#[tokio::test]
async fn saving_renames_a_new_file_over_the_old_one() {
    let path = state_path();
    let sandbox = on_file(&path).await;
    // A second name for the file as it is now: an in-place write would change it too.
    let before = path.with_extension("before");
    std::fs::hard_link(&path, &before).expect("hard link");
    let old_text = std::fs::read_to_string(&before).expect("old file");

    Caller::seeded(&sandbox)
        .await
        .order(json!({"vcuAmount": 1}))
        .await;

    assert_eq!(
        std::fs::read_to_string(&before).expect("old file"),
        old_text
    );
    assert_eq!(order_ids(&file_json(&before)).len(), 0);
    assert_eq!(order_ids(&file_json(&path)).len(), 1);
    let folder = path.parent().expect("folder");
    let leftovers: Vec<_> = std::fs::read_dir(folder)
        .expect("folder")
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path)
            .expect("metadata")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    sandbox.shutdown().await;
}

#[tokio::test]
async fn reset_starts_afresh() {
    let path = state_path();
    let first = on_file(&path).await;
    let credentials = first.customer();
    Caller::seeded(&first)
        .await
        .order(json!({"vcuAmount": 1}))
        .await;
    first.shutdown().await;

    assert!(StateFile::new(&path).reset().expect("reset"));
    assert!(!path.exists());
    assert!(!StateFile::new(&path).reset().expect("nothing to reset"));

    let next = on_file(&path).await;
    assert_ne!(next.customer(), credentials);
    assert!(next.orders_snapshot().is_empty());
    next.shutdown().await;
}

#[tokio::test]
async fn a_file_of_another_version_is_refused() {
    let path = state_path();
    std::fs::create_dir_all(path.parent().expect("folder")).expect("folder");
    std::fs::write(&path, r#"{"version": 99}"#).expect("written");
    let error = Sandbox::builder()
        .state_file(&path)
        .start()
        .await
        .expect_err("refused");
    assert_eq!(error.kind(), std::io::ErrorKind::InvalidData);
    assert!(error.to_string().contains("version 99"), "{error}");
}

#[tokio::test]
async fn without_a_state_file_nothing_is_written() {
    let sandbox = Sandbox::builder().start().await.expect("starts");
    assert_eq!(sandbox.state_file(), None);
    sandbox.save_state().await.expect("nothing to save");
}
