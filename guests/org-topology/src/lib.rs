//! An example of a custom `host` plugin: an organisation's own topology. Every VPC takes its
//! CIDR from an org-wide table, every availability zone gets public, private and isolated
//! subnets, and one zonal NAT gateway per region serves all private subnets.
//!
//! The planning lives in plain modules built on `vpc-plugin-kit`, tested natively;
//! [`plan::plan`] is their entry point, which the kit exports as the component's planner when
//! built for WebAssembly.

mod iam;
mod layout;
mod params;
pub mod plan;
mod region;

// The component's export, built for WebAssembly only: the exported symbols' names do not link
// natively, and the imported `log` that receives the notes exists only inside a host.
#[cfg(target_arch = "wasm32")]
vpc_plugin_kit::export_planner!(plan::plan);
