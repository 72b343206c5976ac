//! Retries, in two layers.
//!
//! Throttling (`RequestLimitExceeded`) and EC2's own 5xx answers are retried
//! by the SDK ([`sdk`]): standard mode, exponential backoff with full jitter,
//! up to [`ATTEMPTS`] attempts per call, so one run across many regions rides
//! out an account's request limits.
//!
//! What the SDK cannot know is handled here. EC2 is eventually consistent: an
//! id this run has just created can be unknown to the next call for a moment
//! ([`Fresh`]), and a delete can be refused for a while after what blocked it
//! is gone ([`Lingering`]). Both are retried with jittered backoff for a
//! bounded time; any other failure, and the same failure about anything else,
//! is returned at once.

use std::collections::HashSet;
use std::fmt::Debug;
use std::future::Future;
use std::sync::Mutex;
use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_sdk_ec2::config::retry::{RetryPartition, TokenBucket};
use aws_sdk_ec2::error::{ProvideErrorMetadata, SdkError};
use backon::{ExponentialBuilder, Retryable as _};

use super::{failure, stop};
use crate::error::Error;
use crate::term::Wait;

/// Attempts per call the SDK makes when EC2 throttles or fails on its side.
pub const ATTEMPTS: u32 = 10;

/// The SDK's retry settings.
pub fn sdk() -> RetryConfig {
    RetryConfig::standard()
        .with_max_attempts(ATTEMPTS)
        .with_initial_backoff(Duration::from_millis(500))
        .with_max_backoff(Duration::from_secs(20))
}

/// Where the SDK keeps its retry quota for `region`'s calls: a bucket of
/// host's own, without limit. The SDK's default bucket stops retrying once
/// a few hundred calls have been throttled, which a run across many regions
/// on a busy account reaches; every call still stops after [`ATTEMPTS`], each
/// after a longer pause, so a run that meets throttling slows down instead
/// of failing halfway.
pub fn partition(region: &str) -> RetryPartition {
    RetryPartition::custom(format!("host-ec2-{region}"))
        .token_bucket(TokenBucket::unlimited())
        .build()
}

/// EC2's "does not exist" codes, each with the prefix of the ids it is about.
const NOT_FOUND: [(&str, &str); 6] = [
    ("InvalidVpcID.NotFound", "vpc-"),
    ("InvalidSubnetID.NotFound", "subnet-"),
    ("InvalidInternetGatewayID.NotFound", "igw-"),
    ("InvalidRouteTableID.NotFound", "rtb-"),
    ("NatGatewayNotFound", "nat-"),
    ("InvalidAllocationID.NotFound", "eipalloc-"),
];

/// The ids one run has created in one region: the only ids whose `NotFound`
/// is EC2 catching up rather than a resource that is really gone.
#[derive(Debug, Default)]
pub struct Fresh(Mutex<HashSet<String>>);

impl Fresh {
    /// Records an id this run created.
    pub fn add(&self, id: &str) {
        self.0.lock().expect("no thread panics holding the lock").insert(id.to_string());
    }

    /// Whether this run created `id`.
    pub fn contains(&self, id: &str) -> bool {
        self.0.lock().expect("no thread panics holding the lock").contains(id)
    }

    /// Whether `code`, answered to a call naming `refs`, says that one of
    /// them, created by this run, is not visible yet.
    pub fn lagging(&self, code: &str, refs: &[&str]) -> bool {
        let Some((_, prefix)) = NOT_FOUND.iter().find(|(known, _)| *known == code) else {
            return false;
        };
        let fresh = self.0.lock().expect("no thread panics holding the lock");
        refs.iter().any(|id| id.starts_with(prefix) && fresh.contains(*id))
    }
}

/// Jittered exponential pauses from `first` up to `longest`, for at most
/// `total` in all.
fn jittered(first: Duration, longest: Duration, total: Duration) -> ExponentialBuilder {
    ExponentialBuilder::default()
        .with_jitter()
        .with_min_delay(first)
        .with_max_delay(longest)
        .with_total_delay(Some(total))
        .without_max_times()
}

/// How long EC2 may take to see its own new resources.
fn catching_up() -> ExponentialBuilder {
    jittered(Duration::from_millis(200), Duration::from_secs(5), Duration::from_secs(60))
}

/// A delete EC2 may refuse for a while after its blocker is gone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lingering {
    /// A dependency (a subnet's last interface, a VPC's last subnet, a NAT
    /// gateway's mapped address) was just removed.
    Dependency,
    /// An Elastic IP's NAT gateway was just deleted: EC2 answers
    /// `InvalidIPAddress.InUse`, or `AuthFailure`, until it lets go.
    Address,
}

impl Lingering {
    /// Whether `code` is this lag.
    pub fn matches(self, code: &str) -> bool {
        match self {
            Lingering::Dependency => code == "DependencyViolation",
            Lingering::Address => matches!(code, "InvalidIPAddress.InUse" | "AuthFailure"),
        }
    }
}

/// How long a delete is retried while EC2 lets go of a removed dependency.
fn letting_go() -> ExponentialBuilder {
    jittered(Duration::from_secs(1), Duration::from_secs(15), Duration::from_secs(180))
}

/// The error code of a failed call, when EC2 gave one.
pub fn code<E: ProvideErrorMetadata, R>(err: &SdkError<E, R>) -> Option<&str> {
    err.as_service_error().and_then(ProvideErrorMetadata::code)
}

/// Sends `call`, repeating it while `lagging` says its error code is EC2
/// catching up with this run's own writes.
pub async fn catch_up<T, E, R, F, Fut>(
    action: &str,
    region: &str,
    lagging: impl Fn(&str) -> bool,
    call: F,
) -> Result<T, Error>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, SdkError<E, R>>>,
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: Debug + 'static,
{
    repeat(action, region, catching_up(), lagging, None, call).await
}

/// Sends a delete, repeating it while EC2 refuses it for `lingering`.
pub async fn let_go<T, E, R, F, Fut>(
    action: &str,
    region: &str,
    lingering: Lingering,
    call: F,
) -> Result<T, Error>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, SdkError<E, R>>>,
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: Debug + 'static,
{
    let shown =
        format!("{region}: {action} refused while EC2 lets go of what host removed; retrying");
    repeat(action, region, letting_go(), |code| lingering.matches(code), Some(shown), call).await
}

/// Why an attempt of a repeated call failed.
enum Failed<E, R> {
    /// EC2 refused it.
    Sdk(SdkError<E, R>),
    /// The user asked host to stop, so it was not sent.
    Stopped,
}

async fn repeat<T, E, R, F, Fut>(
    action: &str,
    region: &str,
    backoff: ExponentialBuilder,
    again: impl Fn(&str) -> bool,
    shown: Option<String>,
    mut call: F,
) -> Result<T, Error>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, SdkError<E, R>>>,
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: Debug + 'static,
{
    let attempt = move || {
        let sent = (!stop::requested()).then(&mut call);
        async move {
            match sent {
                Some(answer) => answer.await.map_err(Failed::Sdk),
                None => Err(Failed::Stopped),
            }
        }
    };
    // Shown on the terminal from the first retry on, while the call is repeated.
    let mut waiting: Option<Wait> = None;
    let answer = attempt
        .retry(backoff)
        .sleep(stop::sleep)
        .when(|failed| matches!(failed, Failed::Sdk(err) if code(err).is_some_and(&again)))
        .notify(|failed, pause| {
            let code = match failed {
                Failed::Sdk(err) => code(err).unwrap_or("error"),
                Failed::Stopped => "nothing",
            };
            tracing::debug!(target: "ec2", "{action} in {region} answered {code}; trying again in {pause:.1?}");
            if let Some(message) = &shown {
                waiting.get_or_insert_with(|| Wait::start(message.clone()));
            }
        })
        .await;
    answer.map_err(|failed| match failed {
        Failed::Sdk(err) => failure(action, region, err),
        Failed::Stopped => Error::Interrupted { region: region.to_string() },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn not_found_is_lag_only_for_ids_this_run_created() {
        let fresh = Fresh::default();
        fresh.add("vpc-new");
        fresh.add("subnet-new");
        assert!(fresh.lagging("InvalidVpcID.NotFound", &["vpc-new"]));
        assert!(fresh.lagging("InvalidSubnetID.NotFound", &["rtb-old", "subnet-new"]));
        assert!(!fresh.lagging("InvalidVpcID.NotFound", &["vpc-old"]));
        // The code names the kind that is missing: a fresh VPC does not
        // explain a missing route table.
        assert!(!fresh.lagging("InvalidRouteTableID.NotFound", &["rtb-old", "vpc-new"]));
        assert!(!fresh.lagging("DependencyViolation", &["vpc-new"]));
    }

    #[test]
    fn lingering_refusals_are_told_apart() {
        assert!(Lingering::Dependency.matches("DependencyViolation"));
        assert!(!Lingering::Dependency.matches("InvalidIPAddress.InUse"));
        assert!(Lingering::Address.matches("InvalidIPAddress.InUse"));
        assert!(Lingering::Address.matches("AuthFailure"));
        assert!(!Lingering::Address.matches("UnauthorizedOperation"));
    }
}
