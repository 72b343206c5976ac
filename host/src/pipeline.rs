//! The plan path shared by `plan`, `validate` and `apply`: read the inputs,
//! ask the plugin for a plan, check it, and run the policy pack over it; and,
//! when the facts come from EC2, what the managed set holds and the diff.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use anyhow::Result;
use aws_config::SdkConfig;
use serde_json::{Value, json};

use crate::cli::{ConfigSource, PlanInputs};
use crate::config::Config;
use crate::diff::{self, RegionDiff};
use crate::dstack::server::ServerConfig;
use crate::ec2::{self, Survey};
use crate::error::bad_input;
use crate::facts::Facts;
use crate::iam::{self, NatUse};
use crate::plan::Plan;
use crate::plugin::{Budget, Plugin};
use crate::policy::{self, Action, Outcome, Pack};

/// Most time one policy rule may take.
pub const RULE_BUDGET: Duration = Duration::from_secs(1);

/// A plan and what the policies made of it.
#[derive(Debug)]
pub struct Checked {
    /// The config.
    pub config: Config,
    /// The managed set's name.
    pub name: String,
    /// The plugin's file name.
    pub plugin: String,
    /// Plugin parameters after `--set`, sorted by key.
    pub params: BTreeMap<String, String>,
    /// Config regions the account has not enabled, which were skipped.
    pub skipped: Vec<String>,
    /// The plan.
    pub plan: Plan,
    /// The IAM actions host grants itself for the plan's NAT use.
    pub permissions: Vec<&'static str>,
    /// One outcome per rule, in pack order.
    pub outcomes: Vec<Outcome>,
    /// The account, when the facts were read from EC2.
    pub live: Option<Live>,
    /// dstack's server config, when the config came from it.
    pub server: Option<ServerConfig>,
}

/// A connection to an account, and what was read from it.
#[derive(Debug)]
pub struct Live {
    /// The runtime the SDK's clients run on.
    pub runtime: tokio::runtime::Runtime,
    /// The SDK configuration.
    pub base: SdkConfig,
    /// What was read.
    pub survey: Survey,
}

impl Live {
    /// Connects with the config's credentials and reads `listed` regions in
    /// full, and with `everywhere` what the set `name` holds in every other
    /// enabled region.
    pub fn read(config: &Config, listed: &[String], name: &str, everywhere: bool) -> Result<Live> {
        let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
        let base = runtime.block_on(ec2::sdk_config(&config.creds));
        let survey = runtime.block_on(ec2::survey(&base, listed, name, everywhere))?;
        Ok(Live { runtime, base, survey })
    }

    /// The diff of every region where the plan or the set has something:
    /// planned regions towards their plan, every other region to nothing.
    pub fn diffs(&self, name: &str, plan: Option<&Plan>) -> Result<Vec<RegionDiff>> {
        diffs(&self.survey, name, plan)
    }

    /// Reads the same regions again, for what exists after a change.
    pub fn reread(&self, name: &str) -> Result<Survey> {
        let listed: Vec<String> = self.survey.listed.iter().map(|r| r.region.clone()).collect();
        self.runtime.block_on(ec2::survey(&self.base, &listed, name, true))
    }
}

/// The diff of every region `survey` read where the plan or the set has
/// something.
pub fn diffs(survey: &Survey, name: &str, plan: Option<&Plan>) -> Result<Vec<RegionDiff>> {
    let mut diffs = Vec::new();
    for read in survey.listed.iter().chain(&survey.elsewhere) {
        let planned = plan.and_then(|plan| plan.regions.iter().find(|r| r.region == read.region));
        if planned.is_none() && read.holding.is_empty() {
            continue;
        }
        let diff = diff::region(&read.region, name, planned, &read.holding)
            .map_err(|conflict| bad_input(format!("in `{}`: {conflict}", read.region)))?;
        diffs.push(diff);
    }
    Ok(diffs)
}

impl Checked {
    /// Whether a deny rule found a violation.
    pub fn denied(&self) -> bool {
        self.outcomes.iter().any(|o| !o.passed && o.action == Action::Deny)
    }
}

/// The config, from host's own file or from a project of dstack's server
/// config, which is then returned too.
pub fn load_config(source: &ConfigSource) -> Result<(Config, Option<ServerConfig>)> {
    match (&source.config, &source.dstack_config) {
        (Some(path), _) => Ok((Config::load(path)?, None)),
        (None, Some(path)) => {
            let server = ServerConfig::load(path, source.project())?;
            Ok((server.config()?, Some(server)))
        }
        (None, None) => Err(bad_input("give `--config FILE` or `--dstack-config FILE`")),
    }
}

/// Runs the plan path on the command's inputs, with facts from `facts` or,
/// without it, from EC2 (which is then all that calls AWS).
pub fn run(inputs: &PlanInputs, facts: Option<&Path>) -> Result<Checked> {
    let (config, server) = load_config(&inputs.source)?;
    let mut params = config.params.clone();
    params.extend(inputs.set.iter().cloned());
    let pack = load_pack(inputs)?;
    let budget = Budget {
        memory: usize::try_from(inputs.plugin_memory << 20).unwrap_or(usize::MAX),
        time: inputs.plugin_timeout,
    };
    let plugin = Plugin::load(&inputs.plugin, inputs.plugin_sha256.as_deref(), budget)?;
    let (facts, live) = match facts {
        Some(path) => (Facts::load(path)?, None),
        None => {
            let live = Live::read(&config, &config.regions, &inputs.name, true)?;
            (ec2::facts_of(&live.survey)?, Some(live))
        }
    };

    let skipped = skipped_regions(&config, &facts);
    let pairs: Vec<(String, String)> = params.clone().into_iter().collect();
    let plan = plugin.plan(&config, &inputs.name, &pairs, &facts)?;

    let permissions = iam::actions(NatUse::of_plan(&plan));
    let input = policy_input(&config, &inputs.name, &params, &facts, &plan, &permissions)?;
    let started = std::time::Instant::now();
    let outcomes = policy::evaluate(&pack.rules, &input, RULE_BUDGET)?;
    tracing::debug!(rules = outcomes.len(), elapsed = ?started.elapsed(), "policies evaluated");
    Ok(Checked {
        config,
        name: inputs.name.clone(),
        plugin: plugin.name().to_string(),
        params,
        skipped,
        plan,
        permissions,
        outcomes,
        live,
        server,
    })
}

fn load_pack(inputs: &PlanInputs) -> Result<Pack> {
    let mut pack = if inputs.no_default_policies { Pack::default() } else { Pack::default_pack()? };
    for dir in &inputs.policies {
        pack.add_dir(dir)?;
    }
    Ok(pack)
}

fn skipped_regions(config: &Config, facts: &Facts) -> Vec<String> {
    let skipped: Vec<String> =
        config.regions.iter().filter(|r| facts.region(r).is_none()).cloned().collect();
    for region in &skipped {
        tracing::warn!(
            "region `{region}` is not in the facts, so the account has not enabled it; skipping it"
        );
    }
    skipped
}

/// The values policy rules see. `facts.regions` is keyed by region code, and
/// each region carries `elastic_ips_in_use`, counting every Elastic IP in the
/// account's region.
pub fn policy_input(
    config: &Config,
    name: &str,
    params: &BTreeMap<String, String>,
    facts: &Facts,
    plan: &Plan,
    permissions: &[&str],
) -> Result<policy::Input> {
    let mut regions = serde_json::Map::new();
    for region in &facts.regions {
        let mut value = serde_json::to_value(region)?;
        value["elastic_ips_in_use"] = json!(region.elastic_ips_in_use());
        regions.insert(region.region.clone(), value);
    }
    Ok(policy::Input {
        config: json!({
            "name": name,
            "public_ips": config.public_ips,
            "regions": config.regions,
            "tags": config.tags,
            "params": params,
            "creds": { "type": config.creds.kind() },
        }),
        facts: json!({ "regions": Value::Object(regions) }),
        plan: serde_json::to_value(plan)?,
        permissions: json!(permissions),
    })
}
