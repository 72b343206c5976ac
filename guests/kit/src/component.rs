//! The component's export: binds a plugin's planner to the WIT world and forwards its notes to
//! the host's log.
//!
//! Built for WebAssembly only: the exported symbols' names do not link natively, and the
//! imported `log` exists only inside a host.

use crate::Outcome;
use crate::bindings::host::vpc::logging::log;
use crate::types::Plan;

impl Outcome {
    /// Sends the notes to the host's log, in order, and returns the plan for the host.
    pub fn deliver(self) -> Plan {
        for note in &self.notes {
            log(note.level, &note.message);
        }
        self.plan
    }
}

/// Exports `plan`, a `fn(&Config, &[RegionFacts]) -> Result<Outcome, PlanError>`, as the
/// component's planner: the outcome's notes go to the host's log, its plan to the host.
///
/// Invoke it once, built for WebAssembly only, as the macro exists on no other target:
///
/// ```ignore
/// #[cfg(target_arch = "wasm32")]
/// vpc_plugin_kit::export_planner!(plan::plan);
/// ```
#[macro_export]
macro_rules! export_planner {
    ($plan:path) => {
        const _: () = {
            /// The planner the host calls.
            struct Plugin;

            impl $crate::bindings::exports::host::vpc::planner::Guest for Plugin {
                fn make_plan(
                    config: $crate::types::Config,
                    facts: ::std::vec::Vec<$crate::types::RegionFacts>,
                ) -> ::std::result::Result<$crate::types::Plan, $crate::types::PlanError> {
                    $plan(&config, &facts).map($crate::Outcome::deliver)
                }
            }

    $crate::bindings::export!(Plugin with_types_in $crate::bindings);
        };
    };
}
