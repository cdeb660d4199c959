use crate::helpers::*;

pub(crate) async fn decide(
    c: &Client,
    case_id: i64,
    decision: &str,
    comment: &str,
    ack: bool,
) -> reqwest::Response {
    let (status, page) = c.get_text(&format!("/review/{case_id}")).await;
    assert_eq!(status, 200, "{page}");
    let csrf = csrf_of(&page);
    let mut fields = vec![
        ("csrf_token", csrf.as_str()),
        ("decision", decision),
        ("comment", comment),
    ];
    if ack {
        fields.push(("acknowledge_flags", "on"));
    }
    c.post_form(&format!("/review/{case_id}"), &fields).await
}

#[actix_web::test]
async fn reviewer_approves_from_the_queue_with_checklist_email_timeline_and_audit() {
    let app = spawn_app().await;
    let requester = app.login("requester.a@test.example").await;
    let case_id = requester.submit_valid_request().await;

    let reviewer = app.login("reviewer@test.example").await;
    let (_, queue) = reviewer.get_text("/review").await;
    assert!(queue.contains(&format!("/review/{case_id}")));
    let (_, page) = reviewer.get_text(&format!("/review/{case_id}")).await;
    for item in [
        "Valid search reason",
        "Agency FR policy on file",
        "Requester training current",
        "Image source lawful",
        "No live video",
    ] {
        assert!(page.contains(item), "checklist lacks {item}");
    }
    let r = decide(
        &reviewer,
        case_id,
        "approve",
        "Reason and case number verified.",
        false,
    )
    .await;
    assert_eq!(r.status().as_u16(), 303);
    let (_, case_page) = requester.get_text(&format!("/cases/{case_id}")).await;
    assert!(case_page.contains("Approved — probe assessment and search by an examiner"));
    assert!(case_page.contains("Reason and case number verified."));
    assert!(case_page.contains("Sam Ortega (reviewer)"));
    let mails = app.wait_for_mail_to("requester.a@test.example", 2).await;
    assert_eq!(mails.len(), 2);
    assert!(
        mails
            .iter()
            .any(|m| m.contains("approved") && m.contains("Reason and case number verified."))
    );
    // The approval email says who searches: a trained examiner starts it (lines may be
    // folded, so look for the words).
    let approval = mails.iter().find(|m| m.contains("approved")).unwrap();
    assert!(
        !approval.contains("UTC UTC"),
        "the time zone once: {approval}"
    );
    let flat = approval.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        flat.contains("examiners' queue") && flat.contains("trained facial examiner"),
        "{approval}"
    );
    assert!(
        app.audit().iter().any(|r| r.action == "request.decide"
            && r.role == "reviewer"
            && r.outcome == "success")
    );
    let (_, queue) = reviewer.get_text("/review").await;
    assert!(!queue.contains(&format!("/review/{case_id}\"")));
    // A second decision on the same case is refused.
    let (_, page) = reviewer.get_text(&format!("/review/{case_id}")).await;
    let csrf = csrf_of(&page);
    let r = reviewer
        .post_form(
            &format!("/review/{case_id}"),
            &[
                ("csrf_token", &csrf),
                ("decision", "reject"),
                ("comment", "Too late now."),
            ],
        )
        .await;
    assert_eq!(r.status().as_u16(), 409);
}

#[actix_web::test]
async fn a_decision_needs_a_comment() {
    let app = spawn_app().await;
    let case_id = app
        .login("requester.a@test.example")
        .await
        .submit_valid_request()
        .await;
    let reviewer = app.login("reviewer@test.example").await;
    let r = decide(&reviewer, case_id, "approve", "  ", false).await;
    assert_eq!(r.status().as_u16(), 422);
    assert!(r.text().await.unwrap().contains("A comment is required"));
    let r = decide(&reviewer, case_id, "", "No decision chosen here", false).await;
    assert_eq!(r.status().as_u16(), 422);
}

#[actix_web::test]
async fn return_for_correction_keeps_both_versions() {
    let app = spawn_app().await;
    let requester = app.login("requester.a@test.example").await;
    let case_id = requester.submit_valid_request().await;
    let reviewer = app.login("reviewer@test.example").await;
    let r = decide(
        &reviewer,
        case_id,
        "return",
        "Please add the DR number to the reason.",
        false,
    )
    .await;
    assert_eq!(r.status().as_u16(), 303);

    let (status, page) = requester.get_text(&format!("/cases/{case_id}/edit")).await;
    assert_eq!(status, 200);
    assert!(page.contains("Returned for correction"));
    let csrf = csrf_of(&page);
    let key = form_key_of(&page);
    let fields = fields_with(&[("search_reason", "Robbery suspect, DR# 23-0145678, 211 PC")]);
    // Images carry over from the returned version.
    let r = requester
        .post_request(&csrf, &key, "submit", &fields, &[])
        .await;
    assert_eq!(
        r.status().as_u16(),
        303,
        "{}",
        r.text().await.unwrap_or_default()
    );
    let (_, page) = requester.get_text(&format!("/cases/{case_id}")).await;
    assert!(page.contains("Request version 2 (current)"));
    assert!(page.contains("Request version 1"));
    assert!(page.contains("Robbery suspect, DR# 23-0145678, 211 PC"));
    assert!(page.contains("Robbery suspect, Case# 123-89765-0123-41X, 211 PC"));
    assert!(page.contains("Awaiting compliance review"));
    let mails = app.wait_for_mail_to("requester.a@test.example", 3).await;
    assert_eq!(mails.len(), 3, "ack, return notice, second ack");
}

#[actix_web::test]
async fn reject_emails_the_requester_and_ends_the_case() {
    let app = spawn_app().await;
    let requester = app.login("requester.a@test.example").await;
    let case_id = requester.submit_valid_request().await;
    let reviewer = app.login("reviewer@test.example").await;
    let r = decide(
        &reviewer,
        case_id,
        "reject",
        "Not an authorized purpose.",
        false,
    )
    .await;
    assert_eq!(r.status().as_u16(), 303);
    let (_, page) = requester.get_text(&format!("/cases/{case_id}")).await;
    assert!(page.contains("Rejected"));
    assert_eq!(
        requester
            .get(&format!("/cases/{case_id}/edit"))
            .await
            .status()
            .as_u16(),
        409
    );
    let mails = app.wait_for_mail_to("requester.a@test.example", 2).await;
    assert!(mails.iter().any(|m| m.contains("rejected")));
}

#[actix_web::test]
async fn flagged_reasons_need_the_reviewer_to_acknowledge_them() {
    let app = spawn_app().await;
    let requester = app.login("requester.a@test.example").await;
    let (csrf, key) = requester.new_form().await;
    let fields = fields_with(&[(
        "search_reason",
        "Identify protesters at city hall rally, Incident #567",
    )]);
    let r = requester
        .post_request(&csrf, &key, "submit", &fields, &[photo("Aaron_Eckhart", 1)])
        .await;
    assert_eq!(
        r.status().as_u16(),
        303,
        "flagged reasons are submitted for review, not refused"
    );
    let case_id = case_id_from_location(&r);
    let reviewer = app.login("reviewer@test.example").await;
    let (_, queue) = reviewer.get_text("/review").await;
    assert!(queue.contains("needs_review"));
    let r = decide(&reviewer, case_id, "approve", "Looks fine to me.", false).await;
    assert_eq!(r.status().as_u16(), 422);
    assert!(r.text().await.unwrap().contains("flagged"));
    let r = decide(
        &reviewer,
        case_id,
        "reject",
        "First-Amendment activity is not a lawful basis.",
        false,
    )
    .await;
    assert_eq!(r.status().as_u16(), 303);
}

/// Issue 14: an image from an officer's body-worn camera is accepted and flagged for the
/// reviewer (California AB 1215, cited in the LACRIS commission slides) — a flag, not a ban.
#[actix_web::test]
async fn a_body_worn_camera_image_is_flagged_for_the_reviewer_not_refused() {
    let app = spawn_app().await;
    let requester = app.login("requester.a@test.example").await;
    let (_, form) = requester.get_text("/cases/new").await;
    assert!(
        form.contains("value=\"body_worn_camera\"") && form.contains("AB 1215"),
        "the form offers the source and says it is flagged"
    );
    let (csrf, key) = requester.new_form().await;
    let fields = fields_with(&[("image_source", "body_worn_camera")]);
    let r = requester
        .post_request(&csrf, &key, "submit", &fields, &[photo("Aaron_Eckhart", 1)])
        .await;
    assert_eq!(r.status().as_u16(), 303, "accepted, not refused");
    let case_id = case_id_from_location(&r);
    let reviewer = app.login("reviewer@test.example").await;
    let (_, page) = reviewer.get_text(&format!("/review/{case_id}")).await;
    assert!(page.contains("AB 1215"), "{page}");
    assert!(page.contains("body-worn camera"), "{page}");
    let r = decide(
        &reviewer,
        case_id,
        "approve",
        "Incident still, checked.",
        false,
    )
    .await;
    assert_eq!(r.status().as_u16(), 422, "the flag must be acknowledged");
    let r = decide(
        &reviewer,
        case_id,
        "approve",
        "Incident still, checked.",
        true,
    )
    .await;
    assert_eq!(r.status().as_u16(), 303);

    // An in-car camera still is not flagged for its source.
    let (csrf, key) = requester.new_form().await;
    let fields = fields_with(&[("image_source", "law_enforcement_camera")]);
    let r = requester
        .post_request(&csrf, &key, "submit", &fields, &[photo("Aaron_Eckhart", 1)])
        .await;
    let other = case_id_from_location(&r);
    let (_, page) = reviewer.get_text(&format!("/review/{other}")).await;
    assert!(!page.contains("AB 1215"), "{page}");
}
