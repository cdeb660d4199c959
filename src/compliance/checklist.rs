//! The reviewer's automatic compliance checklist (LACRIS FR Policy: reason, training, no DMV,
//! no live video; agency policy on file from 2023-07-01; NY MPTC §V.B flags).

use chrono::NaiveDate;
use serde::Serialize;

use crate::accounts::store::{Agency, User};
use crate::agencies::policy::PolicyOnFile;
use crate::domain::reason::{self, Severity, Verdict};
use crate::domain::{ImageSource, RequestForm};

/// State of one checklist item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Check {
    Pass,
    /// Needs the reviewer's attention; approval requires acknowledging it.
    Flag,
    /// Blocks approval.
    Fail,
}

impl Check {
    pub fn as_str(self) -> &'static str {
        match self {
            Check::Pass => "pass",
            Check::Flag => "flag",
            Check::Fail => "fail",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            Check::Pass => "Pass",
            Check::Flag => "Review",
            Check::Fail => "Fail",
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct CheckItem {
    pub code: &'static str,
    pub label: &'static str,
    pub state: Check,
    pub detail: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Checklist {
    pub items: Vec<CheckItem>,
}

/// The agency-policy item: passes when a policy is on file, its effective date is not after
/// `today` and the agency is active and not suspended. A date-only record (kept from before
/// documents were uploaded) passes with a note that no document is on file.
fn policy_item(agency: &Agency, policy: &PolicyOnFile, today: NaiveDate) -> CheckItem {
    let in_effect = policy.in_effect(today);
    let mut detail = match policy {
        PolicyOnFile::None => format!("{} has no FR policy on file.", agency.name),
        PolicyOnFile::DateOnly(d) => format!(
            "{} policy dated {d} (date-only record from before documents were kept; no document on file).",
            agency.name
        ),
        PolicyOnFile::Document(p) => format!(
            "{} policy {} effective {}, uploaded {} by {}.",
            agency.name,
            p.file_name,
            p.effective_date,
            crate::platform::time::fmt_time(&p.uploaded_at),
            p.uploaded_by
        ),
    };
    if let Some(d) = policy.effective_date().filter(|d| *d > today) {
        detail.push_str(&format!(" Not yet in effect: takes effect on {d}."));
    }
    if agency.is_suspended() {
        detail.push_str(" The agency is suspended.");
    }
    CheckItem {
        code: "agency_policy",
        label: "Agency FR policy on file and in effect (required from 2023-07-01)",
        state: if in_effect && agency.active && !agency.is_suspended() {
            Check::Pass
        } else {
            Check::Fail
        },
        detail,
    }
}

impl Checklist {
    /// Builds the checklist for a request version; `policy` is the agency's policy on file
    /// ([`crate::agencies::policy::current`]); `requester_training` is the requester's training
    /// records (`accounts::training::records_of`).
    pub fn build(
        form: &RequestForm,
        agency: &Agency,
        policy: &PolicyOnFile,
        requester: &User,
        requester_training: &[crate::domain::training::Training],
        today: NaiveDate,
    ) -> Checklist {
        let mut items = Vec::new();
        let a = reason::assess(&form.search_reason);
        let findings = a
            .findings
            .iter()
            .filter(|f| f.severity() != Severity::Info)
            .map(|f| f.message.clone())
            .collect::<Vec<_>>()
            .join(" ");
        items.push(CheckItem {
            code: "reason",
            label: "Valid search reason (LACRIS)",
            state: match a.verdict {
                Verdict::Compliant => Check::Pass,
                Verdict::NeedsReview => Check::Flag,
                Verdict::NonCompliant => Check::Fail,
            },
            detail: format!("{}. {}", a.verdict.label(), findings),
        });
        let flagged: Vec<String> = a
            .findings
            .iter()
            .filter(|f| f.severity() == Severity::Review)
            .map(|f| f.message.clone())
            .collect();
        items.push(CheckItem {
            code: "flags",
            label: "No First-Amendment, protected-characteristic or non-official basis (NY MPTC §V)",
            state: if flagged.is_empty() { Check::Pass } else { Check::Flag },
            detail: if flagged.is_empty() {
                "No flagged wording found.".into()
            } else {
                flagged.join(" ")
            },
        });
        items.push(policy_item(agency, policy, today));
        items.push(CheckItem {
            code: "requester_training",
            label: "Requester training current (LACRIS, or FBI-equivalent after 2017-01-01)",
            state: if crate::domain::training::grants_fr_access(requester_training, today).is_ok() {
                Check::Pass
            } else {
                Check::Flag
            },
            detail: match crate::domain::training::grants_fr_access(requester_training, today) {
                Ok(()) => format!(
                    "{}: {}.",
                    requester.name,
                    crate::domain::training::summary(requester_training)
                ),
                Err(refusal) => format!(
                    "{}: {}. {refusal}",
                    requester.name,
                    crate::domain::training::summary(requester_training)
                ),
            },
        });
        let source = ImageSource::parse(&form.image_source);
        items.push(CheckItem {
            code: "image_source",
            label: "Image source lawful (no DMV / Cal-Photo; body-worn camera flagged)",
            state: match source {
                Some(s) if !s.is_lawful() => Check::Fail,
                Some(s) if s.attention().is_some() => Check::Flag,
                Some(_) => Check::Pass,
                None => Check::Fail,
            },
            detail: match source {
                Some(s) => match s.attention() {
                    Some(why) => format!("{}. {why}", s.label()),
                    None => s.label().to_string(),
                },
                None => "Not stated.".into(),
            },
        });
        items.push(CheckItem {
            code: "no_live_video",
            label: "No live video (recorded stills only)",
            state: match form.from_video.as_str() {
                "no" => Check::Pass,
                "yes" if !form.video_recording.trim().is_empty() => Check::Pass,
                _ => Check::Fail,
            },
            detail: match form.from_video.as_str() {
                "yes" => format!(
                    "Still extracted from recording: {}",
                    form.video_recording.trim()
                ),
                "no" => "Not extracted from video.".into(),
                _ => "Not stated.".into(),
            },
        });
        Checklist { items }
    }

    /// Items that block approval.
    pub fn failures(&self) -> impl Iterator<Item = &CheckItem> {
        self.items.iter().filter(|i| i.state == Check::Fail)
    }
    pub fn has_flags(&self) -> bool {
        self.items.iter().any(|i| i.state == Check::Flag)
    }
}
