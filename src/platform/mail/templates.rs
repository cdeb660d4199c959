//! Email templates (askama), one folder per message under `templates/email/`.

use askama::Template;

use crate::platform::mail::Email;

/// Data for the acknowledgement sent when a request is submitted.
pub struct RequestReceived {
    pub service_name: String,
    pub base_url: String,
    pub case_id: i64,
    pub case_number: String,
    pub requester_name: String,
    pub agency_name: String,
    pub case_file_number: String,
    pub search_reason: String,
    pub image_count: usize,
    pub image_hashes: Vec<String>,
    pub submitted_at: String,
    pub version: i32,
}

#[derive(Template)]
#[template(path = "email/request_received/subject.txt")]
struct ReceivedSubject<'a> {
    d: &'a RequestReceived,
}
#[derive(Template)]
#[template(path = "email/request_received/body.txt")]
struct ReceivedText<'a> {
    d: &'a RequestReceived,
}
#[derive(Template)]
#[template(path = "email/request_received/body.html")]
struct ReceivedHtml<'a> {
    d: &'a RequestReceived,
}

impl RequestReceived {
    pub fn render(&self, to: &str) -> askama::Result<Email> {
        Ok(Email {
            kind: "request_received",
            to: to.to_string(),
            case_id: Some(self.case_id),
            subject: ReceivedSubject { d: self }.render()?.trim().to_string(),
            text: ReceivedText { d: self }.render()?,
            html: ReceivedHtml { d: self }.render()?,
            attachment: None,
        })
    }
}

/// Data for the email sent when a reviewer approves, returns or rejects a request.
pub struct RequestDecision {
    pub service_name: String,
    pub base_url: String,
    pub case_id: i64,
    pub case_number: String,
    pub requester_name: String,
    /// `approved`, `returned` or `rejected`.
    pub decision: String,
    pub decision_label: String,
    pub comment: String,
    pub reviewer_name: String,
    pub decided_at: String,
}

#[derive(Template)]
#[template(path = "email/request_decision/subject.txt")]
struct DecisionSubject<'a> {
    d: &'a RequestDecision,
}
#[derive(Template)]
#[template(path = "email/request_decision/body.txt")]
struct DecisionText<'a> {
    d: &'a RequestDecision,
}
#[derive(Template)]
#[template(path = "email/request_decision/body.html")]
struct DecisionHtml<'a> {
    d: &'a RequestDecision,
}

impl RequestDecision {
    pub fn render(&self, to: &str) -> askama::Result<Email> {
        Ok(Email {
            kind: "request_decision",
            to: to.to_string(),
            case_id: Some(self.case_id),
            subject: DecisionSubject { d: self }.render()?.trim().to_string(),
            text: DecisionText { d: self }.render()?,
            html: DecisionHtml { d: self }.render()?,
            attachment: None,
        })
    }
}

/// Data for the email that carries a result packet: the first issue, a re-issue after a
/// correction, or the notice that a result was withdrawn (then without attachment).
pub struct ResultNotice {
    pub service_name: String,
    pub base_url: String,
    pub case_id: i64,
    pub case_number: String,
    pub requester_name: String,
    /// `issued`, `reissued` or `withdrawn`.
    pub event: String,
    /// "Possible investigative lead" or "No lead".
    pub result_label: String,
    pub packet_id: String,
    /// The packet this one replaces (re-issue) or the packet withdrawn.
    pub previous_packet_id: String,
    /// Why it was re-issued or withdrawn; empty for a first issue.
    pub reason: String,
    pub issued_at: String,
    /// SHA-256 fingerprint of the signing certificate, so the recipient can check the signature.
    pub signer_fingerprint: String,
}

#[derive(Template)]
#[template(path = "email/result_notice/subject.txt")]
struct ResultSubject<'a> {
    d: &'a ResultNotice,
}
#[derive(Template)]
#[template(path = "email/result_notice/body.txt")]
struct ResultText<'a> {
    d: &'a ResultNotice,
}
#[derive(Template)]
#[template(path = "email/result_notice/body.html")]
struct ResultHtml<'a> {
    d: &'a ResultNotice,
}

impl ResultNotice {
    /// Renders the message; `attachment` is the packet file (none for a withdrawal).
    pub fn render(
        &self,
        to: &str,
        attachment: Option<crate::platform::mail::Attachment>,
    ) -> askama::Result<Email> {
        Ok(Email {
            kind: "result_notice",
            to: to.to_string(),
            case_id: Some(self.case_id),
            subject: ResultSubject { d: self }.render()?.trim().to_string(),
            text: ResultText { d: self }.render()?,
            html: ResultHtml { d: self }.render()?,
            attachment,
        })
    }
}

/// Data for the email telling an agency's local administrator of an account change: disabled
/// for inactivity, deactivated (left the agency, access review), examiner training lapsed.
pub struct AccountNotice {
    pub service_name: String,
    pub base_url: String,
    pub admin_name: String,
    pub agency_name: String,
    pub user_name: String,
    pub user_email: String,
    /// e.g. `Disabled after 90 days without a login`.
    pub event_label: String,
    pub reason: String,
    /// What the administrator can do about it.
    pub advice: String,
    pub at: String,
}

#[derive(Template)]
#[template(path = "email/account_notice/subject.txt")]
struct AccountSubject<'a> {
    d: &'a AccountNotice,
}
#[derive(Template)]
#[template(path = "email/account_notice/body.txt")]
struct AccountText<'a> {
    d: &'a AccountNotice,
}
#[derive(Template)]
#[template(path = "email/account_notice/body.html")]
struct AccountHtml<'a> {
    d: &'a AccountNotice,
}

impl AccountNotice {
    pub fn render(&self, to: &str) -> askama::Result<Email> {
        Ok(Email {
            kind: "account_notice",
            to: to.to_string(),
            case_id: None,
            subject: AccountSubject { d: self }.render()?.trim().to_string(),
            text: AccountText { d: self }.render()?,
            html: AccountHtml { d: self }.render()?,
            attachment: None,
        })
    }
}

/// Data for the notice a user gets of a change to their own account (password changed, new
/// recovery codes), so a change they did not make does not go unnoticed (OWASP ASVS V2.2.3).
pub struct SecurityNotice {
    pub service_name: String,
    pub base_url: String,
    pub user_name: String,
    /// e.g. `Your password was changed`.
    pub event_label: String,
    pub at: String,
    /// The client address the change came from.
    pub ip: String,
    /// What happened as a consequence, e.g. which sessions ended.
    pub what_now: String,
}

#[derive(Template)]
#[template(path = "email/security_notice/subject.txt")]
struct SecuritySubject<'a> {
    d: &'a SecurityNotice,
}
#[derive(Template)]
#[template(path = "email/security_notice/body.txt")]
struct SecurityText<'a> {
    d: &'a SecurityNotice,
}
#[derive(Template)]
#[template(path = "email/security_notice/body.html")]
struct SecurityHtml<'a> {
    d: &'a SecurityNotice,
}

impl SecurityNotice {
    pub fn render(&self, to: &str) -> askama::Result<Email> {
        Ok(Email {
            kind: "security_notice",
            to: to.to_string(),
            case_id: None,
            subject: SecuritySubject { d: self }.render()?.trim().to_string(),
            text: SecurityText { d: self }.render()?,
            html: SecurityHtml { d: self }.render()?,
            attachment: None,
        })
    }
}

/// Data for the reminder that a legal hold's two-yearly review is due within 30 days or
/// overdue (LAPD ALPR order: "Every two years, ITB shall verify with the investigating officer
/// if the information is eligible for deletion"). Sent to the case agency's local
/// administrators and the service's system administrators; it cannot be switched off.
pub struct HoldReviewReminder {
    pub service_name: String,
    pub base_url: String,
    pub recipient_name: String,
    pub case_id: i64,
    pub case_number: String,
    pub agency_name: String,
    pub reference: String,
    pub reason: String,
    pub investigator_name: String,
    pub investigator_contact: String,
    /// When the review is (was) due.
    pub due: String,
    pub overdue: bool,
}

#[derive(Template)]
#[template(path = "email/hold_review/subject.txt")]
struct HoldReviewSubject<'a> {
    d: &'a HoldReviewReminder,
}
#[derive(Template)]
#[template(path = "email/hold_review/body.txt")]
struct HoldReviewText<'a> {
    d: &'a HoldReviewReminder,
}
#[derive(Template)]
#[template(path = "email/hold_review/body.html")]
struct HoldReviewHtml<'a> {
    d: &'a HoldReviewReminder,
}

impl HoldReviewReminder {
    pub fn render(&self, to: &str) -> askama::Result<Email> {
        Ok(Email {
            kind: "hold_review",
            to: to.to_string(),
            case_id: Some(self.case_id),
            subject: HoldReviewSubject { d: self }.render()?.trim().to_string(),
            text: HoldReviewText { d: self }.render()?,
            html: HoldReviewHtml { d: self }.render()?,
            attachment: None,
        })
    }
}

/// Data for the audit calendar's reminder (`crate::audit::calendar`): an agency's monthly audit
/// or quarterly access review is due soon or overdue. Sent to the agency's local administrators
/// (overdue notices copied to the service's system administrators); cannot be switched off.
pub struct AuditReminder {
    pub service_name: String,
    pub base_url: String,
    pub recipient_name: String,
    pub agency_name: String,
    /// e.g. `Monthly audit of user actions`.
    pub audit_label: String,
    /// `YYYY-MM` or `YYYY-Qn`.
    pub period: String,
    /// The due date, `YYYY-MM-DD`.
    pub due: String,
    pub overdue: bool,
    pub days_overdue: i64,
    /// The page where the audit is done, e.g. `/audits/monthly?month=2026-11`.
    pub link: String,
    /// A system administrator's copy of an overdue notice.
    pub copy_to_service: bool,
}

#[derive(Template)]
#[template(path = "email/audit_reminder/subject.txt")]
struct ReminderSubject<'a> {
    d: &'a AuditReminder,
}
#[derive(Template)]
#[template(path = "email/audit_reminder/body.txt")]
struct ReminderText<'a> {
    d: &'a AuditReminder,
}
#[derive(Template)]
#[template(path = "email/audit_reminder/body.html")]
struct ReminderHtml<'a> {
    d: &'a AuditReminder,
}

impl AuditReminder {
    pub fn render(&self, to: &str) -> askama::Result<Email> {
        Ok(Email {
            kind: "audit_reminder",
            to: to.to_string(),
            case_id: None,
            subject: ReminderSubject { d: self }.render()?.trim().to_string(),
            text: ReminderText { d: self }.render()?,
            html: ReminderHtml { d: self }.render()?,
            attachment: None,
        })
    }
}

/// Data for a staff notification sent at once (`crate::notifications`): a notice and a link,
/// never a probe image, a search reason or any criminal-history detail.
pub struct StaffNotice {
    pub service_name: String,
    pub base_url: String,
    pub recipient_name: String,
    /// The kind's label, e.g. `New and resubmitted requests to review`.
    pub kind_label: String,
    /// One sentence without a full stop, e.g. `Request LACRIS-2026-000001 was submitted`.
    pub headline: String,
    /// The page, relative to `base_url`, e.g. `/review/12`.
    pub link: String,
}

#[derive(Template)]
#[template(path = "email/staff_notice/subject.txt")]
struct StaffNoticeSubject<'a> {
    d: &'a StaffNotice,
}
#[derive(Template)]
#[template(path = "email/staff_notice/body.txt")]
struct StaffNoticeText<'a> {
    d: &'a StaffNotice,
}
#[derive(Template)]
#[template(path = "email/staff_notice/body.html")]
struct StaffNoticeHtml<'a> {
    d: &'a StaffNotice,
}

impl StaffNotice {
    pub fn render(&self, to: &str) -> askama::Result<Email> {
        Ok(Email {
            kind: "staff_notice",
            to: to.to_string(),
            // Not listed with the case's email on its page (the requester sees that list);
            // the `notifications` row keeps the case.
            case_id: None,
            subject: StaffNoticeSubject { d: self }.render()?.trim().to_string(),
            text: StaffNoticeText { d: self }.render()?,
            html: StaffNoticeHtml { d: self }.render()?,
            attachment: None,
        })
    }
}

/// One line of a [`StaffDigest`].
pub struct DigestItem {
    /// When the notification was made, `YYYY-MM-DD HH:MM`.
    pub at: String,
    pub headline: String,
    pub link: String,
}

/// Data for a user's daily digest of staff notifications (`crate::notifications::digest`).
pub struct StaffDigest {
    pub service_name: String,
    pub base_url: String,
    pub recipient_name: String,
    /// The day of the digest, `YYYY-MM-DD`.
    pub day: String,
    pub items: Vec<DigestItem>,
}

#[derive(Template)]
#[template(path = "email/staff_digest/subject.txt")]
struct StaffDigestSubject<'a> {
    d: &'a StaffDigest,
}
#[derive(Template)]
#[template(path = "email/staff_digest/body.txt")]
struct StaffDigestText<'a> {
    d: &'a StaffDigest,
}
#[derive(Template)]
#[template(path = "email/staff_digest/body.html")]
struct StaffDigestHtml<'a> {
    d: &'a StaffDigest,
}

impl StaffDigest {
    pub fn render(&self, to: &str) -> askama::Result<Email> {
        Ok(Email {
            kind: "staff_digest",
            to: to.to_string(),
            case_id: None,
            subject: StaffDigestSubject { d: self }.render()?.trim().to_string(),
            text: StaffDigestText { d: self }.render()?,
            html: StaffDigestHtml { d: self }.render()?,
            attachment: None,
        })
    }
}

/// Data for the notice of a new message on a case, sent to the other side of the thread. It
/// names the case and the author and links to the thread; it never carries the message text
/// (which may hold criminal justice information) nor its attachments.
pub struct CaseMessageNotice {
    pub service_name: String,
    pub base_url: String,
    pub case_id: i64,
    pub case_number: String,
    pub recipient_name: String,
    pub author_name: String,
    /// "Requesting agency" or "Service".
    pub from_side: String,
    pub sent_at: String,
    /// Number of image attachments.
    pub attachments: usize,
}

#[derive(Template)]
#[template(path = "email/case_message/subject.txt")]
struct CaseMessageSubject<'a> {
    d: &'a CaseMessageNotice,
}
#[derive(Template)]
#[template(path = "email/case_message/body.txt")]
struct CaseMessageText<'a> {
    d: &'a CaseMessageNotice,
}
#[derive(Template)]
#[template(path = "email/case_message/body.html")]
struct CaseMessageHtml<'a> {
    d: &'a CaseMessageNotice,
}

impl CaseMessageNotice {
    /// The email to `to`. Errors: a template failed to render.
    pub fn render(&self, to: &str) -> askama::Result<Email> {
        Ok(Email {
            kind: "case_message",
            to: to.to_string(),
            case_id: Some(self.case_id),
            subject: CaseMessageSubject { d: self }.render()?.trim().to_string(),
            text: CaseMessageText { d: self }.render()?,
            html: CaseMessageHtml { d: self }.render()?,
            attachment: None,
        })
    }
}

/// Data for the email telling the requesting agency that a disclosure package of its case was
/// released (issue 17). The package itself is not attached.
pub struct DisclosureNotice {
    pub service_name: String,
    pub base_url: String,
    pub case_id: i64,
    pub case_number: String,
    pub agency_name: String,
    pub disclosure_id: String,
    pub basis: String,
    /// "Non-lead candidates redacted" or "UNREDACTED under order …".
    pub redaction: String,
    pub released_at: String,
}

#[derive(Template)]
#[template(path = "email/disclosure_notice/subject.txt")]
struct DisclosureSubject<'a> {
    d: &'a DisclosureNotice,
}
#[derive(Template)]
#[template(path = "email/disclosure_notice/body.txt")]
struct DisclosureText<'a> {
    d: &'a DisclosureNotice,
}
#[derive(Template)]
#[template(path = "email/disclosure_notice/body.html")]
struct DisclosureHtml<'a> {
    d: &'a DisclosureNotice,
}

impl DisclosureNotice {
    /// Renders the message to `to`. Errors: a template failed.
    pub fn render(&self, to: &str) -> askama::Result<Email> {
        Ok(Email {
            kind: "disclosure_notice",
            to: to.to_string(),
            case_id: Some(self.case_id),
            subject: DisclosureSubject { d: self }.render()?.trim().to_string(),
            text: DisclosureText { d: self }.render()?,
            html: DisclosureHtml { d: self }.render()?,
            attachment: None,
        })
    }
}
