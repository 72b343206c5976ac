//! The command line, as clap derives it.

use std::path::PathBuf;
use std::time::Duration;

use clap::{ArgGroup, Args, Parser, Subcommand, ValueEnum};

/// Creates, keeps and removes managed AWS VPCs for dstack: a WebAssembly plugin designs
/// them, CEL policies check the plan, and apply makes EC2 match it.
#[derive(Debug, Parser)]
#[command(name = "host", version, propagate_version = true)]
#[command(after_help = "Exit codes: 0 success, 1 a policy denied the plan, 2 any other failure.")]
pub struct Cli {
    /// More log output on stderr: -v for debug, -vv for trace. `RUST_LOG` overrides it.
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    pub verbose: u8,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Plan the managed VPCs for a config and check the plan against the policies.
    #[command(
        after_help = "Example:\n  host plan --config tests/fixtures/seed.yml \\\n    --plugin target/wasm32-wasip2/release/standard_vpc.wasm \\\n    --facts tests/fixtures/facts.json --set nat=single"
    )]
    Plan(PlanCommand),
    /// Check a plan against the policies and report only the results, for CI.
    #[command(
        after_help = "Example:\n  host validate --config dstack.yml --plugin standard_vpc.wasm \\\n    --facts facts.json --format sarif > host.sarif"
    )]
    Validate(ValidateCommand),
    /// Work with policy packs.
    #[command(subcommand)]
    Policy(PolicyCommand),
    /// Create, update and delete the managed VPCs so that EC2 matches the plan.
    #[command(
        after_help = "Regions the config no longer lists lose their managed VPC; `regions: []` removes every one.\nOnly resources tagged `host:managed=true` and `host:set=NAME` are ever changed or deleted.\n\nExample:\n  host apply --config dstack.yml --plugin standard_vpc.wasm --yes"
    )]
    Apply(ApplyCommand),
    /// Delete everything the managed set holds, in every enabled region.
    #[command(after_help = "Example:\n  host destroy --config dstack.yml --yes")]
    Destroy(DestroyCommand),
    /// Show what the managed set holds in every region, and its drift from the plan.
    #[command(
        after_help = "Drift is what `host apply` with the same inputs would change.\n\nExample:\n  host status --config dstack.yml --plugin standard_vpc.wasm"
    )]
    Status(StatusCommand),
    /// Read the facts a plan needs from EC2 and print them as JSON, for `--facts`.
    #[command(after_help = "Example:\n  host facts --config dstack.yml --output facts.json")]
    Facts(FactsCommand),
    /// Print the IAM policy host needs.
    #[command(
        after_help = "Without --config the policy covers every NAT mode; with one, exactly what its NAT mode needs."
    )]
    Permissions(PermissionsCommand),
    /// Print a shell completion script.
    #[command(
        after_help = "Examples:\n  host completions bash > ~/.local/share/bash-completion/completions/host\n  host completions zsh > ~/.zfunc/_host\n  host completions fish > ~/.config/fish/completions/host.fish"
    )]
    Completions(CompletionsCommand),
    /// Print the manual page, or write one per subcommand into a directory.
    #[command(
        after_help = "Examples:\n  host man | man -l -\n  host man --dir ~/.local/share/man/man1"
    )]
    Man(ManCommand),
}

/// `host completions`.
#[derive(Debug, Args)]
pub struct CompletionsCommand {
    /// The shell to complete in.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

/// `host man`.
#[derive(Debug, Args)]
pub struct ManCommand {
    /// Write `host.1` and a page per subcommand (`host-apply.1`, ...) into
    /// this directory instead of printing `host.1`.
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
}

/// Where the config comes from: host's own file, or a project's aws backend in
/// dstack's server config.
#[derive(Debug, Args)]
#[command(group(ArgGroup::new("source").required(true).args(["config", "dstack_config"])))]
pub struct ConfigSource {
    /// The config file: dstack's AWS backend block plus `vpc_autocreated`.
    // `--project` and `--write` mean nothing without `--dstack-config`; they are
    // declared to conflict with `--config`, as clap skips `requires` on
    // arguments of a group whose members conflict.
    #[arg(long, value_name = "FILE", conflicts_with = "project")]
    pub config: Option<PathBuf>,
    /// Take the config from dstack's server config (`~/.dstack/server/config.yml`)
    /// instead: the `regions`, `public_ips`, `tags` and `creds` of the project's aws backend.
    #[arg(long, value_name = "FILE")]
    pub dstack_config: Option<PathBuf>,
    /// The dstack project whose aws backend is used, with `--dstack-config`
    /// [default: main].
    #[arg(long, value_name = "NAME")]
    pub project: Option<String>,
}

impl ConfigSource {
    /// The dstack project, `main` (dstack's first project) unless named.
    pub fn project(&self) -> &str {
        self.project.as_deref().unwrap_or("main")
    }
}

/// What every planning command reads.
#[derive(Debug, Args)]
pub struct PlanInputs {
    /// The config.
    #[command(flatten)]
    pub source: ConfigSource,
    /// The plugin that designs the VPCs: a WebAssembly component.
    #[arg(long, value_name = "WASM")]
    pub plugin: PathBuf,
    /// Add the rules of this policy directory to the default pack; repeatable.
    #[arg(long = "policies", value_name = "DIR")]
    pub policies: Vec<PathBuf>,
    /// Leave the built-in policy pack out.
    #[arg(long)]
    pub no_default_policies: bool,
    /// Set a plugin parameter, overriding the config's `plugin_params`; repeatable.
    #[arg(long = "set", value_name = "KEY=VALUE", value_parser = parse_pair)]
    pub set: Vec<(String, String)>,
    /// The managed set's name: it tags everything host creates and names the VPCs.
    #[arg(long, default_value = "dstack", value_parser = parse_name)]
    pub name: String,
    /// Most memory the plugin may use, in MiB.
    #[arg(long, value_name = "MIB", default_value_t = 256, value_parser = clap::value_parser!(u64).range(1..=4096))]
    pub plugin_memory: u64,
    /// Most time the plugin may take, such as `2s` or `500ms`.
    #[arg(long, value_name = "DURATION", default_value = "2s", value_parser = parse_timeout)]
    pub plugin_timeout: Duration,
    /// Refuse to run the plugin unless its SHA-256 is this (64 hex digits).
    #[arg(long, value_name = "HEX", value_parser = parse_sha256)]
    pub plugin_sha256: Option<String>,
}

/// `host facts`.
#[derive(Debug, Args)]
pub struct FactsCommand {
    /// The config: its regions and credentials are used.
    #[command(flatten)]
    pub source: ConfigSource,
    /// The managed set's name, whose own VPCs and Elastic IPs are reported as such.
    #[arg(long, default_value = "dstack", value_parser = parse_name)]
    pub name: String,
    /// Write the facts to this file instead of stdout.
    #[arg(long, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

/// `host plan`.
#[derive(Debug, Args)]
pub struct PlanCommand {
    /// The inputs.
    #[command(flatten)]
    pub inputs: PlanInputs,
    /// Read the account's facts from this JSON file (as `host facts` writes it) and make no
    /// AWS call; without it, the facts and what the managed set holds are read from EC2, and
    /// the changes an apply would make are shown.
    #[arg(long, value_name = "FILE")]
    pub facts: Option<PathBuf>,
    /// How to print the plan.
    #[arg(long, value_enum, default_value_t = PlanFormat::Text)]
    pub output: PlanFormat,
}

/// Formats of `host plan`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PlanFormat {
    /// For people.
    Text,
    /// For programs; carries `schema_version`.
    Json,
    /// A Mermaid flowchart of regions, zones, subnets, gateways and routes,
    /// which GitHub renders in Markdown.
    Mermaid,
}

/// Formats of `apply`, `destroy` and `status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PlanOutput {
    /// For people.
    Text,
    /// For programs; carries `schema_version`.
    Json,
}

/// How `apply` and `destroy` change EC2.
#[derive(Debug, Args)]
pub struct ChangeOptions {
    /// Make the changes without asking; needed when stdin is not a terminal.
    #[arg(long, short = 'y')]
    pub yes: bool,
    /// Most regions changed at once. EC2 limits requests per region, and each
    /// region makes at most 4 changes at a time, so by default every region
    /// changes at the same time.
    #[arg(long, value_name = "N", default_value_t = 64, value_parser = clap::value_parser!(u16).range(1..=64))]
    pub concurrency: u16,
    /// How to print the changes and the result.
    #[arg(long, value_enum, default_value_t = PlanOutput::Text)]
    pub output: PlanOutput,
    /// With `--dstack-config`: make the change that points dstack at the
    /// managed VPCs in that file, keeping the old one as `FILE.bak`.
    #[arg(long, conflicts_with = "config")]
    pub write: bool,
}

/// `host apply`.
#[derive(Debug, Args)]
pub struct ApplyCommand {
    /// The inputs.
    #[command(flatten)]
    pub inputs: PlanInputs,
    /// How to change EC2.
    #[command(flatten)]
    pub change: ChangeOptions,
}

/// `host destroy`.
#[derive(Debug, Args)]
pub struct DestroyCommand {
    /// The config: its credentials are used.
    #[command(flatten)]
    pub source: ConfigSource,
    /// The managed set to delete.
    #[arg(long, default_value = "dstack", value_parser = parse_name)]
    pub name: String,
    /// How to change EC2.
    #[command(flatten)]
    pub change: ChangeOptions,
}

/// `host status`.
#[derive(Debug, Args)]
pub struct StatusCommand {
    /// The inputs, as for `plan`: the plan they make is what drift is measured from.
    #[command(flatten)]
    pub inputs: PlanInputs,
    /// How to print the status.
    #[arg(long, value_enum, default_value_t = PlanOutput::Text)]
    pub output: PlanOutput,
}

/// `host validate`.
#[derive(Debug, Args)]
pub struct ValidateCommand {
    /// The inputs.
    #[command(flatten)]
    pub inputs: PlanInputs,
    /// Read the account's facts from this JSON file (as `host facts` writes it) and make no
    /// AWS call; without it, the facts are read from EC2.
    #[arg(long, value_name = "FILE")]
    pub facts: Option<PathBuf>,
    /// How to print the policy results.
    #[arg(long, value_enum, default_value_t = ValidateFormat::Text)]
    pub format: ValidateFormat,
}

/// Formats of `host validate`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ValidateFormat {
    /// For people.
    Text,
    /// For programs; carries `schema_version`.
    Json,
    /// JUnit XML, one test case per rule.
    Junit,
    /// SARIF 2.1.0, for code scanning.
    Sarif,
    /// GitHub Actions workflow commands (`::error ...`).
    Github,
}

/// `host policy ...`.
#[derive(Debug, Subcommand)]
pub enum PolicyCommand {
    /// Run the inline tests of a policy pack (the built-in pack without DIR).
    Test(PolicyTestCommand),
}

/// `host policy test`.
#[derive(Debug, Args)]
pub struct PolicyTestCommand {
    /// The policy directory.
    pub dir: Option<PathBuf>,
}

/// `host permissions`.
#[derive(Debug, Args)]
pub struct PermissionsCommand {
    /// Print exactly what this config's NAT mode needs.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// A plugin parameter, as for `plan`; repeatable.
    #[arg(long = "set", value_name = "KEY=VALUE", value_parser = parse_pair, requires = "config")]
    pub set: Vec<(String, String)>,
    /// An IAM policy document, or one action per line.
    #[arg(long, value_enum, default_value_t = PermissionsFormat::Json)]
    pub format: PermissionsFormat,
}

/// Formats of `host permissions`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PermissionsFormat {
    /// An IAM policy document.
    Json,
    /// One action per line.
    List,
}

fn parse_pair(text: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some((key, value)) if !key.is_empty() => Ok((key.to_string(), value.to_string())),
        _ => Err(format!("`{text}` is not KEY=VALUE")),
    }
}

fn parse_sha256(text: &str) -> Result<String, String> {
    let digits = text.strip_prefix("sha256:").unwrap_or(text);
    if digits.len() == 64 && digits.chars().all(|c| c.is_ascii_hexdigit()) {
        Ok(digits.to_ascii_lowercase())
    } else {
        Err(format!("`{text}` is not a SHA-256 digest (64 hexadecimal digits)"))
    }
}

fn parse_timeout(text: &str) -> Result<Duration, String> {
    let duration = humantime::parse_duration(text).map_err(|err| err.to_string())?;
    let range = Duration::from_millis(10)..=Duration::from_secs(600);
    if range.contains(&duration) {
        Ok(duration)
    } else {
        Err(format!("`{text}` is outside 10ms to 10min"))
    }
}

fn parse_name(text: &str) -> Result<String, String> {
    let valid = (1..=64).contains(&text.len())
        && text.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if valid {
        Ok(text.to_string())
    } else {
        Err(format!("`{text}` must be 1 to 64 letters, digits, `-` or `_`"))
    }
}
