//! What a lead packet holds: the case, each probe and its candidates, the result, and the
//! fixed wording (banner, caveat) every packet carries.

/// Everything printed in a lead packet. All text is already formatted for display (dates,
/// names, reasons); only the numbers of the candidate are formatted here.
#[derive(Debug, Clone)]
pub struct LeadPacket {
    /// The desk's case number, e.g. `LACRIS-2026-000123`. Must not be empty.
    pub case_number: String,
    pub requesting_agency: String,
    pub requester: String,
    /// The reason for the search as approved; may be long and contain line breaks.
    pub search_reason: String,
    /// The requesting agency's own case or file number.
    pub case_file_number: String,
    pub request_date: String,
    pub approval_date: String,
    pub search_date: String,
    pub result_date: String,
    /// Who approved the request for search (the compliance reviewer), printed in the sign-off
    /// block with [`LeadPacket::approval_date`]; empty when not recorded.
    pub approved_by: String,
    /// The probe images searched, in order. At least one.
    pub probes: Vec<ProbeInfo>,
    pub result: PacketResult,
    /// Every examiner who reviewed the candidate list, in order. At least one; with fewer than
    /// two, [`LeadPacket::single_examiner_note`] must say why policy allowed it.
    pub examiners: Vec<ExaminerView>,
    /// Set when policy allowed a single-examiner result; printed with the examiner review.
    pub single_examiner_note: Option<String>,
    pub issued_at: String,
    /// Who issues the packet, e.g. the service name ("LACRIS").
    pub issuer: String,
    /// Unique id of this packet, printed on every page and stored in the Info dictionary.
    /// Non-empty, at most [`MAX_PACKET_ID_CHARS`] characters, no control characters.
    pub packet_id: String,
}

/// Longest accepted [`LeadPacket::packet_id`], in characters (it must fit the page footer).
pub const MAX_PACKET_ID_CHARS: usize = 64;

/// One probe image as submitted.
#[derive(Debug, Clone)]
pub struct ProbeInfo {
    /// Caption, e.g. "Probe 1 (still from surveillance video)".
    pub label: String,
    /// The image file as received (JPEG, PNG or WebP bytes). It is decoded and embedded as
    /// JPEG at 150–200 dpi of its printed size (see [`crate::result::layout`]).
    pub image: Vec<u8>,
    /// SHA-256 of `image` as stored by the desk (64 hex digits), printed as given.
    pub sha256: String,
    /// Quality summary, e.g. "Face 212×260 px, frontal, sharp".
    pub quality: String,
    /// The face that was searched, in `image` pixels; `None` when no face was found.
    pub face: Option<FaceRegion>,
}

/// Where a face is in a photo, in the photo's pixels: what the comparison crops are cut from.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FaceRegion {
    /// x, y, width, height.
    pub bbox: [f32; 4],
    /// The five landmarks (eyes, nose tip, mouth corners) the face template was aligned on;
    /// `None` for a probe analysed before landmarks were kept (the crop is then cut around
    /// `bbox`, not aligned).
    pub landmarks: Option<[[f32; 2]; 5]>,
}

/// A candidate the examiners reported as a possible lead.
#[derive(Debug, Clone)]
pub struct CandidateInfo {
    /// Which probe image the candidate was found for, e.g. "Probe 1".
    pub probe_label: String,
    /// Index in [`LeadPacket::probes`] of that probe: its face is cropped beside the
    /// candidate's.
    pub probe_index: usize,
    /// The booking photo (JPEG, PNG or WebP bytes).
    pub booking_photo: Vec<u8>,
    /// The candidate's face in `booking_photo` (from the gallery template); in a group photo,
    /// which of the faces is the candidate. `None` when the template row is gone.
    pub face: Option<FaceRegion>,
    pub booking_number: String,
    pub subject_id: String,
    /// 1-based rank in the stored candidate list.
    pub rank: u32,
    /// Model similarity score (cosine, as produced by the face engine); printed with 3 decimals.
    pub similarity: f32,
    /// Calibrated false-match rate at this similarity: the share of comparisons between
    /// *different* people that score at least this high (0 ≤ rate ≤ 1).
    pub false_match_rate: f64,
    /// Face model name and version.
    pub model: String,
}

/// The finished result of a search.
#[derive(Debug, Clone)]
pub enum PacketResult {
    /// One or more candidates (at most one per probe in practice; never empty).
    PossibleLead(Vec<CandidateInfo>),
    NoLead,
    /// No probe image held a face the detector could find: no search was run, there was no
    /// candidate list and no examiner review. A no-lead result that says why.
    NoSearchableFace,
}

/// One examiner's part in the review.
#[derive(Debug, Clone)]
pub struct ExaminerView {
    pub name: String,
    /// "first examiner", "second examiner", "supervisor", …
    pub role: String,
    /// What they decided, e.g. "Possible lead: candidate 3" or "No lead".
    pub disposition: String,
    /// Free-text notes; may be empty.
    pub notes: String,
    /// When the review or adjudication was recorded, formatted for display.
    pub date: String,
}

/// The caveat printed in every packet (LACRIS policy, "Face Search Requests";
/// NY MPTC model policy §IV.E.3–4).
pub const CAVEAT: &str = "This result is an investigative lead only. It is NOT a positive \
identification of any person and does NOT establish probable cause to arrest. Any possible \
connection of a candidate to the investigation must be corroborated by further investigation \
and investigative resources. This result may not be the sole basis for an arrest, a detention \
or a warrant application.";

/// Where [`CAVEAT`] comes from, printed under it.
pub const CAVEAT_SOURCE: &str = "LACRIS Facial Recognition Policy, \"Face Search Requests\"; \
NY MPTC Facial Recognition Model Policy, Section IV.E.3-4.";

/// The statement of a no-lead packet.
pub const NO_LEAD_TEXT: &str = "No investigative lead was developed. This does not mean the \
person is not in the gallery.";

/// The banner at the top and bottom of every page.
pub const BANNER: &str = "INVESTIGATIVE LEAD ONLY — NOT A POSITIVE IDENTIFICATION";

/// The protective marking above the top banner and below the footer of every page, and in the
/// result email: the packet is disseminated only on a need to know (NY MPTC §IV.G).
pub const MARKING: &str = "LAW ENFORCEMENT SENSITIVE";
