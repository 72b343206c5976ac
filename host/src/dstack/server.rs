//! dstack's server config, `~/.dstack/server/config.yml`. host can take its
//! config from one project's aws backend there, and after a change it shows,
//! and with `--write` makes, the edit that points that backend at the managed
//! VPCs. Only the keys host owns change: `vpc_ids`, `default_vpcs`, and
//! `vpc_name`, which dstack does not take beside `vpc_ids`. Every other byte,
//! comments included, stays as it was.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result};
use serde_norway::{Mapping, Value};
use yamlpatch::{Op, Patch};
use yamlpath::{Component, Document, Route};

use crate::config::Config;
use crate::error::bad_input;

/// The keys of the backend that host writes.
const VPC_IDS: &str = "vpc_ids";
const DEFAULT_VPCS: &str = "default_vpcs";
const VPC_NAME: &str = "vpc_name";

/// A dstack server config, read, with the project's aws backend found in it.
#[derive(Debug)]
pub struct ServerConfig {
    /// The file, as the user named it.
    pub path: PathBuf,
    /// The project whose aws backend host uses.
    pub project: String,
    text: String,
    /// The project's index in `projects`, and the backend's in its `backends`.
    at: (usize, usize),
    backend: Mapping,
}

impl ServerConfig {
    /// Reads `path` and finds the aws backend of `project` in it.
    pub fn load(path: &Path, project: &str) -> Result<ServerConfig> {
        let shown = format!("dstack config `{}`", path.display());
        let text = std::fs::read_to_string(path)
            .map_err(|err| bad_input(format!("cannot read {shown}: {err}")))?;
        let document: Value =
            serde_norway::from_str(&text).map_err(|err| bad_input(format!("{shown}: {err}")))?;
        let Some(projects) = document.get("projects").and_then(Value::as_sequence) else {
            return Err(bad_input(format!(
                "{shown} has no `projects` list, where dstack's server config keeps its projects"
            )));
        };
        let name_of = |entry: &Value| entry.get("name").and_then(Value::as_str).map(str::to_string);
        let Some(p) = projects.iter().position(|entry| name_of(entry).as_deref() == Some(project))
        else {
            let names: Vec<String> =
                projects.iter().filter_map(name_of).map(|name| format!("`{name}`")).collect();
            let known = if names.is_empty() { "none".to_string() } else { names.join(", ") };
            return Err(bad_input(format!(
                "{shown} has no project `{project}` (its projects: {known}); pick one with `--project`"
            )));
        };
        let backends = projects[p].get("backends").and_then(Value::as_sequence);
        let aws: Vec<(usize, &Mapping)> = backends
            .into_iter()
            .flatten()
            .enumerate()
            .filter_map(|(b, entry)| Some((b, entry.as_mapping()?)))
            .filter(|(_, entry)| entry.get("type").and_then(Value::as_str) == Some("aws"))
            .collect();
        let (b, backend) = match aws.as_slice() {
            [one] => *one,
            [] => {
                return Err(bad_input(format!(
                    "{shown}: project `{project}` has no `type: aws` entry under `backends`; add one with the `regions` and `creds` to use"
                )));
            }
            _ => {
                return Err(bad_input(format!(
                    "{shown}: project `{project}` has {} `type: aws` backends; dstack uses one per project",
                    aws.len()
                )));
            }
        };
        Ok(ServerConfig {
            path: path.to_path_buf(),
            project: project.to_string(),
            at: (p, b),
            backend: backend.clone(),
            text,
        })
    }

    /// The config the backend's `regions`, `public_ips`, `tags` and `creds` make.
    pub fn config(&self) -> Result<Config> {
        let origin = format!(
            "dstack config `{}`, project `{}`, aws backend",
            self.path.display(),
            self.project
        );
        Config::from_dstack_backend(&self.backend, &self.path, &origin)
    }

    /// The edit that points the backend at the VPCs of `block` (as
    /// `dstack::backend` makes it), or, with none, at no managed VPC at all.
    pub fn edit(&self, block: Option<&serde_json::Value>) -> Result<Edit> {
        let route = Route::from(vec![
            Component::from("projects"),
            Component::from(self.at.0),
            Component::from("backends"),
            Component::from(self.at.1),
        ]);
        let has = |key: &str| self.backend.contains_key(key);
        let remove = |key: &'static str| {
            has(key).then(|| Patch { route: route.with_key(key), operation: Op::Remove })
        };
        let patches: Vec<Patch> = match block.and_then(|block| block.get(VPC_IDS)) {
            Some(ids) => {
                let ids: Mapping = serde_norway::from_value(serde_norway::to_value(ids)?)?;
                let mut patches = self.vpc_id_patches(&route, &ids)?;
                if self.backend.get(DEFAULT_VPCS) != Some(&Value::Bool(false)) {
                    patches.extend(remove(DEFAULT_VPCS));
                    let value = yaml_serde::Value::Bool(false);
                    let add = Op::Add { key: DEFAULT_VPCS.to_string(), value };
                    patches.push(Patch { route: route.clone(), operation: add });
                }
                patches.extend(remove(VPC_NAME));
                patches
            }
            None => [remove(VPC_IDS), remove(DEFAULT_VPCS)].into_iter().flatten().collect(),
        };
        let after = if patches.is_empty() {
            self.text.clone()
        } else {
            let document = Document::new(self.text.clone()).map_err(|err| self.cannot(&err))?;
            let patched = yamlpatch::apply_yaml_patches(&document, &patches)
                .map_err(|err| self.cannot(&err))?;
            let after = patched.source().to_string();
            self.check(&after, block)?;
            after
        };
        Ok(Edit { path: self.path.clone(), before: self.text.clone(), after })
    }

    /// The patches that make the backend's `vpc_ids` hold `ids`. An existing
    /// mapping is edited entry by entry, new and changed entries first, so the
    /// diff shows just the regions whose VPC changed.
    fn vpc_id_patches(&self, route: &Route<'static>, ids: &Mapping) -> Result<Vec<Patch<'static>>> {
        let at = route.with_key(VPC_IDS);
        let whole = |value: &Mapping| -> Result<Patch<'static>> {
            let value = yaml_serde::to_value(value)?;
            Ok(Patch {
                route: route.clone(),
                operation: Op::Add { key: VPC_IDS.to_string(), value },
            })
        };
        let Some(Value::Mapping(old)) = self.backend.get(VPC_IDS) else {
            let mut patches = Vec::new();
            if self.backend.contains_key(VPC_IDS) {
                patches.push(Patch { route: at.clone(), operation: Op::Remove });
            }
            patches.push(whole(ids)?);
            return Ok(patches);
        };
        let mut patches = Vec::new();
        for (region, id) in ids {
            let (Some(key), Some(id)) = (region.as_str(), id.as_str()) else { continue };
            let value = yaml_serde::Value::String(id.to_string());
            match old.get(region) {
                Some(existing) if existing == &Value::from(id) => {}
                Some(_) => patches.push(Patch {
                    route: at.with_key(key.to_string()),
                    operation: Op::Replace(value),
                }),
                None => patches.push(Patch {
                    route: at.clone(),
                    operation: Op::Add { key: key.to_string(), value },
                }),
            }
        }
        for region in old.keys().filter(|region| !ids.contains_key(*region)) {
            if let Some(key) = region.as_str() {
                patches.push(Patch { route: at.with_key(key.to_string()), operation: Op::Remove });
            }
        }
        Ok(patches)
    }

    /// Checks that `after` is the document host meant to make: the one read,
    /// with only the backend's own keys changed.
    fn check(&self, after: &str, block: Option<&serde_json::Value>) -> Result<()> {
        let mut expected: Value = serde_norway::from_str(&self.text)?;
        let backend = expected["projects"][self.at.0]["backends"][self.at.1]
            .as_mapping_mut()
            .context("the backend was read as a mapping")?;
        backend.remove(VPC_IDS);
        backend.remove(DEFAULT_VPCS);
        if let Some(ids) = block.and_then(|block| block.get(VPC_IDS)) {
            backend.remove(VPC_NAME);
            backend.insert(VPC_IDS.into(), serde_norway::to_value(ids)?);
            backend.insert(DEFAULT_VPCS.into(), Value::Bool(false));
        }
        match serde_norway::from_str::<Value>(after) {
            Ok(made) if made == expected => Ok(()),
            _ => Err(self.cannot(&"the edited text did not read back as intended")),
        }
    }

    fn cannot(&self, err: &dyn std::fmt::Display) -> anyhow::Error {
        bad_input(format!(
            "cannot edit dstack config `{}` without disturbing the rest of it: {err}; set the backend's `vpc_ids` by hand from the block above",
            self.path.display()
        ))
    }
}

/// A change to a dstack server config, shown as a diff and made with `write`.
#[derive(Debug)]
pub struct Edit {
    /// The file.
    pub path: PathBuf,
    before: String,
    after: String,
}

impl Edit {
    /// Whether the file already says what it should.
    pub fn is_empty(&self) -> bool {
        self.before == self.after
    }

    /// The change as a unified diff, empty when there is none. host writes no
    /// secret, but the lines around its change may hold one (the backend's
    /// `creds` often end it), so context lines whose key looks secret show
    /// `<hidden>` for their value.
    pub fn diff(&self) -> String {
        if self.is_empty() {
            return String::new();
        }
        let shown = self.path.display().to_string();
        let diff = similar::TextDiff::from_lines(&self.before, &self.after);
        let mut out = String::new();
        for hunk in diff.unified_diff().context_radius(2).header(&shown, &shown).iter_hunks() {
            let _ = writeln!(out, "{}", hunk.header());
            for change in hunk.iter_changes() {
                let line = change.value();
                let line = match change.tag() {
                    similar::ChangeTag::Equal => hidden(line),
                    _ => line.to_string(),
                };
                out.push_str(&format!("{}{line}", change.tag()));
                if !line.ends_with('\n') {
                    out.push('\n');
                }
            }
        }
        format!("--- {shown}\n+++ {shown}\n{out}")
    }

    /// Where `write` keeps the file as it was.
    pub fn backup_path(&self) -> PathBuf {
        let mut name = self.path.file_name().unwrap_or_default().to_os_string();
        name.push(".bak");
        self.path.with_file_name(name)
    }

    /// Makes the change: the file as it was goes to `backup_path`, and the new
    /// text replaces the file whole (a crash leaves the old file or the new
    /// one, never half of each), with the old one's permissions. Refuses if the
    /// file changed since host read it.
    pub fn write(&self) -> Result<PathBuf> {
        let shown = self.path.display();
        let target = std::fs::canonicalize(&self.path)
            .with_context(|| format!("cannot find dstack config `{shown}`"))?;
        let now = std::fs::read_to_string(&target)
            .with_context(|| format!("cannot read dstack config `{shown}`"))?;
        if now != self.before {
            return Err(bad_input(format!(
                "dstack config `{shown}` changed while host ran, so it was left as it is; run again to see the change against the new file"
            )));
        }
        let backup = self.backup_path();
        std::fs::copy(&target, &backup).with_context(|| {
            format!("cannot keep a backup of `{shown}` in `{}`", backup.display())
        })?;
        let directory = target.parent().unwrap_or(Path::new("."));
        let mut file = tempfile::NamedTempFile::new_in(directory)
            .with_context(|| format!("cannot write next to `{shown}`"))?;
        file.write_all(self.after.as_bytes())?;
        let permissions = std::fs::metadata(&target)?.permissions();
        std::fs::set_permissions(file.path(), permissions)?;
        file.persist(&target).with_context(|| format!("cannot replace `{shown}`"))?;
        Ok(backup)
    }
}

/// A line with everything after its first `:` hidden when a word on it names a
/// secret (a flow mapping can put a key and its secret on one line).
fn hidden(line: &str) -> String {
    let Some((key, value)) = line.split_once(':') else { return line.to_string() };
    let lower = line.to_ascii_lowercase();
    let secret = ["secret", "key", "token", "password", "data", "credential"]
        .iter()
        .any(|word| lower.contains(word));
    if secret && !value.trim().is_empty() {
        let end = if line.ends_with('\n') { "\n" } else { "" };
        format!("{key}: <hidden>{end}")
    } else {
        line.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const SERVER: &str = "\
# dstack server config, kept by hand
projects:
- name: main
  backends:
  # the GPU clouds
  - type: gcp
    project_id: my-project
    creds:
      type: default
  - type: aws   # host's VPCs
    regions: [us-east-1, eu-north-1]
    public_ips: false
    iam_instance_profile: dstack-instance
    tags:
      team: ml
    creds:
      type: default
- name: other
  backends: []
encryption:
  keys: []
";

    fn loaded(text: &str, project: &str) -> Result<ServerConfig> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.yml");
        std::fs::write(&path, text).unwrap();
        ServerConfig::load(&path, project)
    }

    fn block(ids: serde_json::Value) -> serde_json::Value {
        json!({ "type": "aws", "vpc_ids": ids, "default_vpcs": false })
    }

    #[test]
    fn the_projects_aws_backend_gives_the_config_and_its_other_keys_are_dstacks() {
        let server = loaded(SERVER, "main").unwrap();
        let config = server.config().unwrap();
        assert_eq!(config.regions, ["us-east-1", "eu-north-1"]);
        assert!(!config.public_ips);
        assert_eq!(config.tags.get("team").map(String::as_str), Some("ml"));
        assert!(config.params.is_empty());
    }

    #[test]
    fn the_edit_adds_vpc_ids_and_keeps_every_other_line() {
        let server = loaded(SERVER, "main").unwrap();
        let edit = server
            .edit(Some(&block(json!({ "us-east-1": "vpc-1", "eu-north-1": "vpc-2" }))))
            .unwrap();
        let after = edit.after.clone();
        let parsed: Value = serde_norway::from_str(&after).unwrap();
        let aws = &parsed["projects"][0]["backends"][1];
        assert_eq!(aws["vpc_ids"]["us-east-1"], Value::from("vpc-1"));
        assert_eq!(aws["vpc_ids"]["eu-north-1"], Value::from("vpc-2"));
        assert_eq!(aws["default_vpcs"], Value::Bool(false));
        assert_eq!(aws["iam_instance_profile"], Value::from("dstack-instance"));
        for line in SERVER.lines() {
            assert!(after.contains(line), "`{line}` was lost:\n{after}");
        }
        let diff = edit.diff();
        assert!(diff.lines().filter(|l| l.starts_with('-') && !l.starts_with("---")).count() == 0);
        assert!(diff.contains("+    vpc_ids:") || diff.contains("+    vpc_ids: {"), "{diff}");
    }

    #[test]
    fn an_edit_already_made_is_empty_and_changing_ids_replaces_them() {
        let server = loaded(SERVER, "main").unwrap();
        let first = server.edit(Some(&block(json!({ "us-east-1": "vpc-1" })))).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.yml");
        std::fs::write(&path, &first.after).unwrap();
        let again = ServerConfig::load(&path, "main").unwrap();
        assert!(again.edit(Some(&block(json!({ "us-east-1": "vpc-1" })))).unwrap().is_empty());
        let moved = again.edit(Some(&block(json!({ "us-east-1": "vpc-9" })))).unwrap();
        assert!(moved.after.contains("vpc-9") && !moved.after.contains("vpc-1"), "{}", moved.after);
        let gone = again.edit(None).unwrap();
        assert!(!gone.after.contains("vpc_ids") && !gone.after.contains("default_vpcs"));
        assert_eq!(gone.after, SERVER);
    }

    #[test]
    fn a_region_dropped_loses_its_entry() {
        let text = SERVER.replace("    creds:\n      type: default\n- name: other", "    creds:\n      type: default\n    vpc_ids:\n      us-east-1: vpc-1\n      eu-north-1: vpc-2\n    default_vpcs: false\n- name: other");
        let server = loaded(&text, "main").unwrap();
        let edit = server.edit(Some(&block(json!({ "us-east-1": "vpc-1" })))).unwrap();
        assert_eq!(edit.after, text.replace("      eu-north-1: vpc-2\n", ""));
    }

    #[test]
    fn a_flow_mapping_backend_gets_its_keys() {
        let text = "projects:\n- name: main\n  backends:\n  - {type: aws, regions: [us-east-1]}\n";
        let server = loaded(text, "main").unwrap();
        let edit = server.edit(Some(&block(json!({ "us-east-1": "vpc-1" })))).unwrap();
        let parsed: Value = serde_norway::from_str(&edit.after).unwrap();
        let aws = &parsed["projects"][0]["backends"][0];
        assert_eq!(aws["vpc_ids"]["us-east-1"], Value::from("vpc-1"), "{}", edit.after);
        assert_eq!(aws["default_vpcs"], Value::Bool(false), "{}", edit.after);
    }

    #[test]
    fn an_edit_the_patcher_gets_wrong_is_refused() {
        // Taking a key out of a flow mapping is beyond the patcher: host
        // checks every result against the document it meant to make.
        let text = "projects:\n- name: main\n  backends:\n  - {type: aws, regions: [us-east-1], vpc_name: old}\n";
        let server = loaded(text, "main").unwrap();
        let err = server.edit(Some(&block(json!({ "us-east-1": "vpc-1" })))).unwrap_err();
        assert!(err.to_string().contains("set the backend's `vpc_ids` by hand"), "{err}");
    }

    #[test]
    fn the_diff_never_shows_a_secret_near_the_change() {
        let text = SERVER.replace(
            "    creds:\n      type: default\n- name: other",
            "    creds:\n      type: access_key\n      access_key: AKIAEXAMPLEKEYID\n      secret_key: \"very/secret\"\n- name: other",
        );
        let server = loaded(&text, "main").unwrap();
        let edit = server.edit(Some(&block(json!({ "us-east-1": "vpc-1" })))).unwrap();
        let diff = edit.diff();
        assert!(!diff.contains("AKIAEXAMPLEKEYID") && !diff.contains("very/secret"), "{diff}");
        assert!(diff.contains(" <hidden>") && diff.contains("+    vpc_ids:"), "{diff}");
        assert!(edit.after.contains("very/secret"), "the file itself keeps its secret");
    }

    #[test]
    fn vpc_name_gives_way_to_vpc_ids() {
        let text =
            SERVER.replace("    public_ips: false\n", "    public_ips: false\n    vpc_name: old\n");
        let server = loaded(&text, "main").unwrap();
        let edit = server.edit(Some(&block(json!({ "us-east-1": "vpc-1" })))).unwrap();
        assert!(!edit.after.contains("vpc_name"), "{}", edit.after);
        assert!(edit.diff().contains("-    vpc_name: old"), "{}", edit.diff());
    }

    #[test]
    fn write_keeps_a_backup_and_refuses_a_file_changed_meanwhile() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.yml");
        std::fs::write(&path, SERVER).unwrap();
        let server = ServerConfig::load(&path, "main").unwrap();
        let edit = server.edit(Some(&block(json!({ "us-east-1": "vpc-1" })))).unwrap();
        let backup = edit.write().unwrap();
        assert_eq!(std::fs::read_to_string(&backup).unwrap(), SERVER);
        assert_eq!(std::fs::read_to_string(&path).unwrap(), edit.after);
        let stale = edit.write().unwrap_err().to_string();
        assert!(stale.contains("changed while host ran"), "{stale}");
    }

    #[test]
    fn a_missing_project_or_backend_is_named() {
        let err = loaded(SERVER, "prod").unwrap_err().to_string();
        assert!(err.contains("no project `prod`") && err.contains("`main`, `other`"), "{err}");
        let err = loaded(SERVER, "other").unwrap_err().to_string();
        assert!(err.contains("project `other` has no `type: aws`"), "{err}");
        let err = loaded("projects: 3\n", "main").unwrap_err().to_string();
        assert!(err.contains("no `projects` list"), "{err}");
    }

    #[test]
    fn a_bad_backend_key_names_the_project_and_backend() {
        let text = SERVER.replace("[us-east-1, eu-north-1]", "[us-east-1, mars-1]");
        let err = loaded(&text, "main").unwrap().config().unwrap_err().to_string();
        assert!(
            err.contains("project `main`, aws backend") && err.contains("unknown region `mars-1`"),
            "{err}"
        );
    }
}
