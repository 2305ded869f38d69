//! Legacy decoders/encoders of the HIT and assignment operations
//! (spec legacy-api.md §8), over the same `ops::hits` as the JSON API.

use crate::domain::hit::{AssignmentStatus, Hit};
use crate::domain::ids::{QualificationTypeId, WorkerId};
use crate::domain::paging::{Page, Paged};
use crate::domain::requirement::{Comparator, Locale, QualificationRequirement};
use crate::domain::time::Timestamp;
use crate::error::{invalid_value, invalid_value_because, missing_parameter, Result};
use crate::mturk_error;
use crate::ops::hits::{self, NewHit, NewHitType};

use super::dto::{self, CounterOrder, HitGroups};
use super::envelope::Xml;
use super::params::Params;

/// A money structure: `Name.1.Amount` or `Name.Amount`, in USD.
fn money(p: &Params, name: &str) -> Result<i64> {
    let parts = p.structures(name);
    let Some(price) = parts.first() else { return Err(missing_parameter(&format!("{name}.1.Amount"))) };
    let amount = price.required("Amount")?;
    if let Some(currency) = price.optional("CurrencyCode")? {
        if currency != "USD" {
            return Err(invalid_value_because("CurrencyCode", currency, "Only USD is supported."));
        }
    }
    crate::domain::money::parse_cents(amount).ok_or_else(|| invalid_value(&format!("{name}.Amount"), amount))
}

fn requirements(p: &Params) -> Result<Vec<QualificationRequirement>> {
    p.structures("QualificationRequirement")
        .iter()
        .map(|r| {
            let comparator_text = r.required("Comparator")?;
            let integer_values = r
                .list("IntegerValue")
                .into_iter()
                .map(|v| v.trim().parse::<i32>().map_err(|_| invalid_value("IntegerValue", v)))
                .collect::<Result<Vec<_>>>()?;
            let locale_values = r
                .structures("LocaleValue")
                .iter()
                .map(|l| {
                    Ok(Locale {
                        country: l.required("Country")?.to_owned(),
                        subdivision: l.optional("Subdivision")?.map(str::to_owned),
                    })
                })
                .collect::<Result<Vec<_>>>()?;
            Ok(QualificationRequirement {
                type_id: r.required("QualificationTypeId")?.to_owned(),
                comparator: Comparator::parse(comparator_text)
                    .ok_or_else(|| invalid_value("Comparator", comparator_text))?,
                integer_values,
                locale_values,
                required_to_preview: r.boolean("RequiredToPreview")?.unwrap_or(false),
                actions_guarded: None,
            })
        })
        .collect()
}

fn hit_type_input(p: &Params) -> Result<NewHitType> {
    Ok(NewHitType {
        title: p.required("Title")?.to_owned(),
        description: p.required("Description")?.to_owned(),
        keywords: p.optional("Keywords")?.map(str::to_owned),
        reward_cents: money(p, "Reward")?,
        assignment_duration_secs: p
            .long("AssignmentDurationInSeconds")?
            .ok_or_else(|| missing_parameter("AssignmentDurationInSeconds"))?,
        auto_approval_delay_secs: p.long("AutoApprovalDelayInSeconds")?,
        requirements: requirements(p)?,
    })
}

fn hit_id(p: &Params) -> Result<String> {
    Ok(p.required("HITId")?.to_owned())
}

fn page_of(p: &Params) -> Result<(Page, i64)> {
    let (offset, limit, number) = p.paging(100)?;
    Ok((Page { offset, limit }, number))
}

fn hits_page(xml: &mut Xml, found: &Paged<Hit>, number: i64, now: Timestamp) {
    dto::counters(xml, CounterOrder::Captured, found.items.len(), found.total, number);
    for h in &found.items {
        dto::hit(xml, h, now);
    }
}

fn hit_groups(p: &Params) -> HitGroups {
    let groups = p.response_groups();
    let asked = |g: &str| groups.contains(&g);
    if !groups.iter().any(|g| ["Minimal", "HITDetail", "HITQuestion", "HITAssignmentSummary"].contains(g)) {
        return HitGroups::ALL;
    }
    HitGroups {
        detail: asked("HITDetail"),
        question: asked("HITQuestion"),
        assignment_summary: asked("HITAssignmentSummary"),
    }
}

crate::protocol::define_handlers! {
    Params => String;

    /// RegisterHITType: returns the HITTypeId (an existing one when identical).
    async fn register_hit_type(ctx, p) {
        let id = hits::create_hit_type(ctx, hit_type_input(p)?).await?;
        let mut xml = Xml::new();
        xml.leaf("HITTypeId", &id);
        Ok(xml.finish())
    }

    /// CreateHIT, from a HITTypeId or from the type's properties (shape B, `<HIT>`).
    async fn create_hit(ctx, p) {
        if p.optional("HITLayoutId")?.is_some() {
            return Err(mturk_error!(NotImplemented, "HIT layouts are not supported by mturk-local; send the Question instead."));
        }
        let type_id = match p.optional("HITTypeId")? {
            Some(t) => t.to_owned(),
            None => hits::create_hit_type(ctx, hit_type_input(p)?).await?,
        };
        let input = NewHit {
            question: p.required("Question")?.to_owned(),
            max_assignments: p.long("MaxAssignments")?,
            lifetime_secs: p.long("LifetimeInSeconds")?.ok_or_else(|| missing_parameter("LifetimeInSeconds"))?,
            requester_annotation: p.optional("RequesterAnnotation")?.map(str::to_owned),
            unique_request_token: p.optional("UniqueRequestToken")?.map(str::to_owned),
        };
        let hit = hits::create_hit(ctx, &type_id, input).await?;
        let mut xml = Xml::new();
        dto::hit_fields(&mut xml, &hit, ctx.now, HitGroups::ALL);
        Ok(xml.finish())
    }

    /// GetHIT (shape B) with the HITDetail, HITQuestion and HITAssignmentSummary groups.
    async fn get_hit(ctx, p) {
        let hit = hits::owned_hit(ctx, &hit_id(p)?).await?;
        let mut xml = Xml::new();
        dto::hit_fields(&mut xml, &hit, ctx.now, hit_groups(p));
        Ok(xml.finish())
    }

    /// SearchHITs: the caller's HITs that are not disposed, by creation time.
    async fn search_hits(ctx, p) {
        if let Some(prop) = p.optional("SortProperty")? {
            if !["Title", "Reward", "Expiration", "CreationTime", "Enumeration"].contains(&prop) {
                return Err(invalid_value_because("SortProperty", prop, "Expected Title, Reward, Expiration, CreationTime or Enumeration."));
            }
        }
        let (page, number) = page_of(p)?;
        let found = hits::list_hits(ctx, None, page).await?;
        let mut xml = Xml::new();
        hits_page(&mut xml, &found, number, ctx.now);
        Ok(xml.finish())
    }

    /// GetReviewableHITs: `Status` Reviewable (default) or Reviewing.
    async fn get_reviewable_hits(ctx, p) {
        let reviewing = match p.optional("Status")? {
            None | Some("Reviewable") => false,
            Some("Reviewing") => true,
            Some(other) => return Err(invalid_value_because("Status", other, "Expected values are Reviewable and Reviewing.")),
        };
        let (page, number) = page_of(p)?;
        let found = hits::list_reviewable(ctx, p.optional("HITTypeId")?, reviewing, page).await?;
        let mut xml = Xml::new();
        hits_page(&mut xml, &found, number, ctx.now);
        Ok(xml.finish())
    }

    /// GetHITsForQualificationType.
    async fn get_hits_for_qualification_type(ctx, p) {
        let raw = p.required("QualificationTypeId")?;
        let qt = QualificationTypeId::parse(raw).ok_or_else(|| invalid_value("QualificationTypeId", raw))?;
        let (page, number) = page_of(p)?;
        let found = hits::list_hits(ctx, Some(&qt), page).await?;
        let mut xml = Xml::new();
        hits_page(&mut xml, &found, number, ctx.now);
        Ok(xml.finish())
    }

    /// SetHITAsReviewing (`Revert` to go back).
    async fn set_hit_as_reviewing(ctx, p) {
        hits::update_review_status(ctx, &hit_id(p)?, p.boolean("Revert")?.unwrap_or(false)).await?;
        Ok(String::new())
    }

    /// ChangeHITTypeOfHIT.
    async fn change_hit_type_of_hit(ctx, p) {
        hits::change_hit_type(ctx, &hit_id(p)?, p.required("HITTypeId")?).await?;
        Ok(String::new())
    }

    /// ExtendHIT: more assignments and/or more time, in one call.
    async fn extend_hit(ctx, p) {
        let id = hit_id(p)?;
        let more = p.long("MaxAssignmentsIncrement")?;
        let seconds = p.long("ExpirationIncrementInSeconds")?;
        hits::extend_hit(ctx, &id, more, seconds, p.optional("UniqueRequestToken")?).await?;
        Ok(String::new())
    }

    /// ForceExpireHIT.
    async fn force_expire_hit(ctx, p) {
        hits::update_expiration(ctx, &hit_id(p)?, ctx.now).await?;
        Ok(String::new())
    }

    /// DisableHIT: expire it, approve (and pay) what was submitted, dispose it.
    async fn disable_hit(ctx, p) {
        hits::disable_hit(ctx, &hit_id(p)?).await?;
        Ok(String::new())
    }

    /// DisposeHIT.
    async fn dispose_hit(ctx, p) {
        hits::delete_hit(ctx, &hit_id(p)?).await?;
        Ok(String::new())
    }

    /// GetAssignmentsForHIT: `AssignmentStatus` filter (repeatable).
    async fn get_assignments_for_hit(ctx, p) {
        let statuses = p
            .list("AssignmentStatus")
            .into_iter()
            .flat_map(|s| s.split(','))
            .map(|s| match s.trim() {
                "Submitted" => Ok(AssignmentStatus::Submitted),
                "Approved" => Ok(AssignmentStatus::Approved),
                "Rejected" => Ok(AssignmentStatus::Rejected),
                other => Err(invalid_value_because("AssignmentStatus", other, "Expected Submitted, Approved or Rejected.")),
            })
            .collect::<Result<Vec<_>>>()?;
        let (page, number) = page_of(p)?;
        let found = hits::list_assignments(ctx, &hit_id(p)?, &statuses, page).await?;
        let mut xml = Xml::new();
        dto::counters(&mut xml, CounterOrder::Captured, found.items.len(), found.total, number);
        for a in &found.items {
            dto::assignment(&mut xml, a);
        }
        Ok(xml.finish())
    }

    /// GetAssignment: the assignment and its HIT.
    async fn get_assignment(ctx, p) {
        let (a, hit) = hits::get_assignment(ctx, p.required("AssignmentId")?).await?;
        let mut xml = Xml::new();
        dto::assignment(&mut xml, &a);
        dto::hit(&mut xml, &hit, ctx.now);
        Ok(xml.finish())
    }

    /// ApproveAssignment.
    async fn approve_assignment(ctx, p) {
        hits::approve(ctx, p.required("AssignmentId")?, p.optional("RequesterFeedback")?.map(str::to_owned), false).await?;
        Ok(String::new())
    }

    /// ApproveRejectedAssignment: within 30 days of submission.
    async fn approve_rejected_assignment(ctx, p) {
        hits::approve(ctx, p.required("AssignmentId")?, p.optional("RequesterFeedback")?.map(str::to_owned), true).await?;
        Ok(String::new())
    }

    /// RejectAssignment: feedback optional in this API.
    async fn reject_assignment(ctx, p) {
        hits::reject(ctx, p.required("AssignmentId")?, p.optional("RequesterFeedback")?.map(str::to_owned)).await?;
        Ok(String::new())
    }

    /// GrantBonus.
    async fn grant_bonus(ctx, p) {
        let raw = p.required("WorkerId")?;
        let worker = WorkerId::parse(raw).ok_or_else(|| invalid_value("WorkerId", raw))?;
        let amount = money(p, "BonusAmount")?;
        // An empty Reason is a value, as in the JSON SendBonus (no minimum length in the model).
        let reason = p.required_maybe_empty("Reason")?.to_owned();
        hits::send_bonus(ctx, &worker, p.required("AssignmentId")?, amount, reason, p.optional("UniqueRequestToken")?).await?;
        Ok(String::new())
    }

    /// GetBonusPayments: by HITId or AssignmentId.
    async fn get_bonus_payments(ctx, p) {
        let (page, number) = page_of(p)?;
        let found = hits::list_bonuses(ctx, p.optional("HITId")?, p.optional("AssignmentId")?, page).await?;
        let mut xml = Xml::new();
        dto::counters(&mut xml, CounterOrder::Captured, found.items.len(), found.total, number);
        for b in &found.items {
            dto::bonus(&mut xml, b);
        }
        Ok(xml.finish())
    }
}
