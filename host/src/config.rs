//! The user's config: dstack's AWS backend block plus `vpc_autocreated`.
//!
//! ```yaml
//! type: aws
//! public_ips: false
//! vpc_autocreated: true
//! regions: [us-east-1, eu-north-1, us-west-2]
//! tags: { team: ml }
//! creds:
//!   type: default
//! plugin_params: { nat: per-az }
//! ```
//!
//! Unknown keys, wrong types and unknown region names are errors that name the
//! file, the key and the line.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use anyhow::Result;
use serde::{Deserialize, Serialize};

use crate::error::bad_input;
use crate::regions;

/// A parsed and checked config.
#[derive(Debug, Clone)]
pub struct Config {
    /// The file it came from, for messages.
    pub path: PathBuf,
    /// Whether dstack gives instances public IPs (dstack's default: true).
    pub public_ips: bool,
    /// The regions that should hold a managed VPC, in config order.
    pub regions: Vec<String>,
    /// Tags for every managed resource.
    pub tags: BTreeMap<String, String>,
    /// How to reach AWS.
    pub creds: Creds,
    /// Plugin parameters from the config's `plugin_params`.
    pub params: BTreeMap<String, String>,
}

/// How the host authenticates to AWS, as in dstack's `creds` block.
#[derive(Clone, Default, PartialEq, Eq)]
pub enum Creds {
    /// AWS's standard chain: environment, profiles, SSO, instance role.
    #[default]
    Default,
    /// A static access key written in the config.
    AccessKey {
        /// The access key ID.
        access_key: String,
        /// The secret access key; never printed or logged.
        secret_key: String,
    },
}

impl Creds {
    /// Reads a `creds` block. Its messages name keys but never echo a value,
    /// since any value here may be a secret.
    fn from_yaml(value: &serde_norway::Value) -> Result<Creds, String> {
        let Some(block) = value.as_mapping() else {
            return Err("`creds` must be a mapping with a `type` key".to_string());
        };
        let field = |key: &str| block.get(key);
        let text = |key: &str| match field(key) {
            Some(serde_norway::Value::String(text)) if !text.is_empty() => Ok(text.clone()),
            Some(_) => Err(format!("`creds.{key}` must be a non-empty string")),
            None => Err(format!("`creds.{key}` is missing")),
        };
        let (creds, allowed): (Creds, &[&str]) = match field("type").and_then(|t| t.as_str()) {
            Some("default") => (Creds::Default, &["type"]),
            Some("access_key") => {
                let creds = Creds::AccessKey {
                    access_key: text("access_key")?,
                    secret_key: text("secret_key")?,
                };
                (creds, &["type", "access_key", "secret_key"])
            }
            Some(other) if other.len() <= 32 => {
                return Err(format!("`creds.type` is `{other}`; use `default` or `access_key`"));
            }
            _ => return Err("`creds.type` must be `default` or `access_key`".to_string()),
        };
        for key in block.keys() {
            match key.as_str() {
                Some(key) if allowed.contains(&key) => {}
                Some(key) => return Err(format!("`creds` has unknown key `{key}`")),
                None => return Err("`creds` keys must be strings".to_string()),
            }
        }
        Ok(creds)
    }

    /// The credential type as dstack names it, which is safe to show.
    pub fn kind(&self) -> &'static str {
        match self {
            Creds::Default => "default",
            Creds::AccessKey { .. } => "access_key",
        }
    }
}

impl fmt::Debug for Creds {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Creds::Default => f.write_str("Default"),
            Creds::AccessKey { .. } => f.write_str("AccessKey { .. }"),
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    #[serde(rename = "type")]
    backend: Backend,
    #[serde(default)]
    public_ips: Option<bool>,
    #[serde(default)]
    vpc_autocreated: Option<bool>,
    #[serde(default)]
    regions: Option<Vec<String>>,
    #[serde(default)]
    tags: BTreeMap<String, serde_norway::Value>,
    #[serde(default)]
    creds: Option<serde_norway::Value>,
    #[serde(default)]
    plugin_params: BTreeMap<String, serde_norway::Value>,
}

#[derive(Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
enum Backend {
    Aws,
}

impl Config {
    /// Reads and checks the config at `path`.
    pub fn load(path: &Path) -> Result<Config> {
        let text = std::fs::read_to_string(path)
            .map_err(|err| bad_input(format!("cannot read config `{}`: {err}", path.display())))?;
        Config::parse(&text, path)
    }

    /// Parses and checks config text; `path` only names it in messages.
    pub fn parse(text: &str, path: &Path) -> Result<Config> {
        let shown = path.display();
        // Editors on Windows start files with a byte-order mark; YAML allows it.
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let raw: RawConfig = serde_norway::from_str(text)
            .map_err(|err| bad_input(format!("config `{shown}`: {err}")))?;
        let origin = Origin::File { shown: format!("config `{shown}`"), text };
        Config::checked(raw, path, &origin)
    }

    /// The config of one project's aws backend in dstack's server config:
    /// `regions`, `public_ips`, `tags` and `creds` mean what they mean to
    /// dstack, and the backend's other keys are dstack's alone. `origin` names
    /// the backend in messages.
    pub fn from_dstack_backend(
        backend: &serde_norway::Mapping,
        path: &Path,
        origin: &str,
    ) -> Result<Config> {
        use serde_norway::Value;
        let read: serde_norway::Mapping = backend
            .iter()
            .filter(|(key, _)| key.as_str().is_some_and(|key| DSTACK_KEYS.contains(&key)))
            .map(|(key, value)| (key.clone(), value.clone()))
            .collect();
        let raw: RawConfig = serde_norway::from_value(Value::Mapping(read))
            .map_err(|err| bad_input(format!("{origin}: {err}")))?;
        Config::checked(raw, path, &Origin::Backend { shown: origin.to_string() })
    }

    fn checked(raw: RawConfig, path: &Path, origin: &Origin) -> Result<Config> {
        let Backend::Aws = raw.backend;
        if raw.vpc_autocreated == Some(false) {
            return Err(origin.error(
                None,
                "`vpc_autocreated` is false, so there is nothing for host to manage; set it to true or leave it out",
            ));
        }
        let regions = match raw.regions {
            Some(list) => checked_regions(list, origin)?,
            None => regions::DSTACK_DEFAULT.iter().map(|r| r.to_string()).collect(),
        };
        let at_key = |key: &'static str| move |message: String| origin.error(Some(key), &message);
        let tags = scalars(raw.tags, "tags").map_err(at_key("tags"))?;
        let params =
            scalars(raw.plugin_params, "plugin_params").map_err(at_key("plugin_params"))?;
        check_tags(&tags).map_err(at_key("tags"))?;
        let creds = match &raw.creds {
            Some(value) => Creds::from_yaml(value).map_err(at_key("creds"))?,
            None => Creds::Default,
        };
        Ok(Config {
            path: path.to_path_buf(),
            public_ips: raw.public_ips.unwrap_or(true),
            regions,
            tags,
            creds,
            params,
        })
    }
}

/// The keys of dstack's aws backend that host reads.
const DSTACK_KEYS: [&str; 5] = ["type", "regions", "public_ips", "tags", "creds"];

/// Where a config's keys were written, for messages.
enum Origin<'a> {
    /// host's own config file, whose text gives each key its line.
    File { shown: String, text: &'a str },
    /// A backend inside another file, named as a whole.
    Backend { shown: String },
}

impl Origin<'_> {
    /// A bad-input error about `key`, naming its line where it has one.
    fn error(&self, key: Option<&str>, message: &str) -> anyhow::Error {
        let line = match (self, key) {
            (Origin::File { text, .. }, Some(key)) => key_line(text, key),
            _ => None,
        };
        self.error_at(line, message)
    }

    fn error_at(&self, line: Option<usize>, message: &str) -> anyhow::Error {
        let (Origin::File { shown, .. } | Origin::Backend { shown }) = self;
        let line = line.map_or(String::new(), |n| format!(" (line {n})"));
        bad_input(format!("{shown}{line}: {message}"))
    }
}

fn checked_regions(list: Vec<String>, origin: &Origin) -> Result<Vec<String>> {
    let mut regions: Vec<String> = Vec::with_capacity(list.len());
    let mut lines = match origin {
        Origin::File { text, .. } => Some(RegionLines::new(text)),
        Origin::Backend { .. } => None,
    };
    for code in list {
        let line = lines.as_mut().map(|lines| lines.next(&code));
        if !regions::is_known(&code) {
            return Err(origin.error_at(
                line,
                &format!(
                    "`regions`: unknown region `{code}`; regions are written like `us-east-1`"
                ),
            ));
        }
        if regions.contains(&code) {
            return Err(origin.error_at(line, &format!("`regions`: `{code}` is listed twice")));
        }
        regions.push(code);
    }
    Ok(regions)
}

/// Finds the line of each entry of `regions`, in order. The YAML parser has
/// already accepted the file, so each code stands as a whole word after the
/// `regions` key and after the previous entry, on its line or a later one.
struct RegionLines<'a> {
    lines: Vec<&'a str>,
    line: usize,
    column: usize,
}

impl<'a> RegionLines<'a> {
    fn new(text: &'a str) -> RegionLines<'a> {
        let lines: Vec<&str> = text.lines().collect();
        let line = key_line(text, "regions").map_or(0, |n| n - 1);
        let column = lines.get(line).and_then(|l| l.find(':')).map_or(0, |c| c + 1);
        RegionLines { lines, line, column }
    }

    /// The 1-based line of the next entry, `code`.
    fn next(&mut self, code: &str) -> usize {
        let word = if code.is_empty() { "\"\"" } else { code };
        for n in self.line..self.lines.len() {
            let from = if n == self.line { self.column } else { 0 };
            if let Some(at) = find_word(&self.lines[n][from.min(self.lines[n].len())..], word) {
                self.line = n;
                self.column = from + at + word.len();
                return n + 1;
            }
        }
        self.line + 1
    }
}

/// Where `word` stands in `line` with no letter, digit or `-` on either side.
fn find_word(line: &str, word: &str) -> Option<usize> {
    let part = |c: char| c.is_ascii_alphanumeric() || c == '-';
    line.match_indices(word).map(|(at, _)| at).find(|&at| {
        let before = line[..at].chars().next_back().is_none_or(|c| !part(c));
        let after = line[at + word.len()..].chars().next().is_none_or(|c| !part(c));
        before && after
    })
}

/// The 1-based line of a top-level `key:`.
fn key_line(text: &str, key: &str) -> Option<usize> {
    let prefix = format!("{key}:");
    text.lines().position(|line| line.starts_with(&prefix)).map(|n| n + 1)
}

/// Tags reserved for the host's own bookkeeping, which the user may not set.
pub const RESERVED_TAG_PREFIX: &str = "host:";

/// The values of a string map, where YAML numbers and booleans stand for their
/// text (`version: 2`) and anything else, a missing value included, is an error.
fn scalars(
    map: BTreeMap<String, serde_norway::Value>,
    section: &str,
) -> std::result::Result<BTreeMap<String, String>, String> {
    use serde_norway::Value;
    map.into_iter()
        .map(|(key, value)| {
            let text = match value {
                Value::String(text) => text,
                Value::Number(number) => number.to_string(),
                Value::Bool(flag) => flag.to_string(),
                Value::Null => {
                    return Err(format!(
                        "`{section}.{key}` has no value; write `{key}: \"\"` for an empty one"
                    ));
                }
                _ => return Err(format!("`{section}.{key}` must be a string")),
            };
            Ok((key, text))
        })
        .collect()
}

/// The same rules as for a plan's tags, so a config tag never fails later as a
/// plugin's fault.
fn check_tags(tags: &BTreeMap<String, String>) -> std::result::Result<(), String> {
    for (key, value) in tags {
        crate::plan::check_tag(key, value).map_err(|problem| format!("`tags`: {problem}"))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Config> {
        Config::parse(text, Path::new("c.yml"))
    }

    #[test]
    fn seed_config_parses() {
        let config =
            parse("type: aws\npublic_ips: false\nvpc_autocreated: true\nregions: [us-east-1, eu-north-1]\ncreds:\n  type: default\n")
                .unwrap();
        assert!(!config.public_ips);
        assert_eq!(config.regions, ["us-east-1", "eu-north-1"]);
        assert_eq!(config.creds, Creds::Default);
    }

    #[test]
    fn missing_regions_means_dstack_defaults_and_empty_means_none() {
        assert_eq!(parse("type: aws\n").unwrap().regions.len(), regions::DSTACK_DEFAULT.len());
        assert!(parse("type: aws\nregions: []\n").unwrap().regions.is_empty());
    }

    #[test]
    fn unknown_key_names_key_and_line() {
        let err = parse("type: aws\npublic_ip: false\n").unwrap_err().to_string();
        assert!(
            err.contains("`c.yml`") && err.contains("public_ip") && err.contains("line 2"),
            "{err}"
        );
    }

    #[test]
    fn wrong_type_names_line() {
        let err = parse("type: aws\npublic_ips: maybe\n").unwrap_err().to_string();
        assert!(err.contains("public_ips") && err.contains("line 2"), "{err}");
    }

    #[test]
    fn unknown_region_names_region_and_line() {
        let err =
            parse("type: aws\nregions:\n  - us-east-1\n  - us-east1\n").unwrap_err().to_string();
        assert!(err.contains("`us-east1`") && err.contains("line 4"), "{err}");
    }

    #[test]
    fn region_lines_follow_the_list_not_other_mentions() {
        let text = "type: aws\n# us-east-2 is cheap\nregions:\n  - us-east-1\n  - us-east-1x\ntags: { note: us-east-1x }\n";
        let err = parse(text).unwrap_err().to_string();
        assert!(err.contains("(line 5)") && err.contains("`us-east-1x`"), "{err}");
        let flow = "type: aws\nregions: [eu-west-1, eu-west-1]\n";
        assert!(parse(flow).unwrap_err().to_string().contains("(line 2)"));
        let adjacent = "type: aws\nregions:\n  - eu-north-1\n  - eu-north-1\n";
        assert!(parse(adjacent).unwrap_err().to_string().contains("(line 4)"));
        let empty = "type: aws\nregions:\n  - us-east-1\n  - \"\"\n";
        assert!(parse(empty).unwrap_err().to_string().contains("(line 4)"));
        let creds = "type: aws\ncreds:\n  type: access_key\n";
        assert!(parse(creds).unwrap_err().to_string().contains("(line 2)"));
    }

    #[test]
    fn creds_errors_never_echo_a_value() {
        for creds in [
            "creds:\n  type: access_key\n  access_key: AKIAEXAMPLE\n  secret_key: 123456789\n",
            "creds: s3cr3t-123456789\n",
            "creds: [access_key, AKIAEXAMPLE, 123456789]\n",
            "creds:\n  type: access_key\n  access_key: AKIAEXAMPLE\n",
            "creds:\n  type: 123456789\n",
        ] {
            let err = parse(&format!("type: aws\n{creds}")).unwrap_err().to_string();
            assert!(err.contains("`creds"), "{err}");
            assert!(!err.contains("123456789") && !err.contains("AKIA"), "{err}");
        }
    }

    #[test]
    fn tag_and_parameter_values_are_strings_numbers_or_booleans() {
        let config = parse("type: aws\ntags: { version: 2, on: true, team: ml }\n").unwrap();
        assert_eq!(config.tags["version"], "2");
        assert_eq!(config.tags["on"], "true");
        let err = parse("type: aws\ntags: { team: }\n").unwrap_err().to_string();
        assert!(err.contains("`tags.team` has no value"), "{err}");
        let err = parse("type: aws\nplugin_params: { nat: [a] }\n").unwrap_err().to_string();
        assert!(err.contains("`plugin_params.nat` must be a string"), "{err}");
    }

    #[test]
    fn a_byte_order_mark_is_ignored() {
        assert!(!parse("\u{feff}type: aws\npublic_ips: false\n").unwrap().public_ips);
    }

    #[test]
    fn access_key_secret_is_not_in_debug_output() {
        let text = "type: aws\ncreds:\n  type: access_key\n  access_key: AKIAEXAMPLE\n  secret_key: s3cr3t\n";
        let config = parse(text).unwrap();
        assert!(!format!("{config:?}").contains("s3cr3t"));
    }

    #[test]
    fn reserved_tags_are_rejected() {
        let err = parse("type: aws\ntags:\n  host:owner: me\n").unwrap_err().to_string();
        assert!(err.contains("host:owner"), "{err}");
    }

    mod scenario_10 {
        use proptest::prelude::*;
        use serde_norway::{Mapping, Value};

        use super::*;
        use crate::fuzz;

        const FULL: &str = "\u{feff}# dstack's backend\ntype: aws\npublic_ips: false\nvpc_autocreated: true\nregions: [us-east-1, eu-north-1, \"us-west-2\"]\ntags: { team: ml, cost-center: \"42\" }\ncreds:\n  type: access_key\n  access_key: AKIAEXAMPLE\n  secret_key: c2VjcmV0\nplugin_params:\n  nat: per-az\n  cidr_base: 10.0.0.0/8\n";

        /// A region code, known or not.
        fn region() -> impl Strategy<Value = Value> {
            prop_oneof![prop::sample::select(regions::KNOWN).prop_map(Value::from), fuzz::yaml()]
        }

        fn text_map() -> impl Strategy<Value = Value> {
            prop::collection::vec((fuzz::text(), fuzz::text()), 0..4).prop_map(|pairs| {
                Value::Mapping(pairs.into_iter().map(|(k, v)| (k.into(), v.into())).collect())
            })
        }

        fn creds() -> impl Strategy<Value = Value> {
            let kind =
                prop_oneof![Just("default".to_string()), Just("access_key".into()), fuzz::text()];
            let key = || prop::option::of(fuzz::yaml());
            (kind, key(), key()).prop_map(|(kind, access, secret)| {
                let mut block = Mapping::new();
                block.insert("type".into(), kind.into());
                access.map(|value| block.insert("access_key".into(), value));
                secret.map(|value| block.insert("secret_key".into(), value));
                Value::Mapping(block)
            })
        }

        /// A config document whose every key is absent, well formed or any
        /// YAML value, with an unknown key now and then.
        fn document() -> impl Strategy<Value = String> {
            let field = |key: &'static str, good: BoxedStrategy<Value>| {
                let any = fuzz::yaml().prop_map(Some);
                let value = prop_oneof![1 => Just(None), 6 => good.prop_map(Some), 1 => any];
                value.prop_map(move |value| value.map(|value| (Value::from(key), value)))
            };
            let fields = (
                field("type", Just(Value::from("aws")).boxed()),
                field("public_ips", any::<bool>().prop_map(Value::Bool).boxed()),
                field("vpc_autocreated", any::<bool>().prop_map(Value::Bool).boxed()),
                field(
                    "regions",
                    prop::collection::vec(region(), 0..5).prop_map(Value::Sequence).boxed(),
                ),
                field("tags", text_map().boxed()),
                field("creds", creds().boxed()),
                field("plugin_params", text_map().boxed()),
                prop::option::of((fuzz::text().prop_map(Value::from), fuzz::yaml())),
            );
            fields.prop_map(|(a, b, c, d, e, f, g, h)| {
                let pairs = [a, b, c, d, e, f, g, h].into_iter().flatten();
                serde_norway::to_string(&Value::Mapping(pairs.collect())).unwrap()
            })
        }

        /// Parsing either gives a config or a bad-input error naming the file.
        fn parses_or_names_the_file(text: &str) -> Result<(), TestCaseError> {
            if let Err(err) = parse(text) {
                prop_assert_eq!(crate::error::kind_of(&err), "bad-input");
                prop_assert!(err.to_string().contains("`c.yml`"), "{}", err);
            }
            Ok(())
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(512))]

            #[test]
            fn scenario_10_config_parser_survives_random_documents(text in document()) {
                parses_or_names_the_file(&text)?;
            }

            #[test]
            fn scenario_10_config_parser_survives_edited_configs(
                text in fuzz::mutated(FULL.to_string())
            ) {
                parses_or_names_the_file(&text)?;
            }

            #[test]
            fn scenario_10_config_parser_survives_any_text(text in fuzz::text()) {
                parses_or_names_the_file(&text)?;
            }
        }

        #[test]
        fn the_edited_config_starts_valid() {
            let config = parse(FULL).unwrap();
            assert_eq!(config.regions, ["us-east-1", "eu-north-1", "us-west-2"]);
            assert_eq!(config.params["nat"], "per-az");
        }
    }
}
