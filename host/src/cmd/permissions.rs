//! `host permissions`: the IAM policy host needs.

use anyhow::Result;

use crate::cli::{PermissionsCommand, PermissionsFormat};
use crate::config::Config;
use crate::error::{EXIT_OK, bad_input};
use crate::iam::{self, NatUse};

/// Prints the IAM policy, for a config's NAT mode or for every mode.
pub fn execute(command: &PermissionsCommand) -> Result<u8> {
    let nat = match &command.config {
        Some(path) => {
            let config = Config::load(path)?;
            let mut params = config.params.clone();
            params.extend(command.set.iter().cloned());
            NatUse::of_standard_plugin(config.public_ips, &params).map_err(bad_input)?
        }
        None => NatUse::Any,
    };
    let output = match command.format {
        PermissionsFormat::Json => serde_json::to_string_pretty(&iam::policy(nat))? + "\n",
        PermissionsFormat::List => iam::actions(nat).iter().map(|a| format!("{a}\n")).collect(),
    };
    super::emit(&output)?;
    Ok(EXIT_OK)
}
