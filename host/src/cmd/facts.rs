//! `host facts`: the facts a plan needs, read from EC2 and printed as the JSON
//! that `--facts` reads.

use anyhow::Result;

use crate::cli::FactsCommand;
use crate::error::{EXIT_OK, bad_input};
use crate::pipeline::{self, Live};

/// Reads the facts of the config's enabled regions and prints or writes them.
pub fn execute(command: &FactsCommand) -> Result<u8> {
    let (config, _) = pipeline::load_config(&command.source)?;
    let live = Live::read(&config, &config.regions, &command.name, false)?;
    let facts = crate::ec2::facts_of(&live.survey)?;
    let text = serde_json::to_string_pretty(&facts)? + "\n";
    match &command.output {
        Some(path) => std::fs::write(path, text).map_err(|err| {
            bad_input(format!("cannot write facts to `{}`: {err}", path.display()))
        })?,
        None => super::emit(&text)?,
    }
    Ok(EXIT_OK)
}
