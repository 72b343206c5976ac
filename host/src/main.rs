//! `host`: creates, keeps and removes managed AWS VPCs for dstack, from plans
//! that WebAssembly plugins make and CEL policies check.

mod cli;
mod cmd;
mod config;
mod diff;
mod dstack;
mod ec2;
mod error;
mod facts;
#[cfg(test)]
mod fuzz;
mod iam;
mod pipeline;
mod plan;
mod plugin;
mod policy;
mod regions;
mod report;
mod state;
mod term;

use std::process::ExitCode;

/// mimalloc: host's short runs allocate many small values (YAML, JSON, CEL
/// values), which it serves several times faster than the system allocator.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use clap::Parser;
use tracing_subscriber::filter::{EnvFilter, filter_fn};
use tracing_subscriber::prelude::*;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    init_logging(cli.verbose);
    match cmd::execute(&cli.command) {
        Ok(code) => error::exit_code(code),
        Err(err) => {
            let kind = error::kind_of(&err);
            // Every format gets the message with control characters escaped:
            // a GitHub annotation or a JUnit report may end up on a terminal.
            let message = error::printable(&format!("{err:#}"));
            let prefix = term::paint(term::Stream::Stderr, term::Tone::Delete, "error:");
            eprintln!("{prefix} {message}");
            if let Some(document) = cmd::error_document(&cli.command, kind, &message) {
                // Nothing more can be reported if even this write fails.
                let _ = cmd::emit(&document);
            }
            error::exit_code(error::EXIT_ERROR)
        }
    }
}

/// Logs go to stderr: warnings, and the plugin's decisions, by default; more
/// with `-v`; or as `RUST_LOG` says. Whatever is asked for, and however
/// specific the directive, the AWS SDK's crates (`aws_*`) log at most at
/// info: at debug and trace they print the identity they sign with, access
/// key ID and session token included.
fn init_logging(verbose: u8) {
    let level = match verbose {
        0 => "warn,plugin=info,ec2=info",
        1 => "debug",
        _ => "trace",
    };
    let asked = std::env::var("RUST_LOG").ok().filter(|asked| !asked.trim().is_empty());
    let filter = EnvFilter::try_new(asked.as_deref().unwrap_or(level))
        .unwrap_or_else(|_| EnvFilter::new(level));
    let sdk_at_most_info = filter_fn(|meta| {
        *meta.level() <= tracing::Level::INFO || !meta.target().starts_with("aws_")
    });
    let layer = tracing_subscriber::fmt::layer()
        .with_writer(term::LogWriter)
        .with_target(false)
        .without_time()
        .with_ansi(term::colour(term::Stream::Stderr));
    tracing_subscriber::registry()
        .with(layer.with_filter(filter).with_filter(sdk_at_most_info))
        .init();
}
