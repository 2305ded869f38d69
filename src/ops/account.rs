//! The requester's account: balance (sandbox-like, 10000.00 by default).

use crate::error::{MturkError, Result};

use super::{internal, Ctx};

/// GetAccountBalance: available balance in cents.
///
/// # Errors
/// Internal error if the requester has no account row (cannot happen for an
/// authenticated requester: accounts are created at start-up).
pub async fn balance_cents(ctx: &Ctx) -> Result<i64> {
    // Automatic approvals that are due pay out before anyone reads the balance.
    super::hits::settle(ctx.store.as_ref(), ctx.now).await?;
    ensure_account(ctx).await
}

/// Makes sure the caller has an account row and returns its balance in
/// cents, without settling automatic approvals (for use cases that settled
/// at their start). Every payment needs the payer's row: the store takes
/// money only from a row that covers it, and a missing row would read as
/// insufficient funds.
pub(crate) async fn ensure_account(ctx: &Ctx) -> Result<i64> {
    if let Some(cents) = ctx.store.balance_cents(&ctx.caller).await.map_err(internal)? {
        return Ok(cents);
    }
    // No account row: another instance sharing the database ran a reset, which
    // recreates only its own requesters. Open a fresh account, as at start-up.
    let start = ctx.policy.starting_balance(&ctx.caller);
    ctx.store.ensure_requesters(&[(ctx.caller.clone(), start)], ctx.now).await.map_err(internal)?;
    ctx.store
        .balance_cents(&ctx.caller)
        .await
        .map_err(internal)?
        .ok_or_else(|| MturkError::internal(anyhow::anyhow!("no account row for requester {}", ctx.caller)))
}

/// Formats cents as a money string with two decimals (`"10000.00"`).
#[must_use]
pub fn format_cents(cents: i64) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    let abs = cents.unsigned_abs();
    format!("{sign}{}.{:02}", abs / 100, abs % 100)
}

/// Parses a non-negative money string (`"5"`, `"0.5"`, `"10000.00"`) into cents.
#[must_use]
pub fn parse_cents(text: &str) -> Option<i64> {
    let (whole, frac) = text.split_once('.').unwrap_or((text, ""));
    if whole.is_empty() || !whole.bytes().all(|b| b.is_ascii_digit()) || frac.len() > 2 {
        return None;
    }
    if !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let whole: i64 = whole.parse().ok()?;
    let frac_cents: i64 = match frac.len() {
        0 => 0,
        1 => frac.parse::<i64>().ok()? * 10,
        _ => frac.parse().ok()?,
    };
    whole.checked_mul(100)?.checked_add(frac_cents)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_round_trips_through_cents() {
        assert_eq!(parse_cents("10000.00"), Some(1_000_000));
        assert_eq!(parse_cents("0.5"), Some(50));
        assert_eq!(parse_cents("5"), Some(500));
        assert_eq!(parse_cents("5."), Some(500));
        assert_eq!(parse_cents(".5"), None);
        assert_eq!(parse_cents("0.505"), None);
        assert_eq!(parse_cents("-1"), None);
        assert_eq!(format_cents(1_000_000), "10000.00");
        assert_eq!(format_cents(5), "0.05");
    }
}
