//! The MSRV computation on small synthetic `cargo metadata` documents.

use serde_json::{json, Value};

use super::{analyse, RustVersion};

/// A package: (name, rust-version, publishable).
type Package<'a> = (&'a str, Option<&'a str>, bool);
/// An edge: (from, to, kinds); a kind is "normal", "build" or "dev".
type Edge<'a> = (&'a str, &'a str, &'a [&'a str]);

fn id(name: &str) -> String {
    format!("registry+https://example.invalid#{name}@1.0.0")
}

/// A `cargo metadata --format-version 1` document with `members` in the workspace.
fn metadata(members: &[Package], deps: &[Package], edges: &[Edge]) -> Value {
    let package = |(name, rust_version, publish): &Package| {
        json!({
            "name": name,
            "version": "1.0.0",
            "id": id(name),
            "rust_version": rust_version,
            "publish": if *publish { Value::Null } else { json!([]) },
        })
    };
    let nodes: Vec<Value> = members
        .iter()
        .chain(deps)
        .map(|(name, _, _)| {
            let deps: Vec<Value> = edges
                .iter()
                .filter(|(from, _, _)| from == name)
                .map(|(_, to, kinds)| {
                    let kinds: Vec<Value> = kinds
                        .iter()
                        .map(|kind| match *kind {
                            "normal" => json!({ "kind": null, "target": null }),
                            other => json!({ "kind": other, "target": null }),
                        })
                        .collect();
                    json!({ "name": to.replace('-', "_"), "pkg": id(to), "dep_kinds": kinds })
                })
                .collect();
            json!({ "id": id(name), "deps": deps })
        })
        .collect();
    json!({
        "packages": members.iter().chain(deps).map(package).collect::<Vec<_>>(),
        "workspace_members": members.iter().map(|(name, _, _)| id(name)).collect::<Vec<_>>(),
        "resolve": { "nodes": nodes, "root": null },
    })
}

fn v(text: &str) -> RustVersion {
    text.parse().unwrap()
}

/// A workspace of a library, a CLI and an unpublished tool, each declaring `declared`.
fn workspace(declared: Option<&'static str>, deps: &[Package], edges: &[Edge]) -> Value {
    metadata(
        &[
            ("our-lib", declared, true),
            ("our-cli", declared, true),
            ("our-tool", declared, false),
        ],
        deps,
        edges,
    )
}

const DEPS: &[Package] = &[
    ("shallow", Some("1.70"), true),
    ("deep", Some("1.85.1"), true),
    ("unversioned", None, true),
    ("builder", Some("1.80"), true),
    ("test-only", Some("1.95"), true),
    ("tool-only", Some("1.99"), true),
];

const EDGES: &[Edge] = &[
    ("our-cli", "our-lib", &["normal"]),
    ("our-lib", "shallow", &["normal"]),
    ("shallow", "unversioned", &["normal"]),
    ("unversioned", "deep", &["normal"]),
    ("our-lib", "builder", &["build"]),
    ("our-lib", "test-only", &["dev"]),
    ("our-tool", "tool-only", &["normal"]),
];

#[test]
fn the_highest_normal_dependency_sets_it_and_says_how_it_is_reached() {
    let report = analyse(&workspace(Some("1.85.1"), DEPS, EDGES)).unwrap();
    assert_eq!(report.needed, Some(v("1.85.1")));
    assert_eq!(report.set_by.len(), 1);
    let deep = &report.set_by[0];
    assert_eq!(deep.name, "deep");
    assert_eq!(deep.path, ["our-lib", "shallow", "unversioned", "deep"]);
    assert_eq!(
        report.runner_up,
        Some((v("1.80"), vec!["builder 1.0.0".to_string()]))
    );
    assert_eq!(report.roots, ["our-cli", "our-lib"]);
    // our-cli, our-lib, shallow, unversioned, deep, builder: not test-only, not tool-only.
    assert_eq!(report.reached, 6);
    assert!(report.problems().is_empty());
    let summary = report.summary();
    assert!(
        summary.starts_with("MSRV 1.85.1, set by:\n  deep 1.0.0"),
        "{summary}"
    );
}

#[test]
fn dev_dependencies_and_unpublished_crates_do_not_count_but_build_dependencies_do() {
    // Without the deep chain, the build dependency (1.80) is the highest that counts: the
    // dev-only 1.95 and the tool's 1.99 are ignored.
    let edges: Vec<Edge> = EDGES
        .iter()
        .copied()
        .filter(|(_, to, _)| *to != "deep")
        .collect();
    let report = analyse(&workspace(Some("1.80"), DEPS, &edges)).unwrap();
    assert_eq!(report.needed, Some(v("1.80")));
    assert_eq!(report.set_by[0].name, "builder");
    assert_eq!(report.set_by[0].path, ["our-lib", "builder"]);
}

#[test]
fn an_edge_that_is_both_dev_and_normal_counts() {
    let mut edges = EDGES.to_vec();
    edges.retain(|(_, to, _)| *to != "test-only");
    edges.push(("our-lib", "test-only", &["dev", "normal"]));
    let report = analyse(&workspace(Some("1.95"), DEPS, &edges)).unwrap();
    assert_eq!(report.needed, Some(v("1.95")));
    assert_eq!(report.set_by[0].name, "test-only");
}

#[test]
fn a_declared_version_lower_than_a_dependency_needs_fails_naming_it() {
    let report = analyse(&workspace(Some("1.85"), DEPS, EDGES)).unwrap();
    let problems = report.problems();
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(
        problems[0].contains("1.85.0 is lower than 1.85.1"),
        "{}",
        problems[0]
    );
    assert!(problems[0].contains("deep 1.0.0"), "{}", problems[0]);
    assert!(problems[0].contains("our-lib → shallow → unversioned → deep"));
}

#[test]
fn a_higher_declared_version_passes_with_a_note() {
    let report = analyse(&workspace(Some("1.90"), DEPS, EDGES)).unwrap();
    assert!(report.problems().is_empty());
    assert!(report
        .summary()
        .contains("higher than the dependencies need"));
}

#[test]
fn ties_name_every_dependency_that_sets_it() {
    let deps = [
        ("a-dep", Some("1.88"), true),
        ("b-dep", Some("1.88.0"), true),
    ];
    let edges: [Edge; 2] = [
        ("our-lib", "b-dep", &["normal"]),
        ("our-cli", "a-dep", &["normal"]),
    ];
    let report = analyse(&workspace(Some("1.88"), &deps, &edges)).unwrap();
    let names: Vec<&str> = report.set_by.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(names, ["a-dep", "b-dep"]);
    assert_eq!(report.runner_up, None);
}

#[test]
fn every_member_must_declare_the_same_rust_version() {
    let deps = [("dep", Some("1.70"), true)];
    let edges: [Edge; 1] = [("our-lib", "dep", &["normal"])];

    let missing = metadata(
        &[("our-lib", Some("1.80"), true), ("our-tool", None, false)],
        &deps,
        &edges,
    );
    let problems = analyse(&missing).unwrap().problems();
    assert_eq!(problems.len(), 1);
    assert!(
        problems[0].contains("no rust-version in our-tool"),
        "{}",
        problems[0]
    );

    let different = metadata(
        &[
            ("our-lib", Some("1.80"), true),
            ("our-tool", Some("1.81"), false),
        ],
        &deps,
        &edges,
    );
    let problems = analyse(&different).unwrap().problems();
    assert_eq!(problems.len(), 1);
    assert!(
        problems[0].contains("different rust-versions"),
        "{}",
        problems[0]
    );
}

#[test]
fn rust_versions_compare_numerically_and_a_missing_patch_is_zero() {
    assert_eq!(v("1.89"), v("1.89.0"));
    assert!(v("1.89.1") > v("1.89"));
    assert!(v("1.100") > v("1.99.9"));
    assert_eq!(v("1.89").to_string(), "1.89.0");
    for bad in ["1", "1.x", "1.89.0.1", "", "1.89-beta"] {
        assert!(bad.parse::<RustVersion>().is_err(), "{bad:?} parsed");
    }
}

#[test]
fn a_package_with_a_malformed_rust_version_is_an_error() {
    let deps = [("odd", Some("one.eighty"), true)];
    let edges: [Edge; 1] = [("our-lib", "odd", &["normal"])];
    let err = analyse(&workspace(Some("1.80"), &deps, &edges)).unwrap_err();
    assert!(format!("{err:#}").contains("package odd"), "{err:#}");
}
