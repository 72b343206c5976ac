//! The component's export: runs the planner and forwards its notes to the host's log.
//!
//! Built for WebAssembly only: the exported symbols' names do not link natively, and the
//! imported `log` exists only inside a host.
#![expect(unsafe_code, reason = "the export macro emits canonical ABI glue")]

use crate::bindings::exports::host::vpc::planner::Guest;
use crate::bindings::host::vpc::logging::log;
use crate::bindings::host::vpc::types::{Config, Plan, PlanError, RegionFacts};
use crate::plan;

/// The planner the host calls.
struct Plugin;

impl Guest for Plugin {
    fn make_plan(config: Config, facts: Vec<RegionFacts>) -> Result<Plan, PlanError> {
        let outcome = plan::plan(&config, &facts)?;
        for note in &outcome.notes {
            log(note.level, &note.message);
        }
        Ok(outcome.plan)
    }
}

crate::bindings::export!(Plugin with_types_in crate::bindings);
