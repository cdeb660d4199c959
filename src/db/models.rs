//! Rows of the schema and the queries on them. Everything that touches SQL lives here.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use super::DbConnection;
use super::schema::{
    agencies, audit_records, case_images, cases, decisions, outbox_messages, request_versions,
    timeline_events, users,
};
use crate::domain::{AgencyId, CaseId, CaseStatus, Roles, UserId};

type Conn = DbConnection;
type QResult<T> = diesel::QueryResult<T>;

/// Current UTC time without an offset (what the `Timestamp` columns hold), to microseconds.
pub fn now() -> NaiveDateTime {
    let n = chrono::Utc::now().naive_utc();
    n.with_nanosecond_trunc()
}

trait TruncNanos {
    fn with_nanosecond_trunc(self) -> Self;
}
impl TruncNanos for NaiveDateTime {
    fn with_nanosecond_trunc(self) -> Self {
        use chrono::Timelike;
        let micros = self.nanosecond() / 1000 * 1000;
        self.with_nanosecond(micros).unwrap_or(self)
    }
}

// ---------------------------------------------------------------- agencies

#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = agencies)]
pub struct Agency {
    pub id: i64,
    pub name: String,
    pub ori: String,
    pub contact_name: String,
    pub contact_email: String,
    pub contact_phone: String,
    pub fr_policy_date: Option<NaiveDate>,
    pub is_service: bool,
    pub active: bool,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = agencies)]
pub struct NewAgency {
    pub name: String,
    pub ori: String,
    pub contact_name: String,
    pub contact_email: String,
    pub contact_phone: String,
    pub fr_policy_date: Option<NaiveDate>,
    pub is_service: bool,
    pub active: bool,
    pub created_at: NaiveDateTime,
}

impl Agency {
    pub fn insert(conn: &mut Conn, new: &NewAgency) -> QResult<Agency> {
        diesel::insert_into(agencies::table)
            .values(new)
            .execute(conn)?;
        Agency::by_ori(conn, &new.ori)?.ok_or(diesel::NotFound)
    }
    pub fn find(conn: &mut Conn, id: AgencyId) -> QResult<Agency> {
        agencies::table
            .find(id.0)
            .select(Agency::as_select())
            .first(conn)
    }
    pub fn by_ori(conn: &mut Conn, ori: &str) -> QResult<Option<Agency>> {
        agencies::table
            .filter(agencies::ori.eq(ori))
            .select(Agency::as_select())
            .first(conn)
            .optional()
    }
    pub fn all(conn: &mut Conn) -> QResult<Vec<Agency>> {
        agencies::table
            .order(agencies::name.asc())
            .select(Agency::as_select())
            .load(conn)
    }
    pub fn agency_id(&self) -> AgencyId {
        AgencyId(self.id)
    }
    /// LACRIS suspended FR access, from 2023-07-01, for agencies without their own FR policy.
    pub fn has_policy_on_file(&self) -> bool {
        self.fr_policy_date.is_some()
    }
}

// ---------------------------------------------------------------- users

#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = users)]
pub struct User {
    pub id: i64,
    pub agency_id: i64,
    pub name: String,
    pub email: String,
    pub phone: String,
    pub password_hash: String,
    pub roles: String,
    pub training_provider: Option<String>,
    pub training_completed: Option<NaiveDate>,
    pub active: bool,
    pub last_login: Option<NaiveDateTime>,
    pub locked_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
    /// Why the account was last deactivated (left, idle, access review); the time is in the
    /// audit record. `None` if never deactivated since migration 000007.
    pub deactivated_reason: Option<String>,
    /// When a disabled account was last enabled again (the idle rule counts from here too).
    pub reactivated_at: Option<NaiveDateTime>,
    /// When the local administrators were told this examiner's training lapsed.
    pub training_lapse_notified_at: Option<NaiveDateTime>,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = users)]
pub struct NewUser {
    pub agency_id: i64,
    pub name: String,
    pub email: String,
    pub phone: String,
    pub password_hash: String,
    pub roles: String,
    pub training_provider: Option<String>,
    pub training_completed: Option<NaiveDate>,
    pub active: bool,
    pub created_at: NaiveDateTime,
}

impl User {
    pub fn insert(conn: &mut Conn, new: &NewUser) -> QResult<User> {
        diesel::insert_into(users::table)
            .values(new)
            .execute(conn)?;
        User::by_email(conn, &new.email)?.ok_or(diesel::NotFound)
    }
    pub fn find(conn: &mut Conn, id: UserId) -> QResult<User> {
        users::table
            .find(id.0)
            .select(User::as_select())
            .first(conn)
    }
    /// Emails are stored lower-case; the lookup is exact on the lower-cased address.
    pub fn by_email(conn: &mut Conn, email: &str) -> QResult<Option<User>> {
        users::table
            .filter(users::email.eq(email.trim().to_lowercase()))
            .select(User::as_select())
            .first(conn)
            .optional()
    }
    pub fn for_agency(conn: &mut Conn, agency: AgencyId) -> QResult<Vec<User>> {
        users::table
            .filter(users::agency_id.eq(agency.0))
            .order(users::name.asc())
            .select(User::as_select())
            .load(conn)
    }
    pub fn touch_login(conn: &mut Conn, id: UserId, at: NaiveDateTime) -> QResult<()> {
        diesel::update(users::table.find(id.0))
            .set(users::last_login.eq(Some(at)))
            .execute(conn)
            .map(|_| ())
    }
    pub fn set_password_hash(conn: &mut Conn, id: UserId, hash: &str) -> QResult<()> {
        diesel::update(users::table.find(id.0))
            .set(users::password_hash.eq(hash))
            .execute(conn)
            .map(|_| ())
    }
    /// Locks (`Some(time)`) or unlocks (`None`) an account.
    pub fn set_locked(conn: &mut Conn, id: UserId, at: Option<NaiveDateTime>) -> QResult<()> {
        diesel::update(users::table.find(id.0))
            .set(users::locked_at.eq(at))
            .execute(conn)
            .map(|_| ())
    }
    pub fn set_active(conn: &mut Conn, id: UserId, active: bool) -> QResult<()> {
        diesel::update(users::table.find(id.0))
            .set(users::active.eq(active))
            .execute(conn)
            .map(|_| ())
    }
    pub fn user_id(&self) -> UserId {
        UserId(self.id)
    }
    pub fn agency(&self) -> AgencyId {
        AgencyId(self.agency_id)
    }
    /// Parsed roles; a malformed roles column yields no roles (and so no access).
    pub fn roles(&self) -> Roles {
        Roles::parse(&self.roles).unwrap_or_default()
    }
    pub fn training_current(&self, today: NaiveDate) -> bool {
        crate::domain::training::is_current(self.training_completed, today)
    }
}

// ---------------------------------------------------------------- cases

#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = cases)]
pub struct Case {
    pub id: i64,
    pub case_number: Option<String>,
    pub form_key: String,
    pub agency_id: i64,
    pub requester_id: i64,
    pub status: String,
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
    pub status: String,
    pub current_version: i32,
    pub search_reason: String,
    pub case_file_number: String,
    pub reason_verdict: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// Which cases a user may see: their agency's, or every agency's for service staff.
#[derive(Debug, Clone, Copy)]
pub enum CaseScope {
    All,
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
            .values(new)
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
        if let CaseScope::Agency(a) = scope {
            q = q.filter(cases::agency_id.eq(a.0));
        }
        q.select(Case::as_select()).first(conn).optional()
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
        if let CaseScope::Agency(a) = scope {
            q = q.filter(cases::agency_id.eq(a.0));
        }
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
        CaseStatus::parse(&self.status).unwrap_or(CaseStatus::Draft)
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

// ---------------------------------------------------------------- decisions

#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = decisions)]
pub struct Decision {
    pub id: i64,
    pub case_id: i64,
    pub version: i32,
    pub reviewer_id: i64,
    pub decision: String,
    pub comment: String,
    pub checklist_json: String,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = decisions)]
pub struct NewDecision {
    pub case_id: i64,
    pub version: i32,
    pub reviewer_id: i64,
    pub decision: String,
    pub comment: String,
    pub checklist_json: String,
    pub created_at: NaiveDateTime,
}

impl Decision {
    pub fn insert(conn: &mut Conn, new: &NewDecision) -> QResult<()> {
        diesel::insert_into(decisions::table)
            .values(new)
            .execute(conn)
            .map(|_| ())
    }
    pub fn for_case(conn: &mut Conn, case: CaseId) -> QResult<Vec<Decision>> {
        decisions::table
            .filter(decisions::case_id.eq(case.0))
            .order(decisions::id.asc())
            .select(Decision::as_select())
            .load(conn)
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

// ---------------------------------------------------------------- audit

#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = audit_records)]
pub struct AuditRecord {
    pub id: i64,
    pub at: NaiveDateTime,
    pub user_id: Option<i64>,
    pub user_email: String,
    pub role: String,
    pub agency_id: Option<i64>,
    pub action: String,
    pub object_type: String,
    pub object_id: String,
    pub outcome: String,
    pub source_ip: String,
    pub user_agent: String,
    pub search_reason: Option<String>,
    pub details: Option<String>,
    pub prev_hash: String,
    pub hash: String,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = audit_records)]
pub struct NewAuditRecord {
    pub at: NaiveDateTime,
    pub user_id: Option<i64>,
    pub user_email: String,
    pub role: String,
    pub agency_id: Option<i64>,
    pub action: String,
    pub object_type: String,
    pub object_id: String,
    pub outcome: String,
    pub source_ip: String,
    pub user_agent: String,
    pub search_reason: Option<String>,
    pub details: Option<String>,
}

/// Filters for reading the audit trail.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub agency: Option<AgencyId>,
    pub action: Option<String>,
    pub object_id: Option<String>,
    pub user_id: Option<UserId>,
    pub limit: i64,
}

/// A record as inserted: the entry plus its place in the hash chain.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = audit_records)]
struct ChainedAuditRecord {
    id: i64,
    #[diesel(embed)]
    entry: NewAuditRecord,
    prev_hash: String,
    hash: String,
}

impl AuditRecord {
    /// Appends one record to the hash chain (see [`crate::audit::chain`]). There is no update or
    /// delete function, by design; the database refuses both as well (triggers in the
    /// migrations). Appends are serialised (SQLite write lock; a PostgreSQL transaction-scoped
    /// advisory lock), and ids are assigned here as last id + 1, so the chain has no gaps.
    pub fn append(conn: &mut Conn, new: &NewAuditRecord) -> QResult<()> {
        crate::workflow::write_tx(conn, |conn| {
            if matches!(conn, DbConnection::Pg(_)) {
                diesel::sql_query("SELECT pg_advisory_xact_lock(7262001)").execute(conn)?;
            }
            let last: Option<(i64, String)> = audit_records::table
                .order(audit_records::id.desc())
                .select((audit_records::id, audit_records::hash))
                .first(conn)
                .optional()?;
            let (id, prev_hash) = match last {
                Some((id, hash)) => (id + 1, hash),
                // Empty table: the start, or every record was purged (retention) and the
                // chain continues from the anchor.
                None => match crate::db::retention::AuditAnchor::latest(conn)? {
                    Some(a) => (a.purged_through_id + 1, a.last_hash),
                    None => (1, crate::audit::chain::GENESIS.to_string()),
                },
            };
            let hash = crate::audit::chain::hash_entry(id, new, &prev_hash);
            diesel::insert_into(audit_records::table)
                .values(&ChainedAuditRecord {
                    id,
                    entry: new.clone(),
                    prev_hash,
                    hash,
                })
                .execute(conn)
                .map(|_| ())
        })
    }
    /// The stored hash of record `id`.
    pub fn hash_of(conn: &mut Conn, id: i64) -> QResult<String> {
        audit_records::table
            .find(id)
            .select(audit_records::hash)
            .first(conn)
    }
    /// Failed logons of an account since `since` (for the lockout rule).
    pub fn failed_logins_since(
        conn: &mut Conn,
        user: UserId,
        since: NaiveDateTime,
    ) -> QResult<i64> {
        audit_records::table
            .filter(audit_records::user_id.eq(user.0))
            .filter(audit_records::action.eq("auth.login"))
            .filter(audit_records::outcome.eq("failed"))
            .filter(audit_records::at.ge(since))
            .count()
            .get_result(conn)
    }
    /// Records with id > `after`, oldest first, at most `limit` (for walking the chain).
    pub fn chain_page(conn: &mut Conn, after: i64, limit: i64) -> QResult<Vec<AuditRecord>> {
        audit_records::table
            .filter(audit_records::id.gt(after))
            .order(audit_records::id.asc())
            .limit(limit)
            .select(AuditRecord::as_select())
            .load(conn)
    }
    /// The fields that the hash covers, as an entry.
    pub fn entry(&self) -> NewAuditRecord {
        NewAuditRecord {
            at: self.at,
            user_id: self.user_id,
            user_email: self.user_email.clone(),
            role: self.role.clone(),
            agency_id: self.agency_id,
            action: self.action.clone(),
            object_type: self.object_type.clone(),
            object_id: self.object_id.clone(),
            outcome: self.outcome.clone(),
            source_ip: self.source_ip.clone(),
            user_agent: self.user_agent.clone(),
            search_reason: self.search_reason.clone(),
            details: self.details.clone(),
        }
    }
    /// Records matching the filter, newest first.
    pub fn list(conn: &mut Conn, f: &AuditFilter) -> QResult<Vec<AuditRecord>> {
        let mut q = audit_records::table.into_boxed();
        if let Some(a) = f.agency {
            q = q.filter(audit_records::agency_id.eq(a.0));
        }
        if let Some(a) = &f.action {
            q = q.filter(audit_records::action.eq(a.clone()));
        }
        if let Some(o) = &f.object_id {
            q = q.filter(audit_records::object_id.eq(o.clone()));
        }
        if let Some(u) = f.user_id {
            q = q.filter(audit_records::user_id.eq(u.0));
        }
        q.order(audit_records::id.desc())
            .limit(if f.limit > 0 { f.limit } else { 500 })
            .select(AuditRecord::as_select())
            .load(conn)
    }
}

// ---------------------------------------------------------------- outbox

#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = outbox_messages)]
pub struct OutboxMessage {
    pub id: i64,
    pub kind: String,
    pub case_id: Option<i64>,
    pub to_addr: String,
    pub subject: String,
    pub body_text: String,
    pub body_html: String,
    pub status: String,
    pub attempts: i32,
    pub last_error: Option<String>,
    pub next_attempt_at: NaiveDateTime,
    pub created_at: NaiveDateTime,
    pub sent_at: Option<NaiveDateTime>,
    pub attachment_name: Option<String>,
    pub attachment_type: Option<String>,
    /// Relative to `data_dir`.
    pub attachment_path: Option<String>,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = outbox_messages)]
pub struct NewOutboxMessage {
    pub kind: String,
    pub case_id: Option<i64>,
    pub to_addr: String,
    pub subject: String,
    pub body_text: String,
    pub body_html: String,
    pub status: String,
    pub attempts: i32,
    pub next_attempt_at: NaiveDateTime,
    pub created_at: NaiveDateTime,
    pub attachment_name: Option<String>,
    pub attachment_type: Option<String>,
    pub attachment_path: Option<String>,
}

impl OutboxMessage {
    pub fn insert(conn: &mut Conn, new: &NewOutboxMessage) -> QResult<()> {
        diesel::insert_into(outbox_messages::table)
            .values(new)
            .execute(conn)
            .map(|_| ())
    }
    /// Queued messages whose next attempt is due, oldest first.
    pub fn due(conn: &mut Conn, at: NaiveDateTime, limit: i64) -> QResult<Vec<OutboxMessage>> {
        outbox_messages::table
            .filter(outbox_messages::status.eq_any(["queued", "retrying"]))
            .filter(outbox_messages::next_attempt_at.le(at))
            .order(outbox_messages::id.asc())
            .limit(limit)
            .select(OutboxMessage::as_select())
            .load(conn)
    }
    pub fn for_case(conn: &mut Conn, case: CaseId) -> QResult<Vec<OutboxMessage>> {
        outbox_messages::table
            .filter(outbox_messages::case_id.eq(case.0))
            .order(outbox_messages::id.asc())
            .select(OutboxMessage::as_select())
            .load(conn)
    }
    pub fn mark_sent(conn: &mut Conn, id: i64, at: NaiveDateTime) -> QResult<()> {
        diesel::update(outbox_messages::table.find(id))
            .set((
                outbox_messages::status.eq("sent"),
                outbox_messages::sent_at.eq(Some(at)),
                outbox_messages::attempts.eq(outbox_messages::attempts + 1),
            ))
            .execute(conn)
            .map(|_| ())
    }
    pub fn mark_retry(
        conn: &mut Conn,
        id: i64,
        error: &str,
        next: NaiveDateTime,
        give_up: bool,
    ) -> QResult<()> {
        diesel::update(outbox_messages::table.find(id))
            .set((
                outbox_messages::status.eq(if give_up { "failed" } else { "retrying" }),
                outbox_messages::last_error.eq(Some(error)),
                outbox_messages::next_attempt_at.eq(next),
                outbox_messages::attempts.eq(outbox_messages::attempts + 1),
            ))
            .execute(conn)
            .map(|_| ())
    }
}

// ---------------------------------------------------------------- display helpers for templates

/// `YYYY-MM-DD HH:MM UTC` (written out directly: `format` parses its pattern on every call,
/// and the case list prints two of these per row).
fn label(t: &NaiveDateTime) -> String {
    use chrono::{Datelike, Timelike};
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02} UTC",
        t.year(),
        t.month(),
        t.day(),
        t.hour(),
        t.minute()
    )
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

impl Decision {
    pub fn at_label(&self) -> String {
        label(&self.created_at)
    }
}

impl AuditRecord {
    pub fn at_label(&self) -> String {
        self.at.format("%Y-%m-%d %H:%M:%S UTC").to_string()
    }
    pub fn reason_text(&self) -> String {
        self.search_reason.clone().unwrap_or_default()
    }
    pub fn details_text(&self) -> String {
        self.details.clone().unwrap_or_default()
    }
}

impl OutboxMessage {
    pub fn created_label(&self) -> String {
        label(&self.created_at)
    }
    pub fn sent_label(&self) -> String {
        self.sent_at.as_ref().map(label).unwrap_or_default()
    }
    pub fn error_text(&self) -> String {
        self.last_error.clone().unwrap_or_default()
    }
}

impl CaseImage {
    pub fn size_label(&self) -> String {
        format!("{:.1} KB", self.byte_size as f64 / 1024.0)
    }
}
