//! Bounded waits for NAT gateways, which take minutes to become available and
//! to go away. Each wait says what it waits for, and gives up with an error
//! naming the gateways after [`NAT_WAIT`].

use std::time::{Duration, Instant};

use anyhow::Result;
use aws_sdk_ec2::Client;
use aws_sdk_ec2::types::NatGatewayState;

use super::apply::NAT_WAIT;
use super::retry::{self, Fresh};
use super::{failure, stop, unexpected};
use crate::term::Wait;

/// Shortest pause between polls.
const FIRST_POLL: Duration = Duration::from_millis(250);
/// Longest pause between polls.
const MAX_POLL: Duration = Duration::from_secs(10);

/// The pause before the next poll: a twentieth of the time waited so far,
/// so that a gateway is seen at most about a twentieth of its wait late,
/// whether EC2 takes seconds or minutes: about 80 polls in a two-minute wait.
fn pause(waited: Duration) -> Duration {
    (waited / 20).clamp(FIRST_POLL, MAX_POLL)
}

/// What a wait waits for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NatWait {
    /// Every gateway is available.
    Available,
    /// Every gateway is deleted.
    Deleted,
}

impl NatWait {
    fn goal(self) -> &'static str {
        match self {
            NatWait::Available => "available",
            NatWait::Deleted => "deleted",
        }
    }
}

/// Polls `ids` until every one reaches `wait`'s state. A gateway this run
/// created (`fresh`) may not be visible at first.
pub async fn wait_nats(
    ec2: &Client,
    region: &str,
    ids: &[String],
    wait: NatWait,
    fresh: &Fresh,
) -> Result<()> {
    let started = Instant::now();
    // Shown once the first poll finds a gateway still on its way.
    let mut shown: Option<Wait> = None;
    let message = |waiting: &[String]| {
        let noun = if waiting.len() == 1 { "gateway" } else { "gateways" };
        format!("{region}: waiting for NAT {noun} {} to become {}", waiting.join(", "), wait.goal())
    };
    loop {
        stop::check(region)?;
        let waiting = unfinished(ec2, region, ids, wait, fresh).await?;
        if waiting.is_empty() {
            if shown.is_some() {
                let elapsed = started.elapsed().as_secs();
                tracing::info!(target: "ec2", "NAT gateways in {region} are {} after {elapsed}s", wait.goal());
            }
            return Ok(());
        }
        if started.elapsed() >= NAT_WAIT {
            let message = format!(
                "NAT gateway {} did not become {} within {} minutes; run again to go on waiting",
                waiting.join(", "),
                wait.goal(),
                NAT_WAIT.as_secs() / 60
            );
            return Err(unexpected("DescribeNatGateways", region, message));
        }
        match &shown {
            Some(shown) => shown.set_message(message(&waiting)),
            None => {
                tracing::info!(target: "ec2", "waiting for NAT gateway {} in {region} to become {}", waiting.join(", "), wait.goal());
                shown = Some(Wait::start(message(&waiting)));
            }
        }
        stop::sleep(pause(started.elapsed())).await;
    }
}

/// The gateways not yet in the wanted state; a failed gateway is an error.
async fn unfinished(
    ec2: &Client,
    region: &str,
    ids: &[String],
    wait: NatWait,
    fresh: &Fresh,
) -> Result<Vec<String>> {
    let call = ec2.describe_nat_gateways().set_nat_gateway_ids(Some(ids.to_vec()));
    let output = if wait == NatWait::Deleted {
        match call.send().await {
            // Long gone: EC2 lists a deleted gateway for about an hour.
            Err(err) if retry::code(&err) == Some("NatGatewayNotFound") => return Ok(Vec::new()),
            output => output.map_err(|err| failure("DescribeNatGateways", region, err))?,
        }
    } else {
        let refs: Vec<&str> = ids.iter().map(String::as_str).collect();
        let lagging = |code: &str| fresh.lagging(code, &refs);
        retry::catch_up("DescribeNatGateways", region, lagging, || call.clone().send()).await?
    };
    let mut waiting = Vec::new();
    for id in ids {
        let gateway =
            output.nat_gateways().iter().find(|g| g.nat_gateway_id() == Some(id.as_str()));
        let state = gateway.and_then(|gateway| gateway.state());
        let done = match (wait, state) {
            (_, Some(NatGatewayState::Failed)) if wait == NatWait::Available => {
                let reason = gateway.and_then(|g| g.failure_message()).unwrap_or("no reason given");
                let message = format!("NAT gateway {id} failed: {reason}");
                return Err(unexpected("CreateNatGateway", region, message));
            }
            (NatWait::Available, Some(NatGatewayState::Available)) => true,
            (NatWait::Deleted, None | Some(NatGatewayState::Deleted | NatGatewayState::Failed)) => {
                true
            }
            _ => false,
        };
        if !done {
            waiting.push(id.clone());
        }
    }
    Ok(waiting)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn polls_come_a_twentieth_of_the_wait_apart_within_bounds() {
        assert_eq!(pause(Duration::ZERO), FIRST_POLL);
        assert_eq!(pause(Duration::from_secs(5)), Duration::from_millis(250));
        assert_eq!(pause(Duration::from_secs(90)), Duration::from_millis(4500));
        assert_eq!(pause(Duration::from_secs(600)), MAX_POLL);
    }
}
