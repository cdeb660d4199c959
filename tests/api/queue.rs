//! The pages people start from (issue 15): claims on the examiners' queue (one examiner per
//! piece of work, lapse after idle time, a supervisor's release and reassignment — never a
//! blind second review to the first examiner), each role's landing page, and the confirmation
//! with the next item after a decision.

use diesel::prelude::*;
use frdesk::platform::db::schema::work_claims;

use crate::helpers::*;
use crate::search::{enroll_gallery, review, searched_case, start_search_as, wait_until_analysed};

fn user_id(app: &TestApp, email: &str) -> i64 {
    let mut c = app.pool.get().unwrap();
    frdesk::accounts::store::User::by_email(&mut c, email)
        .unwrap()
        .unwrap()
        .id
}

/// The holder (user id) of the claim stored under `key`, if any.
fn holder(app: &TestApp, key: &str) -> Option<i64> {
    let mut c = app.pool.get().unwrap();
    work_claims::table
        .filter(work_claims::item_key.eq(key))
        .select(work_claims::user_id)
        .first::<i64>(&mut c)
        .optional()
        .unwrap()
}

/// Posts one of the queue's claim forms (`/examine/claim`, `/examine/release`,
/// `/examine/reassign`) with the CSRF token of the queue page.
async fn claim_post(c: &Client, action: &str, key: &str, to: Option<i64>) -> reqwest::Response {
    let (_, page) = c.get_text("/examine").await;
    let csrf = csrf_of(&page);
    let to = to.map(|t| t.to_string()).unwrap_or_default();
    c.post_form(action, &[("csrf_token", &csrf), ("item", key), ("to", &to)])
        .await
}

fn audited(app: &TestApp, action: &str, outcome: &str, email: &str) -> bool {
    app.audit()
        .iter()
        .any(|r| r.action == action && r.outcome == outcome && r.user_email == email)
}

#[actix_web::test]
async fn a_claim_keeps_a_second_examiner_off_the_same_first_review() {
    let app = spawn_app().await;
    let _photos = enroll_gallery(&app, &["Colin_Powell", "George_W_Bush", "Tony_Blair"]);
    let (case_id, ps) = searched_case(&app, photo("Colin_Powell", 2)).await;
    let number = case_number(&app, case_id);
    let ranks: Vec<u32> = ps.candidates().iter().map(|c| c.rank).collect();
    let url = format!("/cases/{case_id}/probes/{}/review", ps.id);
    let key = format!("first_review:{}", ps.id);

    let lee = app.login("examiner@test.example").await;
    let (_, queue) = lee.get_text("/examine").await;
    assert!(
        queue.contains("Claim and start") && queue.contains(&format!("value=\"{key}\"")),
        "{queue}"
    );
    // GET changes nothing: only the POST claims.
    assert_eq!(holder(&app, &key), None);
    let r = claim_post(&lee, "/examine/claim", &key, None).await;
    assert_eq!(r.status().as_u16(), 303);
    assert_eq!(location(&r).as_deref(), Some(url.as_str()));
    assert_eq!(
        holder(&app, &key),
        Some(user_id(&app, "examiner@test.example"))
    );
    assert!(audited(
        &app,
        "examine.claim",
        "success",
        "examiner@test.example"
    ));
    let (_, queue) = lee.get_text("/examine").await;
    assert!(
        queue.contains("Claimed by you") && queue.contains("Continue"),
        "{queue}"
    );

    // Kim sees who holds it and until when, and cannot take it or start the review.
    let kim = app.login("examiner2@test.example").await;
    let (_, queue) = kim.get_text("/examine").await;
    assert!(queue.contains("Claimed by Lee Park until"), "{queue}");
    assert!(!queue.contains("Claim and start"), "{queue}");
    let r = claim_post(&kim, "/examine/claim", &key, None).await;
    assert_eq!(r.status().as_u16(), 409);
    let body = r.text().await.unwrap();
    assert!(body.contains("Claimed by Lee Park until"), "{body}");
    assert!(audited(
        &app,
        "examine.claim",
        "denied",
        "examiner2@test.example"
    ));
    // The workflow refuses the review itself, not only the queue's button.
    let r = review(&kim, &url, &ranks, &[], "Kim's attempt").await;
    assert_eq!(r.status().as_u16(), 409);
    let body = r.text().await.unwrap();
    assert!(
        body.contains("Claimed by Lee Park until") && body.contains("UTC"),
        "{body}"
    );
    assert!(audited(
        &app,
        "examine.review",
        "denied",
        "examiner2@test.example"
    ));
    // The page says so before Kim starts typing; nor can Kim keep a draft of it.
    let (_, page) = kim.get_text(&url).await;
    assert!(
        page.contains("id=\"claimed\"") && page.contains("Lee Park"),
        "{page}"
    );
    // Lee's own page shows no such notice.
    let (_, own) = lee.get_text(&url).await;
    assert!(!own.contains("id=\"claimed\""), "{own}");
    let r = kim
        .post_form(
            &url,
            &[
                ("csrf_token", &csrf_of(&page)),
                ("action", "draft"),
                ("d_1", "excluded"),
            ],
        )
        .await;
    assert_eq!(r.status().as_u16(), 409);

    // Lee records the review: a confirmation and the next item (none left for Lee).
    let r = review(&lee, &url, &ranks, &[1], "Lee's review").await;
    assert_eq!(r.status().as_u16(), 303);
    assert_eq!(location(&r).as_deref(), Some("/examine"));
    let (_, queue) = lee.get_text("/examine").await;
    assert!(
        queue.contains(&format!("Review recorded for {number}.")),
        "{queue}"
    );
    assert!(queue.contains("Your queue is empty"), "{queue}");
    // The claim ended with the work; the confirmation is shown once.
    assert_eq!(holder(&app, &key), None);
    let (_, again) = lee.get_text("/examine").await;
    assert!(!again.contains("Review recorded"), "{again}");
    // The blind second review is Kim's to claim.
    let (_, queue) = kim.get_text("/examine").await;
    assert!(
        queue.contains(&format!("value=\"second_review:{}\"", ps.id))
            && queue.contains("Claim and start"),
        "{queue}"
    );
}

#[actix_web::test]
async fn an_idle_claim_lapses_after_the_configured_time_and_the_lapse_is_audited() {
    let app = spawn_app_with(&[("FRDESK_EXAMINATION__CLAIM_IDLE_MINUTES", "5")]).await;
    let _photos = enroll_gallery(&app, &["Colin_Powell", "George_W_Bush"]);
    let (_, ps) = searched_case(&app, photo("Colin_Powell", 2)).await;
    let key = format!("first_review:{}", ps.id);
    let lee = app.login("examiner@test.example").await;
    assert_eq!(
        claim_post(&lee, "/examine/claim", &key, None)
            .await
            .status()
            .as_u16(),
        303
    );
    {
        let mut c = app.pool.get().unwrap();
        let minutes: i32 = work_claims::table
            .filter(work_claims::item_key.eq(&key))
            .select(work_claims::idle_minutes)
            .first(&mut c)
            .unwrap();
        assert_eq!(minutes, 5, "the configured idle time");
    }
    let kim = app.login("examiner2@test.example").await;
    // Four minutes idle: still Lee's.
    let back = |minutes: i64| {
        let mut c = app.pool.get().unwrap();
        let at = frdesk::platform::time::now() - chrono::Duration::minutes(minutes);
        diesel::update(work_claims::table.filter(work_claims::item_key.eq(&key)))
            .set(work_claims::active_at.eq(at))
            .execute(&mut c)
            .unwrap();
    };
    back(4);
    assert_eq!(
        claim_post(&kim, "/examine/claim", &key, None)
            .await
            .status()
            .as_u16(),
        409
    );
    // Six minutes idle: lapsed. The queue shows it free; Kim claims it; the lapse is audited.
    back(6);
    let (_, queue) = kim.get_text("/examine").await;
    assert!(
        !queue.contains("Claimed by Lee Park") && queue.contains("Claim and start"),
        "{queue}"
    );
    let r = claim_post(&kim, "/examine/claim", &key, None).await;
    assert_eq!(r.status().as_u16(), 303);
    assert_eq!(
        holder(&app, &key),
        Some(user_id(&app, "examiner2@test.example"))
    );
    let lapse = app
        .audit()
        .into_iter()
        .find(|r| r.action == "examine.claim_lapse")
        .expect("the lapse is an audit record");
    assert_eq!(lapse.user_email, "system");
    let details = lapse.details_text();
    assert!(
        details.contains(&key) && details.contains("Lee Park") && details.contains("5 minutes"),
        "{details}"
    );
    // Lee's own activity would have kept it: Lee now sees Kim's claim.
    let (_, queue) = lee.get_text("/examine").await;
    assert!(queue.contains("Claimed by Kim Alvarez until"), "{queue}");
}

#[actix_web::test]
async fn a_supervisor_releases_and_reassigns_claims_but_never_a_second_review_to_the_first_examiner()
 {
    let app = spawn_app().await;
    let _photos = enroll_gallery(&app, &["Colin_Powell", "George_W_Bush", "Tony_Blair"]);
    let (case_id, ps) = searched_case(&app, photo("Colin_Powell", 2)).await;
    let ranks: Vec<u32> = ps.candidates().iter().map(|c| c.rank).collect();
    let url = format!("/cases/{case_id}/probes/{}/review", ps.id);
    let first = format!("first_review:{}", ps.id);
    let (lee_id, kim_id) = (
        user_id(&app, "examiner@test.example"),
        user_id(&app, "examiner2@test.example"),
    );
    let lee = app.login("examiner@test.example").await;
    let kim = app.login("examiner2@test.example").await;
    let pat = app.login("supervisor@test.example").await;
    assert_eq!(
        claim_post(&lee, "/examine/claim", &first, None)
            .await
            .status()
            .as_u16(),
        303
    );
    // The supervisor sees the claim, with whom it could go to.
    let (_, queue) = pat.get_text("/examine").await;
    assert!(
        queue.contains("Claims in progress")
            && queue.contains("Lee Park")
            && queue.contains(&format!("<option value=\"{kim_id}\">Kim Alvarez</option>")),
        "{queue}"
    );
    // Another examiner cannot release it; an examiner cannot reassign.
    assert_eq!(
        claim_post(&kim, "/examine/release", &first, None)
            .await
            .status()
            .as_u16(),
        403
    );
    assert_eq!(
        claim_post(&kim, "/examine/reassign", &first, Some(kim_id))
            .await
            .status()
            .as_u16(),
        403
    );
    // The supervisor reassigns it to Kim: Lee is now the one refused.
    let r = claim_post(&pat, "/examine/reassign", &first, Some(kim_id)).await;
    assert_eq!(r.status().as_u16(), 303);
    assert_eq!(holder(&app, &first), Some(kim_id));
    let r = review(&lee, &url, &ranks, &[1], "Lee").await;
    assert_eq!(r.status().as_u16(), 409);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("Claimed by Kim Alvarez until")
    );
    // Not to someone who may not take the work (a reviewer).
    let sam = user_id(&app, "reviewer@test.example");
    let r = claim_post(&pat, "/examine/reassign", &first, Some(sam)).await;
    assert_eq!(r.status().as_u16(), 403);
    assert!(r.text().await.unwrap().contains("cannot take this work"));
    // The supervisor releases it: free again.
    let r = claim_post(&pat, "/examine/release", &first, None).await;
    assert_eq!(r.status().as_u16(), 303);
    assert_eq!(holder(&app, &first), None);

    // Lee claims and records the first review; Kim claims the blind second review.
    assert_eq!(
        claim_post(&lee, "/examine/claim", &first, None)
            .await
            .status()
            .as_u16(),
        303
    );
    assert_eq!(
        review(&lee, &url, &ranks, &[1], "Lee")
            .await
            .status()
            .as_u16(),
        303
    );
    let second = format!("second_review:{}", ps.id);
    // Lee cannot claim the second review of a list Lee reviewed first.
    assert_eq!(
        claim_post(&lee, "/examine/claim", &second, None)
            .await
            .status()
            .as_u16(),
        403
    );
    assert_eq!(
        claim_post(&kim, "/examine/claim", &second, None)
            .await
            .status()
            .as_u16(),
        303
    );
    // Lee is not offered, and reassigning it to Lee is refused.
    let (_, queue) = pat.get_text("/examine").await;
    assert!(
        !queue.contains(&format!("<option value=\"{lee_id}\">")),
        "{queue}"
    );
    let r = claim_post(&pat, "/examine/reassign", &second, Some(lee_id)).await;
    assert_eq!(r.status().as_u16(), 403);
    let body = r.text().await.unwrap();
    assert!(
        body.contains("Lee Park did the first review") && body.contains("blind"),
        "{body}"
    );
    assert_eq!(holder(&app, &second), Some(kim_id));

    // Every step is in the audit trail.
    for (action, outcome, who) in [
        ("examine.claim", "success", "examiner@test.example"),
        ("examine.claim", "success", "examiner2@test.example"),
        ("examine.claim", "denied", "examiner@test.example"),
        ("examine.claim_release", "denied", "examiner2@test.example"),
        (
            "examine.claim_reassign",
            "success",
            "supervisor@test.example",
        ),
        (
            "examine.claim_reassign",
            "denied",
            "supervisor@test.example",
        ),
        (
            "examine.claim_release",
            "success",
            "supervisor@test.example",
        ),
    ] {
        assert!(
            audited(&app, action, outcome, who),
            "{action} {outcome} {who}"
        );
    }
    let reassigned = app
        .audit()
        .into_iter()
        .find(|r| r.action == "examine.claim_reassign" && r.outcome == "success")
        .unwrap();
    assert!(
        reassigned.details_text().contains("from Lee Park")
            && reassigned.details_text().contains("to Kim Alvarez"),
        "{}",
        reassigned.details_text()
    );
}

#[actix_web::test]
async fn a_claimed_assessment_is_refused_to_others_and_starting_the_search_confirms() {
    let app = spawn_app().await;
    let requester = app.login("requester.a@test.example").await;
    let first = requester.submit_valid_request().await;
    let second = requester.submit_valid_request().await;
    crate::search::approve(&app, first).await;
    crate::search::approve(&app, second).await;
    wait_until_analysed(&app, first).await;
    wait_until_analysed(&app, second).await;
    let kim = app.login("examiner2@test.example").await;
    let lee = app.login("examiner@test.example").await;
    let key = format!("assessment:{first}");
    let r = claim_post(&kim, "/examine/claim", &key, None).await;
    assert_eq!(r.status().as_u16(), 303);
    assert_eq!(location(&r), Some(format!("/cases/{first}/assessment")));
    // Lee's assessment page says who holds it; Lee's start is refused.
    let (status, page) = lee.get_text(&format!("/cases/{first}/assessment")).await;
    assert_eq!(status, 200);
    assert!(page.contains("Claimed by Kim Alvarez until"), "{page}");
    let r = lee
        .post_form(
            &format!("/cases/{first}/assessment"),
            &[("csrf_token", &csrf_of(&page))],
        )
        .await;
    assert_eq!(r.status().as_u16(), 409);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("Claimed by Kim Alvarez until")
    );
    assert!(audited(
        &app,
        "search.start",
        "denied",
        "examiner@test.example"
    ));
    // Kim starts the search: back to the queue with a confirmation and the next item.
    start_search_as(&kim, &app, first).await;
    let (_, queue) = kim.get_text("/examine").await;
    assert!(
        queue.contains(&format!("Search started for {}.", case_number(&app, first))),
        "{queue}"
    );
    assert!(
        queue.contains(&format!(
            "Next in your queue: <span class=\"nowrap\">{} — Assess the probes",
            case_number(&app, second)
        )) && queue.contains(&format!("value=\"assessment:{second}\"")),
        "{queue}"
    );
    assert_eq!(holder(&app, &key), None, "the claim ended with the work");
}

#[actix_web::test]
async fn each_role_lands_on_its_work_after_login_and_at_the_root() {
    let app = spawn_app().await;
    {
        let mut c = app.pool.get().unwrap();
        frdesk::cli::admin::create_user(
            &mut c,
            &frdesk::audit::Actor::cli("test"),
            SERVICE,
            "Val Both",
            "both@test.example",
            "(213) 555-0199",
            "examiner,reviewer",
            Some((
                frdesk::domain::training::TrainingProvider::Lacris,
                chrono::NaiveDate::from_ymd_opt(2024, 1, 10).unwrap(),
            )),
            PASSWORD,
        )
        .unwrap();
        app.enrol_directly(&mut c, "both@test.example");
    }
    for (email, home) in [
        ("reviewer@test.example", "/review"),
        ("examiner@test.example", "/examine"),
        ("supervisor@test.example", "/examine"),
        ("requester.a@test.example", "/cases"),
        ("admin.a@test.example", "/audit"),
        // Several roles: the first of review queue, examiners' queue, cases.
        ("both@test.example", "/review"),
    ] {
        let c = app.client();
        let r = c.login(email, PASSWORD).await;
        assert_eq!(r.status().as_u16(), 303, "{email}");
        assert_eq!(location(&r).as_deref(), Some(home), "{email} after login");
        let r = c.get("/").await;
        assert_eq!(location(&r).as_deref(), Some(home), "{email} at /");
        let (status, page) = c.get_text(home).await;
        assert_eq!(status, 200, "{email}: {page}");
    }
    let r = app.client().get("/").await;
    assert_eq!(location(&r).as_deref(), Some("/login"));
}

#[actix_web::test]
async fn a_reviewer_decision_confirms_and_links_the_next_request() {
    let app = spawn_app().await;
    let requester = app.login("requester.a@test.example").await;
    let first = requester.submit_valid_request().await;
    let second = requester.submit_valid_request().await;
    let reviewer = app.login("reviewer@test.example").await;
    let decide = |id: i64, decision: &'static str| {
        let reviewer = &reviewer;
        async move {
            let (_, page) = reviewer.get_text(&format!("/review/{id}")).await;
            reviewer
                .post_form(
                    &format!("/review/{id}"),
                    &[
                        ("csrf_token", &csrf_of(&page)),
                        ("decision", decision),
                        ("comment", "Compliant with the policy; decided."),
                    ],
                )
                .await
        }
    };
    let r = decide(first, "approve").await;
    assert_eq!(r.status().as_u16(), 303);
    assert_eq!(location(&r).as_deref(), Some("/review"));
    let (_, queue) = reviewer.get_text("/review").await;
    assert!(
        queue.contains(&format!("Request {} approved.", case_number(&app, first))),
        "{queue}"
    );
    assert!(
        queue.contains(&format!(
            "Next in your queue: <a href=\"/review/{second}\">{} — compliance review</a>",
            case_number(&app, second)
        )),
        "{queue}"
    );
    let (_, again) = reviewer.get_text("/review").await;
    assert!(!again.contains("approved."), "shown once: {again}");
    let r = decide(second, "reject").await;
    assert_eq!(r.status().as_u16(), 303);
    let (_, queue) = reviewer.get_text("/review").await;
    assert!(
        queue.contains(&format!("Request {} rejected.", case_number(&app, second)))
            && queue.contains("Your queue is empty"),
        "{queue}"
    );
}
