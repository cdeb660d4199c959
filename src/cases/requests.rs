//! Requesters' side: save a draft, submit (idempotent), correct a returned request.

use chrono::NaiveDate;

use crate::accounts::store::{Agency, User};
use crate::audit::{self, Actor, Entry, Outcome};
use crate::cases::images::{CheckedImage, ImageStore};
use crate::cases::store::{
    Case, CaseImage, NewCase, NewCaseImage, NewRequestVersion, RequestVersion,
};
use crate::domain::{CaseAction, CaseId, CaseStatus, FormErrors, RequestForm, SearchRequest};
use crate::platform::db::DbConnection;
use crate::platform::mail::templates::RequestReceived;
use crate::platform::time::now;

/// Errors of the request workflow; `Display` is the requester's message.
#[derive(Debug, thiserror::Error)]
pub enum RequestError {
    #[error("Only the requester who started this request can change it.")]
    NotYours,
    #[error("This request is {0} and can no longer be changed.")]
    NotEditable(&'static str),
    #[error("Your account does not have the requester role.")]
    NotRequester,
    /// The account's access is restricted after an audit finding (docs/POLICIES.md): a draft
    /// may be saved, not submitted.
    #[error(transparent)]
    Restricted(#[from] crate::domain::corrective::Restricted),
    #[error(
        "The server's storage is full, so the images could not be stored. Nothing was saved: keep this page and try again later, and tell the help desk."
    )]
    StorageFull,
    #[error(transparent)]
    Db(#[from] diesel::result::Error),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

/// Who is acting, and the service details used in email.
pub struct Ctx<'a> {
    pub user: &'a User,
    pub agency: &'a Agency,
    pub actor: Actor,
    pub images: &'a ImageStore,
    pub service_name: &'a str,
    pub base_url: &'a str,
    pub today: NaiveDate,
}

/// One press of "Save draft" or "Submit request".
pub struct SaveInput {
    /// Random key minted when the blank form was rendered; makes saves and submits idempotent.
    pub form_key: String,
    pub form: RequestForm,
    pub submit: bool,
    /// Uploads that decoded cleanly, with the file name the browser sent.
    pub new_images: Vec<(String, CheckedImage)>,
    /// Messages for uploads that were refused (nothing of them was stored).
    pub upload_errors: Vec<String>,
    /// SHA-256 of attached images the requester removed.
    pub remove_images: Vec<String>,
}

/// What happened.
#[derive(Debug)]
pub enum SaveOutcome {
    Submitted {
        case_id: CaseId,
        case_number: String,
    },
    /// The same form was submitted before (double click, replay): nothing new was created.
    AlreadySubmitted {
        case_id: CaseId,
    },
    Saved {
        case_id: CaseId,
    },
    Invalid {
        case_id: CaseId,
        errors: FormErrors,
    },
    /// "Submit" on a new request with nothing typed and no image: nothing was created (no
    /// empty draft); `errors` name what the request needs.
    Empty {
        errors: FormErrors,
    },
    /// An upload was refused ([`SaveInput::upload_errors`]): nothing was written — no draft
    /// was created, an existing draft (`case_id`) is unchanged — so the requester corrects the
    /// images and sends the form again.
    ImagesRefused {
        case_id: Option<CaseId>,
    },
}

impl SaveOutcome {
    /// What to wake once the save committed: a submission queued the receipt email; any
    /// change to a case updates its history.
    pub fn after_commit(&self) -> crate::platform::jobs::effects::AfterCommit {
        use crate::platform::jobs::effects::AfterCommit;
        match self {
            SaveOutcome::Submitted { case_id, .. } => AfterCommit::mail().and_history(case_id.0),
            SaveOutcome::Saved { case_id } => AfterCommit::none().and_history(case_id.0),
            SaveOutcome::AlreadySubmitted { .. }
            | SaveOutcome::Invalid { .. }
            | SaveOutcome::Empty { .. }
            | SaveOutcome::ImagesRefused { .. } => AfterCommit::none(),
        }
    }
}

/// Why the requester's agency may not submit now, as messages for the form's `agency` field
/// (empty when it may): suspended by the service (with when and why), no FR policy in effect
/// (none on file, or its effective date is in the future), or the current terms of use not
/// accepted.
///
/// Errors: database errors.
pub fn agency_refusals(
    conn: &mut DbConnection,
    ctx: &Ctx<'_>,
) -> Result<Vec<String>, RequestError> {
    let mut out = Vec::new();
    if let Some(notice) = ctx.agency.suspension_notice(ctx.service_name) {
        out.push(notice);
    }
    if !ctx.agency.policy_in_effect(ctx.today) || !ctx.agency.active {
        out.push(match ctx.agency.fr_policy_date {
            Some(d) if d > ctx.today => format!(
                "{}'s facial recognition policy takes effect on {d}; requests can be submitted from that date.",
                ctx.agency.name
            ),
            _ => format!(
                "{} has no facial recognition policy on file. Since 2023-07-01 LACRIS suspends FR access for agencies without their own policy; ask your local administrator to file it.",
                ctx.agency.name
            ),
        });
    }
    if crate::agencies::terms::accepted_current(conn, ctx.agency.agency_id())?.is_none() {
        out.push(format!(
            "{} has not accepted the current terms of use (version {}). Your agency's local administrator must accept them (Agency page) before requests can be submitted.",
            ctx.agency.name,
            crate::agencies::terms::current_version()
        ));
    }
    Ok(out)
}

/// Formats a case number: `FR-<year>-<id, 6 digits>`.
pub fn case_number(year: i32, id: i64) -> String {
    format!("FR-{year}-{id:06}")
}

fn valid_form_key(k: &str) -> bool {
    (16..=64).contains(&k.len()) && k.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

/// The requester's identity as the form shows and stores it: the account's name, email and
/// phone.
pub fn requester_identity(user: &User) -> crate::domain::request::RequesterIdentity {
    crate::domain::request::RequesterIdentity {
        name: user.name.clone(),
        email: user.email.clone(),
        phone: user.phone.clone(),
    }
}

/// Saves the form (creating the draft on first save) and, if asked, submits it. The form is
/// cleaned first ([`RequestForm::cleaned`]); the requester fields are the acting account's
/// ([`requester_identity`]), whatever was sent; the signature must match the account holder's
/// name (checked on submit by `SearchRequest::parse`). When any upload was refused nothing is
/// written ([`SaveOutcome::ImagesRefused`]): a refused save never leaves a draft behind.
pub fn save(
    conn: &mut DbConnection,
    ctx: &Ctx<'_>,
    mut input: SaveInput,
) -> Result<SaveOutcome, RequestError> {
    input.form = std::mem::take(&mut input.form)
        .cleaned()
        .with_requester(&requester_identity(ctx.user));
    if !ctx
        .user
        .roles_in(ctx.agency)
        .has(crate::domain::Role::Requester)
    {
        return Err(RequestError::NotRequester);
    }
    if input.submit
        && let Err(r) = crate::accounts::restriction::check(conn, ctx.user.id)?
    {
        audit::record(
            conn,
            &ctx.actor,
            Entry::new("request.submit", "case", &input.form_key)
                .outcome(Outcome::Denied)
                .details(r.to_string()),
        )?;
        return Err(r.into());
    }
    if !valid_form_key(&input.form_key) {
        return Err(RequestError::Internal(anyhow::anyhow!(
            "Malformed form key"
        )));
    }
    if !input.upload_errors.is_empty() {
        let existing = Case::by_form_key(conn, &input.form_key)?
            .filter(|c| c.agency_id == ctx.agency.id && c.requester_id == ctx.user.id);
        return Ok(SaveOutcome::ImagesRefused {
            case_id: existing.map(|c| c.case_id()),
        });
    }
    let result = crate::platform::db::write_tx(conn, |conn| save_in_tx(conn, ctx, &input));
    match result {
        // Two identical first submissions raced: the loser's insert hit the unique form key.
        Err(RequestError::Db(diesel::result::Error::DatabaseError(
            diesel::result::DatabaseErrorKind::UniqueViolation,
            _,
        ))) => crate::platform::db::write_tx(conn, |conn| save_in_tx(conn, ctx, &input)),
        other => other,
    }
}

fn save_in_tx(
    conn: &mut DbConnection,
    ctx: &Ctx<'_>,
    input: &SaveInput,
) -> Result<SaveOutcome, RequestError> {
    let at = now();
    let form_json = serde_json::to_string(&input.form).map_err(anyhow::Error::from)?;
    let case = match Case::by_form_key(conn, &input.form_key)? {
        Some(c) => {
            if c.agency_id != ctx.agency.id || c.requester_id != ctx.user.id {
                return Err(RequestError::NotYours);
            }
            let status = c.status();
            if !status.is_editable() {
                if status == CaseStatus::Submitted || c.case_number.is_some() {
                    audit::record(
                        conn,
                        &ctx.actor,
                        Entry::new("request.submit", "case", c.id)
                            .outcome(Outcome::Denied)
                            .details("repeated submission of an already submitted form; ignored"),
                    )?;
                    return Ok(SaveOutcome::AlreadySubmitted {
                        case_id: c.case_id(),
                    });
                }
                return Err(RequestError::NotEditable(status.label()));
            }
            RequestVersion::update_form(conn, c.case_id(), c.current_version, &form_json, at)?;
            c
        }
        None if input.submit && input.new_images.is_empty() && !input.form.has_typed_content() => {
            let errors = SearchRequest::parse(&input.form, 0, ctx.today)
                .err()
                .unwrap_or_default();
            return Ok(SaveOutcome::Empty { errors });
        }
        None => {
            let c = Case::insert(
                conn,
                &NewCase {
                    form_key: input.form_key.clone(),
                    agency_id: ctx.agency.id,
                    requester_id: ctx.user.id,
                    status: CaseStatus::Draft,
                    current_version: 1,
                    search_reason: String::new(),
                    case_file_number: String::new(),
                    reason_verdict: String::new(),
                    created_at: at,
                    updated_at: at,
                },
            )?;
            RequestVersion::insert(
                conn,
                &NewRequestVersion {
                    case_id: c.id,
                    version: 1,
                    form_json: form_json.clone(),
                    created_at: at,
                    updated_at: at,
                },
            )?;
            crate::cases::timeline::timeline(
                conn,
                c.id,
                Some((ctx.user, "requester")),
                "draft_created",
                "Draft request created",
                None,
            )?;
            audit::record(
                conn,
                &ctx.actor,
                Entry::new("request.create_draft", "case", c.id),
            )?;
            c
        }
    };
    let case_id = case.case_id();
    let version = case.current_version;

    for sha in &input.remove_images {
        if CaseImage::detach(conn, case_id, version, sha)? > 0 {
            audit::record(
                conn,
                &ctx.actor,
                Entry::new("image.detach", "image", sha).details(format!("case {}", case.id)),
            )?;
        }
    }
    for (name, img) in &input.new_images {
        let added = CaseImage::attach(
            conn,
            &NewCaseImage {
                case_id: case.id,
                version,
                sha256: img.sha256.clone(),
                original_name: name.chars().take(200).collect(),
                content_type: img.content_type().into(),
                width: i32::try_from(img.width).unwrap_or(i32::MAX),
                height: i32::try_from(img.height).unwrap_or(i32::MAX),
                byte_size: i64::try_from(img.bytes.len()).unwrap_or(i64::MAX),
                uploaded_by: ctx.user.id,
                created_at: at,
            },
        )?;
        if added {
            // Written before commit: if the write fails the transaction rolls back. A file of a
            // transaction that never commits (a crash) is removed by the start-up sweep.
            ctx.images.put(img).map_err(|e| {
                if e.is::<crate::cases::images::StorageFull>() {
                    RequestError::StorageFull
                } else {
                    RequestError::Internal(e)
                }
            })?;
            audit::record(
                conn,
                &ctx.actor,
                Entry::new("image.upload", "image", &img.sha256).details(format!(
                    "case {}; {}×{} {}",
                    case.id,
                    img.width,
                    img.height,
                    img.content_type()
                )),
            )?;
        }
    }

    // LACRIS's "Number of Images Submitted" is counted, never typed: whatever was posted is
    // replaced by the number of images attached to this version.
    let attached = CaseImage::for_version(conn, case_id, version)?;
    let mut form = input.form.clone();
    form.images_declared = attached.len().to_string();
    if form.images_declared != input.form.images_declared {
        let json = serde_json::to_string(&form).map_err(anyhow::Error::from)?;
        RequestVersion::update_form(conn, case_id, version, &json, at)?;
    }

    // Crash tests hold an upload here (files stored, transaction open) and `kill -9`.
    fail::fail_point!("upload.before_commit");
    let assessment = crate::domain::reason::assess(&form.search_reason);
    Case::set_summary(
        conn,
        case_id,
        &crate::domain::request::clean(&form.search_reason),
        &crate::domain::request::clean(&form.case_file_number),
        if form.search_reason.trim().is_empty() {
            ""
        } else {
            assessment.verdict.as_str()
        },
        at,
    )?;

    if !input.submit {
        audit::record(
            conn,
            &ctx.actor,
            Entry::new("request.save_draft", "case", case.id),
        )?;
        return Ok(SaveOutcome::Saved { case_id });
    }

    let parsed = SearchRequest::parse(&form, attached.len(), ctx.today);
    let mut errors = match &parsed {
        Ok(_) => FormErrors::default(),
        Err(e) => e.clone(),
    };
    for refusal in agency_refusals(conn, ctx)? {
        errors.add("agency", refusal);
    }
    let request = match parsed {
        Ok(r) if errors.is_empty() => r,
        _ => {
            audit::record(
                conn,
                &ctx.actor,
                Entry::new("request.submit", "case", case.id)
                    .outcome(Outcome::Failed)
                    .reason(form.search_reason.trim())
                    .details(format!(
                        "form incomplete: {}",
                        errors
                            .iter()
                            .map(|(k, _)| *k)
                            .collect::<Vec<_>>()
                            .join(", ")
                    )),
            )?;
            return Ok(SaveOutcome::Invalid { case_id, errors });
        }
    };

    let from = case.status();
    let to = from
        .apply(CaseAction::Submit)
        .map_err(|_| RequestError::NotEditable(from.label()))?;
    if !Case::transition(conn, case_id, from, to, at)? {
        return Err(RequestError::NotEditable(from.label()));
    }
    let number = case
        .case_number
        .clone()
        .unwrap_or_else(|| case_number(at.year(), case.id));
    Case::mark_submitted(conn, case_id, &number, at)?;
    RequestVersion::mark_submitted(conn, case_id, version, at, &ctx.actor.ip)?;
    let summary = if version == 1 {
        format!(
            "Request submitted and signed by {} as {number}",
            request.signature.full_name
        )
    } else {
        format!(
            "Corrected request (version {version}) resubmitted and signed by {}",
            request.signature.full_name
        )
    };
    crate::cases::timeline::timeline(
        conn,
        case.id,
        Some((ctx.user, "requester")),
        "submitted",
        summary,
        None,
    )?;
    audit::record(
        conn,
        &ctx.actor,
        Entry::new("request.submit", "case", case.id)
            .reason(&request.search_reason)
            .details(format!(
                "case_number {number}; version {version}; reason verdict {}; images {}",
                request.reason.verdict.as_str(),
                attached
                    .iter()
                    .map(|i| i.sha256.as_str())
                    .collect::<Vec<_>>()
                    .join(",")
            )),
    )?;
    let email = RequestReceived {
        service_name: ctx.service_name.to_string(),
        base_url: ctx.base_url.to_string(),
        case_id: case.id,
        case_number: number.clone(),
        requester_name: request.requester_name.clone(),
        agency_name: ctx.agency.name.clone(),
        case_file_number: request.case_file_number.clone(),
        search_reason: request.search_reason.clone(),
        image_count: attached.len(),
        image_hashes: attached.iter().map(|i| i.sha256.clone()).collect(),
        submitted_at: crate::platform::time::fmt_time(&at),
        version,
    }
    // Every email about a case goes to the requester account's address.
    .render(&ctx.user.email)
    .map_err(|e| anyhow::anyhow!("Failed to render the acknowledgement: {e}"))?;
    crate::platform::mail::enqueue(conn, &email)?;
    // The service's reviewers are told (never the submitter: separation of duties).
    let notify = crate::notifications::NotifyContext {
        service_name: ctx.service_name.to_string(),
        base_url: ctx.base_url.to_string(),
        approver_may_examine: false,
    };
    crate::notifications::events::request_submitted(conn, &notify, &case, &number, version)?;
    Ok(SaveOutcome::Submitted {
        case_id,
        case_number: number,
    })
}

use chrono::Datelike;
