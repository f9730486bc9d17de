//! `carbonext login`: verify an API key by getting a token, then save it as a profile.
//!
//! The target is the usual one ([`crate::target`]: flags, variables, the profile being saved
//! again); on a terminal without one, it is asked. The client id comes from `--client-id`,
//! `--client`, `CARBONEXT_CLIENT_ID` or the terminal; the secret from stdin
//! (`--client-secret-stdin`), `CARBONEXT_CLIENT_SECRET` or the terminal without echo. Nothing
//! is written unless the token endpoint gives a token.
//!
//! ```text
//! $ printf '%s\n' "$SECRET" | carbonext login --profile hml --env hml --client-id cbx_1 --client-secret-stdin
//! Saved profile hml (homologation, api-b2b-hml.carbonext.com.br:443) in /home/me/.config/carbonext/config.toml
//! ```

use std::io::{BufRead, IsTerminal, Write};

use carbonext_auth::{Credentials, TokenCache};
use carbonext_domain::profiles::{Profile, ProfileFiles, PROFILE_VAR};

use super::Context;
use crate::cli::{EnvironmentName, GlobalArgs, LoginArgs};
use crate::exit::CliError;
use crate::output::{note, write_stdout};
use crate::profile::{check_name, profile_error, save, ChosenProfile};
use crate::target::{process_env, resolve_with, RemoteTarget, Source, Target};

/// Profile saved when neither `--profile` nor `CARBONEXT_PROFILE` names one.
pub const DEFAULT_NAME: &str = "default";

/// Runs `carbonext login`.
pub async fn run(context: &Context, args: LoginArgs) -> Result<(), CliError> {
    let global = &context.global;
    let name = global
        .profile
        .clone()
        .or_else(|| process_env(PROFILE_VAR))
        .map(|n| n.trim().to_owned())
        .unwrap_or_else(|| DEFAULT_NAME.to_owned());
    check_name(&name)?;
    let files = ProfileFiles::locate_with(&process_env).map_err(profile_error)?;
    // Saving a profile again reuses its hosts and client id unless told otherwise.
    let existing = files.profile(&name).ok().map(|settings| ChosenProfile {
        name: name.clone(),
        chosen_by: Source::Flag("--profile"),
        settings,
        files: files.clone(),
    });
    let terminal = std::io::stdin().is_terminal() && !args.client_secret_stdin;
    let mut resolved = resolve_with(global, &process_env, existing.clone())?;
    if matches!(resolved.target, Target::Embedded) {
        if !terminal {
            return Err(CliError::usage(
                "login needs a target: --env homologation|production, or --api-url with --auth-url",
            )
            .hint("the embedded sandbox needs no login"));
        }
        let asked = ask_target(global)?;
        resolved = resolve_with(&asked, &process_env, None)?;
    }
    resolved.notes.iter().for_each(note);
    let Target::Remote(remote) = &resolved.target else {
        unreachable!("a target was given or asked")
    };
    let from_profile = resolved.target_is_profile();
    let client_id = match [args.client_id.clone(), global.as_client.clone()]
        .into_iter()
        .flatten()
        .chain(process_env(carbonext_auth::CLIENT_ID_VAR))
        .chain(
            existing
                .filter(|_| from_profile)
                .and_then(|p| p.settings.client_id),
        )
        .map(|id| id.trim().to_owned())
        .find(|id| !id.is_empty())
    {
        Some(id) => id,
        None if terminal => ask("Client id: ")?,
        None => {
            return Err(CliError::usage(
                "login needs the client id: --client-id ID (or CARBONEXT_CLIENT_ID)",
            ))
        }
    };
    let secret = read_secret(&args, terminal)?;
    verify(remote, &client_id, &secret).await?;
    let profile = profile_of(remote, client_id);
    save(&files, &name, &profile, &secret, args.default)?;
    let default = if args.default { ", the default" } else { "" };
    write_stdout(&format!(
        "Saved profile {name} ({}, {}{default}) in {}; its secret in {} (mode 0600).\n\
         Use it with --profile {name} or {PROFILE_VAR}={name}.\n",
        remote.environment.name(),
        remote.host(),
        files.config_path().display(),
        files.credentials_path().display()
    ))
}

/// Gets a token with the credentials: exit 3 when they are refused (nothing saved).
async fn verify(remote: &RemoteTarget, client_id: &str, secret: &str) -> Result<(), CliError> {
    let tokens = TokenCache::builder(
        Credentials::new(client_id, secret.to_owned()),
        remote.environment.token_url(),
    )
    .build();
    tokens
        .token()
        .await
        .map(drop)
        .map_err(|error| crate::diagnose::auth(error, Some(remote)).hint("nothing was saved"))
}

/// What is saved: the environment's name, and each URL that is not that environment's own.
fn profile_of(remote: &RemoteTarget, client_id: String) -> Profile {
    let environment = &remote.environment;
    let named = match environment.name() {
        "homologation" => Some(carbonext_auth::Environment::homologation()),
        "production" => Some(carbonext_auth::Environment::production()),
        _ => None,
    };
    let differs = |own: Option<&str>, url: &str| (own != Some(url)).then(|| url.to_owned());
    Profile {
        env: named.as_ref().map(|e| e.name().to_owned()),
        api_url: differs(named.as_ref().map(|e| e.api_url()), environment.api_url()),
        auth_url: differs(
            named.as_ref().map(|e| e.token_url()),
            environment.token_url(),
        ),
        client_id: Some(client_id),
    }
}

fn read_secret(args: &LoginArgs, terminal: bool) -> Result<String, CliError> {
    let secret = if args.client_secret_stdin {
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .map_err(|e| CliError::usage(format!("could not read the secret from stdin: {e}")))?;
        line.trim_end_matches(['\r', '\n']).to_owned()
    } else if let Some(secret) = process_env(carbonext_auth::CLIENT_SECRET_VAR) {
        secret.trim().to_owned()
    } else if terminal {
        rpassword::prompt_password("Client secret (not shown): ")
            .map_err(|e| CliError::usage(format!("could not read the secret: {e}")))?
    } else {
        return Err(CliError::usage(
            "login needs the client secret: --client-secret-stdin (or CARBONEXT_CLIENT_SECRET)",
        )
        .hint("never on the command line: it would show in `ps` and the shell's history"));
    };
    if secret.is_empty() {
        return Err(CliError::usage("the client secret is empty"));
    }
    Ok(secret)
}

fn ask(prompt: &str) -> Result<String, CliError> {
    eprint!("{prompt}");
    let _ = std::io::stderr().flush();
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(|e| CliError::usage(format!("could not read the answer: {e}")))?;
    let answer = line.trim().to_owned();
    if answer.is_empty() {
        return Err(CliError::usage("no answer: nothing was saved"));
    }
    Ok(answer)
}

/// Asks for the environment, or for the two URLs of another API.
fn ask_target(global: &GlobalArgs) -> Result<GlobalArgs, CliError> {
    let mut asked = global.clone();
    let answer = ask("Environment (homologation, production) or the API's base URL: ")?;
    if answer.contains("://") {
        asked.api_url = Some(answer);
        asked.auth_url = Some(ask("Full URL of its token endpoint: ")?);
    } else {
        asked.environment = Some(
            <EnvironmentName as clap::ValueEnum>::from_str(&answer, true).map_err(|_| {
                CliError::usage(format!(
                    "{answer:?} is neither homologation, production nor a URL"
                ))
            })?,
        );
    }
    Ok(asked)
}
