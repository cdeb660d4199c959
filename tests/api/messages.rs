//! Messages on a case and the requester's withdrawal (issue 16): both directions of the thread
//! with their audit record, timeline event, email to the other side and history search; hostile
//! attachments refused with the text kept; an attachment never becomes a probe; examiners kept
//! out while the examination is open; withdrawal cancels jobs, releases claims and discards
//! drafts; a withdrawn request and a withdrawn result are different states.

use std::time::Duration;

use diesel::prelude::*;
use frdesk::domain::CaseId;
use frdesk::platform::db::schema::{case_messages, jobs, outbox_messages, timeline_events};
use reqwest::multipart::{Form, Part};

use crate::agencies::post_multipart;
use crate::helpers::*;

fn message_form(csrf: &str, body: &str, files: &[(&str, Vec<u8>, &str)]) -> Form {
    let mut form = Form::new()
        .text("csrf_token", csrf.to_string())
        .text("body", body.to_string());
    for (name, bytes, mime) in files {
        form = form.part(
            "images",
            Part::bytes(bytes.clone())
                .file_name(name.to_string())
                .mime_str(mime)
                .unwrap(),
        );
    }
    form
}

/// Posts a message as `c` on `case_id`; returns the response.
async fn post_message(
    c: &Client,
    case_id: i64,
    body: &str,
    files: &[(&str, Vec<u8>, &str)],
) -> reqwest::Response {
    let (_, page) = c.get_text(&format!("/cases/{case_id}")).await;
    let csrf = csrf_of(&page);
    post_multipart(
        c,
        &format!("/cases/{case_id}/messages"),
        message_form(&csrf, body, files),
    )
    .await
}

fn mails_to(app: &TestApp, case_id: i64, kind: &str) -> Vec<(String, String)> {
    let mut c = app.pool.get().unwrap();
    outbox_messages::table
        .filter(outbox_messages::case_id.eq(case_id))
        .filter(outbox_messages::kind.eq(kind))
        .order(outbox_messages::id.asc())
        .select((outbox_messages::to_addr, outbox_messages::body_text))
        .load(&mut c)
        .unwrap()
}

fn timeline_kinds(app: &TestApp, case_id: i64) -> Vec<(String, String, Option<String>)> {
    let mut c = app.pool.get().unwrap();
    timeline_events::table
        .filter(timeline_events::case_id.eq(case_id))
        .order(timeline_events::id.asc())
        .select((
            timeline_events::kind,
            timeline_events::summary,
            timeline_events::comment,
        ))
        .load(&mut c)
        .unwrap()
}

fn status_of(app: &TestApp, case_id: i64) -> String {
    let mut c = app.pool.get().unwrap();
    frdesk::cases::store::Case::find(&mut c, CaseId(case_id))
        .unwrap()
        .unwrap()
        .status
        .as_str()
        .to_string()
}

async fn search_until(c: &Client, q: &str, case_id: i64) -> String {
    let want = format!("href=\"/cases/{case_id}\"");
    let mut page = String::new();
    for _ in 0..100 {
        let (status, p) = c.get_text(&format!("/search?q={q}")).await;
        assert_eq!(status, 200, "{p}");
        page = p;
        if page.contains(&want) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    page
}

#[actix_web::test]
async fn messages_go_both_ways_with_audit_timeline_email_and_search() {
    let app = spawn_app().await;
    let requester = app.login("requester.a@test.example").await;
    let case_id = requester.submit_valid_request().await;

    // The requesting agency writes: the reviewers are told (no decision yet: every reviewer).
    let r = post_message(
        &requester,
        case_id,
        "The suspect wore a marigoldish scarf; see the second camera.",
        &[("scarf.jpg", photo("Colin_Powell", 1).1, "image/jpeg")],
    )
    .await;
    assert_eq!(r.status().as_u16(), 303, "{}", r.text().await.unwrap());
    let reviewer = app.login("reviewer@test.example").await;
    let (s, page) = reviewer.get_text(&format!("/cases/{case_id}")).await;
    assert_eq!(s, 200);
    assert!(page.contains("Messages (1)"), "{page}");
    let (s, page) = reviewer
        .get_text(&format!("/cases/{case_id}/messages"))
        .await;
    assert_eq!(s, 200);
    assert!(page.contains("marigoldish scarf"), "{page}");
    assert!(page.contains("scarf.jpg"));
    let mails = mails_to(&app, case_id, "case_message");
    assert_eq!(mails.len(), 1, "{mails:?}");
    assert_eq!(mails[0].0, "reviewer@test.example");
    // A notice with a link, never the text (it may hold criminal justice information).
    assert!(mails[0].1.contains(&format!("/cases/{case_id}/messages")));
    assert!(!mails[0].1.contains("marigoldish"));

    // The attachment opens for the reviewer (audited), and is never a probe.
    let sha = regex::Regex::new(r"/messages/images/([0-9a-f]{64})")
        .unwrap()
        .captures(&page)
        .unwrap()[1]
        .to_string();
    let img = reviewer
        .get(&format!("/cases/{case_id}/messages/images/{sha}"))
        .await;
    assert_eq!(img.status().as_u16(), 200);
    assert_eq!(img.headers()["content-type"], "image/jpeg");
    {
        let mut c = app.pool.get().unwrap();
        let probes =
            frdesk::cases::store::CaseImage::for_version(&mut c, CaseId(case_id), 1).unwrap();
        assert!(
            probes.iter().all(|p| p.sha256 != sha),
            "an attachment became a probe image"
        );
    }
    assert!(
        reviewer
            .get(&format!("/cases/{case_id}/images/{sha}"))
            .await
            .status()
            .as_u16()
            == 404,
        "an attachment is not served as a probe image"
    );

    // The service answers: the requester and the agency's local administrator are told.
    let r = post_message(
        &reviewer,
        case_id,
        "Thank you; the scarf photo is noted. Please attach the report number.",
        &[],
    )
    .await;
    assert_eq!(r.status().as_u16(), 303);
    let (_, page) = requester
        .get_text(&format!("/cases/{case_id}/messages"))
        .await;
    assert!(page.contains("the scarf photo is noted"), "{page}");
    assert!(page.contains("marigoldish scarf"));
    let mails = mails_to(&app, case_id, "case_message");
    let to: Vec<&str> = mails[1..].iter().map(|m| m.0.as_str()).collect();
    assert_eq!(to, ["requester.a@test.example", "admin.a@test.example"]);

    // Audit records and timeline events, one per message, both directions.
    let audit: Vec<_> = app
        .audit()
        .into_iter()
        .filter(|a| a.action == "case.message" && a.object_id == case_id.to_string())
        .collect();
    assert_eq!(audit.len(), 2, "{audit:?}");
    assert!(audit.iter().all(|a| a.outcome == "success"));
    assert!(
        audit
            .iter()
            .any(|a| a.user_email == "requester.a@test.example")
    );
    assert!(
        audit
            .iter()
            .any(|a| a.user_email == "reviewer@test.example")
    );
    assert!(
        app.audit()
            .iter()
            .any(|a| a.action == "image.view" && a.object_id == sha),
        "the attachment view is audited"
    );
    let events: Vec<_> = timeline_kinds(&app, case_id)
        .into_iter()
        .filter(|e| e.0 == "message")
        .collect();
    assert_eq!(events.len(), 2);
    assert!(
        events
            .iter()
            .all(|e| e.2.is_none() && !e.1.contains("scarf")),
        "the timeline carries no message text"
    );

    // History search finds the message text, for both sides.
    let page = search_until(&requester, "marigoldish", case_id).await;
    assert!(
        page.contains(&format!("href=\"/cases/{case_id}\"")),
        "{page}"
    );
    let page = search_until(&reviewer, "marigoldish", case_id).await;
    assert!(
        page.contains(&format!("href=\"/cases/{case_id}\"")),
        "{page}"
    );
    // Another agency neither sees nor finds it.
    let other = app.login("requester.b@test.example").await;
    let (_, page) = other.get_text("/search?q=marigoldish").await;
    assert!(!page.contains(&format!("href=\"/cases/{case_id}\"")));
}

#[actix_web::test]
async fn hostile_attachments_are_refused_beside_the_field_and_the_text_is_kept() {
    let app = spawn_app().await;
    let requester = app.login("requester.a@test.example").await;
    let case_id = requester.submit_valid_request().await;
    let files_before = app.stored_image_files();
    let (_, jpeg) = photo("Aaron_Eckhart", 1);
    let mut bomb = Vec::new();
    {
        let img = image::RgbImage::new(1, 1);
        img.write_to(
            &mut std::io::Cursor::new(&mut bomb),
            image::ImageFormat::Png,
        )
        .unwrap();
        bomb[16..20].copy_from_slice(&60_000u32.to_be_bytes());
        bomb[20..24].copy_from_slice(&60_000u32.to_be_bytes());
        let crc = crate::request_form::crc32(&bomb[12..29]);
        bomb[29..33].copy_from_slice(&crc.to_be_bytes());
    }
    for (name, bytes, mime, says) in [
        (
            "truncated.jpg",
            jpeg[..jpeg.len() / 2].to_vec(),
            "image/jpeg",
            "corrupt or truncated",
        ),
        ("bomb.png", bomb.clone(), "image/png", "bomb.png"),
        (
            "notes.jpg",
            b"this is not an image at all".to_vec(),
            "image/jpeg",
            "is not a JPEG, PNG or WebP",
        ),
    ] {
        let r = post_message(
            &requester,
            case_id,
            "Second camera <b>frame</b> attached",
            &[(name, bytes, mime)],
        )
        .await;
        assert_eq!(r.status().as_u16(), 422, "{name}");
        let page = r.text().await.unwrap();
        assert!(page.contains("id=\"images-error\""), "{name}: {page}");
        assert!(page.contains(says), "{name}: {page}");
        // The typed text comes back, escaped.
        assert!(
            page.contains("Second camera &#60;b&#62;frame&#60;/b&#62; attached"),
            "{name}: {page}"
        );
    }
    // An empty message is refused beside its field.
    let r = post_message(&requester, case_id, "   ", &[]).await;
    assert_eq!(r.status().as_u16(), 422);
    assert!(r.text().await.unwrap().contains("id=\"body-error\""));
    let mut c = app.pool.get().unwrap();
    let n: i64 = case_messages::table.count().get_result(&mut c).unwrap();
    assert_eq!(n, 0, "nothing was posted");
    assert_eq!(app.stored_image_files(), files_before, "nothing was stored");
    assert!(mails_to(&app, case_id, "case_message").is_empty());
}

#[actix_web::test]
async fn examiners_neither_read_nor_post_while_the_examination_is_open() {
    let app = spawn_app().await;
    let requester = app.login("requester.a@test.example").await;
    let case_id = requester.submit_valid_request().await;
    let r = post_message(
        &requester,
        case_id,
        "Suspect has a tattoo on the left hand.",
        &[],
    )
    .await;
    assert_eq!(r.status().as_u16(), 303);
    crate::search::approve(&app, case_id).await;
    for email in ["examiner@test.example", "supervisor@test.example"] {
        let examiner = app.login(email).await;
        let (s, page) = examiner.get_text(&format!("/cases/{case_id}")).await;
        assert_eq!(s, 200);
        assert!(!page.contains("/messages"), "{email}: thread shown: {page}");
        let (s, page) = examiner
            .get_text(&format!("/cases/{case_id}/messages"))
            .await;
        assert_eq!(s, 403, "{email}");
        assert!(!page.contains("tattoo"));
        let r = post_message(&examiner, case_id, "Any more detail on the tattoo?", &[]).await;
        assert_eq!(r.status().as_u16(), 403, "{email}");
        // Nor through history search.
        let (_, page) = examiner.get_text("/search?q=tattoo").await;
        assert!(
            !page.contains(&format!("href=\"/cases/{case_id}\"")),
            "{email} found the message through search"
        );
    }
    let denied = app
        .audit()
        .into_iter()
        .filter(|a| a.action == "case.message" && a.outcome == "denied")
        .count();
    assert_eq!(denied, 4, "every refusal is audited");
    let mut c = app.pool.get().unwrap();
    let n: i64 = case_messages::table.count().get_result(&mut c).unwrap();
    assert_eq!(n, 1);
}

#[actix_web::test]
async fn withdrawal_cancels_jobs_releases_claims_and_discards_drafts() {
    let app = spawn_app().await;
    let requester = app.login("requester.a@test.example").await;
    let case_id = requester.submit_valid_request().await;
    crate::search::approve(&app, case_id).await;
    let examiner_id = crate::audit_calendar::user_id(&app, "examiner@test.example");
    // Work in progress on the case: a search job a worker is running (under a live lease, so
    // no worker of the server takes it over), a claim and a draft.
    let running_job = {
        let mut c = app.pool.get().unwrap();
        let ps = frdesk::search::ProbeSearch::for_case(&mut c, CaseId(case_id)).unwrap();
        let ps = ps[0].id;
        diesel::insert_into(jobs::table)
            .values((
                jobs::kind.eq("search"),
                jobs::case_id.eq(Some(case_id)),
                jobs::dedupe_key.eq(format!("search:test-running:{case_id}")),
                jobs::payload.eq(format!("{{\"probe_search_id\":{ps}}}")),
                jobs::status.eq("running"),
                jobs::attempts.eq(1),
                jobs::claimed_by.eq(Some("worker-held-by-test")),
                jobs::claimed_at.eq(Some(frdesk::platform::time::now())),
                jobs::created_at.eq(frdesk::platform::time::now()),
                jobs::lease_epoch.eq(1i64),
                jobs::lease_until.eq(Some(
                    frdesk::platform::time::now() + chrono::Duration::minutes(10),
                )),
            ))
            .execute(&mut c)
            .unwrap();
        let examiner =
            frdesk::accounts::store::User::find(&mut c, frdesk::domain::UserId(examiner_id))
                .unwrap();
        frdesk::examination::claims::hold(
            &mut c,
            &frdesk::audit::Actor::cli("test"),
            &frdesk::examination::claims::WorkItem::assessment(case_id),
            &examiner,
            frdesk::platform::time::now(),
            Some(30),
        )
        .unwrap();
        frdesk::examination::drafts::put(&mut c, ps, examiner_id, &[]).unwrap();
        jobs::table
            .filter(jobs::dedupe_key.eq(format!("search:test-running:{case_id}")))
            .select(frdesk::platform::jobs::Job::as_select())
            .first(&mut c)
            .unwrap()
    };
    assert_eq!(status_of(&app, case_id), "approved");

    // The confirmation step, then a reason is required.
    let (s, page) = requester.get_text(&format!("/cases/{case_id}")).await;
    assert_eq!(s, 200);
    assert!(
        page.contains(&format!("/cases/{case_id}/withdraw")),
        "{page}"
    );
    let (s, page) = requester
        .get_text(&format!("/cases/{case_id}/withdraw"))
        .await;
    assert_eq!(s, 200);
    let csrf = csrf_of(&page);
    let r = requester
        .post_form(
            &format!("/cases/{case_id}/withdraw"),
            &[("csrf_token", &csrf), ("reason", "too short")],
        )
        .await;
    assert_eq!(r.status().as_u16(), 422);
    let page = r.text().await.unwrap();
    assert!(page.contains("id=\"reason-error\"") && page.contains("too short"));
    assert_eq!(status_of(&app, case_id), "approved");
    // Only the requesting agency's requester may withdraw.
    let reviewer = app.login("reviewer@test.example").await;
    let r = reviewer
        .post_form(
            &format!("/cases/{case_id}/withdraw"),
            &[
                ("csrf_token", &csrf),
                ("reason", "The reviewer withdraws it"),
            ],
        )
        .await;
    assert!(matches!(r.status().as_u16(), 403 | 404));

    let r = requester
        .post_form(
            &format!("/cases/{case_id}/withdraw"),
            &[
                ("csrf_token", &csrf),
                (
                    "reason",
                    "Suspect identified by a witness; no search needed.",
                ),
            ],
        )
        .await;
    assert_eq!(r.status().as_u16(), 303);
    assert_eq!(status_of(&app, case_id), "withdrawn");
    let mut c = app.pool.get().unwrap();
    // Every open search job of the case is cancelled; the one "running" cannot complete.
    let open: Vec<(i64, String)> = jobs::table
        .filter(jobs::case_id.eq(case_id))
        .select((jobs::id, jobs::status))
        .load(&mut c)
        .unwrap();
    assert!(
        open.iter().all(|(_, s)| s == "cancelled" || s == "done"),
        "{open:?}"
    );
    assert!(open.contains(&(running_job.id, "cancelled".to_string())));
    assert!(
        !frdesk::platform::jobs::complete(&mut c, &running_job, "late").unwrap(),
        "a cancelled job cannot record a result"
    );
    let searched = frdesk::search::ProbeSearch::for_case(&mut c, CaseId(case_id))
        .unwrap()
        .into_iter()
        .filter(|p| p.status.as_str() == "searched")
        .count();
    assert_eq!(searched, 0, "no candidate list recorded");
    let claims = frdesk::examination::claims::live(&mut c, frdesk::platform::time::now())
        .unwrap()
        .into_iter()
        .filter(|h| h.claim.case_id == case_id)
        .count();
    assert_eq!(claims, 0, "claims released");
    let ps = frdesk::search::ProbeSearch::for_case(&mut c, CaseId(case_id)).unwrap()[0].id;
    assert!(
        frdesk::examination::drafts::of(&mut c, ps, examiner_id)
            .unwrap()
            .is_none(),
        "drafts discarded"
    );
    drop(c);
    // Audited, on the timeline with the reason, shown to the service's staff.
    let audit = app
        .audit()
        .into_iter()
        .find(|a| a.action == "case.withdraw" && a.outcome == "success")
        .expect("audited");
    let details = audit.details.unwrap_or_default();
    assert!(details.contains("witness"), "{details}");
    assert!(
        timeline_kinds(&app, case_id)
            .iter()
            .any(|e| e.0 == "withdrawn" && e.2.as_deref().is_some_and(|c| c.contains("witness")))
    );
    let (_, page) = reviewer.get_text(&format!("/cases/{case_id}")).await;
    assert!(page.contains("Withdrawn by the requester"), "{page}");
    assert!(page.contains("Suspect identified by a witness"));
    // A withdrawn request cannot be withdrawn again.
    let r = requester
        .post_form(
            &format!("/cases/{case_id}/withdraw"),
            &[("csrf_token", &csrf), ("reason", "Withdrawn a second time")],
        )
        .await;
    assert_eq!(r.status().as_u16(), 409);
}

#[actix_web::test]
async fn withdrawal_after_the_result_is_refused_and_a_withdrawn_result_is_its_own_state() {
    let app = spawn_app().await;
    let requester = app.login("requester.a@test.example").await;
    let case_id = requester.submit_valid_request().await;
    // The case concluded (a result issued), as the packet job leaves it.
    {
        let mut c = app.pool.get().unwrap();
        use frdesk::platform::db::schema::cases;
        diesel::update(cases::table.filter(cases::id.eq(case_id)))
            .set(cases::status.eq("concluded"))
            .execute(&mut c)
            .unwrap();
    }
    let (_, page) = requester.get_text(&format!("/cases/{case_id}")).await;
    assert!(!page.contains(&format!("/cases/{case_id}/withdraw")));
    let csrf = csrf_of(&page);
    let r = requester
        .post_form(
            &format!("/cases/{case_id}/withdraw"),
            &[
                ("csrf_token", &csrf),
                ("reason", "We no longer need the result"),
            ],
        )
        .await;
    assert_eq!(r.status().as_u16(), 409);
    assert_eq!(status_of(&app, case_id), "concluded");
    assert!(
        app.audit()
            .iter()
            .any(|a| a.action == "case.withdraw" && a.outcome == "denied")
    );
    // The two withdrawn states differ in name and label.
    use frdesk::domain::{CaseAction, CaseStatus};
    assert_eq!(
        CaseStatus::Concluded.apply(CaseAction::WithdrawResult),
        Ok(CaseStatus::ResultWithdrawn)
    );
    assert_eq!(
        CaseStatus::Approved.apply(CaseAction::Withdraw),
        Ok(CaseStatus::Withdrawn)
    );
    assert_ne!(
        CaseStatus::ResultWithdrawn.as_str(),
        CaseStatus::Withdrawn.as_str()
    );
    assert_ne!(
        CaseStatus::ResultWithdrawn.label(),
        CaseStatus::Withdrawn.label()
    );
}
