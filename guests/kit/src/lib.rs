//! The building blocks of a `host` plugin: the bindings of the `plugin` world in `wit/`, and
//! the planning helpers that most plugins share.
//!
//! A plugin keeps its policy (tiers, layout, NAT, parameters, IAM actions) in plain modules
//! that return an [`Outcome`]; the kit finds the zones that hold subnets ([`zones`]), carves
//! CIDRs ([`cidr`]), builds subnets ([`subnets`]), keeps a zonal NAT gateway in place ([`nat`]),
//! walks the configured regions ([`regions`]) and, built for WebAssembly, exports the planner
//! with `export_planner!`.
//!
//! Everything here runs natively as well, so plugins test their planning with `cargo test`;
//! only the export, which calls the host's `log`, is built for WebAssembly alone.

#[expect(
    missing_docs,
    reason = "the generated namespace modules, `Guest` trait and aliases carry no docs; `wit/` documents them"
)]
pub mod bindings {
    //! Types, imports and the `export!` macro generated from the `plugin` world in `wit/`.
    //!
    //! Generated here once for every plugin: `export!` is public, so a plugin that implements
    //! the planner itself calls `vpc_plugin_kit::bindings::export!(MyPlugin)`.

    wit_bindgen::generate!({
        path: "../../wit",
        world: "plugin",
        additional_derives: [PartialEq],
        pub_export_macro: true,
        default_bindings_module: "vpc_plugin_kit::bindings",
    });
}

pub mod cidr;
#[cfg(target_arch = "wasm32")]
mod component;
#[cfg(any(test, feature = "fixtures"))]
pub mod fixtures;
pub mod nat;
mod outcome;
pub mod regions;
pub mod subnets;
pub mod zones;

/// The data exchanged with the host: config, facts, plan and errors.
pub use bindings::host::vpc::types;
pub use outcome::{Note, Outcome};
