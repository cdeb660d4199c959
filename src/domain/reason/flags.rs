//! Rule 7: the reviewer-flag findings and their wording.

use std::collections::BTreeSet;

use crate::domain::reason::codes;
use crate::domain::reason::obfuscation::{unleet, unspace};
use crate::domain::reason::rules::Category::{
    FirstAmendment as FA, NonOfficial as NO, PositiveId as PI, Protected as PC,
};
use crate::domain::reason::rules::{Category, scan_flags};
use crate::domain::reason::verdict::Finding;

/// Rule 7: the reviewer-flag findings for the lower-cased text, one per category with every
/// term found, plus [`codes::OBFUSCATED_WORDING`] for terms found only in a disguised view
/// (digits, symbols or spacing undone, or the text reversed when it carried bidi controls).
pub(super) fn flag_findings(lower: &str, had_bidi: bool) -> Vec<Finding> {
    let direct: BTreeSet<(Category, String)> = scan_flags(lower).into_iter().collect();
    let mut disguised: BTreeSet<(Category, String)> = BTreeSet::new();
    let mut views = vec![unleet(lower), unspace(lower), unspace(&unleet(lower))];
    if had_bidi {
        // A direction override can make "tsetorp" display as "protest".
        views.push(lower.chars().rev().collect());
    }
    for view in views {
        if view == lower {
            continue;
        }
        for hit in scan_flags(&view) {
            if !direct.contains(&hit) {
                disguised.insert(hit);
            }
        }
    }
    let all: BTreeSet<(Category, String)> = direct.union(&disguised).cloned().collect();
    let terms = |cat: Category| -> Vec<String> {
        let mut v: Vec<String> = all
            .iter()
            .filter(|(c, _)| *c == cat)
            .map(|(_, t)| format!("'{t}'"))
            .collect();
        v.dedup();
        v
    };

    let mut out = Vec::new();
    let fa = terms(FA);
    if !fa.is_empty() {
        out.push(Finding {
            code: codes::FIRST_AMENDMENT_ACTIVITY,
            message: format!(
                "Mentions {}, which may point at First-Amendment activity (protest, assembly, \
                 worship, political or union activity, the press, a lawful event). A search \
                 may not be based on religious, political or social views or activities or on \
                 taking part in a lawful event (NY MPTC §V.B.1–2). Reviewer: confirm the search \
                 is tied to specific criminal conduct by an individual before it runs.",
                fa.join(", ")
            ),
        });
    }
    let pc = terms(PC);
    if !pc.is_empty() {
        out.push(Finding {
            code: codes::PROTECTED_CHARACTERISTIC,
            message: format!(
                "Mentions {}, a protected characteristic (race, color, ethnicity, national \
                 origin, immigration status, religion or creed, sex, gender identity or \
                 expression, sexual orientation, marital status, disability). A search may not \
                 be based on these (NY MPTC §V.B.3). Reviewer: confirm the reason rests on \
                 criminal conduct or another permitted use (NY MPTC §IV.B), not on the \
                 characteristic.",
                pc.join(", ")
            ),
        });
    }
    let no = terms(NO);
    if !no.is_empty() {
        out.push(Finding {
            code: codes::NON_OFFICIAL_PURPOSE,
            message: format!(
                "Mentions {}, which suggests a personal, test or training search. Face search \
                 is for official law-enforcement purposes only (NY MPTC §V.A; LACRIS \
                 'Prohibited Uses'). Reviewer: confirm the official purpose.",
                no.join(", ")
            ),
        });
    }
    let pi = terms(PI);
    if !pi.is_empty() {
        out.push(Finding {
            code: codes::POSITIVE_IDENTIFICATION_LANGUAGE,
            message: format!(
                "Mentions {}. Face search results are investigative leads only and are never a \
                 positive identification (LACRIS 'Face Search Requests'; NY MPTC §IV.E.3). \
                 Reviewer: make sure the requester knows the result needs corroboration; \
                 requester: describe the purpose instead, e.g. 'Identify robbery suspect'.",
                pi.join(", ")
            ),
        });
    }
    if !disguised.is_empty() {
        let list: Vec<String> = disguised.iter().map(|(_, t)| format!("'{t}'")).collect();
        out.push(Finding {
            code: codes::OBFUSCATED_WORDING,
            message: format!(
                "Some words were written with digits, symbols or spacing in place of letters and \
                 were read as {}. Reviewer: check whether this was done to avoid review.",
                list.join(", ")
            ),
        });
    }
    out
}
