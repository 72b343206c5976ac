//! Ctrl-C while host changes EC2. The first one asks every region to stop
//! between calls: the calls already sent are answered, no new one is sent, and
//! host then reads and shows what exists. Since every resource is tagged in
//! its create call, the next run finds it all and finishes the job. A second
//! Ctrl-C ends host at once, which is no worse than a killed run.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use tokio::sync::Notify;

use crate::error::Error;

static REQUESTED: AtomicBool = AtomicBool::new(false);

/// Wakes the sleepers of [`sleep`] when the user asks host to stop.
static WOKEN: Notify = Notify::const_new();

/// The exit code after a second Ctrl-C, as a shell reports a SIGINT.
const EXIT_AT_ONCE: i32 = 130;

/// Listens for Ctrl-C on the current runtime for the rest of the process.
pub fn listen() {
    tokio::spawn(async {
        if tokio::signal::ctrl_c().await.is_err() {
            return;
        }
        REQUESTED.store(true, Ordering::SeqCst);
        WOKEN.notify_waiters();
        tracing::warn!(
            "interrupted: letting the EC2 calls under way finish, then stopping; Ctrl-C again stops at once"
        );
        if tokio::signal::ctrl_c().await.is_ok() {
            std::process::exit(EXIT_AT_ONCE);
        }
    });
}

/// Whether the user asked host to stop.
pub fn requested() -> bool {
    REQUESTED.load(Ordering::SeqCst)
}

/// Fails with [`Error::Interrupted`] once the user asked host to stop: called
/// before each EC2 call that changes something, and between polls.
pub fn check(region: &str) -> Result<(), Error> {
    if requested() {
        return Err(Error::Interrupted { region: region.to_string() });
    }
    Ok(())
}

/// Sleeps for `pause`, or less when the user asks host to stop meanwhile.
pub async fn sleep(pause: Duration) {
    // Made before the check, so a request between the two still wakes it.
    let woken = WOKEN.notified();
    if requested() {
        return;
    }
    tokio::select! {
        () = tokio::time::sleep(pause) => {}
        () = woken => {}
    }
}
