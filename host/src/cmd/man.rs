//! `host man`: manual pages, generated from the clap definition that parses
//! the command line.

use anyhow::{Context as _, Result};
use clap::CommandFactory as _;

use crate::cli::{Cli, ManCommand};
use crate::error::{EXIT_OK, bad_input};

/// Prints `host.1`, or writes it and a page per subcommand into a directory.
pub fn execute(command: &ManCommand) -> Result<u8> {
    let Some(dir) = &command.dir else {
        let mut page = Vec::new();
        clap_mangen::Man::new(Cli::command()).render(&mut page).context("cannot render host.1")?;
        super::emit(&String::from_utf8_lossy(&page))?;
        return Ok(EXIT_OK);
    };
    if dir.exists() && !dir.is_dir() {
        return Err(bad_input(format!("`--dir {}` is a file, not a directory", dir.display())));
    }
    if !dir.is_dir() {
        return Err(bad_input(format!(
            "`--dir {}` does not exist; create it first (`mkdir -p {}`)",
            dir.display(),
            dir.display()
        )));
    }
    clap_mangen::generate_to(Cli::command(), dir)
        .with_context(|| format!("cannot write the manual pages into `{}`", dir.display()))?;
    Ok(EXIT_OK)
}
