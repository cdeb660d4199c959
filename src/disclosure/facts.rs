//! Assembling a disclosure package's facts (issue 17) from the database and the stores, as of
//! the moment it is made: the system, its documented error rates, the gallery at search time,
//! the request with every version, the compliance decisions, the messages, the probe images,
//! every search run with its candidate list (non-leads redacted unless an order allows),
//! the examinations with the examiners' training, the packets, the releases and the case's audit
//! records with their chain positions, hashes and per-case sequence numbers.
//!
//! Each fact group becomes one JSON file of the ZIP ([`Facts::files`]); the PDF report
//! ([`crate::disclosure::report`]) prints the same values.

use std::path::PathBuf;

use anyhow::Context;
use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::accounts::store::{Agency, User};
use crate::audit::store::AuditRecord;
use crate::cases::images::ImageStore;
use crate::cases::messages::Message;
use crate::cases::store::{Case, CaseImage, RequestVersion, TimelineEvent};
use crate::compliance::store::Decision;
use crate::disclosure::redact::candidate_json;
use crate::disclosure::store::Disclosure;
use crate::domain::{AgencyId, UserId};
use crate::examination::standing::Examination;
use crate::platform::db::DbConnection;
use crate::result::dissemination::Dissemination;
use crate::result::outcome::{CaseOutcome, case_outcome};
use crate::result::store::PacketRecord;
use crate::search::{ProbeSearch, StoredCandidate};

/// What assembling needs from the settings.
#[derive(Debug, Clone)]
pub struct FactsContext {
    /// Where the probe images are kept; its store also holds the packets
    /// (`packets/<packet id>.pdf`) and the released packages.
    pub images: ImageStore,
    /// The models folder with `manifest.toml` and the calibration file.
    pub models_dir: PathBuf,
    /// `face.candidates`: the candidate-list length searches use.
    pub candidates: usize,
    /// `face.single_examiner_allowed`.
    pub single_examiner_allowed: bool,
    /// The service's name (issuer).
    pub service_name: String,
}

/// The facts of one package: JSON values by group, and the files to ship as they are.
#[derive(Debug, Clone)]
pub struct Facts {
    pub case_number: String,
    pub disclosure: Value,
    pub system: Value,
    pub error_rates: Value,
    pub gallery: Value,
    pub request: Value,
    pub probes: Value,
    pub searches: Value,
    pub examinations: Value,
    pub packets: Value,
    pub audit: Value,
    /// Files shipped byte for byte: (path in the ZIP, bytes) — probe images as received, the
    /// model manifest, the issued packets.
    pub originals: Vec<(String, Vec<u8>)>,
    /// The lead candidates' subject keys, names and booking numbers (never redacted).
    pub lead_names: Vec<String>,
}

/// The JSON files of the package, in the order listed in the manifest.
pub const JSON_FILES: [&str; 10] = [
    "disclosure.json",
    "system.json",
    "error_rates.json",
    "gallery.json",
    "request.json",
    "probes.json",
    "searches.json",
    "examinations.json",
    "packets.json",
    "audit.json",
];

impl Facts {
    /// Every JSON file of the package as (path, pretty-printed bytes).
    ///
    /// Errors: serialising failed.
    pub fn files(&self) -> anyhow::Result<Vec<(String, Vec<u8>)>> {
        let values = [
            &self.disclosure,
            &self.system,
            &self.error_rates,
            &self.gallery,
            &self.request,
            &self.probes,
            &self.searches,
            &self.examinations,
            &self.packets,
            &self.audit,
        ];
        let mut out = Vec::new();
        for (name, v) in JSON_FILES.iter().zip(values) {
            out.push((name.to_string(), serde_json::to_vec_pretty(v)?));
        }
        Ok(out)
    }
}

/// The audit-record time as the chain hashes it (`src/audit/chain.rs`).
pub const AUDIT_TIME_FORMAT: &str = "%Y-%m-%dT%H:%M:%S%.6f";

fn t(v: &NaiveDateTime) -> String {
    v.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

fn ot(v: &Option<NaiveDateTime>) -> Value {
    v.as_ref().map_or(Value::Null, |v| Value::String(t(v)))
}

fn parse_json(s: &str) -> Value {
    serde_json::from_str(s).unwrap_or_else(|_| Value::String(s.to_string()))
}

/// A person as named in the package: id, name, email and roles (`None`: unknown id).
fn person(conn: &mut DbConnection, id: Option<i64>) -> anyhow::Result<Value> {
    let Some(id) = id else {
        return Ok(Value::Null);
    };
    Ok(match users_find(conn, id)? {
        Some(u) => json!({"user_id": u.id, "name": u.name, "email": u.email, "roles": u.roles}),
        None => json!({"user_id": id}),
    })
}

fn users_find(conn: &mut DbConnection, id: i64) -> anyhow::Result<Option<User>> {
    use crate::platform::db::schema::users;
    Ok(users::table
        .find(id)
        .select(User::as_select())
        .first(conn)
        .optional()?)
}

/// SHA-256 (hex) of a file, `None` when it cannot be read.
fn file_sha256(path: &std::path::Path) -> Option<String> {
    std::fs::read(path)
        .ok()
        .map(|b| hex::encode(Sha256::digest(&b)))
}

/// The system: product and version, detector and embedder (ids, versions, file SHA-256 as
/// listed and as measured now, source, licence), detector settings, candidate-list length.
fn system(ctx: &FactsContext) -> anyhow::Result<(Value, crate::disclosure::package::NamedFiles)> {
    let manifest = crate::face::manifest::ModelManifest::load(&ctx.models_dir)
        .context("Failed to read the model manifest")?;
    let raw = std::fs::read(ctx.models_dir.join("manifest.toml"))
        .context("Failed to read models/manifest.toml")?;
    let sources: toml::Table = toml::from_str(&String::from_utf8_lossy(&raw))
        .context("Failed to parse models/manifest.toml")?;
    let model = |m: &crate::face::manifest::ModelSpec| {
        let source = m
            .source
            .as_ref()
            .and_then(|k| sources.get("sources").and_then(|s| s.get(k)))
            .map(|s| serde_json::to_value(s).unwrap_or(Value::Null))
            .unwrap_or(Value::Null);
        json!({
            "id": m.id,
            "version": m.version,
            "kind": m.kind,
            "file": m.file,
            "sha256_listed": m.sha256,
            "sha256_of_file_now": file_sha256(&manifest.model_path(m)),
            "licence": m.licence,
            "origin": m.origin,
            "source_package": source,
            "source_path": m.source_path,
        })
    };
    let v = json!({
        "product": {"name": env!("CARGO_PKG_NAME"), "version": env!("CARGO_PKG_VERSION"),
                    "description": env!("CARGO_PKG_DESCRIPTION")},
        "operated_by": ctx.service_name,
        "detector": model(&manifest.detector),
        "detector_settings": {
            "score_threshold": manifest.detector_settings.score_threshold,
            "nms_iou": manifest.detector_settings.nms_iou,
        },
        "embedder": model(&manifest.embedder),
        "candidate_list_length": ctx.candidates,
        "model_manifest_file": "system/model-manifest.toml",
        "source_code": "Not included: proprietary source code needs a stronger showing (State v. Miles). The model files' SHA-256 identify the exact models used.",
    });
    Ok((v, vec![("system/model-manifest.toml".to_string(), raw)]))
}

/// The documented error rates: the calibration the deployment uses (data set, method,
/// impostor comparisons, rank-1/rank-20, pairs accuracy, the similarity → false-match-rate
/// table).
fn error_rates(ctx: &FactsContext) -> anyhow::Result<Value> {
    let manifest = crate::face::manifest::ModelManifest::load(&ctx.models_dir)
        .context("Failed to read the model manifest")?;
    let path = manifest.calibration_path();
    let cal = crate::gallery::calibration::Calibration::load(&path)
        .with_context(|| format!("Failed to read the calibration {}", path.display()))?;
    let table: Vec<Value> = cal
        .thresholds
        .iter()
        .zip(&cal.fmr)
        .map(|(th, f)| json!({"similarity_at_least": th, "false_match_rate": f}))
        .collect();
    Ok(json!({
        "model": format!("{} {}", cal.model_id, cal.model_version),
        "calibration_file": manifest.embedder_settings.calibration,
        "calibration_file_sha256": file_sha256(&path),
        "dataset": cal.dataset,
        "method": cal.method,
        "impostor_comparisons": cal.impostor_comparisons,
        "accuracy": cal.accuracy.as_ref().map(|a| json!({
            "probes": a.probes,
            "rank1_identification_rate": a.rank1,
            "rank20_identification_rate": a.rank20,
            "pairs_verification_accuracy": a.pairs_accuracy,
        })),
        "benchmark_document": "docs/BENCHMARKS.md and docs/FACE.md (accuracy protocol)",
        "meaning": "false_match_rate = share of comparisons between different people (impostors) in the calibration set scoring at least this similarity; it is not the probability that a candidate is the person",
        "similarity_to_false_match_rate": table,
    }))
}

/// The gallery at the time of one search, from the append-only gallery log
/// (`crate::gallery::log`): templates of the searched model enrolled (or in the baseline) by
/// then and not removed by then, with their source systems. A search that ran before the log
/// began is reconstructed from today's tables (enrollment times of templates, removal times
/// of subjects), and `basis` says so.
fn gallery_at(
    conn: &mut DbConnection,
    model_key: &str,
    at: NaiveDateTime,
) -> anyhow::Result<Value> {
    use crate::gallery::schema::{gallery_subjects as s, gallery_templates as tpl};
    let (model_id, model_version) = model_key.split_once('/').unwrap_or((model_key, ""));
    let logged = crate::gallery::log::state_at(conn, model_id, model_version, at)?;
    if !logged.before_log {
        return Ok(json!({
            "model": model_key,
            "at": t(&at),
            "templates": logged.templates,
            "subjects": logged.subjects,
            "sources": logged.sources.iter()
                .map(|(source, n)| json!({"source_system": source, "templates": n}))
                .collect::<Vec<_>>(),
            "basis": "gallery log",
        }));
    }
    let rows: Vec<(i64, Option<NaiveDateTime>)> = tpl::table
        .inner_join(s::table.on(s::id.eq(tpl::subject_id)))
        .filter(tpl::model_id.eq(model_id))
        .filter(tpl::model_version.eq(model_version))
        .filter(tpl::created_at.le(at))
        .select((s::id, s::removed_at))
        .load(conn)?;
    let live: Vec<i64> = rows
        .iter()
        .filter(|(_, removed)| removed.is_none_or(|r| r > at))
        .map(|(id, _)| *id)
        .collect();
    let mut subjects = live.clone();
    subjects.sort_unstable();
    subjects.dedup();
    Ok(json!({
        "model": model_key,
        "at": t(&at),
        "templates": live.len(),
        "subjects": subjects.len(),
        "sources": [],
        "basis": format!(
            "reconstructed: the search ran before the gallery log began ({}); counted from the enrollment times of today's templates and the removal times of subjects",
            logged.log_began.map(|b| t(&b)).unwrap_or_else(|| "never".into())
        ),
    }))
}

/// The gallery log's rows of a possible lead's subject: when and from which source system
/// their photos entered the gallery (and left it, if they did).
fn lead_gallery_records(conn: &mut DbConnection, subject_id: i64) -> anyhow::Result<Value> {
    Ok(Value::Array(
        crate::gallery::log::of_subject(conn, subject_id)?
            .into_iter()
            .map(|r| {
                json!({
                    "subject_key": r.subject_key,
                    "action": r.action,
                    "at": t(&r.at),
                    "template_id": r.template_id,
                    "model": format!("{}/{}", r.model_id, r.model_version),
                    "photo_sha256": r.photo_sha256,
                    "booking_number": r.booking_number,
                    "source_system": r.source_system,
                    "reason": r.reason,
                    "actor": r.actor,
                })
            })
            .collect(),
    ))
}

/// Collects every fact of `case` for `disclosure` as of `made_at` (prepared and approved
/// already, so their audit records are among the case's records). An unredacted package
/// names every candidate.
///
/// Errors: a row or file is missing or unreadable.
pub fn gather(
    ctx: &FactsContext,
    conn: &mut DbConnection,
    case: &Case,
    disclosure: &Disclosure,
    made_at: NaiveDateTime,
) -> anyhow::Result<Facts> {
    let case_number = case.display_number();
    let agency = Agency::find(conn, AgencyId(case.agency_id))?;
    let requester = User::find(conn, UserId(case.requester_id))?;
    let mut originals = Vec::new();

    let (system, extra) = system(ctx)?;
    originals.extend(extra);
    let error_rates = error_rates(ctx)?;

    // The leads: what the concluded examination named.
    let leads: Vec<(i64, Vec<u32>)> = match case_outcome(conn, case, ctx.single_examiner_allowed)? {
        CaseOutcome::Concluded { leads, .. } => leads,
        _ => Vec::new(),
    };
    let is_lead = |ps: i64, rank: u32| {
        leads
            .iter()
            .any(|(p, ranks)| *p == ps && ranks.contains(&rank))
    };

    // The request: every version, the decisions, the messages, the timeline.
    let versions: Vec<Value> = RequestVersion::all_for(conn, case.case_id())?
        .into_iter()
        .map(|v| {
            json!({
                "version": v.version,
                "form": parse_json(&v.form_json),
                "submitted_at": ot(&v.submitted_at),
                "signed_from_ip": v.signed_ip,
                "created_at": t(&v.created_at),
                "updated_at": t(&v.updated_at),
            })
        })
        .collect();
    let mut decisions = Vec::new();
    for d in Decision::for_case(conn, case.case_id())? {
        decisions.push(json!({
            "version": d.version,
            "reviewer": person(conn, Some(d.reviewer_id))?,
            "decision": d.decision,
            "comment": d.comment,
            "checklist": parse_json(&d.checklist_json),
            "at": t(&d.created_at),
        }));
    }
    let messages: Vec<Value> = Message::thread(conn, case.case_id())?
        .into_iter()
        .map(|m| {
            json!({
                "at": t(&m.message.created_at),
                "author": m.author,
                "author_user_id": m.message.author_id,
                "side": m.message.side.as_str(),
                "body": m.message.body,
                "attachments": m.attachments.iter().map(|a| json!({
                    "sha256": a.sha256, "name": a.original_name, "content_type": a.content_type,
                    "bytes": a.byte_size, "width": a.width, "height": a.height,
                })).collect::<Vec<_>>(),
            })
        })
        .collect();
    let timeline: Vec<Value> = TimelineEvent::for_case(conn, case.case_id())?
        .into_iter()
        .map(|e| {
            json!({
                "at": t(&e.at), "actor": e.actor_name, "actor_role": e.actor_role,
                "kind": e.kind, "summary": e.summary, "comment": e.comment,
            })
        })
        .collect();
    let request = json!({
        "case_number": case_number,
        "status": case.status.as_str(),
        "requesting_agency": {"name": agency.name, "ori": agency.ori},
        "requested_by": {"user_id": requester.id, "name": requester.name, "email": requester.email},
        "search_reason": case.search_reason,
        "case_file_number": case.case_file_number,
        "search_reason_verdict": case.reason_verdict,
        "created_at": t(&case.created_at),
        "submitted_at": ot(&case.submitted_at),
        "versions": versions,
        "compliance_decisions": decisions,
        "messages": messages,
        "timeline": timeline,
    });

    // Probes, searches, gallery at search time, examinations.
    let mut probes = Vec::new();
    let mut searches = Vec::new();
    let mut gallery = Vec::new();
    let mut examinations = Vec::new();
    let mut lead_names = Vec::new();
    let mut lead_records = Vec::new();
    for (i, p) in ProbeSearch::for_case(conn, case.case_id())?
        .iter()
        .enumerate()
    {
        let img = CaseImage::in_case(conn, case.case_id(), &p.image_sha256)?
            .context("Probe image row not found")?;
        let bytes = ctx
            .images
            .get(&img.sha256, &img.content_type)
            .context("Failed to read a probe image")?;
        let path = format!(
            "images/probe-{}-{}.{}",
            i + 1,
            &img.sha256[..12.min(img.sha256.len())],
            ImageStore::ext_for(&img.content_type)
        );
        originals.push((path.clone(), bytes));
        probes.push(json!({
            "probe": i + 1,
            "request_version": p.version,
            "file": path,
            "sha256": img.sha256,
            "original_name": img.original_name,
            "content_type": img.content_type,
            "width": img.width,
            "height": img.height,
            "bytes": img.byte_size,
            "uploaded_by": person(conn, Some(img.uploaded_by))?,
            "uploaded_at": t(&img.created_at),
            "faces_found": p.faces_json.as_deref().map(parse_json),
            "face_chosen": p.chosen_face,
            "face_chosen_by": person(conn, p.chosen_by)?,
            "quality": p.quality_json.as_deref().map(parse_json),
        }));
        let stored: Vec<StoredCandidate> = p.candidates();
        let named = |c: &StoredCandidate| !disclosure.redacted || is_lead(p.id, c.rank);
        for c in stored.iter().filter(|c| is_lead(p.id, c.rank)) {
            lead_records.push(json!({
                "probe": i + 1,
                "rank": c.rank,
                "gallery_log": lead_gallery_records(conn, c.subject_id)?,
            }));
            lead_names.push(c.subject_key.clone());
            lead_names.push(c.name.clone());
            lead_names.push(c.booking_number.clone());
        }
        searches.push(json!({
            "probe": i + 1,
            "probe_search_id": p.id,
            "status": p.status.as_str(),
            "started_by": person(conn, p.started_by)?,
            "started_at": ot(&p.started_at),
            "searched_at": ot(&p.searched_at),
            "parameters": {
                "model": p.model_key,
                "candidate_list_length": ctx.candidates,
                "face_searched": p.chosen_face,
            },
            "error": p.error,
            "candidate_count": p.candidate_count,
            "candidates": stored.iter().map(|c| candidate_json(c, named(c), is_lead(p.id, c.rank), &disclosure.salt)).collect::<Vec<_>>(),
        }));
        if let (Some(model), Some(at)) = (&p.model_key, p.searched_at) {
            let mut g = gallery_at(conn, model, at)?;
            g["probe"] = json!(i + 1);
            gallery.push(g);
        }
        for e in Examination::for_probe(conn, p.id)? {
            let training: Vec<Value> =
                crate::accounts::training::stored_of(conn, UserId(e.examiner_id))?
                    .into_iter()
                    .map(|r| {
                        json!({"kind": r.kind, "provider": r.provider,
                               "completed_on": r.completed_on.to_string(),
                               "recorded_by": r.recorded_by, "recorded_at": t(&r.recorded_at)})
                    })
                    .collect();
            examinations.push(json!({
                "probe": i + 1,
                "probe_search_id": p.id,
                "round": e.round.as_str(),
                "examiner": person(conn, Some(e.examiner_id))?,
                "examiner_training": training,
                "review": parse_json(&e.review_json),
                "comment": e.comment,
                "at": t(&e.created_at),
            }));
        }
    }
    let log_began: Option<NaiveDateTime> = {
        use crate::gallery::schema::gallery_log as gl;
        gl::table.select(diesel::dsl::min(gl::at)).first(conn)?
    };
    let gallery = json!({
        "searches": gallery,
        "possible_leads": lead_records,
        "sources": "Booking photos enrolled with `frdesk gallery enroll --source …`: each template's source system, booking number, time, reason and who enrolled it are in the append-only gallery log, as is every removal. DMV/Cal-Photo images are refused at enrollment. Probe images are never enrolled.",
        "gallery_log_began": log_began.as_ref().map(t),
        "gallery_log_note": "The templates in the gallery when the log began entered it as one dated baseline (source system not recorded before then); searches before that moment are reconstructed and say so in `basis`.",
    });

    // Packets and their releases.
    let mut packets = Vec::new();
    for pk in PacketRecord::for_case(conn, case.case_id())? {
        let standing = match &pk.superseded_reason {
            None => "current",
            Some(r) if r.starts_with("withdrawn") => "withdrawn",
            Some(_) => "superseded",
        };
        let file = match ctx.images.storage().get(&pk.relative_path()) {
            Ok(Some(b)) if hex::encode(Sha256::digest(&b)) == pk.file_sha256 => {
                let name = format!("packets/{}", pk.file_name());
                originals.push((name.clone(), b));
                Some(name)
            }
            _ => None,
        };
        packets.push(json!({
            "packet_id": pk.packet_id,
            "version": pk.version,
            "result": pk.result,
            "standing": standing,
            "sha256": pk.file_sha256,
            "bytes": pk.byte_size,
            "signer_fingerprint": pk.signer_fingerprint,
            "reason": pk.reason,
            "issued_by": person(conn, pk.issued_by)?,
            "issued_at": t(&pk.issued_at),
            "superseded_at": ot(&pk.superseded_at),
            "superseded_reason": pk.superseded_reason,
            "file": file,
        }));
    }
    let releases: Vec<Value> = Dissemination::for_case(conn, case.case_id())?
        .into_iter()
        .map(|d| {
            json!({
                "at": t(&d.row.at), "channel": d.row.channel, "packet_id": d.row.packet_id,
                "sha256": d.row.packet_sha256, "recipient_user_id": d.row.recipient_user_id,
                "recipient_address": d.row.recipient_address, "purpose": d.row.purpose,
                "released_by": d.row.released_by, "delivered_at": ot(&d.delivered_at),
            })
        })
        .collect();
    let packets = json!({"packets": packets, "releases": releases});

    // The case's audit records, exactly as the chain hashes them.
    let records = AuditRecord::for_case(conn, case.id)?;
    let head_id = AuditRecord::max_id(conn)?;
    let head_hash = if head_id > 0 {
        AuditRecord::hash_of(conn, head_id)?
    } else {
        String::new()
    };
    let audit = json!({
        "case_id": case.id,
        "hash_method": "hash = SHA-256 of the compact JSON array [id, at, user_id, user_email, role, agency_id, action, object_type, object_id, outcome, source_ip, user_agent, search_reason, details, prev_hash] (src/audit/chain.rs); case_id and case_seq are not hashed",
        "count": records.len(),
        "first_seq": records.first().and_then(|r| r.case_seq),
        "last_seq": records.last().and_then(|r| r.case_seq),
        "chain_head_at_export": {"id": head_id, "hash": head_hash},
        "signed_heads": signed_heads(conn, records.last().map_or(0, |r| r.id))?,
        "signed_heads_method": "Each signed head's `statement` is the exact text signed with the desk's key (detached CMS, DER as hex in `signature_der_hex`); it names the chain's last record then (head_id) and its hash. Every record's hash covers its predecessor's, so a signed head fixes every record up to head_id. The newest daily head and the head signed at this export are given.",
        "records": records.iter().map(audit_json).collect::<Vec<_>>(),
    });

    let disclosure_v = json!({
        "format": "frdesk-disclosure/1",
        "disclosure_id": disclosure.disclosure_id,
        "case_number": case_number,
        "made_at": t(&made_at),
        "prepared_at": t(&disclosure.prepared_at),
        "approved_at": disclosure.approved_at.as_ref().map(t),
        "issued_by": ctx.service_name,
        "legal_basis": disclosure.basis,
        "redacted": disclosure.redacted,
        "unredacted_under_order": disclosure.order_reference,
        "redaction": if disclosure.redacted {
            "Candidates who are not possible leads are shown by rank, similarity, false-match rate and record_hash = SHA-256(salt|subject key|booking number|photo SHA-256); the salt is kept by the desk, which can show which gallery record a hash stands for."
        } else {
            "UNREDACTED: every candidate is named, under the order given in unredacted_under_order."
        },
        "prepared_by": disclosure.prepared_by,
        "approved_by": disclosure.approved_by,
        "prepared_and_approved_from_command_line": disclosure.prepared_by.starts_with("cli:"),
        "result": match leads.is_empty() { true => "no possible lead", false => "possible investigative lead" },
        "not_included": [
            "Source code of the face engine (proprietary code needs a stronger showing, State v. Miles).",
            "Booking photos of candidates other than in the issued packets (criminal-history information).",
        ],
    });
    Ok(Facts {
        case_number,
        disclosure: disclosure_v,
        system,
        error_rates,
        gallery,
        request,
        probes: Value::Array(probes),
        searches: Value::Array(searches),
        examinations: Value::Array(examinations),
        packets,
        audit,
        originals,
        lead_names,
    })
}

/// The newest daily signed head, and the newest head signed at a disclosure export that
/// covers the case's last record (`last_case_record`), as JSON for `audit.json`.
fn signed_heads(conn: &mut DbConnection, last_case_record: i64) -> anyhow::Result<Value> {
    use crate::audit::signed_head::{DISCLOSURE, SignedHead};
    use crate::platform::db::schema::audit_signed_heads as h;
    let daily = crate::audit::signed_head::latest_daily(conn)?;
    let at_export: Option<SignedHead> = h::table
        .filter(h::occasion.eq(DISCLOSURE))
        .filter(h::head_id.ge(last_case_record))
        .order(h::id.desc())
        .select(SignedHead::as_select())
        .first(conn)
        .optional()?;
    Ok(Value::Array(
        daily
            .into_iter()
            .chain(at_export)
            .map(|x| {
                json!({
                    "occasion": x.occasion,
                    "day": x.day,
                    "head_id": x.head_id,
                    "head_hash": x.head_hash,
                    "statement": x.statement,
                    "signature_der_hex": hex::encode(&x.signature),
                    "signer_fingerprint": x.signer_fingerprint,
                })
            })
            .collect(),
    ))
}

/// One audit record with every field its hash covers, its chain position and its per-case
/// sequence number.
pub fn audit_json(r: &AuditRecord) -> Value {
    json!({
        "id": r.id,
        "case_seq": r.case_seq,
        "at": r.at.format(AUDIT_TIME_FORMAT).to_string(),
        "user_id": r.user_id,
        "user_email": r.user_email,
        "role": r.role,
        "agency_id": r.agency_id,
        "action": r.action,
        "object_type": r.object_type,
        "object_id": r.object_id,
        "outcome": r.outcome,
        "source_ip": r.source_ip,
        "user_agent": r.user_agent,
        "search_reason": r.search_reason,
        "details": r.details,
        "prev_hash": r.prev_hash,
        "hash": r.hash,
    })
}
