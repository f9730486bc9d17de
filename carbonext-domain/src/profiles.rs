//! Named profiles: the `carbonext` command line's saved settings, read by services too
//! (feature `profiles`).
//!
//! `carbonext login --profile NAME` verifies an API key and saves it in two files of
//! `$XDG_CONFIG_HOME/carbonext/` (`~/.config/carbonext/` when the variable is unset):
//!
//! ```toml
//! # config.toml: settings, nothing secret
//! default-profile = "hml"            # optional: the profile used when none is named
//!
//! [profiles.hml]
//! env = "homologation"               # or "production"; optional with both URLs
//! client-id = "cbx_b2b_..."
//!
//! [profiles.local]
//! api-url = "http://127.0.0.1:8080"  # API base URL, without /v1
//! auth-url = "http://127.0.0.1:8080/auth/realms/co2free/protocol/openid-connect/token"
//! client-id = "sandbox-client"
//! ```
//!
//! ```toml
//! # credentials.toml: mode 0600, one table per profile
//! [hml]
//! client-secret = "..."
//! ```
//!
//! A profile's target is `env` (with `api-url`/`auth-url` replacing its hosts), or both URLs
//! without `env`. A credentials file that others can read is refused ([`ProfileError::Exposed`],
//! whose message says `chmod 600 …`): the secret is never read from it.
//!
//! ```no_run
//! # fn main() -> Result<(), carbonext_domain::Error> {
//! use carbonext_domain::Carbonext;
//!
//! let carbonext = Carbonext::from_profile("hml")?; // CARBONEXT_PROFILE: Carbonext::from_env()
//! # Ok(()) }
//! ```

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use carbonext_auth::{Credentials, Environment};
use serde::Deserialize;

use crate::error::{Error, Result, ValidationError};
use crate::Carbonext;

/// Variable naming the profile to use (`--profile` on the command line).
pub const PROFILE_VAR: &str = "CARBONEXT_PROFILE";
/// File of the settings, in [`ProfileFiles::dir`].
pub const CONFIG_FILE: &str = "config.toml";
/// File of the secrets (mode 0600), in [`ProfileFiles::dir`].
pub const CREDENTIALS_FILE: &str = "credentials.toml";

/// Why a profile could not be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ProfileError {
    /// No home folder to find the files in (neither `XDG_CONFIG_HOME` nor `HOME`).
    #[error("no XDG_CONFIG_HOME nor HOME: there is no profile file to read")]
    NoHome,
    /// The files hold no profile of this name.
    #[error("no profile {name:?} in {path} (save one with `carbonext login --profile {name}`)")]
    Missing {
        /// The profile asked for.
        name: String,
        /// The settings file.
        path: PathBuf,
    },
    /// A file could not be read.
    #[error("could not read {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A file is not valid TOML of the documented format.
    #[error("{path} is not a valid profile file: {message}")]
    Format {
        /// The file.
        path: PathBuf,
        /// The parser's message.
        message: String,
    },
    /// A profile's settings do not make a target.
    #[error("profile {name:?}: {message}")]
    Invalid {
        /// The profile.
        name: String,
        /// What is wrong.
        message: String,
    },
    /// The credentials file can be read by others: its secrets are not used.
    #[error(
        "{path} can be read by other users (mode {mode:04o}): refusing to use its secrets; \
         fix it with `chmod 600 {path}`"
    )]
    Exposed {
        /// The credentials file.
        path: PathBuf,
        /// Its permission bits.
        mode: u32,
    },
    /// The profile has no secret in the credentials file.
    #[error(
        "profile {name:?} has no client secret in {path} (run `carbonext login --profile {name}`)"
    )]
    NoSecret {
        /// The profile.
        name: String,
        /// The credentials file.
        path: PathBuf,
    },
}

impl From<ProfileError> for Error {
    fn from(error: ProfileError) -> Self {
        Error::Validation(ValidationError::Config(error.to_string()))
    }
}

/// The settings of one profile (`[profiles.NAME]` in `config.toml`). Holds no secret.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct Profile {
    /// `homologation` (`hml`) or `production` (`prod`).
    pub env: Option<String>,
    /// API base URL (without `/v1`).
    pub api_url: Option<String>,
    /// Full URL of the token endpoint.
    pub auth_url: Option<String>,
    /// Client id of the API key.
    pub client_id: Option<String>,
}

impl Profile {
    /// The hosts of this profile: `env`'s, replaced by `api-url`/`auth-url` when given, or
    /// both URLs without `env`.
    pub fn environment(&self, name: &str) -> std::result::Result<Environment, ProfileError> {
        let invalid = |message: String| ProfileError::Invalid {
            name: name.to_owned(),
            message,
        };
        let mut environment = match (self.env.as_deref(), &self.api_url, &self.auth_url) {
            (Some(env), _, _) => env
                .parse::<Environment>()
                .map_err(|e| invalid(e.to_string()))?,
            (None, Some(api), Some(auth)) => Environment::custom(api, auth),
            (None, _, _) => {
                return Err(invalid(
                    "needs `env`, or both `api-url` and `auth-url`".to_owned(),
                ))
            }
        };
        if self.env.is_some() {
            if let Some(url) = &self.api_url {
                environment = environment.with_api_url(url);
            }
            if let Some(url) = &self.auth_url {
                environment = environment.with_token_url(url);
            }
        }
        Ok(environment)
    }
}

/// `config.toml`: the default profile's name and every profile's settings.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct ProfileConfig {
    /// The profile used when none is named.
    pub default_profile: Option<String>,
    /// The profiles by name.
    #[serde(default)]
    pub profiles: BTreeMap<String, Profile>,
}

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case")]
struct StoredSecret {
    client_secret: Option<String>,
}

/// Where the two files are: `$XDG_CONFIG_HOME/carbonext/` or `~/.config/carbonext/`.
#[derive(Clone, PartialEq, Eq)]
pub struct ProfileFiles {
    dir: PathBuf,
}

impl fmt::Debug for ProfileFiles {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProfileFiles")
            .field("dir", &self.dir)
            .finish()
    }
}

impl ProfileFiles {
    /// The files in `dir`.
    pub fn in_dir(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }

    /// The files of the process's `XDG_CONFIG_HOME` (else `HOME/.config`).
    pub fn locate() -> std::result::Result<Self, ProfileError> {
        Self::locate_with(&|name| std::env::var(name).ok())
    }

    /// Like [`ProfileFiles::locate`], reading variables through `lookup`.
    pub fn locate_with(
        lookup: &dyn Fn(&str) -> Option<String>,
    ) -> std::result::Result<Self, ProfileError> {
        let set = |name| lookup(name).filter(|v| !v.trim().is_empty());
        let base = match (set("XDG_CONFIG_HOME"), set("HOME")) {
            (Some(config), _) => PathBuf::from(config),
            (None, Some(home)) => Path::new(&home).join(".config"),
            (None, None) => return Err(ProfileError::NoHome),
        };
        Ok(Self::in_dir(base.join("carbonext")))
    }

    /// The folder of the files.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// `config.toml`.
    pub fn config_path(&self) -> PathBuf {
        self.dir.join(CONFIG_FILE)
    }

    /// `credentials.toml`.
    pub fn credentials_path(&self) -> PathBuf {
        self.dir.join(CREDENTIALS_FILE)
    }

    /// The settings; empty when `config.toml` does not exist.
    pub fn config(&self) -> std::result::Result<ProfileConfig, ProfileError> {
        let path = self.config_path();
        match read(&path)? {
            None => Ok(ProfileConfig::default()),
            Some(text) => toml::from_str(&text).map_err(|e| ProfileError::Format {
                path,
                message: e.message().to_owned(),
            }),
        }
    }

    /// The settings of profile `name`.
    pub fn profile(&self, name: &str) -> std::result::Result<Profile, ProfileError> {
        self.config()?
            .profiles
            .remove(name)
            .ok_or_else(|| ProfileError::Missing {
                name: name.to_owned(),
                path: self.config_path(),
            })
    }

    /// The client secret of profile `name`, `None` when it has none. Refuses a credentials
    /// file that others can read, before reading it.
    pub fn secret(&self, name: &str) -> std::result::Result<Option<String>, ProfileError> {
        let path = self.credentials_path();
        check_private(&path)?;
        let Some(text) = read(&path)? else {
            return Ok(None);
        };
        let mut secrets: BTreeMap<String, StoredSecret> =
            toml::from_str(&text).map_err(|e| ProfileError::Format {
                path: path.clone(),
                // The parser's message quotes the line, which may hold a secret.
                message: e.span().map_or("not valid TOML".to_owned(), |s| {
                    format!("invalid at byte {}", s.start)
                }),
            })?;
        Ok(secrets
            .remove(name)
            .and_then(|s| s.client_secret)
            .filter(|s| !s.is_empty()))
    }

    /// The hosts and credentials of profile `name`.
    pub fn load(
        &self,
        name: &str,
    ) -> std::result::Result<(Environment, Credentials), ProfileError> {
        let profile = self.profile(name)?;
        let environment = profile.environment(name)?;
        let client_id = profile.client_id.ok_or_else(|| ProfileError::Invalid {
            name: name.to_owned(),
            message: "has no client-id".to_owned(),
        })?;
        let secret = self.secret(name)?.ok_or_else(|| ProfileError::NoSecret {
            name: name.to_owned(),
            path: self.credentials_path(),
        })?;
        Ok((environment, Credentials::new(client_id, secret)))
    }
}

fn read(path: &Path) -> std::result::Result<Option<String>, ProfileError> {
    match std::fs::read_to_string(path) {
        Ok(text) => Ok(Some(text)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(ProfileError::Io {
            path: path.to_owned(),
            source,
        }),
    }
}

/// Refuses a file that its group or others can read or write.
fn check_private(path: &Path) -> std::result::Result<(), ProfileError> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        match std::fs::metadata(path) {
            Ok(meta) => {
                let mode = meta.permissions().mode() & 0o7777;
                if mode & 0o077 != 0 {
                    return Err(ProfileError::Exposed {
                        path: path.to_owned(),
                        mode,
                    });
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(source) => {
                return Err(ProfileError::Io {
                    path: path.to_owned(),
                    source,
                })
            }
        }
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

impl Carbonext {
    /// A client of profile `name`, as saved by `carbonext login --profile NAME` (see
    /// [`crate::profiles`]): its hosts, client id and client secret.
    #[cfg_attr(docsrs, doc(cfg(feature = "profiles")))]
    pub fn from_profile(name: &str) -> Result<Self> {
        let (environment, credentials) = ProfileFiles::locate()?.load(name)?;
        Self::builder()
            .environment(environment)
            .credentials(credentials)
            .build()
    }

    /// The profile named by `CARBONEXT_PROFILE`, if set: `from_env()` uses it. Naming a
    /// profile and a target (`CARBONEXT_ENV`, `CARBONEXT_API_URL`, `CARBONEXT_AUTH_URL`) at
    /// once is refused: a profile's secret is only sent to its own hosts.
    pub(crate) fn from_env_profile() -> Option<Result<Self>> {
        let name = std::env::var(PROFILE_VAR)
            .ok()
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())?;
        let target = [
            carbonext_auth::ENV_VAR,
            carbonext_auth::API_URL_VAR,
            carbonext_auth::AUTH_URL_VAR,
        ]
        .into_iter()
        .find(|var| std::env::var(var).is_ok_and(|v| !v.trim().is_empty()));
        Some(match target {
            Some(var) => Err(Error::Validation(ValidationError::Config(format!(
                "{PROFILE_VAR}={name} and {var} are both set: a profile's secret is only sent to \
                 its own hosts; unset one of them"
            )))),
            None => Self::from_profile(&name),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_profile_is_an_environment_or_two_urls() {
        let named = Profile {
            env: Some("hml".into()),
            ..Profile::default()
        };
        assert_eq!(named.environment("a").unwrap().name(), "homologation");
        let custom = Profile {
            api_url: Some("http://127.0.0.1:9/".into()),
            auth_url: Some("http://127.0.0.1:9/token".into()),
            ..Profile::default()
        };
        assert_eq!(
            custom.environment("b").unwrap().api_url(),
            "http://127.0.0.1:9"
        );
        assert!(Profile::default().environment("c").is_err());
    }

    #[test]
    fn the_format_is_kebab_case_toml() {
        let config: ProfileConfig = toml::from_str(
            "default-profile = \"x\"\n[profiles.x]\nenv = \"production\"\nclient-id = \"id\"\n",
        )
        .unwrap();
        assert_eq!(config.default_profile.as_deref(), Some("x"));
        assert_eq!(config.profiles["x"].client_id.as_deref(), Some("id"));
    }
}
