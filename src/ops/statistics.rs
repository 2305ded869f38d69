//! GetRequesterStatistic and GetRequesterWorkerStatistic (legacy): numbers
//! about a requester's activity, computed from the store in emulated time.
//!
//! A statistic is a *flow* (events dated inside the period: approvals,
//! payouts, HITs created) or a *level* (a count at an instant: assignments
//! pending, HITs assignable, liabilities). A flow's value for a period is the
//! sum of its events in the period; a level's is its change over the period,
//! and its LifeToDate value is the level now. This follows the 2006 and 2014
//! API references ("a single day's statistic represents the change in an
//! overall value"). Days are UTC calendar days (the real service used
//! Pacific time; an emulator has no reason to). Levels in the past are
//! computed from the stored timestamps with the HITs' current assignment
//! counts and expirations.
//!
//! Money comes out exact to the cent, fees as the operations that paid them
//! computed them (`domain::hit::{reward_fee_cents, bonus_fee_cents}`).

use std::collections::HashMap;

use crate::domain::hit::{bonus_fee_cents, reward_fee_cents};
use crate::domain::ids::WorkerId;
use crate::domain::time::Timestamp;
use crate::error::{invalid_value_because, out_of_range, Result};
use crate::store::activity::{Activity, AssignmentFacts, HitFacts, ReviewFacts};

use super::{internal, settle, Ctx};

const DAY_MS: i64 = 86_400_000;

/// Most days a `OneDay` series may ask for. The real limit is not documented;
/// a year keeps an answer small.
pub const MAX_COUNT: i64 = 365;

/// The period a statistic covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimePeriod {
    /// Calendar days (UTC), `Count` of them, newest first.
    OneDay,
    /// The last 7 × 24 hours.
    SevenDays,
    /// The last 30 × 24 hours.
    ThirtyDays,
    /// Since the account began.
    LifeToDate,
}

impl TimePeriod {
    /// The wire name.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::OneDay => "OneDay",
            Self::SevenDays => "SevenDays",
            Self::ThirtyDays => "ThirtyDays",
            Self::LifeToDate => "LifeToDate",
        }
    }

    /// Parses a wire name.
    #[must_use]
    pub fn parse(text: &str) -> Option<Self> {
        [Self::OneDay, Self::SevenDays, Self::ThirtyDays, Self::LifeToDate].into_iter().find(|p| p.as_str() == text)
    }
}

/// A data point's value: `LongValue` or `DoubleValue` (its exact text).
#[derive(Debug, Clone, PartialEq)]
pub enum StatValue {
    /// A count.
    Long(i64),
    /// A fraction or an amount of money, as it is written.
    Double(String),
}

/// One `DataPoint`.
#[derive(Debug, Clone, PartialEq)]
pub struct DataPoint {
    /// The day's start (OneDay) or now (the other periods).
    pub date: Timestamp,
    /// The value.
    pub value: StatValue,
}

/// What a statistic operation answers.
#[derive(Debug, Clone, PartialEq)]
pub struct StatisticResult {
    /// The statistic's wire name.
    pub statistic: &'static str,
    /// The period.
    pub period: TimePeriod,
    /// The worker, for GetRequesterWorkerStatistic.
    pub worker: Option<WorkerId>,
    /// Newest first.
    pub points: Vec<DataPoint>,
}

/// Input of GetRequesterStatistic and GetRequesterWorkerStatistic.
#[derive(Debug, Clone)]
pub struct StatisticQuery {
    /// The statistic's wire name.
    pub statistic: String,
    /// The period (default LifeToDate).
    pub period: TimePeriod,
    /// Days of a OneDay series (default 1); ignored for other periods.
    pub count: Option<i64>,
}

/// Input of GetRequesterWorkerStatistic.
#[derive(Debug, Clone)]
pub struct WorkerStatisticQuery {
    /// The statistic and period.
    pub query: StatisticQuery,
    /// The worker.
    pub worker_id: WorkerId,
}

/// The statistics of the 2014-08-15 schema (`RequesterStatistic`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stat {
    HitsAssignable,
    HitsReviewable,
    HitsCreated,
    HitsCompleted,
    TotalRewardPayout,
    TotalRewardFeePayout,
    TotalFeePayout,
    TotalRewardAndFeePayout,
    TotalBonusPayout,
    TotalBonusFeePayout,
    EstimatedFeeLiability,
    EstimatedRewardLiability,
    EstimatedTotalLiability,
    AssignmentsAvailable,
    AssignmentsAccepted,
    AssignmentsPending,
    AssignmentsApproved,
    AssignmentsRejected,
    AssignmentsReturned,
    AssignmentsAbandoned,
    AverageRewardAmount,
    PercentApproved,
    PercentRejected,
    KnownAnswersCorrect,
    KnownAnswersIncorrect,
    KnownAnswersEvaluated,
    PercentKnownAnswersCorrect,
    PluralityAnswersCorrect,
    PluralityAnswersIncorrect,
    PluralityAnswersEvaluated,
    PercentPluralityAnswersCorrect,
}

/// Wire name, statistic, and which operations answer it (requester, worker).
const STATS: &[(&str, Stat, bool, bool)] = &[
    ("NumberHITsAssignable", Stat::HitsAssignable, true, false),
    ("NumberHITsReviewable", Stat::HitsReviewable, true, false),
    ("NumberHITsCreated", Stat::HitsCreated, true, false),
    ("NumberHITsCompleted", Stat::HitsCompleted, true, false),
    ("TotalRewardPayout", Stat::TotalRewardPayout, true, false),
    ("TotalRewardFeePayout", Stat::TotalRewardFeePayout, true, false),
    ("TotalFeePayout", Stat::TotalFeePayout, true, false),
    ("TotalRewardAndFeePayout", Stat::TotalRewardAndFeePayout, true, false),
    ("TotalBonusPayout", Stat::TotalBonusPayout, true, false),
    ("TotalBonusFeePayout", Stat::TotalBonusFeePayout, true, false),
    ("EstimatedFeeLiability", Stat::EstimatedFeeLiability, true, false),
    ("EstimatedRewardLiability", Stat::EstimatedRewardLiability, true, false),
    ("EstimatedTotalLiability", Stat::EstimatedTotalLiability, true, false),
    ("NumberAssignmentsAvailable", Stat::AssignmentsAvailable, true, false),
    ("NumberAssignmentsAccepted", Stat::AssignmentsAccepted, true, false),
    ("NumberAssignmentsPending", Stat::AssignmentsPending, true, false),
    ("NumberAssignmentsApproved", Stat::AssignmentsApproved, true, true),
    ("NumberAssignmentsRejected", Stat::AssignmentsRejected, true, true),
    ("NumberAssignmentsReturned", Stat::AssignmentsReturned, true, false),
    ("NumberAssignmentsAbandoned", Stat::AssignmentsAbandoned, true, false),
    ("AverageRewardAmount", Stat::AverageRewardAmount, true, false),
    ("PercentAssignmentsApproved", Stat::PercentApproved, true, true),
    ("PercentAssignmentsRejected", Stat::PercentRejected, true, true),
    ("NumberKnownAnswersCorrect", Stat::KnownAnswersCorrect, false, true),
    ("NumberKnownAnswersIncorrect", Stat::KnownAnswersIncorrect, false, true),
    ("NumberKnownAnswersEvaluated", Stat::KnownAnswersEvaluated, false, true),
    ("PercentKnownAnswersCorrect", Stat::PercentKnownAnswersCorrect, false, true),
    ("NumberPluralityAnswersCorrect", Stat::PluralityAnswersCorrect, false, true),
    ("NumberPluralityAnswersIncorrect", Stat::PluralityAnswersIncorrect, false, true),
    ("NumberPluralityAnswersEvaluated", Stat::PluralityAnswersEvaluated, false, true),
    ("PercentPluralityAnswersCorrect", Stat::PercentPluralityAnswersCorrect, false, true),
];

fn find(name: &str, worker: bool) -> Result<(&'static str, Stat)> {
    STATS
        .iter()
        .find(|(n, _, for_requester, for_worker)| *n == name && if worker { *for_worker } else { *for_requester })
        .map(|(n, s, _, _)| (*n, *s))
        .ok_or_else(|| {
            let which = if worker { "GetRequesterWorkerStatistic" } else { "GetRequesterStatistic" };
            invalid_value_because("Statistic", name, &format!("It is not a statistic {which} reports."))
        })
}

/// GetRequesterStatistic: one statistic of the caller's activity.
///
/// # Errors
/// `InvalidParameterValue` for a statistic this operation does not report,
/// `AWS.ParameterOutOfRange` for a `Count` outside 1 to [`MAX_COUNT`].
pub async fn requester_statistic(ctx: &Ctx, query: StatisticQuery) -> Result<StatisticResult> {
    let (name, stat) = find(&query.statistic, false)?;
    compute(ctx, name, stat, &query, None).await
}

/// GetRequesterWorkerStatistic: one statistic of a worker's work for the caller.
///
/// # Errors
/// As [`requester_statistic`].
pub async fn worker_statistic(ctx: &Ctx, query: WorkerStatisticQuery) -> Result<StatisticResult> {
    let (name, stat) = find(&query.query.statistic, true)?;
    compute(ctx, name, stat, &query.query, Some(query.worker_id)).await
}

async fn compute(
    ctx: &Ctx,
    name: &'static str,
    stat: Stat,
    query: &StatisticQuery,
    worker: Option<WorkerId>,
) -> Result<StatisticResult> {
    let count = query.count.unwrap_or(1);
    if query.period == TimePeriod::OneDay && !(1..=MAX_COUNT).contains(&count) {
        return Err(out_of_range("Count", count, 1, MAX_COUNT));
    }
    settle(&ctx.worker()).await?;
    let mut activity = ctx.store.requester_activity(&ctx.caller).await.map_err(internal)?;
    if let Some(w) = &worker {
        activity.assignments.retain(|a| a.worker_id == w.as_str());
        activity.bonuses.retain(|b| b.worker_id == w.as_str());
        activity.reviews.retain(|r| r.worker_id == w.as_str());
    }
    let now = ctx.now.millis();
    let facts = Facts::new(&activity, now);
    let points = match query.period {
        TimePeriod::LifeToDate => vec![DataPoint { date: ctx.now, value: facts.value(stat, None, now) }],
        TimePeriod::SevenDays | TimePeriod::ThirtyDays => {
            let days = if query.period == TimePeriod::SevenDays { 7 } else { 30 };
            vec![DataPoint { date: ctx.now, value: facts.value(stat, Some(now - days * DAY_MS), now) }]
        }
        TimePeriod::OneDay => {
            let today = now.div_euclid(DAY_MS) * DAY_MS;
            (0..count)
                .map(|back| {
                    let day_start = today - back * DAY_MS;
                    let day_end = (day_start + DAY_MS - 1).min(now);
                    let value = facts.value(stat, Some(day_start - 1), day_end);
                    DataPoint { date: Timestamp::from_millis(day_start), value }
                })
                .collect()
        }
    };
    Ok(StatisticResult { statistic: name, period: query.period, worker, points })
}

/// Whether `t` falls in the period `(from, to]` (`from` `None`: since ever).
fn within(t: Option<i64>, from: Option<i64>, to: i64) -> bool {
    t.is_some_and(|t| t <= to && from.is_none_or(|f| t > f))
}

/// Cents as an `xs:double` text, exact: `1.20`, `-0.05`.
fn money(cents: i64) -> StatValue {
    StatValue::Double(crate::domain::money::format_cents(cents))
}

/// `part / whole` as a fraction between 0 and 1; 0 when there is no whole.
#[allow(clippy::cast_precision_loss, reason = "counts of assignments are far below 2^52")]
fn fraction(part: i64, whole: i64) -> StatValue {
    if whole == 0 {
        return StatValue::Double("0".to_owned());
    }
    StatValue::Double((part as f64 / whole as f64).to_string())
}

struct Facts<'a> {
    activity: &'a Activity,
    now: i64,
}

impl<'a> Facts<'a> {
    fn new(activity: &'a Activity, now: i64) -> Self {
        Self { activity, now }
    }

    fn hit(&self, id: &str) -> Option<&'a HitFacts> {
        self.activity.hits.iter().find(|h| h.id == id)
    }

    /// When an assignment was approved (its current status says so).
    fn approved_at(a: &AssignmentFacts) -> Option<i64> {
        if a.status == "Approved" {
            a.approval_time
        } else {
            None
        }
    }

    fn rejected_at(a: &AssignmentFacts) -> Option<i64> {
        if a.status == "Rejected" {
            a.rejection_time
        } else {
            None
        }
    }

    fn decided_at(a: &AssignmentFacts) -> Option<i64> {
        Self::approved_at(a).or_else(|| Self::rejected_at(a))
    }

    /// When the worker let the deadline pass without submitting.
    fn abandoned_at(&self, a: &AssignmentFacts) -> Option<i64> {
        (a.status == "Accepted" && a.deadline < self.now).then_some(a.deadline)
    }

    fn count(&self, from: Option<i64>, to: i64, at: impl Fn(&AssignmentFacts) -> Option<i64>) -> i64 {
        let n = self.activity.assignments.iter().filter(|a| within(at(a), from, to)).count();
        i64::try_from(n).unwrap_or(i64::MAX)
    }

    /// Submitted by `t` and not yet approved or rejected at `t`.
    fn pending_at(a: &AssignmentFacts, t: i64) -> bool {
        a.submit_time.is_some_and(|s| s <= t) && Self::decided_at(a).is_none_or(|d| d > t)
    }

    /// Accepted by `t`, neither submitted nor returned by `t`, deadline not passed.
    fn in_progress_at(a: &AssignmentFacts, t: i64) -> bool {
        a.accept_time <= t
            && a.submit_time.is_none_or(|s| s > t)
            && a.return_time.is_none_or(|r| r > t)
            && a.deadline >= t
    }

    /// `(available, in progress, pending)` slots of a HIT at `t`.
    fn slots_at(&self, h: &HitFacts, t: i64) -> (i64, i64, i64) {
        let mine = self.activity.assignments.iter().filter(|a| a.hit_id == h.id);
        let (mut in_progress, mut pending, mut taken) = (0, 0, 0);
        for a in mine {
            let working = Self::in_progress_at(a, t);
            let submitted = a.submit_time.is_some_and(|s| s <= t);
            in_progress += i64::from(working);
            pending += i64::from(Self::pending_at(a, t));
            taken += i64::from(working || submitted);
        }
        let live = h.creation_time <= t && t < h.expiration;
        let available = if live { (h.max_assignments - taken).max(0) } else { 0 };
        (available, in_progress, pending)
    }

    /// A level statistic at instant `t`.
    fn level(&self, stat: Stat, t: i64) -> i64 {
        let hits = self.activity.hits.iter().filter(|h| h.creation_time <= t);
        match stat {
            Stat::AssignmentsPending => {
                let n = self.activity.assignments.iter().filter(|a| Self::pending_at(a, t)).count();
                i64::try_from(n).unwrap_or(i64::MAX)
            }
            Stat::AssignmentsAvailable => hits.map(|h| self.slots_at(h, t).0).sum(),
            Stat::HitsAssignable => hits.map(|h| i64::from(self.slots_at(h, t).0 > 0)).sum(),
            // Neither assignable nor with work in progress, and not deleted.
            Stat::HitsReviewable => hits
                .filter(|h| !h.disposed)
                .map(|h| {
                    let (available, in_progress, _) = self.slots_at(h, t);
                    i64::from(available == 0 && in_progress == 0)
                })
                .sum(),
            // What the requester may still pay: every open, in-progress or pending slot.
            Stat::EstimatedRewardLiability | Stat::EstimatedFeeLiability | Stat::EstimatedTotalLiability => hits
                .map(|h| {
                    let (available, in_progress, pending) = self.slots_at(h, t);
                    let slots = available + in_progress + pending;
                    let fee = reward_fee_cents(h.reward_cents, h.max_assignments);
                    let each = match stat {
                        Stat::EstimatedRewardLiability => h.reward_cents,
                        Stat::EstimatedFeeLiability => fee,
                        _ => h.reward_cents + fee,
                    };
                    slots * each
                })
                .sum(),
            _ => 0,
        }
    }

    /// The reward and its fee of every assignment approved in the period.
    fn reward_payout(&self, from: Option<i64>, to: i64) -> (i64, i64, i64) {
        let (mut count, mut reward, mut fee) = (0, 0, 0);
        for a in &self.activity.assignments {
            if !within(Self::approved_at(a), from, to) {
                continue;
            }
            if let Some(h) = self.hit(&a.hit_id) {
                count += 1;
                reward += h.reward_cents;
                fee += reward_fee_cents(h.reward_cents, h.max_assignments);
            }
        }
        (count, reward, fee)
    }

    fn bonus_payout(&self, from: Option<i64>, to: i64) -> (i64, i64) {
        self.activity
            .bonuses
            .iter()
            .filter(|b| within(Some(b.grant_time), from, to))
            .fold((0, 0), |(amount, fee), b| (amount + b.amount_cents, fee + bonus_fee_cents(b.amount_cents)))
    }

    /// When a HIT had every one of its assignments approved or rejected.
    fn completed_at(&self, h: &HitFacts) -> Option<i64> {
        let decided: Vec<i64> =
            self.activity.assignments.iter().filter(|a| a.hit_id == h.id).filter_map(Self::decided_at).collect();
        let n = i64::try_from(decided.len()).unwrap_or(i64::MAX);
        (n >= h.max_assignments && n > 0).then(|| decided.into_iter().max()).flatten()
    }

    /// The statistic over `(from, to]`; `from` `None` is LifeToDate.
    fn value(&self, stat: Stat, from: Option<i64>, to: i64) -> StatValue {
        let level = |s| match from {
            None => self.level(s, to),
            Some(f) => self.level(s, to) - self.level(s, f),
        };
        match stat {
            Stat::AssignmentsPending | Stat::AssignmentsAvailable | Stat::HitsAssignable | Stat::HitsReviewable => {
                StatValue::Long(level(stat))
            }
            Stat::EstimatedRewardLiability | Stat::EstimatedFeeLiability | Stat::EstimatedTotalLiability => {
                money(level(stat))
            }
            Stat::HitsCreated => {
                let n = self.activity.hits.iter().filter(|h| within(Some(h.creation_time), from, to)).count();
                StatValue::Long(i64::try_from(n).unwrap_or(i64::MAX))
            }
            Stat::HitsCompleted => {
                let n = self.activity.hits.iter().filter(|h| within(self.completed_at(h), from, to)).count();
                StatValue::Long(i64::try_from(n).unwrap_or(i64::MAX))
            }
            Stat::AssignmentsAccepted => StatValue::Long(self.count(from, to, |a| Some(a.accept_time))),
            Stat::AssignmentsApproved => StatValue::Long(self.count(from, to, Self::approved_at)),
            Stat::AssignmentsRejected => StatValue::Long(self.count(from, to, Self::rejected_at)),
            Stat::AssignmentsReturned => StatValue::Long(self.count(from, to, |a| a.return_time)),
            Stat::AssignmentsAbandoned => StatValue::Long(self.count(from, to, |a| self.abandoned_at(a))),
            Stat::PercentApproved | Stat::PercentRejected => {
                let approved = self.count(from, to, Self::approved_at);
                let rejected = self.count(from, to, Self::rejected_at);
                let part = if stat == Stat::PercentApproved { approved } else { rejected };
                fraction(part, approved + rejected)
            }
            Stat::TotalRewardPayout => money(self.reward_payout(from, to).1),
            Stat::TotalRewardFeePayout => money(self.reward_payout(from, to).2),
            Stat::TotalBonusPayout => money(self.bonus_payout(from, to).0),
            Stat::TotalBonusFeePayout => money(self.bonus_payout(from, to).1),
            Stat::TotalFeePayout => money(self.reward_payout(from, to).2 + self.bonus_payout(from, to).1),
            Stat::TotalRewardAndFeePayout => {
                let (_, reward, fee) = self.reward_payout(from, to);
                let (bonus, bonus_fee) = self.bonus_payout(from, to);
                money(reward + fee + bonus + bonus_fee)
            }
            Stat::AverageRewardAmount => {
                let (count, reward, _) = self.reward_payout(from, to);
                if count == 0 {
                    money(0)
                } else {
                    // Exact to the cent when it divides; else the nearest double.
                    #[allow(clippy::cast_precision_loss, reason = "sums of cents far below 2^52")]
                    let dollars = reward as f64 / 100.0 / count as f64;
                    if reward % count == 0 {
                        money(reward / count)
                    } else {
                        StatValue::Double(dollars.to_string())
                    }
                }
            }
            Stat::KnownAnswersCorrect
            | Stat::KnownAnswersIncorrect
            | Stat::KnownAnswersEvaluated
            | Stat::PercentKnownAnswersCorrect => {
                let (correct, incorrect) = self.known_answers(from, to);
                match stat {
                    Stat::KnownAnswersCorrect => StatValue::Long(correct),
                    Stat::KnownAnswersIncorrect => StatValue::Long(incorrect),
                    Stat::KnownAnswersEvaluated => StatValue::Long(correct + incorrect),
                    _ => fraction(correct, correct + incorrect),
                }
            }
            Stat::PluralityAnswersCorrect
            | Stat::PluralityAnswersIncorrect
            | Stat::PluralityAnswersEvaluated
            | Stat::PercentPluralityAnswersCorrect => {
                let (correct, incorrect) = self.plurality_answers(from, to);
                match stat {
                    Stat::PluralityAnswersCorrect => StatValue::Long(correct),
                    Stat::PluralityAnswersIncorrect => StatValue::Long(incorrect),
                    Stat::PluralityAnswersEvaluated => StatValue::Long(correct + incorrect),
                    _ => fraction(correct, correct + incorrect),
                }
            }
        }
    }

    /// `(correct, incorrect)` known answers recorded in the period: one
    /// `KnownAnswerCorrect` result per question of the answer key per
    /// assignment, `1` when it was answered right.
    fn known_answers(&self, from: Option<i64>, to: i64) -> (i64, i64) {
        self.activity
            .reviews
            .iter()
            .filter(|r| r.key == "KnownAnswerCorrect" && within(r.recorded_at, from, to))
            .fold((0, 0), |(right, wrong), r| if r.value == "1" { (right + 1, wrong) } else { (right, wrong + 1) })
    }

    /// `(correct, incorrect)` plurality answers in the period: each
    /// assignment's `PluralityAnswersCorrect` and `PluralityAnswersIncorrect`
    /// from the last HIT-level review that counted it (a HIT reviewed again
    /// after an extension judges its first assignments anew), dated by when
    /// that review was recorded.
    fn plurality_answers(&self, from: Option<i64>, to: i64) -> (i64, i64) {
        let mut latest: HashMap<(&str, &str), &ReviewFacts> = HashMap::new();
        for r in &self.activity.reviews {
            if r.key == "PluralityAnswersCorrect" || r.key == "PluralityAnswersIncorrect" {
                latest.insert((r.assignment_id.as_str(), r.key.as_str()), r);
            }
        }
        latest.into_values().filter(|r| within(r.recorded_at, from, to)).fold((0, 0), |(right, wrong), r| {
            let n = r.value.parse::<i64>().unwrap_or(0);
            if r.key == "PluralityAnswersCorrect" {
                (right + n, wrong)
            } else {
                (right, wrong + n)
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assignment(hit: &str, accept: i64) -> AssignmentFacts {
        AssignmentFacts {
            hit_id: hit.into(),
            worker_id: "A1W".into(),
            status: "Accepted".into(),
            accept_time: accept,
            deadline: accept + 1_000,
            submit_time: None,
            approval_time: None,
            rejection_time: None,
            return_time: None,
        }
    }

    #[test]
    fn a_level_reports_its_change_over_a_period_and_its_value_to_date() {
        let mut a = assignment("H", 10);
        a.status = "Submitted".into();
        a.submit_time = Some(20);
        let mut b = assignment("H", 10);
        b.status = "Approved".into();
        b.submit_time = Some(15);
        b.approval_time = Some(30);
        let activity = Activity {
            hits: vec![HitFacts {
                id: "H".into(),
                creation_time: 0,
                expiration: 10_000,
                max_assignments: 3,
                reward_cents: 25,
                disposed: false,
            }],
            assignments: vec![a, b],
            bonuses: vec![],
            reviews: vec![],
        };
        let f = Facts::new(&activity, 100);
        assert_eq!(f.value(Stat::AssignmentsPending, None, 100), StatValue::Long(1));
        // At 25 both were pending; at 30 one was approved.
        assert_eq!(f.value(Stat::AssignmentsPending, Some(25), 100), StatValue::Long(-1));
        assert_eq!(f.value(Stat::AssignmentsAvailable, None, 100), StatValue::Long(1));
        // One open slot and one pending: 2 × (0.25 + 0.05).
        assert_eq!(f.value(Stat::EstimatedTotalLiability, None, 100), StatValue::Double("0.60".into()));
        assert_eq!(f.value(Stat::PercentApproved, None, 100), StatValue::Double("1".into()));
    }

    fn review(assignment: &str, key: &str, value: &str, at: i64) -> ReviewFacts {
        ReviewFacts {
            assignment_id: assignment.into(),
            worker_id: "A1W".into(),
            key: key.into(),
            value: value.into(),
            recorded_at: Some(at),
        }
    }

    #[test]
    fn review_statistics_count_known_answers_and_each_assignments_latest_plurality_verdict() {
        let activity = Activity {
            reviews: vec![
                review("X", "KnownAnswerCorrect", "1", 10),
                review("X", "KnownAnswerCorrect", "0", 10),
                review("Y", "KnownAnswerCorrect", "1", 50),
                // X judged at 20 (2 of 2), then again at 60 after an extension (1 of 2).
                review("X", "PluralityAnswersCorrect", "2", 20),
                review("X", "PluralityAnswersIncorrect", "0", 20),
                review("Y", "PluralityAnswersCorrect", "1", 20),
                review("Y", "PluralityAnswersIncorrect", "1", 20),
                review("X", "PluralityAnswersCorrect", "1", 60),
                review("X", "PluralityAnswersIncorrect", "1", 60),
                // Older than the record of its time: counted in no period.
                ReviewFacts { recorded_at: None, ..review("Z", "KnownAnswerCorrect", "1", 0) },
            ],
            ..Activity::default()
        };
        let f = Facts::new(&activity, 100);
        assert_eq!(f.value(Stat::KnownAnswersCorrect, None, 100), StatValue::Long(2));
        assert_eq!(f.value(Stat::KnownAnswersIncorrect, None, 100), StatValue::Long(1));
        assert_eq!(f.value(Stat::KnownAnswersEvaluated, Some(10), 100), StatValue::Long(1));
        assert_eq!(
            f.value(Stat::PercentKnownAnswersCorrect, None, 100),
            StatValue::Double("0.6666666666666666".into())
        );
        assert_eq!(f.value(Stat::PluralityAnswersCorrect, None, 100), StatValue::Long(2));
        assert_eq!(f.value(Stat::PluralityAnswersIncorrect, None, 100), StatValue::Long(2));
        assert_eq!(f.value(Stat::PluralityAnswersEvaluated, None, 30), StatValue::Long(2));
        assert_eq!(f.value(Stat::PercentPluralityAnswersCorrect, Some(30), 100), StatValue::Double("0.5".into()));
        assert_eq!(f.value(Stat::PercentPluralityAnswersCorrect, Some(60), 100), StatValue::Double("0".into()));
    }
}
