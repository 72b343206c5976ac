//! The regions a plan covers: the configured ones that have facts, each once, in config order.

use crate::Note;
use crate::types::{Config, PlanError, RegionFacts, RegionPlan};

/// Plans with `region` every region of `config` that `facts` describes, each once, in config
/// order; a region without facts is skipped, with a debug note in `notes`.
pub fn plan(
    config: &Config,
    facts: &[RegionFacts],
    notes: &mut Vec<Note>,
    mut region: impl FnMut(&RegionFacts) -> Result<RegionPlan, PlanError>,
) -> Result<Vec<RegionPlan>, PlanError> {
    let mut plans: Vec<RegionPlan> = Vec::new();
    for name in &config.regions {
        if plans.iter().any(|planned| planned.region == *name) {
            continue;
        }
        match facts.iter().find(|facts| facts.region == *name) {
            Some(facts) => plans.push(region(facts)?),
            None => notes.push(Note::debug(format!("region `{name}` is skipped: it has no facts"))),
        }
    }
    Ok(plans)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures::facts;
    use crate::types::{NatStrategy, Vpc};

    fn config(regions: &[&str]) -> Config {
        Config {
            name: "dev".into(),
            public_ips: true,
            regions: regions.iter().map(|region| region.to_string()).collect(),
            tags: Vec::new(),
            params: Vec::new(),
        }
    }

    fn empty(facts: &RegionFacts) -> Result<RegionPlan, PlanError> {
        Ok(RegionPlan {
            region: facts.region.clone(),
            vpc: Vpc { cidr: "10.0.0.0/16".into(), name: "dev".into() },
            tags: Vec::new(),
            subnets: Vec::new(),
            internet_gateway: false,
            nat: NatStrategy::None,
            route_tables: Vec::new(),
        })
    }

    #[test]
    fn follows_config_order_once_and_notes_regions_without_facts() {
        let config = config(&["eu-north-1", "ap-south-1", "us-east-1", "eu-north-1"]);
        let facts = [facts("us-east-1", Vec::new()), facts("eu-north-1", Vec::new())];
        let mut notes = Vec::new();
        let plans = plan(&config, &facts, &mut notes, empty).unwrap();
        let names: Vec<&str> = plans.iter().map(|plan| plan.region.as_str()).collect();
        assert_eq!(names, ["eu-north-1", "us-east-1"]);
        assert_eq!(notes.len(), 1);
        assert_eq!(notes[0].message, "region `ap-south-1` is skipped: it has no facts");
    }

    #[test]
    fn the_first_region_error_stops_the_plan() {
        let fail = |facts: &RegionFacts| Err(PlanError::Other(facts.region.clone()));
        let result =
            plan(&config(&["us-east-1"]), &[facts("us-east-1", Vec::new())], &mut Vec::new(), fail);
        assert_eq!(result, Err(PlanError::Other("us-east-1".into())));
    }
}
