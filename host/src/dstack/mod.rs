//! The dstack AWS backend block that uses the managed VPCs, to paste into
//! dstack's `server/config.yml`.
//!
//! dstack's config schema rejects unknown keys, so the block carries only
//! dstack's own: never `vpc_autocreated`. A secret in `creds` is never
//! printed; a placeholder stands in for it.

pub mod server;

use anyhow::Result;
use serde_json::{Map, Value, json};

use crate::config::{Config, Creds};
use crate::ec2::Applied;

/// What stands in for the access key ID and the secret access key.
pub const ACCESS_KEY_PLACEHOLDER: &str = "<your AWS access key ID>";
/// What stands in for the secret access key.
pub const SECRET_KEY_PLACEHOLDER: &str = "<your AWS secret access key>";

/// The backend block for the regions that hold a managed VPC, or `None` when
/// no region does.
pub fn backend(config: &Config, applied: &[Applied]) -> Option<Value> {
    let with_vpc: Vec<(&str, &str)> = config
        .regions
        .iter()
        .filter_map(|region| {
            let applied = applied.iter().find(|a| &a.region == region)?;
            Some((region.as_str(), applied.vpc_id.as_deref()?))
        })
        .collect();
    if with_vpc.is_empty() {
        return None;
    }
    let mut block = Map::new();
    block.insert("type".into(), json!("aws"));
    block.insert("regions".into(), json!(with_vpc.iter().map(|(r, _)| r).collect::<Vec<_>>()));
    let ids: Map<String, Value> =
        with_vpc.iter().map(|(region, id)| (region.to_string(), json!(id))).collect();
    block.insert("vpc_ids".into(), Value::Object(ids));
    block.insert("default_vpcs".into(), json!(false));
    block.insert("public_ips".into(), json!(config.public_ips));
    if !config.tags.is_empty() {
        block.insert("tags".into(), json!(config.tags));
    }
    let creds = match &config.creds {
        Creds::Default => json!({ "type": "default" }),
        Creds::AccessKey { .. } => json!({
            "type": "access_key",
            "access_key": ACCESS_KEY_PLACEHOLDER,
            "secret_key": SECRET_KEY_PLACEHOLDER,
        }),
    };
    block.insert("creds".into(), creds);
    Some(Value::Object(block))
}

/// The block as YAML, as it goes under `backends:` in dstack's config.
pub fn yaml(block: &Value) -> Result<String> {
    Ok(serde_norway::to_string(&json!([block]))?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ec2::Applied;

    fn applied(region: &str, vpc: Option<&str>) -> Applied {
        Applied {
            region: region.to_string(),
            vpc_id: vpc.map(str::to_string),
            subnets: Vec::new(),
            nat_gateway_ids: Vec::new(),
            changed: 0,
        }
    }

    fn config(text: &str) -> Config {
        Config::parse(text, std::path::Path::new("dstack.yml")).unwrap()
    }

    #[test]
    fn the_block_names_every_regions_vpc_and_never_vpc_autocreated() {
        let config = config(
            "type: aws\npublic_ips: false\nvpc_autocreated: true\nregions: [us-east-1, eu-north-1]\ntags:\n  team: ml\ncreds:\n  type: default\n",
        );
        let block = backend(
            &config,
            &[applied("eu-north-1", Some("vpc-2")), applied("us-east-1", Some("vpc-1"))],
        )
        .unwrap();
        let text = yaml(&block).unwrap();
        assert_eq!(
            text,
            "- type: aws\n  regions:\n  - us-east-1\n  - eu-north-1\n  vpc_ids:\n    us-east-1: vpc-1\n    eu-north-1: vpc-2\n  default_vpcs: false\n  public_ips: false\n  tags:\n    team: ml\n  creds:\n    type: default\n"
        );
    }

    #[test]
    fn access_keys_are_replaced_by_placeholders() {
        let config = config(
            "type: aws\nvpc_autocreated: true\nregions: [us-east-1]\ncreds:\n  type: access_key\n  access_key: AKIASECRETKEYID\n  secret_key: very-secret\n",
        );
        let block = backend(&config, &[applied("us-east-1", Some("vpc-1"))]).unwrap();
        let text = yaml(&block).unwrap();
        assert!(!text.contains("AKIASECRETKEYID") && !text.contains("very-secret"), "{text}");
        assert!(text.contains("type: access_key"), "{text}");
    }

    #[test]
    fn no_block_when_no_region_holds_a_vpc() {
        let config = config("type: aws\nvpc_autocreated: true\nregions: []\n");
        assert!(backend(&config, &[applied("us-east-1", None)]).is_none());
    }
}
