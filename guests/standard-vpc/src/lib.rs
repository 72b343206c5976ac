//! The default `host` plugin: one VPC per region, a public subnet in every availability zone,
//! private subnets behind NAT when instances get no public IPs, and the IAM actions that
//! applying all of it needs.
//!
//! The planning lives in plain modules that know nothing of the component model, so their unit
//! tests run natively; [`plan::plan`] is their entry point, and a small `component` module binds
//! it to the WIT world when built for WebAssembly.

mod bindings {
    //! Types and imports generated from the `plugin` world in `wit/`.

    wit_bindgen::generate!({
        path: "../../wit",
        world: "plugin",
        additional_derives: [PartialEq],
    });
}

#[cfg(target_arch = "wasm32")]
mod component;
mod iam;
mod layout;
mod params;
pub mod plan;
mod region;
mod regions;
mod routes;
mod zones;
