//! The user's own account page: changing the password (current one required, strength and
//! confirmation checked beside each field, other sessions ended, audited, the user told by
//! email) and renewing the recovery codes (authenticator code required, old codes dead).

use crate::helpers::*;

const NEW_PASSWORD: &str = "violet harbour tram 1987";

fn error_beside(page: &str, field: &str) -> bool {
    page.contains(&format!("id=\"{field}-error\""))
}

async fn change(
    c: &Client,
    current: &str,
    new: &str,
    confirm: &str,
) -> (u16, String, Option<String>) {
    let (_, page) = c.get_text("/account").await;
    let r = c
        .post_form(
            "/account/password",
            &[
                ("csrf_token", &csrf_of(&page)),
                ("current_password", current),
                ("new_password", new),
                ("confirm_password", confirm),
            ],
        )
        .await;
    let status = r.status().as_u16();
    let loc = location(&r);
    (status, r.text().await.unwrap(), loc)
}

async fn wait_for_mail(app: &TestApp, subject: &str) -> Vec<String> {
    for _ in 0..100 {
        let found: Vec<String> = app
            .outbox_files()
            .into_iter()
            .filter(|m| m.contains(subject))
            .collect();
        if !found.is_empty() {
            return found;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    Vec::new()
}

#[actix_web::test]
async fn a_user_changes_their_password_and_other_sessions_end() {
    let app = spawn_app().await;
    let email = "requester.a@test.example";
    let me = app.login(email).await;
    let elsewhere = app.login(email).await;

    let (status, page) = me.get_text("/account").await;
    assert_eq!(status, 200);
    assert!(page.contains(email), "{page}");
    assert!(page.contains("10 of 10"), "{page}");
    for id in [
        "current_password",
        "new_password",
        "confirm_password",
        "code",
    ] {
        assert!(
            page.contains(&format!("<label for=\"{id}\"")),
            "{id} labelled"
        );
    }

    // Each mistake is named beside its field, with 422, and nothing changes.
    let (s, p, _) = change(&me, "", NEW_PASSWORD, NEW_PASSWORD).await;
    assert_eq!(s, 422);
    assert!(error_beside(&p, "current_password"), "{p}");
    let (s, p, _) = change(&me, PASSWORD, "password1234", "password1234").await;
    assert_eq!(s, 422);
    assert!(
        error_beside(&p, "new_password") && p.contains("too easy to guess"),
        "{p}"
    );
    let (s, p, _) = change(&me, PASSWORD, NEW_PASSWORD, "violet harbour tram 1988").await;
    assert_eq!(s, 422);
    assert!(error_beside(&p, "confirm_password"), "{p}");
    let (s, p, _) = change(&me, PASSWORD, email, email).await;
    assert_eq!(s, 422, "the user's own email is guessable");
    assert!(error_beside(&p, "new_password"), "{p}");
    // A wrong current password is a failed logon.
    let failed_before = app
        .audit()
        .iter()
        .filter(|r| r.action == "auth.login" && r.outcome == "failed")
        .count();
    let (s, p, _) = change(&me, "not my password at all", NEW_PASSWORD, NEW_PASSWORD).await;
    assert_eq!(s, 422);
    assert!(
        error_beside(&p, "current_password") && p.contains("not your current password"),
        "{p}"
    );
    let failed_after = app
        .audit()
        .iter()
        .filter(|r| r.action == "auth.login" && r.outcome == "failed")
        .count();
    assert_eq!(failed_after, failed_before + 1);
    assert!(
        !app.audit()
            .iter()
            .any(|r| r.action == "user.password_change"),
        "nothing changed yet"
    );

    let (s, _, loc) = change(&me, PASSWORD, NEW_PASSWORD, NEW_PASSWORD).await;
    assert_eq!(s, 303);
    assert_eq!(loc.as_deref(), Some("/account?changed=password"));
    let (status, page) = me.get_text("/account?changed=password").await;
    assert_eq!(status, 200, "this session goes on");
    assert!(page.contains("Your password was changed"), "{page}");
    assert_eq!(
        elsewhere.get("/cases").await.status().as_u16(),
        303,
        "the other session ended"
    );
    let rec: Vec<_> = app
        .audit()
        .into_iter()
        .filter(|r| r.action == "user.password_change")
        .collect();
    assert_eq!(rec.len(), 1);
    let details = rec[0].details.clone().unwrap_or_default();
    assert!(details.contains("1 other session ended"), "{details}");
    assert_eq!(rec[0].user_email, email);
    let mails = wait_for_mail(&app, "Your password was changed").await;
    assert_eq!(mails.len(), 1);
    assert!(mails[0].contains(email));
    assert!(!mails[0].contains(NEW_PASSWORD) && !mails[0].contains(PASSWORD));

    // The old password no longer logs in; the new one does.
    let r = app.client().password_step(email, PASSWORD).await;
    assert_eq!(r.status().as_u16(), 401);
    let c = app.client();
    let r = c.login(email, NEW_PASSWORD).await;
    assert_eq!(r.status().as_u16(), 303);
    assert_eq!(c.get("/cases").await.status().as_u16(), 200);
}

#[actix_web::test]
async fn new_recovery_codes_need_the_authenticator_and_replace_the_old_ones() {
    let app = spawn_app().await;
    let email = "examiner@test.example";
    let old = app.mfa.get(email).unwrap().recovery.clone();
    let me = app.login(email).await;

    // A recovery code does not do, nor does a wrong code; both are failed logons.
    for wrong in [old[0].as_str(), "000000"] {
        let (_, page) = me.get_text("/account").await;
        let r = me
            .post_form(
                "/account/recovery-codes",
                &[("csrf_token", &csrf_of(&page)), ("code", wrong)],
            )
            .await;
        assert_eq!(r.status().as_u16(), 422);
        let page = r.text().await.unwrap();
        assert!(error_beside(&page, "code"), "{page}");
        assert!(recovery_codes_of(&page).is_empty());
    }
    assert!(
        !app.audit()
            .iter()
            .any(|r| r.action == "user.recovery_codes"),
        "nothing changed yet"
    );

    let (_, page) = me.get_text("/account").await;
    let code = app.mfa.next_code(email).await;
    let r = me
        .post_form(
            "/account/recovery-codes",
            &[("csrf_token", &csrf_of(&page)), ("code", &code)],
        )
        .await;
    assert_eq!(r.status().as_u16(), 200);
    let page = r.text().await.unwrap();
    let new = recovery_codes_of(&page);
    assert_eq!(new.len(), 10, "{page}");
    assert!(new.iter().all(|c| !old.contains(c)));
    assert!(page.contains("10 of 10"));
    // Shown once: the account page does not show them again.
    let (_, again) = me.get_text("/account").await;
    assert!(recovery_codes_of(&again).is_empty());
    assert!(
        app.audit()
            .iter()
            .any(|r| r.action == "user.recovery_codes"),
        "audited"
    );
    assert_eq!(
        wait_for_mail(&app, "New recovery codes were made")
            .await
            .len(),
        1
    );

    // The same authenticator code cannot be used twice.
    let r = me
        .post_form(
            "/account/recovery-codes",
            &[("csrf_token", &csrf_of(&again)), ("code", &code)],
        )
        .await;
    assert_eq!(r.status().as_u16(), 422);
    assert!(r.text().await.unwrap().contains("already used"));

    // An old recovery code is refused at login; a new one works.
    let c = app.client();
    c.password_step(email, PASSWORD).await;
    let r = c.submit_code("/login/verify", &old[1]).await;
    assert_eq!(r.status().as_u16(), 401);
    let c = app.client();
    c.password_step(email, PASSWORD).await;
    let r = c.submit_code("/login/verify", &new[0]).await;
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(c.get("/cases").await.status().as_u16(), 200);
}
