//! Administration: `carbonext users …`, `carbonext api-keys …`, `carbonext permissions`.
//!
//! `api-keys create` prints the new key's client secret: the API returns it this once. It is
//! the only secret the CLI ever prints, and only because it is the result asked for.

use carbonext_domain::accounts::{NewApiKey, NewUser, PermissionRef, UserUpdate};
use carbonext_domain::Accounts;

use super::Context;
use crate::cli::{ApiKeysCommand, UsersCommand};
use crate::confirm::WriteGate;
use crate::exit::CliError;
use crate::output::note;
use crate::views;

/// Confirms a write (`gate` and `plan` are set together), a read passes.
async fn confirm(gate: Option<WriteGate>, plan: Option<String>) -> Result<(), CliError> {
    match (gate, plan) {
        (Some(gate), Some(plan)) => gate.confirm(vec![plan]).await,
        _ => Ok(()),
    }
}

fn refs(keys: &[String]) -> Vec<PermissionRef> {
    keys.iter().map(PermissionRef::key).collect()
}

/// Runs a `users` subcommand.
pub async fn users(context: &Context, command: UsersCommand) -> Result<(), CliError> {
    if let UsersCommand::Update {
        name: None,
        permissions,
        ..
    } = &command
    {
        if permissions.is_empty() {
            return Err(CliError::usage(
                "nothing to update: give --name and/or --permission",
            ));
        }
    }
    let plan = match &command {
        UsersCommand::List(_) | UsersCommand::Get { .. } => None,
        UsersCommand::Create { email, .. } => Some(format!("create user {email}")),
        UsersCommand::Update { id, .. } => Some(format!("update user {id}")),
        UsersCommand::Delete { id } => Some(format!("delete user {id}")),
    };
    let gate = plan.as_ref().map(|_| context.write_gate()).transpose()?;
    context
        .with_session(|session| async move {
            let accounts = &session.carbonext;
            let output = &context.output;
            let result: Result<(), CliError> = async {
                confirm(gate, plan).await?;
                match command {
                    UsersCommand::List(page) => {
                        let users = accounts.users_page(page.page, page.page_size).await?;
                        output.show(&users, |p| views::page(p, "users", views::users))
                    }
                    UsersCommand::Get { id } => output.show(&accounts.user(id).await?, views::user),
                    UsersCommand::Create {
                        name,
                        email,
                        permissions,
                    } => {
                        let user = NewUser {
                            email,
                            name,
                            permissions: refs(&permissions),
                        };
                        output.show(&accounts.create_user(user).await?, views::user)
                    }
                    UsersCommand::Update {
                        id,
                        name,
                        permissions,
                    } => {
                        let update = UserUpdate {
                            name,
                            permissions: refs(&permissions),
                        };
                        output.show(&accounts.update_user(id, update).await?, views::user)
                    }
                    UsersCommand::Delete { id } => {
                        accounts.delete_user(id).await?;
                        if output.is_json() {
                            crate::output::print_json(
                                &serde_json::json!({ "id": id, "deleted": true }),
                            )
                        } else {
                            crate::output::write_stdout(&format!("user {id} deleted\n"))
                        }
                    }
                }
            }
            .await;
            (session, result)
        })
        .await
}

/// Runs an `api-keys` subcommand.
pub async fn api_keys(context: &Context, command: ApiKeysCommand) -> Result<(), CliError> {
    let plan = match &command {
        ApiKeysCommand::Create { client_id, .. } => Some(format!("create API key {client_id}")),
        ApiKeysCommand::List(_) | ApiKeysCommand::Get { .. } => None,
    };
    let gate = plan.as_ref().map(|_| context.write_gate()).transpose()?;
    context
        .with_session(|session| async move {
            let accounts = &session.carbonext;
            let output = &context.output;
            let result: Result<(), CliError> = async {
                confirm(gate, plan).await?;
                match command {
                    ApiKeysCommand::List(page) => {
                        let keys = accounts.api_keys_page(page.page, page.page_size).await?;
                        output.show(&keys, |p| views::page(p, "API keys", views::api_keys))
                    }
                    ApiKeysCommand::Get { id } => {
                        output.show(&accounts.api_key(id).await?, views::api_key)
                    }
                    ApiKeysCommand::Create {
                        client_id,
                        display_name,
                        permissions,
                    } => {
                        let key = NewApiKey {
                            client_id,
                            display_name,
                            permissions: refs(&permissions),
                        };
                        let created = accounts.create_api_key(key).await?;
                        note("Keep the client secret now: the API will not show it again.");
                        output.show(&created, views::new_api_key)
                    }
                }
            }
            .await;
            (session, result)
        })
        .await
}

/// Prints every permission that can be granted.
pub async fn permissions(context: &Context) -> Result<(), CliError> {
    context
        .with_session(|session| async move {
            let result = match session.carbonext.permissions().await {
                Ok(permissions) => context
                    .output
                    .show(permissions.as_slice(), views::permissions),
                Err(error) => Err(error.into()),
            };
            (session, result)
        })
        .await
}
