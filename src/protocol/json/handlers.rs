//! One decoder/encoder per JSON operation: members in, `ops` call, output
//! object out. The same `ops` functions serve the legacy API.

use serde_json::{json, Value};

use crate::domain::hit::AssignmentStatus;
use crate::domain::paging::{Page, Paged};
use crate::error::{invalid_value_because, Result};
use crate::ops::hits::{self, NewHit, NewHitType};

use super::dto;
use super::input::{encode_token, Input};

/// A list output: `NumResults`, the items under `key`, and a `NextToken` on
/// every page that has items, the last one included.
///
/// The real service does this (modern-api.md §4, corrected): a captured 2021
/// `ListAssignmentsForHIT(MaxResults=100)` answer has `NumResults: 1` and a
/// `NextToken`, and oTree's `get_all_assignments` reads `NextToken` after each
/// non-empty page and stops only at an empty one, so it raises `KeyError` on
/// a last page without it. The call with that token answers `NumResults: 0`
/// and no `NextToken`, which ends every SDK paginator one call later. Offsets
/// only grow, so no token is ever handed out twice in one walk.
fn listing<T>(key: &str, scope: &str, page: Page, found: &Paged<T>, encode: impl Fn(&T) -> Value) -> Value {
    let items: Vec<Value> = found.items.iter().map(encode).collect();
    let mut out = json!({ "NumResults": items.len() });
    if !items.is_empty() {
        let next = page.offset.saturating_add(i64::try_from(items.len()).unwrap_or(i64::MAX));
        out["NextToken"] = json!(encode_token(next, scope));
    }
    out[key] = Value::Array(items);
    out
}

crate::protocol::define_handlers! {
    Input => Value;

    /// CreateHITType: reuses the caller's type with the same properties.
    async fn create_hit_type(ctx, input) {
        let id = hits::create_hit_type(ctx, hit_type_input(input)?).await?;
        Ok(json!({ "HITTypeId": id }))
    }

    /// CreateHIT: an implicit CreateHITType, then CreateHITWithHITType.
    async fn create_hit(ctx, input) {
        reject_layouts(input)?;
        let type_id = hits::create_hit_type(ctx, hit_type_input(input)?).await?;
        let hit = hits::create_hit(ctx, &type_id, hit_input(input)?).await?;
        Ok(json!({ "HIT": dto::hit(&hit, ctx.now) }))
    }

    /// CreateHITWithHITType.
    async fn create_hit_with_hit_type(ctx, input) {
        reject_layouts(input)?;
        let type_id = input.required_string("HITTypeId")?;
        let hit = hits::create_hit(ctx, &type_id, hit_input(input)?).await?;
        Ok(json!({ "HIT": dto::hit(&hit, ctx.now) }))
    }

    /// GetHIT: the caller's HIT, deleted ones included.
    async fn get_hit(ctx, input) {
        let hit = hits::owned_hit(ctx, &input.required_string("HITId")?).await?;
        Ok(json!({ "HIT": dto::hit(&hit, ctx.now) }))
    }

    /// ListHITs: the caller's HITs that are not deleted, oldest first.
    async fn list_hits(ctx, input) {
        let page = input.page("ListHITs")?;
        let found = hits::list_hits(ctx, None, page).await?;
        Ok(listing("HITs", "ListHITs", page, &found, |h| dto::hit(h, ctx.now)))
    }

    /// ListHITsForQualificationType.
    async fn list_hits_for_qualification_type(ctx, input) {
        let qt = input.type_id("QualificationTypeId")?;
        let scope = format!("ListHITsForQualificationType/{qt}");
        let page = input.page(&scope)?;
        let found = hits::list_hits(ctx, Some(&qt), page).await?;
        Ok(listing("HITs", &scope, page, &found, |h| dto::hit(h, ctx.now)))
    }

    /// UpdateExpirationForHIT: a time at or before now expires the HIT.
    async fn update_expiration_for_hit(ctx, input) {
        let id = input.required_string("HITId")?;
        let at = input.timestamp("ExpireAt")?.ok_or_else(|| crate::error::missing_parameter("ExpireAt"))?;
        hits::update_expiration(ctx, &id, at).await?;
        Ok(json!({}))
    }

    /// DeleteHIT.
    async fn delete_hit(ctx, input) {
        hits::delete_hit(ctx, &input.required_string("HITId")?).await?;
        Ok(json!({}))
    }

    /// ListAssignmentsForHIT: all three statuses unless filtered.
    async fn list_assignments_for_hit(ctx, input) {
        let hit_id = input.required_string("HITId")?;
        let statuses = input
            .strings("AssignmentStatuses")?
            .unwrap_or_default()
            .iter()
            .map(|s| match s.as_str() {
                "Submitted" => Ok(AssignmentStatus::Submitted),
                "Approved" => Ok(AssignmentStatus::Approved),
                "Rejected" => Ok(AssignmentStatus::Rejected),
                other => Err(invalid_value_because("AssignmentStatuses", other, "Expected Submitted, Approved or Rejected.")),
            })
            .collect::<Result<Vec<_>>>()?;
        let scope = format!("ListAssignmentsForHIT/{hit_id}/{statuses:?}");
        let page = input.page(&scope)?;
        let found = hits::list_assignments(ctx, &hit_id, &statuses, page).await?;
        Ok(listing("Assignments", &scope, page, &found, dto::assignment))
    }

    /// GetAssignment: the assignment and its HIT.
    async fn get_assignment(ctx, input) {
        let (a, hit) = hits::get_assignment(ctx, &input.required_string("AssignmentId")?).await?;
        Ok(json!({ "Assignment": dto::assignment(&a), "HIT": dto::hit(&hit, ctx.now) }))
    }

    /// ApproveAssignment (with `OverrideRejection` for a rejected one).
    async fn approve_assignment(ctx, input) {
        let id = input.required_string("AssignmentId")?;
        let override_rejection = input.boolean("OverrideRejection")?.unwrap_or(false);
        hits::approve(ctx, &id, input.string("RequesterFeedback")?, override_rejection).await?;
        Ok(json!({}))
    }

    /// ListReviewableHITs: `Reviewable` (default) or `Reviewing`, optionally of one HIT type.
    async fn list_reviewable_hits(ctx, input) {
        let hit_type = input.string("HITTypeId")?;
        let reviewing = match input.string("Status")?.as_deref() {
            None | Some("Reviewable") => false,
            Some("Reviewing") => true,
            Some(other) => return Err(invalid_value_because("Status", other, "Expected values are Reviewable and Reviewing.")),
        };
        let scope = format!("ListReviewableHITs/{hit_type:?}/{reviewing}");
        let page = input.page(&scope)?;
        let found = hits::list_reviewable(ctx, hit_type.as_deref(), reviewing, page).await?;
        Ok(listing("HITs", &scope, page, &found, |h| dto::hit(h, ctx.now)))
    }

    /// UpdateHITReviewStatus: Reviewable → Reviewing, or back with `Revert`.
    async fn update_hit_review_status(ctx, input) {
        let id = input.required_string("HITId")?;
        hits::update_review_status(ctx, &id, input.boolean("Revert")?.unwrap_or(false)).await?;
        Ok(json!({}))
    }

    /// UpdateHITTypeOfHIT.
    async fn update_hit_type_of_hit(ctx, input) {
        hits::change_hit_type(ctx, &input.required_string("HITId")?, &input.required_string("HITTypeId")?).await?;
        Ok(json!({}))
    }

    /// CreateAdditionalAssignmentsForHIT.
    async fn create_additional_assignments_for_hit(ctx, input) {
        let id = input.required_string("HITId")?;
        let more = input
            .long("NumberOfAdditionalAssignments")?
            .ok_or_else(|| crate::error::missing_parameter("NumberOfAdditionalAssignments"))?;
        hits::add_assignments(ctx, &id, more, input.string("UniqueRequestToken")?.as_deref()).await?;
        Ok(json!({}))
    }

    /// SendBonus: all four members required; `Reason` may be empty (no minimum in the model).
    async fn send_bonus(ctx, input) {
        let worker = input.worker_id("WorkerId")?;
        let amount = input.money("BonusAmount")?;
        let assignment = input.required_string("AssignmentId")?;
        let reason = input.required_text("Reason")?;
        hits::send_bonus(ctx, &worker, &assignment, amount, reason, input.string("UniqueRequestToken")?.as_deref()).await?;
        Ok(json!({}))
    }

    /// ListBonusPayments: exactly one of HITId and AssignmentId.
    async fn list_bonus_payments(ctx, input) {
        let hit_id = input.string("HITId")?;
        let assignment_id = input.string("AssignmentId")?;
        let scope = format!("ListBonusPayments/{hit_id:?}/{assignment_id:?}");
        let page = input.page(&scope)?;
        let found = hits::list_bonuses(ctx, hit_id.as_deref(), assignment_id.as_deref(), page).await?;
        Ok(listing("BonusPayments", &scope, page, &found, dto::bonus))
    }

    /// RejectAssignment: `RequesterFeedback` is required in this API, and may be `""`.
    async fn reject_assignment(ctx, input) {
        let id = input.required_string("AssignmentId")?;
        hits::reject(ctx, &id, Some(input.required_text("RequesterFeedback")?)).await?;
        Ok(json!({}))
    }
}

fn hit_type_input(input: &Input) -> Result<NewHitType> {
    Ok(NewHitType {
        title: input.required_nonempty("Title")?,
        description: input.required_nonempty("Description")?,
        keywords: input.string("Keywords")?,
        reward_cents: input.money("Reward")?,
        assignment_duration_secs: input
            .long("AssignmentDurationInSeconds")?
            .ok_or_else(|| crate::error::missing_parameter("AssignmentDurationInSeconds"))?,
        auto_approval_delay_secs: input.long("AutoApprovalDelayInSeconds")?,
        requirements: input.requirements("QualificationRequirements")?,
    })
}

fn hit_input(input: &Input) -> Result<NewHit> {
    Ok(NewHit {
        question: input.required_nonempty("Question")?,
        max_assignments: input.long("MaxAssignments")?,
        lifetime_secs: input
            .long("LifetimeInSeconds")?
            .ok_or_else(|| crate::error::missing_parameter("LifetimeInSeconds"))?,
        requester_annotation: input.string("RequesterAnnotation")?,
        unique_request_token: input.string("UniqueRequestToken")?,
    })
}

/// HIT layouts live on the real requester website; there is nothing to expand here.
fn reject_layouts(input: &Input) -> Result<()> {
    if input.string("HITLayoutId")?.is_some() {
        return Err(crate::mturk_error!(
            NotImplemented,
            "HIT layouts are not supported by mturk-local; send the Question instead."
        ));
    }
    Ok(())
}
