//! `carbonext auth status`: where commands go, each setting with its source, and whether a
//! token can be had. Never prints the secret nor the token.
//!
//! ```text
//! $ CARBONEXT_PROFILE=local carbonext auth status
//! target:         API at http://127.0.0.1:8080
//! profile:        local (env CARBONEXT_PROFILE)
//! API URL:        http://127.0.0.1:8080  (profile local)
//! token URL:      http://127.0.0.1:8080/auth/…/token  (profile local)
//! client id:      sandbox-client  (profile local)
//! client secret:  set  (profile local)
//! token:          yes
//! ```

use serde::Serialize;

use super::Context;
use crate::connect::credentials;
use crate::exit::CliError;
use crate::output::{note, Details};
use crate::target::{Source, Target};

/// One setting, its value and its source label (`flag --env`, `env …`, `profile NAME`,
/// `default`).
#[derive(Debug, Serialize)]
struct Setting {
    name: &'static str,
    value: String,
    source: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Status {
    target: String,
    api_host: Option<String>,
    token_host: Option<String>,
    profile: Option<String>,
    profile_source: Option<String>,
    settings: Vec<Setting>,
    token: bool,
    token_error: Option<String>,
}

/// Runs `carbonext auth status`: exit 0 when a token can be had, else the failure's code
/// (after printing what is known).
pub async fn status(context: &Context) -> Result<(), CliError> {
    let resolved = context.resolved()?;
    let profile_name = resolved.profile.as_ref().map(|p| p.name.as_str());
    let label = |source: Source| source.label(profile_name);
    let mut status = Status {
        target: "embedded sandbox".to_owned(),
        api_host: None,
        token_host: None,
        profile: resolved.profile.as_ref().map(|p| p.name.clone()),
        profile_source: resolved.profile.as_ref().map(|p| match p.chosen_by {
            Source::Default => "default-profile in config.toml".to_owned(),
            other => other.label(None),
        }),
        settings: Vec::new(),
        token: false,
        token_error: None,
    };
    let mut failure = None;
    if let Target::Remote(remote) = &resolved.target {
        let environment = &remote.environment;
        status.target = match environment.name() {
            "custom" => format!("API at {}", environment.api_url()),
            name => format!("{name} API at {}", environment.api_url()),
        };
        status.api_host = Some(remote.host());
        status.token_host = Some(crate::target::host_of(environment.token_url()));
        let mut push = |name, value: String, source| {
            status.settings.push(Setting {
                name,
                value,
                source: label(source),
            });
        };
        push(
            "environment",
            environment.name().to_owned(),
            remote.env_source,
        );
        push(
            "API URL",
            environment.api_url().to_owned(),
            remote.api_source,
        );
        push(
            "token URL",
            environment.token_url().to_owned(),
            remote.token_source,
        );
        match credentials(&context.global, resolved) {
            Ok(found) => {
                push(
                    "client id",
                    found.credentials.client_id().to_owned(),
                    found.id_source,
                );
                push("client secret", "set".to_owned(), found.secret_source);
            }
            Err(error) => failure = Some(error),
        }
    }
    if failure.is_none() {
        match context.open().await {
            Ok(session) => {
                if let Target::Embedded = resolved.target {
                    for name in ["API URL", "token URL", "client id", "client secret"] {
                        status.settings.push(Setting {
                            name,
                            value: if name.ends_with("URL") {
                                "the sandbox's"
                            } else {
                                "the sandbox's (fake)"
                            }
                            .to_owned(),
                            source: "default".to_owned(),
                        });
                    }
                }
                if let Err(error) = session.authenticate().await {
                    failure = Some(error);
                }
                session.close().await;
            }
            Err(error) => failure = Some(error),
        }
    }
    status.token = failure.is_none();
    status.token_error = failure.as_ref().map(|e| e.message.clone());
    context.output.show(&status, |s| {
        let mut details = Details::new().field("target", &s.target);
        details = match (&s.profile, &s.profile_source) {
            (Some(name), Some(source)) => details.field("profile", format!("{name} ({source})")),
            _ => details.field("profile", "none"),
        };
        for setting in &s.settings {
            details = details.field(
                setting.name,
                format!("{}  ({})", setting.value, setting.source),
            );
        }
        let token = match &s.token_error {
            None => "yes".to_owned(),
            Some(error) => format!("no: {error}"),
        };
        details.field("token", token).to_string()
    })?;
    match failure {
        None => Ok(()),
        Some(error) => {
            note("No token can be had with these settings.");
            Err(error)
        }
    }
}
