//! The requester's account: balance (sandbox-like, 10000.00 by default) and
//! the payments that came out of it.

use crate::domain::hit::Payment;
use crate::domain::money::Money;
use crate::error::{MturkError, Result};
use crate::mturk_error;
use crate::store::{Page, Paged};

use super::{internal, Ctx};

/// GetAccountBalance: available balance in cents.
///
/// # Errors
/// Internal error if the requester has no account row (cannot happen for an
/// authenticated requester: accounts are created at start-up).
pub async fn balance_cents(ctx: &Ctx) -> Result<i64> {
    // Automatic approvals that are due pay out before anyone reads the balance.
    super::settle(&ctx.worker()).await?;
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

/// GetAccountBalance: the available balance.
///
/// # Errors
/// As [`balance_cents`].
pub async fn balance(ctx: &Ctx) -> Result<Money> {
    balance_cents(ctx).await.map(Money::from_cents)
}

/// The error for a payment the balance cannot cover.
pub(super) fn insufficient_funds(cost: i64, balance: i64) -> MturkError {
    mturk_error!(
        InsufficientFunds,
        "This Requester has insufficient funds in their account to complete this transaction: it costs {} and the \
         available balance is {}.",
        crate::domain::money::format_cents(cost),
        crate::domain::money::format_cents(balance)
    )
}

/// The requester's payments to workers, newest first: each approved
/// assignment's reward and each bonus, with MTurk's fee on each
/// ([`Payment::fee_cents`]). Automatic approvals that are due pay first.
///
/// # Errors
/// Store failures only.
pub async fn payments(ctx: &Ctx, page: Page) -> Result<Paged<Payment>> {
    super::settle(&ctx.worker()).await?;
    ctx.store.payments(&ctx.caller, page).await.map_err(internal)
}
