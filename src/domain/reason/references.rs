//! Rules 4 and 5: code-section citations and dates (masked so they are never read as a
//! reference), and the case/booking/citation/incident/... reference numbers.

use std::ops::Range;
use std::sync::LazyLock;

use regex::Regex;

use crate::domain::reason::pattern::compile;

/// Kind of reference number found in a reason.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ReferenceKind {
    /// Case number.
    Case,
    /// Booking number (BK, BKG).
    Booking,
    /// Citation number (cite).
    Citation,
    /// Incident number.
    Incident,
    /// Tag number.
    Tag,
    /// Warrant number (wrnt).
    Warrant,
    /// Report number (rpt).
    Report,
    /// LAPD Division of Records number.
    Dr,
    /// File number.
    File,
    /// A bare "#number" or a generic "Ref" label.
    Other,
}

impl ReferenceKind {
    /// Stable machine string (same as the serde form).
    pub fn as_str(&self) -> &'static str {
        match self {
            ReferenceKind::Case => "case",
            ReferenceKind::Booking => "booking",
            ReferenceKind::Citation => "citation",
            ReferenceKind::Incident => "incident",
            ReferenceKind::Tag => "tag",
            ReferenceKind::Warrant => "warrant",
            ReferenceKind::Report => "report",
            ReferenceKind::Dr => "dr",
            ReferenceKind::File => "file",
            ReferenceKind::Other => "other",
        }
    }

    /// Human label, e.g. "booking number".
    pub fn label(&self) -> &'static str {
        match self {
            ReferenceKind::Case => "case number",
            ReferenceKind::Booking => "booking number",
            ReferenceKind::Citation => "citation number",
            ReferenceKind::Incident => "incident number",
            ReferenceKind::Tag => "tag number",
            ReferenceKind::Warrant => "warrant number",
            ReferenceKind::Report => "report number",
            ReferenceKind::Dr => "DR number",
            ReferenceKind::File => "file number",
            ReferenceKind::Other => "unlabelled reference number",
        }
    }
}

/// A reference number found in the reason. `number` is upper-cased ASCII
/// after normalisation (e.g. "123-89765-0123-41X").
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Reference {
    /// What the label says the number is.
    pub kind: ReferenceKind,
    /// The number itself, upper-cased.
    pub number: String,
}

/// A code-section citation. Group `c` is the citation itself.
pub(super) static PENAL_RE: LazyLock<Regex> = LazyLock::new(|| {
    let core = r"(?:penal\s+code|vehicle\s+code|health\s+(?:and|&)\s+safety\s+code|welfare\s+(?:and|&)\s+institutions?\s+code|business\s+(?:and|&)\s+professions?\s+code|municipal\s+code|p\.?\s?c|v\.?\s?c|cvc|cpc|lamc|h\s?&\s?s(?:\s?c)?|h\.?\s?s\.?(?:\s?c)?|hsc|w\s?&\s?i(?:\s?c)?|w\.?\s?i\.?(?:\s?c)?|wic|b\s?&\s?p(?:\s?c)?|b\.?\s?p\.?(?:\s?c)?|bpc|u\.?\s?s\.?\s?c)";
    let code = format!(r"{core}\b\.?");
    let code_nb = format!(r"{core}\.?");
    let sec = r"\d{1,6}(?:\.\d{1,3})*(?:\s?\([a-z0-9]{1,4}\))*";
    let list = format!(r"{sec}(?:\s*(?:/|&|\band\b|\bor\b)\s*{sec})*");
    compile(&format!(
        r"(?:^|[^\w\-/.#])(?P<c>{list}\s*(?:of\s+the\s+)?{code}|\b{code_nb}\s*(?:§+|\bsec(?:tion)?s?\b\.?)?\s*{list}|§+\s*{list}(?:\s*{code})?)"
    ))
});

/// Calendar dates (numeric). Group `d` is the date.
pub(super) static DATE_RE: LazyLock<Regex> = LazyLock::new(|| {
    compile(
        r"(?:^|[^\w\-/.#])(?P<d>\d{1,2}/\d{1,2}/(?:\d{4}|\d{2})|\d{4}-\d{1,2}-\d{1,2}|\d{1,2}-\d{1,2}-\d{4})\b",
    )
});

/// A labelled reference number.
pub(super) static LABELLED_REF_RE: LazyLock<Regex> = LazyLock::new(|| {
    compile(
        r"(?:^|[^\w])(?P<kind>case|booking|bkg|bk|citation|cite|incident|tag|warrant|wrnt|report|rpt|d\.r\.?|dr|file|reference|ref)(?P<sep>(?:[ ]*,?[ ]*(?:#|no\b\.?|nbr\b\.?|num\b\.?|number\b|:|-|=))*[ ]*)(?P<num>[0-9a-z]+(?:[\-.][0-9a-z]+|/[0-9][0-9a-z]*)*)",
    )
});

/// An unlabelled "#number".
pub(super) static BARE_REF_RE: LazyLock<Regex> = LazyLock::new(|| {
    compile(r"(?:^|[^\w&])#[ ]*(?P<num>[0-9a-z]+(?:[\-.][0-9a-z]+|/[0-9][0-9a-z]*)*)")
});

/// The spans of the named group `group` of every match of `re`.
pub(super) fn find_spans(re: &Regex, text: &str, group: &str) -> Vec<Range<usize>> {
    re.captures_iter(text)
        .filter_map(|c| c.name(group).map(|m| m.range()))
        .collect()
}

/// One reference number found in the masked text.
pub(super) struct FoundRef {
    /// What its label says it is.
    pub(super) kind: ReferenceKind,
    /// The number, upper-cased.
    pub(super) number: String,
    /// Label (or "#") through number, in bytes of the masked text.
    pub(super) span: Range<usize>,
}

/// Every reference number found, in text order.
pub(super) struct RefScan {
    /// The valid reference numbers.
    pub(super) refs: Vec<FoundRef>,
    /// A number made only of zeros was seen (and not counted).
    pub(super) placeholder: bool,
}

enum NumberCheck {
    Valid,
    Placeholder,
    Invalid,
}

fn check_number(num: &str) -> NumberCheck {
    let alnum = num.chars().filter(char::is_ascii_alphanumeric).count();
    let digits: Vec<char> = num.chars().filter(char::is_ascii_digit).collect();
    if alnum < 3 || digits.len() < 2 {
        NumberCheck::Invalid
    } else if digits.iter().all(|d| *d == '0') {
        NumberCheck::Placeholder
    } else {
        NumberCheck::Valid
    }
}

fn kind_of(label: &str) -> ReferenceKind {
    match label {
        "case" => ReferenceKind::Case,
        "booking" | "bkg" | "bk" => ReferenceKind::Booking,
        "citation" | "cite" => ReferenceKind::Citation,
        "incident" => ReferenceKind::Incident,
        "tag" => ReferenceKind::Tag,
        "warrant" | "wrnt" => ReferenceKind::Warrant,
        "report" | "rpt" => ReferenceKind::Report,
        "dr" | "d.r" | "d.r." => ReferenceKind::Dr,
        "file" => ReferenceKind::File,
        _ => ReferenceKind::Other,
    }
}

/// Rule 5: the labelled and bare "#number" references in text whose code sections and
/// dates are already masked.
pub(super) fn find_references(masked: &str) -> RefScan {
    let mut refs: Vec<FoundRef> = Vec::new();
    let mut placeholder = false;
    for caps in LABELLED_REF_RE.captures_iter(masked) {
        let (Some(kind), Some(sep), Some(num)) =
            (caps.name("kind"), caps.name("sep"), caps.name("num"))
        else {
            continue;
        };
        // "casey", "tagalog": a label glued to letters is not a label.
        if sep.as_str().is_empty() && !num.as_str().starts_with(|c: char| c.is_ascii_digit()) {
            continue;
        }
        match check_number(num.as_str()) {
            NumberCheck::Valid => refs.push(FoundRef {
                kind: kind_of(kind.as_str()),
                number: num.as_str().to_ascii_uppercase(),
                span: kind.start()..num.end(),
            }),
            NumberCheck::Placeholder => placeholder = true,
            NumberCheck::Invalid => {}
        }
    }
    for caps in BARE_REF_RE.captures_iter(masked) {
        let Some(num) = caps.name("num") else {
            continue;
        };
        let hash_start = masked[..num.start()].rfind('#').unwrap_or(num.start());
        if refs
            .iter()
            .any(|r| r.span.start <= hash_start && num.end() <= r.span.end)
        {
            continue;
        }
        match check_number(num.as_str()) {
            NumberCheck::Valid => refs.push(FoundRef {
                kind: ReferenceKind::Other,
                number: num.as_str().to_ascii_uppercase(),
                span: hash_start..num.end(),
            }),
            NumberCheck::Placeholder => placeholder = true,
            NumberCheck::Invalid => {}
        }
    }
    refs.sort_by_key(|r| r.span.start);
    RefScan { refs, placeholder }
}
