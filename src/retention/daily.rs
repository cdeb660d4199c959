//! The retention pass: logical deletion and purge of case records, the five-year purge of the
//! audit trail, and account hygiene (idle accounts, lapsed examiner training). `frdesk
//! retention run` and the server's daily task both call [`run`]; with `dry_run` it only lists.
//!
//! Rules and their sources are in `docs/POLICIES.md` ("Retention and account hygiene").
//! Nothing under a standing legal hold (pending or approved, not released) is ever hidden or
//! purged: the hold is checked again in the transaction that would change the case. The
//! five-year audit purge stops before the first audit record of a held case, and the pass
//! reminds of legal-hold reviews that are due within 30 days or overdue.

use crate::platform::storage::Storage;

use chrono::NaiveDateTime;
use serde::Serialize;

use crate::accounts::store::{Agency, User};
use crate::audit::anchor::{AuditAnchor, NewAuditAnchor};
use crate::audit::{self, Actor, Entry, Outcome};
use crate::cases::images::ImageStore;
use crate::cases::store::Case;
use crate::cases::timeline::timeline;
use crate::domain::Role;
use crate::domain::retention::RetentionPolicy;
use crate::platform::db::{DbConnection, write_tx};
use crate::platform::time::fmt_time;
use crate::retention::store::{
    CaseTombstone, LegalHold, NewCaseTombstone, audit_records_through,
    first_audit_record_of_held_cases,
};

/// Where the pass finds files and how it words email.
#[derive(Debug, Clone)]
pub struct RetentionContext {
    pub policy: RetentionPolicy,
    /// The desk's file store: a purge deletes the case's images, packets and attachments.
    pub files: Storage,
    pub service_name: String,
    pub base_url: String,
}

impl RetentionContext {
    /// How account notices are worded (service name, links).
    pub fn notice(&self) -> crate::accounts::account::NoticeContext {
        crate::accounts::account::NoticeContext {
            service_name: self.service_name.clone(),
            base_url: self.base_url.clone(),
        }
    }
    /// The context `s` configures, with the desk's file store `files`.
    pub fn from_settings(s: &crate::Settings, files: Storage) -> RetentionContext {
        RetentionContext {
            policy: s.retention.policy(),
            files,
            service_name: s.service.name.clone(),
            base_url: s.service.base_url.clone(),
        }
    }
    fn images(&self) -> ImageStore {
        ImageStore::new(self.files.clone())
    }
}

/// One case the pass would hide or purge (or skips because of a legal hold).
#[derive(Debug, Clone, Serialize)]
pub struct CaseItem {
    pub case_id: i64,
    pub case_number: String,
    pub agency_id: i64,
    pub status: String,
    pub last_activity: Option<NaiveDateTime>,
    pub hidden_at: Option<NaiveDateTime>,
}

/// One account the pass would disable or report.
#[derive(Debug, Clone, Serialize)]
pub struct AccountItem {
    pub user_id: i64,
    pub email: String,
    pub agency_id: i64,
    /// Last login (creation for a never-used account), or re-activation if later.
    pub last_seen: NaiveDateTime,
}

/// The audit-trail prefix due for purge.
#[derive(Debug, Clone, Serialize)]
pub struct AuditPurgeItem {
    pub through_id: i64,
    pub records: i64,
    pub cutoff: NaiveDateTime,
    /// The first audit record of a case under legal hold, when the purge stops before it.
    pub held_from: Option<i64>,
}

/// A legal-hold review reminder the pass sent (or would send).
#[derive(Debug, Clone, Serialize)]
pub struct HoldReviewItem {
    pub hold_id: i64,
    pub case_id: i64,
    pub case_number: String,
    pub review_due: NaiveDateTime,
    /// `due_soon` (within 30 days) or `overdue`.
    pub stage: String,
    /// Addresses the reminder went to.
    pub recipients: Vec<String>,
}

/// What one pass found (and, unless `dry_run`, did).
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub at: NaiveDateTime,
    pub dry_run: bool,
    /// Cases due for logical deletion.
    pub hide: Vec<CaseItem>,
    /// Logically deleted cases due for purge.
    pub purge: Vec<CaseItem>,
    /// Cases that would be due but stand under a legal hold: untouched.
    pub held: Vec<CaseItem>,
    pub audit_purge: Option<AuditPurgeItem>,
    /// Why old audit records were not purged (e.g. the chain does not verify, or the oldest
    /// record belongs to a case under legal hold).
    pub audit_purge_refused: Option<String>,
    /// Legal-hold review reminders (each once per stage of a due date).
    pub hold_reviews: Vec<HoldReviewItem>,
    pub idle_accounts: Vec<AccountItem>,
    pub training_lapsed: Vec<AccountItem>,
    /// Image and packet files removed from disk.
    pub files_removed: usize,
    /// Monthly audit sign-offs older than the audit retention period (kept five years, then
    /// purged with their files), as `ORI YYYY-MM`.
    pub audit_reports_purged: Vec<String>,
}

impl Report {
    /// A short human-readable listing (the CLI's default output).
    pub fn to_text(&self) -> String {
        let mut s = String::new();
        let verb = if self.dry_run { "Would" } else { "Did" };
        s.push_str(&format!(
            "Retention pass at {}{}\n",
            fmt_time(&self.at),
            if self.dry_run {
                " (dry run: nothing changed)"
            } else {
                ""
            }
        ));
        s.push_str(&format!(
            "{verb} logically delete {} case(s):\n",
            self.hide.len()
        ));
        for c in &self.hide {
            s.push_str(&format!(
                "  hide  case {} ({}) status {} last activity {}\n",
                c.case_id,
                c.case_number,
                c.status,
                c.last_activity.as_ref().map(fmt_time).unwrap_or_default()
            ));
        }
        s.push_str(&format!("{verb} purge {} case(s):\n", self.purge.len()));
        for c in &self.purge {
            s.push_str(&format!(
                "  purge case {} ({}) hidden {}\n",
                c.case_id,
                c.case_number,
                c.hidden_at.as_ref().map(fmt_time).unwrap_or_default()
            ));
        }
        s.push_str(&format!(
            "Under legal hold, untouched: {} case(s)\n",
            self.held.len()
        ));
        for c in &self.held {
            s.push_str(&format!("  held  case {} ({})\n", c.case_id, c.case_number));
        }
        match (&self.audit_purge, &self.audit_purge_refused) {
            (Some(a), _) => s.push_str(&format!(
                "{verb} purge {} audit record(s) through id {} (older than {}){}\n",
                a.records,
                a.through_id,
                fmt_time(&a.cutoff),
                a.held_from
                    .map(|h| format!("; stops before record {h} (a case under legal hold)"))
                    .unwrap_or_default()
            )),
            (None, Some(why)) => s.push_str(&format!("Audit purge refused: {why}\n")),
            (None, None) => s.push_str("No audit records are due for purge\n"),
        }
        s.push_str(&format!(
            "{verb} purge {} monthly audit report(s) older than the audit retention period\n",
            self.audit_reports_purged.len()
        ));
        for r in &self.audit_reports_purged {
            s.push_str(&format!("  purge audit report {r}\n"));
        }
        s.push_str(&format!(
            "Legal-hold review reminders: {}\n",
            self.hold_reviews.len()
        ));
        for h in &self.hold_reviews {
            s.push_str(&format!(
                "  review {} hold {} of case {} ({}) due {}\n",
                h.stage,
                h.hold_id,
                h.case_id,
                h.case_number,
                fmt_time(&h.review_due)
            ));
        }
        s.push_str(&format!(
            "{verb} disable {} idle account(s):\n",
            self.idle_accounts.len()
        ));
        for a in &self.idle_accounts {
            s.push_str(&format!(
                "  idle  {} last seen {}\n",
                a.email,
                fmt_time(&a.last_seen)
            ));
        }
        s.push_str(&format!(
            "Examiners whose training lapsed (administrators told): {}\n",
            self.training_lapsed.len()
        ));
        if !self.dry_run {
            s.push_str(&format!("Files removed: {}\n", self.files_removed));
        }
        s
    }
}

fn case_item(c: &Case, last_activity: Option<NaiveDateTime>) -> CaseItem {
    CaseItem {
        case_id: c.id,
        case_number: c.display_number(),
        agency_id: c.agency_id,
        status: c.status.as_str().to_string(),
        last_activity,
        hidden_at: c.hidden_at,
    }
}

fn account_item(u: &User) -> AccountItem {
    AccountItem {
        user_id: u.id,
        email: u.email.clone(),
        agency_id: u.agency_id,
        last_seen: u.last_seen(),
    }
}

/// Runs (or with `dry_run` only lists) one retention pass at `now`. Each hide, purge, audit
/// purge, disabled account and training notice is its own transaction with its audit record,
/// so one failure does not undo the rest; the first error is returned after logging.
///
/// Errors: database errors; a file of a purged case that exists but cannot be deleted (that
/// case's purge is rolled back).
pub fn run(
    conn: &mut DbConnection,
    ctx: &RetentionContext,
    actor: &Actor,
    now: NaiveDateTime,
    dry_run: bool,
) -> anyhow::Result<Report> {
    let policy = ctx.policy;
    let mut report = Report {
        at: now,
        dry_run,
        hide: Vec::new(),
        purge: Vec::new(),
        held: Vec::new(),
        audit_purge: None,
        audit_purge_refused: None,
        hold_reviews: Vec::new(),
        idle_accounts: Vec::new(),
        training_lapsed: Vec::new(),
        files_removed: 0,
        audit_reports_purged: Vec::new(),
    };

    // 1. Logical deletion of idle cases.
    if let Some(before) = policy.hide_before(now) {
        for ca in Case::idle_since(conn, before)? {
            let item = case_item(&ca.case, Some(ca.last_activity));
            if LegalHold::is_held(conn, ca.case.case_id())? {
                report.held.push(item);
                continue;
            }
            if !dry_run && !hide_case(conn, actor, &ca.case, ca.last_activity, now, &policy)? {
                continue;
            }
            report.hide.push(item);
        }
    }

    // 2. Permanent deletion of logically deleted cases whose last activity is more than five
    //    years, 24 hours and one minute ago (LAPD ALPR order).
    if let Some(before) = policy.purge_before(now) {
        for ca in Case::deleted_idle_since(conn, before)? {
            let case = ca.case;
            let item = case_item(&case, Some(ca.last_activity));
            if LegalHold::is_held(conn, case.case_id())? {
                report.held.push(item);
                continue;
            }
            if !dry_run {
                match purge_case(conn, ctx, actor, &case, now)? {
                    Some(files) => report.files_removed += files,
                    None => continue,
                }
            }
            report.purge.push(item);
        }
    }

    // 3. Audit records older than the retention period (five years), a prefix of the chain that
    //    stops before the first record of a case under legal hold.
    let cutoff = policy.audit_before(now);
    let prefix = AuditAnchor::purgeable_prefix(conn, cutoff)?;
    let (prefix, held_from) = match prefix {
        Some((through, hash, records)) => match first_audit_record_of_held_cases(conn)? {
            Some(h) if h <= through => {
                let records = audit_records_through(conn, h - 1)?;
                if records == 0 {
                    report.audit_purge_refused = Some(format!(
                        "the oldest audit record ({h}) belongs to a case under legal hold; nothing before it is due"
                    ));
                    (None, Some(h))
                } else {
                    (Some((h - 1, hash, records)), Some(h))
                }
            }
            _ => (Some((through, hash, records)), None),
        },
        None => (None, None),
    };
    if let Some((through, _hash, records)) = prefix {
        let chain = crate::audit::chain::verify(conn)?;
        if let Some(p) = &chain.problem {
            let why = format!(
                "the audit trail does not verify ({} at record {}); old records are kept as evidence",
                p.kind, p.record_id
            );
            if !dry_run {
                audit::record(
                    conn,
                    actor,
                    Entry::new("retention.audit_purge", "audit", "chain")
                        .outcome(Outcome::Failed)
                        .details(why.clone()),
                )?;
            }
            report.audit_purge_refused = Some(why);
        } else {
            if !dry_run {
                purge_audit(conn, actor, through, cutoff, now)?;
            }
            report.audit_purge = Some(AuditPurgeItem {
                through_id: through,
                records,
                cutoff,
                held_from,
            });
        }
    }

    // 3b. Monthly audit reports: kept as long as audit records (five years after sign-off),
    //     then their files and rows are purged, each an audit record.
    for r in crate::audit::monthly_report::AuditReportRecord::signed_off_before(conn, cutoff)? {
        let agency = Agency::find(conn, crate::domain::AgencyId(r.agency_id))?;
        let label = format!("{} {}", agency.ori, r.month);
        if !dry_run {
            for rel in [&r.pdf_path, &r.csv_path] {
                if rel.starts_with(crate::audit::monthly::REPORTS_FOLDER)
                    && crate::platform::storage::checked_path(rel).is_ok()
                    && ctx.files.remove(rel)?
                {
                    report.files_removed += 1;
                }
            }
            write_tx(conn, |c| -> anyhow::Result<()> {
                crate::audit::monthly_report::AuditReportRecord::delete(c, r.id)?;
                audit::record(
                    c,
                    actor,
                    Entry::new("retention.audit_report_purge", "audit_report", r.id).details(
                        format!(
                            "monthly audit {label} signed off {} purged (older than {})",
                            fmt_time(&r.signed_off_at),
                            fmt_time(&cutoff)
                        ),
                    ),
                )?;
                Ok(())
            })?;
        }
        report.audit_reports_purged.push(label);
    }

    // 3c. Legal-hold reviews (LAPD ALPR order: every two years): reminders when due within 30
    //     days and when overdue, once per stage. A hold never ends by lapse.
    report.hold_reviews = remind_hold_reviews(conn, ctx, actor, now, dry_run)?;

    // 4. Idle accounts (CJIS AC-2: 90 days).
    if let Some(before) = policy.idle_before(now) {
        for u in User::idle_since(conn, before)? {
            let item = account_item(&u);
            if !dry_run {
                let reason = format!(
                    "no login for {} days (last {})",
                    policy.account_idle_days,
                    fmt_time(&item.last_seen)
                );
                let label = format!(
                    "Disabled after {} days without a login",
                    policy.account_idle_days
                );
                let changed = crate::accounts::lifecycle::deactivate_user(
                    conn,
                    &ctx.notice(),
                    actor,
                    &u,
                    crate::accounts::lifecycle::AccountEvent {
                        action: "user.disable_idle",
                        label: &label,
                        reason: &reason,
                        advice: "Re-enable the account only if the person still needs access (frdesk user activate --reason …); the idle period then counts from the re-activation.",
                    },
                    now,
                )?;
                if !changed {
                    continue;
                }
            }
            report.idle_accounts.push(item);
        }
    }

    // 5. Examiners whose training no longer makes them examiners (see
    //    `domain::training`: FR-system access and FBI/LACRIS facial comparison): examiner
    //    rights are refused by `may_examine` and they are out of the examiner queue until
    //    training is recorded; the administrators are told once per lapse.
    let today = now.date();
    let examiners = User::active_with_role(conn, Role::Examiner)?;
    let ids: Vec<i64> = examiners.iter().map(|u| u.id).collect();
    let records = crate::accounts::training::records_by_user(conn, &ids)?;
    for u in examiners {
        let mine = records.get(&u.id).map(Vec::as_slice).unwrap_or(&[]);
        let refusal = match crate::domain::training::makes_examiner(mine, today) {
            Ok(()) => {
                if u.training_lapse_notified_at.is_some() && !dry_run {
                    User::set_training_lapse_notified(conn, u.user_id(), None)?;
                }
                continue;
            }
            Err(r) => r,
        };
        if u.training_lapse_notified_at.is_some() {
            continue;
        }
        report.training_lapsed.push(account_item(&u));
        if !dry_run {
            let on_file = crate::domain::training::summary(mine);
            write_tx(conn, |c| -> anyhow::Result<()> {
                User::set_training_lapse_notified(c, u.user_id(), Some(now))?;
                audit::record(
                    c,
                    actor,
                    Entry::new("user.training_lapsed", "user", u.id).details(format!(
                        "examiner rights suspended until training is recorded ({on_file})"
                    )),
                )?;
                crate::accounts::lifecycle::notify_admins(
                    c,
                    &ctx.notice(),
                    &u,
                    "Examiner training out of date",
                    &format!("Training on file: {on_file}. {refusal}"),
                    "The account keeps its other roles; examiner actions are refused until the training is recorded (frdesk user training, or the user's page under Access review).",
                    now,
                )?;
                Ok(())
            })?;
        }
    }

    Ok(report)
}

fn hide_case(
    conn: &mut DbConnection,
    actor: &Actor,
    case: &Case,
    last_activity: NaiveDateTime,
    now: NaiveDateTime,
    policy: &RetentionPolicy,
) -> anyhow::Result<bool> {
    write_tx(conn, |c| -> anyhow::Result<bool> {
        // Checked again inside the transaction: a hold placed a moment ago wins.
        if LegalHold::is_held(c, case.case_id())? || !Case::mark_deleted(c, case.case_id(), now)? {
            return Ok(false);
        }
        timeline(
            c,
            case.id,
            None,
            "retention",
            format!(
                "Logically deleted under the retention policy: no activity for {} days",
                policy.case_hide_days
            ),
            None,
        )?;
        audit::record(
            c,
            actor,
            Entry::new("retention.hide", "case", case.id).details(format!(
                "case {} logically deleted; last activity {}; retention {} days",
                case.display_number(),
                fmt_time(&last_activity),
                policy.case_hide_days
            )),
        )?;
        tracing::info!(case_id = case.id, case_number = %case.display_number(), "Case logically deleted (retention)");
        Ok(true)
    })
}

/// Purges one logically deleted case; returns the number of files removed, or `None` if the
/// case changed (held, already purged) meanwhile.
fn purge_case(
    conn: &mut DbConnection,
    ctx: &RetentionContext,
    actor: &Actor,
    case: &Case,
    now: NaiveDateTime,
) -> anyhow::Result<Option<usize>> {
    let images = ctx.images();
    write_tx(conn, |c| -> anyhow::Result<Option<usize>> {
        let Some(fresh) = Case::find_any(c, case.case_id())? else {
            return Ok(None);
        };
        if fresh.purged_at.is_some() || LegalHold::is_held(c, case.case_id())? {
            return Ok(None);
        }
        let hidden_at = fresh.hidden_at.unwrap_or(now);
        let last_activity = Case::last_activity(c, &fresh)?;
        let rows = Case::purge_payload(c, case.case_id(), now)?;
        // Files go inside the transaction: if one cannot be deleted the purge is rolled back
        // and retried on the next pass. Deleted files cannot come back, so the transaction
        // must not fail after this point except on commit.
        let mut files = 0usize;
        for (sha, ct) in &rows.image_files {
            if images.remove(sha, ct)? {
                files += 1;
            }
        }
        for pid in &rows.packet_ids {
            if ctx.files.remove(&format!("packets/{pid}.pdf"))? {
                files += 1;
            }
        }
        for rel in &rows.attachment_paths {
            // Only files inside data_dir; the stored path is relative to it.
            if crate::platform::storage::checked_path(rel).is_ok() && ctx.files.remove(rel)? {
                files += 1;
            }
        }
        let mut what = serde_json::to_value(&rows)?;
        if let Some(o) = what.as_object_mut() {
            o.insert("image_files_removed".into(), rows.image_files.len().into());
            o.insert("packet_files".into(), rows.packet_ids.len().into());
            o.insert("files_removed".into(), files.into());
        }
        let reason = format!(
            "retention: permanently deleted {} days, 24 hours and 1 minute after the last activity",
            ctx.policy.case_purge_days
        );
        CaseTombstone::insert(
            c,
            &NewCaseTombstone {
                case_id: fresh.id,
                case_number: fresh.display_number(),
                agency_id: fresh.agency_id,
                created_at: fresh.created_at,
                submitted_at: fresh.submitted_at,
                last_activity_at: last_activity,
                hidden_at,
                purged_at: now,
                purged: what.to_string(),
                reason: reason.clone(),
            },
        )?;
        audit::record(
            c,
            actor,
            Entry::new("retention.purge", "case", fresh.id).details(format!(
                "case {} purged ({reason}); tombstone kept; {what}",
                fresh.display_number()
            )),
        )?;
        tracing::info!(case_id = fresh.id, files, "Case purged (retention)");
        Ok(Some(files))
    })
}

fn purge_audit(
    conn: &mut DbConnection,
    actor: &Actor,
    through: i64,
    cutoff: NaiveDateTime,
    now: NaiveDateTime,
) -> anyhow::Result<()> {
    write_tx(conn, |c| -> anyhow::Result<()> {
        if matches!(c, DbConnection::Pg(_)) {
            // The same lock as appends: nobody appends while the prefix is cut.
            use diesel::RunQueryDsl;
            diesel::sql_query("SELECT pg_advisory_xact_lock(7262001)").execute(c)?;
        }
        let Some((through_now, hash, records)) = AuditAnchor::purgeable_prefix(c, cutoff)? else {
            return Ok(());
        };
        let mut through = through.min(through_now);
        // Checked again inside the transaction: a hold requested a moment ago wins.
        if let Some(h) = first_audit_record_of_held_cases(c)? {
            through = through.min(h - 1);
        }
        if audit_records_through(c, through)? == 0 {
            return Ok(());
        }
        let hash = if through == through_now {
            hash
        } else {
            crate::audit::store::AuditRecord::hash_of(c, through)?
        };
        let deleted = AuditAnchor::delete_prefix(c, through, cutoff)?;
        AuditAnchor::insert(
            c,
            &NewAuditAnchor {
                purged_through_id: through,
                last_hash: hash.clone(),
                cutoff,
                records_purged: deleted as i64,
                created_at: now,
            },
        )?;
        audit::record(
            c,
            actor,
            Entry::new("retention.audit_purge", "audit", "chain").details(format!(
                "purged {deleted} audit record(s) through id {through} (of {records} due), older than {}; anchor hash {hash}",
                fmt_time(&cutoff)
            )),
        )?;
        tracing::info!(
            deleted,
            through,
            "Audit records purged (retention, five years)"
        );
        Ok(())
    })
}

/// Sends the legal-hold review reminders due at `now` (LAPD ALPR order, "Retaining ALPR Data
/// Beyond the Two-Year Logical Deletion Period": "Every two years, ITB shall verify with the
/// investigating officer if the information is eligible for deletion"): for each approved,
/// standing hold whose review is due within 30 days, and again once it is overdue, an email
/// to the case agency's local administrators and the service's system administrators (the
/// agency's contact if there are none). Each stage once per due date (recorded on the hold),
/// each hold one transaction with its audit record (`retention.hold_review_reminder`) and
/// timeline event. Reminders cannot be switched off; nothing else changes.
fn remind_hold_reviews(
    conn: &mut DbConnection,
    ctx: &RetentionContext,
    actor: &Actor,
    now: NaiveDateTime,
    dry_run: bool,
) -> anyhow::Result<Vec<HoldReviewItem>> {
    use crate::domain::retention::ReminderStage;
    let mut out = Vec::new();
    let sysadmins: Vec<User> = User::active_with_role(conn, Role::SystemAdmin)?;
    for hold in LegalHold::all_standing(conn)? {
        let (Some(due), Some(_)) = (hold.review_due_at, hold.approved_at) else {
            continue;
        };
        let Some(stage) = ReminderStage::to_send(due, now, hold.reminder_stage.as_deref()) else {
            continue;
        };
        let Some(case) = Case::find_any(conn, crate::domain::CaseId(hold.case_id))? else {
            continue;
        };
        let agency = Agency::find(conn, crate::domain::AgencyId(case.agency_id))?;
        // (name, address, account id if a user)
        let mut to: Vec<(String, String, Option<i64>)> = Vec::new();
        for u in User::local_admins_of(conn, agency.agency_id())?
            .into_iter()
            .chain(sysadmins.iter().cloned())
        {
            if !to.iter().any(|(_, e, _)| e.eq_ignore_ascii_case(&u.email)) {
                to.push((u.name, u.email, Some(u.id)));
            }
        }
        if to.is_empty() {
            to.push((
                agency.contact_name.clone(),
                agency.contact_email.clone(),
                None,
            ));
        }
        let item = HoldReviewItem {
            hold_id: hold.id,
            case_id: case.id,
            case_number: case.display_number(),
            review_due: due,
            stage: stage.as_str().to_string(),
            recipients: to.iter().map(|(_, e, _)| e.clone()).collect(),
        };
        if !dry_run {
            let overdue = stage == ReminderStage::Overdue;
            write_tx(conn, |c| -> anyhow::Result<()> {
                LegalHold::set_reminder_stage(c, hold.id, stage.as_str())?;
                // A staff notification of a kind that cannot be switched off
                // (`crate::notifications`): recorded once per user with the email it is.
                let notice = crate::notifications::notify::Notice {
                    kind: crate::domain::notification::NotificationKind::HoldReviewDue,
                    subject_key: format!("hold:{}:{}:{}", hold.id, due, stage.as_str()),
                    case_id: Some(case.id),
                    headline: format!(
                        "Legal hold review of {} {}",
                        case.display_number(),
                        if overdue { "overdue" } else { "due soon" }
                    ),
                    link: format!("/cases/{}/holds", case.id),
                };
                for (name, email, user_id) in &to {
                    let mail = crate::platform::mail::templates::HoldReviewReminder {
                        service_name: ctx.service_name.clone(),
                        base_url: ctx.base_url.clone(),
                        recipient_name: name.clone(),
                        case_id: case.id,
                        case_number: case.display_number(),
                        agency_name: agency.name.clone(),
                        reference: hold.reference.clone(),
                        reason: hold.reason.clone(),
                        investigator_name: hold.investigator_name.clone(),
                        investigator_contact: hold.investigator_contact.clone(),
                        due: fmt_time(&due),
                        overdue,
                    }
                    .render(email)?;
                    let outbox_id = crate::platform::mail::enqueue_with_id(c, &mail)?;
                    if let Some(uid) = user_id {
                        crate::notifications::notify::record_compliance(
                            c, *uid, &notice, outbox_id,
                        )?;
                    }
                }
                let what = if overdue {
                    format!("Legal hold review overdue (was due {})", fmt_time(&due))
                } else {
                    format!("Legal hold review due by {}", fmt_time(&due))
                };
                if case.hidden_at.is_none() {
                    timeline(
                        c,
                        case.id,
                        None,
                        "legal_hold",
                        format!("{what}: reminder sent ({})", hold.reference),
                        None,
                    )?;
                }
                audit::record(
                    c,
                    actor,
                    Entry::new("retention.hold_review_reminder", "case", case.id).details(format!(
                        "hold {} ({}): {what}; reminded {}",
                        hold.id,
                        hold.reference,
                        item.recipients.join(", ")
                    )),
                )?;
                Ok(())
            })?;
        }
        out.push(item);
    }
    Ok(out)
}
