//! CIDR functions for policy rules, built on `ipnet`.
//!
//! - `cidrContains(outer, inner)`: whether `inner` lies wholly inside `outer`.
//! - `cidrOverlaps(a, b)`: whether the two blocks share any address.
//! - `cidrPrefix(cidr)`: the prefix length, as an int.
//! - `cidrValid(text)`: whether the text is an IPv4 CIDR with no host bits set.
//!
//! A malformed CIDR passed to the first three is an evaluation error that names it.

use std::sync::Arc;

use cel::objects::Value;
use cel::{Context, FunctionContext, ResolveResult};
use ipnet::Ipv4Net;

/// The names of the functions this module registers.
pub const FUNCTIONS: &[&str] = &["cidrContains", "cidrOverlaps", "cidrPrefix", "cidrValid"];

/// Registers the CIDR functions on a context.
pub fn register(context: &mut Context<'_, '_>) -> Result<(), cel::DeclarationError> {
    context.add_function("cidrContains", contains)?;
    context.add_function("cidrOverlaps", overlaps)?;
    context.add_function("cidrPrefix", prefix)?;
    context.add_function("cidrValid", valid)?;
    Ok(())
}

fn parse(ftx: &FunctionContext, text: &str) -> Result<Ipv4Net, cel::ExecutionError> {
    text.parse::<Ipv4Net>().map_err(|_| ftx.error(format!("`{text}` is not an IPv4 CIDR")))
}

fn contains(ftx: &FunctionContext, outer: Arc<String>, inner: Arc<String>) -> ResolveResult {
    let (outer, inner) = (parse(ftx, &outer)?, parse(ftx, &inner)?);
    Ok(Value::Bool(outer.contains(&inner)))
}

fn overlaps(ftx: &FunctionContext, a: Arc<String>, b: Arc<String>) -> ResolveResult {
    let (a, b) = (parse(ftx, &a)?, parse(ftx, &b)?);
    Ok(Value::Bool(a.contains(&b.network()) || b.contains(&a.network())))
}

fn prefix(ftx: &FunctionContext, cidr: Arc<String>) -> ResolveResult {
    Ok(Value::Int(i64::from(parse(ftx, &cidr)?.prefix_len())))
}

fn valid(text: Arc<String>) -> bool {
    text.parse::<Ipv4Net>().is_ok_and(|net| net.trunc() == net)
}
