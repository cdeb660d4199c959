//! The request form page, shared by "new", "edit" and the re-render after a failed save.

use askama::Template;

use crate::cases::store::{Case, CaseImage};
use crate::domain::reason::{self, ReasonAssessment};
use crate::domain::request::MAX_IMAGES;
use crate::domain::{AuthorizedPurpose, FormErrors, ImageSource, RequestForm};
use crate::web::layout::Layout;

pub struct Choice {
    pub value: &'static str,
    pub label: &'static str,
}

#[derive(Template)]
#[template(path = "cases/form.html")]
pub struct RequestFormPage {
    pub layout: Layout,
    pub title: String,
    pub case: Option<Case>,
    pub status_label: String,
    pub form_key: String,
    pub form: RequestForm,
    pub errors: FormErrors,
    pub images: Vec<CaseImage>,
    pub purposes: Vec<Choice>,
    pub sources: Vec<Choice>,
    pub reason: Option<ReasonAssessment>,
    pub max_images: usize,
    pub notice: Option<String>,
}

impl RequestFormPage {
    pub fn new(layout: Layout, case: Option<Case>, form_key: String, form: RequestForm) -> Self {
        let reason =
            (!form.search_reason.trim().is_empty()).then(|| reason::assess(&form.search_reason));
        RequestFormPage {
            title: match &case {
                Some(c) => format!("Edit request {}", c.display_number()),
                None => "New facial recognition search request".into(),
            },
            status_label: case
                .as_ref()
                .map(|c| c.status().label().to_string())
                .unwrap_or_else(|| "Not yet saved".into()),
            layout,
            case,
            form_key,
            form,
            errors: FormErrors::default(),
            images: Vec::new(),
            purposes: AuthorizedPurpose::ALL
                .iter()
                .map(|p| Choice {
                    value: p.as_str(),
                    label: p.label(),
                })
                .collect(),
            sources: ImageSource::ALL
                .iter()
                .map(|s| Choice {
                    value: s.as_str(),
                    label: s.label(),
                })
                .collect(),
            reason,
            max_images: MAX_IMAGES,
            notice: None,
        }
    }

    /// The error for a field, if any (used by the template beside each input).
    pub fn err(&self, field: &str) -> Option<&str> {
        self.errors.get(field)
    }
    pub fn has_err(&self, field: &str) -> bool {
        self.errors.get(field).is_some()
    }
    pub fn checked(&self, field: &str) -> bool {
        match field {
            "attest_lead_only" => self.form.attest_lead_only == "on",
            "attest_lawful" => self.form.attest_lawful == "on",
            _ => false,
        }
    }
}
