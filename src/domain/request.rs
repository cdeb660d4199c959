//! The LACRIS *Facial Recognition Search Request* form.
//!
//! [`RequestForm`] holds what the requester typed, exactly (it is what drafts store and what the
//! form re-renders). [`SearchRequest::parse`] turns it into a [`SearchRequest`], whose existence
//! proves every LACRIS field is present and lawful, or returns [`FormErrors`] naming each
//! problem beside its field.
//!
//! Sources: LACRIS FR Policy, "Face Search Requests" (the form's fields), "Prohibited Uses"
//! (no DMV / Cal-Photo images, no live video); NY MPTC Model Policy §IV.B (authorised purposes).

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::domain::reason::{self, ReasonAssessment, Severity, Verdict};

/// Most images one request may carry.
pub const MAX_IMAGES: usize = 10;
/// Longest free-text field, in characters.
pub const MAX_TEXT: usize = 500;
/// Longest short field (names, numbers), in characters.
pub const MAX_SHORT: usize = 120;

/// Where the source image came from. DMV / Cal-Photo is listed so it can be refused by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ImageSource {
    SurveillanceStill,
    SocialMedia,
    WitnessVictimPhone,
    BookingPhoto,
    /// An officer's body-worn camera: accepted, flagged for the reviewer (California AB 1215).
    BodyWornCamera,
    /// Other law-enforcement cameras (in-car, fixed). Before issue 14 this also covered
    /// body-worn cameras; requests stored then keep this value.
    LawEnforcementCamera,
    DmvCalPhoto,
    Other,
}

impl ImageSource {
    pub const ALL: [ImageSource; 8] = [
        ImageSource::SurveillanceStill,
        ImageSource::SocialMedia,
        ImageSource::WitnessVictimPhone,
        ImageSource::BookingPhoto,
        ImageSource::BodyWornCamera,
        ImageSource::LawEnforcementCamera,
        ImageSource::DmvCalPhoto,
        ImageSource::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ImageSource::SurveillanceStill => "surveillance_still",
            ImageSource::SocialMedia => "social_media",
            ImageSource::WitnessVictimPhone => "witness_victim_phone",
            ImageSource::BookingPhoto => "booking_photo",
            ImageSource::BodyWornCamera => "body_worn_camera",
            ImageSource::LawEnforcementCamera => "law_enforcement_camera",
            ImageSource::DmvCalPhoto => "dmv_cal_photo",
            ImageSource::Other => "other",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            ImageSource::SurveillanceStill => "Surveillance camera still",
            ImageSource::SocialMedia => "Social media",
            ImageSource::WitnessVictimPhone => "Witness or victim phone",
            ImageSource::BookingPhoto => "Booking photo",
            ImageSource::BodyWornCamera => "Officer's body-worn camera",
            ImageSource::LawEnforcementCamera => "Other law-enforcement camera (in-car, fixed)",
            ImageSource::DmvCalPhoto => "DMV / Cal-Photo (not permitted)",
            ImageSource::Other => "Other (describe)",
        }
    }

    pub fn parse(s: &str) -> Option<ImageSource> {
        ImageSource::ALL.into_iter().find(|v| v.as_str() == s)
    }

    /// DMV images may not be used for facial recognition (Cal-Photo CP 7.21).
    pub fn is_lawful(self) -> bool {
        self != ImageSource::DmvCalPhoto
    }

    /// Why the reviewer should look closely at an image from this source, if they should: a
    /// body-worn camera image is accepted but flagged — California AB 1215 (Penal Code
    /// § 832.19, in force 1 January 2020 to 1 January 2023; cited in the LACRIS commission
    /// slides) barred biometric surveillance with officers' cameras. A flag, not a ban.
    pub fn attention(self) -> Option<&'static str> {
        match self {
            ImageSource::BodyWornCamera => Some(
                "Image from an officer's body-worn camera. California AB 1215 (Penal Code \
                 § 832.19, in force 2020–2023) barred biometric surveillance with officers' \
                 cameras: confirm this is a still of a specific incident under investigation, \
                 not the monitoring of people.",
            ),
            _ => None,
        }
    }
}

/// The authorised purpose of the search, NY MPTC Model Policy §IV.B.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuthorizedPurpose {
    CriminalOffense,
    PlannedCriminalConduct,
    MissingVictimWitness,
    Deceased,
    Incapacitated,
    ArresteeWithoutValidId,
    PublicSafetyThreat,
}

impl AuthorizedPurpose {
    pub const ALL: [AuthorizedPurpose; 7] = [
        AuthorizedPurpose::CriminalOffense,
        AuthorizedPurpose::PlannedCriminalConduct,
        AuthorizedPurpose::MissingVictimWitness,
        AuthorizedPurpose::Deceased,
        AuthorizedPurpose::Incapacitated,
        AuthorizedPurpose::ArresteeWithoutValidId,
        AuthorizedPurpose::PublicSafetyThreat,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AuthorizedPurpose::CriminalOffense => "criminal_offense",
            AuthorizedPurpose::PlannedCriminalConduct => "planned_criminal_conduct",
            AuthorizedPurpose::MissingVictimWitness => "missing_victim_witness",
            AuthorizedPurpose::Deceased => "deceased",
            AuthorizedPurpose::Incapacitated => "incapacitated",
            AuthorizedPurpose::ArresteeWithoutValidId => "arrestee_without_valid_id",
            AuthorizedPurpose::PublicSafetyThreat => "public_safety_threat",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            AuthorizedPurpose::CriminalOffense => {
                "Identify a person who has committed a criminal offense (§IV.B.1.a)"
            }
            AuthorizedPurpose::PlannedCriminalConduct => {
                "Person involved in or planning definable criminal conduct (§IV.B.1.b)"
            }
            AuthorizedPurpose::MissingVictimWitness => {
                "Possible missing person, crime victim or witness (§IV.B.1.c)"
            }
            AuthorizedPurpose::Deceased => "Deceased person (§IV.B.1.d)",
            AuthorizedPurpose::Incapacitated => {
                "Incapacitated person unable to communicate (§IV.B.1.e)"
            }
            AuthorizedPurpose::ArresteeWithoutValidId => {
                "Arrestee without, withholding, or using false identification (§IV.B.1.f)"
            }
            AuthorizedPurpose::PublicSafetyThreat => {
                "Prevent, detect or assess a threat to public safety (§IV.B.2)"
            }
        }
    }

    pub fn parse(s: &str) -> Option<AuthorizedPurpose> {
        AuthorizedPurpose::ALL.into_iter().find(|v| v.as_str() == s)
    }

    /// Purposes about a crime need the offense / penal code.
    pub fn needs_offense(self) -> bool {
        matches!(
            self,
            AuthorizedPurpose::CriminalOffense | AuthorizedPurpose::PlannedCriminalConduct
        )
    }
}

/// What the requester typed, field by field, kept verbatim for drafts and re-rendering.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct RequestForm {
    pub requester_name: String,
    pub requester_phone: String,
    pub requester_email: String,
    pub request_date: String,
    pub search_reason: String,
    pub case_file_number: String,
    pub offense_code: String,
    pub authorized_purpose: String,
    pub image_source: String,
    pub image_source_other: String,
    /// "yes" or "no".
    pub from_video: String,
    pub video_recording: String,
    pub images_declared: String,
    pub signature_name: String,
    /// "on" when the attestation box is ticked.
    pub attest_lead_only: String,
    pub attest_lawful: String,
}

/// Who is asking, from the requester's account (LACRIS FR Policy, "Face Search Requests":
/// requester name, phone number and email). The form shows it; nobody types it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RequesterIdentity {
    pub name: String,
    pub email: String,
    pub phone: String,
}

impl RequestForm {
    /// The form with the requester's name, phone and email replaced by the account's; whatever
    /// was sent in those fields is ignored.
    pub fn with_requester(mut self, who: &RequesterIdentity) -> RequestForm {
        self.requester_name = who.name.clone();
        self.requester_email = who.email.clone();
        self.requester_phone = who.phone.clone();
        self
    }

    /// Whether the requester typed or chose anything: every field but the account's identity,
    /// the pre-filled date and the counted number of images. "Submit" on a form without typed
    /// content creates nothing.
    pub fn has_typed_content(&self) -> bool {
        [
            &self.search_reason,
            &self.case_file_number,
            &self.offense_code,
            &self.authorized_purpose,
            &self.image_source,
            &self.image_source_other,
            &self.from_video,
            &self.video_recording,
            &self.signature_name,
            &self.attest_lead_only,
            &self.attest_lawful,
        ]
        .iter()
        .any(|v| !v.trim().is_empty())
    }
}

/// A name as signatures are compared: control characters and runs of whitespace collapsed
/// ([`clean`]), lower-cased.
pub fn normalise_name(s: &str) -> String {
    clean(s).to_lowercase()
}

impl RequestForm {
    /// The form with every field cleaned by [`crate::domain::text`] (the search reason is the
    /// one multi-line field); applied where the form enters the desk, before it is stored.
    pub fn cleaned(self) -> RequestForm {
        use crate::domain::text::{multi_line, single_line};
        let s = |v: String| single_line(&v);
        RequestForm {
            requester_name: s(self.requester_name),
            requester_phone: s(self.requester_phone),
            requester_email: s(self.requester_email),
            request_date: s(self.request_date),
            search_reason: multi_line(&self.search_reason),
            case_file_number: s(self.case_file_number),
            offense_code: s(self.offense_code),
            authorized_purpose: s(self.authorized_purpose),
            image_source: s(self.image_source),
            image_source_other: s(self.image_source_other),
            from_video: s(self.from_video),
            video_recording: s(self.video_recording),
            images_declared: s(self.images_declared),
            signature_name: s(self.signature_name),
            attest_lead_only: s(self.attest_lead_only),
            attest_lawful: s(self.attest_lawful),
        }
    }
}

/// Field names in the order the form shows them (for the error summary).
pub const FIELD_ORDER: &[&str] = &[
    "agency",
    "requester_name",
    "requester_phone",
    "requester_email",
    "request_date",
    "case_file_number",
    "search_reason",
    "authorized_purpose",
    "offense_code",
    "image_source",
    "image_source_other",
    "from_video",
    "video_recording",
    "images",
    "images_declared",
    "attest_lead_only",
    "attest_lawful",
    "signature_name",
];

/// Problems with a form, keyed by field name, in plain words for the requester.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FormErrors(pub BTreeMap<&'static str, String>);

impl FormErrors {
    /// Adds a problem; a second problem for the same field is appended to the first.
    pub fn add(&mut self, field: &'static str, message: impl Into<String>) {
        let message = message.into();
        self.0
            .entry(field)
            .and_modify(|m| {
                if !m.contains(&message) {
                    m.push(' ');
                    m.push_str(&message);
                }
            })
            .or_insert(message);
    }
    pub fn get(&self, field: &str) -> Option<&str> {
        self.0.get(field).map(String::as_str)
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    pub fn len(&self) -> usize {
        self.0.len()
    }
    /// Problems in the order the fields appear on the form.
    pub fn iter(&self) -> impl Iterator<Item = (&&'static str, &String)> {
        let mut v: Vec<_> = self.0.iter().collect();
        v.sort_by_key(|(k, _)| {
            FIELD_ORDER
                .iter()
                .position(|f| f == *k)
                .unwrap_or(usize::MAX)
        });
        v.into_iter()
    }
}

/// The signature block: typed full name plus the two attestations.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signature {
    pub full_name: String,
}

/// Whether the source image came from a recording; the system never takes live video.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VideoOrigin {
    NotFromVideo,
    ExtractedFromRecording { recording: String },
}

/// A complete, lawful search request. Only [`SearchRequest::parse`] makes one.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchRequest {
    pub requester_name: String,
    pub requester_phone: String,
    pub requester_email: String,
    pub request_date: NaiveDate,
    pub search_reason: String,
    pub reason: ReasonAssessment,
    pub case_file_number: String,
    pub offense_code: Option<String>,
    pub purpose: AuthorizedPurpose,
    pub image_source: ImageSource,
    pub image_source_other: Option<String>,
    pub video: VideoOrigin,
    pub images_declared: usize,
    pub signature: Signature,
}

/// A single-line value as parsed: [`crate::domain::text::single_line`], then runs of
/// whitespace collapsed to one space and trimmed.
pub fn clean(s: &str) -> String {
    crate::domain::text::single_line(s)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

fn is_valid_email(s: &str) -> bool {
    let Some((local, domain)) = s.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !s
            .chars()
            .any(|c| c.is_whitespace() || c == '<' || c == '>' || c == ',')
        && s.len() <= 254
}

impl SearchRequest {
    /// Parses the form. `images_attached` is how many images are stored with the request;
    /// `today` is the date the request is signed. Errors name every problem, per field.
    pub fn parse(
        form: &RequestForm,
        images_attached: usize,
        today: NaiveDate,
    ) -> Result<SearchRequest, FormErrors> {
        let mut e = FormErrors::default();
        let short = |e: &mut FormErrors, field: &'static str, label: &str, v: &str| -> String {
            let v = clean(v);
            if v.is_empty() {
                e.add(field, format!("{label} is required."));
            } else if v.chars().count() > MAX_SHORT {
                e.add(
                    field,
                    format!("{label} must be at most {MAX_SHORT} characters."),
                );
            }
            v
        };

        // The requester fields hold the account's details (`RequestForm::with_requester`):
        // a problem there is fixed on the account, not on the form.
        let requester_name = short(
            &mut e,
            "requester_name",
            "Your account's name (ask your local administrator)",
            &form.requester_name,
        );
        let requester_phone = short(
            &mut e,
            "requester_phone",
            "Your account's phone number (ask your local administrator to add it)",
            &form.requester_phone,
        );
        if !requester_phone.is_empty() {
            let digits = requester_phone.chars().filter(char::is_ascii_digit).count();
            let allowed = requester_phone
                .chars()
                .all(|c| c.is_ascii_digit() || " +-().xext".contains(c));
            if !(7..=20).contains(&digits) || !allowed {
                e.add(
                    "requester_phone",
                    "Your account's phone number needs an area code, e.g. (213) 555-0142; ask your local administrator to correct it.",
                );
            }
        }
        let requester_email = short(
            &mut e,
            "requester_email",
            "Your account's email",
            &form.requester_email,
        );
        if !requester_email.is_empty() && !is_valid_email(&requester_email) {
            e.add(
                "requester_email",
                "Your account's email address is not valid; ask your local administrator to correct it.",
            );
        }

        let request_date = match NaiveDate::parse_from_str(form.request_date.trim(), "%Y-%m-%d") {
            Ok(d) if d > today => {
                e.add(
                    "request_date",
                    "The date of request cannot be in the future.",
                );
                None
            }
            Ok(d) if (today - d).num_days() > 30 => {
                e.add(
                    "request_date",
                    "The date of request is more than 30 days ago; use today's date.",
                );
                None
            }
            Ok(d) => Some(d),
            Err(_) if form.request_date.trim().is_empty() => {
                e.add("request_date", "Date of request is required.");
                None
            }
            Err(_) => {
                e.add("request_date", "Enter the date as YYYY-MM-DD.");
                None
            }
        };

        let search_reason = clean(&form.search_reason);
        let assessment = reason::assess(&form.search_reason);
        if search_reason.is_empty() {
            e.add("search_reason", "Reason for search is required.");
        } else if assessment.verdict == Verdict::NonCompliant {
            let why = assessment
                .findings
                .iter()
                .filter(|f| f.severity() == Severity::Blocking)
                .map(|f| f.message.as_str())
                .collect::<Vec<_>>()
                .join(" ");
            e.add(
                "search_reason",
                format!("This search reason does not meet LACRIS policy. {why}"),
            );
        }

        let case_file_number = short(
            &mut e,
            "case_file_number",
            "Case/file number",
            &form.case_file_number,
        );

        let purpose = match AuthorizedPurpose::parse(form.authorized_purpose.trim()) {
            Some(p) => Some(p),
            None => {
                e.add(
                    "authorized_purpose",
                    "Choose the authorized purpose of the search.",
                );
                None
            }
        };
        let offense = clean(&form.offense_code);
        if offense.chars().count() > MAX_SHORT {
            e.add(
                "offense_code",
                format!("Offense must be at most {MAX_SHORT} characters."),
            );
        }
        if purpose.is_some_and(AuthorizedPurpose::needs_offense) && offense.is_empty() {
            e.add(
                "offense_code",
                "Give the offense or penal code section (e.g. 211 PC) for a criminal purpose.",
            );
        }

        let image_source = match ImageSource::parse(form.image_source.trim()) {
            Some(ImageSource::DmvCalPhoto) => {
                e.add(
                    "image_source",
                    "DMV / Cal-Photo images may not be used for facial recognition \
                     (Cal-Photo CP 7.21; LACRIS FR Policy, Prohibited Uses). Submit an image from another lawful source.",
                );
                None
            }
            Some(s) => Some(s),
            None => {
                e.add("image_source", "Say where the source image was obtained.");
                None
            }
        };
        let image_source_other = clean(&form.image_source_other);
        if image_source == Some(ImageSource::Other) {
            if image_source_other.is_empty() {
                e.add(
                    "image_source_other",
                    "Describe where the source image was obtained.",
                );
            } else if image_source_other.chars().count() > MAX_TEXT {
                e.add(
                    "image_source_other",
                    format!("Keep the description under {MAX_TEXT} characters."),
                );
            }
        }

        let video_recording = clean(&form.video_recording);
        let video = match form.from_video.trim() {
            "no" => Some(VideoOrigin::NotFromVideo),
            "yes" if video_recording.is_empty() => {
                e.add(
                    "video_recording",
                    "Name the recording the image was extracted from (camera, date, file).",
                );
                None
            }
            "yes" if video_recording.chars().count() > MAX_TEXT => {
                e.add(
                    "video_recording",
                    format!("Keep the description under {MAX_TEXT} characters."),
                );
                None
            }
            "yes" => Some(VideoOrigin::ExtractedFromRecording {
                recording: video_recording.clone(),
            }),
            _ => {
                e.add(
                    "from_video",
                    "Say whether the source image was extracted from a video.",
                );
                None
            }
        };

        let images_declared = match form.images_declared.trim().parse::<usize>() {
            // "Attach at least one image" (below) says it beside the image field.
            Ok(0) if images_attached == 0 => None,
            Ok(0) => {
                e.add("images_declared", "At least one image is required.");
                None
            }
            Ok(n) if n > MAX_IMAGES => {
                e.add(
                    "images_declared",
                    format!("At most {MAX_IMAGES} images per request."),
                );
                None
            }
            Ok(n) => Some(n),
            Err(_) if form.images_declared.trim().is_empty() => {
                e.add("images_declared", "Number of images submitted is required.");
                None
            }
            Err(_) => {
                e.add(
                    "images_declared",
                    "Enter the number of images as a whole number.",
                );
                None
            }
        };
        if images_attached == 0 {
            e.add("images", "Attach at least one image (JPEG, PNG or WebP).");
        } else if let Some(n) = images_declared
            && n != images_attached
        {
            e.add(
                "images_declared",
                format!(
                    "You declared {n} image(s) but {images_attached} are attached; the numbers must match."
                ),
            );
        }

        let signature_name = clean(&form.signature_name);
        if signature_name.is_empty() {
            e.add("signature_name", "Sign by typing your full name.");
        } else if signature_name.chars().count() > MAX_SHORT {
            // Lower-casing can lengthen text ("İ" → "i̇"): the limit is checked on what was
            // typed, before the comparison.
            e.add(
                "signature_name",
                format!("The signature must be at most {MAX_SHORT} characters."),
            );
        } else if !requester_name.is_empty()
            && normalise_name(&signature_name) != normalise_name(&requester_name)
        {
            e.add(
                "signature_name",
                format!(
                    "The signature must be the account holder's full name, {requester_name} (capital letters and spacing do not matter)."
                ),
            );
        }
        if form.attest_lead_only.trim() != "on" {
            e.add(
                "attest_lead_only",
                "You must acknowledge that results are investigative leads only.",
            );
        }
        if form.attest_lawful.trim() != "on" {
            e.add(
                "attest_lawful",
                "You must attest that the images were lawfully obtained.",
            );
        }

        match (request_date, purpose, image_source, video, images_declared) {
            (Some(request_date), Some(purpose), Some(image_source), Some(video), Some(n))
                if e.is_empty() =>
            {
                Ok(SearchRequest {
                    requester_name,
                    requester_phone,
                    requester_email,
                    request_date,
                    search_reason,
                    reason: assessment,
                    case_file_number,
                    offense_code: (!offense.is_empty()).then_some(offense),
                    purpose,
                    image_source,
                    image_source_other: (image_source == ImageSource::Other)
                        .then_some(image_source_other),
                    video,
                    images_declared: n,
                    signature: Signature {
                        full_name: signature_name,
                    },
                })
            }
            _ => Err(e),
        }
    }
}

#[cfg(test)]
mod tests;
