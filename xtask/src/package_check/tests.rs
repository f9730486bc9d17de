//! The package rules on synthetic listings.

use super::{problems, publishable, Listing, MAX_FILE_BYTES, MAX_PACKAGE_BYTES};

fn files(paths: &[(&str, u64)]) -> Vec<(String, u64)> {
    paths.iter().map(|(p, s)| (p.to_string(), *s)).collect()
}

/// A right package of a small library with a generated module.
fn good() -> Listing {
    Listing {
        name: "demo".into(),
        files: files(&[
            (".cargo_vcs_info.json", 0),
            ("Cargo.lock", 0),
            ("Cargo.toml", 900),
            ("Cargo.toml.orig", 700),
            ("LICENSE-APACHE", 9_700),
            ("LICENSE-MIT", 1_000),
            ("README.md", 800),
            ("examples/quote.rs", 1_200),
            ("src/generated.rs", 240_000),
            ("src/lib.rs", 3_000),
        ]),
        readme: Some("README.md".into()),
        required: vec![
            "Cargo.toml".into(),
            "src/generated.rs".into(),
            "src/lib.rs".into(),
        ],
        licences_match: true,
    }
}

#[test]
fn a_package_with_its_sources_readme_and_licences_passes() {
    assert_eq!(problems(&good()), Vec::<String>::new());
    assert_eq!(good().bytes(), 257_300);
}

#[test]
fn a_missing_generated_module_readme_or_licence_is_named() {
    for dropped in [
        "src/generated.rs",
        "README.md",
        "LICENSE-MIT",
        "LICENSE-APACHE",
    ] {
        let mut listing = good();
        listing.files.retain(|(p, _)| p != dropped);
        let found = problems(&listing);
        assert_eq!(found.len(), 1, "{dropped}: {found:?}");
        assert!(found[0].starts_with(&format!("demo: {dropped} is not in the package")));
    }
}

#[test]
fn a_crate_without_a_readme_field_or_with_stale_licences_fails() {
    let mut listing = good();
    listing.readme = None;
    assert_eq!(problems(&listing), ["demo: no `readme` in its [package]"]);

    let mut listing = good();
    listing.licences_match = false;
    let found = problems(&listing);
    assert_eq!(found.len(), 1);
    assert!(found[0].contains("differ from the repository root's"));
}

#[test]
fn tests_snapshots_fixtures_and_benches_are_refused() {
    for path in [
        "tests/orders.rs",
        "tests/snapshots/orders__list.snap",
        "src/snapshots/x.snap",
        "src/fixtures/order.json",
        "benches/p1.rs",
        "fuzz/corpus/a",
        "target/debug/x",
    ] {
        let mut listing = good();
        listing.files.push((path.to_string(), 10));
        let found = problems(&listing);
        assert_eq!(found.len(), 1, "{path}: {found:?}");
        assert!(found[0].contains(&format!("{path} should not be packaged")));
    }
}

#[test]
fn a_file_or_a_package_over_the_limits_is_refused() {
    let mut listing = good();
    listing
        .files
        .push(("src/table.rs".to_string(), MAX_FILE_BYTES + 1));
    let found = problems(&listing);
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0].contains("src/table.rs is"));

    let mut listing = good();
    for i in 0..5 {
        listing
            .files
            .push((format!("src/part{i}.rs"), MAX_PACKAGE_BYTES / 4));
    }
    let found = problems(&listing);
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0].contains("bytes in all"));
}

#[test]
fn only_members_without_publish_false_are_checked() {
    let metadata = serde_json::json!({
        "workspace_members": ["lib-id", "tool-id", "private-id"],
        "packages": [
            { "id": "tool-id", "name": "tool", "publish": [] },
            { "id": "lib-id", "name": "lib", "publish": null },
            { "id": "private-id", "name": "private", "publish": ["our-registry"] },
            { "id": "dep-id", "name": "dep", "publish": null },
        ],
    });
    let names: Vec<&str> = publishable(&metadata)
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["lib", "private"]);
}
