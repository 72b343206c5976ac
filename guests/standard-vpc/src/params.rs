//! The plugin parameters this plugin understands, parsed and checked.

use ipnet::Ipv4Net;
use vpc_plugin_kit::types::{Pair, PlanError};

/// Every parameter this plugin knows, in the order error messages list them.
const KNOWN: [&str; 3] = ["cidr_base", "nat", "private"];

/// The range each region's `/16` is carved from unless `cidr_base` says otherwise.
const DEFAULT_BASE: &str = "10.0.0.0/8";

/// The checked parameters of one plan.
#[derive(Debug, Clone, PartialEq)]
pub struct Params {
    /// The range region VPCs are carved from (`cidr_base`).
    pub base: Ipv4Net,
    /// The NAT strategy asked for (`nat`); `None` means the default.
    pub nat: Option<NatMode>,
    /// When private subnets are made (`private`).
    pub private: PrivateMode,
}

/// How private subnets reach the internet, as the `nat` parameter names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NatMode {
    /// One regional NAT gateway per VPC.
    Regional,
    /// One zonal NAT gateway in every availability zone.
    PerAz,
    /// One zonal NAT gateway: where the VPC has it, or in the zone with the lowest zone ID number.
    Single,
    /// No NAT gateway.
    None,
}

/// When private subnets are made, as the `private` parameter names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PrivateMode {
    /// Only when instances get no public IPs.
    Auto,
    /// In every case.
    Always,
}

impl PrivateMode {
    /// Whether private subnets are made, given the config's `public-ips`.
    pub fn wanted(self, public_ips: bool) -> bool {
        self == Self::Always || !public_ips
    }
}

impl Params {
    /// Parses `pairs`, rejecting unknown keys and bad values.
    pub fn parse(pairs: &[Pair]) -> Result<Self, PlanError> {
        let mut params = Self {
            base: DEFAULT_BASE.parse().expect("the default base is a valid network"),
            nat: None,
            private: PrivateMode::Auto,
        };
        for pair in pairs {
            let value = pair.value.as_str();
            match pair.key.as_str() {
                "cidr_base" => params.base = base(value)?,
                "nat" => params.nat = Some(nat(value)?),
                "private" => params.private = private(value)?,
                key => return Err(unknown(key)),
            }
        }
        Ok(params)
    }
}

/// Parses `cidr_base`: an IPv4 network, host bits clear, that holds at least one `/16`.
fn base(value: &str) -> Result<Ipv4Net, PlanError> {
    let invalid = || {
        PlanError::InvalidParameter(format!(
            "parameter `cidr_base` has value `{value}`, which is not an IPv4 network with a \
             prefix length of at most 16, such as `10.0.0.0/8`"
        ))
    };
    let net: Ipv4Net = value.parse().map_err(|_| invalid())?;
    if net.prefix_len() > 16 || net.trunc() != net {
        return Err(invalid());
    }
    Ok(net)
}

/// Parses `nat`.
fn nat(value: &str) -> Result<NatMode, PlanError> {
    match value {
        "regional" => Ok(NatMode::Regional),
        "per-az" => Ok(NatMode::PerAz),
        "single" => Ok(NatMode::Single),
        "none" => Ok(NatMode::None),
        _ => Err(bad_value("nat", value, &["regional", "per-az", "single", "none"])),
    }
}

/// Parses `private`.
fn private(value: &str) -> Result<PrivateMode, PlanError> {
    match value {
        "auto" => Ok(PrivateMode::Auto),
        "always" => Ok(PrivateMode::Always),
        _ => Err(bad_value("private", value, &["auto", "always"])),
    }
}

/// The error for a value outside `allowed`.
fn bad_value(key: &str, value: &str, allowed: &[&str]) -> PlanError {
    PlanError::InvalidParameter(format!(
        "parameter `{key}` has value `{value}`; allowed values: {}",
        quoted(allowed)
    ))
}

/// The error for a key this plugin does not know.
fn unknown(key: &str) -> PlanError {
    PlanError::InvalidParameter(format!(
        "unknown parameter `{key}`; known parameters: {}",
        quoted(&KNOWN)
    ))
}

/// `a`, `b`, `c`: the words in backticks, comma separated.
fn quoted(words: &[&str]) -> String {
    let words: Vec<String> = words.iter().map(|word| format!("`{word}`")).collect();
    words.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(list: &[(&str, &str)]) -> Vec<Pair> {
        let pair =
            |(key, value): &(&str, &str)| Pair { key: key.to_string(), value: value.to_string() };
        list.iter().map(pair).collect()
    }

    fn message(error: PlanError) -> String {
        match error {
            PlanError::InvalidParameter(text) => text,
            other => panic!("expected invalid-parameter, got {other:?}"),
        }
    }

    #[test]
    fn defaults_when_no_params() {
        let params = Params::parse(&[]).unwrap();
        assert_eq!(params.base.to_string(), "10.0.0.0/8");
        assert_eq!(params.nat, None);
        assert_eq!(params.private, PrivateMode::Auto);
    }

    #[test]
    fn parses_every_known_param() {
        let list = [("cidr_base", "172.16.0.0/12"), ("nat", "per-az"), ("private", "always")];
        let params = Params::parse(&pairs(&list)).unwrap();
        assert_eq!(params.base.to_string(), "172.16.0.0/12");
        assert_eq!(params.nat, Some(NatMode::PerAz));
        assert_eq!(params.private, PrivateMode::Always);
    }

    #[test]
    fn unknown_key_lists_known_ones() {
        let text = message(Params::parse(&pairs(&[("nats", "none")])).unwrap_err());
        assert!(text.contains("`nats`"), "{text}");
        assert!(text.contains("`cidr_base`, `nat`, `private`"), "{text}");
    }

    #[test]
    fn bad_private_names_key_value_and_allowed() {
        let text = message(Params::parse(&pairs(&[("private", "never")])).unwrap_err());
        assert!(text.contains("`private`") && text.contains("`never`"), "{text}");
        assert!(text.contains("`auto`, `always`"), "{text}");
    }

    #[test]
    fn bad_nat_is_rejected() {
        let text = message(Params::parse(&pairs(&[("nat", "zonal")])).unwrap_err());
        assert!(text.contains("`zonal`") && text.contains("`per-az`"), "{text}");
    }

    #[test]
    fn base_must_be_a_network_of_at_most_16_bits() {
        for value in ["10.0.0.0/17", "10.0.0.1/8", "fd00::/8", "ten"] {
            let text = message(Params::parse(&pairs(&[("cidr_base", value)])).unwrap_err());
            assert!(text.contains(&format!("`{value}`")), "{text}");
        }
    }

    #[test]
    fn private_mode_follows_public_ips() {
        assert!(PrivateMode::Auto.wanted(false));
        assert!(!PrivateMode::Auto.wanted(true));
        assert!(PrivateMode::Always.wanted(true));
    }
}
