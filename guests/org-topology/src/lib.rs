//! An example of a custom `host` plugin: an organisation's own topology. Every VPC takes its
//! CIDR from an org-wide table, every availability zone gets public, private and isolated
//! subnets, and one zonal NAT gateway per region serves all private subnets.
//!
//! The planning lives in plain modules, tested natively; [`plan::plan`] is their entry point,
//! and a small `component` module binds it to the WIT world when built for WebAssembly.

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
mod zones;
