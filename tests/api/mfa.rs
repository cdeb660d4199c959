//! The second factor (CJIS 5.9.5 IA-2(1)/(2)): enrolment at the first login, codes accepted
//! once, wrong codes counted towards the lockout, recovery codes, and the administrator's reset.

use diesel::prelude::*;

use crate::helpers::*;

fn new_user(app: &TestApp, email: &str) {
    let mut c = app.pool.get().unwrap();
    frdesk::cli::admin::create_user(
        &mut c,
        &frdesk::audit::Actor::cli("test"),
        AGENCY_A,
        "Nia New",
        email,
        "(213) 555-0199",
        "requester",
        None,
        PASSWORD,
    )
    .unwrap();
}

#[actix_web::test]
async fn the_first_login_sets_up_an_authenticator_and_the_password_alone_gets_nothing() {
    let app = spawn_app().await;
    new_user(&app, "nia@test.example");
    let c = app.client();
    let r = c.password_step("nia@test.example", PASSWORD).await;
    assert_eq!(r.status().as_u16(), 303);
    assert_eq!(location(&r).as_deref(), Some("/login/enrol"));
    // The password alone opens nothing.
    let r = c.get("/cases").await;
    assert_eq!(r.status().as_u16(), 303);
    assert_eq!(location(&r).as_deref(), Some("/login"));
    assert_eq!(c.get("/login/verify").await.status().as_u16(), 200);

    let (status, page) = c.get_text("/login/enrol").await;
    assert_eq!(status, 200);
    assert!(page.contains("src=\"data:image/png;base64,"), "QR code");
    let secret = secret_of(&page);
    assert_eq!(secret.len(), 20, "160-bit secret");
    // A wrong code: the error is beside the field and nothing is set up.
    let r = c
        .post_form(
            "/login/enrol",
            &[("csrf_token", &csrf_of(&page)), ("code", "000000")],
        )
        .await;
    assert_eq!(r.status().as_u16(), 422);
    let page = r.text().await.unwrap();
    assert!(page.contains("That code is not right"), "{page}");
    assert_eq!(secret_of(&page), secret, "the same secret is offered again");
    assert_eq!(c.get("/cases").await.status().as_u16(), 303);

    let page = c.enrol("nia@test.example").await;
    assert!(page.contains("Your authenticator is set up"));
    assert_eq!(c.get("/cases").await.status().as_u16(), 200);

    // Stored sealed: neither the raw nor the base32 secret is in the database.
    let sealed: String = {
        let mut conn = app.pool.get().unwrap();
        let u = frdesk::accounts::store::User::by_email(&mut conn, "nia@test.example")
            .unwrap()
            .unwrap();
        frdesk::platform::db::schema::user_mfa::table
            .find(u.id)
            .select(frdesk::platform::db::schema::user_mfa::secret_sealed)
            .first(&mut conn)
            .unwrap()
    };
    let b32 = totp_rs::Secret::from(secret.clone()).to_base32();
    assert!(!sealed.contains(&b32));
    let audit = app.audit();
    assert!(
        audit
            .iter()
            .any(|a| a.action == "auth.mfa_enrol" && a.outcome == "failed")
    );
    assert!(
        audit
            .iter()
            .any(|a| a.action == "auth.mfa_enrol" && a.outcome == "success")
    );
    // Enrolment is not offered again.
    let c2 = app.client();
    let r = c2.password_step("nia@test.example", PASSWORD).await;
    assert_eq!(location(&r).as_deref(), Some("/login/verify"));
}

#[actix_web::test]
async fn a_code_works_once_and_wrong_codes_lock_the_account() {
    let app = spawn_app().await;
    let email = "requester.a@test.example";
    let phone = app.mfa.get(email).unwrap();
    let c = app.client();
    c.password_step(email, PASSWORD).await;
    let r = c.submit_code("/login/verify", "123 456").await;
    let wrong_is_right = {
        let now = unix_now() / frdesk::accounts::second_factor::STEP_SECONDS;
        (now - 1..=now + 1).any(|s| totp_code(&phone.secret, s) == "123456")
    };
    if !wrong_is_right {
        assert_eq!(r.status().as_u16(), 401);
        assert!(r.text().await.unwrap().contains("That code is not right"));
    }
    // The right code logs in.
    let code = app.mfa.next_code(email).await;
    let r = c.submit_code("/login/verify", &code).await;
    assert_eq!(r.status().as_u16(), 303);
    assert_eq!(location(&r).as_deref(), Some("/cases"));
    assert_eq!(c.get("/cases").await.status().as_u16(), 200);
    let logged_in = c;
    // The same code again, in another session: refused as a replay (RFC 6238 §5.2).
    let other = app.client();
    other.password_step(email, PASSWORD).await;
    let r = other.submit_code("/login/verify", &code).await;
    assert_eq!(r.status().as_u16(), 401);
    assert!(r.text().await.unwrap().contains("already used"));
    assert!(app.audit().iter().any(|a| a.action == "auth.login"
        && a.outcome == "failed"
        && a.details.as_deref() == Some("second-factor code used before (replay)")));
    // Wrong codes count as failed logons: five in 15 minutes lock the account.
    let mut statuses = Vec::new();
    for _ in 0..5 {
        let c = app.client();
        let r = c.password_step(email, PASSWORD).await;
        if location(&r).as_deref() != Some("/login/verify") {
            statuses.push(r.status().as_u16());
            continue;
        }
        statuses.push(
            c.submit_code("/login/verify", "ZZZZZ-ZZZZZ")
                .await
                .status()
                .as_u16(),
        );
    }
    assert!(
        app.audit().iter().any(|a| a.action == "auth.lockout"),
        "{statuses:?}"
    );
    let c = app.client();
    assert_eq!(
        c.login(email, PASSWORD).await.status().as_u16(),
        401,
        "locked"
    );
    // The lock also ended the open session.
    assert_eq!(logged_in.get("/cases").await.status().as_u16(), 303);
}

#[actix_web::test]
async fn a_recovery_code_logs_in_once() {
    let app = spawn_app().await;
    let email = "examiner@test.example";
    let code = app.mfa.get(email).unwrap().recovery[0].clone();
    let c = app.client();
    c.password_step(email, PASSWORD).await;
    let r = c
        .submit_code("/login/verify", &code.to_lowercase().replace('-', " "))
        .await;
    assert_eq!(r.status().as_u16(), 200);
    let page = r.text().await.unwrap();
    assert!(
        page.contains("You logged in with a recovery code"),
        "{page}"
    );
    assert!(page.contains("<strong>9</strong>"), "{page}");
    assert_eq!(c.get("/cases").await.status().as_u16(), 200);
    let c = app.client();
    c.password_step(email, PASSWORD).await;
    let r = c.submit_code("/login/verify", &code).await;
    assert_eq!(r.status().as_u16(), 401, "a used recovery code is refused");
}

#[actix_web::test]
async fn a_local_administrator_resets_a_users_second_factor() {
    let app = spawn_app().await;
    let requester = app.login("requester.a@test.example").await;
    let admin = app.login("admin.a@test.example").await;
    let (status, page) = admin.get_text("/admin/access-review").await;
    assert_eq!(status, 200);
    assert!(page.contains("Reset a user's second factor"));
    let csrf = csrf_of(&page);
    let id_of = |email: &str| {
        let mut c = app.pool.get().unwrap();
        frdesk::accounts::store::User::by_email(&mut c, email)
            .unwrap()
            .unwrap()
            .id
    };
    let target = id_of("requester.a@test.example").to_string();
    // No reason: the error is beside the field, nothing is reset.
    let r = admin
        .post_form(
            "/admin/second-factor/reset",
            &[
                ("csrf_token", &csrf),
                ("user_id", &target),
                ("reason", "lost"),
            ],
        )
        .await;
    assert_eq!(r.status().as_u16(), 422);
    assert!(r.text().await.unwrap().contains("id=\"reset-error\""));
    assert_eq!(requester.get("/cases").await.status().as_u16(), 200);
    // Another agency's user: not found.
    let other = id_of("requester.b@test.example").to_string();
    let r = admin
        .post_form(
            "/admin/second-factor/reset",
            &[
                ("csrf_token", &csrf),
                ("user_id", &other),
                ("reason", "phone lost, identity checked"),
            ],
        )
        .await;
    assert_eq!(r.status().as_u16(), 404);
    // A requester may not reset anyone.
    let (_, page) = requester.get_text("/cases").await;
    let r = requester
        .post_form(
            "/admin/second-factor/reset",
            &[
                ("csrf_token", &csrf_of(&page)),
                ("user_id", &target),
                ("reason", "phone lost, identity checked"),
            ],
        )
        .await;
    assert_eq!(r.status().as_u16(), 403);

    let r = admin
        .post_form(
            "/admin/second-factor/reset",
            &[
                ("csrf_token", &csrf),
                ("user_id", &target),
                ("reason", "phone lost, identity checked in person"),
            ],
        )
        .await;
    assert_eq!(r.status().as_u16(), 303);
    // The user's open session ended; the next login sets up a new authenticator.
    assert_eq!(requester.get("/cases").await.status().as_u16(), 303);
    let c = app.client();
    let r = c.password_step("requester.a@test.example", PASSWORD).await;
    assert_eq!(location(&r).as_deref(), Some("/login/enrol"));
    let old = app.mfa.get("requester.a@test.example").unwrap();
    c.enrol("requester.a@test.example").await;
    assert_ne!(
        app.mfa.get("requester.a@test.example").unwrap().secret,
        old.secret
    );
    assert!(app.audit().iter().any(|a| {
        a.action == "user.mfa_reset"
            && a.details_text()
                .contains("phone lost, identity checked in person")
    }));
    let mails = app.wait_for_outbox(1).await;
    assert!(
        mails.iter().any(|m| m.contains("Second factor reset")),
        "administrators are told"
    );

    // The operator's command does the same.
    let out = app
        .frdesk()
        .args([
            "user",
            "reset-mfa",
            "--email",
            "requester.b@test.example",
            "--reason",
            "new phone issued by the agency",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r = app
        .client()
        .password_step("requester.b@test.example", PASSWORD)
        .await;
    assert_eq!(location(&r).as_deref(), Some("/login/enrol"));
}
