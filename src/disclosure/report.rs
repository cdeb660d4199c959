//! The disclosure package's PDF report (issue 17): the same facts as the ZIP's JSON, laid out
//! for a judge on the packets' page layout ([`crate::platform::pdf::flow::PlainDocument`]) and
//! signed with the packets' CMS signature ([`crate::platform::pdf::sign`]). Every page carries
//! the banner, the case and package ids, and — for an unredacted package — the order under
//! which it was made.

use serde_json::Value;

use crate::disclosure::facts::Facts;
use crate::platform::pdf::flow::{Block, PlainDocument, render_document};

/// The banner of a package released under a protective order.
pub const PROTECTIVE_BANNER: &str = "LAW ENFORCEMENT SENSITIVE — DISCLOSURE UNDER PROTECTIVE ORDER";
/// The banner otherwise.
pub const PLAIN_BANNER: &str = "FACE RECOGNITION DISCLOSURE — INVESTIGATIVE LEAD ONLY";

fn s(v: &Value) -> String {
    match v {
        Value::Null => "(none)".into(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn field(label: &str, v: &Value) -> Block {
    Block::Field(label.to_string(), s(v))
}

fn person(v: &Value) -> String {
    match v {
        Value::Null => "(none)".into(),
        p => format!("{} <{}>", s(&p["name"]), s(&p["email"])),
    }
}

fn arr(v: &Value) -> &[Value] {
    v.as_array().map(Vec::as_slice).unwrap_or(&[])
}

/// Lays the report out as an unsigned PDF. `protective_order` chooses the
/// [`PROTECTIVE_BANNER`].
///
/// Errors: the PDF library failed.
pub fn render(f: &Facts, protective_order: bool) -> anyhow::Result<Vec<u8>> {
    let d = &f.disclosure;
    let unredacted = d["redacted"] == Value::Bool(false);
    let mut b = vec![
        Block::Title("Face recognition search: disclosure report".into()),
        field("Case", &d["case_number"]),
        field("Package", &d["disclosure_id"]),
        field("Made at", &d["made_at"]),
        field("Issued by", &d["issued_by"]),
        field("Legal basis", &d["legal_basis"]),
        Block::Field(
            "Redaction".into(),
            if unredacted {
                format!(
                    "UNREDACTED under order: {}",
                    s(&d["unredacted_under_order"])
                )
            } else {
                "Non-lead candidates redacted (rank, score and a salted hash only)".into()
            },
        ),
        field("Prepared by", &d["prepared_by"]),
        field("Approved by", &d["approved_by"]),
        field("Result", &d["result"]),
    ];
    if d["prepared_and_approved_from_command_line"] == Value::Bool(true) {
        b.push(Block::Small(
            "Made from the command line: the operator named above stands in for both the preparer and the approver."
                .into(),
        ));
    }
    b.push(Block::Small(
        "The ZIP file of this package holds the same facts as JSON, the probe images as received and a manifest of SHA-256 for every file, signed with the desk's key. `frdesk disclosure verify` checks it."
            .into(),
    ));

    let sy = &f.system;
    b.push(Block::Heading("1. The system".into()));
    b.push(Block::Field(
        "Software".into(),
        format!(
            "{} {}",
            s(&sy["product"]["name"]),
            s(&sy["product"]["version"])
        ),
    ));
    for (label, m) in [
        ("Face detector", &sy["detector"]),
        ("Face embedder", &sy["embedder"]),
    ] {
        b.push(Block::Field(
            label.into(),
            format!(
                "{} {} (file {}, SHA-256 {}; licence {}; {})",
                s(&m["id"]),
                s(&m["version"]),
                s(&m["file"]),
                s(&m["sha256_of_file_now"]),
                s(&m["licence"]),
                s(&m["origin"])
            ),
        ));
    }
    b.push(field("Candidate-list length", &sy["candidate_list_length"]));
    b.push(Block::Small(s(&sy["source_code"])));

    let er = &f.error_rates;
    b.push(Block::Heading("2. Documented error rates".into()));
    b.push(field("Model calibrated", &er["model"]));
    b.push(field("Data set", &er["dataset"]));
    b.push(field("Method", &er["method"]));
    b.push(field("Impostor comparisons", &er["impostor_comparisons"]));
    b.push(field(
        "Rank-1 identification",
        &er["accuracy"]["rank1_identification_rate"],
    ));
    b.push(field(
        "Rank-20 identification",
        &er["accuracy"]["rank20_identification_rate"],
    ));
    b.push(field(
        "Pairs verification accuracy",
        &er["accuracy"]["pairs_verification_accuracy"],
    ));
    b.push(Block::Small(s(&er["meaning"])));

    b.push(Block::Heading("3. The gallery at search time".into()));
    for g in arr(&f.gallery["searches"]) {
        let sources: Vec<String> = arr(&g["sources"])
            .iter()
            .map(|x| format!("{}: {}", s(&x["source_system"]), s(&x["templates"])))
            .collect();
        b.push(Block::Field(
            format!("Probe {}", s(&g["probe"])),
            format!(
                "{} templates of {} people ({}) at {}; sources: {}; from the {}",
                s(&g["templates"]),
                s(&g["subjects"]),
                s(&g["model"]),
                s(&g["at"]),
                if sources.is_empty() {
                    "not recorded".to_string()
                } else {
                    sources.join(", ")
                },
                s(&g["basis"])
            ),
        ));
    }
    for l in arr(&f.gallery["possible_leads"]) {
        for r in arr(&l["gallery_log"]) {
            b.push(Block::Field(
                format!("Lead, probe {} rank {}", s(&l["probe"]), s(&l["rank"])),
                format!(
                    "{} {} at {}: booking {} from {}; reason: {}; by {}",
                    s(&r["action"]),
                    s(&r["subject_key"]),
                    s(&r["at"]),
                    s(&r["booking_number"]),
                    s(&r["source_system"]),
                    s(&r["reason"]),
                    s(&r["actor"])
                ),
            ));
        }
    }
    b.push(Block::Small(s(&f.gallery["sources"])));
    b.push(Block::Small(format!(
        "Gallery log began {}. {}",
        s(&f.gallery["gallery_log_began"]),
        s(&f.gallery["gallery_log_note"])
    )));

    let r = &f.request;
    b.push(Block::Heading("4. The request and its review".into()));
    b.push(Block::Field(
        "Requesting agency".into(),
        format!(
            "{} ({})",
            s(&r["requesting_agency"]["name"]),
            s(&r["requesting_agency"]["ori"])
        ),
    ));
    b.push(Block::Field(
        "Requested by".into(),
        person(&r["requested_by"]),
    ));
    b.push(field("Case/file number", &r["case_file_number"]));
    b.push(field("Reason for the search", &r["search_reason"]));
    b.push(field("Submitted", &r["submitted_at"]));
    b.push(Block::Field(
        "Versions submitted".into(),
        arr(&r["versions"]).len().to_string(),
    ));
    for dcs in arr(&r["compliance_decisions"]) {
        b.push(Block::Field(
            format!("Compliance decision (v{})", s(&dcs["version"])),
            format!(
                "{} by {} at {}: {}",
                s(&dcs["decision"]),
                person(&dcs["reviewer"]),
                s(&dcs["at"]),
                s(&dcs["comment"])
            ),
        ));
    }
    b.push(Block::Field(
        "Messages".into(),
        format!("{} (texts in request.json)", arr(&r["messages"]).len()),
    ));

    b.push(Block::Heading("5. The probe images".into()));
    for p in arr(&f.probes) {
        b.push(Block::Field(
            format!("Probe {}", s(&p["probe"])),
            format!(
                "{} ({} x {} px, {} bytes), SHA-256 {}; face searched: {} chosen by {}",
                s(&p["original_name"]),
                s(&p["width"]),
                s(&p["height"]),
                s(&p["bytes"]),
                s(&p["sha256"]),
                s(&p["face_chosen"]),
                person(&p["face_chosen_by"])
            ),
        ));
    }

    b.push(Block::Heading("6. The searches".into()));
    for sr in arr(&f.searches) {
        b.push(Block::Strong(format!(
            "Probe {}: {}, started by {} at {}, searched at {} with {}",
            s(&sr["probe"]),
            s(&sr["status"]),
            person(&sr["started_by"]),
            s(&sr["started_at"]),
            s(&sr["searched_at"]),
            s(&sr["parameters"]["model"])
        )));
        for c in arr(&sr["candidates"]) {
            let who = if c["redacted"] == Value::Bool(true) {
                format!("redacted, record hash {}", s(&c["record_hash"]))
            } else {
                format!(
                    "{} ({}), booking {}",
                    s(&c["name"]),
                    s(&c["subject_key"]),
                    s(&c["booking_number"])
                )
            };
            b.push(Block::Paragraph(format!(
                "Rank {}: similarity {:.3}, false-match rate {} ({}){}; {}",
                s(&c["rank"]),
                c["similarity"].as_f64().unwrap_or(f64::NAN),
                s(&c["false_match_rate"]),
                s(&c["false_match_rate_text"]),
                if c["possible_lead"] == Value::Bool(true) {
                    " — POSSIBLE LEAD"
                } else {
                    ""
                },
                who
            )));
        }
    }

    b.push(Block::Heading("7. The examination".into()));
    for e in arr(&f.examinations) {
        let training: Vec<String> = arr(&e["examiner_training"])
            .iter()
            .map(|t| {
                format!(
                    "{} ({}, {})",
                    s(&t["kind"]),
                    s(&t["provider"]),
                    s(&t["completed_on"])
                )
            })
            .collect();
        b.push(Block::Field(
            format!("Probe {}, {} round", s(&e["probe"]), s(&e["round"])),
            format!(
                "{} at {}; training: {}; comment: {}",
                person(&e["examiner"]),
                s(&e["at"]),
                if training.is_empty() {
                    "none on record".into()
                } else {
                    training.join("; ")
                },
                s(&e["comment"])
            ),
        ));
        b.push(Block::Small(format!(
            "Dispositions, features compared and notes: {}",
            e["review"]
        )));
    }

    b.push(Block::Heading("8. Packets issued".into()));
    for p in arr(&f.packets["packets"]) {
        b.push(Block::Field(
            s(&p["packet_id"]),
            format!(
                "{}; {}; issued {}; SHA-256 {}{}",
                s(&p["result"]),
                s(&p["standing"]).to_uppercase(),
                s(&p["issued_at"]),
                s(&p["sha256"]),
                p["superseded_reason"]
                    .as_str()
                    .map(|r| format!("; {r}"))
                    .unwrap_or_default()
            ),
        ));
    }
    for rl in arr(&f.packets["releases"]) {
        b.push(Block::Small(format!(
            "Released {} by {} via {} to {}",
            s(&rl["at"]),
            s(&rl["released_by"]),
            s(&rl["channel"]),
            s(&rl["recipient_address"])
        )));
    }

    let a = &f.audit;
    b.push(Block::Heading("9. Audit records of the case".into()));
    b.push(Block::Field(
        "Records".into(),
        format!(
            "{} (case sequence {} to {}); chain head at export: record {} {}",
            s(&a["count"]),
            s(&a["first_seq"]),
            s(&a["last_seq"]),
            s(&a["chain_head_at_export"]["id"]),
            s(&a["chain_head_at_export"]["hash"])
        ),
    ));
    for rec in arr(&a["records"]) {
        b.push(Block::Small(format!(
            "#{} (id {}) {} {} by {} — {} — hash {}",
            s(&rec["case_seq"]),
            s(&rec["id"]),
            s(&rec["at"]),
            s(&rec["action"]),
            s(&rec["user_email"]),
            s(&rec["outcome"]),
            s(&rec["hash"])
        )));
    }

    b.push(Block::Heading("10. Not included".into()));
    for n in arr(&d["not_included"]) {
        b.push(Block::Paragraph(s(n)));
    }

    let footer = if unredacted {
        format!(
            "{} — UNREDACTED under order {}",
            s(&d["disclosure_id"]),
            s(&d["unredacted_under_order"])
        )
    } else {
        format!("{} — non-lead candidates redacted", s(&d["disclosure_id"]))
    };
    let doc = PlainDocument {
        title: format!("Disclosure {}", s(&d["disclosure_id"])),
        banner: if protective_order {
            PROTECTIVE_BANNER
        } else {
            PLAIN_BANNER
        }
        .into(),
        header_left: format!("{} — case {}", s(&d["issued_by"]), f.case_number),
        header_right: format!("Disclosure {}", s(&d["disclosure_id"])),
        footer_left: footer,
        author: s(&d["issued_by"]),
        blocks: b,
    };
    Ok(render_document(&doc)?)
}
