//! The policy model: packs of CEL rules that judge a plan before anything acts on it.
//!
//! A pack is a directory of YAML files, each holding `rules`. A rule has a stable
//! `id`, a `severity`, an `action` (`deny` stops the run, `warn` only reports), a
//! `message`, a CEL `expression` over `config`, `facts`, `plan` and
//! `permissions`, and inline `tests`. The expression yields `true` when the plan
//! complies, or a list of strings, one per violation (empty when it complies),
//! each naming the region and resource at fault.

mod cidr;
mod eval;
mod inline;
mod references;

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use anyhow::Result;
use serde::{Deserialize, Serialize};

use crate::error::bad_input;
pub use eval::{Input, Outcome, evaluate};
pub use inline::run_tests;

/// The default pack, compiled into the binary from `policies/`.
const DEFAULT_PACK: &[(&str, &str)] = &[
    ("policies/network.yaml", include_str!("../../../policies/network.yaml")),
    ("policies/nat.yaml", include_str!("../../../policies/nat.yaml")),
    ("policies/access.yaml", include_str!("../../../policies/access.yaml")),
];

/// What happens when a rule finds a violation.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    /// The plan is refused and the command exits with code 1.
    Deny,
    /// The violation is reported; the plan may still be applied.
    Warn,
}

/// How much a violation matters, for sorting and for reports.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, PartialOrd, Ord)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Breaks workloads or the account.
    Critical,
    /// Likely breaks workloads.
    High,
    /// Costs money, resilience or future options.
    Medium,
    /// Worth knowing.
    Low,
}

/// One rule of a pack.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    /// Stable identifier, such as `nat-covers-private-subnets`.
    pub id: String,
    /// How much a violation matters.
    pub severity: Severity,
    /// Deny or warn.
    pub action: Action,
    /// One line saying what the rule requires.
    pub message: String,
    /// Longer help: why the rule exists and how to comply.
    #[serde(default)]
    pub help: Option<String>,
    /// The CEL expression.
    pub expression: String,
    /// Inline tests.
    #[serde(default)]
    pub tests: Vec<RuleTest>,
    /// The file the rule came from.
    #[serde(skip)]
    pub source: PathBuf,
    /// The expression, compiled when the pack was loaded.
    #[serde(skip)]
    pub program: Option<Arc<cel::Program>>,
}

/// An inline test: an input and whether the rule should pass on it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleTest {
    /// What the test shows.
    pub name: String,
    /// Values for `config`, `facts`, `plan` and `permissions`; any left out are empty.
    #[serde(default)]
    pub input: serde_json::Map<String, serde_json::Value>,
    /// The expected outcome.
    pub expect: Expect,
}

/// The outcome an inline test expects.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Expect {
    /// The rule finds no violation.
    Pass,
    /// The rule finds at least one violation.
    Fail,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PolicyFile {
    rules: Vec<Rule>,
}

/// A loaded, checked set of rules.
#[derive(Debug, Clone, Default)]
pub struct Pack {
    /// The rules, in file order.
    pub rules: Vec<Rule>,
}

impl Pack {
    /// The pack built into the binary.
    pub fn default_pack() -> Result<Pack> {
        let mut pack = Pack::default();
        for (name, text) in DEFAULT_PACK {
            pack.add_file(Path::new(name), text)?;
        }
        Ok(pack)
    }

    /// Adds every `.yaml` and `.yml` file of `dir`, in name order.
    pub fn add_dir(&mut self, dir: &Path) -> Result<()> {
        let shown = dir.display();
        if !dir.is_dir() {
            return Err(bad_input(format!(
                "policy directory `{shown}` is not a directory; `--policies` takes a directory of .yaml files"
            )));
        }
        let entries = std::fs::read_dir(dir)
            .map_err(|err| bad_input(format!("cannot read policy directory `{shown}`: {err}")))?;
        let mut files: Vec<PathBuf> = entries
            .filter_map(|entry| entry.ok().map(|e| e.path()))
            .filter(|path| path.extension().is_some_and(|ext| ext == "yaml" || ext == "yml"))
            .collect();
        files.sort();
        if files.is_empty() {
            return Err(bad_input(format!("policy directory `{shown}` holds no .yaml files")));
        }
        for file in files {
            let text = std::fs::read_to_string(&file).map_err(|err| {
                bad_input(format!("cannot read policy file `{}`: {err}", file.display()))
            })?;
            self.add_file(&file, &text)?;
        }
        tracing::debug!(dir = %shown, rules = self.rules.len(), "policy pack loaded");
        Ok(())
    }

    /// Parses one policy file and checks each rule before adding it.
    pub fn add_file(&mut self, path: &Path, text: &str) -> Result<()> {
        let shown = path.display();
        let file: PolicyFile = serde_norway::from_str(text)
            .map_err(|err| bad_input(format!("policy file `{shown}`: {err}")))?;
        let checked = check_rules(&file.rules);
        for (mut rule, checked) in file.rules.into_iter().zip(checked) {
            rule.source = path.to_path_buf();
            if let Some(seen) = self.rules.iter().find(|seen| seen.id == rule.id) {
                return Err(bad_input(format!(
                    "policy file `{shown}`: rule id `{}` is already used in `{}`",
                    rule.id,
                    seen.source.display()
                )));
            }
            let program = checked.map_err(|message| {
                bad_input(format!("policy file `{shown}`: rule `{}`: {message}", rule.id))
            })?;
            rule.program = Some(Arc::new(program));
            self.rules.push(rule);
        }
        Ok(())
    }
}

/// The CEL environment rules run in: the standard library plus the `lists`
/// (`flatten`, `distinct`, `sort`, ...) and `strings` (`join`, `split`, ...)
/// extensions. It is built once per process and shared by every rule.
pub fn env() -> Arc<cel::Env> {
    static ENV: OnceLock<Arc<cel::Env>> = OnceLock::new();
    let env = ENV.get_or_init(|| {
        let mut env = cel::Env::stdlib();
        let extended = env
            .add_extension(cel::extensions::lists)
            .and_then(|()| env.add_extension(cel::extensions::strings));
        debug_assert!(extended.is_ok(), "the CEL extensions declare disjoint functions");
        Arc::new(env)
    });
    Arc::clone(env)
}

/// Longest expression a rule may have, in bytes.
const MAX_EXPRESSION: usize = 16 << 10;
/// Deepest nesting of brackets a rule may have; the CEL parser recurses on each.
const MAX_NESTING: usize = 24;

/// How deeply `(`, `[` and `{` nest in `expression`, outside string literals.
fn nesting(expression: &str) -> usize {
    let (mut depth, mut deepest, mut quote, mut escaped) = (0_usize, 0, None, false);
    for c in expression.chars() {
        match quote {
            Some(_) if escaped => escaped = false,
            Some(_) if c == '\\' => escaped = true,
            Some(open) if c == open => quote = None,
            Some(_) => {}
            None => match c {
                '\'' | '"' => quote = Some(c),
                '(' | '[' | '{' => {
                    depth += 1;
                    deepest = deepest.max(depth);
                }
                ')' | ']' | '}' => depth = depth.saturating_sub(1),
                _ => {}
            },
        }
    }
    deepest
}

/// Checks `rules` ([`check_rule`]), as many at once as the machine has
/// cores, each on a thread whose stack fits the CEL parser's recursion at
/// [`MAX_NESTING`] with room to spare; the main thread's may not.
fn check_rules(rules: &[Rule]) -> Vec<Result<cel::Program, String>> {
    let at_once = std::thread::available_parallelism().map_or(1, usize::from);
    let mut checked = Vec::with_capacity(rules.len());
    for batch in rules.chunks(at_once) {
        std::thread::scope(|scope| {
            let workers: Vec<_> = batch
                .iter()
                .map(|rule| {
                    let thread = std::thread::Builder::new().stack_size(PARSER_STACK);
                    thread.spawn_scoped(scope, || check_rule(rule))
                })
                .collect();
            checked.extend(workers.into_iter().map(|worker| match worker.map(|w| w.join()) {
                Ok(Ok(result)) => result,
                Ok(Err(_)) => Err("the expression crashed the parser".to_string()),
                Err(err) => Err(format!("cannot start the parser: {err}")),
            }));
        });
    }
    checked
}

/// Deepest expression tree a rule may have once parsed, macros expanded;
/// evaluation recurses on it.
const MAX_DEPTH: usize = 128;

/// Stack for parsing one expression.
const PARSER_STACK: usize = 64 << 20;

/// Checks a rule and returns its compiled expression; runs on a parser
/// thread ([`check_rules`]).
fn check_rule(rule: &Rule) -> Result<cel::Program, String> {
    let id_ok = !rule.id.is_empty()
        && rule.id.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if !id_ok {
        return Err("ids use lowercase letters, digits and `-`".to_string());
    }
    if rule.expression.len() > MAX_EXPRESSION {
        return Err(format!("the expression is longer than {MAX_EXPRESSION} bytes"));
    }
    let depth = nesting(&rule.expression);
    if depth > MAX_NESTING {
        return Err(format!(
            "the expression nests {depth} levels deep; at most {MAX_NESTING} are allowed"
        ));
    }
    let env = env();
    let program = env
        .compile(&rule.expression)
        .map_err(|err| format!("the expression does not parse: {err}"))?;
    let references = references::unknown(program.expression(), &env);
    if references.depth > MAX_DEPTH {
        return Err(format!(
            "the expression is {} levels deep once parsed; at most {MAX_DEPTH} are allowed, so split long chains into smaller rules",
            references.depth
        ));
    }
    let (variables, functions) = (references.variables, references.functions);
    if let Some(variable) = variables.first() {
        return Err(format!(
            "unknown variable `{variable}`; rules can read {}",
            references::VARIABLES.iter().map(|v| format!("`{v}`")).collect::<Vec<_>>().join(", ")
        ));
    }
    if let Some(function) = functions.first() {
        return Err(format!("unknown function `{function}`"));
    }
    Ok(program)
}

#[cfg(test)]
mod tests {
    use super::*;

    use std::time::Duration;

    #[test]
    fn every_default_rule_has_a_passing_and_a_failing_case_and_they_hold() {
        let pack = Pack::default_pack().unwrap();
        assert!(pack.rules.len() >= 10);
        for rule in &pack.rules {
            let has = |expect| rule.tests.iter().any(|test| test.expect == expect);
            assert!(has(Expect::Pass) && has(Expect::Fail), "rule `{}` lacks a case", rule.id);
        }
        let failures: Vec<_> = run_tests(&pack, Duration::from_secs(5))
            .into_iter()
            .filter(|result| !result.ok)
            .collect();
        assert!(failures.is_empty(), "{failures:#?}");
    }

    #[test]
    fn a_rule_yielding_neither_bool_nor_strings_is_an_evaluation_error() {
        let mut pack = Pack::default();
        let text = "rules:\n  - id: number\n    severity: low\n    action: warn\n    message: m\n    expression: '1 + 1'\n";
        pack.add_file(Path::new("p.yaml"), text).unwrap();
        let err = evaluate(&pack.rules, &Input::default(), Duration::from_secs(5));
        let message = format!("{:#}", err.unwrap_err());
        assert!(message.contains("`number`") && message.contains("not a bool"), "{message}");
    }

    #[test]
    fn deep_nesting_is_refused_before_the_parser_sees_it() {
        let deep = format!("{}true{}", "(".repeat(60), ")".repeat(60));
        let text = format!(
            "rules:\n  - id: deep\n    severity: low\n    action: warn\n    message: m\n    expression: '{deep}'\n"
        );
        let err = Pack::default().add_file(Path::new("p.yaml"), &text).unwrap_err().to_string();
        assert!(err.contains("60 levels deep"), "{err}");
        let edge = format!("{}true{}", "[".repeat(MAX_NESTING), "]".repeat(MAX_NESTING));
        let text = format!(
            "rules:\n  - id: edge\n    severity: low\n    action: warn\n    message: m\n    expression: '{edge} == {edge}'\n"
        );
        Pack::default().add_file(Path::new("p.yaml"), &text).unwrap();
        assert_eq!(nesting("f('(((', \"[\\\"\", {'a': [1]})"), 3);
    }

    #[test]
    fn long_chains_are_refused_however_flat_they_look() {
        let chain = vec!["1"; 1000].join("+");
        let text = format!(
            "rules:\n  - id: long\n    severity: low\n    action: warn\n    message: m\n    expression: '{chain} > 0'\n"
        );
        let err = Pack::default().add_file(Path::new("p.yaml"), &text).unwrap_err().to_string();
        assert!(err.contains("levels deep once parsed"), "{err}");
        let chain = vec!["1"; MAX_DEPTH - 8].join("+");
        let text = format!(
            "rules:\n  - id: long\n    severity: low\n    action: warn\n    message: m\n    expression: '{chain} > 0'\n"
        );
        let mut pack = Pack::default();
        pack.add_file(Path::new("p.yaml"), &text).unwrap();
        let outcomes = evaluate(&pack.rules, &Input::default(), Duration::from_secs(5)).unwrap();
        assert!(outcomes[0].passed);
    }

    #[test]
    fn the_default_pack_is_well_within_the_depth_limit() {
        for rule in Pack::default_pack().unwrap().rules {
            let program = rule.program.as_ref().expect("a loaded rule is compiled");
            let depth = references::unknown(program.expression(), &env()).depth;
            assert!(depth * 2 <= MAX_DEPTH, "rule `{}` is {depth} deep", rule.id);
        }
    }

    #[test]
    fn duplicate_rule_ids_are_rejected_naming_both_files() {
        let mut pack = Pack::default_pack().unwrap();
        let text = "rules:\n  - id: subnets-disjoint\n    severity: low\n    action: warn\n    message: m\n    expression: 'true'\n";
        let err = pack.add_file(Path::new("mine.yaml"), text).unwrap_err().to_string();
        assert!(err.contains("mine.yaml") && err.contains("policies/network.yaml"), "{err}");
    }

    mod scenario_10 {
        //! Rules a user might write, or mistype: the loader takes each or
        //! refuses it with a message naming the file, and a rule it takes
        //! runs on a real input to a result or an error naming the rule,
        //! never a crash of the parser or the evaluator.

        use proptest::prelude::*;
        use proptest::sample::select;
        use serde_json::json;

        use super::*;
        use crate::fuzz;

        const FIELDS: &[&str] =
            &["regions", "subnets", "name", "cidr", "tier", "zone", "nat", "mode", "public_ips"];
        const BINARY: &[&str] =
            &["+", "-", "*", "/", "%", "==", "!=", "<", "<=", ">", ">=", "&&", "||", "in"];
        const MACROS: &[&str] = &["all", "exists", "exists_one", "map", "filter"];
        const FUNCTIONS: &[&str] = &[
            "size",
            "has",
            "int",
            "uint",
            "double",
            "string",
            "bytes",
            "type",
            "cidrContains",
            "cidrOverlaps",
            "cidrPrefix",
            "cidrValid",
            "matches",
            "timestamp",
            "undefined",
        ];
        const METHODS: &[&str] = &[
            "contains",
            "startsWith",
            "endsWith",
            "size",
            "join",
            "split",
            "distinct",
            "flatten",
            "sort",
            "lowerAscii",
            "replace",
            "substring",
            "indexOf",
            "matches",
        ];

        /// A CEL expression, from literals and the rules' variables up
        /// through operators, macros, calls, lists and maps.
        fn expression() -> impl Strategy<Value = String> {
            let leaf = prop_oneof![
                "-?[0-9]{1,20}",
                "[0-9]{1,20}u",
                "[0-9]{1,5}\\.[0-9]{0,5}(e[+-]?[0-9]{1,3})?",
                "'[a-z0-9 ./*\\\\]{0,8}'",
                "\"[a-z0-9%\\\\]{0,8}\"",
                "b'[a-z]{0,4}'",
                "r'[a-z\\\\]{0,4}'",
                select(
                    &["true", "false", "null", "config", "facts", "plan", "permissions", "x"][..]
                )
                .prop_map(str::to_string),
            ];
            leaf.prop_recursive(5, 40, 4, |e| {
                prop_oneof![
                    (e.clone(), select(BINARY), e.clone())
                        .prop_map(|(a, op, b)| format!("{a} {op} {b}")),
                    (select(&["!", "-"][..]), e.clone()).prop_map(|(op, a)| format!("{op}{a}")),
                    (e.clone(), e.clone(), e.clone())
                        .prop_map(|(c, a, b)| format!("{c} ? {a} : {b}")),
                    (e.clone(), select(FIELDS)).prop_map(|(a, field)| format!("{a}.{field}")),
                    (e.clone(), e.clone()).prop_map(|(a, index)| format!("{a}[{index}]")),
                    (e.clone(), select(MACROS), e.clone())
                        .prop_map(|(a, name, body)| format!("{a}.{name}(x, {body})")),
                    (select(FUNCTIONS), prop::collection::vec(e.clone(), 0..3))
                        .prop_map(|(name, args)| format!("{name}({})", args.join(", "))),
                    (e.clone(), select(METHODS), prop::collection::vec(e.clone(), 0..2))
                        .prop_map(|(a, name, args)| format!("{a}.{name}({})", args.join(", "))),
                    prop::collection::vec(e.clone(), 0..4)
                        .prop_map(|items| format!("[{}]", items.join(", "))),
                    prop::collection::vec((e.clone(), e.clone()), 0..3).prop_map(|pairs| {
                        let pairs: Vec<String> =
                            pairs.iter().map(|(k, v)| format!("{k}: {v}")).collect();
                        format!("{{{}}}", pairs.join(", "))
                    }),
                    e.prop_map(|a| format!("({a})")),
                ]
            })
        }

        /// A policy file of one or two rules, each with an inline test.
        fn policy_file() -> impl Strategy<Value = String> {
            let expression = prop_oneof![6 => expression(), 1 => fuzz::text()];
            let id = prop_oneof![6 => "[a-z][a-z0-9-]{0,12}", 1 => fuzz::text()];
            let severity = prop_oneof![
                4 => select(&["critical", "high", "medium", "low"][..]).prop_map(str::to_string),
                1 => fuzz::text()
            ];
            let expect = select(&["pass", "fail"][..]);
            let input = prop::option::of(fuzz::json());
            let rule = (id, severity, any::<bool>(), expression, expect, input).prop_map(
                |(id, severity, deny, expression, expect, input)| {
                    let mut test = json!({"name": "generated", "expect": expect});
                    if let Some(plan) = input {
                        test["input"] = json!({"plan": plan});
                    }
                    json!({
                        "id": id,
                        "severity": severity,
                        "action": if deny { "deny" } else { "warn" },
                        "message": "generated",
                        "expression": expression,
                        "tests": [test],
                    })
                },
            );
            prop::collection::vec(rule, 1..3)
                .prop_map(|rules| serde_norway::to_string(&json!({ "rules": rules })).unwrap())
        }

        /// The input the rules see for the seed config on the fixture facts.
        fn input() -> Input {
            let facts: serde_json::Value =
                serde_json::from_str(include_str!("../../../tests/fixtures/facts.json")).unwrap();
            let regions: serde_json::Map<_, _> = facts["regions"]
                .as_array()
                .unwrap()
                .iter()
                .map(|region| (region["region"].as_str().unwrap().to_string(), region.clone()))
                .collect();
            Input {
                config: json!({"name": "fuzz", "public_ips": false, "regions": ["us-east-1"]}),
                facts: json!({ "regions": regions }),
                plan: json!({"regions": [
                    {"region": "us-east-1", "subnets": [], "nat": {"mode": "regional"}}
                ]}),
                permissions: json!(["ec2:CreateVpc"]),
            }
        }

        fn loads_and_runs(text: &str) -> Result<(), TestCaseError> {
            let mut pack = Pack::default();
            if let Err(err) = pack.add_file(Path::new("rules.yaml"), text) {
                let message = err.to_string();
                prop_assert_eq!(crate::error::kind_of(&err), "bad-input");
                prop_assert!(message.contains("`rules.yaml`"), "{}", message);
                prop_assert!(!message.contains("crashed the parser"), "{}", message);
                return Ok(());
            }
            let budget = Duration::from_secs(2);
            for result in run_tests(&pack, budget) {
                let problem = result.problem.unwrap_or_default();
                prop_assert!(!problem.contains("stopped unexpectedly"), "{}", problem);
            }
            if let Err(err) = evaluate(&pack.rules, &input(), budget) {
                prop_assert_eq!(crate::error::kind_of(&err), "policy-error");
                prop_assert!(!err.to_string().contains("stopped unexpectedly"), "{:#}", err);
            }
            Ok(())
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(384))]

            #[test]
            fn scenario_10_policy_loader_survives_random_rules(text in policy_file()) {
                loads_and_runs(&text)?;
            }

            #[test]
            fn scenario_10_policy_loader_survives_edited_packs(
                text in fuzz::mutated(DEFAULT_PACK[1].1.to_string())
            ) {
                loads_and_runs(&text)?;
            }
        }
    }
}
