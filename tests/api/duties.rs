//! Who may do what (docs/POLICIES.md): service roles only in the service agency; service staff
//! never see another agency's unsubmitted drafts; candidate lists only for trained examiners and
//! the adjudicating supervisor; separation of duties on a case; no examination of a logically
//! deleted case. Every refusal is an audit record.

use diesel::prelude::*;
use frdesk::platform::db::schema::{cases, examinations, users};

use crate::helpers::*;
use crate::search::{
    approve, enroll_gallery, review, searched_case, start_search, start_search_as,
    wait_until_analysed, wait_until_finished,
};

fn add_user(app: &TestApp, ori: &str, name: &str, email: &str, roles: &str, trained: bool) {
    let mut c = app.pool.get().unwrap();
    frdesk::cli::admin::create_user(
        &mut c,
        &frdesk::audit::Actor::cli("test"),
        ori,
        name,
        email,
        "(213) 555-0199",
        roles,
        trained.then(|| {
            (
                frdesk::domain::training::TrainingProvider::Lacris,
                chrono::NaiveDate::from_ymd_opt(2024, 1, 10).unwrap(),
            )
        }),
        PASSWORD,
    )
    .unwrap();
    app.enrol_directly(&mut c, email);
}

fn denied(app: &TestApp, action: &str, email: &str) -> bool {
    app.audit()
        .iter()
        .any(|r| r.action == action && r.outcome == "denied" && r.user_email == email)
}

#[actix_web::test]
async fn service_roles_exist_only_in_the_service_agency() {
    let app = spawn_app().await;
    let out = app
        .frdesk()
        .args([
            "user",
            "add",
            "--agency",
            AGENCY_B,
            "--name",
            "Bo Reviewer",
            "--email",
            "bo.reviewer@test.example",
            "--roles",
            "reviewer,requester",
        ])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("Reviewer exists only in the service agency"),
        "{err}"
    );
    assert!(
        err.contains("--roles"),
        "the message names the option: {err}"
    );
    let mut c = app.pool.get().unwrap();
    let n: i64 = users::table
        .filter(users::email.eq("bo.reviewer@test.example"))
        .count()
        .get_result(&mut c)
        .unwrap();
    assert_eq!(n, 0, "nothing created");
    // In the service agency the same roles are accepted.
    drop(c);
    add_user(
        &app,
        SERVICE,
        "Ana Staff",
        "ana@test.example",
        "reviewer,examiner",
        true,
    );
}

#[actix_web::test]
async fn service_staff_do_not_see_other_agencies_drafts_or_their_images() {
    let app = spawn_app().await;
    let requester = app.login("requester.a@test.example").await;
    let (csrf, key) = requester.new_form().await;
    let r = requester
        .post_request(
            &csrf,
            &key,
            "save",
            &valid_fields(),
            &[photo("Colin_Powell", 2)],
        )
        .await;
    assert_eq!(r.status().as_u16(), 303);
    let draft = case_id_from_location(&r);
    let (_, page) = requester.get_text(&format!("/cases/{draft}")).await;
    let image = regex::Regex::new(r"/cases/\d+/images/[0-9a-f]{64}")
        .unwrap()
        .find(&page)
        .expect("the requester sees the draft's image")
        .as_str()
        .to_string();
    assert_eq!(requester.get(&image).await.status().as_u16(), 200);
    for email in [
        "reviewer@test.example",
        "examiner@test.example",
        "supervisor@test.example",
    ] {
        let staff = app.login(email).await;
        assert_eq!(
            staff
                .get(&format!("/cases/{draft}"))
                .await
                .status()
                .as_u16(),
            404,
            "{email}"
        );
        assert_eq!(staff.get(&image).await.status().as_u16(), 404, "{email}");
        let (_, list) = staff.get_text("/cases").await;
        assert!(
            !list.contains(&format!("/cases/{draft}\"")),
            "{email} lists the draft"
        );
    }
    // Once submitted, the service sees it.
    let submitted = requester.submit_valid_request().await;
    let reviewer = app.login("reviewer@test.example").await;
    assert_eq!(
        reviewer
            .get(&format!("/cases/{submitted}"))
            .await
            .status()
            .as_u16(),
        200
    );
}

#[actix_web::test]
async fn candidates_only_for_trained_examiners_and_the_supervisor() {
    let app = spawn_app().await;
    let _photos = enroll_gallery(&app, &["Colin_Powell", "George_W_Bush", "Tony_Blair"]);
    add_user(
        &app,
        SERVICE,
        "Un Trained",
        "untrained@test.example",
        "examiner",
        false,
    );
    let (case_id, ps) = searched_case(&app, photo("Colin_Powell", 2)).await;
    let list = format!("/cases/{case_id}/probes/{}/review", ps.id);
    let photo1 = format!("/cases/{case_id}/probes/{}/candidates/1.jpg", ps.id);
    for email in [
        "reviewer@test.example",
        "untrained@test.example",
        "requester.a@test.example",
    ] {
        let c = app.login(email).await;
        let s = c.get(&list).await.status().as_u16();
        assert_eq!(s, 403, "{email} candidate list");
        assert_eq!(c.get(&photo1).await.status().as_u16(), 403, "{email} photo");
        assert!(denied(&app, "examine.view_candidates", email), "{email}");
        assert!(denied(&app, "subject.view", email), "{email}");
    }
    // The reviewer sees the outcome on the case page, not the candidates.
    let reviewer = app.login("reviewer@test.example").await;
    let (_, page) = reviewer.get_text(&format!("/cases/{case_id}")).await;
    assert!(!page.contains(&list), "no link to the candidate list");
    // (rank 2 onwards: the mate's name is also the probe's file name.)
    for c in &ps.candidates()[1..] {
        assert!(!page.contains(&c.subject_key), "{}", c.subject_key);
    }
    let examiner = app.login("examiner@test.example").await;
    assert_eq!(examiner.get(&list).await.status().as_u16(), 200);
    let r = examiner.get(&photo1).await;
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(r.headers().get("content-type").unwrap(), "image/jpeg");
    let supervisor = app.login("supervisor@test.example").await;
    assert_eq!(supervisor.get(&list).await.status().as_u16(), 200);
}

#[actix_web::test]
async fn nobody_examines_or_adjudicates_a_request_they_submitted() {
    let app = spawn_app().await;
    let _photos = enroll_gallery(&app, &["Colin_Powell", "George_W_Bush", "Tony_Blair"]);
    // A trained examiner and supervisor of the service who also files requests.
    add_user(
        &app,
        SERVICE,
        "Sol Both",
        "both@test.example",
        "requester,examiner,supervisor",
        true,
    );
    let both = app.login("both@test.example").await;
    let (csrf, key) = both.new_form().await;
    let r = both
        .post_request(
            &csrf,
            &key,
            "submit",
            &fields_with(&[("signature_name", "Sol Both")]),
            &[photo("Colin_Powell", 3)],
        )
        .await;
    assert_eq!(
        r.status().as_u16(),
        303,
        "{}",
        r.text().await.unwrap_or_default()
    );
    let case_id = case_id_from_location(&r);
    approve(&app, case_id).await;
    wait_until_analysed(&app, case_id).await;
    let assess = format!("/cases/{case_id}/assessment");
    let (s, body) = both.get_text(&assess).await;
    assert_eq!(s, 403);
    assert!(body.contains("You submitted this request"), "{body}");
    assert!(denied(&app, "search.assess", "both@test.example"));
    start_search(&app, case_id).await;
    let s = wait_until_finished(&app, case_id).await;
    let ps = &s[0];
    let ranks: Vec<u32> = ps.candidates().iter().map(|c| c.rank).collect();
    let url = format!("/cases/{case_id}/probes/{}/review", ps.id);
    assert_eq!(both.get(&url).await.status().as_u16(), 403);
    // A review posted anyway is refused and audited; nothing is recorded.
    let (_, own) = both.get_text(&format!("/cases/{case_id}")).await;
    let mut fields = vec![("csrf_token".to_string(), csrf_of(&own))];
    for r in &ranks {
        fields.push((format!("d_{r}"), "excluded".into()));
        fields.push((format!("n_{r}"), "not the same person".into()));
    }
    let r = both
        .http
        .post(format!("{}{}", both.base, url))
        .form(&fields)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 403);
    assert!(denied(&app, "examine.review", "both@test.example"));
    // Two examiners disagree; the requester-supervisor may not adjudicate.
    let e1 = app.login("examiner@test.example").await;
    assert_eq!(review(&e1, &url, &ranks, &[1], "lead").await.status(), 303);
    let e2 = app.login("examiner2@test.example").await;
    assert_eq!(review(&e2, &url, &ranks, &[], "none").await.status(), 303);
    let r = both
        .post_form(
            &format!("/cases/{case_id}/probes/{}/adjudicate", ps.id),
            &[
                ("csrf_token", &csrf_of(&own)),
                ("lead", "none"),
                ("f", "eyes"),
                ("comment", "Adjudicating my own request"),
            ],
        )
        .await;
    assert_eq!(r.status().as_u16(), 403);
    assert!(denied(&app, "examine.adjudicate", "both@test.example"));
    let mut c = app.pool.get().unwrap();
    let mine: i64 = examinations::table
        .inner_join(users::table.on(users::id.eq(examinations::examiner_id)))
        .filter(users::email.eq("both@test.example"))
        .count()
        .get_result(&mut c)
        .unwrap();
    assert_eq!(mine, 0);
}

async fn approved_by_an_examiner(app: &TestApp) -> (i64, Client) {
    add_user(
        app,
        SERVICE,
        "Rae Dual",
        "dual@test.example",
        "reviewer,examiner",
        true,
    );
    let requester = app.login("requester.a@test.example").await;
    let case_id = {
        let (csrf, key) = requester.new_form().await;
        let r = requester
            .post_request(
                &csrf,
                &key,
                "submit",
                &valid_fields(),
                &[photo("Colin_Powell", 2)],
            )
            .await;
        case_id_from_location(&r)
    };
    let dual = app.login("dual@test.example").await;
    let (_, page) = dual.get_text(&format!("/review/{case_id}")).await;
    let r = dual
        .post_form(
            &format!("/review/{case_id}"),
            &[
                ("csrf_token", &csrf_of(&page)),
                ("decision", "approve"),
                ("comment", "Compliant; approved for search."),
            ],
        )
        .await;
    assert_eq!(r.status().as_u16(), 303);
    wait_until_analysed(app, case_id).await;
    (case_id, dual)
}

#[actix_web::test]
async fn the_approving_reviewer_does_not_examine_the_case() {
    let app = spawn_app().await;
    let _photos = enroll_gallery(&app, &["Colin_Powell", "George_W_Bush"]);
    let (case_id, dual) = approved_by_an_examiner(&app).await;
    let (s, body) = dual.get_text(&format!("/cases/{case_id}/assessment")).await;
    assert_eq!(s, 403);
    assert!(body.contains("You approved this request"), "{body}");
    assert!(denied(&app, "search.assess", "dual@test.example"));
}

#[actix_web::test]
async fn a_setting_lets_the_approver_examine_where_a_service_cannot_staff_it() {
    let app = spawn_app_with(&[("FRDESK_FACE__APPROVER_MAY_EXAMINE", "true")]).await;
    let _photos = enroll_gallery(&app, &["Colin_Powell", "George_W_Bush"]);
    let (case_id, dual) = approved_by_an_examiner(&app).await;
    start_search_as(&dual, &app, case_id).await;
    let s = wait_until_finished(&app, case_id).await;
    assert_eq!(s[0].status.as_str(), "searched");
}

#[actix_web::test]
async fn an_examiners_post_on_a_logically_deleted_case_is_refused() {
    let app = spawn_app().await;
    let _photos = enroll_gallery(&app, &["Colin_Powell", "George_W_Bush"]);
    let (case_id, ps) = searched_case(&app, photo("Colin_Powell", 2)).await;
    let ranks: Vec<u32> = ps.candidates().iter().map(|c| c.rank).collect();
    let url = format!("/cases/{case_id}/probes/{}/review", ps.id);
    let examiner = app.login("examiner@test.example").await;
    let (_, page) = examiner.get_text(&url).await;
    {
        let mut c = app.pool.get().unwrap();
        diesel::update(cases::table.find(case_id))
            .set(cases::hidden_at.eq(Some(frdesk::platform::time::now())))
            .execute(&mut c)
            .unwrap();
    }
    let mut fields = vec![("csrf_token".to_string(), csrf_of(&page))];
    for r in &ranks {
        fields.push((format!("d_{r}"), "excluded".into()));
        fields.push((format!("n_{r}"), "not the same person".into()));
    }
    let r = examiner
        .http
        .post(format!("{}{}", examiner.base, url))
        .form(&fields)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 404);
    let mut c = app.pool.get().unwrap();
    let n: i64 = examinations::table
        .filter(examinations::case_id.eq(case_id))
        .count()
        .get_result(&mut c)
        .unwrap();
    assert_eq!(n, 0, "no examination written on a hidden case");
    assert!(denied(&app, "examine.review", "examiner@test.example"));
}

#[actix_web::test]
async fn there_is_no_face_search_outside_an_approved_case() {
    let app = spawn_app().await;
    let out = app
        .frdesk()
        .args([
            "gallery",
            "search",
            "probe.jpg",
            "--reason",
            "Case# 123-4, 211 PC",
        ])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("unrecognized subcommand"), "{err}");
}
