//! Cases, request versions, images and timeline events: their rows and the queries on them.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::domain::{AgencyId, CaseId, CaseStatus};
use crate::platform::db::DbConnection;
use crate::platform::db::schema::{
    agencies, case_images, cases, request_versions, timeline_events, users,
};
use crate::platform::time::label;

type Conn = DbConnection;
type QResult<T> = diesel::QueryResult<T>;

// ---------------------------------------------------------------- cases

#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = cases)]
pub struct Case {
    pub id: i64,
    pub case_number: Option<String>,
    pub form_key: String,
    pub agency_id: i64,
    pub requester_id: i64,
    /// An unknown stored status fails the load (never a default).
    #[diesel(deserialize_as = String)]
    pub status: CaseStatus,
    pub current_version: i32,
    pub search_reason: String,
    pub case_file_number: String,
    pub reason_verdict: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub submitted_at: Option<NaiveDateTime>,
    /// Logical deletion (retention): hidden from everyone but administrators stating a reason.
    pub hidden_at: Option<NaiveDateTime>,
    /// Purge (retention): images, candidate data and packets removed; a tombstone remains.
    pub purged_at: Option<NaiveDateTime>,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = cases)]
pub struct NewCase {
    pub form_key: String,
    pub agency_id: i64,
    pub requester_id: i64,
    #[diesel(serialize_as = String)]
    pub status: CaseStatus,
    pub current_version: i32,
    pub search_reason: String,
    pub case_file_number: String,
    pub reason_verdict: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// Which cases a user may see (docs/POLICIES.md, "Roles"; decided by
/// `cases::access::scope_of`).
#[derive(Debug, Clone, Copy)]
pub enum CaseScope {
    /// Service staff: every agency's cases once submitted, and the service agency's own. A draft
    /// another agency never submitted (and its images) stays with that agency.
    Service,
    /// Everyone else: their own agency's cases, drafts included.
    Agency(AgencyId),
}

/// One row of a case list, with the agency and requester names.
#[derive(Debug, Clone)]
pub struct CaseListRow {
    pub case: Case,
    pub agency_name: String,
    pub agency_ori: String,
    pub requester_name: String,
}

impl From<(Case, String, String, String)> for CaseListRow {
    fn from(
        (case, agency_name, agency_ori, requester_name): (Case, String, String, String),
    ) -> Self {
        CaseListRow {
            case,
            agency_name,
            agency_ori,
            requester_name,
        }
    }
}

impl Case {
    pub fn insert(conn: &mut Conn, new: &NewCase) -> QResult<Case> {
        diesel::insert_into(cases::table)
            .values(new.clone())
            .execute(conn)?;
        Case::by_form_key(conn, &new.form_key)?.ok_or(diesel::NotFound)
    }
    /// A live case: `None` when it does not exist or is logically deleted (retention).
    pub fn find(conn: &mut Conn, id: CaseId) -> QResult<Option<Case>> {
        cases::table
            .find(id.0)
            .filter(cases::hidden_at.is_null())
            .select(Case::as_select())
            .first(conn)
            .optional()
    }
    /// A case whether or not it is logically deleted or purged: only for retention and for an
    /// administrator's audited view of a logically deleted case.
    pub fn find_any(conn: &mut Conn, id: CaseId) -> QResult<Option<Case>> {
        cases::table
            .find(id.0)
            .select(Case::as_select())
            .first(conn)
            .optional()
    }
    /// A case the scope allows; `None` both when it does not exist and when it belongs to
    /// another agency, so ids of other agencies' cases are not disclosed.
    pub fn find_in_scope(conn: &mut Conn, id: CaseId, scope: CaseScope) -> QResult<Option<Case>> {
        let mut q = cases::table
            .filter(cases::id.eq(id.0))
            .filter(cases::hidden_at.is_null())
            .into_boxed();
        q = match scope {
            CaseScope::Agency(a) => q.filter(cases::agency_id.eq(a.0)),
            CaseScope::Service => q.filter(
                cases::submitted_at
                    .is_not_null()
                    .or(cases::agency_id.eq_any(
                        agencies::table
                            .filter(agencies::is_service.eq(true))
                            .select(agencies::id),
                    )),
            ),
        };
        q.select(Case::as_select()).first(conn).optional()
    }
    /// A live (not logically deleted) case by its case number (`FR-YYYY-NNNNNN`, any case).
    pub fn by_number(conn: &mut Conn, number: &str) -> QResult<Option<Case>> {
        cases::table
            .filter(cases::case_number.eq(number.trim().to_uppercase()))
            .filter(cases::hidden_at.is_null())
            .select(Case::as_select())
            .first(conn)
            .optional()
    }
    pub fn by_form_key(conn: &mut Conn, key: &str) -> QResult<Option<Case>> {
        cases::table
            .filter(cases::form_key.eq(key))
            .select(Case::as_select())
            .first(conn)
            .optional()
    }
    /// Cases in scope, optionally of one status, newest change first: `limit` rows after
    /// skipping `offset` (ties broken by id, so pages never overlap or skip).
    pub fn list_page(
        conn: &mut Conn,
        scope: CaseScope,
        status: Option<CaseStatus>,
        offset: i64,
        limit: i64,
    ) -> QResult<Vec<CaseListRow>> {
        let mut q = cases::table
            .inner_join(agencies::table)
            .inner_join(users::table.on(users::id.eq(cases::requester_id)))
            .filter(cases::hidden_at.is_null())
            .into_boxed();
        q = match scope {
            CaseScope::Agency(a) => q.filter(cases::agency_id.eq(a.0)),
            CaseScope::Service => q.filter(
                cases::submitted_at
                    .is_not_null()
                    .or(agencies::is_service.eq(true)),
            ),
        };
        if let Some(s) = status {
            q = q.filter(cases::status.eq(s.as_str()));
        }
        let rows: Vec<(Case, String, String, String)> = q
            .order((cases::updated_at.desc(), cases::id.desc()))
            .offset(offset)
            .limit(limit)
            .select((
                Case::as_select(),
                agencies::name,
                agencies::ori,
                users::name,
            ))
            .load(conn)?;
        Ok(rows.into_iter().map(CaseListRow::from).collect())
    }
    /// The compliance-review queue: submitted cases, oldest first.
    pub fn review_queue(conn: &mut Conn) -> QResult<Vec<CaseListRow>> {
        let rows: Vec<(Case, String, String, String)> = cases::table
            .inner_join(agencies::table)
            .inner_join(users::table.on(users::id.eq(cases::requester_id)))
            .filter(cases::status.eq(CaseStatus::Submitted.as_str()))
            .filter(cases::hidden_at.is_null())
            .order((cases::submitted_at.asc(), cases::id.asc()))
            .select((
                Case::as_select(),
                agencies::name,
                agencies::ori,
                users::name,
            ))
            .load(conn)?;
        Ok(rows.into_iter().map(CaseListRow::from).collect())
    }
    /// Moves the case to `to` only if it is still in `from` (optimistic check); returns whether
    /// the row changed, so two reviewers deciding at once cannot both win.
    pub fn transition(
        conn: &mut Conn,
        id: CaseId,
        from: CaseStatus,
        to: CaseStatus,
        at: NaiveDateTime,
    ) -> QResult<bool> {
        let n = diesel::update(
            cases::table
                .filter(cases::id.eq(id.0))
                .filter(cases::status.eq(from.as_str())),
        )
        .set((cases::status.eq(to.as_str()), cases::updated_at.eq(at)))
        .execute(conn)?;
        Ok(n == 1)
    }
    pub fn set_summary(
        conn: &mut Conn,
        id: CaseId,
        search_reason: &str,
        case_file_number: &str,
        reason_verdict: &str,
        at: NaiveDateTime,
    ) -> QResult<()> {
        diesel::update(cases::table.find(id.0))
            .set((
                cases::search_reason.eq(search_reason),
                cases::case_file_number.eq(case_file_number),
                cases::reason_verdict.eq(reason_verdict),
                cases::updated_at.eq(at),
            ))
            .execute(conn)
            .map(|_| ())
    }
    pub fn mark_submitted(
        conn: &mut Conn,
        id: CaseId,
        case_number: &str,
        at: NaiveDateTime,
    ) -> QResult<()> {
        diesel::update(cases::table.find(id.0))
            .set((
                cases::case_number.eq(Some(case_number)),
                cases::submitted_at.eq(Some(at)),
            ))
            .execute(conn)
            .map(|_| ())
    }
    pub fn set_version(conn: &mut Conn, id: CaseId, version: i32) -> QResult<()> {
        diesel::update(cases::table.find(id.0))
            .set(cases::current_version.eq(version))
            .execute(conn)
            .map(|_| ())
    }
    pub fn case_id(&self) -> CaseId {
        CaseId(self.id)
    }
    pub fn status(&self) -> CaseStatus {
        self.status
    }
    /// The case number, or a draft label before submission.
    pub fn display_number(&self) -> String {
        self.case_number
            .clone()
            .unwrap_or_else(|| format!("Draft {}", self.id))
    }
}

// ---------------------------------------------------------------- request versions

#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = request_versions)]
pub struct RequestVersion {
    pub id: i64,
    pub case_id: i64,
    pub version: i32,
    pub form_json: String,
    pub submitted_at: Option<NaiveDateTime>,
    pub signed_ip: Option<String>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = request_versions)]
pub struct NewRequestVersion {
    pub case_id: i64,
    pub version: i32,
    pub form_json: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl RequestVersion {
    pub fn insert(conn: &mut Conn, new: &NewRequestVersion) -> QResult<()> {
        diesel::insert_into(request_versions::table)
            .values(new)
            .execute(conn)
            .map(|_| ())
    }
    pub fn get(conn: &mut Conn, case: CaseId, version: i32) -> QResult<RequestVersion> {
        request_versions::table
            .filter(request_versions::case_id.eq(case.0))
            .filter(request_versions::version.eq(version))
            .select(RequestVersion::as_select())
            .first(conn)
    }
    pub fn all_for(conn: &mut Conn, case: CaseId) -> QResult<Vec<RequestVersion>> {
        request_versions::table
            .filter(request_versions::case_id.eq(case.0))
            .order(request_versions::version.asc())
            .select(RequestVersion::as_select())
            .load(conn)
    }
    pub fn update_form(
        conn: &mut Conn,
        case: CaseId,
        version: i32,
        form_json: &str,
        at: NaiveDateTime,
    ) -> QResult<()> {
        diesel::update(
            request_versions::table
                .filter(request_versions::case_id.eq(case.0))
                .filter(request_versions::version.eq(version)),
        )
        .set((
            request_versions::form_json.eq(form_json),
            request_versions::updated_at.eq(at),
        ))
        .execute(conn)
        .map(|_| ())
    }
    pub fn mark_submitted(
        conn: &mut Conn,
        case: CaseId,
        version: i32,
        at: NaiveDateTime,
        ip: &str,
    ) -> QResult<()> {
        diesel::update(
            request_versions::table
                .filter(request_versions::case_id.eq(case.0))
                .filter(request_versions::version.eq(version)),
        )
        .set((
            request_versions::submitted_at.eq(Some(at)),
            request_versions::signed_ip.eq(Some(ip)),
        ))
        .execute(conn)
        .map(|_| ())
    }
    pub fn form(&self) -> crate::domain::RequestForm {
        serde_json::from_str(&self.form_json).unwrap_or_default()
    }
}

// ---------------------------------------------------------------- images

#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = case_images)]
pub struct CaseImage {
    pub id: i64,
    pub case_id: i64,
    pub version: i32,
    pub sha256: String,
    pub original_name: String,
    pub content_type: String,
    pub width: i32,
    pub height: i32,
    pub byte_size: i64,
    pub uploaded_by: i64,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = case_images)]
pub struct NewCaseImage {
    pub case_id: i64,
    pub version: i32,
    pub sha256: String,
    pub original_name: String,
    pub content_type: String,
    pub width: i32,
    pub height: i32,
    pub byte_size: i64,
    pub uploaded_by: i64,
    pub created_at: NaiveDateTime,
}

impl CaseImage {
    /// Whether any case (any version) refers to the stored image with this SHA-256.
    pub fn is_referenced(conn: &mut Conn, sha256: &str) -> QResult<bool> {
        let n: i64 = case_images::table
            .filter(case_images::sha256.eq(sha256))
            .count()
            .get_result(conn)?;
        Ok(n > 0)
    }

    /// Attaches an image to a version; attaching the same image twice is a no-op.
    pub fn attach(conn: &mut Conn, new: &NewCaseImage) -> QResult<bool> {
        let exists = case_images::table
            .filter(case_images::case_id.eq(new.case_id))
            .filter(case_images::version.eq(new.version))
            .filter(case_images::sha256.eq(&new.sha256))
            .count()
            .get_result::<i64>(conn)?;
        if exists > 0 {
            return Ok(false);
        }
        diesel::insert_into(case_images::table)
            .values(new)
            .execute(conn)?;
        Ok(true)
    }
    pub fn for_version(conn: &mut Conn, case: CaseId, version: i32) -> QResult<Vec<CaseImage>> {
        case_images::table
            .filter(case_images::case_id.eq(case.0))
            .filter(case_images::version.eq(version))
            .order(case_images::id.asc())
            .select(CaseImage::as_select())
            .load(conn)
    }
    pub fn count_for_version(conn: &mut Conn, case: CaseId, version: i32) -> QResult<i64> {
        case_images::table
            .filter(case_images::case_id.eq(case.0))
            .filter(case_images::version.eq(version))
            .count()
            .get_result(conn)
    }
    /// Whether any version of the case holds the image (for serving it).
    pub fn in_case(conn: &mut Conn, case: CaseId, sha256: &str) -> QResult<Option<CaseImage>> {
        case_images::table
            .filter(case_images::case_id.eq(case.0))
            .filter(case_images::sha256.eq(sha256))
            .select(CaseImage::as_select())
            .first(conn)
            .optional()
    }
    pub fn detach(conn: &mut Conn, case: CaseId, version: i32, sha256: &str) -> QResult<usize> {
        diesel::delete(
            case_images::table
                .filter(case_images::case_id.eq(case.0))
                .filter(case_images::version.eq(version))
                .filter(case_images::sha256.eq(sha256)),
        )
        .execute(conn)
    }
    /// Copies a version's images to a new version (a resubmission starts from what was sent).
    pub fn copy_version(conn: &mut Conn, case: CaseId, from: i32, to: i32) -> QResult<()> {
        for img in CaseImage::for_version(conn, case, from)? {
            CaseImage::attach(
                conn,
                &NewCaseImage {
                    case_id: img.case_id,
                    version: to,
                    sha256: img.sha256,
                    original_name: img.original_name,
                    content_type: img.content_type,
                    width: img.width,
                    height: img.height,
                    byte_size: img.byte_size,
                    uploaded_by: img.uploaded_by,
                    created_at: img.created_at,
                },
            )?;
        }
        Ok(())
    }
}

// ---------------------------------------------------------------- timeline

#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = timeline_events)]
pub struct TimelineEvent {
    pub id: i64,
    pub case_id: i64,
    pub at: NaiveDateTime,
    pub actor_id: Option<i64>,
    pub actor_name: String,
    pub actor_role: String,
    pub kind: String,
    pub summary: String,
    pub comment: Option<String>,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = timeline_events)]
pub struct NewTimelineEvent {
    pub case_id: i64,
    pub at: NaiveDateTime,
    pub actor_id: Option<i64>,
    pub actor_name: String,
    pub actor_role: String,
    pub kind: String,
    pub summary: String,
    pub comment: Option<String>,
}

impl TimelineEvent {
    pub fn insert(conn: &mut Conn, new: &NewTimelineEvent) -> QResult<()> {
        diesel::insert_into(timeline_events::table)
            .values(new)
            .execute(conn)
            .map(|_| ())
    }
    pub fn for_case(conn: &mut Conn, case: CaseId) -> QResult<Vec<TimelineEvent>> {
        timeline_events::table
            .filter(timeline_events::case_id.eq(case.0))
            .order((timeline_events::at.asc(), timeline_events::id.asc()))
            .select(TimelineEvent::as_select())
            .load(conn)
    }
}

impl Case {
    pub fn updated_label(&self) -> String {
        label(&self.updated_at)
    }
    pub fn created_label(&self) -> String {
        label(&self.created_at)
    }
    pub fn submitted_label(&self) -> String {
        self.submitted_at
            .as_ref()
            .map(label)
            .unwrap_or_else(|| "—".into())
    }
    pub fn status_label(&self) -> &'static str {
        self.status().label()
    }
}

impl TimelineEvent {
    pub fn at_label(&self) -> String {
        label(&self.at)
    }
    pub fn comment_text(&self) -> String {
        self.comment.clone().unwrap_or_default()
    }
}

impl CaseImage {
    pub fn size_label(&self) -> String {
        format!("{:.1} KB", self.byte_size as f64 / 1024.0)
    }
}
