//! The default `host` plugin: one VPC per region, a public subnet in every availability zone,
//! private subnets behind NAT when instances get no public IPs, and the IAM actions that
//! applying all of it needs.
//!
//! The planning lives in plain modules, built on `vpc-plugin-kit`, that know nothing of the
//! component model, so their unit tests run natively; [`plan::plan`] is their entry point, which
//! the kit exports as the component's planner when built for WebAssembly.

mod iam;
mod layout;
mod params;
pub mod plan;
mod region;
mod regions;
mod routes;

// The component's export, built for WebAssembly only: the exported symbols' names do not link
// natively, and the imported `log` that receives the notes exists only inside a host.
#[cfg(target_arch = "wasm32")]
vpc_plugin_kit::export_planner!(plan::plan);
