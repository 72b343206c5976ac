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

use std::process::ExitCode;

/// mimalloc: host's short runs allocate many small values (YAML, JSON, CEL
/// values), which it serves several times faster than the system allocator.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use clap::Parser;
use tracing_subscriber::EnvFilter;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    init_logging(cli.verbose);
    match cmd::execute(&cli.command) {
        Ok(code) => error::exit_code(code),
        Err(err) => {
            let kind = error::kind_of(&err);
            eprintln!("error: {}", error::printable(&format!("{err:#}")));
            if let Some(document) = cmd::error_document(&cli.command, kind, &format!("{err:#}")) {
                // Nothing more can be reported if even this write fails.
                let _ = cmd::emit(&document);
            }
            error::exit_code(error::EXIT_ERROR)
        }
    }
}

/// The most the AWS SDK's crates may log.
const SDK_AT_MOST: &str = "aws_config=info,aws_runtime=info,aws_sdk_ec2=info,aws_sigv4=info,\
    aws_smithy_runtime=info,aws_smithy_runtime_api=info,aws_smithy_http_client=info,\
    aws_smithy_types=info,aws_credential_types=info";

/// Logs go to stderr: warnings, and the plugin's decisions, by default; more
/// with `-v`; or as `RUST_LOG` says. Whatever is asked for, the AWS SDK logs
/// at most at info: at debug and trace it prints the identity it signs with,
/// access key ID and session token included.
fn init_logging(verbose: u8) {
    let level = match verbose {
        0 => "warn,plugin=info,ec2=info",
        1 => "debug",
        _ => "trace",
    };
    let asked = std::env::var("RUST_LOG").ok().filter(|asked| !asked.trim().is_empty());
    let directives = format!("{},{SDK_AT_MOST}", asked.as_deref().unwrap_or(level));
    let filter = EnvFilter::try_new(&directives).unwrap_or_else(|_| EnvFilter::new(level));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .without_time()
        .with_ansi(
            std::io::IsTerminal::is_terminal(&std::io::stderr())
                && std::env::var_os("NO_COLOR").is_none(),
        )
        .init();
}
