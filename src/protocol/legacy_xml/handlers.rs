//! One decoder/encoder per legacy operation: parameters in, `ops` call,
//! result XML (the part after `<Request>`) out.

use crate::domain::ids::{QualificationRequestId, QualificationTypeId, WorkerId};
use crate::domain::paging::Page;
use crate::domain::qualification::GrantMode;
use crate::domain::qualification::QualificationStatus;
use crate::error::{invalid_value, invalid_value_because, Result};
use crate::ops::qualifications::{self as quals, AssignInput, NewQualificationType, QualificationTypeUpdate};
use crate::ops::requests::{self, RequestSort};
use crate::ops::{account, workers, Ctx};

use super::dto::{self, CounterOrder, TypeView};
use super::envelope::Xml;
use super::params::Params;

/// A legacy operation handler.
pub type Handler = for<'a> fn(&'a Ctx, &'a Params) -> crate::protocol::BoxFuture<'a, Result<String>>;

fn type_id(p: &Params, name: &str) -> Result<QualificationTypeId> {
    let raw = p.required(name)?;
    QualificationTypeId::parse(raw).ok_or_else(|| invalid_value(name, raw))
}

fn worker_id(p: &Params, name: &str) -> Result<WorkerId> {
    let raw = p.required(name)?;
    WorkerId::parse(raw).ok_or_else(|| invalid_value(name, raw))
}

fn request_id(p: &Params) -> Result<QualificationRequestId> {
    let raw = p.required("QualificationRequestId")?;
    QualificationRequestId::parse(raw).ok_or_else(|| invalid_value("QualificationRequestId", raw))
}

fn ascending_default(p: &Params, default_descending: bool) -> Result<bool> {
    match p.optional("SortDirection")? {
        None => Ok(default_descending),
        Some("Ascending") => Ok(false),
        Some("Descending") => Ok(true),
        Some(other) => {
            Err(invalid_value_because("SortDirection", other, "Expected values are Ascending and Descending."))
        }
    }
}

fn owned(s: Option<&str>) -> Option<String> {
    s.map(str::to_owned)
}

fn page(offset: i64, limit: i64) -> Page {
    Page { offset, limit }
}

crate::protocol::define_handlers! {
    Params => String;

    /// CreateQualificationType (spec §4.1), shape B without IsRequestable.
    async fn create_qualification_type(ctx, p) {
        let input = NewQualificationType {
            name: p.required("Name")?.to_owned(),
            description: p.required("Description")?.to_owned(),
            keywords: owned(p.optional("Keywords")?),
            status: quals::parse_status("QualificationTypeStatus", p.required("QualificationTypeStatus")?)?,
            retry_delay_secs: p.long("RetryDelayInSeconds")?,
            test: owned(p.optional("Test")?),
            answer_key: owned(p.optional("AnswerKey")?),
            test_duration_secs: p.long("TestDurationInSeconds")?,
            auto_granted: p.boolean("AutoGranted")?.unwrap_or(false),
            auto_granted_value: p.int("AutoGrantedValue")?,
        };
        let t = quals::create_type(ctx, input).await?;
        let mut xml = Xml::new();
        dto::qualification_type_fields(&mut xml, &t, ctx.now, TypeView::Created);
        Ok(xml.finish())
    }

    /// GetQualificationType (spec §4.2): any type, system types included.
    async fn get_qualification_type(ctx, p) {
        let t = quals::get_type(ctx, &type_id(p, "QualificationTypeId")?).await?;
        let mut xml = Xml::new();
        dto::qualification_type_fields(&mut xml, &t, ctx.now, TypeView::Full { owner: t.is_owned_by(&ctx.caller) });
        Ok(xml.finish())
    }

    /// SearchQualificationTypes (spec §4.3). MustBeRequestable is required.
    async fn search_qualification_types(ctx, p) {
        let must_be_requestable = p
            .boolean("MustBeRequestable")?
            .ok_or_else(|| crate::error::missing_parameter("MustBeRequestable"))?;
        if let Some(prop) = p.optional("SortProperty")? {
            if prop != "Name" {
                return Err(invalid_value_because("SortProperty", prop, "Expected values are Name."));
            }
        }
        let (offset, limit, number) = p.paging(100)?;
        let search = quals::SearchTypes {
            query: owned(p.optional("Query")?),
            must_be_requestable,
            must_be_owned_by_caller: p.boolean("MustBeOwnedByCaller")?.unwrap_or(false),
            // The documented default direction is Descending (spec §4.3).
            descending: ascending_default(p, true)?,
        };
        let found = quals::search_types(ctx, search, page(offset, limit)).await?;
        let mut xml = Xml::new();
        dto::counters(&mut xml, CounterOrder::Captured, found.items.len(), found.total, number);
        for t in &found.items {
            dto::qualification_type(&mut xml, t, ctx.now, TypeView::Full { owner: t.is_owned_by(&ctx.caller) });
        }
        Ok(xml.finish())
    }

    /// UpdateQualificationType (spec §4.4).
    async fn update_qualification_type(ctx, p) {
        let id = type_id(p, "QualificationTypeId")?;
        let update = QualificationTypeUpdate {
            description: owned(p.optional("Description")?),
            status: p.optional("QualificationTypeStatus")?.map(|s| quals::parse_status("QualificationTypeStatus", s)).transpose()?,
            test: owned(p.optional("Test")?),
            answer_key: owned(p.optional("AnswerKey")?),
            test_duration_secs: p.long("TestDurationInSeconds")?,
            retry_delay_secs: p.long("RetryDelayInSeconds")?,
            auto_granted: p.boolean("AutoGranted")?,
            auto_granted_value: p.int("AutoGrantedValue")?,
        };
        let t = quals::update_type(ctx, &id, update).await?;
        let mut xml = Xml::new();
        dto::qualification_type_fields(&mut xml, &t, ctx.now, TypeView::Full { owner: true });
        Ok(xml.finish())
    }

    /// DisposeQualificationType (spec §4.5).
    async fn dispose_qualification_type(ctx, p) {
        quals::dispose_type(ctx, &type_id(p, "QualificationTypeId")?).await?;
        Ok(String::new())
    }

    /// AssignQualification (spec §4.6): IntegerValue default 1,
    /// SendNotification default true.
    async fn assign_qualification(ctx, p) {
        let input = AssignInput {
            type_id: type_id(p, "QualificationTypeId")?,
            worker_id: worker_id(p, "WorkerId")?,
            integer_value: p.int("IntegerValue")?.unwrap_or(1),
            send_notification: p.boolean("SendNotification")?.unwrap_or(true),
            mode: GrantMode::IfNotGranted,
        };
        quals::assign(ctx, input).await?;
        Ok(String::new())
    }

    /// GetQualificationScore (spec §4.10), shape B.
    async fn get_qualification_score(ctx, p) {
        let q = quals::score(ctx, &type_id(p, "QualificationTypeId")?, &worker_id(p, "SubjectId")?).await?;
        let mut xml = Xml::new();
        dto::qualification_fields(&mut xml, &q);
        Ok(xml.finish())
    }

    /// UpdateQualificationScore (spec §4.11): IntegerValue required.
    async fn update_qualification_score(ctx, p) {
        let id = type_id(p, "QualificationTypeId")?;
        let worker = worker_id(p, "SubjectId")?;
        let value = p.int("IntegerValue")?.ok_or_else(|| crate::error::missing_parameter("IntegerValue"))?;
        quals::update_score(ctx, &id, &worker, value).await?;
        Ok(String::new())
    }

    /// GetQualificationsForQualificationType (spec §4.12), captured counter order.
    async fn get_qualifications_for_qualification_type(ctx, p) {
        let id = type_id(p, "QualificationTypeId")?;
        let status = match p.optional("Status")? {
            None => QualificationStatus::Granted,
            Some(s) => QualificationStatus::parse(s)
                .ok_or_else(|| invalid_value_because("Status", s, "Expected values are Granted and Revoked."))?,
        };
        let (offset, limit, number) = p.paging(100)?;
        let found = quals::list_for_type(ctx, &id, status, page(offset, limit)).await?;
        let mut xml = Xml::new();
        dto::counters(&mut xml, CounterOrder::Captured, found.items.len(), found.total, number);
        for q in &found.items {
            dto::qualification(&mut xml, q);
        }
        Ok(xml.finish())
    }

    /// RevokeQualification (spec §4.13): the seed of this project.
    async fn revoke_qualification(ctx, p) {
        let worker = worker_id(p, "SubjectId")?;
        let id = type_id(p, "QualificationTypeId")?;
        quals::revoke(ctx, &id, &worker, p.value("Reason")?).await?;
        Ok(String::new())
    }

    /// GrantQualification (spec §4.8).
    async fn grant_qualification(ctx, p) {
        requests::grant(ctx, &request_id(p)?, p.int("IntegerValue")?).await?;
        Ok(String::new())
    }

    /// RejectQualificationRequest (spec §4.9).
    async fn reject_qualification_request(ctx, p) {
        requests::reject(ctx, &request_id(p)?, owned(p.optional("Reason")?)).await?;
        Ok(String::new())
    }

    /// GetQualificationRequests (spec §4.7): SubmitTime ascending by default.
    async fn get_qualification_requests(ctx, p) {
        let id = p.optional("QualificationTypeId")?.map(|_| type_id(p, "QualificationTypeId")).transpose()?;
        let by_type = match p.optional("SortProperty")? {
            None | Some("SubmitTime") => false,
            Some("QualificationTypeId") => true,
            Some(other) => {
                return Err(invalid_value_because(
                    "SortProperty",
                    other,
                    "Expected values are QualificationTypeId and SubmitTime.",
                ))
            }
        };
        let sort = RequestSort { by_type, descending: ascending_default(p, false)? };
        let (offset, limit, number) = p.paging(100)?;
        let found = requests::list(ctx, id.as_ref(), sort, page(offset, limit)).await?;
        let mut xml = Xml::new();
        dto::counters(&mut xml, CounterOrder::Captured, found.items.len(), found.total, number);
        for r in &found.items {
            dto::qualification_request(&mut xml, r);
        }
        Ok(xml.finish())
    }

    /// BlockWorker (spec §4.14): Reason required.
    async fn block_worker(ctx, p) {
        let worker = worker_id(p, "WorkerId")?;
        // An empty Reason is a value, as in the JSON CreateWorkerBlock (no minimum length in the model).
        workers::block(ctx, worker, p.required_maybe_empty("Reason")?.to_owned()).await?;
        Ok(String::new())
    }

    /// UnblockWorker (spec §4.14): succeeds when not blocked.
    async fn unblock_worker(ctx, p) {
        workers::unblock(ctx, &worker_id(p, "WorkerId")?).await?;
        Ok(String::new())
    }

    /// GetBlockedWorkers (spec §4.14): PageSize up to 65535, XSD counter order.
    async fn get_blocked_workers(ctx, p) {
        let (offset, limit, number) = p.paging(65_535)?;
        let found = workers::blocks(ctx, page(offset, limit)).await?;
        let mut xml = Xml::new();
        dto::counters(&mut xml, CounterOrder::Xsd, found.items.len(), found.total, number);
        for b in &found.items {
            dto::worker_block(&mut xml, b);
        }
        Ok(xml.finish())
    }

    /// GetAccountBalance: AvailableBalance as a Price.
    async fn get_account_balance(ctx, _p) {
        let cents = account::balance_cents(ctx).await?;
        let amount = account::format_cents(cents);
        let mut xml = Xml::new();
        xml.open("AvailableBalance")
            .leaf("Amount", &amount)
            .leaf("CurrencyCode", "USD")
            .leaf("FormattedPrice", &format!("${amount}"))
            .close("AvailableBalance");
        Ok(xml.finish())
    }

    /// NotifyWorkers: Subject, MessageText and WorkerId.N (1-100).
    async fn notify_workers(ctx, p) {
        let subject = p.required("Subject")?.to_owned();
        let message = p.required("MessageText")?.to_owned();
        let ids = p.list("WorkerId");
        if ids.is_empty() {
            return Err(crate::error::missing_parameter("WorkerId"));
        }
        let ids = ids
            .into_iter()
            .map(|raw| WorkerId::parse(raw).ok_or_else(|| invalid_value("WorkerId", raw)))
            .collect::<Result<Vec<_>>>()?;
        // Per-worker failures: NotifyWorkersResult holds one NotifyWorkersFailureStatus per worker
        // not reached, after Request (2013-11-15 and 2014-08-15 XSDs). The children come in the
        // order the live service sent them in a 2013 capture (cloudyr/MTurkR issue 29): WorkerId,
        // message, code; the XSD's sequence says code, message, WorkerId. Real use wins.
        let failures = workers::notify(ctx, subject, message, ids).await?;
        let mut xml = Xml::new();
        for f in &failures {
            xml.open("NotifyWorkersFailureStatus")
                .leaf("WorkerId", f.worker_id.as_str())
                .leaf("NotifyWorkersFailureMessage", &f.message)
                .leaf("NotifyWorkersFailureCode", f.code.as_str())
                .close("NotifyWorkersFailureStatus");
        }
        Ok(xml.finish())
    }
}
