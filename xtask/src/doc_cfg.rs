//! `cargo xtask doc-cfg`: every public item a feature gates says so on docs.rs.
//!
//! docs.rs builds the libraries with every feature on, so without a mark nothing tells a reader
//! that `MockVcuMarket` needs the `mock` feature. In the hand-written sources of the library
//! crates, every public item under `#[cfg(feature = "X")]` (a `pub` item, a trait `impl`, an
//! enum variant) must carry `#[cfg_attr(docsrs, doc(cfg(feature = "X")))]` among its
//! attributes, and each crate root must enable `#![cfg_attr(docsrs, feature(doc_cfg))]`.
//! Gated statements, match arms and private items need no mark.
//!
//! ```
//! use xtask::doc_cfg::unmarked;
//!
//! let source = "#[cfg(feature = \"mock\")]\npub use traits::MockLedger;\n";
//! assert_eq!(unmarked(source), [(1, "mock".to_string())]);
//! let marked = "#[cfg(feature = \"mock\")]\n#[cfg_attr(docsrs, doc(cfg(feature = \"mock\")))]\npub use traits::MockLedger;\n";
//! assert!(unmarked(marked).is_empty());
//! ```

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;

/// The library crates docs.rs documents (directories under the workspace root).
pub const LIBRARIES: [&str; 5] = [
    "carbonext-api",
    "carbonext-auth",
    "carbonext-domain",
    "carbonext-postgres-lock",
    "carbonext-sandbox",
];

/// Generated code is exempt: its gates come from the generator.
const GENERATED: &str = "generated.rs";

/// The feature of a gate line: `#[cfg(feature = "X")]`, or `#[cfg(any(test, feature = "X"))]`
/// (also compiled for the crate's own unit tests, still the feature's for a user).
fn gate(line: &str) -> Option<String> {
    let line = line.trim();
    let (rest, close) = match line.strip_prefix("#[cfg(any(test, feature = \"") {
        Some(rest) => (rest, "))]"),
        None => (line.strip_prefix("#[cfg(feature = \"")?, ")]"),
    };
    let (feature, tail) = rest.split_once('"')?;
    (tail == close).then(|| feature.to_string())
}

/// Whether the code line after a gate's attributes starts a public item.
fn is_public_item(line: &str) -> bool {
    let line = line.trim_start();
    if line.starts_with("pub ")
        || line.starts_with("impl ")
        || line.starts_with("impl<")
        || line.starts_with("unsafe impl")
    {
        return true;
    }
    // An enum variant: `Name(...)`, `Name { ... }` or `Name,` (not a path, a call or an arm).
    let name_len = line
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(line.len());
    let (name, after) = line.split_at(name_len);
    name.starts_with(|c: char| c.is_ascii_uppercase())
        && !after.contains("=>")
        && !after.starts_with("::")
        && matches!(
            after.trim_start().chars().next(),
            Some('(' | '{' | ',') | None
        )
}

/// The lines (1-based) of the feature gates in `source` whose public item lacks its mark,
/// with the feature.
pub fn unmarked(source: &str) -> Vec<(usize, String)> {
    let lines: Vec<&str> = source.lines().collect();
    let mut found = Vec::new();
    for (index, line) in lines.iter().enumerate() {
        let Some(feature) = gate(line) else {
            continue;
        };
        let mark = format!("#[cfg_attr(docsrs, doc(cfg(feature = \"{feature}\")))]");
        let mut marked = false;
        let mut item = None;
        for next in &lines[index + 1..] {
            let next = next.trim();
            if next.starts_with("#[") || next.starts_with("///") || next.is_empty() {
                marked |= next == mark;
                continue;
            }
            item = Some(next);
            break;
        }
        if item.is_some_and(is_public_item) && !marked {
            found.push((index + 1, feature));
        }
    }
    found
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) -> anyhow::Result<()> {
    for entry in std::fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))? {
        let path = entry?.path();
        if path.is_dir() {
            rust_files(&path, out)?;
        } else if path.extension().is_some_and(|e| e == "rs")
            && path.file_name().is_some_and(|n| n != GENERATED)
        {
            out.push(path);
        }
    }
    Ok(())
}

/// Checks the library crates under `root`; prints every unmarked gate.
pub fn run(root: &Path) -> anyhow::Result<ExitCode> {
    let mut problems = Vec::new();
    let mut gates = 0;
    for library in LIBRARIES {
        let src = root.join(library).join("src");
        let lib = std::fs::read_to_string(src.join("lib.rs"))
            .with_context(|| format!("reading {library}/src/lib.rs"))?;
        if !lib.contains("#![cfg_attr(docsrs, feature(doc_cfg))]") {
            problems.push(format!(
                "{library}/src/lib.rs: no #![cfg_attr(docsrs, feature(doc_cfg))]"
            ));
        }
        let mut files = Vec::new();
        rust_files(&src, &mut files)?;
        files.sort();
        for file in files {
            let source = std::fs::read_to_string(&file)?;
            gates += source.lines().filter(|l| gate(l).is_some()).count();
            for (line, feature) in unmarked(&source) {
                let shown = file.strip_prefix(root).unwrap_or(&file).display();
                problems.push(format!(
                    "{shown}:{line}: a public item behind feature `{feature}` without \
                     #[cfg_attr(docsrs, doc(cfg(feature = \"{feature}\")))]"
                ));
            }
        }
    }
    if problems.is_empty() {
        println!(
            "ok: every public item behind a feature is marked for docs.rs ({gates} gates read)"
        );
        return Ok(ExitCode::SUCCESS);
    }
    for problem in problems {
        eprintln!("doc-cfg: {problem}");
    }
    Ok(ExitCode::FAILURE)
}

#[cfg(test)]
mod tests {
    use super::unmarked;

    fn gates(source: &str) -> Vec<usize> {
        unmarked(source).into_iter().map(|(line, _)| line).collect()
    }

    #[test]
    fn public_items_impls_and_variants_need_the_mark() {
        let source = r#"
#[cfg(feature = "events")]
pub mod events;
#[cfg(feature = "schemars")]
impl schemars::JsonSchema for Secret {}
pub enum Error {
    /// A store failed.
    #[cfg(feature = "events")]
    #[error("{0}")]
    EventStore(#[from] StoreError),
}
#[cfg(feature = "mock")]
pub use traits::{MockLedger, MockVcuMarket};
"#;
        assert_eq!(gates(source), [2, 4, 8, 12]);
    }

    #[test]
    fn a_mark_among_the_attributes_or_after_docs_satisfies_the_gate() {
        let source = r#"
#[cfg(feature = "events")]
/// Events.
#[cfg_attr(docsrs, doc(cfg(feature = "events")))]
pub mod events;
#[cfg(feature = "mock")]
#[cfg_attr(docsrs, doc(cfg(feature = "mock")))]
pub use traits::MockLedger;
"#;
        assert!(gates(source).is_empty());
    }

    #[test]
    fn a_gate_widened_to_unit_tests_is_still_the_feature_s() {
        let source = "#[cfg(any(test, feature = \"testing\"))]\npub mod testing;\n";
        assert_eq!(unmarked(source), [(1, "testing".to_string())]);
        let marked = "#[cfg(any(test, feature = \"testing\"))]\n#[cfg_attr(docsrs, doc(cfg(feature = \"testing\")))]\npub mod testing;\n";
        assert!(unmarked(marked).is_empty());
    }

    #[test]
    fn a_mark_for_another_feature_does_not_count() {
        let source = "#[cfg(feature = \"mock\")]\n#[cfg_attr(docsrs, doc(cfg(feature = \"testing\")))]\npub mod testing;\n";
        assert_eq!(unmarked(source), [(1, "mock".to_string())]);
    }

    #[test]
    fn statements_arms_and_private_items_need_none() {
        let source = r#"
fn from_env() {
    #[cfg(feature = "profiles")]
    if let Some(carbonext) = Self::from_env_profile() {}
    match self {
        #[cfg(feature = "events")]
        Self::EventStore(_) => "event_store",
        #[cfg(feature = "events")]
        Error::EventStore(inner) => inner.retryable(),
    }
}
#[cfg(feature = "events")]
mod private;
#[cfg(feature = "events")]
use crate::events::Store;
#[cfg(feature = "events")]
let store = open();
"#;
        assert!(gates(source).is_empty(), "{:?}", gates(source));
    }
}
