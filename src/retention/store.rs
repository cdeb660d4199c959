//! Rows and queries of retention (legal holds, tombstones, the audit anchor), account hygiene
//! and access reviews. Migration `2026-11-22-000007_retention`.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::cases::store::Case;
use crate::domain::{AgencyId, CaseId, UserId};
use crate::platform::db::DbConnection;
use crate::platform::db::schema::{
    access_review_items, access_reviews, case_images, case_tombstones, cases, decisions,
    examinations, legal_holds, outbox_messages, packets, probe_searches, request_versions,
    timeline_events,
};

type Conn = DbConnection;
type QResult<T> = diesel::QueryResult<T>;

// ---------------------------------------------------------------- legal holds

/// A legal hold on a case (LAPD ALPR order: DR or case number, reason, investigator, requested
/// by one person and approved by another; reviewed every two years). Migrations
/// `2026-11-22-000007_retention` and `2026-12-02-000001_legal_hold_approval`. While it is
/// neither rejected nor released (pending or approved) the case is neither logically deleted
/// nor purged, and its audit records are not purged.
#[derive(Debug, Clone, Queryable, Selectable, Identifiable, serde::Serialize)]
#[diesel(table_name = legal_holds)]
pub struct LegalHold {
    pub id: i64,
    pub case_id: i64,
    /// The case or DR number the hold serves.
    pub reference: String,
    pub reason: String,
    /// Who requested the hold, and when.
    pub placed_by: i64,
    pub placed_at: NaiveDateTime,
    /// Who approved the release (a different person from its requester), and when.
    pub lifted_by: Option<i64>,
    pub lifted_at: Option<NaiveDateTime>,
    /// The reason given with the release request.
    pub lift_reason: Option<String>,
    pub investigator_name: String,
    pub investigator_contact: String,
    pub approved_by: Option<i64>,
    pub approved_at: Option<NaiveDateTime>,
    pub rejected_by: Option<i64>,
    pub rejected_at: Option<NaiveDateTime>,
    pub reject_reason: Option<String>,
    /// The next review (approval, then last review, + 2 years); `None` while pending.
    pub review_due_at: Option<NaiveDateTime>,
    pub reviewed_by: Option<i64>,
    pub reviewed_at: Option<NaiveDateTime>,
    pub review_note: Option<String>,
    /// The review reminder already sent for `review_due_at`: `due_soon` or `overdue`.
    pub reminder_stage: Option<String>,
    pub release_requested_by: Option<i64>,
    pub release_requested_at: Option<NaiveDateTime>,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = legal_holds)]
pub struct NewLegalHold {
    pub case_id: i64,
    pub reference: String,
    pub reason: String,
    pub investigator_name: String,
    pub investigator_contact: String,
    pub placed_by: i64,
    pub placed_at: NaiveDateTime,
}

/// Where a hold stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HoldState {
    /// Requested, awaiting a second person's approval (already holds the case).
    Pending,
    /// Approved and standing.
    Approved,
    /// Approved; a release was requested and awaits a second person.
    ReleaseRequested,
    Rejected,
    Released,
}

/// A standing hold: not rejected, not released.
fn standing() -> diesel::dsl::And<
    diesel::dsl::IsNull<legal_holds::lifted_at>,
    diesel::dsl::IsNull<legal_holds::rejected_at>,
> {
    legal_holds::lifted_at
        .is_null()
        .and(legal_holds::rejected_at.is_null())
}

impl LegalHold {
    /// Records a hold request; returns its id.
    pub fn insert(conn: &mut Conn, new: &NewLegalHold) -> QResult<i64> {
        diesel::insert_into(legal_holds::table)
            .values(new)
            .execute(conn)?;
        legal_holds::table
            .filter(legal_holds::case_id.eq(new.case_id))
            .order(legal_holds::id.desc())
            .select(legal_holds::id)
            .first(conn)
    }
    pub fn find(conn: &mut Conn, case: CaseId, hold_id: i64) -> QResult<Option<LegalHold>> {
        legal_holds::table
            .filter(legal_holds::id.eq(hold_id))
            .filter(legal_holds::case_id.eq(case.0))
            .select(LegalHold::as_select())
            .first(conn)
            .optional()
    }
    /// Every hold of a case, oldest first (rejected and released ones too).
    pub fn for_case(conn: &mut Conn, case: CaseId) -> QResult<Vec<LegalHold>> {
        legal_holds::table
            .filter(legal_holds::case_id.eq(case.0))
            .order(legal_holds::id.asc())
            .select(LegalHold::as_select())
            .load(conn)
    }
    /// Whether the case has a standing hold (pending or approved, not released).
    pub fn is_held(conn: &mut Conn, case: CaseId) -> QResult<bool> {
        diesel::select(diesel::dsl::exists(
            legal_holds::table
                .filter(legal_holds::case_id.eq(case.0))
                .filter(standing()),
        ))
        .get_result(conn)
    }
    /// Every standing hold (pending or approved), oldest first.
    pub fn all_standing(conn: &mut Conn) -> QResult<Vec<LegalHold>> {
        legal_holds::table
            .filter(standing())
            .order(legal_holds::id.asc())
            .select(LegalHold::as_select())
            .load(conn)
    }
    /// The ids of cases with a standing hold.
    pub fn held_case_ids(conn: &mut Conn) -> QResult<Vec<i64>> {
        legal_holds::table
            .filter(standing())
            .select(legal_holds::case_id)
            .distinct()
            .load(conn)
    }
    /// Approves a pending hold: sets the approver and the first review date. Returns whether
    /// it was still pending.
    pub fn approve(
        conn: &mut Conn,
        hold_id: i64,
        by: UserId,
        at: NaiveDateTime,
        review_due: NaiveDateTime,
    ) -> QResult<bool> {
        let n = diesel::update(
            legal_holds::table
                .filter(legal_holds::id.eq(hold_id))
                .filter(standing())
                .filter(legal_holds::approved_at.is_null()),
        )
        .set((
            legal_holds::approved_by.eq(Some(by.0)),
            legal_holds::approved_at.eq(Some(at)),
            legal_holds::review_due_at.eq(Some(review_due)),
        ))
        .execute(conn)?;
        Ok(n == 1)
    }
    /// Rejects a pending hold request. Returns whether it was still pending.
    pub fn reject(
        conn: &mut Conn,
        hold_id: i64,
        by: UserId,
        reason: &str,
        at: NaiveDateTime,
    ) -> QResult<bool> {
        let n = diesel::update(
            legal_holds::table
                .filter(legal_holds::id.eq(hold_id))
                .filter(standing())
                .filter(legal_holds::approved_at.is_null()),
        )
        .set((
            legal_holds::rejected_by.eq(Some(by.0)),
            legal_holds::rejected_at.eq(Some(at)),
            legal_holds::reject_reason.eq(Some(reason)),
        ))
        .execute(conn)?;
        Ok(n == 1)
    }
    /// Records a review of an approved hold: the note, who, when, the next due date; the
    /// reminder stage starts again. Returns whether the hold was approved and standing.
    pub fn record_review(
        conn: &mut Conn,
        hold_id: i64,
        by: UserId,
        note: &str,
        at: NaiveDateTime,
        next_due: NaiveDateTime,
    ) -> QResult<bool> {
        let n = diesel::update(
            legal_holds::table
                .filter(legal_holds::id.eq(hold_id))
                .filter(standing())
                .filter(legal_holds::approved_at.is_not_null()),
        )
        .set((
            legal_holds::reviewed_by.eq(Some(by.0)),
            legal_holds::reviewed_at.eq(Some(at)),
            legal_holds::review_note.eq(Some(note)),
            legal_holds::review_due_at.eq(Some(next_due)),
            legal_holds::reminder_stage.eq(None::<String>),
        ))
        .execute(conn)?;
        Ok(n == 1)
    }
    /// Records which review reminder went out for the current due date.
    pub fn set_reminder_stage(conn: &mut Conn, hold_id: i64, stage: &str) -> QResult<()> {
        diesel::update(legal_holds::table.filter(legal_holds::id.eq(hold_id)))
            .set(legal_holds::reminder_stage.eq(Some(stage)))
            .execute(conn)
            .map(|_| ())
    }
    /// Records a release request on an approved standing hold with no release request yet.
    /// Returns whether one was recorded.
    pub fn request_release(
        conn: &mut Conn,
        hold_id: i64,
        by: UserId,
        reason: &str,
        at: NaiveDateTime,
    ) -> QResult<bool> {
        let n = diesel::update(
            legal_holds::table
                .filter(legal_holds::id.eq(hold_id))
                .filter(standing())
                .filter(legal_holds::approved_at.is_not_null())
                .filter(legal_holds::release_requested_at.is_null()),
        )
        .set((
            legal_holds::release_requested_by.eq(Some(by.0)),
            legal_holds::release_requested_at.eq(Some(at)),
            legal_holds::lift_reason.eq(Some(reason)),
        ))
        .execute(conn)?;
        Ok(n == 1)
    }
    /// Approves a requested release: the hold ends. Returns whether a release was pending.
    pub fn approve_release(
        conn: &mut Conn,
        hold_id: i64,
        by: UserId,
        at: NaiveDateTime,
    ) -> QResult<bool> {
        let n = diesel::update(
            legal_holds::table
                .filter(legal_holds::id.eq(hold_id))
                .filter(standing())
                .filter(legal_holds::release_requested_at.is_not_null()),
        )
        .set((
            legal_holds::lifted_by.eq(Some(by.0)),
            legal_holds::lifted_at.eq(Some(at)),
        ))
        .execute(conn)?;
        Ok(n == 1)
    }
    /// Where the hold stands.
    pub fn state(&self) -> HoldState {
        if self.rejected_at.is_some() {
            HoldState::Rejected
        } else if self.lifted_at.is_some() {
            HoldState::Released
        } else if self.approved_at.is_none() {
            HoldState::Pending
        } else if self.release_requested_at.is_some() {
            HoldState::ReleaseRequested
        } else {
            HoldState::Approved
        }
    }
    /// Pending or approved (not rejected, not released): the case is held.
    pub fn is_standing(&self) -> bool {
        self.lifted_at.is_none() && self.rejected_at.is_none()
    }
    /// A short label of the state, e.g. `pending approval`.
    pub fn state_label(&self) -> &'static str {
        match self.state() {
            HoldState::Pending => "pending approval",
            HoldState::Approved => "standing",
            HoldState::ReleaseRequested => "standing, release requested",
            HoldState::Rejected => "rejected",
            HoldState::Released => "released",
        }
    }
    /// Whether the review is past due at `now`.
    pub fn review_overdue(&self, now: NaiveDateTime) -> bool {
        self.is_standing() && self.review_due_at.is_some_and(|d| d <= now)
    }
}

/// How many audit records have an id up to `through`.
pub fn audit_records_through(conn: &mut Conn, through: i64) -> QResult<i64> {
    use crate::platform::db::schema::audit_records as ar;
    ar::table
        .filter(ar::id.le(through))
        .count()
        .get_result(conn)
}

/// The first audit record (lowest id) that belongs to a case under a standing hold, if any.
///
/// An audit record belongs to a case when its object is the case (`object_type` `case`,
/// `object_id` the case id) or one of the case's objects as the code names them: `probe_search`
/// (probe searches and their examinations, by id), `packet` (result packets, by packet id) and
/// `image` (image uploads, views and searches, by SHA-256 of a case image — an image shared
/// with another case counts for both).
pub fn first_audit_record_of_held_cases(conn: &mut Conn) -> QResult<Option<i64>> {
    use crate::platform::db::schema::audit_records as ar;
    let held = LegalHold::held_case_ids(conn)?;
    if held.is_empty() {
        return Ok(None);
    }
    let mut objects: Vec<(&str, Vec<String>)> = Vec::new();
    objects.push(("case", held.iter().map(i64::to_string).collect()));
    let searches: Vec<i64> = probe_searches::table
        .filter(probe_searches::case_id.eq_any(&held))
        .select(probe_searches::id)
        .load(conn)?;
    objects.push((
        "probe_search",
        searches.iter().map(i64::to_string).collect(),
    ));
    let packet_ids: Vec<String> = packets::table
        .filter(packets::case_id.eq_any(&held))
        .select(packets::packet_id)
        .load(conn)?;
    objects.push(("packet", packet_ids));
    let shas: Vec<String> = case_images::table
        .filter(case_images::case_id.eq_any(&held))
        .select(case_images::sha256)
        .distinct()
        .load(conn)?;
    objects.push(("image", shas));
    let mut first: Option<i64> = None;
    for (kind, ids) in objects {
        for chunk in ids.chunks(500) {
            let m: Option<i64> = ar::table
                .filter(ar::object_type.eq(kind))
                .filter(ar::object_id.eq_any(chunk))
                .select(diesel::dsl::min(ar::id))
                .first(conn)?;
            if let Some(m) = m {
                first = Some(first.map_or(m, |f| f.min(m)));
            }
        }
    }
    Ok(first)
}

// ---------------------------------------------------------------- case retention queries

/// A case with the time of its last activity (max of `updated_at` and its timeline, not
/// counting legal-hold and retention events).
#[derive(Debug, Clone)]
pub struct CaseActivity {
    pub case: Case,
    pub last_activity: NaiveDateTime,
}

fn with_activity_before(
    conn: &mut Conn,
    candidates: Vec<Case>,
    before: NaiveDateTime,
) -> QResult<Vec<CaseActivity>> {
    let mut out = Vec::new();
    for case in candidates {
        let last_activity = Case::last_activity(conn, &case)?;
        if last_activity < before {
            out.push(CaseActivity {
                case,
                last_activity,
            });
        }
    }
    Ok(out)
}

impl Case {
    /// Live (not logically deleted) cases with no activity since `before`, oldest first.
    pub fn idle_since(conn: &mut Conn, before: NaiveDateTime) -> QResult<Vec<CaseActivity>> {
        let candidates: Vec<Case> = cases::table
            .filter(cases::hidden_at.is_null())
            .filter(cases::updated_at.lt(before))
            .order(cases::id.asc())
            .select(Case::as_select())
            .load(conn)?;
        with_activity_before(conn, candidates, before)
    }
    /// Logically deleted, not yet purged cases with no activity since `before` (the permanent
    /// deletion period counts from the last activity, LAPD ALPR order), oldest first.
    pub fn deleted_idle_since(
        conn: &mut Conn,
        before: NaiveDateTime,
    ) -> QResult<Vec<CaseActivity>> {
        let candidates: Vec<Case> = cases::table
            .filter(cases::hidden_at.is_not_null())
            .filter(cases::purged_at.is_null())
            .filter(cases::updated_at.lt(before))
            .order(cases::id.asc())
            .select(Case::as_select())
            .load(conn)?;
        with_activity_before(conn, candidates, before)
    }
    /// The last activity of a case: the later of `updated_at` and its last timeline event,
    /// not counting legal-hold and retention events.
    pub fn last_activity(conn: &mut Conn, case: &Case) -> QResult<NaiveDateTime> {
        let last_event: Option<NaiveDateTime> = timeline_events::table
            .filter(timeline_events::case_id.eq(case.id))
            // Placing or lifting a legal hold is not activity on the case itself.
            .filter(timeline_events::kind.ne_all(["legal_hold", "retention"]))
            .select(diesel::dsl::max(timeline_events::at))
            .first(conn)?;
        Ok(last_event.map_or(case.updated_at, |e| e.max(case.updated_at)))
    }
    /// Logically deletes a live case; returns whether the row changed.
    pub fn mark_deleted(conn: &mut Conn, id: CaseId, at: NaiveDateTime) -> QResult<bool> {
        let n = diesel::update(
            cases::table
                .filter(cases::id.eq(id.0))
                .filter(cases::hidden_at.is_null()),
        )
        .set(cases::hidden_at.eq(Some(at)))
        .execute(conn)?;
        Ok(n == 1)
    }
    /// Logically deleted cases in scope (for administrators), newest deletion first.
    pub fn deleted_in_scope(
        conn: &mut Conn,
        agency: Option<AgencyId>,
        limit: i64,
    ) -> QResult<Vec<Case>> {
        let mut q = cases::table
            .filter(cases::hidden_at.is_not_null())
            .into_boxed();
        if let Some(a) = agency {
            q = q.filter(cases::agency_id.eq(a.0));
        }
        q.order(cases::hidden_at.desc())
            .limit(limit)
            .select(Case::as_select())
            .load(conn)
    }
}

/// What a purge removed from the database, and which files it must delete.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct PurgedRows {
    pub request_versions: usize,
    pub images: usize,
    pub probe_searches: usize,
    pub examinations: usize,
    pub decisions: usize,
    pub timeline_comments: usize,
    pub emails: usize,
    pub packets: usize,
    /// Messages whose text was cleared (issue 16).
    #[serde(default)]
    pub messages: usize,
    /// `(sha256, content_type)` of images no other unpurged case uses.
    #[serde(skip)]
    pub image_files: Vec<(String, String)>,
    /// Image hashes kept on disk because another live case uses the same file.
    pub shared_images_kept: Vec<String>,
    /// `packet_id`s whose PDF is removed.
    #[serde(skip)]
    pub packet_ids: Vec<String>,
    /// Outbox attachment paths (relative to `data_dir`) of the case's email.
    #[serde(skip)]
    pub attachment_paths: Vec<String>,
}

const PURGED: &str = "(purged)";

impl Case {
    /// Clears every payload column of a case (form, search reason, agency case/file number,
    /// image names, face and candidate data, examinations, decision comments, timeline comments,
    /// email bodies, packet reasons) and marks it purged. Keeps ids, image and packet hashes,
    /// dates and the desk's case number. Returns what it cleared and the files the
    /// caller must delete in the same transaction.
    pub fn purge_payload(conn: &mut Conn, id: CaseId, at: NaiveDateTime) -> QResult<PurgedRows> {
        let mut p = PurgedRows::default();
        let imgs: Vec<(String, String)> = case_images::table
            .filter(case_images::case_id.eq(id.0))
            .select((case_images::sha256, case_images::content_type))
            .distinct()
            .load(conn)?;
        for (sha, ct) in imgs {
            let shared: bool = diesel::select(diesel::dsl::exists(
                case_images::table
                    .inner_join(cases::table)
                    .filter(case_images::sha256.eq(&sha))
                    .filter(case_images::case_id.ne(id.0))
                    .filter(cases::purged_at.is_null()),
            ))
            .get_result(conn)?;
            // A message attachment of another unpurged case may be the same file.
            let attached: bool = {
                use crate::platform::db::schema::case_message_attachments as cma;
                diesel::select(diesel::dsl::exists(
                    cma::table
                        .inner_join(cases::table.on(cases::id.eq(cma::case_id)))
                        .filter(cma::sha256.eq(&sha))
                        .filter(cma::case_id.ne(id.0))
                        .filter(cases::purged_at.is_null()),
                ))
                .get_result(conn)?
            };
            if shared || attached {
                p.shared_images_kept.push(sha);
            } else {
                p.image_files.push((sha, ct));
            }
        }
        p.images = diesel::update(case_images::table.filter(case_images::case_id.eq(id.0)))
            .set(case_images::original_name.eq(PURGED))
            .execute(conn)?;
        p.request_versions =
            diesel::update(request_versions::table.filter(request_versions::case_id.eq(id.0)))
                .set((
                    request_versions::form_json.eq("{}"),
                    request_versions::signed_ip.eq(None::<String>),
                ))
                .execute(conn)?;
        crate::examination::drafts::discard_case(conn, id.0)?;
        crate::examination::claims::discard_case(conn, id.0)?;
        p.probe_searches =
            diesel::update(probe_searches::table.filter(probe_searches::case_id.eq(id.0)))
                .set((
                    probe_searches::faces_json.eq(None::<String>),
                    probe_searches::quality_json.eq(None::<String>),
                    probe_searches::candidates_json.eq(None::<String>),
                    probe_searches::error.eq(None::<String>),
                ))
                .execute(conn)?;
        p.examinations = diesel::update(examinations::table.filter(examinations::case_id.eq(id.0)))
            .set((
                examinations::review_json.eq("{}"),
                examinations::comment.eq(PURGED),
            ))
            .execute(conn)?;
        p.decisions = diesel::update(decisions::table.filter(decisions::case_id.eq(id.0)))
            .set((
                decisions::comment.eq(PURGED),
                decisions::checklist_json.eq("[]"),
            ))
            .execute(conn)?;
        p.timeline_comments = diesel::update(
            timeline_events::table
                .filter(timeline_events::case_id.eq(id.0))
                .filter(timeline_events::comment.is_not_null()),
        )
        .set(timeline_events::comment.eq(None::<String>))
        .execute(conn)?;
        p.attachment_paths = outbox_messages::table
            .filter(outbox_messages::case_id.eq(id.0))
            .filter(outbox_messages::attachment_path.is_not_null())
            .select(outbox_messages::attachment_path.assume_not_null())
            .load(conn)?;
        p.emails = diesel::update(outbox_messages::table.filter(outbox_messages::case_id.eq(id.0)))
            .set((
                outbox_messages::body_text.eq(PURGED),
                outbox_messages::body_html.eq(PURGED),
                outbox_messages::attachment_path.eq(None::<String>),
            ))
            .execute(conn)?;
        p.packet_ids = packets::table
            .filter(packets::case_id.eq(id.0))
            .select(packets::packet_id)
            .load(conn)?;
        p.packets = diesel::update(packets::table.filter(packets::case_id.eq(id.0)))
            .set(packets::reason.eq(PURGED))
            .execute(conn)?;
        purge_messages(conn, id, &mut p)?;
        diesel::update(cases::table.filter(cases::id.eq(id.0)))
            .set((
                cases::purged_at.eq(Some(at)),
                cases::search_reason.eq(PURGED),
                cases::case_file_number.eq(PURGED),
            ))
            .execute(conn)?;
        Ok(p)
    }
}

/// Clears the text of a case's messages and lists their attachment files for deletion, unless
/// another unpurged case uses the same file (as a probe image or an attachment) or the case's
/// own probe images already list it.
fn purge_messages(conn: &mut Conn, id: CaseId, p: &mut PurgedRows) -> QResult<()> {
    use crate::platform::db::schema::{case_message_attachments as cma, case_messages};
    let files: Vec<(String, String)> = cma::table
        .filter(cma::case_id.eq(id.0))
        .select((cma::sha256, cma::content_type))
        .distinct()
        .load(conn)?;
    for (sha, ct) in files {
        if p.image_files.iter().any(|(s, _)| *s == sha) || p.shared_images_kept.contains(&sha) {
            continue;
        }
        let probe_elsewhere: bool = diesel::select(diesel::dsl::exists(
            case_images::table
                .inner_join(cases::table)
                .filter(case_images::sha256.eq(&sha))
                .filter(case_images::case_id.ne(id.0))
                .filter(cases::purged_at.is_null()),
        ))
        .get_result(conn)?;
        let attached_elsewhere: bool = diesel::select(diesel::dsl::exists(
            cma::table
                .inner_join(cases::table.on(cases::id.eq(cma::case_id)))
                .filter(cma::sha256.eq(&sha))
                .filter(cma::case_id.ne(id.0))
                .filter(cases::purged_at.is_null()),
        ))
        .get_result(conn)?;
        if probe_elsewhere || attached_elsewhere {
            p.shared_images_kept.push(sha);
        } else {
            p.image_files.push((sha, ct));
        }
    }
    diesel::update(cma::table.filter(cma::case_id.eq(id.0)))
        .set(cma::original_name.eq(PURGED))
        .execute(conn)?;
    p.messages = diesel::update(case_messages::table.filter(case_messages::case_id.eq(id.0)))
        .set(case_messages::body.eq(PURGED))
        .execute(conn)?;
    Ok(())
}

// ---------------------------------------------------------------- tombstones

/// What is left of a purged case.
#[derive(Debug, Clone, Queryable, Selectable, Identifiable, serde::Serialize)]
#[diesel(table_name = case_tombstones)]
pub struct CaseTombstone {
    pub id: i64,
    pub case_id: i64,
    pub case_number: String,
    pub agency_id: i64,
    pub created_at: NaiveDateTime,
    pub submitted_at: Option<NaiveDateTime>,
    pub last_activity_at: NaiveDateTime,
    pub hidden_at: NaiveDateTime,
    pub purged_at: NaiveDateTime,
    /// JSON of [`PurgedRows`] plus the file counts.
    pub purged: String,
    pub reason: String,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = case_tombstones)]
pub struct NewCaseTombstone {
    pub case_id: i64,
    pub case_number: String,
    pub agency_id: i64,
    pub created_at: NaiveDateTime,
    pub submitted_at: Option<NaiveDateTime>,
    pub last_activity_at: NaiveDateTime,
    pub hidden_at: NaiveDateTime,
    pub purged_at: NaiveDateTime,
    pub purged: String,
    pub reason: String,
}

impl CaseTombstone {
    pub fn insert(conn: &mut Conn, new: &NewCaseTombstone) -> QResult<()> {
        diesel::insert_into(case_tombstones::table)
            .values(new)
            .execute(conn)
            .map(|_| ())
    }
    pub fn for_case(conn: &mut Conn, case: CaseId) -> QResult<Option<CaseTombstone>> {
        case_tombstones::table
            .filter(case_tombstones::case_id.eq(case.0))
            .select(CaseTombstone::as_select())
            .first(conn)
            .optional()
    }
}

// ---------------------------------------------------------------- access reviews

/// One quarterly access review of an agency.
#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = access_reviews)]
pub struct AccessReview {
    pub id: i64,
    pub agency_id: i64,
    pub reviewer_id: i64,
    /// `YYYY-Qn`.
    pub quarter: String,
    pub created_at: NaiveDateTime,
}

/// One user's line of a review, as it stood when decided.
#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = access_review_items)]
pub struct AccessReviewItem {
    pub id: i64,
    pub review_id: i64,
    pub user_id: i64,
    pub roles: String,
    /// `current` or `none` (FR-system access), then the newest record of each kind since
    /// migration 2026-12-01-000002, e.g. `current (FR system: LACRIS 2024-01-10; …)`.
    pub training: String,
    pub last_login: Option<NaiveDateTime>,
    /// `confirm` or `revoke`.
    pub decision: String,
    /// The user's background-check date at the time of the review.
    pub background_check_on: Option<chrono::NaiveDate>,
}

/// A decided line to store.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = access_review_items)]
pub struct NewAccessReviewItem {
    pub review_id: i64,
    pub user_id: i64,
    pub roles: String,
    pub training: String,
    pub last_login: Option<NaiveDateTime>,
    pub decision: String,
    pub background_check_on: Option<chrono::NaiveDate>,
}

impl AccessReview {
    /// Stores a review and its items; returns the review id.
    pub fn insert(
        conn: &mut Conn,
        agency: AgencyId,
        reviewer: UserId,
        quarter: &str,
        at: NaiveDateTime,
        items: &[NewAccessReviewItem],
    ) -> QResult<i64> {
        diesel::insert_into(access_reviews::table)
            .values((
                access_reviews::agency_id.eq(agency.0),
                access_reviews::reviewer_id.eq(reviewer.0),
                access_reviews::quarter.eq(quarter),
                access_reviews::created_at.eq(at),
            ))
            .execute(conn)?;
        let id: i64 = access_reviews::table
            .filter(access_reviews::agency_id.eq(agency.0))
            .order(access_reviews::id.desc())
            .select(access_reviews::id)
            .first(conn)?;
        for it in items {
            diesel::insert_into(access_review_items::table)
                .values(&NewAccessReviewItem {
                    review_id: id,
                    ..it.clone()
                })
                .execute(conn)?;
        }
        Ok(id)
    }
    /// An agency's reviews, newest first.
    pub fn for_agency(conn: &mut Conn, agency: AgencyId) -> QResult<Vec<AccessReview>> {
        access_reviews::table
            .filter(access_reviews::agency_id.eq(agency.0))
            .order(access_reviews::id.desc())
            .select(AccessReview::as_select())
            .load(conn)
    }
    pub fn items(conn: &mut Conn, review: i64) -> QResult<Vec<AccessReviewItem>> {
        access_review_items::table
            .filter(access_review_items::review_id.eq(review))
            .order(access_review_items::id.asc())
            .select(AccessReviewItem::as_select())
            .load(conn)
    }
}
