//! Access to EC2: SDK clients built from the config's credentials or AWS's
//! standard chain, with the standard `AWS_ENDPOINT_URL` variables honoured;
//! reading what exists, and applying changes.

mod apply;
mod blockers;
mod delete;
mod facts;
mod read;
mod retry;
mod stop;
mod wait;

use aws_config::meta::region::RegionProviderChain;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_ec2::Client;
use aws_sdk_ec2::config::Credentials;
use aws_sdk_ec2::error::ProvideErrorMetadata;

pub use apply::{Applied, apply, noun};
pub use facts::from_survey as facts_of;
pub use read::{RegionRead, Survey, survey};

use crate::config::Creds;
use crate::error::Error;

/// The tag holding the managed set's name, beside [`crate::iam::OWNER_TAG`].
pub const SET_TAG: &str = "host:set";
/// The tag recording a subnet's tier.
pub const TIER_TAG: &str = "host:tier";

/// The region whose endpoint answers account-wide questions: the one the
/// environment or profile names, else `us-east-1`.
const FALLBACK_REGION: &str = "us-east-1";

/// The shared SDK configuration: credentials from the config's `creds` when it
/// holds a static key, else the standard chain (environment, profiles, SSO,
/// instance role).
pub async fn sdk_config(creds: &Creds) -> SdkConfig {
    let region = RegionProviderChain::default_provider().or_else(FALLBACK_REGION);
    let mut loader =
        aws_config::defaults(BehaviorVersion::latest()).region(region).retry_config(retry::sdk());
    if let Creds::AccessKey { access_key, secret_key } = creds {
        let key = Credentials::new(access_key, secret_key, None, None, "host config");
        loader = loader.credentials_provider(key);
    }
    loader.load().await
}

/// An EC2 client for `region`, retrying as [`retry::partition`] says.
pub fn client(base: &SdkConfig, region: &str) -> Client {
    let config = aws_sdk_ec2::config::Builder::from(base)
        .region(Region::new(region.to_string()))
        .retry_partition(retry::partition(region))
        .build();
    Client::from_conf(config)
}

/// The region `base` answers account-wide questions in.
pub fn home_region(base: &SdkConfig) -> String {
    base.region().map_or_else(|| FALLBACK_REGION.to_string(), |r| r.as_ref().to_string())
}

/// An EC2 call that failed, named by action and region, with AWS's error code.
pub fn failure<E, R>(action: &str, region: &str, err: aws_sdk_ec2::error::SdkError<E, R>) -> Error
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug + 'static,
{
    let detail = match err.as_service_error() {
        Some(service) => format!(
            "{}: {}",
            service.code().unwrap_or("error"),
            service.message().unwrap_or("no message")
        ),
        None => causes(&err),
    };
    Error::Aws { action: action.to_string(), region: region.to_string(), message: detail }
}

/// An error and its causes, one line each, without the debug dump the SDK's
/// own rendering ends with; with a hint when no credentials were found.
fn causes(err: &(dyn std::error::Error + 'static)) -> String {
    let mut parts = vec![err.to_string()];
    let mut source = err.source();
    while let Some(cause) = source {
        let text = cause.to_string();
        if !parts.iter().any(|part| part.contains(&text)) {
            parts.push(text);
        }
        source = cause.source();
    }
    let mut message = parts.join(": ");
    if message.contains("no credentials found") {
        message.push_str(
            "; give AWS credentials through the environment, a profile, SSO or an instance role, or as `creds` in the config",
        );
    }
    message
}

/// An answer from EC2 that host cannot use, named by action and region.
fn unexpected(action: &str, region: &str, message: String) -> anyhow::Error {
    Error::Aws { action: action.to_string(), region: region.to_string(), message }.into()
}

#[cfg(test)]
mod tests {
    use crate::iam::ACTIONS;

    /// Every EC2 call names its action for errors; each must be one the
    /// printed policy grants, or a run with exactly that policy would fail.
    #[test]
    fn every_call_the_ec2_code_makes_is_in_the_iam_table() {
        let sources = [
            include_str!("read.rs"),
            include_str!("apply.rs"),
            include_str!("delete.rs"),
            include_str!("blockers.rs"),
            include_str!("wait.rs"),
        ];
        let mut called = Vec::new();
        for source in sources {
            for call in ["failure(\"", "call(\"", "let_go(\"", "settle(\"", "catch_up(\""] {
                for piece in source.split(call).skip(1) {
                    called.push(piece.split('"').next().unwrap().to_string());
                }
            }
        }
        assert!(called.len() > 30, "{called:?}");
        for action in called {
            let name = format!("ec2:{action}");
            assert!(ACTIONS.iter().any(|a| a.name == name), "`{name}` is not in iam::ACTIONS");
        }
    }
}
