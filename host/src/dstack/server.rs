//! dstack's server config, `~/.dstack/server/config.yml`. host can take its
//! config from one project's aws backend there, and after a change it shows,
//! and with `--write` makes, the edit that points that backend at the managed
//! VPCs. Only the keys host owns change: `vpc_ids`, `default_vpcs`, `regions`
//! where it lists a region that got no VPC (dstack refuses a region without
//! one), and `vpc_name`, which dstack does not take beside `vpc_ids`. Every
//! other byte, comments included, stays as it was.
//!
//! The file is read as dstack reads it, YAML merge keys (`<<`) included, and
//! every edit is read back and compared with the document host meant to make;
//! an edit the patcher cannot make exactly is refused, never written.

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
const REGIONS: &str = "regions";

/// Words that make a key's value a secret to keep out of diffs.
const SECRET_WORDS: [&str; 6] = ["secret", "key", "token", "password", "data", "credential"];

/// A dstack server config, read, with the project's aws backend found in it.
#[derive(Debug)]
pub struct ServerConfig {
    /// The file, as the user named it.
    pub path: PathBuf,
    /// The project whose aws backend host uses.
    pub project: String,
    /// The file's text as read.
    text: String,
    /// The document as dstack reads it, merge keys applied.
    document: Value,
    /// The project's index in `projects`, and the backend's in its `backends`.
    at: (usize, usize),
    /// The backend as written, before merge keys are applied.
    literal: Mapping,
}

impl ServerConfig {
    /// Reads `path` and finds the aws backend of `project` in it.
    pub fn load(path: &Path, project: &str) -> Result<ServerConfig> {
        let shown = format!("dstack config `{}`", path.display());
        let text = std::fs::read_to_string(path)
            .map_err(|err| bad_input(format!("cannot read {shown}: {err}")))?;
        let literal_document: Value = serde_norway::from_str(body(&text))
            .map_err(|err| bad_input(format!("{shown}: {err}")))?;
        let mut document = literal_document.clone();
        document.apply_merge().map_err(|err| bad_input(format!("{shown}: {err}")))?;
        let (p, b) = locate(&document, project, &shown)?;
        let literal = literal_document["projects"][p]["backends"][b]
            .as_mapping()
            .cloned()
            .unwrap_or_default();
        Ok(ServerConfig {
            path: path.to_path_buf(),
            project: project.to_string(),
            text,
            document,
            at: (p, b),
            literal,
        })
    }

    /// The backend as dstack reads it.
    fn backend(&self) -> &Mapping {
        self.document["projects"][self.at.0]["backends"][self.at.1]
            .as_mapping()
            .expect("`locate` found a mapping with a `type` key there")
    }

    /// The config the backend's `regions`, `public_ips`, `tags` and `creds` make.
    pub fn config(&self) -> Result<Config> {
        let origin = format!(
            "dstack config `{}`, project `{}`, aws backend",
            self.path.display(),
            self.project
        );
        Config::from_dstack_backend(self.backend(), &self.path, &origin)
    }

    /// The first other project whose aws backend's `vpc_ids` name one of
    /// `vpcs`: a change for this project would change its VPCs too.
    pub fn sharing(&self, vpcs: &[String]) -> Option<(String, String)> {
        let projects = self.document["projects"].as_sequence()?;
        projects.iter().enumerate().filter(|(p, _)| *p != self.at.0).find_map(|(_, project)| {
            let name = project["name"].as_str().unwrap_or("?").to_string();
            let backends = project["backends"].as_sequence()?;
            backends.iter().filter(|backend| backend["type"] == "aws").find_map(|backend| {
                let ids = backend[VPC_IDS].as_mapping()?;
                let id = ids
                    .values()
                    .filter_map(Value::as_str)
                    .find(|id| vpcs.iter().any(|v| v == id))?;
                Some((name.clone(), id.to_string()))
            })
        })
    }

    /// Checks, before anything changes in AWS, that `--write` will be able to
    /// replace the file and keep its backup.
    pub fn check_writable(&self) -> Result<()> {
        let shown = self.path.display();
        let target = std::fs::canonicalize(&self.path)
            .with_context(|| format!("cannot find dstack config `{shown}`"))?;
        let refuse = |why: String| {
            bad_input(format!(
                "dstack config `{shown}` {why}, so `--write` could not record the change; nothing was changed in AWS"
            ))
        };
        if std::fs::metadata(&target)?.permissions().readonly() {
            return Err(refuse("is read-only".to_string()));
        }
        let directory = target.parent().unwrap_or(Path::new("."));
        tempfile::NamedTempFile::new_in(directory)
            .map_err(|err| refuse(format!("sits in a directory host cannot write to ({err})")))?;
        let backup = backup_path(&self.path);
        if std::fs::metadata(&backup).is_ok_and(|meta| meta.permissions().readonly()) {
            return Err(refuse(format!("has a read-only backup `{}`", backup.display())));
        }
        Ok(())
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
        let wanted = Wanted::of(block)?;
        let backend = self.backend();
        let written = |key: &str| self.literal.contains_key(key);
        let remove = |key: &'static str| {
            written(key).then(|| Patch { route: route.with_key(key), operation: Op::Remove })
        };
        // A key set anew goes at the end of the backend; one written there
        // already is taken out first.
        let put = |key: &'static str, value: &Value| -> Result<Vec<Patch<'static>>> {
            let value = yaml_serde::to_value(value)?;
            let add = Patch { route: route.clone(), operation: Op::Add { key: key.into(), value } };
            Ok(remove(key).into_iter().chain([add]).collect())
        };
        let mut patches: Vec<Patch> = Vec::new();
        match &wanted {
            Some(wanted) => {
                patches.extend(self.vpc_id_patches(&route, &wanted.vpc_ids)?);
                if backend.get(DEFAULT_VPCS) != Some(&Value::Bool(false)) {
                    patches.extend(put(DEFAULT_VPCS, &Value::Bool(false))?);
                }
                // The patcher replaces scalars only, so a changed list is
                // written anew, at the end of the backend.
                if backend.get(REGIONS) != Some(&wanted.regions) {
                    patches.extend(put(REGIONS, &wanted.regions)?);
                }
                patches.extend(remove(VPC_NAME));
            }
            None => patches.extend([remove(VPC_IDS), remove(DEFAULT_VPCS)].into_iter().flatten()),
        }
        let after = if patches.is_empty() {
            self.text.clone()
        } else {
            let body = body(&self.text);
            let document = Document::new(body).map_err(|err| self.cannot(&err))?;
            let patched = yamlpatch::apply_yaml_patches(&document, &patches)
                .map_err(|err| self.cannot(&err))?;
            let mut after = patched.source().to_string();
            if body.contains("\r\n") {
                after = crlf(&after);
            }
            self.check(&after, wanted.as_ref())?;
            let bom = &self.text[..self.text.len() - body.len()];
            format!("{bom}{after}")
        };
        Ok(Edit {
            path: self.path.clone(),
            before: self.text.clone(),
            after,
            secrets: secrets(&self.document),
        })
    }

    /// The patches that make the backend's `vpc_ids` hold `ids`. A mapping
    /// written in the backend is edited entry by entry, new and changed
    /// entries first, so the diff shows just the regions whose VPC changed.
    fn vpc_id_patches(&self, route: &Route<'static>, ids: &Mapping) -> Result<Vec<Patch<'static>>> {
        let at = route.with_key(VPC_IDS);
        if self.backend().get(VPC_IDS) == Some(&Value::Mapping(ids.clone())) {
            return Ok(Vec::new());
        }
        let Some(Value::Mapping(old)) = self.literal.get(VPC_IDS) else {
            let mut patches = Vec::new();
            if self.literal.contains_key(VPC_IDS) {
                patches.push(Patch { route: at.clone(), operation: Op::Remove });
            }
            let value = yaml_serde::to_value(ids)?;
            let add = Op::Add { key: VPC_IDS.to_string(), value };
            patches.push(Patch { route: route.clone(), operation: add });
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

    /// Checks that `after` reads, as dstack reads it, as the document host
    /// meant to make: the one read, with only the backend's own keys changed.
    fn check(&self, after: &str, wanted: Option<&Wanted>) -> Result<()> {
        let mut expected = self.document.clone();
        let backend = expected["projects"][self.at.0]["backends"][self.at.1]
            .as_mapping_mut()
            .context("the backend was read as a mapping")?;
        backend.remove(VPC_IDS);
        backend.remove(DEFAULT_VPCS);
        if let Some(wanted) = wanted {
            backend.remove(VPC_NAME);
            backend.insert(VPC_IDS.into(), Value::Mapping(wanted.vpc_ids.clone()));
            backend.insert(DEFAULT_VPCS.into(), Value::Bool(false));
            backend.insert(REGIONS.into(), wanted.regions.clone());
        }
        let made = serde_norway::from_str::<Value>(after).map(|mut made| {
            let merged = made.apply_merge();
            (made, merged)
        });
        match made {
            Ok((made, Ok(()))) if made == expected => Ok(()),
            _ => Err(self.cannot(
                &"the edited text did not read back as intended, as happens when the backend is a YAML alias of another or its keys come from one",
            )),
        }
    }

    fn cannot(&self, err: &dyn std::fmt::Display) -> anyhow::Error {
        bad_input(format!(
            "cannot edit dstack config `{}` without disturbing the rest of it ({err}); set the aws backend's `vpc_ids`, `default_vpcs` and `regions` by hand from the block above (in this project's backend alone, not in a node other projects share)",
            self.path.display()
        ))
    }
}

/// Where `projects` and `backends` hold `project`'s one aws backend.
fn locate(document: &Value, project: &str, shown: &str) -> Result<(usize, usize)> {
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
    let aws: Vec<usize> = backends
        .into_iter()
        .flatten()
        .enumerate()
        .filter(|(_, entry)| entry.get("type").and_then(Value::as_str) == Some("aws"))
        .map(|(b, _)| b)
        .collect();
    match aws.as_slice() {
        [one] => Ok((p, *one)),
        [] => Err(bad_input(format!(
            "{shown}: project `{project}` has no `type: aws` entry under `backends`; add one with the `regions` and `creds` to use"
        ))),
        _ => Err(bad_input(format!(
            "{shown}: project `{project}` has {} `type: aws` backends; dstack uses one per project",
            aws.len()
        ))),
    }
}

/// What the backend should say after a change that leaves managed VPCs.
struct Wanted {
    /// Every region's VPC.
    vpc_ids: Mapping,
    /// Exactly the regions with a VPC: dstack refuses a region without one
    /// once `default_vpcs` is false.
    regions: Value,
}

impl Wanted {
    fn of(block: Option<&serde_json::Value>) -> Result<Option<Wanted>> {
        let Some(block) = block else { return Ok(None) };
        let vpc_ids = serde_norway::to_value(&block[VPC_IDS])?;
        let regions = serde_norway::to_value(&block[REGIONS])?;
        Ok(vpc_ids.as_mapping().cloned().map(|vpc_ids| Wanted { vpc_ids, regions }))
    }
}

/// The text after a byte-order mark, which is what gets parsed and edited.
fn body(text: &str) -> &str {
    text.strip_prefix('\u{feff}').unwrap_or(text)
}

/// `text` with every line ending in CRLF, as the file it came from.
fn crlf(text: &str) -> String {
    text.replace("\r\n", "\n").replace('\n', "\r\n")
}

/// Every string the document holds under a key that looks secret, and, for a
/// value spread over lines, each long word of it, since a folded or block
/// scalar shows its value on lines of their own.
fn secrets(document: &Value) -> Vec<String> {
    let mut found = Vec::new();
    let mut stack = vec![document];
    while let Some(node) = stack.pop() {
        match node {
            Value::Mapping(mapping) => {
                for (key, value) in mapping {
                    let secret = key.as_str().is_some_and(|key| {
                        let key = key.to_ascii_lowercase();
                        SECRET_WORDS.iter().any(|word| key.contains(word))
                    });
                    match value {
                        Value::String(text) if secret => {
                            found.push(text.trim().to_string());
                            found.extend(
                                text.split_whitespace()
                                    .filter(|w| w.len() >= 8)
                                    .map(str::to_string),
                            );
                        }
                        other => stack.push(other),
                    }
                }
            }
            Value::Sequence(items) => stack.extend(items),
            Value::Tagged(tagged) => stack.push(&tagged.value),
            _ => {}
        }
    }
    found.retain(|secret| secret.len() >= 4);
    found.sort_by_key(|secret| std::cmp::Reverse(secret.len()));
    found.dedup();
    found
}

/// Where `write` keeps the file as it was.
fn backup_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(".bak");
    path.with_file_name(name)
}

/// A change to a dstack server config, shown as a diff and made with `write`.
#[derive(Debug)]
pub struct Edit {
    /// The file.
    pub path: PathBuf,
    before: String,
    after: String,
    /// Values the diff must never show.
    secrets: Vec<String>,
}

impl Edit {
    /// Whether the file already says what it should.
    pub fn is_empty(&self) -> bool {
        self.before == self.after
    }

    /// The change as a unified diff, empty when there is none. host writes no
    /// secret, but the file's lines around its change may hold one (the
    /// backend's `creds` often end it), and a flow mapping puts a backend's
    /// keys on one line: every secret value shows as `<hidden>`, and so does
    /// the value of a context line whose key looks secret.
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
                let mut line = change.value().trim_end_matches(['\n', '\r']).to_string();
                for secret in &self.secrets {
                    line = line.replace(secret.as_str(), "<hidden>");
                }
                if change.tag() == similar::ChangeTag::Equal {
                    line = hidden(&line);
                }
                let _ = writeln!(out, "{}{line}", change.tag());
            }
        }
        format!("--- {shown}\n+++ {shown}\n{out}")
    }

    /// Where `write` keeps the file as it was.
    pub fn backup_path(&self) -> PathBuf {
        backup_path(&self.path)
    }

    /// Makes the change: the file as it was goes to `backup_path`, and the new
    /// text replaces the file whole (a crash leaves the old file or the new
    /// one, never half of each), with the old one's owner and permissions.
    /// Refuses if the file changed since host read it.
    pub fn write(&self) -> Result<PathBuf> {
        use std::os::unix::fs::MetadataExt as _;
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
        let old = std::fs::metadata(&target)?;
        std::fs::set_permissions(file.path(), old.permissions())?;
        let new = std::fs::metadata(file.path())?;
        if (new.uid(), new.gid()) != (old.uid(), old.gid()) {
            std::os::unix::fs::chown(file.path(), Some(old.uid()), Some(old.gid()))
                .with_context(|| format!("cannot give the new `{shown}` the old one's owner"))?;
        }
        file.persist(&target).with_context(|| format!("cannot replace `{shown}`"))?;
        Ok(backup)
    }
}

/// A line with everything after its first `:` hidden when a word on it names a
/// secret (a flow mapping can put a key and its secret on one line).
fn hidden(line: &str) -> String {
    let Some((key, value)) = line.split_once(':') else { return line.to_string() };
    let lower = line.to_ascii_lowercase();
    let secret = SECRET_WORDS.iter().any(|word| lower.contains(word));
    if secret && !value.trim().is_empty() && value.trim() != "<hidden>" {
        format!("{key}: <hidden>")
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

    /// The block for these VPCs, listing their regions in order.
    fn block(ids: serde_json::Value) -> serde_json::Value {
        let regions: Vec<String> = ids.as_object().unwrap().keys().cloned().collect();
        json!({ "type": "aws", "regions": regions, "vpc_ids": ids, "default_vpcs": false })
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
        let both = |east: &str| block(json!({ "us-east-1": east, "eu-north-1": "vpc-2" }));
        let server = loaded(SERVER, "main").unwrap();
        let first = server.edit(Some(&both("vpc-1"))).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.yml");
        std::fs::write(&path, &first.after).unwrap();
        let again = ServerConfig::load(&path, "main").unwrap();
        assert!(again.edit(Some(&both("vpc-1"))).unwrap().is_empty());
        let moved = again.edit(Some(&both("vpc-9"))).unwrap();
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
        let expected = text
            .replace("      eu-north-1: vpc-2\n", "")
            .replace("    regions: [us-east-1, eu-north-1]\n", "")
            .replace(
                "    default_vpcs: false\n",
                "    default_vpcs: false\n    regions: [us-east-1]\n",
            );
        assert_eq!(edit.after, expected);
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
        assert!(err.to_string().contains("by hand from the block above"), "{err}");
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
    fn merge_keys_are_read_as_dstack_reads_them_and_the_edit_stays_in_its_project() {
        let text = "\
projects:
- name: main
  backends:
  - &aws
    type: aws
    regions: [us-east-1]
    public_ips: true
    creds: {type: default}
- name: prod
  backends:
  - <<: *aws
    tags: {team: prod}
";
        let server = loaded(text, "prod").unwrap();
        let config = server.config().unwrap();
        assert_eq!(config.regions, ["us-east-1"]);
        assert_eq!(config.tags.get("team").map(String::as_str), Some("prod"));
        let edit = server.edit(Some(&block(json!({ "us-east-1": "vpc-9" })))).unwrap();
        let mut parsed: Value = serde_norway::from_str(&edit.after).unwrap();
        parsed.apply_merge().unwrap();
        assert_eq!(parsed["projects"][1]["backends"][0]["vpc_ids"]["us-east-1"], "vpc-9");
        assert!(parsed["projects"][0]["backends"][0].get("vpc_ids").is_none(), "{}", edit.after);
    }

    #[test]
    fn a_byte_order_mark_and_crlf_line_ends_are_kept() {
        let text = format!("\u{feff}{}", SERVER.replace('\n', "\r\n"));
        let server = loaded(&text, "main").unwrap();
        let edit = server
            .edit(Some(&block(json!({ "us-east-1": "vpc-1", "eu-north-1": "vpc-2" }))))
            .unwrap();
        assert!(edit.after.starts_with('\u{feff}'));
        assert!(edit.after.contains("vpc_ids:\r\n"), "{:?}", edit.after);
        assert!(!edit.after.replace("\r\n", "").contains('\n'), "{:?}", edit.after);
    }

    #[test]
    fn regions_without_a_vpc_leave_the_list() {
        // eu-north-1 got no VPC (not enabled), and dstack refuses a region
        // without one once default VPCs are off.
        let server = loaded(SERVER, "main").unwrap();
        let edit = server.edit(Some(&block(json!({ "us-east-1": "vpc-1" })))).unwrap();
        let parsed: Value = serde_norway::from_str(&edit.after).unwrap();
        let regions = &parsed["projects"][0]["backends"][1]["regions"];
        assert_eq!(regions, &serde_norway::to_value(["us-east-1"]).unwrap(), "{}", edit.after);
        // No `regions` key means every region to dstack: host names its own.
        let text = SERVER.replace("    regions: [us-east-1, eu-north-1]\n", "");
        let edit =
            loaded(&text, "main").unwrap().edit(Some(&block(json!({ "us-east-1": "vpc-1" }))));
        assert!(edit.unwrap().after.contains("regions:"));
    }

    #[test]
    fn flow_style_and_folded_secrets_never_reach_the_diff() {
        let flow = "projects:\n- name: main\n  backends:\n  - {type: aws, regions: [us-east-1], creds: {type: access_key, access_key: AKIAFLOWEXAMPLE, secret_key: flowsecret}}\n";
        let folded = SERVER.replace(
            "    creds:\n      type: default\n- name: other",
            "    creds:\n      type: access_key\n      access_key: AKIAFOLDEDEXAMPLE\n      secret_key: >-\n        wJalrXUtnFEMIK7MDENGbPxRfiCYzEXAMPLEKEY\n- name: other",
        );
        for text in [flow.to_string(), folded] {
            let server = loaded(&text, "main").unwrap();
            let Ok(edit) = server.edit(Some(&block(json!({ "us-east-1": "vpc-1" })))) else {
                continue;
            };
            let diff = edit.diff();
            for secret in ["AKIAFLOWEXAMPLE", "flowsecret", "AKIAFOLDEDEXAMPLE", "wJalrXUtnFEMIK7"]
            {
                assert!(!diff.contains(secret), "{secret} in:\n{diff}");
            }
        }
    }

    #[test]
    fn another_project_using_the_sets_vpcs_is_found() {
        let text = SERVER.replace(
            "- name: other\n  backends: []\n",
            "- name: other\n  backends:\n  - type: aws\n    vpc_ids: {us-east-1: vpc-7}\n    creds: {type: default}\n",
        );
        let server = loaded(&text, "main").unwrap();
        let found = server.sharing(&["vpc-7".to_string()]);
        assert_eq!(found, Some(("other".to_string(), "vpc-7".to_string())));
        assert_eq!(server.sharing(&["vpc-8".to_string()]), None);
    }

    #[test]
    fn a_read_only_file_is_refused_before_any_change() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.yml");
        std::fs::write(&path, SERVER).unwrap();
        let mut permissions = std::fs::metadata(&path).unwrap().permissions();
        permissions.set_readonly(true);
        std::fs::set_permissions(&path, permissions).unwrap();
        let err = ServerConfig::load(&path, "main").unwrap().check_writable().unwrap_err();
        assert!(err.to_string().contains("is read-only"), "{err}");
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
