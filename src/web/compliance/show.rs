//! `GET /review/{id}`: the whole request, its images, the automatic checklist and the decision
//! form.

use actix_web::{HttpResponse, web};
use askama::Template;

use crate::accounts::store::{Agency, User};
use crate::audit::{self, Entry};
use crate::cases::store::{Case, CaseImage, RequestVersion, TimelineEvent};
use crate::compliance::checklist::Checklist;
use crate::compliance::store::Decision;
use crate::domain::reason::{self, ReasonAssessment};
use crate::domain::{AgencyId, AuthorizedPurpose, CaseId, ImageSource, RequestForm, Role, UserId};
use crate::platform::time::fmt_time;
use crate::web::error::AppError;
use crate::web::layout::Layout;
use crate::web::session::CurrentUser;
use crate::web::state::AppState;

#[derive(Template)]
#[template(path = "compliance/show.html")]
pub struct ReviewPage {
    pub layout: Layout,
    pub case: Case,
    pub agency: Agency,
    /// The agency's current policy document, if one was uploaded (linked for download).
    pub policy_document: Option<crate::agencies::policy::PolicyDocument>,
    pub requester: User,
    pub form: RequestForm,
    pub purpose_label: String,
    pub source_label: String,
    pub images: Vec<CaseImage>,
    pub reason: ReasonAssessment,
    pub checklist: Checklist,
    pub earlier: Vec<(Decision, String)>,
    pub timeline: Vec<TimelineEvent>,
    pub error: Option<String>,
    pub comment: String,
    pub decision: String,
    pub pending: bool,
}

impl ReviewPage {
    pub fn t(&self, at: &chrono::NaiveDateTime) -> String {
        fmt_time(at)
    }
}

/// Loads everything the review page shows; audits the view.
pub async fn load(
    user: &CurrentUser,
    state: &AppState,
    id: CaseId,
) -> Result<ReviewPage, AppError> {
    user.require(Role::Reviewer)?;
    let actor = user.actor(Role::Reviewer);
    let today = chrono::Utc::now().date_naive();
    let (vu, va) = (user.user.clone(), user.agency.clone());
    let (case, agency, policy, (requester, training), version, images, earlier, timeline) =
        crate::platform::db::run(&state.pool, move |c| -> Result<_, AppError> {
            let case = crate::cases::access::live_case_for(
                c,
                &crate::cases::access::Viewer::new(&vu, &va),
                id,
            )?
            .ok_or(AppError::NotFound)?;
            audit::record(
                c,
                &actor,
                Entry::new("case.view", "case", case.id)
                    .reason(&case.search_reason)
                    .details("review page"),
            )?;
            let agency = Agency::find(c, AgencyId(case.agency_id))?;
            let policy = crate::agencies::policy::current(c, &agency)?;
            let requester = User::find(c, UserId(case.requester_id))?;
            let training = crate::accounts::training::records_of(c, requester.user_id())?;
            let version = RequestVersion::get(c, id, case.current_version)?;
            let images = CaseImage::for_version(c, id, case.current_version)?;
            let mut earlier = Vec::new();
            for d in Decision::for_case(c, id)? {
                let name = User::find(c, UserId(d.reviewer_id))
                    .map(|u| u.name)
                    .unwrap_or_default();
                earlier.push((d, name));
            }
            let timeline = TimelineEvent::for_case(c, id)?;
            Ok((
                case,
                agency,
                policy,
                (requester, training),
                version,
                images,
                earlier,
                timeline,
            ))
        })
        .await?;
    let form = version.form();
    let checklist = Checklist::build(&form, &agency, &policy, &requester, &training, today);
    Ok(ReviewPage {
        layout: Layout::new(user, &state.settings.service.name),
        pending: case.status() == crate::domain::CaseStatus::Submitted,
        purpose_label: AuthorizedPurpose::parse(&form.authorized_purpose)
            .map(|p| p.label().to_string())
            .unwrap_or_default(),
        source_label: ImageSource::parse(&form.image_source)
            .map(|s| s.label().to_string())
            .unwrap_or_default(),
        reason: reason::assess(&form.search_reason),
        case,
        policy_document: policy.document().cloned(),
        agency,
        requester,
        form,
        images,
        checklist,
        earlier,
        timeline,
        error: None,
        comment: String::new(),
        decision: String::new(),
    })
}

pub async fn page(
    user: CurrentUser,
    state: web::Data<AppState>,
    path: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let page = load(&user, &state, CaseId(path.into_inner())).await?;
    crate::web::respond::html(&page)
}
