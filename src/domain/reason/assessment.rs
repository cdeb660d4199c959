//! [`assess`]: the rules applied in order (see [`crate::domain::reason`]) and the verdict
//! precedence.

use crate::domain::reason::codes;
use crate::domain::reason::flags::flag_findings;
use crate::domain::reason::normalise::normalise;
use crate::domain::reason::purpose::purpose_words;
use crate::domain::reason::references::{
    DATE_RE, PENAL_RE, Reference, ReferenceKind, find_references, find_spans,
};
use crate::domain::reason::severity::Severity;
use crate::domain::reason::verdict::{Finding, ReasonAssessment, Verdict};

/// Longest accepted reason, in Unicode scalar values (after trimming).
pub const MAX_REASON_CHARS: usize = 500;

/// At most this many characters of an over-long reason are examined.
pub const MAX_SCAN_CHARS: usize = 10_000;

const FIX_EXAMPLE: &str = "e.g. 'Case# 123-89765, 211 PC' or 'Wristband Verification, BK#7654321'";

/// Assess one search reason. See the [`crate::domain::reason`] documentation for the rules
/// and the verdict precedence.
pub fn assess(text: &str) -> ReasonAssessment {
    let mut findings = Vec::new();
    let trimmed_chars = text.trim().chars().count();
    // The scan window starts after leading whitespace, as the length does: padding must not
    // push the reason out of the window (found by fuzzing: 10,000 spaces made a compliant
    // reason "empty").
    let scanned: String = text.trim_start().chars().take(MAX_SCAN_CHARS).collect();
    let norm = normalise(&scanned);

    if norm.removed_invisible > 0 {
        findings.push(Finding {
            code: codes::CONTROL_CHARACTERS_REMOVED,
            message: format!(
                "{} invisible or control character(s) (e.g. zero-width spaces, direction \
                 overrides) were removed before checking. Retype the reason as plain text.",
                norm.removed_invisible
            ),
        });
    }
    if norm.folded {
        findings.push(Finding {
            code: codes::CONFUSABLE_CHARACTERS_FOLDED,
            message: "Look-alike, full-width or other special characters were converted to \
                      plain letters and digits before checking (e.g. Cyrillic 'С' to 'C', \
                      '１' to '1'). Retype the reason in plain characters."
                .to_string(),
        });
    }
    if norm.text.is_empty() {
        findings.push(Finding {
            code: codes::EMPTY,
            message: format!("The search reason is empty. State the purpose and the case, booking, citation, incident or warrant number, {FIX_EXAMPLE}."),
        });
        return finish(findings, None);
    }
    if trimmed_chars > MAX_REASON_CHARS {
        findings.push(Finding {
            code: codes::TOO_LONG,
            message: format!(
                "The search reason is {trimmed_chars} characters long; the limit is \
                 {MAX_REASON_CHARS}. Give a short purpose and the reference number, {FIX_EXAMPLE}, \
                 and keep case narrative in the case file."
            ),
        });
    }

    let lower = norm.text.to_lowercase();

    // Rule 4: mask code sections and dates so they are never read as references.
    let penal = find_spans(&PENAL_RE, &lower, "c");
    let dates = find_spans(&DATE_RE, &lower, "d");
    let mut masked = lower.clone();
    for r in penal.iter().chain(dates.iter()) {
        masked.replace_range(r.clone(), &"~".repeat(r.len()));
    }

    // Rule 5: reference numbers.
    let scan = find_references(&masked);
    let refs = &scan.refs;
    if refs.is_empty() {
        if scan.placeholder {
            findings.push(Finding {
                code: codes::PLACEHOLDER_REFERENCE_NUMBER,
                message: "The reference number is only zeros, which looks like a placeholder. \
                          Enter the real case, booking, citation, incident or warrant number."
                    .to_string(),
            });
        }
        let penal_note = if penal.is_empty() {
            ""
        } else {
            " A penal or vehicle code section (such as '211 PC') names the offence, not the \
             case, so it does not count as a reference number."
        };
        findings.push(Finding {
            code: codes::MISSING_REFERENCE_NUMBER,
            message: format!(
                "No reference number found. Add the case, booking, citation, incident or \
                 warrant number, {FIX_EXAMPLE}.{penal_note}"
            ),
        });
    }

    // Rule 6: purpose.
    let mut residue = masked.clone();
    for r in refs.iter().map(|r| &r.span) {
        residue.replace_range(r.clone(), &" ".repeat(r.len()));
    }
    let purpose_words = purpose_words(&residue);
    if refs.is_empty() && !penal.is_empty() && purpose_words.is_empty() {
        findings.push(Finding {
            code: codes::PENAL_CODE_ONLY,
            message: "The reason is only a code section (e.g. '211 PC'). That states the \
                      offence but not which case: add the case, booking, citation, incident or \
                      warrant number, e.g. 'Case# 123-89765, 211 PC'."
                .to_string(),
        });
    } else if purpose_words.is_empty() && penal.is_empty() {
        findings.push(Finding {
            code: codes::MISSING_PURPOSE,
            message: "The reason does not say why the search is needed. Add the purpose next \
                      to the number, e.g. the offence ('211 PC') or the task ('Wristband \
                      Verification', 'Release Citation', 'John Smith housing')."
                .to_string(),
        });
    }

    // Rule 7: reviewer flags.
    findings.extend(flag_findings(&lower, norm.had_bidi));

    if refs.iter().any(|r| r.kind == ReferenceKind::Other) {
        findings.push(Finding {
            code: codes::REFERENCE_KIND_UNSPECIFIED,
            message: "A number was given without saying what it is. Reviewer: confirm it is a \
                      case, booking, citation, incident or warrant number. Requester: label \
                      it, e.g. 'Case# 123-456' instead of '#123-456'."
                .to_string(),
        });
    }
    if !refs.is_empty() {
        let list: Vec<String> = refs
            .iter()
            .map(|r| format!("{} {}", r.kind.label(), r.number))
            .collect();
        findings.push(Finding {
            code: codes::REFERENCE_NUMBER_FOUND,
            message: format!("Reference found: {}.", list.join("; ")),
        });
    }

    let reference = refs.first().map(|r| Reference {
        kind: r.kind,
        number: r.number.clone(),
    });
    finish(findings, reference)
}

/// The verdict from the worst finding (blocking, then review, then compliant).
fn finish(findings: Vec<Finding>, reference: Option<Reference>) -> ReasonAssessment {
    let worst = findings.iter().map(Finding::severity).max();
    let verdict = match worst {
        Some(Severity::Blocking) => Verdict::NonCompliant,
        Some(Severity::Review) => Verdict::NeedsReview,
        _ => Verdict::Compliant,
    };
    ReasonAssessment {
        verdict,
        findings,
        reference,
    }
}
