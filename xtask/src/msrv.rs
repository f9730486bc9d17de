//! `cargo xtask msrv [--check]`: the minimum supported Rust version that the locked dependencies
//! impose, and whether the workspace declares at least that.
//!
//! Computed from `cargo metadata --format-version 1 --all-features --locked`: starting at every
//! crate of the workspace that can be published, follow the resolve graph's **normal and build**
//! edges (never dev-dependencies), through every feature and for every target platform, and take
//! the highest `rust-version` the packages reached declare. Build dependencies count because a
//! consumer's compiler builds them too (build scripts and proc-macros); dev-dependencies do not,
//! because only our own tests build them. Workspace members are walked through but their own
//! `rust-version` is the declared value, not a requirement.
//!
//! ```
//! use xtask::msrv::RustVersion;
//!
//! let declared: RustVersion = "1.88".parse().unwrap();
//! let needed: RustVersion = "1.89.0".parse().unwrap();
//! assert!(declared < needed);
//! assert_eq!(needed.to_string(), "1.89.0");
//! ```
//!
//! Only the stable toolchain is installed where this runs, so the check proves that the declared
//! MSRV is not lower than what any dependency declares, and (with clippy's `incompatible_msrv`
//! lint, which reads `rust-version`) that our code calls no standard-library API newer than it;
//! it does not prove that the workspace builds with that exact older compiler.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::fmt;
use std::path::Path;
use std::process::{Command, ExitCode};
use std::str::FromStr;

use anyhow::{anyhow, bail, Context};
use serde_json::Value;

/// A `rust-version`: `MAJOR.MINOR` or `MAJOR.MINOR.PATCH`; a missing patch is 0.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RustVersion {
    /// Major version (1).
    pub major: u64,
    /// Minor version.
    pub minor: u64,
    /// Patch version (0 when the text leaves it out).
    pub patch: u64,
}

impl FromStr for RustVersion {
    type Err = anyhow::Error;

    fn from_str(text: &str) -> anyhow::Result<Self> {
        let parts = text
            .split('.')
            .map(|part| {
                part.parse::<u64>()
                    .map_err(|_| anyhow!("`{text}` is not a rust-version (MAJOR.MINOR[.PATCH])"))
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        match parts[..] {
            [major, minor] => Ok(Self {
                major,
                minor,
                patch: 0,
            }),
            [major, minor, patch] => Ok(Self {
                major,
                minor,
                patch,
            }),
            _ => bail!("`{text}` is not a rust-version (MAJOR.MINOR[.PATCH])"),
        }
    }
}

impl fmt::Display for RustVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)
    }
}

/// A package of the resolve graph that declares a `rust-version`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Requirer {
    /// Crate name.
    pub name: String,
    /// Locked version.
    pub version: String,
    /// Its `rust-version`.
    pub rust_version: RustVersion,
    /// How a workspace crate reaches it: crate names from the workspace crate to this one.
    pub path: Vec<String>,
}

impl fmt::Display for Requirer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {} (rust-version {}; {})",
            self.name,
            self.version,
            self.rust_version,
            self.path.join(" → ")
        )
    }
}

/// What the metadata says.
#[derive(Clone, Debug)]
pub struct Report {
    /// The workspace crates the walk started from (those that can be published).
    pub roots: Vec<String>,
    /// The highest `rust-version` among their normal and build dependencies (None: none declares one).
    pub needed: Option<RustVersion>,
    /// Every dependency that declares exactly `needed`.
    pub set_by: Vec<Requirer>,
    /// The next highest `rust-version` below `needed`, with the dependencies declaring it.
    pub runner_up: Option<(RustVersion, Vec<String>)>,
    /// `rust-version` of every workspace member (None: it declares none).
    pub declared: BTreeMap<String, Option<RustVersion>>,
    /// How many distinct packages the walk reached (workspace crates included).
    pub reached: usize,
}

impl Report {
    /// The one value every member declares, or why there is none.
    pub fn declared_value(&self) -> Result<RustVersion, String> {
        let missing: Vec<&str> = self
            .declared
            .iter()
            .filter(|(_, v)| v.is_none())
            .map(|(name, _)| name.as_str())
            .collect();
        if !missing.is_empty() {
            return Err(format!(
                "no rust-version in {} (add `rust-version.workspace = true` to its [package])",
                missing.join(", ")
            ));
        }
        let values: BTreeSet<RustVersion> = self.declared.values().flatten().copied().collect();
        match values.len() {
            1 => Ok(*values.iter().next().expect("one value")),
            _ => Err(format!(
                "the workspace crates declare different rust-versions ({}); every crate should \
                 inherit the workspace's with `rust-version.workspace = true`",
                self.declared
                    .iter()
                    .map(|(name, v)| format!(
                        "{name} {}",
                        v.map(|v| v.to_string()).unwrap_or_default()
                    ))
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
        }
    }

    /// Problems `--check` fails on: a member without the workspace's rust-version, or a
    /// declared one lower than a dependency needs. Empty when the declared MSRV holds.
    pub fn problems(&self) -> Vec<String> {
        let declared = match self.declared_value() {
            Ok(declared) => declared,
            Err(problem) => return vec![problem],
        };
        match self.needed {
            Some(needed) if declared < needed => vec![format!(
                "the declared rust-version {declared} is lower than {needed}, which {} requires; \
                 set `rust-version = \"{needed}\"` in the root Cargo.toml's [workspace.package]",
                self.set_by
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(" and ")
            )],
            _ => Vec::new(),
        }
    }

    /// The human-readable summary `cargo xtask msrv` prints.
    pub fn summary(&self) -> String {
        let mut out = String::new();
        match self.needed {
            Some(needed) => {
                out += &format!("MSRV {needed}, set by:\n");
                for requirer in &self.set_by {
                    out += &format!("  {requirer}\n");
                }
            }
            None => out += "no dependency declares a rust-version\n",
        }
        if let Some((version, names)) = &self.runner_up {
            out += &format!("next highest: {version} ({})\n", names.join(", "));
        }
        out += &format!(
            "from the normal and build dependencies (all features, every target) of {}: {} \
             packages\n",
            self.roots.join(", "),
            self.reached
        );
        match self.declared_value() {
            Ok(declared) => {
                out += &format!("declared: {declared} (every workspace crate)");
                if let Some(needed) = self.needed {
                    if declared > needed {
                        out += &format!(
                            "; higher than the dependencies need: our own code must need it \
                             (clippy's incompatible_msrv shows calls newer than {needed} if \
                             lowered)"
                        );
                    }
                }
                out += "\n";
            }
            Err(problem) => out += &format!("declared: {problem}\n"),
        }
        out
    }
}

/// Walks `metadata` (the JSON of `cargo metadata --format-version 1`).
pub fn analyse(metadata: &Value) -> anyhow::Result<Report> {
    let packages = metadata["packages"]
        .as_array()
        .context("metadata without `packages`")?;
    let by_id: BTreeMap<&str, &Value> = packages
        .iter()
        .filter_map(|p| Some((p["id"].as_str()?, p)))
        .collect();
    let members: BTreeSet<&str> = metadata["workspace_members"]
        .as_array()
        .context("metadata without `workspace_members`")?
        .iter()
        .filter_map(Value::as_str)
        .collect();
    let nodes: BTreeMap<&str, &Value> = metadata["resolve"]["nodes"]
        .as_array()
        .context("metadata without a resolve graph (was it run with --no-deps?)")?
        .iter()
        .filter_map(|n| Some((n["id"].as_str()?, n)))
        .collect();
    let name_of = |id: &str| -> String {
        by_id
            .get(id)
            .and_then(|p| p["name"].as_str())
            .unwrap_or(id)
            .to_string()
    };

    let mut declared = BTreeMap::new();
    for id in &members {
        let package = by_id
            .get(id)
            .with_context(|| format!("workspace member {id} is not among the packages"))?;
        declared.insert(name_of(id), rust_version(package)?);
    }
    // `publish = false` shows as an empty list; absent (null) means crates.io.
    let mut roots: Vec<&str> = members
        .iter()
        .copied()
        .filter(|id| {
            by_id[id]["publish"]
                .as_array()
                .is_none_or(|registries| !registries.is_empty())
        })
        .collect();
    roots.sort_by_key(|id| name_of(id));

    // Breadth first, so each package's recorded path is a shortest one.
    let mut parent: BTreeMap<&str, Option<&str>> = BTreeMap::new();
    let mut queue: VecDeque<&str> = VecDeque::new();
    for root in &roots {
        parent.insert(root, None);
        queue.push_back(root);
    }
    while let Some(id) = queue.pop_front() {
        let node = nodes
            .get(id)
            .with_context(|| format!("{id} has no node in the resolve graph"))?;
        for dep in node["deps"].as_array().into_iter().flatten() {
            let counts = dep["dep_kinds"]
                .as_array()
                .into_iter()
                .flatten()
                .any(|kind| matches!(kind["kind"].as_str(), None | Some("normal") | Some("build")));
            let Some(pkg) = dep["pkg"].as_str() else {
                continue;
            };
            if counts && !parent.contains_key(pkg) {
                parent.insert(pkg, Some(id));
                queue.push_back(pkg);
            }
        }
    }

    let path_to = |id: &str| -> Vec<String> {
        let mut path = vec![name_of(id)];
        let mut at = parent.get(id).copied().flatten();
        while let Some(up) = at {
            path.push(name_of(up));
            at = parent.get(up).copied().flatten();
        }
        path.reverse();
        path
    };
    let mut requirers = Vec::new();
    for id in parent.keys() {
        if members.contains(id) {
            continue;
        }
        let package = by_id
            .get(id)
            .with_context(|| format!("{id} is in the resolve graph but not among the packages"))?;
        if let Some(rust_version) = rust_version(package)? {
            requirers.push(Requirer {
                name: name_of(id),
                version: package["version"].as_str().unwrap_or("?").to_string(),
                rust_version,
                path: path_to(id),
            });
        }
    }
    requirers.sort_by(|a, b| {
        (b.rust_version, &a.name, &a.version).cmp(&(a.rust_version, &b.name, &b.version))
    });
    let needed = requirers.first().map(|r| r.rust_version);
    let set_by: Vec<Requirer> = requirers
        .iter()
        .filter(|r| Some(r.rust_version) == needed)
        .cloned()
        .collect();
    let runner_up = requirers
        .iter()
        .find(|r| Some(r.rust_version) != needed)
        .map(|first| {
            let names = requirers
                .iter()
                .filter(|r| r.rust_version == first.rust_version)
                .map(|r| format!("{} {}", r.name, r.version))
                .collect();
            (first.rust_version, names)
        });

    Ok(Report {
        roots: roots.iter().map(|id| name_of(id)).collect(),
        needed,
        set_by,
        runner_up,
        declared,
        reached: parent.len(),
    })
}

fn rust_version(package: &Value) -> anyhow::Result<Option<RustVersion>> {
    match package["rust_version"].as_str() {
        None => Ok(None),
        Some(text) => text.parse().map(Some).with_context(|| {
            format!(
                "package {}",
                package["name"].as_str().unwrap_or("<unnamed>")
            )
        }),
    }
}

/// The workspace's metadata, as cargo resolves it from the lock file (which must be up to date).
pub fn workspace_metadata(root: &Path) -> anyhow::Result<Value> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let output = Command::new(cargo)
        .current_dir(root)
        .args([
            "metadata",
            "--format-version",
            "1",
            "--all-features",
            "--locked",
        ])
        .output()
        .context("running cargo metadata")?;
    if !output.status.success() {
        bail!(
            "cargo metadata failed:\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    serde_json::from_slice(&output.stdout).context("reading cargo metadata's JSON")
}

/// Runs the task: prints the summary; with `check`, fails on [`Report::problems`].
pub fn run(metadata: &Value, check: bool) -> anyhow::Result<ExitCode> {
    let report = analyse(metadata)?;
    print!("{}", report.summary());
    if !check {
        return Ok(ExitCode::SUCCESS);
    }
    let problems = report.problems();
    if problems.is_empty() {
        println!("ok: the declared rust-version covers every locked dependency");
        return Ok(ExitCode::SUCCESS);
    }
    for problem in problems {
        eprintln!("msrv: {problem}");
    }
    Ok(ExitCode::FAILURE)
}

#[cfg(test)]
mod tests;
