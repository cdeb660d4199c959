//! The audit calendar (LACRIS FR Policy "Audits": monthly audits of all user actions and
//! quarterly audits of personnel access privileges by each agency's local administrator):
//! each agency's next due monthly audit and access review, computed from the agency list, the
//! signed-off monthly audits (`audit_reports`) and the submitted access reviews
//! (`access_reviews`); and the reminders the daily pass sends (`audit_reminders` records what
//! was sent, so each reminder goes out once per stage and, once overdue, once a week — also
//! after a restart). Reminders cannot be switched off. Rules: `crate::domain::audit_calendar`.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use serde::Serialize;

use crate::accounts::store::{Agency, User};
use crate::audit::{self, Actor, Entry};
use crate::domain::Role;
use crate::domain::audit_calendar::{
    AuditKind, CalendarRules, Period, Stage, months, owed_quarters, quarters, stage,
};
use crate::platform::db::schema::{access_reviews, audit_reminders, audit_reports};
use crate::platform::db::{DbConnection, write_tx};

/// One owed audit of an agency: the oldest period not yet done, its stage on the day asked,
/// and how many periods are owed in all (including later ones not yet due).
#[derive(Debug, Clone, Serialize)]
pub struct Due {
    pub kind: &'static str,
    pub label: &'static str,
    pub period: String,
    pub due: NaiveDate,
    pub overdue: bool,
    pub days_overdue: i64,
    pub due_soon: bool,
    pub owed: usize,
    /// Where it is done, e.g. `/audits/monthly?month=2026-11`.
    pub link: String,
    #[serde(skip)]
    stage: Option<Stage>,
}

/// An agency's line of the calendar.
#[derive(Debug, Clone, Serialize)]
pub struct AgencyDue {
    pub agency_id: i64,
    pub agency_name: String,
    pub ori: String,
    pub monthly: Option<Due>,
    pub access_review: Option<Due>,
}

impl AgencyDue {
    /// Whether either audit is overdue.
    pub fn overdue(&self) -> bool {
        self.dues().any(|d| d.overdue)
    }
    fn dues(&self) -> impl Iterator<Item = &Due> {
        self.monthly.iter().chain(self.access_review.iter())
    }
    /// The earliest due date of the two (for ordering).
    pub fn earliest_due(&self) -> Option<NaiveDate> {
        self.dues().map(|d| d.due).min()
    }
}

fn due_of(p: &Period, owed: usize, today: NaiveDate, rules: &CalendarRules) -> Due {
    let st = stage(p.due, today, rules);
    Due {
        kind: p.kind.as_str(),
        label: p.kind.label(),
        period: p.label.clone(),
        due: p.due,
        overdue: st.is_overdue(),
        days_overdue: if st.is_overdue() {
            (today - p.due).num_days()
        } else {
            0
        },
        due_soon: st == Stage::DueSoon,
        owed,
        link: match p.kind {
            AuditKind::MonthlyAudit => format!("/audits/monthly?month={}", p.label),
            AuditKind::AccessReview => "/admin/access-review".into(),
        },
        stage: Some(st),
    }
}

/// The calendar line of one agency on `today`. An agency owes audits from the month (quarter)
/// it was created, at most [`crate::domain::audit_calendar::LOOKBACK_MONTHS`] back.
///
/// Errors: database errors.
pub fn for_agency(
    conn: &mut DbConnection,
    rules: &CalendarRules,
    agency: &Agency,
    today: NaiveDate,
) -> QueryResult<AgencyDue> {
    let since = agency.created_at.date();
    let signed: Vec<String> = audit_reports::table
        .filter(audit_reports::agency_id.eq(agency.id))
        .select(audit_reports::month)
        .load(conn)?;
    let owed_months: Vec<Period> = months(since, today, rules)
        .into_iter()
        .filter(|p| !signed.contains(&p.label))
        .collect();
    let reviews: Vec<NaiveDateTime> = access_reviews::table
        .filter(access_reviews::agency_id.eq(agency.id))
        .select(access_reviews::created_at)
        .load(conn)?;
    let reviews: Vec<NaiveDate> = reviews.iter().map(NaiveDateTime::date).collect();
    let owed_q = owed_quarters(quarters(since, today, rules), &reviews);
    Ok(AgencyDue {
        agency_id: agency.id,
        agency_name: agency.name.clone(),
        ori: agency.ori.clone(),
        monthly: owed_months
            .first()
            .map(|p| due_of(p, owed_months.len(), today, rules)),
        access_review: owed_q
            .first()
            .map(|p| due_of(p, owed_q.len(), today, rules)),
    })
}

/// The calendar of every active member agency (the service itself is audited by its own
/// staff, not listed) on `today`: overdue agencies first, then by the earliest due date.
///
/// Errors: database errors.
pub fn calendar(
    conn: &mut DbConnection,
    rules: &CalendarRules,
    today: NaiveDate,
) -> QueryResult<Vec<AgencyDue>> {
    let mut out = Vec::new();
    for a in Agency::all(conn)? {
        if a.is_service || !a.active {
            continue;
        }
        out.push(for_agency(conn, rules, &a, today)?);
    }
    out.sort_by_key(|a| (!a.overdue(), a.earliest_due(), a.agency_name.clone()));
    Ok(out)
}

/// What the reminders need to word their email.
#[derive(Debug, Clone)]
pub struct ReminderContext {
    pub rules: CalendarRules,
    /// `audit.rereview_sample_percent` (the monthly re-review draw runs in the same step).
    pub rereview_percent: u32,
    pub service_name: String,
    pub base_url: String,
}

impl ReminderContext {
    pub fn from_settings(s: &crate::Settings) -> ReminderContext {
        ReminderContext {
            rules: s.audit.calendar(),
            rereview_percent: s.audit.rereview_sample_percent,
            service_name: s.service.name.clone(),
            base_url: s.service.base_url.clone(),
        }
    }
}

/// One reminder the pass sent.
#[derive(Debug, Clone, Serialize)]
pub struct SentReminder {
    pub agency_id: i64,
    pub kind: &'static str,
    pub period: String,
    pub stage: String,
    /// Addresses emailed (local administrators, and for overdue notices the service's system
    /// administrators).
    pub to: Vec<String>,
}

/// The daily pass's reminder step at `now`: for each agency's oldest owed monthly audit and
/// access review that is due within `reminder_days_before` days, or overdue, emails the
/// agency's active local administrators (its contact address when it has none) — once for
/// "due soon", then once per week overdue, with a copy of overdue notices to the service's
/// system administrators. Each reminder is one transaction: the `audit_reminders` row (unique
/// per agency, kind, period and stage, so nothing is sent twice, also after a restart or by a
/// second instance), the outbox messages and the `audit.reminder` audit record.
///
/// Errors: database errors; an email template that fails to render.
pub fn send_reminders(
    conn: &mut DbConnection,
    ctx: &ReminderContext,
    actor: &Actor,
    now: NaiveDateTime,
) -> anyhow::Result<Vec<SentReminder>> {
    let today = now.date();
    let mut sent = Vec::new();
    let sysadmins: Vec<(String, String, i64)> = User::active_with_role(conn, Role::SystemAdmin)?
        .into_iter()
        .map(|u| (u.name, u.email, u.id))
        .collect();
    for line in calendar(conn, &ctx.rules, today)? {
        let agency = Agency::find(conn, crate::domain::AgencyId(line.agency_id))?;
        for due in [&line.monthly, &line.access_review].into_iter().flatten() {
            let Some(key) = due.stage.and_then(Stage::reminder_key) else {
                continue;
            };
            let result = write_tx(conn, |c| -> anyhow::Result<Option<SentReminder>> {
                let exists: i64 = audit_reminders::table
                    .filter(audit_reminders::agency_id.eq(agency.id))
                    .filter(audit_reminders::kind.eq(due.kind))
                    .filter(audit_reminders::period.eq(&due.period))
                    .filter(audit_reminders::stage.eq(&key))
                    .count()
                    .get_result(c)?;
                if exists > 0 {
                    return Ok(None);
                }
                diesel::insert_into(audit_reminders::table)
                    .values((
                        audit_reminders::agency_id.eq(agency.id),
                        audit_reminders::kind.eq(due.kind),
                        audit_reminders::period.eq(&due.period),
                        audit_reminders::stage.eq(&key),
                        audit_reminders::sent_at.eq(now),
                    ))
                    .execute(c)?;
                // (name, address, system administrator's copy, account id if a user)
                let mut to: Vec<(String, String, bool, Option<i64>)> =
                    User::local_admins_of(c, agency.agency_id())?
                        .into_iter()
                        .map(|a| (a.name, a.email, false, Some(a.id)))
                        .collect();
                if to.is_empty() {
                    to.push((
                        agency.contact_name.clone(),
                        agency.contact_email.clone(),
                        false,
                        None,
                    ));
                }
                if due.overdue {
                    to.extend(
                        sysadmins
                            .iter()
                            .map(|(n, e, id)| (n.clone(), e.clone(), true, Some(*id))),
                    );
                }
                // The reminder is a staff notification of a kind that cannot be switched off
                // (`crate::notifications`): recorded once per user with the email it is.
                let notice = crate::notifications::notify::Notice {
                    kind: crate::domain::notification::NotificationKind::AuditDue,
                    subject_key: format!("agency:{}:{}:{}:{key}", agency.id, due.kind, due.period),
                    case_id: None,
                    headline: format!(
                        "{} {} of {}: {}",
                        due.label,
                        due.period,
                        agency.name,
                        if due.overdue { "overdue" } else { "due soon" }
                    ),
                    link: due.link.clone(),
                };
                for (name, email, copy, user_id) in &to {
                    let mail = crate::platform::mail::templates::AuditReminder {
                        service_name: ctx.service_name.clone(),
                        base_url: ctx.base_url.clone(),
                        recipient_name: name.clone(),
                        agency_name: agency.name.clone(),
                        audit_label: due.label.to_string(),
                        period: due.period.clone(),
                        due: due.due.to_string(),
                        overdue: due.overdue,
                        days_overdue: due.days_overdue,
                        link: due.link.clone(),
                        copy_to_service: *copy,
                    }
                    .render(email)?;
                    let outbox_id = crate::platform::mail::enqueue_with_id(c, &mail)?;
                    if let Some(uid) = user_id {
                        crate::notifications::notify::record_compliance(
                            c, *uid, &notice, outbox_id,
                        )?;
                    }
                }
                let addresses: Vec<String> = to.into_iter().map(|(_, e, _, _)| e).collect();
                audit::record(
                    c,
                    actor,
                    Entry::new("audit.reminder", "agency", agency.id).details(format!(
                        "{} {} {} (due {}): {key}; emailed {}",
                        agency.ori,
                        due.kind,
                        due.period,
                        due.due,
                        addresses.join(", ")
                    )),
                )?;
                Ok(Some(SentReminder {
                    agency_id: agency.id,
                    kind: due.kind,
                    period: due.period.clone(),
                    stage: key.clone(),
                    to: addresses,
                }))
            });
            match result {
                Ok(Some(r)) => sent.push(r),
                Ok(None) => {}
                // A second instance sent it first (the unique index): nothing to do.
                Err(e)
                    if e.downcast_ref::<diesel::result::Error>().is_some_and(|d| {
                        matches!(
                            d,
                            diesel::result::Error::DatabaseError(
                                diesel::result::DatabaseErrorKind::UniqueViolation,
                                _
                            )
                        )
                    }) => {}
                Err(e) => return Err(e),
            }
        }
    }
    Ok(sent)
}
