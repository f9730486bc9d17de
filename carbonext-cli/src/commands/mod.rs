//! One module per command group; [`run`] dispatches a parsed [`Cli`].
//!
//! Every API command follows the same order: turn the arguments into validated requests
//! (a refusal is exit code 2 and nothing is sent), open a [`Session`] (which gets the access
//! token, so authentication problems surface as such), call the SDK, print, close.

mod admin;
mod api;
mod auth;
mod balance;
mod calculate;
mod completions;
mod invoices;
mod login;
mod offset;
mod orders;
mod price;
mod profiles;
mod quickstart;
pub mod sandbox;
mod watch;

use std::future::Future;
use std::sync::OnceLock;

use crate::cli::{AuthCommand, Cli, Command, GlobalArgs, SandboxCommand};
use crate::confirm::{assume_yes, WriteGate};
use crate::connect::Session;
use crate::exit::CliError;
use crate::output::{note, Output};
use crate::target::{process_env, resolve, Resolved, Target};

/// What every command needs: the global flags and the printer.
#[derive(Debug, Clone)]
pub struct Context {
    /// Flags valid for every command.
    pub global: GlobalArgs,
    /// Where and how results are printed.
    pub output: Output,
    /// The target, resolved once (its notes printed once).
    resolved: OnceLock<Result<Resolved, CliError>>,
}

impl Context {
    /// The context of `global`.
    pub fn new(global: GlobalArgs) -> Self {
        let output = Output::new(global.output);
        Self {
            global,
            output,
            resolved: OnceLock::new(),
        }
    }

    /// Where commands go: resolved at the first call, which prints the resolution's notes.
    pub fn target(&self) -> Result<&Target, CliError> {
        self.resolved().map(|resolved| &resolved.target)
    }

    /// The target with its sources and the chosen profile, resolved at the first call.
    pub fn resolved(&self) -> Result<&Resolved, CliError> {
        self.resolved
            .get_or_init(|| {
                resolve(&self.global, &process_env).inspect(|resolved| {
                    resolved.notes.iter().for_each(note);
                })
            })
            .as_ref()
            .map_err(Clone::clone)
    }

    /// For a command that writes: names a remote host, and refuses production without a way
    /// to confirm (before anything is sent).
    pub fn write_gate(&self) -> Result<WriteGate, CliError> {
        WriteGate::new(self.target()?, assume_yes(self.global.yes))
    }

    /// Resolves the target and opens a session, without authenticating yet.
    pub async fn open(&self) -> Result<Session, CliError> {
        Session::open(self.resolved()?, &self.global).await
    }

    /// Opens an authenticated session, runs `work` with it, and closes it whatever happened.
    pub async fn with_session<T, F, Fut>(&self, work: F) -> Result<T, CliError>
    where
        F: FnOnce(Session) -> Fut,
        Fut: Future<Output = (Session, Result<T, CliError>)>,
    {
        let session = self.open().await?;
        if let Err(error) = session.authenticate().await {
            session.close().await;
            return Err(error);
        }
        let remote = session.remote.clone();
        let (session, result) = work(session).await;
        session.close().await;
        result.map_err(|error| crate::diagnose::api(error, remote.as_ref()))
    }
}

/// Runs the command `cli` names.
pub async fn run(cli: Cli) -> Result<(), CliError> {
    let context = Context::new(cli.global);
    match cli.command {
        Command::Login(args) => login::run(&context, args).await,
        Command::Profiles(command) => profiles::run(&context, command),
        Command::Auth(AuthCommand::Status) => auth::status(&context).await,
        Command::Api(args) => api::run(&context, args).await,
        Command::Quickstart => quickstart::run(&context).await,
        Command::Price(args) => price::run(&context, args).await,
        Command::Orders(command) => orders::run(&context, command).await,
        Command::Balance(args) => balance::run(&context, args).await,
        Command::Invoices(command) => invoices::run(&context, command).await,
        Command::Calculate(command) => calculate::run(&context, command).await,
        Command::Offset(command) => offset::run(&context, command).await,
        Command::Users(command) => admin::users(&context, command).await,
        Command::ApiKeys(command) => admin::api_keys(&context, command).await,
        Command::Permissions => admin::permissions(&context).await,
        Command::Sandbox(SandboxCommand::Serve(args)) => sandbox::serve(*args).await,
        Command::Sandbox(SandboxCommand::Reset) => sandbox::reset(&context.output),
        Command::Completions { shell } => completions::run(shell),
    }
}
