//! Saved profiles: which one a command uses, and writing them (`login`, `profiles remove`).
//!
//! The format and the reading are the SDK's ([`carbonext_domain::profiles`], so services read
//! the same files): `$XDG_CONFIG_HOME/carbonext/config.toml` holds the settings,
//! `credentials.toml` beside it (mode 0600) the secrets. A command uses the profile named by
//! `--profile`, else `CARBONEXT_PROFILE`, else the `default-profile` setting; it sits between
//! the environment and the default in [`crate::target`].
//!
//! ```
//! use carbonext_cli::profile::{save, remove};
//! use carbonext_domain::profiles::{Profile, ProfileFiles};
//!
//! let dir = tempfile::tempdir().unwrap();
//! let files = ProfileFiles::in_dir(dir.path());
//! let profile = Profile { env: Some("homologation".into()), client_id: Some("id".into()), ..Profile::default() };
//! save(&files, "hml", &profile, "s3cret", true).unwrap();
//! assert_eq!(files.secret("hml").unwrap().as_deref(), Some("s3cret"));
//! assert_eq!(files.config().unwrap().default_profile.as_deref(), Some("hml"));
//! assert!(remove(&files, "hml").unwrap());
//! ```

use std::io::Write;
use std::path::Path;

use carbonext_domain::profiles::{Profile, ProfileError, ProfileFiles, PROFILE_VAR};

use crate::exit::CliError;
use crate::source::Source;

/// The profile a command uses, and why.
#[derive(Debug, Clone)]
pub struct ChosenProfile {
    /// Its name.
    pub name: String,
    /// What chose it: `--profile`, `CARBONEXT_PROFILE` or the `default-profile` setting
    /// ([`Source::Default`]).
    pub chosen_by: Source,
    /// Its settings.
    pub settings: Profile,
    /// Where it is saved.
    pub files: ProfileFiles,
}

impl ChosenProfile {
    /// Its client secret, from the credentials file (refused when others can read it).
    pub fn secret(&self) -> Result<Option<String>, CliError> {
        self.files.secret(&self.name).map_err(profile_error)
    }
}

/// A profile file problem as a usage error (exit 2), with the fix in the message.
pub fn profile_error(error: ProfileError) -> CliError {
    CliError::usage(error.to_string())
}

/// The profile named by `flag`, else `CARBONEXT_PROFILE`, else `default-profile`; `None`
/// when nothing names one. A named profile that does not exist is an error.
pub fn choose(
    flag: Option<&str>,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Result<Option<ChosenProfile>, CliError> {
    let named =
        |value: Option<String>| value.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());
    let explicit = named(flag.map(str::to_owned))
        .map(|name| (name, Source::Flag("--profile")))
        .or_else(|| named(lookup(PROFILE_VAR)).map(|name| (name, Source::Env(PROFILE_VAR))));
    let files = match ProfileFiles::locate_with(lookup) {
        Ok(files) => files,
        Err(error) if explicit.is_some() => return Err(profile_error(error)),
        Err(_) => return Ok(None),
    };
    let (name, chosen_by) = match explicit {
        Some(explicit) => explicit,
        None => match files.config().map_err(profile_error)?.default_profile {
            Some(name) if !name.trim().is_empty() => (name, Source::Default),
            _ => return Ok(None),
        },
    };
    let settings = files.profile(&name).map_err(profile_error)?;
    Ok(Some(ChosenProfile {
        name,
        chosen_by,
        settings,
        files,
    }))
}

/// Checks a profile name: letters, digits, `-` and `_` (it is a TOML key and a file section).
pub fn check_name(name: &str) -> Result<(), CliError> {
    let valid = !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if valid {
        Ok(())
    } else {
        Err(CliError::usage(format!(
            "profile names are 1–64 of A-Z a-z 0-9 - _, got {name:?}"
        )))
    }
}

fn read_table(path: &Path) -> Result<toml::Table, CliError> {
    match std::fs::read_to_string(path) {
        Ok(text) => text.parse::<toml::Table>().map_err(|_| {
            CliError::usage(format!(
                "{} is not valid TOML: fix or remove it",
                path.display()
            ))
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(toml::Table::new()),
        Err(e) => Err(CliError::usage(format!(
            "could not read {}: {e}",
            path.display()
        ))),
    }
}

/// Replaces `path` with `text` by a rename, the new file created with `mode`.
fn write_atomically(path: &Path, text: &str, mode: u32) -> Result<(), CliError> {
    let failed =
        |e: std::io::Error| CliError::usage(format!("could not write {}: {e}", path.display()));
    let temporary = path.with_extension(format!("toml.{}.tmp", std::process::id()));
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, mode);
    #[cfg(not(unix))]
    let _ = mode;
    let mut file = options.open(&temporary).map_err(failed)?;
    file.write_all(text.as_bytes())
        .and_then(|()| file.sync_all())
        .map_err(failed)?;
    drop(file);
    std::fs::rename(&temporary, path).map_err(failed)
}

fn create_dir(files: &ProfileFiles) -> Result<(), CliError> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder
        .create(files.dir())
        .map_err(|e| CliError::usage(format!("could not create {}: {e}", files.dir().display())))
}

fn profile_table(profile: &Profile) -> toml::Table {
    let mut table = toml::Table::new();
    for (key, value) in [
        ("env", &profile.env),
        ("api-url", &profile.api_url),
        ("auth-url", &profile.auth_url),
        ("client-id", &profile.client_id),
    ] {
        if let Some(value) = value {
            table.insert(key.to_owned(), toml::Value::String(value.clone()));
        }
    }
    table
}

/// Saves profile `name` (replacing one of that name): its settings in `config.toml`, its
/// secret in `credentials.toml` (mode 0600); with `make_default`, it becomes the default.
/// Other profiles and settings are kept.
pub fn save(
    files: &ProfileFiles,
    name: &str,
    profile: &Profile,
    secret: &str,
    make_default: bool,
) -> Result<(), CliError> {
    create_dir(files)?;
    // Reading the secrets first refuses a file others can read, before anything is written.
    let _ = files.secret(name).map_err(profile_error)?;
    let mut secrets = read_table(&files.credentials_path())?;
    let mut entry = toml::Table::new();
    entry.insert(
        "client-secret".into(),
        toml::Value::String(secret.to_owned()),
    );
    secrets.insert(name.to_owned(), toml::Value::Table(entry));

    let mut config = read_table(&files.config_path())?;
    let profiles = config
        .entry("profiles")
        .or_insert_with(|| toml::Value::Table(toml::Table::new()));
    let toml::Value::Table(profiles) = profiles else {
        return Err(CliError::usage(format!(
            "{}: `profiles` is not a table: fix or remove it",
            files.config_path().display()
        )));
    };
    profiles.insert(name.to_owned(), toml::Value::Table(profile_table(profile)));
    if make_default {
        config.insert(
            "default-profile".into(),
            toml::Value::String(name.to_owned()),
        );
    }
    write_atomically(&files.credentials_path(), &secrets.to_string(), 0o600)?;
    write_atomically(&files.config_path(), &config.to_string(), 0o644)
}

/// Removes profile `name` from both files (and `default-profile` when it named it); `false`
/// when there was no such profile.
pub fn remove(files: &ProfileFiles, name: &str) -> Result<bool, CliError> {
    let mut config = read_table(&files.config_path())?;
    let mut found = config
        .get_mut("profiles")
        .and_then(toml::Value::as_table_mut)
        .is_some_and(|profiles| profiles.remove(name).is_some());
    if config.get("default-profile").and_then(toml::Value::as_str) == Some(name) {
        config.remove("default-profile");
    }
    let credentials = files.credentials_path();
    if credentials.exists() {
        let mut secrets = read_table(&credentials)?;
        found |= secrets.remove(name).is_some();
        write_atomically(&credentials, &secrets.to_string(), 0o600)?;
    }
    if files.config_path().exists() {
        write_atomically(&files.config_path(), &config.to_string(), 0o644)?;
    }
    Ok(found)
}
