//! `carbonext profiles list|show|remove`: the saved profiles, never their secrets.
//!
//! ```text
//! $ carbonext profiles list
//! NAME   TARGET                              CLIENT ID    DEFAULT
//! hml    homologation                        cbx_b2b_1    yes
//! local  http://127.0.0.1:8080               sandbox-app
//! ```

use carbonext_domain::profiles::{Profile, ProfileFiles};
use serde::Serialize;

use super::Context;
use crate::cli::ProfilesCommand;
use crate::exit::CliError;
use crate::output::{or_dash, write_stdout, Details, Table};
use crate::profile::{profile_error, remove};
use crate::target::process_env;

/// One profile as printed: its settings and whether a secret is saved, never the secret.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct ProfileView {
    name: String,
    env: Option<String>,
    api_url: Option<String>,
    auth_url: Option<String>,
    client_id: Option<String>,
    /// `saved`, `missing`, or why it cannot be read.
    client_secret: String,
    default: bool,
}

impl ProfileView {
    fn new(files: &ProfileFiles, name: &str, profile: Profile, default: bool) -> Self {
        let client_secret = match files.secret(name) {
            Ok(Some(_)) => "saved".to_owned(),
            Ok(None) => "missing".to_owned(),
            Err(error) => error.to_string(),
        };
        Self {
            name: name.to_owned(),
            env: profile.env,
            api_url: profile.api_url,
            auth_url: profile.auth_url,
            client_id: profile.client_id,
            client_secret,
            default,
        }
    }

    fn target(&self) -> String {
        match (&self.env, &self.api_url) {
            (Some(env), Some(url)) => format!("{env} at {url}"),
            (Some(env), None) => env.clone(),
            (None, url) => or_dash(url.as_ref()),
        }
    }
}

/// Runs a `profiles` subcommand.
pub fn run(context: &Context, command: ProfilesCommand) -> Result<(), CliError> {
    let files = ProfileFiles::locate_with(&process_env).map_err(profile_error)?;
    match command {
        ProfilesCommand::List => {
            let config = files.config().map_err(profile_error)?;
            let views: Vec<ProfileView> = config
                .profiles
                .into_iter()
                .map(|(name, profile)| {
                    let default = config.default_profile.as_deref() == Some(name.as_str());
                    ProfileView::new(&files, &name, profile, default)
                })
                .collect();
            context.output.show(views.as_slice(), |views| {
                if views.is_empty() {
                    return format!(
                        "No profiles in {} (save one with `carbonext login --profile NAME`)\n",
                        files.config_path().display()
                    );
                }
                let mut table = Table::new(["name", "target", "client id", "default"]);
                for view in views {
                    table.row([
                        view.name.clone(),
                        view.target(),
                        or_dash(view.client_id.as_ref()),
                        if view.default { "yes" } else { "" }.to_owned(),
                    ]);
                }
                table.to_string()
            })
        }
        ProfilesCommand::Show { name } => {
            let config = files.config().map_err(profile_error)?;
            let name = match name.or_else(|| context.global.profile.clone()) {
                Some(name) => name,
                None => match process_env(carbonext_domain::profiles::PROFILE_VAR)
                    .or(config.default_profile.clone())
                {
                    Some(name) => name,
                    None => {
                        return Err(CliError::usage(
                            "which profile? give its name (see `carbonext profiles list`)",
                        ))
                    }
                },
            };
            let profile = files.profile(&name).map_err(profile_error)?;
            let default = config.default_profile.as_deref() == Some(name.as_str());
            let view = ProfileView::new(&files, &name, profile, default);
            context.output.show(&view, |v| {
                Details::new()
                    .field("profile", &v.name)
                    .optional("env", v.env.as_ref())
                    .optional("API URL", v.api_url.as_ref())
                    .optional("token URL", v.auth_url.as_ref())
                    .field("client id", or_dash(v.client_id.as_ref()))
                    .field("client secret", &v.client_secret)
                    .field("default", if v.default { "yes" } else { "no" })
                    .field("saved in", files.config_path().display().to_string())
                    .to_string()
            })
        }
        ProfilesCommand::Remove { name } => {
            if !remove(&files, &name)? {
                return Err(CliError::usage(format!(
                    "no profile {name:?} in {}",
                    files.config_path().display()
                )));
            }
            write_stdout(&format!("Removed profile {name} (settings and secret).\n"))
        }
    }
}
