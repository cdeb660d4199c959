//! `frdesk demo --walkthrough`: the whole flow without a browser, through the same services the
//! web pages call — an operator's self-test of a fresh installation.
//!
//! The demo requester submits the held-back demo probe (`models/demo/obama2.jpg`); the demo
//! reviewer approves it; the search worker searches the demo gallery; the two demo examiners
//! record scripted reviews (possible lead for the candidates that are, by construction of the
//! demo gallery, the same person; excluded for the rest); the packet worker issues the signed
//! packet; the mail sender delivers it with the configured transport. Prints the case number,
//! the packet path and where the message went, and verifies the packet.
//!
//! Every step leaves the same records as the web flow (timeline, audit trail, outbox). Run it
//! on a demo or test installation only: it creates a real case.

use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, bail};
use lettre::message::Mailbox;

use crate::accounts::store::{Agency, User};
use crate::audit::Actor;
use crate::cases::images::ImageStore;
use crate::cases::requests;
use crate::cases::store::Case;
use crate::compliance::decision as review;
use crate::config::{MailTransportKind, Settings};
use crate::domain::examination::AssessmentForm;
use crate::domain::{AgencyId, CaseId, RequestForm, Role};
use crate::examination::review as examine;
use crate::platform::db::DbConnection;
use crate::result::context::ResultContext;
use crate::result::job as result_job;
use crate::result::store::PacketRecord;
use crate::search::ProbeSearch;
use crate::search::ProbeSearchState;
use crate::search::job::SearchContext;

fn actor(u: &User, role: Role) -> Actor {
    Actor {
        user_id: Some(u.id),
        email: u.email.clone(),
        role: role.as_str().to_string(),
        agency_id: Some(u.agency_id),
        ip: "local".into(),
        user_agent: "frdesk demo --walkthrough".into(),
    }
}

fn user(conn: &mut DbConnection, email: &str) -> anyhow::Result<User> {
    User::by_email(conn, email)?
        .with_context(|| format!("Demo account {email} is missing (run `frdesk demo seed`)"))
}

pub fn run(settings: &Settings) -> anyhow::Result<ExitCode> {
    let pool = settings.database.connect()?;
    let mut conn = pool.get()?;
    if User::by_email(&mut conn, "requester@demo.test")?.is_none() {
        println!("No demo accounts yet: seeding them first.");
        crate::cli::demo::run(settings, crate::cli::demo::DemoCommand::Seed)?;
    }
    let models_dir = &settings.face.models_dir;
    let demo_dir = models_dir.join("demo");
    let probe_path = demo_dir.join(crate::gallery::demo::DEMO_PROBE);
    let probe_bytes = std::fs::read(&probe_path).with_context(|| {
        format!(
            "Failed to read the demo probe {} (run script/setup)",
            probe_path.display()
        )
    })?;
    let storage = settings.file_store(&pool)?;
    let images = ImageStore::new(storage.clone());
    let search_ctx = SearchContext::new(
        pool.clone(),
        images.clone(),
        models_dir.clone(),
        settings.face.candidates,
    )
    .with_job_lease(settings.jobs.lease());
    let notify = crate::notifications::NotifyContext::from_settings(settings);
    let engines = search_ctx.engines()?;
    let demo = crate::gallery::demo::enroll_demo_into(&engines.gallery, &engines.engine, &demo_dir)
        .context("Failed to enroll the demo gallery")?;
    println!(
        "1. Demo gallery: {} searchable templates.",
        demo.gallery_templates
    );

    // The requester submits.
    let requester = user(&mut conn, "requester@demo.test")?;
    let agency = Agency::find(&mut conn, AgencyId(requester.agency_id))?;
    let today = chrono::Utc::now().date_naive();
    let form = RequestForm {
        requester_name: requester.name.clone(),
        requester_phone: requester.phone.clone(),
        requester_email: requester.email.clone(),
        request_date: today.format("%Y-%m-%d").to_string(),
        search_reason: "Walk-through: robbery suspect, Case# DEMO-0001, 211 PC".into(),
        case_file_number: "DEMO-0001".into(),
        offense_code: "211 PC".into(),
        authorized_purpose: "criminal_offense".into(),
        image_source: "surveillance_still".into(),
        image_source_other: String::new(),
        from_video: "no".into(),
        video_recording: String::new(),
        images_declared: "1".into(),
        signature_name: requester.name.clone(),
        attest_lead_only: "on".into(),
        attest_lawful: "on".into(),
    };
    let checked = crate::cases::images::check(crate::gallery::demo::DEMO_PROBE, probe_bytes)
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let outcome = requests::save(
        &mut conn,
        &requests::Ctx {
            user: &requester,
            agency: &agency,
            actor: actor(&requester, Role::Requester),
            images: &images,
            service_name: &settings.service.name,
            base_url: &settings.service.base_url,
            today,
        },
        requests::SaveInput {
            form_key: format!("walkthrough-{}", uuid::Uuid::new_v4().simple()),
            form,
            submit: true,
            new_images: vec![(crate::gallery::demo::DEMO_PROBE.to_string(), checked)],
            upload_errors: vec![],
            remove_images: vec![],
        },
    )
    .map_err(|e| anyhow::anyhow!("Submitting the request failed: {e}"))?;
    let requests::SaveOutcome::Submitted {
        case_id,
        case_number,
    } = outcome
    else {
        bail!("The request was not submitted: {outcome:?}");
    };
    println!("2. {} submitted case {case_number}.", requester.name);

    // The reviewer approves.
    let reviewer = user(&mut conn, "reviewer@demo.test")?;
    let service_agency = Agency::find(&mut conn, reviewer.agency())?;
    // No server runs here: the CLI has no workers to wake (the outbox is sent by the next server).
    let _ = review::decide(
        &mut conn,
        &review::Ctx {
            user: &reviewer,
            agency: &service_agency,
            actor: actor(&reviewer, Role::Reviewer),
            service_name: &settings.service.name,
            base_url: &settings.service.base_url,
            today,
        },
        case_id,
        &review::DecisionInput {
            decision: Some(review::DecisionKind::Approve),
            comment: "Walk-through: compliant with the policy; approved for search.".into(),
            acknowledge_flags: true,
        },
    )
    .map_err(|e| anyhow::anyhow!("Approval failed: {e}"))?;
    println!("3. {} approved it; the search is queued.", reviewer.name);

    // The worker finds the faces in the probe; the first examiner assesses it and starts the
    // search; the worker runs it.
    while crate::search::job::run_one(&search_ctx, "walkthrough")? {}
    let starter = user(&mut conn, "examiner1@demo.test")?;
    let probes = ProbeSearch::for_case(&mut conn, case_id)?;
    let choices: Vec<crate::search::assessment::ProbeChoice> = probes
        .iter()
        .map(|p| crate::search::assessment::ProbeChoice {
            probe_search_id: p.id,
            search: !p.faces().is_empty(),
            face: (!p.faces().is_empty()).then_some(0),
        })
        .collect();
    let _ = crate::search::assessment::start(
        &mut conn,
        &crate::search::assessment::Ctx {
            user: &starter,
            agency: &service_agency,
            actor: actor(&starter, Role::Examiner),
            today,
            approver_may_examine: settings.face.approver_may_examine,
        },
        case_id,
        &choices,
        "Walk-through: the probe face is frontal and sharp enough to search.",
    )
    .map_err(|e| anyhow::anyhow!("Starting the search failed: {e}"))?;
    println!(
        "4. {} assessed the probe and started the search.",
        starter.name
    );
    while crate::search::job::run_one(&search_ctx, "walkthrough")? {}
    let ps: ProbeSearch = ProbeSearch::for_case(&mut conn, case_id)?
        .into_iter()
        .next()
        .context("No probe search was queued")?;
    if ps.status != ProbeSearchState::Searched {
        bail!(
            "The search did not produce a candidate list: {} {}",
            ps.status_label(),
            ps.error.unwrap_or_default()
        );
    }
    let candidates = ps.candidates();
    println!(
        "   Searched: {} candidates; rank 1 is {} (similarity {:.3}, {}).",
        candidates.len(),
        candidates
            .first()
            .map(|c| c.subject_key.as_str())
            .unwrap_or("-"),
        candidates.first().map(|c| c.score).unwrap_or_default(),
        candidates
            .first()
            .map(|c| c.fmr_text.as_str())
            .unwrap_or("-"),
    );

    // Two examiners review (scripted: the demo gallery's own photos of the probe's subject are
    // the mates; everyone else is excluded).
    let forms: Vec<AssessmentForm> = candidates
        .iter()
        .map(|c| {
            let mate = c.subject_key.starts_with("DEMO-obama");
            AssessmentForm {
                rank: c.rank,
                disposition: if mate { "possible_lead" } else { "excluded" }.into(),
                features: vec!["eyes".into(), "nose".into(), "mouth".into(), "ears".into()],
                notes: if mate {
                    "Walk-through (scripted): eyes, nose, mouth and ears consistent.".into()
                } else {
                    "Walk-through (scripted): different person.".into()
                },
            }
        })
        .collect();
    for email in ["examiner1@demo.test", "examiner2@demo.test"] {
        let ex = user(&mut conn, email)?;
        // A disposition is accepted only for a candidate shown to the examiner: the script
        // "opens" each booking photo, recorded as the web page records it.
        for c in &candidates {
            crate::audit::record(
                &mut conn,
                &actor(&ex, Role::Examiner),
                crate::audit::Entry::new("subject.view", "subject", &c.subject_key).details(
                    format!(
                        "{}; walk-through (scripted)",
                        crate::examination::access::subject_view_details(
                            &case_number,
                            ps.id,
                            c.rank,
                            &c.booking_number,
                        )
                    ),
                ),
            )?;
        }
        let (standing, _no_server_to_wake) = examine::submit_review(
            &mut conn,
            &examine::Ctx {
                user: &ex,
                agency: &service_agency,
                actor: actor(&ex, Role::Examiner),
                today,
                single_examiner_allowed: settings.face.single_examiner_allowed,
                approver_may_examine: settings.face.approver_may_examine,
                notify: &notify,
            },
            ps.id,
            &forms,
        )
        .map_err(|e| anyhow::anyhow!("Review by {email} failed: {e}"))?;
        let now = match standing {
            crate::examination::standing::Standing::AwaitingSecond { .. } => {
                "awaiting the blind second review".into()
            }
            crate::examination::standing::Standing::Concluded(c) => format!("concluded: {c:?}"),
            other => format!("{other:?}"),
        };
        println!("5. {} reviewed the candidate list; {now}.", ex.name);
    }

    // The packet worker issues the signed packet.
    let signer = Arc::new(settings.packet_signer()?);
    let result_ctx = ResultContext::from_settings(pool.clone(), settings, signer)?;
    while result_job::run_one(&result_ctx, "walkthrough")? {}
    let packet = PacketRecord::current(&mut conn, case_id)?
        .context("No packet was issued (see the case timeline)")?;
    let packet_rel = packet.relative_path();
    println!(
        "6. Packet {} issued: {}.",
        packet.packet_id,
        packet.result_label()
    );

    // The mail sender delivers.
    let transport = crate::platform::mail::Transport::from_settings(settings)?;
    let from: Mailbox = settings.mail.from.parse().context("Invalid mail.from")?;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let sent = rt.block_on(crate::platform::mail::deliver_due(
        &pool,
        &transport,
        &from,
        &storage,
        settings.mail.retry_base_seconds,
        settings.jobs.lease(),
    ))?;
    println!("7. Mail sender: {sent} message(s) delivered.");
    let mail_at = match settings.mail.transport {
        MailTransportKind::File => newest_message_with(&settings.outbox_dir(), &packet.packet_id)
            .map(|p| p.display().to_string())
            .unwrap_or_else(|| "(not found in the outbox folder)".into()),
        MailTransportKind::Smtp => "sent through mail.smtp_url".into(),
    };
    let report = crate::cli::packet::verify_packet(
        settings,
        &storage
            .get(&packet_rel)?
            .with_context(|| format!("{} is missing", storage.describe(&packet_rel)))?,
    )?;
    let case = Case::find(&mut conn, CaseId(case_id.0))?.context("case vanished")?;

    println!();
    println!("case:    {case_number} (status: {})", case.status_label());
    println!("packet:  {}", storage.describe(&packet_rel));
    println!("message: {mail_at}");
    println!("verify:  {}", report.detail);
    Ok(if report.current {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// The newest `.eml` in `dir` that mentions `needle` (the packet id is in its attachment name).
fn newest_message_with(dir: &std::path::Path, needle: &str) -> Option<std::path::PathBuf> {
    let mut found: Vec<(std::time::SystemTime, std::path::PathBuf)> = std::fs::read_dir(dir)
        .ok()?
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "eml"))
        .filter(|p| {
            std::fs::read_to_string(p)
                .map(|s| s.contains(needle))
                .unwrap_or(false)
        })
        .filter_map(|p| Some((std::fs::metadata(&p).ok()?.modified().ok()?, p)))
        .collect();
    found.sort();
    found.pop().map(|(_, p)| p)
}
