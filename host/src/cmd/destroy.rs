//! `host destroy`: delete everything the managed set holds, in every enabled
//! region, whatever the config lists.

use anyhow::Result;
use serde_json::Value;

use super::apply::Target;
use crate::cli::DestroyCommand;
use crate::pipeline::{self, Live};

/// Deletes the whole managed set after showing what goes.
pub fn execute(command: &DestroyCommand) -> Result<u8> {
    let (config, server) = pipeline::load_config(&command.source)?;
    let live = Live::read(&config, &[], &command.name, true)?;
    let diffs = live.diffs(&command.name, None)?;
    let target =
        Target { config: &config, name: &command.name, plan: None, server: server.as_ref() };
    super::apply::change(&live, &target, &diffs, &command.change, Value::Null)
}
