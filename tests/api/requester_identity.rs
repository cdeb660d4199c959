//! The requester's identity comes from the account (issue 13, "Training, people"): name, email
//! and phone are the account's, shown and not typed; the signature must match the account
//! holder; every email about a case goes to the account's address.

use diesel::prelude::*;
use frdesk::platform::db::schema::{outbox_messages, request_versions};

use crate::helpers::*;

fn recipients(app: &TestApp, case_id: i64) -> Vec<(String, String)> {
    let mut c = app.pool.get().unwrap();
    outbox_messages::table
        .filter(outbox_messages::case_id.eq(Some(case_id)))
        .select((outbox_messages::kind, outbox_messages::to_addr))
        .load(&mut c)
        .unwrap()
}

#[actix_web::test]
async fn name_email_and_phone_are_the_accounts_whatever_is_sent() {
    let app = spawn_app().await;
    let c = app.login("requester.a@test.example").await;
    let (status, page) = c.get_text("/cases/new").await;
    assert_eq!(status, 200);
    assert!(
        page.contains(r#"<dd id="requester_name">Dana Reyes</dd>"#),
        "{page}"
    );
    assert!(page.contains("requester.a@test.example"));
    assert!(page.contains("(213) 555-0142"));
    assert!(
        !page.contains(r#"name="requester_email""#) && !page.contains(r#"name="requester_name""#),
        "shown, not typed"
    );
    // A forged identity in the post is ignored.
    let (csrf, key) = c.new_form().await;
    let mut fields = valid_fields();
    fields.push(("requester_name", "Mallory Forger".into()));
    fields.push(("requester_email", "mallory@elsewhere.example".into()));
    fields.push(("requester_phone", "(999) 555-0000".into()));
    let r = c
        .post_request(&csrf, &key, "submit", &fields, &[photo("Aaron_Eckhart", 1)])
        .await;
    assert_eq!(r.status().as_u16(), 303);
    let case_id = case_id_from_location(&r);
    let form: String = {
        let mut conn = app.pool.get().unwrap();
        request_versions::table
            .filter(request_versions::case_id.eq(case_id))
            .select(request_versions::form_json)
            .first(&mut conn)
            .unwrap()
    };
    let form: serde_json::Value = serde_json::from_str(&form).unwrap();
    assert_eq!(form["requester_name"], "Dana Reyes");
    assert_eq!(form["requester_email"], "requester.a@test.example");
    assert_eq!(form["requester_phone"], "(213) 555-0142");
    let (_, shown) = c.get_text(&format!("/cases/{case_id}")).await;
    assert!(!shown.contains("Mallory") && !shown.contains("mallory@"));
    assert_eq!(
        recipients(&app, case_id),
        vec![(
            "request_received".to_string(),
            "requester.a@test.example".to_string()
        )]
    );
}

#[actix_web::test]
async fn the_signature_must_match_the_account_holder() {
    let app = spawn_app().await;
    let c = app.login("requester.a@test.example").await;
    let (csrf, key) = c.new_form().await;
    let r = c
        .post_request(
            &csrf,
            &key,
            "submit",
            &fields_with(&[("signature_name", "Someone Else")]),
            &[photo("Aaron_Eckhart", 1)],
        )
        .await;
    assert_eq!(r.status().as_u16(), 422);
    let body = r.text().await.unwrap();
    assert!(
        body.contains(r#"<p class="error" id="signature_name-error">The signature must be the account holder&#x27;s full name, Dana Reyes"#)
            || body.contains(r#"<p class="error" id="signature_name-error">The signature must be the account holder&#39;s full name, Dana Reyes"#),
        "{body}"
    );
    // Capital letters and spacing do not matter.
    let (csrf, key) = c.new_form().await;
    let r = c
        .post_request(
            &csrf,
            &key,
            "submit",
            &fields_with(&[("signature_name", "  dana   REYES ")]),
            &[photo("Aaron_Eckhart", 1)],
        )
        .await;
    assert_eq!(r.status().as_u16(), 303);
}

#[actix_web::test]
async fn decision_mail_goes_to_the_account_address() {
    let app = spawn_app().await;
    let requester = app.login("requester.a@test.example").await;
    let case_id = requester.submit_valid_request().await;
    // A version stored before this change could hold a typed address: it is not used.
    {
        let mut conn = app.pool.get().unwrap();
        let form: String = request_versions::table
            .filter(request_versions::case_id.eq(case_id))
            .select(request_versions::form_json)
            .first(&mut conn)
            .unwrap();
        let mut v: serde_json::Value = serde_json::from_str(&form).unwrap();
        v["requester_email"] = "typed@elsewhere.example".into();
        diesel::update(request_versions::table.filter(request_versions::case_id.eq(case_id)))
            .set(request_versions::form_json.eq(v.to_string()))
            .execute(&mut conn)
            .unwrap();
    }
    let reviewer = app.login("reviewer@test.example").await;
    let r = crate::review::decide(
        &reviewer,
        case_id,
        "return",
        "Please add the booking number to the reason.",
        true,
    )
    .await;
    assert_eq!(r.status().as_u16(), 303);
    let to = recipients(&app, case_id);
    assert!(to.len() >= 2, "{to:?}");
    assert!(
        to.iter()
            .all(|(_, addr)| addr == "requester.a@test.example"),
        "{to:?}"
    );
}
