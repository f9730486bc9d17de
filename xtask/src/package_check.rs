//! `cargo xtask package-check`: what each publishable crate's package holds.
//!
//! For every workspace crate that can be published, `cargo package --list -p CRATE` gives the
//! files of its `.crate`; this task fails when one of them lacks what a user needs to build it
//! or carries what nobody needs:
//!
//! - needed: `Cargo.toml`, the crate's README (its `readme` field), `LICENSE-MIT` and
//!   `LICENSE-APACHE` identical to the repository's, every `.rs` file under `src/` (so the
//!   generated `carbonext-api/src/generated.rs` too), and the source file of every library and
//!   binary target;
//! - not wanted: tests, benches, snapshots, fixtures, fuzz corpora, build output, and any file
//!   over [`MAX_FILE_BYTES`] or a package over [`MAX_PACKAGE_BYTES`] of sources.
//!
//! It prints each crate's file count and size (the sources' bytes, and the `.crate` archive's
//! when `target/package/` has a current one, as `cargo package` leaves it).
//!
//! ```
//! use xtask::package_check::{problems, Listing};
//!
//! let listing = Listing {
//!     name: "demo".into(),
//!     files: vec![("Cargo.toml".into(), 300), ("tests/big.snap".into(), 90_000)],
//!     readme: None,
//!     required: vec!["Cargo.toml".into(), "src/lib.rs".into()],
//!     licences_match: true,
//! };
//! let found = problems(&listing);
//! assert!(found.iter().any(|p| p.contains("src/lib.rs")));
//! assert!(found.iter().any(|p| p.contains("tests/big.snap")));
//! ```

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

use anyhow::{bail, Context};
use serde_json::Value;

/// Largest single file a package may carry (the generated client is about 230 KiB).
pub const MAX_FILE_BYTES: u64 = 512 * 1024;
/// Largest sum of a package's files.
pub const MAX_PACKAGE_BYTES: u64 = 2 * 1024 * 1024;
/// The licence files every package carries, identical to the repository root's.
pub const LICENCES: [&str; 2] = ["LICENSE-MIT", "LICENSE-APACHE"];

/// Files `cargo package` writes itself (`Cargo.toml.orig` is the crate's own manifest).
const GENERATED: [&str; 3] = [".cargo_vcs_info.json", "Cargo.lock", "Cargo.toml.orig"];

/// What one crate's package holds, and what it must hold.
#[derive(Clone, Debug)]
pub struct Listing {
    /// Crate name.
    pub name: String,
    /// Every packaged file (relative path, `/`-separated) with its size in bytes.
    pub files: Vec<(String, u64)>,
    /// The crate's `readme` field, relative to its directory (None: no README declared).
    pub readme: Option<String>,
    /// Files that must be in the package (README and licences are checked on their own).
    pub required: Vec<String>,
    /// Whether the crate's licence files have the repository root's text.
    pub licences_match: bool,
}

impl Listing {
    /// Sum of the packaged files' sizes.
    pub fn bytes(&self) -> u64 {
        self.files.iter().map(|(_, size)| size).sum()
    }
}

/// Why a path has no place in a published crate, if it has none.
fn unwanted(path: &str) -> Option<&'static str> {
    let first = path.split('/').next().unwrap_or(path);
    let parts: Vec<&str> = path.split('/').collect();
    if matches!(first, "tests" | "benches" | "target" | "fuzz") {
        return Some("tests, benches and build output stay in the repository");
    }
    if path.ends_with(".snap") || path.ends_with(".snap.new") || parts.contains(&"snapshots") {
        return Some("test snapshots stay in the repository");
    }
    if parts
        .iter()
        .any(|p| matches!(*p, "fixtures" | "corpus" | "artifacts"))
    {
        return Some("test data stays in the repository");
    }
    None
}

/// Everything wrong with `listing`; empty when the package is right.
pub fn problems(listing: &Listing) -> Vec<String> {
    let name = &listing.name;
    let files: BTreeSet<&str> = listing.files.iter().map(|(p, _)| p.as_str()).collect();
    let mut found = Vec::new();
    let mut missing = |what: &str, why: &str| {
        found.push(format!("{name}: {what} is not in the package ({why})"));
    };
    for path in &listing.required {
        if !files.contains(path.as_str()) {
            missing(path, "a user's build needs it");
        }
    }
    if let Some(readme) = &listing.readme {
        if !files.contains(readme.as_str()) {
            missing(readme, "the readme field");
        }
    }
    for licence in LICENCES {
        if !files.contains(licence) {
            missing(licence, "MIT OR Apache-2.0 needs both texts");
        }
    }
    if listing.readme.is_none() {
        found.push(format!("{name}: no `readme` in its [package]"));
    }
    if !listing.licences_match {
        found.push(format!(
            "{name}: its licence files differ from the repository root's (copy them again)"
        ));
    }
    for (path, size) in &listing.files {
        if let Some(why) = unwanted(path) {
            found.push(format!("{name}: {path} should not be packaged: {why}"));
        } else if *size > MAX_FILE_BYTES {
            found.push(format!(
                "{name}: {path} is {size} bytes, over {MAX_FILE_BYTES}: exclude it or say why"
            ));
        }
    }
    if listing.bytes() > MAX_PACKAGE_BYTES {
        found.push(format!(
            "{name}: {} bytes in all, over {MAX_PACKAGE_BYTES}",
            listing.bytes()
        ));
    }
    found
}

/// Every `.rs` file under `dir`, relative to `base`, `/`-separated and sorted.
fn rust_files(base: &Path, dir: &Path) -> anyhow::Result<Vec<String>> {
    let mut out = Vec::new();
    if !dir.is_dir() {
        return Ok(out);
    }
    let mut stack = vec![dir.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in
            std::fs::read_dir(&dir).with_context(|| format!("reading {}", dir.display()))?
        {
            let path = entry?.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(relative(base, &path)?);
            }
        }
    }
    out.sort();
    Ok(out)
}

fn relative(base: &Path, path: &Path) -> anyhow::Result<String> {
    let rel = path
        .strip_prefix(base)
        .with_context(|| format!("{} is outside {}", path.display(), base.display()))?;
    Ok(rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join("/"))
}

/// The crates `cargo package` would publish: workspace members without `publish = false`.
pub fn publishable(metadata: &Value) -> Vec<&Value> {
    let members: BTreeSet<&str> = metadata["workspace_members"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    let mut crates: Vec<&Value> = metadata["packages"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|p| p["id"].as_str().is_some_and(|id| members.contains(id)))
        .filter(|p| p["publish"].as_array().is_none_or(|r| !r.is_empty()))
        .collect();
    crates.sort_by_key(|p| p["name"].as_str().unwrap_or_default().to_string());
    crates
}

/// Lists `package` (one entry of the metadata's `packages`) with `cargo package --list`.
pub fn list(root: &Path, package: &Value) -> anyhow::Result<Listing> {
    let name = package["name"].as_str().context("package without a name")?;
    let manifest = PathBuf::from(
        package["manifest_path"]
            .as_str()
            .context("package without a manifest_path")?,
    );
    let dir = manifest.parent().context("manifest without a directory")?;
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    // `--allow-dirty`: a listing changes nothing, and uncommitted files are listed as they are.
    let output = Command::new(cargo)
        .current_dir(root)
        .args(["package", "--list", "--allow-dirty", "-p", name])
        .output()
        .context("running cargo package --list")?;
    if !output.status.success() {
        bail!(
            "cargo package --list -p {name} failed:\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let mut files = Vec::new();
    for path in String::from_utf8(output.stdout)?.lines() {
        let on_disk = match path {
            "Cargo.toml.orig" => dir.join("Cargo.toml"),
            // Written by cargo into the archive; counted as files, not as source bytes.
            p if GENERATED.contains(&p) => {
                files.push((path.to_string(), 0));
                continue;
            }
            p => dir.join(p),
        };
        let size = std::fs::metadata(&on_disk)
            .with_context(|| format!("{name}: {} is listed but not on disk", on_disk.display()))?
            .len();
        files.push((path.to_string(), size));
    }

    let mut required = vec!["Cargo.toml".to_string()];
    required.extend(rust_files(dir, &dir.join("src"))?);
    for target in package["targets"].as_array().into_iter().flatten() {
        let kinds: Vec<&str> = target["kind"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        let published = kinds
            .iter()
            .any(|k| matches!(*k, "lib" | "rlib" | "proc-macro" | "bin"));
        if let (true, Some(src)) = (published, target["src_path"].as_str()) {
            required.push(relative(dir, Path::new(src))?);
        }
    }
    required.sort();
    required.dedup();

    let licences_match = LICENCES.iter().all(|licence| {
        matches!(
            (std::fs::read(root.join(licence)), std::fs::read(dir.join(licence))),
            (Ok(ours), Ok(theirs)) if ours == theirs
        )
    });
    Ok(Listing {
        name: name.to_string(),
        files,
        readme: package["readme"].as_str().map(|readme| {
            // cargo metadata gives the field as written; a README outside the crate directory
            // would be packaged under its file name.
            Path::new(readme)
                .file_name()
                .map(|f| f.to_string_lossy().into_owned())
                .unwrap_or_else(|| readme.to_string())
        }),
        required,
        licences_match,
    })
}

/// Size of `target/package/NAME-VERSION.crate` when it is newer than every packaged file.
fn archive_bytes(root: &Path, package: &Value, listing: &Listing) -> Option<u64> {
    let file = format!(
        "{}-{}.crate",
        package["name"].as_str()?,
        package["version"].as_str()?
    );
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"));
    let archive = std::fs::metadata(target.join("package").join(file)).ok()?;
    let dir = Path::new(package["manifest_path"].as_str()?).parent()?;
    let newest_source = listing
        .files
        .iter()
        .filter_map(|(path, _)| {
            let path = if path == "Cargo.toml.orig" {
                "Cargo.toml"
            } else {
                path
            };
            std::fs::metadata(dir.join(path)).ok()?.modified().ok()
        })
        .max()?;
    (archive.modified().ok()? >= newest_source).then_some(archive.len())
}

/// Runs the task over every publishable crate of the workspace at `root`.
pub fn run(root: &Path, metadata: &Value) -> anyhow::Result<ExitCode> {
    let mut all_problems = Vec::new();
    for package in publishable(metadata) {
        let listing = list(root, package)?;
        let archive = archive_bytes(root, package, &listing)
            .map(|bytes| format!(", .crate {:.1} KiB", bytes as f64 / 1024.0))
            .unwrap_or_default();
        println!(
            "{:<26} {:>3} files, {:>7.1} KiB of sources{archive}",
            listing.name,
            listing.files.len(),
            listing.bytes() as f64 / 1024.0,
        );
        all_problems.extend(problems(&listing));
    }
    if all_problems.is_empty() {
        println!("ok: every package holds its sources, README and licences, and no tests or data");
        return Ok(ExitCode::SUCCESS);
    }
    for problem in all_problems {
        eprintln!("package-check: {problem}");
    }
    Ok(ExitCode::FAILURE)
}

#[cfg(test)]
mod tests;
