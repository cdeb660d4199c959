//! Messages on a case (issue 16): the thread between the requesting agency and the service's
//! staff. Who may read and post is `domain::message::access`; this module stores messages and
//! their image attachments and posts a message: in one transaction the message, its
//! attachments (checked by `cases::images::check` before, stored in the image store just before
//! commit), a timeline event (`message`, without the text: examiners read the timeline), an
//! audit record (`case.message`) and a notice in the outbox for the other side (a link, never
//! the text). Attachments live in `case_message_attachments`, never in `case_images`, so an
//! attachment is never a probe: a new probe needs a new request version.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::accounts::store::{Agency, User};
use crate::audit::{self, Actor, Entry, Outcome};
use crate::cases::images::{CheckedImage, ImageStore};
use crate::cases::store::Case;
use crate::compliance::store::Decision;
use crate::domain::message::{self, Access, BodyError, Side};
use crate::domain::{AgencyId, CaseId, Role, UserId};
use crate::platform::db::DbConnection;
use crate::platform::db::schema::{case_message_attachments, case_messages, users};
use crate::platform::jobs::effects::AfterCommit;
use crate::platform::time::{fmt_time, now};

/// A stored message.
#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = case_messages)]
pub struct Message {
    pub id: i64,
    pub case_id: i64,
    pub author_id: i64,
    /// An unknown stored side fails the load.
    #[diesel(deserialize_as = String)]
    pub side: Side,
    pub body: String,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = case_messages)]
struct NewMessage<'a> {
    case_id: i64,
    author_id: i64,
    side: &'a str,
    body: &'a str,
    created_at: NaiveDateTime,
}

/// An image attached to a message (never a probe).
#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = case_message_attachments)]
pub struct MessageAttachment {
    pub id: i64,
    pub message_id: i64,
    pub case_id: i64,
    pub sha256: String,
    pub content_type: String,
    pub byte_size: i64,
    pub width: i32,
    pub height: i32,
    pub original_name: String,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = case_message_attachments)]
struct NewAttachment<'a> {
    message_id: i64,
    case_id: i64,
    sha256: &'a str,
    content_type: &'a str,
    byte_size: i64,
    width: i32,
    height: i32,
    original_name: &'a str,
}

/// A message as shown: the message, its author's name and its attachments.
#[derive(Debug, Clone)]
pub struct MessageView {
    pub message: Message,
    pub author: String,
    pub attachments: Vec<MessageAttachment>,
}

impl MessageView {
    /// When it was written, formatted.
    pub fn at_label(&self) -> String {
        fmt_time(&self.message.created_at)
    }
}

impl Message {
    /// The thread of `case`, oldest first, with authors and attachments.
    ///
    /// Errors: database errors.
    pub fn thread(conn: &mut DbConnection, case: CaseId) -> QueryResult<Vec<MessageView>> {
        let rows: Vec<(Message, String)> = case_messages::table
            .inner_join(users::table.on(users::id.eq(case_messages::author_id)))
            .filter(case_messages::case_id.eq(case.0))
            .order(case_messages::id.asc())
            .select((Message::as_select(), users::name))
            .load(conn)?;
        let mut atts: Vec<MessageAttachment> = case_message_attachments::table
            .filter(case_message_attachments::case_id.eq(case.0))
            .order(case_message_attachments::id.asc())
            .select(MessageAttachment::as_select())
            .load(conn)?;
        Ok(rows
            .into_iter()
            .map(|(message, author)| {
                let (mine, rest): (Vec<_>, Vec<_>) = std::mem::take(&mut atts)
                    .into_iter()
                    .partition(|a| a.message_id == message.id);
                atts = rest;
                MessageView {
                    message,
                    author,
                    attachments: mine,
                }
            })
            .collect())
    }

    /// Number of messages on `case`.
    ///
    /// Errors: database errors.
    pub fn count(conn: &mut DbConnection, case: CaseId) -> QueryResult<i64> {
        case_messages::table
            .filter(case_messages::case_id.eq(case.0))
            .count()
            .get_result(conn)
    }

    /// `(case id, text)` of every message of the cases `ids`, in order (the history index).
    ///
    /// Errors: database errors.
    pub fn texts_of(conn: &mut DbConnection, ids: &[i64]) -> QueryResult<Vec<(i64, String)>> {
        case_messages::table
            .filter(case_messages::case_id.eq_any(ids))
            .order((case_messages::case_id, case_messages::id))
            .select((case_messages::case_id, case_messages::body))
            .load(conn)
    }
}

impl MessageAttachment {
    /// The attachment `sha256` of a message on `case`, if any.
    ///
    /// Errors: database errors.
    pub fn in_case(
        conn: &mut DbConnection,
        case: CaseId,
        sha256: &str,
    ) -> QueryResult<Option<MessageAttachment>> {
        case_message_attachments::table
            .filter(case_message_attachments::case_id.eq(case.0))
            .filter(case_message_attachments::sha256.eq(sha256))
            .select(MessageAttachment::as_select())
            .first(conn)
            .optional()
    }

    /// Whether any message attachment uses the stored file `sha256` (the image store's sweep
    /// keeps it).
    ///
    /// Errors: database errors.
    pub fn is_referenced(conn: &mut DbConnection, sha256: &str) -> QueryResult<bool> {
        diesel::select(diesel::dsl::exists(
            case_message_attachments::table.filter(case_message_attachments::sha256.eq(sha256)),
        ))
        .get_result(conn)
    }
}

/// The access of `user` (of `agency`) to the thread of `case`.
pub fn access_of(user: &User, agency: &Agency, case: &Case) -> Access {
    let roles = user.roles_in(agency);
    message::access(
        &roles,
        agency.is_service,
        case.agency_id == agency.id,
        case.status(),
    )
}

/// Who is writing, and the service details used in the email.
pub struct Ctx<'a> {
    pub user: &'a User,
    pub agency: &'a Agency,
    pub actor: Actor,
    pub images: &'a ImageStore,
    pub service_name: &'a str,
    pub base_url: &'a str,
}

/// Why a message was not posted; `Display` is the user's message.
#[derive(Debug, thiserror::Error)]
pub enum MessageError {
    /// The body is empty or too long (shown beside the field; the text is kept).
    #[error(transparent)]
    Body(#[from] BodyError),
    /// Too many attachments (shown beside the field).
    #[error(
        "At most {} images may be attached to one message.",
        message::MAX_ATTACHMENTS
    )]
    TooManyAttachments,
    /// An examiner (or supervisor) while the examination is open: 403, audited.
    #[error(
        "Examiners do not read or post messages while the examination of this case is open (the examination stays blind)."
    )]
    BlindExamination,
    /// The user is not a party to the thread: 403, audited.
    #[error("You are not part of this case's message thread.")]
    NotAParty,
    /// The image store is full.
    #[error("The image store is full; the message was not sent. Try again later.")]
    StorageFull,
    #[error(transparent)]
    Db(#[from] diesel::result::Error),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl MessageError {
    /// Whether the error belongs beside the form (the form is shown again with the text).
    pub fn is_form_error(&self) -> bool {
        matches!(
            self,
            MessageError::Body(_) | MessageError::TooManyAttachments
        )
    }
}

/// Records a refused read or post of the thread (`case.message`, denied).
///
/// Errors: database errors.
pub fn record_refusal(
    conn: &mut DbConnection,
    actor: &Actor,
    case: &Case,
    what: &str,
    why: &MessageError,
) -> QueryResult<()> {
    audit::record(
        conn,
        actor,
        Entry::new("case.message", "case", case.id)
            .outcome(Outcome::Denied)
            .details(format!("{what} case {}: {why}", case.display_number())),
    )
}

/// Posts `typed` (with `images`, already checked) on `case` (loaded for the user through
/// `cases::access`). Returns the message id and what to wake after the commit.
///
/// Errors: [`MessageError`]; refusals of access are audited by the caller
/// ([`record_refusal`]).
pub fn post(
    conn: &mut DbConnection,
    ctx: &Ctx<'_>,
    case: &Case,
    typed: &str,
    images: &[(String, CheckedImage)],
) -> Result<(i64, AfterCommit), MessageError> {
    let side = match access_of(ctx.user, ctx.agency, case) {
        Access::Post(side) => side,
        Access::BlindExamination => return Err(MessageError::BlindExamination),
        Access::Read | Access::None => return Err(MessageError::NotAParty),
    };
    let body = message::clean_body(typed)?;
    if images.len() > message::MAX_ATTACHMENTS {
        return Err(MessageError::TooManyAttachments);
    }
    crate::platform::db::write_tx(conn, |conn| -> Result<_, MessageError> {
        // Re-read under the write lock: the case may have moved on since it was loaded.
        let case = Case::find(conn, case.case_id())?.ok_or(MessageError::NotAParty)?;
        if access_of(ctx.user, ctx.agency, &case).side() != Some(side) {
            return Err(MessageError::NotAParty);
        }
        let at = now();
        let id: i64 = diesel::insert_into(case_messages::table)
            .values(&NewMessage {
                case_id: case.id,
                author_id: ctx.user.id,
                side: side.as_str(),
                body: &body,
                created_at: at,
            })
            .returning(case_messages::id)
            .get_result(conn)?;
        let mut seen: Vec<&str> = Vec::new();
        for (name, img) in images {
            // The same image twice on one message is one attachment.
            if seen.contains(&img.sha256.as_str()) {
                continue;
            }
            seen.push(&img.sha256);
            diesel::insert_into(case_message_attachments::table)
                .values(&NewAttachment {
                    message_id: id,
                    case_id: case.id,
                    sha256: &img.sha256,
                    content_type: img.content_type(),
                    byte_size: i64::try_from(img.bytes.len()).unwrap_or(i64::MAX),
                    width: i32::try_from(img.width).unwrap_or(i32::MAX),
                    height: i32::try_from(img.height).unwrap_or(i32::MAX),
                    original_name: &crate::domain::text::single_line(name),
                })
                .execute(conn)?;
            // Written before commit; a file whose transaction never commits is swept at start.
            ctx.images.put(img).map_err(|e| {
                if e.is::<crate::cases::images::StorageFull>() {
                    MessageError::StorageFull
                } else {
                    MessageError::Internal(e)
                }
            })?;
        }
        let n = images.len();
        let with = if n == 0 {
            String::new()
        } else {
            format!(" with {n} image attachment(s)")
        };
        crate::cases::timeline::timeline(
            conn,
            case.id,
            Some((ctx.user, side_role(side))),
            "message",
            format!("Message from the {}{with}", side.label().to_lowercase()),
            None,
        )?;
        audit::record(
            conn,
            &ctx.actor,
            Entry::new("case.message", "case", case.id)
                .reason(&case.search_reason)
                .details(format!(
                    "case {}; message {id} from the {} ({} characters){with}{}",
                    case.display_number(),
                    side.label().to_lowercase(),
                    body.chars().count(),
                    images
                        .iter()
                        .map(|(_, i)| format!("; image {}", i.sha256))
                        .collect::<String>()
                )),
        )?;
        for to in recipients(conn, &case, side, ctx.user.id)? {
            let email = crate::platform::mail::templates::CaseMessageNotice {
                service_name: ctx.service_name.to_string(),
                base_url: ctx.base_url.to_string(),
                case_id: case.id,
                case_number: case.display_number(),
                recipient_name: to.name.clone(),
                author_name: ctx.user.name.clone(),
                from_side: side.label().to_string(),
                sent_at: fmt_time(&at),
                attachments: n,
            }
            .render(&to.email)
            .map_err(|e| MessageError::Internal(anyhow::anyhow!("message email: {e}")))?;
            crate::platform::mail::enqueue(conn, &email)?;
        }
        tracing::info!(
            case_id = case.id,
            message_id = id,
            side = side.as_str(),
            attachments = n,
            "Message posted"
        );
        Ok((id, AfterCommit::mail().and_history(case.id)))
    })
}

fn side_role(side: Side) -> &'static str {
    match side {
        Side::Agency => "agency",
        Side::Service => "service",
    }
}

/// Who is told of a new message from `from` (never its author):
/// - from the agency: the reviewer of the case's latest compliance decision, if still an active
///   reviewer; otherwise every active reviewer of the service;
/// - from the service: the requester and the requesting agency's local administrators (active).
fn recipients(
    conn: &mut DbConnection,
    case: &Case,
    from: Side,
    author: i64,
) -> QueryResult<Vec<User>> {
    let mut out: Vec<User> = Vec::new();
    match from.other() {
        Side::Agency => {
            let requester = User::find(conn, UserId(case.requester_id))?;
            out.push(requester);
            let agency = AgencyId(case.agency_id);
            let own = Agency::find(conn, agency)?;
            for u in User::for_agency(conn, agency)? {
                if u.roles_in(&own).has(Role::LocalAdmin) {
                    out.push(u);
                }
            }
        }
        Side::Service => {
            let decided = Decision::for_case(conn, case.case_id())?
                .last()
                .map(|d| d.reviewer_id);
            let mut reviewers = Vec::new();
            for a in Agency::all(conn)?.into_iter().filter(|a| a.is_service) {
                for u in User::for_agency(conn, a.agency_id())? {
                    if u.active && u.roles_in(&a).has(Role::Reviewer) {
                        reviewers.push(u);
                    }
                }
            }
            match reviewers.iter().find(|u| Some(u.id) == decided) {
                Some(u) => out.push(u.clone()),
                None => out = reviewers,
            }
        }
    }
    out.retain(|u| u.active && u.id != author);
    out.sort_by_key(|u| u.id);
    out.dedup_by_key(|u| u.id);
    Ok(out)
}
