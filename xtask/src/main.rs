//! Project automation, run as `cargo xtask <task>`.
//!
//! `cargo xtask codegen` regenerates `carbonext-api/src/generated.rs` from `openapi.yaml` with
//! progenitor; `cargo xtask codegen --check` regenerates in memory and fails with a readable diff
//! when the committed file differs, so nobody edits generated code by hand or forgets to
//! regenerate after a spec change.
//!
//! `cargo xtask msrv [--check]` prints the MSRV the locked dependencies impose and the one that
//! sets it; `--check` fails when the declared `rust-version` is lower. `cargo xtask
//! package-check` checks what each publishable crate's package holds and prints its size;
//! `cargo xtask doc-cfg` checks the docs.rs feature marks.

use std::path::PathBuf;
use std::process::ExitCode;

use xtask::{codegen, doc_cfg, msrv, package_check, workspace_root};

const USAGE: &str = "\
usage: cargo xtask codegen [--check] [--spec PATH] [--out PATH]
       cargo xtask msrv [--check] [--metadata FILE]
       cargo xtask package-check
       cargo xtask doc-cfg

  codegen          regenerate carbonext-api/src/generated.rs from openapi.yaml
    --check        compare instead of writing; exit 1 and print a diff on drift
    --spec PATH    read another spec (default: openapi.yaml at the workspace root)
    --out PATH     write or compare another file (default: carbonext-api/src/generated.rs)

  msrv             the highest rust-version among the locked normal and build dependencies
                   of the publishable crates, and the dependency that sets it
    --check        exit 1, naming that dependency, when the declared rust-version is lower
    --metadata F   read `cargo metadata --format-version 1` output from F instead of running it

  package-check    `cargo package --list` of every publishable crate: sources (generated code
                   included), README and licences present; tests, snapshots, fixtures and
                   oversized files absent; prints each package's file count and size

  doc-cfg          every public item behind `#[cfg(feature = ...)]` in the libraries also
                   carries `#[cfg_attr(docsrs, doc(cfg(feature = ...)))]`";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(code) => code,
        Err(err) => {
            eprintln!("xtask: {err:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: &[String]) -> anyhow::Result<ExitCode> {
    let Some((task, rest)) = args.split_first() else {
        eprintln!("{USAGE}");
        return Ok(ExitCode::from(2));
    };
    match task.as_str() {
        "codegen" => {
            let root = workspace_root();
            let mut options = codegen::Options {
                spec: root.join("openapi.yaml"),
                out: root.join("carbonext-api/src/generated.rs"),
                check: false,
            };
            let mut rest = rest.iter();
            while let Some(arg) = rest.next() {
                match arg.as_str() {
                    "--check" => options.check = true,
                    "--spec" => options.spec = path_arg(rest.next(), "--spec")?,
                    "--out" => options.out = path_arg(rest.next(), "--out")?,
                    other => anyhow::bail!("unknown argument `{other}`\n{USAGE}"),
                }
            }
            codegen::run(&options)
        }
        "msrv" => {
            let mut check = false;
            let mut metadata = None;
            let mut rest = rest.iter();
            while let Some(arg) = rest.next() {
                match arg.as_str() {
                    "--check" => check = true,
                    "--metadata" => metadata = Some(path_arg(rest.next(), "--metadata")?),
                    other => anyhow::bail!("unknown argument `{other}`\n{USAGE}"),
                }
            }
            let metadata = match metadata {
                Some(file) => serde_json::from_slice(&std::fs::read(&file)?)?,
                None => msrv::workspace_metadata(&workspace_root())?,
            };
            msrv::run(&metadata, check)
        }
        "package-check" => {
            if let Some(other) = rest.first() {
                anyhow::bail!("unknown argument `{other}`\n{USAGE}");
            }
            let root = workspace_root();
            package_check::run(&root, &msrv::workspace_metadata(&root)?)
        }
        "doc-cfg" => {
            if let Some(other) = rest.first() {
                anyhow::bail!("unknown argument `{other}`\n{USAGE}");
            }
            doc_cfg::run(&workspace_root())
        }
        "-h" | "--help" | "help" => {
            println!("{USAGE}");
            Ok(ExitCode::SUCCESS)
        }
        other => anyhow::bail!("unknown task `{other}`\n{USAGE}"),
    }
}

fn path_arg(value: Option<&String>, flag: &str) -> anyhow::Result<PathBuf> {
    value
        .map(PathBuf::from)
        .ok_or_else(|| anyhow::anyhow!("{flag} needs a path"))
}
