//! `host apply`: plan, check, show the changes, and make them in EC2; then
//! print what the managed set holds and the dstack backend block that uses it.

use std::io::{BufRead as _, IsTerminal as _, Write as _};
use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context as _, Result};
use serde_json::json;

use crate::cli::{ApplyCommand, ChangeOptions, PlanOutput};
use crate::config::Config;
use crate::diff::{Op, RegionDiff};
use crate::dstack::server::{Edit, ServerConfig};
use crate::ec2::{self, Applied};
use crate::error::{self, EXIT_DENIED, EXIT_OK, bad_input};
use crate::pipeline::{self, Live};
use crate::plan::Plan;
use crate::{dstack, report};

/// Applies the plan unless a policy denies it; exits 1 on a denial.
pub fn execute(command: &ApplyCommand) -> Result<u8> {
    let checked = pipeline::run(&command.inputs, None)?;
    let live = checked.live.as_ref().context("apply reads EC2, so live facts are expected")?;
    if checked.denied() {
        let output = match command.change.output {
            PlanOutput::Text => report::plan_text(&checked),
            PlanOutput::Json => serde_json::to_string_pretty(&report::plan_json(&checked))? + "\n",
        };
        super::emit(&output)?;
        eprintln!("error: a policy denied the plan, so nothing was changed");
        return Ok(EXIT_DENIED);
    }
    let diffs = live.diffs(&checked.name, Some(&checked.plan))?;
    if command.change.output == PlanOutput::Text {
        super::emit(&report::policy_text(&checked.outcomes))?;
    }
    let policy = report::plan_json(&checked)["policy"].clone();
    let target = Target {
        config: &checked.config,
        name: &checked.name,
        plan: Some(&checked.plan),
        server: checked.server.as_ref(),
    };
    change(live, &target, &diffs, &command.change, policy)
}

/// What a change makes of the managed set.
pub struct Target<'a> {
    /// The config.
    pub config: &'a Config,
    /// The managed set's name.
    pub name: &'a str,
    /// The plan to apply; none to delete the whole set.
    pub plan: Option<&'a Plan>,
    /// dstack's server config the config came from, which is to point at the result.
    pub server: Option<&'a ServerConfig>,
}

/// Shows the changes, asks for confirmation where needed, makes them and
/// reports the result: the part `apply` and `destroy` share.
pub fn change(
    live: &Live,
    target: &Target,
    diffs: &[RegionDiff],
    options: &ChangeOptions,
    policy: serde_json::Value,
) -> Result<u8> {
    let (config, name) = (target.config, target.name);
    let text = options.output == PlanOutput::Text;
    if text {
        super::emit(&report::changes_text(name, diffs))?;
    }
    let noop = diffs.iter().all(RegionDiff::is_noop);
    if let Some(server) = target.server {
        before_change(server, live, target.name, noop, options.write)?;
    }
    if !noop && !options.yes && !confirmed()? {
        eprintln!("Cancelled: nothing was changed.");
        return Ok(EXIT_OK);
    }
    let started = Instant::now();
    let token = run_token();
    let concurrency = usize::from(options.concurrency);
    let applied = match live.runtime.block_on(ec2::apply(&live.base, diffs, concurrency, &token)) {
        Err(err) if error::kind_of(&err) == "interrupted" => {
            return Err(interrupted(live, target, text, err));
        }
        applied => applied?,
    };
    let elapsed = started.elapsed();
    let block = dstack::backend(config, &applied);
    let recorded = target.server.map(|server| record(server, block.as_ref(), options.write));
    let show_block = !matches!(recorded, Some(Recorded::Shown(_) | Recorded::Written(..)));
    let output = if text {
        let mut out = result_text(diffs, &applied, block.as_ref(), show_block, elapsed)?;
        if let Some(recorded) = &recorded {
            out.push_str(&recorded.text());
        }
        out
    } else {
        let document = json!({
            "schema_version": report::SCHEMA_VERSION,
            "name": name,
            "policy": policy,
            "changes": diffs,
            "regions": applied.iter().filter(|a| a.vpc_id.is_some()).collect::<Vec<_>>(),
            "dstack": block,
            "dstack_config": recorded.as_ref().map(Recorded::json),
        });
        serde_json::to_string_pretty(&document)? + "\n"
    };
    super::emit(&output)?;
    match &recorded {
        Some(Recorded::Failed(_, message)) if options.write => {
            eprintln!("error: EC2 was changed, but the dstack config was not: {message}");
            Ok(error::EXIT_ERROR)
        }
        Some(Recorded::Failed(_, message)) => {
            tracing::warn!("the change to the dstack config could not be prepared: {message}");
            Ok(EXIT_OK)
        }
        _ => Ok(EXIT_OK),
    }
}

/// What is checked before a change whose config came from dstack's server
/// config: that `--write` will be able to record it, and that no other project
/// of the file uses the managed set, whose VPCs the change would change
/// under it.
fn before_change(
    server: &ServerConfig,
    live: &Live,
    name: &str,
    noop: bool,
    write: bool,
) -> Result<()> {
    if write {
        server.check_writable()?;
    }
    let survey = &live.survey;
    let vpcs: Vec<String> = survey
        .listed
        .iter()
        .chain(&survey.elsewhere)
        .flat_map(|read| read.holding.vpcs.iter().map(|vpc| vpc.id.clone()))
        .collect();
    match server.sharing(&vpcs) {
        Some((other, vpc)) if !noop => Err(bad_input(format!(
            "project `{other}` in `{}` also uses {vpc}, a VPC of managed set `{name}`, so this change for project `{}` would change it under that project; give each project its own set with `--name`",
            server.path.display(),
            server.project
        ))),
        _ => Ok(()),
    }
}

/// What became of dstack's server config after a change.
enum Recorded {
    /// The edit it needs, shown.
    Shown(Edit),
    /// The edit, made, with the backup of the old file.
    Written(Edit, PathBuf),
    /// The file, and why it could not be edited.
    Failed(PathBuf, String),
}

/// Prepares the edit of `server` for `block`, and makes it with `write`.
fn record(server: &ServerConfig, block: Option<&serde_json::Value>, write: bool) -> Recorded {
    let failed = |err: anyhow::Error| {
        Recorded::Failed(server.path.clone(), error::printable(&format!("{err:#}")))
    };
    match server.edit(block) {
        Err(err) => failed(err),
        Ok(edit) if write && !edit.is_empty() => match edit.write() {
            Ok(backup) => Recorded::Written(edit, backup),
            Err(err) => failed(err),
        },
        Ok(edit) => Recorded::Shown(edit),
    }
}

impl Recorded {
    /// The text after the result: the diff, and whether it was written.
    fn text(&self) -> String {
        match self {
            Recorded::Shown(edit) if edit.is_empty() => {
                format!("\n`{}` already points dstack at these VPCs.\n", edit.path.display())
            }
            Recorded::Shown(edit) => format!(
                "\nThe change to make in `{}` (`--write` makes it and keeps a backup):\n\n{}",
                edit.path.display(),
                edit.diff()
            ),
            Recorded::Written(edit, backup) => format!(
                "\nUpdated `{}` (the previous version is in `{}`); dstack reads it when `dstack server` starts:\n\n{}",
                edit.path.display(),
                backup.display(),
                edit.diff()
            ),
            Recorded::Failed(path, message) => {
                format!("\nThe dstack config `{}` was not changed: {message}\n", path.display())
            }
        }
    }

    /// The same for `--output json`.
    fn json(&self) -> serde_json::Value {
        match self {
            Recorded::Shown(edit) => json!({
                "path": edit.path, "diff": edit.diff(), "written": false, "backup": null,
            }),
            Recorded::Written(edit, backup) => json!({
                "path": edit.path, "diff": edit.diff(), "written": true, "backup": backup,
            }),
            Recorded::Failed(path, message) => json!({ "path": path, "error": message }),
        }
    }
}

/// After Ctrl-C stopped a change: reads EC2 again and shows what the next run
/// would still change (the kept lines are what exists), then passes the
/// interruption on.
fn interrupted(live: &Live, target: &Target, text: bool, err: anyhow::Error) -> anyhow::Error {
    if !text {
        return err;
    }
    let shown = live
        .reread(target.name)
        .and_then(|survey| pipeline::diffs(&survey, target.name, target.plan))
        .and_then(|remaining| {
            let heading =
                "\nInterrupted. What exists now, and what the next run would still change:\n";
            super::emit(&format!("{heading}{}", report::changes_text(target.name, &remaining)))
        });
    match shown {
        Ok(()) => err,
        Err(reading) => err.context(format!("and what exists could not be read: {reading:#}")),
    }
}

/// Asks on the terminal; without one, refuses rather than guess.
fn confirmed() -> Result<bool> {
    if !std::io::stdin().is_terminal() {
        return Err(bad_input(
            "refusing to change AWS without confirmation: stdin is not a terminal, so pass `--yes`",
        ));
    }
    eprint!("Make these changes in AWS? Only `yes` is accepted: ");
    std::io::stderr().flush()?;
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer)?;
    Ok(answer.trim() == "yes")
}

/// A value unique to this run, from which each create call's client token is
/// derived: a retried call reuses its token, a later run does not.
fn run_token() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_nanos());
    format!("{nanos}-{}", std::process::id())
}

fn result_text(
    diffs: &[RegionDiff],
    applied: &[Applied],
    block: Option<&serde_json::Value>,
    show_block: bool,
    elapsed: std::time::Duration,
) -> Result<String> {
    use std::fmt::Write as _;
    let count = |op: Op| diffs.iter().map(|diff| diff.count(op)).sum::<usize>();
    let mut out = if diffs.iter().all(RegionDiff::is_noop) {
        "No changes: EC2 already holds what the plan asks for.\n".to_string()
    } else {
        format!(
            "Applied in {:.1}s: {} created, {} updated, {} deleted.\n",
            elapsed.as_secs_f64(),
            count(Op::Create),
            count(Op::Update),
            count(Op::Delete)
        )
    };
    for region in applied {
        let Some(vpc) = &region.vpc_id else {
            let _ = writeln!(out, "\n{:<16} nothing managed here any more", region.region);
            continue;
        };
        let tier = |name: &str| region.subnets.iter().filter(|s| s.tier == name).count();
        let nats = if region.nat_gateway_ids.is_empty() {
            "no NAT gateway".to_string()
        } else {
            format!("NAT {}", region.nat_gateway_ids.join(", "))
        };
        let _ = writeln!(
            out,
            "\n{:<16} {vpc}  {} public and {} private subnets, {nats}",
            region.region,
            tier("public"),
            tier("private")
        );
    }
    match block {
        _ if !show_block => {}
        Some(block) => {
            let _ = writeln!(
                out,
                "\ndstack backend block, to put under `backends:` in ~/.dstack/server/config.yml:\n"
            );
            out.push_str(&dstack::yaml(block)?);
        }
        None => out.push_str("\nNo region holds a managed VPC now, so there is no dstack block.\n"),
    }
    Ok(out)
}
