//! The plan path shared by `plan` and `validate`: read the inputs, ask the
//! plugin for a plan, check it, and run the policy pack over it.

use std::collections::BTreeMap;
use std::time::Duration;

use anyhow::Result;
use serde_json::{Value, json};

use crate::cli::PlanInputs;
use crate::config::Config;
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
}

impl Checked {
    /// Whether a deny rule found a violation.
    pub fn denied(&self) -> bool {
        self.outcomes.iter().any(|o| !o.passed && o.action == Action::Deny)
    }
}

/// Runs the plan path on the command's inputs. Nothing here calls AWS.
pub fn run(inputs: &PlanInputs) -> Result<Checked> {
    let config = Config::load(&inputs.config)?;
    let mut params = config.params.clone();
    params.extend(inputs.set.iter().cloned());
    let pack = load_pack(inputs)?;
    let budget = Budget {
        memory: usize::try_from(inputs.plugin_memory << 20).unwrap_or(usize::MAX),
        time: inputs.plugin_timeout,
    };
    let plugin = Plugin::load(&inputs.plugin, inputs.plugin_sha256.as_deref(), budget)?;
    let facts = match &inputs.facts {
        Some(path) => Facts::load(path)?,
        None => live_facts(&config, &inputs.name)?,
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
    })
}

/// Reads the facts from EC2, after everything local has been checked.
pub fn live_facts(config: &Config, name: &str) -> Result<Facts> {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(crate::ec2::read_facts(config, name))
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
