//! Where a command goes: one resolution of every connection setting, keeping the source of
//! each value so that messages can name it.
//!
//! Each setting comes from the first source that sets it: the command line, then the
//! environment, then the chosen profile ([`crate::profile`]), then the default. The **target** — environment name,
//! API URL and token URL — is one unit: it is taken whole from the highest source that sets
//! any part of it, and parts set by lower sources are ignored (stderr names them), so a
//! `--env production` on the command line never mixes with a `CARBONEXT_API_URL` left in the
//! shell.
//!
//! ```
//! use carbonext_cli::cli::Cli;
//! use carbonext_cli::target::{resolve, Source, Target};
//! use clap::Parser;
//!
//! let cli = Cli::try_parse_from(["carbonext", "--env", "homologation", "balance"]).unwrap();
//! let lookup = |name: &str| (name == "CARBONEXT_API_URL").then(|| "http://127.0.0.1:9".to_owned());
//! let resolved = resolve(&cli.global, &lookup).unwrap();
//! let Target::Remote(remote) = &resolved.target else { panic!("remote") };
//! assert_eq!(remote.environment.name(), "homologation");
//! assert_eq!(remote.api_source, Source::Default);
//! assert!(resolved.notes[0].contains("CARBONEXT_API_URL"));
//! ```

use carbonext_auth::Environment;
use clap::ValueEnum;

use crate::cli::{EnvironmentName, GlobalArgs};
use crate::exit::CliError;
use crate::profile::ChosenProfile;

pub use crate::cli::RESOLUTION_HELP;
pub use crate::source::Source;

/// Variable replacing production's API URL, for tests of the confirmed path (a warning on
/// stderr whenever it is set).
pub const PRODUCTION_API_URL_VAR: &str = "CARBONEXT_PRODUCTION_API_URL";
/// Variable replacing production's token URL, for tests (a warning whenever it is set).
pub const PRODUCTION_AUTH_URL_VAR: &str = "CARBONEXT_PRODUCTION_AUTH_URL";

/// A remote target: the environment, whether it is production, and where its URLs came from.
#[derive(Debug, Clone)]
pub struct RemoteTarget {
    /// The hosts.
    pub environment: Environment,
    /// Production: writes cost money and are confirmed.
    pub production: bool,
    /// Where the API URL came from.
    pub api_source: Source,
    /// Where the token URL came from.
    pub token_source: Source,
    /// Where the environment's name came from ([`Source::Default`] for a pair of URLs).
    pub env_source: Source,
}

impl RemoteTarget {
    /// The API's host (and port when not the scheme's), for people.
    pub fn host(&self) -> String {
        host_of(self.environment.api_url())
    }
}

/// What the flags and environment point at.
#[derive(Debug, Clone)]
pub enum Target {
    /// A sandbox started in this process.
    Embedded,
    /// A real (or separately running) API.
    Remote(RemoteTarget),
}

/// A target and the notes to print about it (ignored settings, production overrides).
#[derive(Debug, Clone)]
pub struct Resolved {
    /// Where commands go.
    pub target: Target,
    /// Lines for stderr.
    pub notes: Vec<String>,
    /// The profile `--profile`, `CARBONEXT_PROFILE` or `default-profile` chose, if any.
    pub profile: Option<ChosenProfile>,
}

impl Resolved {
    /// Whether the target came from the chosen profile (so its credentials may be used).
    pub fn target_is_profile(&self) -> bool {
        match &self.target {
            Target::Remote(remote) => [remote.api_source, remote.token_source, remote.env_source]
                .contains(&Source::Profile),
            Target::Embedded => false,
        }
    }
}

/// The target parts one source sets.
#[derive(Debug, Default)]
struct Parts {
    label: String,
    environment: Option<(EnvironmentName, Source)>,
    api_url: Option<(String, Source)>,
    auth_url: Option<(String, Source)>,
}

impl Parts {
    fn is_set(&self) -> bool {
        self.environment.is_some() || self.api_url.is_some() || self.auth_url.is_some()
    }

    /// How the set parts are named (`--env`, `CARBONEXT_API_URL`…).
    fn names(&self) -> Vec<String> {
        let env = self.environment.as_ref().map(|(_, s)| (*s, "env"));
        let api = self.api_url.as_ref().map(|(_, s)| (*s, "api-url"));
        let auth = self.auth_url.as_ref().map(|(_, s)| (*s, "auth-url"));
        [env, api, auth]
            .into_iter()
            .flatten()
            .map(|(source, key)| match source {
                Source::Profile => key.to_owned(),
                other => source_name(other).to_owned(),
            })
            .collect()
    }
}

fn non_empty(value: Option<String>) -> Option<String> {
    value.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty())
}

fn from_flags(global: &GlobalArgs) -> Parts {
    Parts {
        label: "the command line".to_owned(),
        environment: global.environment.map(|e| (e, Source::Flag("--env"))),
        api_url: non_empty(global.api_url.clone()).map(|u| (u, Source::Flag("--api-url"))),
        auth_url: non_empty(global.auth_url.clone()).map(|u| (u, Source::Flag("--auth-url"))),
    }
}

fn from_env(lookup: &dyn Fn(&str) -> Option<String>) -> Result<Parts, CliError> {
    let var = |name: &'static str| non_empty(lookup(name)).map(|v| (v, Source::Env(name)));
    let environment = match var(carbonext_auth::ENV_VAR) {
        None => None,
        Some((name, source)) => Some((
            EnvironmentName::from_str(&name, true).map_err(|_| {
                CliError::usage(format!(
                    "CARBONEXT_ENV must be homologation (hml) or production (prod), got {name:?}"
                ))
            })?,
            source,
        )),
    };
    Ok(Parts {
        label: "the environment".to_owned(),
        environment,
        api_url: var(carbonext_auth::API_URL_VAR),
        auth_url: var(carbonext_auth::AUTH_URL_VAR),
    })
}

/// The chosen profile's target, between the environment and the default.
fn from_profile(profile: Option<&ChosenProfile>) -> Result<Parts, CliError> {
    let Some(profile) = profile else {
        return Ok(Parts {
            label: "the profile".to_owned(),
            ..Parts::default()
        });
    };
    let settings = &profile.settings;
    let environment = match settings.env.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(name) => Some((
            EnvironmentName::from_str(name, true).map_err(|_| {
                CliError::usage(format!(
                    "profile {}: env must be homologation or production, got {name:?}",
                    profile.name
                ))
            })?,
            Source::Profile,
        )),
    };
    let parts = Parts {
        label: format!("profile {}", profile.name),
        environment,
        api_url: non_empty(settings.api_url.clone()).map(|u| (u, Source::Profile)),
        auth_url: non_empty(settings.auth_url.clone()).map(|u| (u, Source::Profile)),
    };
    if !parts.is_set() {
        return Err(CliError::usage(format!(
            "profile {} has no target: it needs env, or api-url and auth-url",
            profile.name
        ))
        .hint(format!(
            "save it again with `carbonext login --profile {}`",
            profile.name
        )));
    }
    Ok(parts)
}

/// Production's hosts, as replaced by the `CARBONEXT_PRODUCTION_*` variables if set.
fn production(
    lookup: &dyn Fn(&str) -> Option<String>,
    notes: &mut Vec<String>,
) -> Result<Environment, CliError> {
    let mut environment = Environment::production();
    if let Some(url) = non_empty(lookup(PRODUCTION_API_URL_VAR)) {
        check_url(PRODUCTION_API_URL_VAR, &url)?;
        notes.push(format!(
            "warning: {PRODUCTION_API_URL_VAR} is set: production's API is {url} (for tests only)"
        ));
        environment = environment.with_api_url(url);
    }
    if let Some(url) = non_empty(lookup(PRODUCTION_AUTH_URL_VAR)) {
        check_url(PRODUCTION_AUTH_URL_VAR, &url)?;
        notes.push(format!(
            "warning: {PRODUCTION_AUTH_URL_VAR} is set: production's token URL is {url} (for tests only)"
        ));
        environment = environment.with_token_url(url);
    }
    Ok(environment)
}

/// Resolves the target from the flags and the variables `lookup` reads (the process
/// environment in the binary). Nothing is sent.
pub fn resolve(
    global: &GlobalArgs,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Result<Resolved, CliError> {
    let profile = crate::profile::choose(global.profile.as_deref(), lookup)?;
    resolve_with(global, lookup, profile)
}

/// Like [`resolve`], with the profile chosen by the caller (`login` uses the one it saves).
pub fn resolve_with(
    global: &GlobalArgs,
    lookup: &dyn Fn(&str) -> Option<String>,
    profile: Option<ChosenProfile>,
) -> Result<Resolved, CliError> {
    let mut notes = Vec::new();
    let sources = [
        from_flags(global),
        from_env(lookup)?,
        from_profile(profile.as_ref())?,
    ];
    let Some(chosen) = sources.iter().position(Parts::is_set) else {
        return Ok(Resolved {
            target: Target::Embedded,
            notes,
            profile,
        });
    };
    let parts = &sources[chosen];
    for lower in sources[chosen + 1..].iter().filter(|p| p.is_set()) {
        notes.push(format!(
            "note: ignoring {} ({}): the target comes whole from {} ({})",
            lower.names().join(", "),
            lower.label,
            parts.label,
            parts.names().join(", ")
        ));
    }
    for (name, url) in [&parts.api_url, &parts.auth_url]
        .into_iter()
        .flatten()
        .map(|(url, source)| (source_name(*source), url))
    {
        check_url(name, url)?;
    }
    check_api_url(parts)?;
    let production_hosts = production(lookup, &mut notes)?;
    let api = parts.api_url.clone();
    let auth = parts.auth_url.clone();
    let remote = match parts.environment {
        Some((EnvironmentName::Production, env_source)) => {
            for ((url, source), expected) in [
                (api.as_ref(), production_hosts.api_url()),
                (auth.as_ref(), production_hosts.token_url()),
            ]
            .into_iter()
            .filter_map(|(given, expected)| given.map(|g| (g, expected)))
            {
                if url.trim_end_matches('/') != expected.trim_end_matches('/') {
                    return Err(CliError::usage(format!(
                        "{} production with {} {url}, which is not production's ({expected}); \
                         nothing was sent",
                        source_name(env_source),
                        source_name(*source)
                    ))
                    .hint("drop the URL to use production, or drop the production name to use that host"));
                }
            }
            RemoteTarget {
                environment: production_hosts,
                production: true,
                api_source: api.map_or(Source::Default, |(_, s)| s),
                token_source: auth.map_or(Source::Default, |(_, s)| s),
                env_source,
            }
        }
        Some((EnvironmentName::Homologation, env_source)) => {
            let mut environment = Environment::homologation();
            if let Some((url, _)) = &api {
                environment = environment.with_api_url(url);
            }
            if let Some((url, _)) = &auth {
                environment = environment.with_token_url(url);
            }
            RemoteTarget {
                environment,
                production: false,
                api_source: api.map_or(Source::Default, |(_, s)| s),
                token_source: auth.map_or(Source::Default, |(_, s)| s),
                env_source,
            }
        }
        None => match (api, auth) {
            (Some((api, api_source)), Some((auth, token_source))) => RemoteTarget {
                // Production's API under another name is still production.
                production: host_of(&api) == host_of(production_hosts.api_url()),
                environment: Environment::custom(api, auth),
                api_source,
                token_source,
                env_source: Source::Default,
            },
            (Some(_), None) => {
                return Err(CliError::usage(format!(
                    "--api-url (CARBONEXT_API_URL) needs --auth-url (CARBONEXT_AUTH_URL, the full \
                     token endpoint URL) or --env, from the same source ({})",
                    parts.label
                )))
            }
            (None, _) => {
                return Err(CliError::usage(format!(
                    "--auth-url (CARBONEXT_AUTH_URL) needs --api-url (CARBONEXT_API_URL, the API \
                     base URL) or --env, from the same source ({})",
                    parts.label
                )))
            }
        },
    };
    Ok(Resolved {
        target: Target::Remote(remote),
        notes,
        profile,
    })
}

fn source_name(source: Source) -> &'static str {
    match source {
        Source::Flag(name) | Source::Env(name) => name,
        Source::Profile => "the profile",
        Source::Default => "the default",
    }
}

/// An API URL is the base: `…/v1` would make every path `/v1/v1/…`.
fn check_api_url(parts: &Parts) -> Result<(), CliError> {
    let Some((url, source)) = &parts.api_url else {
        return Ok(());
    };
    let trimmed = url.trim_end_matches('/');
    if trimmed.to_ascii_lowercase().ends_with("/v1") {
        return Err(CliError::usage(format!(
            "{} ends with /v1: give the API's base URL, without /v1 ({})",
            source_name(*source),
            &trimmed[..trimmed.len() - 3]
        )));
    }
    Ok(())
}

fn check_url(name: &str, url: &str) -> Result<(), CliError> {
    let lower = url.to_ascii_lowercase();
    let scheme_ok = lower.starts_with("http://") || lower.starts_with("https://");
    let host_ok = url
        .split_once("://")
        .is_some_and(|(_, rest)| !rest.is_empty());
    if scheme_ok && host_ok && reqwest::Url::parse(url).is_ok() {
        Ok(())
    } else {
        Err(CliError::usage(format!(
            "{name} must be an absolute http(s) URL, got {url:?}"
        )))
    }
}

/// `host:port` of `url` (the port the scheme implies when none is written).
pub fn host_of(url: &str) -> String {
    match reqwest::Url::parse(url) {
        Ok(parsed) => format!(
            "{}:{}",
            parsed.host_str().unwrap_or_default(),
            parsed.port_or_known_default().unwrap_or_default()
        ),
        Err(_) => url.to_owned(),
    }
}

/// The process environment, set-but-empty read as unset.
pub fn process_env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::Cli;
    use clap::Parser;

    fn global(args: &[&str]) -> GlobalArgs {
        let mut argv = vec!["carbonext"];
        argv.extend_from_slice(args);
        argv.push("permissions");
        Cli::try_parse_from(argv).expect("valid flags").global
    }

    fn vars<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |name| {
            pairs
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| (*v).to_owned())
        }
    }

    #[test]
    fn nothing_anywhere_is_the_embedded_sandbox() {
        let resolved = resolve(&global(&[]), &vars(&[])).expect("valid");
        assert!(matches!(resolved.target, Target::Embedded));
        assert!(resolved.notes.is_empty());
    }

    #[test]
    fn the_flag_target_wins_whole_and_the_variables_are_named() {
        let env = [
            ("CARBONEXT_API_URL", "http://127.0.0.1:9"),
            ("CARBONEXT_AUTH_URL", "http://127.0.0.1:9/token"),
        ];
        let resolved = resolve(&global(&["--env", "production"]), &vars(&env)).expect("valid");
        let Target::Remote(remote) = resolved.target else {
            panic!("remote")
        };
        assert!(remote.production);
        assert_eq!(
            remote.environment.api_url(),
            "https://api-b2b.carbonext.com.br"
        );
        assert!(resolved.notes[0].contains("CARBONEXT_API_URL, CARBONEXT_AUTH_URL"));
    }

    #[test]
    fn production_with_a_foreign_url_is_refused() {
        let error = resolve(
            &global(&["--env", "production", "--api-url", "http://127.0.0.1:9"]),
            &vars(&[]),
        )
        .expect_err("refused");
        assert_eq!(error.code, crate::exit::ExitCode::Usage);
        assert!(
            error.message.contains("not production's"),
            "{}",
            error.message
        );
    }

    #[test]
    fn an_api_url_ending_in_v1_is_refused_with_the_base_to_use() {
        let error = resolve(
            &global(&[
                "--api-url",
                "http://127.0.0.1:9/v1/",
                "--auth-url",
                "http://127.0.0.1:9/t",
            ]),
            &vars(&[]),
        )
        .expect_err("refused");
        assert!(
            error.message.contains("without /v1 (http://127.0.0.1:9)"),
            "{}",
            error.message
        );
    }

    #[test]
    fn production_hosts_can_be_replaced_with_a_warning() {
        let env = [
            ("CARBONEXT_ENV", "prod"),
            (PRODUCTION_API_URL_VAR, "http://127.0.0.1:9"),
            (PRODUCTION_AUTH_URL_VAR, "http://127.0.0.1:9/token"),
        ];
        let resolved = resolve(&global(&[]), &vars(&env)).expect("valid");
        let Target::Remote(remote) = resolved.target else {
            panic!("remote")
        };
        assert!(remote.production);
        assert_eq!(remote.environment.api_url(), "http://127.0.0.1:9");
        assert_eq!(remote.api_source, Source::Default);
        assert_eq!(resolved.notes.len(), 2);
        assert!(resolved.notes.iter().all(|n| n.starts_with("warning:")));
    }

    #[test]
    fn the_profile_is_below_the_variables_and_its_parts_are_named_when_ignored() {
        let profile = || ChosenProfile {
            name: "hml".into(),
            chosen_by: Source::Flag("--profile"),
            settings: carbonext_domain::profiles::Profile {
                env: Some("homologation".into()),
                ..Default::default()
            },
            files: carbonext_domain::profiles::ProfileFiles::in_dir("/nonexistent"),
        };
        let resolved = resolve_with(&global(&[]), &vars(&[]), Some(profile())).expect("valid");
        assert!(resolved.target_is_profile());
        let env = [("CARBONEXT_ENV", "production")];
        let resolved = resolve_with(&global(&[]), &vars(&env), Some(profile())).expect("valid");
        assert!(!resolved.target_is_profile());
        assert!(
            resolved.notes[0].contains("ignoring env (profile hml)"),
            "{:?}",
            resolved.notes
        );
    }

    #[test]
    fn one_url_without_the_other_is_a_usage_error() {
        let error = resolve(
            &global(&[]),
            &vars(&[("CARBONEXT_API_URL", "http://127.0.0.1:9")]),
        )
        .expect_err("needs the token URL");
        assert!(error.message.contains("--auth-url"));
    }
}
