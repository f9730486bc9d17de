//! Where `orders watch` keeps what must outlive it: its progress (the file given to
//! `--state`, else one per target and API key under `$XDG_STATE_HOME/carbonext/`) and, with
//! `--forward-to`, its signing secret in `<state>.secret` (mode 0600), made at the first
//! start and reused after, so receivers keep their configuration across restarts.
//!
//! ```text
//! ~/.local/state/carbonext/orders-watch-embedded-sandbox.json
//! ~/.local/state/carbonext/orders-watch-api-b2b-hml.carbonext.com.br-my_client-1a2b3c4d.json
//! ~/.local/state/carbonext/orders-watch-api-b2b-hml.carbonext.com.br-my_client-1a2b3c4d.json.secret
//! ```

use std::fs;
use std::io::{ErrorKind, Write};
use std::path::{Path, PathBuf};

use carbonext_domain::events::signature::SigningSecret;
use sha2::{Digest, Sha256};

use crate::cli::GlobalArgs;
use crate::exit::CliError;
use crate::target::{Resolved, Target};

/// The progress file used without `--state`: one per API and client id (several accounts
/// never share progress), or one for the embedded sandbox.
pub fn default_path(resolved: &Resolved, global: &GlobalArgs) -> Result<PathBuf, CliError> {
    let dir = carbonext_sandbox::state_file::default_path()
        .and_then(|sandbox| sandbox.parent().map(Path::to_path_buf))
        .ok_or_else(|| {
            CliError::usage("no HOME or XDG_STATE_HOME to keep the watcher's progress in")
                .hint("give a file with --state FILE")
        })?;
    let name = match &resolved.target {
        Target::Embedded => "embedded-sandbox".to_owned(),
        Target::Remote(remote) => {
            let credentials = crate::connect::credentials(global, resolved)?;
            let client = credentials.credentials.client_id().to_owned();
            let api = remote.environment.api_url();
            let digest = Sha256::digest(format!("{api}\n{client}").as_bytes());
            let short: String = digest[..4].iter().map(|b| format!("{b:02x}")).collect();
            format!("{}-{}-{short}", readable(&remote.host()), readable(&client))
        }
    };
    Ok(dir.join(format!("orders-watch-{name}.json")))
}

/// `text` with anything but letters, digits, `.`, `-` and `_` replaced, for a file name (the
/// hash beside it keeps names apart).
fn readable(text: &str) -> String {
    text.chars()
        .take(64)
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// Makes the folder of the state file, so the store can write it.
pub fn prepare(state: &Path) -> Result<(), CliError> {
    match state.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => fs::create_dir_all(dir)
            .map_err(|e| CliError::usage(format!("could not create {}: {e}", dir.display()))),
        _ => Ok(()),
    }
}

/// Where the signing secret of the watcher keeping its progress in `state` is kept.
pub fn secret_path(state: &Path) -> PathBuf {
    let mut name = state
        .file_name()
        .map(|n| n.to_os_string())
        .unwrap_or_default();
    name.push(".secret");
    state.with_file_name(name)
}

/// The secret kept beside `state`, or a new one saved there (mode 0600); `true` when it was
/// made now.
pub fn signing_secret(state: &Path) -> Result<(SigningSecret, bool), CliError> {
    let path = secret_path(state);
    match fs::read_to_string(&path) {
        Ok(text) => {
            let secret = text.parse::<SigningSecret>().map_err(|e| {
                CliError::usage(format!("{}: {e}", path.display()))
                    .hint("delete the file to make a new secret (receivers then need it)")
            })?;
            return Ok((secret, false));
        }
        Err(e) if e.kind() == ErrorKind::NotFound => {}
        Err(e) => {
            return Err(CliError::usage(format!(
                "could not read the signing secret in {}: {e}",
                path.display()
            )))
        }
    }
    let secret = SigningSecret::generate();
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    match options.open(&path) {
        Ok(mut file) => {
            file.write_all(format!("{}\n", secret.expose_secret()).as_bytes())
                .and_then(|()| file.sync_all())
                .map_err(|e| {
                    CliError::usage(format!(
                        "could not save the signing secret in {}: {e}",
                        path.display()
                    ))
                })?;
            Ok((secret, true))
        }
        // Another watcher of the same state made it first: use theirs.
        Err(e) if e.kind() == ErrorKind::AlreadyExists => signing_secret(state),
        Err(e) => Err(CliError::usage(format!(
            "could not save the signing secret in {}: {e}",
            path.display()
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_secret_is_made_once_kept_private_and_reused() {
        let dir = tempfile::tempdir().unwrap();
        let state = dir.path().join("watch.json");
        let (first, made) = signing_secret(&state).unwrap();
        assert!(made);
        let (again, made) = signing_secret(&state).unwrap();
        assert!(!made);
        assert_eq!(first, again);
        let path = secret_path(&state);
        assert_eq!(path, dir.path().join("watch.json.secret"));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        fs::write(&path, "not a secret").unwrap();
        let refused = signing_secret(&state).unwrap_err();
        assert!(
            !refused.message.contains("not a secret"),
            "{}",
            refused.message
        );
    }

    #[test]
    fn readable_names_keep_safe_characters_only() {
        assert_eq!(readable("api.example:8443"), "api.example_8443");
        assert_eq!(readable("../../etc"), ".._.._etc");
    }
}
