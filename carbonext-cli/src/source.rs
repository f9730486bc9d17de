//! [`Source`]: where a setting's value came from (flag, variable, profile, default), as
//! [`target`](crate::target) and [`profile`](crate::profile) resolve them and `auth status`
//! prints them.

use std::fmt;

/// Where a setting's value came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// A command-line flag (its name).
    Flag(&'static str),
    /// An environment variable (its name).
    Env(&'static str),
    /// The chosen profile (its name is in [`Resolved::profile`](crate::target::Resolved::profile)).
    Profile,
    /// The default: the environment's own URL, or the embedded sandbox.
    Default,
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Flag(name) => write!(f, "from {name}"),
            Source::Env(name) => write!(f, "from {name}"),
            Source::Profile => f.write_str("from the profile"),
            Source::Default => f.write_str("the default"),
        }
    }
}

impl Source {
    /// The label `auth status` prints: `flag --env`, `env CARBONEXT_ENV`, `profile NAME`,
    /// `default`.
    pub fn label(&self, profile: Option<&str>) -> String {
        match self {
            Source::Flag(name) => format!("flag {name}"),
            Source::Env(name) => format!("env {name}"),
            Source::Profile => format!("profile {}", profile.unwrap_or("?")),
            Source::Default => "default".to_owned(),
        }
    }
}
