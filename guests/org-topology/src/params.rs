//! The plugin parameters: the org-wide CIDR table and the optional NAT zones.

use ipnet::Ipv4Net;
use vpc_plugin_kit::types::{Pair, PlanError};

/// Every parameter this plugin knows.
const KNOWN: &str = "`cidrs`, `nat_zone`";

/// The shortest and longest VPC prefix the table may give.
const PREFIXES: std::ops::RangeInclusive<u8> = 16..=20;

/// The checked parameters of one plan.
#[derive(Debug, Clone, PartialEq)]
pub struct Params {
    /// Each region's VPC CIDR, in the order `cidrs` lists them.
    pub cidrs: Vec<(String, Ipv4Net)>,
    /// The zones named by `nat_zone`, each to hold its region's NAT gateway.
    pub nat_zones: Vec<String>,
}

impl Params {
    /// Parses `pairs`, rejecting unknown keys and bad values; `cidrs` is required.
    pub fn parse(pairs: &[Pair]) -> Result<Self, PlanError> {
        let mut cidrs = None;
        let mut nat_zones = Vec::new();
        for pair in pairs {
            match pair.key.as_str() {
                "cidrs" => cidrs = Some(table(&pair.value)?),
                "nat_zone" => nat_zones = list(&pair.value),
                key => {
                    return Err(invalid(format!(
                        "unknown parameter `{key}`; known parameters: {KNOWN}"
                    )));
                }
            }
        }
        let cidrs = cidrs.ok_or_else(|| {
            invalid("parameter `cidrs` is required, such as `us-east-1=10.20.0.0/16`".into())
        })?;
        Ok(Self { cidrs, nat_zones })
    }

    /// The VPC CIDR the table gives `region`.
    pub fn cidr(&self, region: &str) -> Result<Ipv4Net, PlanError> {
        let entry = self.cidrs.iter().find(|(name, _)| name == region);
        entry.map(|(_, cidr)| *cidr).ok_or_else(|| {
            PlanError::UnsupportedRegion(format!(
                "region `{region}` has no entry in parameter `cidrs`"
            ))
        })
    }
}

/// Parses `cidrs`: `region=cidr` entries, comma separated, with distinct regions and CIDRs
/// that do not overlap.
fn table(value: &str) -> Result<Vec<(String, Ipv4Net)>, PlanError> {
    let mut table: Vec<(String, Ipv4Net)> = Vec::new();
    for entry in value.split(',').map(str::trim) {
        let (region, cidr) = entry_parts(entry)?;
        let clash = |(name, net): &&(String, Ipv4Net)| {
            *name == region || net.contains(&cidr) || cidr.contains(net)
        };
        if let Some((name, _)) = table.iter().find(clash) {
            return Err(invalid(format!(
                "parameter `cidrs` entry `{entry}` repeats or overlaps the entry for `{name}`"
            )));
        }
        table.push((region.to_string(), cidr));
    }
    Ok(table)
}

/// Splits one `region=cidr` entry and checks the CIDR.
fn entry_parts(entry: &str) -> Result<(&str, Ipv4Net), PlanError> {
    let malformed = || {
        invalid(format!(
            "parameter `cidrs` has entry `{entry}`; each entry is `region=cidr` with an IPv4 \
             network from /16 to /20, such as `us-east-1=10.20.0.0/16`"
        ))
    };
    let (region, cidr) = entry.split_once('=').ok_or_else(malformed)?;
    let (region, cidr) = (region.trim(), cidr.trim());
    let net: Ipv4Net = cidr.parse().map_err(|_| malformed())?;
    let fits = PREFIXES.contains(&net.prefix_len()) && net.trunc() == net;
    if region.is_empty() || !fits {
        return Err(malformed());
    }
    Ok((region, net))
}

/// Splits a comma-separated list, dropping blanks.
fn list(value: &str) -> Vec<String> {
    let items = value.split(',').map(str::trim).filter(|item| !item.is_empty());
    items.map(str::to_string).collect()
}

/// An invalid-parameter error.
fn invalid(message: String) -> PlanError {
    PlanError::InvalidParameter(message)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(list: &[(&str, &str)]) -> Result<Params, PlanError> {
        let pair =
            |(key, value): &(&str, &str)| Pair { key: key.to_string(), value: value.to_string() };
        Params::parse(&list.iter().map(pair).collect::<Vec<_>>())
    }

    fn message(result: Result<Params, PlanError>) -> String {
        match result {
            Err(PlanError::InvalidParameter(text)) => text,
            other => panic!("expected invalid-parameter, got {other:?}"),
        }
    }

    #[test]
    fn parses_the_table_and_nat_zones() {
        let cidrs = "us-east-1=10.20.0.0/16, eu-north-1 = 10.21.0.0/20";
        let params = parse(&[("cidrs", cidrs), ("nat_zone", "us-east-1b")]).unwrap();
        assert_eq!(params.cidr("eu-north-1").unwrap().to_string(), "10.21.0.0/20");
        assert_eq!(params.nat_zones, ["us-east-1b"]);
    }

    #[test]
    fn cidrs_is_required() {
        assert!(message(parse(&[])).contains("`cidrs`"));
    }

    #[test]
    fn unknown_keys_list_the_known_ones() {
        let text = message(parse(&[("cidrs", "us-east-1=10.0.0.0/16"), ("nat", "none")]));
        assert!(text.contains("`nat`") && text.contains(KNOWN), "{text}");
    }

    #[test]
    fn malformed_entries_are_named() {
        let bad = ["us-east-1", "us-east-1=10.0.0.0/15", "us-east-1=10.0.0.0/21", "=10.0.0.0/16"];
        for entry in bad.into_iter().chain(["us-east-1=10.0.0.1/16", "us-east-1=x", ""]) {
            let text = message(parse(&[("cidrs", entry)]));
            assert!(text.contains(&format!("`{entry}`")), "{text}");
        }
    }

    #[test]
    fn repeated_or_overlapping_entries_are_rejected() {
        let repeated = "us-east-1=10.0.0.0/16,us-east-1=10.1.0.0/16";
        let overlapping = "us-east-1=10.0.0.0/16,eu-north-1=10.0.16.0/20";
        for cidrs in [repeated, overlapping] {
            assert!(message(parse(&[("cidrs", cidrs)])).contains("`us-east-1`"));
        }
    }

    #[test]
    fn missing_region_is_unsupported() {
        let params = parse(&[("cidrs", "us-east-1=10.0.0.0/16")]).unwrap();
        let error = params.cidr("eu-north-1").unwrap_err();
        assert!(
            matches!(error, PlanError::UnsupportedRegion(text) if text.contains("`eu-north-1`"))
        );
    }
}
