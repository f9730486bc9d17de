//! A throwaway PostgreSQL cluster of the test's own: initdb + pg_ctl in a temporary
//! directory, on a free port of 127.0.0.1, run as the `postgres` system user when the tests
//! run as root (initdb refuses root). The CLI's tests include this file too.

#![allow(dead_code)]

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// How to install PostgreSQL where it is missing.
pub const INSTALL: &str = "apt-get update && apt-get install -y postgresql";

/// A PostgreSQL cluster started for one test, stopped (and deleted) when dropped.
pub struct Cluster {
    bin: PathBuf,
    data: PathBuf,
    port: u16,
    /// Runs the server's commands as the `postgres` system user (initdb refuses root).
    as_postgres: bool,
    _dir: tempfile::TempDir,
}

impl Cluster {
    /// Initialises and starts a cluster; panics with the install command when PostgreSQL is
    /// not on this machine.
    pub fn start() -> Cluster {
        let bin = find_bin_dir().unwrap_or_else(|| {
            panic!(
                "PostgreSQL's server programs (initdb, pg_ctl) were not found in \
                 /usr/lib/postgresql/*/bin or on PATH; install them with `{INSTALL}`"
            )
        });
        let as_postgres = is_root();
        let dir = tempfile::Builder::new()
            .prefix("carbonext-pg-")
            .tempdir()
            .expect("a temporary directory");
        let data = dir.path().join("data");
        std::fs::create_dir(&data).unwrap();
        if as_postgres {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
            run(Command::new("chown").arg("postgres:").arg(&data));
        }
        let cluster = Cluster {
            bin,
            data,
            port: free_port(),
            as_postgres,
            _dir: dir,
        };
        cluster.pg(
            "initdb",
            &[
                "-D",
                path(&cluster.data),
                "-U",
                "postgres",
                "-A",
                "trust",
                "-E",
                "UTF8",
                "--no-sync",
                "--no-instructions",
            ],
        );
        cluster.run_start();
        cluster
    }

    /// The connection URL of the cluster's `postgres` database.
    pub fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    /// Stops the server now (fast shutdown: sessions are ended).
    pub fn stop(&self) {
        self.pg(
            "pg_ctl",
            &["-D", path(&self.data), "-m", "fast", "-w", "stop"],
        );
    }

    /// Starts the server again after [`Cluster::stop`].
    pub fn run_start(&self) {
        let options = format!(
            "-p {} -c listen_addresses=127.0.0.1 -c unix_socket_directories='' -c fsync=off \
             -c max_connections=200",
            self.port
        );
        let log = self.data.join("server.log");
        self.pg(
            "pg_ctl",
            &[
                "-D",
                path(&self.data),
                "-l",
                path(&log),
                "-o",
                &options,
                "-w",
                "-t",
                "60",
                "start",
            ],
        );
    }

    fn pg(&self, program: &str, args: &[&str]) {
        run(&mut self.command(program, args));
    }

    /// One of the server's programs, as the user that owns the cluster.
    fn command(&self, program: &str, args: &[&str]) -> Command {
        let program = self.bin.join(program);
        let mut command = if self.as_postgres {
            let mut command = Command::new("runuser");
            command.args(["-u", "postgres", "--"]).arg(&program);
            command
        } else {
            Command::new(&program)
        };
        // The server's working directory must be readable by it.
        command.args(args).current_dir("/");
        command
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let args = ["-D", path(&self.data), "-m", "immediate", "-w", "stop"];
        // Already stopped is fine here.
        let _ = self.command("pg_ctl", &args).output();
    }
}

fn path(path: &Path) -> &str {
    path.to_str().expect("a UTF-8 path")
}

fn run(command: &mut Command) -> Output {
    let output = command
        .output()
        .unwrap_or_else(|e| panic!("could not run {command:?}: {e}"));
    assert!(
        output.status.success(),
        "{command:?} failed ({}):\n{}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

/// Debian's versioned directory (newest first), then PATH.
fn find_bin_dir() -> Option<PathBuf> {
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let version = entry.file_name().to_str()?.parse().ok()?;
            let bin = entry.path().join("bin");
            bin.join("initdb").exists().then_some((version, bin))
        })
        .collect();
    versions.sort();
    if let Some((_, bin)) = versions.pop() {
        return Some(bin);
    }
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .find(|dir| dir.join("initdb").exists() && dir.join("pg_ctl").exists())
    })
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port on 127.0.0.1")
}
