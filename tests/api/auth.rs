use crate::helpers::*;

#[actix_web::test]
async fn login_page_shows_the_system_use_notice_and_sets_a_strict_cookie() {
    let app = spawn_app().await;
    let c = app.client();
    let r = c.get("/login").await;
    assert_eq!(r.status().as_u16(), 200);
    let cookie = r
        .headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    assert!(cookie.contains("SameSite=Strict"), "{cookie}");
    assert!(r.headers().get("content-security-policy").is_some());
    let body = r.text().await.unwrap();
    assert!(body.contains("Authorized use only"));
}

#[actix_web::test]
async fn wrong_password_is_refused_and_audited() {
    let app = spawn_app().await;
    let c = app.client();
    let r = c
        .login("requester.a@test.example", "not the password")
        .await;
    assert_eq!(r.status().as_u16(), 401);
    let r = c.login("nobody@test.example", "whatever").await;
    assert_eq!(r.status().as_u16(), 401);
    let audit = app.audit();
    let failed: Vec<_> = audit
        .iter()
        .filter(|a| a.action == "auth.login" && a.outcome == "failed")
        .collect();
    assert_eq!(failed.len(), 2, "{failed:?}");
    assert!(
        failed
            .iter()
            .all(|a| a.source_ip == "127.0.0.1" && a.user_agent == "frdesk-tests")
    );
    // The password never reaches the audit trail.
    assert!(
        !audit
            .iter()
            .any(|a| a.details_text().contains("not the password"))
    );
}

#[actix_web::test]
async fn login_works_and_is_audited_with_last_login() {
    let app = spawn_app().await;
    let c = app.login("requester.a@test.example").await;
    let (status, page) = c.get_text("/cases").await;
    assert_eq!(status, 200);
    assert!(page.contains("Dana Reyes"));
    assert!(
        app.audit()
            .iter()
            .any(|a| a.action == "auth.login" && a.outcome == "success")
    );
    let mut conn = app.pool.get().unwrap();
    let u = frdesk::accounts::store::User::by_email(&mut conn, "requester.a@test.example")
        .unwrap()
        .unwrap();
    assert!(u.last_login.is_some());
}

#[actix_web::test]
async fn pages_need_a_login() {
    let app = spawn_app().await;
    let c = app.client();
    for path in [
        "/cases",
        "/cases/new",
        "/review",
        "/audit",
        "/cases/1",
        "/reason/check?text=x",
    ] {
        let r = c.get(path).await;
        assert_eq!(r.status().as_u16(), 303, "{path}");
        assert_eq!(r.headers().get("location").unwrap(), "/login", "{path}");
    }
}

#[actix_web::test]
async fn forms_without_the_csrf_token_are_refused() {
    let app = spawn_app().await;
    let c = app.client();
    c.get("/login").await;
    let r = c
        .post_form(
            "/login",
            &[
                ("csrf_token", "0000"),
                ("email", "requester.a@test.example"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(r.status().as_u16(), 403);
    let c = app.login("requester.a@test.example").await;
    let (_, key) = c.new_form().await;
    let r = c
        .post_request(
            "deadbeef",
            &key,
            "submit",
            &valid_fields(),
            &[photo("Aaron_Eckhart", 1)],
        )
        .await;
    assert_eq!(r.status().as_u16(), 403);
    assert_eq!(
        app.count_cases(),
        0,
        "nothing is stored without a valid token"
    );
}

#[actix_web::test]
async fn role_guards_refuse_other_roles() {
    let app = spawn_app().await;
    let requester = app.login("requester.a@test.example").await;
    assert_eq!(requester.get("/review").await.status().as_u16(), 403);
    assert_eq!(requester.get("/audit").await.status().as_u16(), 403);
    let reviewer = app.login("reviewer@test.example").await;
    assert_eq!(reviewer.get("/cases/new").await.status().as_u16(), 403);
    let examiner = app.login("examiner@test.example").await;
    assert_eq!(examiner.get("/review").await.status().as_u16(), 403);
}

#[actix_web::test]
async fn logout_ends_the_session() {
    let app = spawn_app().await;
    let c = app.login("requester.a@test.example").await;
    let (_, page) = c.get_text("/cases").await;
    let csrf = csrf_of(&page);
    let r = c.post_form("/logout", &[("csrf_token", &csrf)]).await;
    assert_eq!(r.status().as_u16(), 303);
    assert_eq!(c.get("/cases").await.status().as_u16(), 303);
}

#[actix_web::test]
async fn an_idle_session_ends_on_the_server() {
    let app = spawn_app_with(&[("FRDESK_HTTP__IDLE_TIMEOUT_SECONDS", "3")]).await;
    let c = app.login("requester.a@test.example").await;
    assert_eq!(c.get("/cases").await.status().as_u16(), 200);
    // Activity keeps the session: 4 s after the login, but 2 s after the last request.
    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    assert_eq!(c.get("/cases").await.status().as_u16(), 200);
    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    assert_eq!(
        c.get("/cases").await.status().as_u16(),
        200,
        "activity extends the session"
    );
    tokio::time::sleep(std::time::Duration::from_secs(4)).await;
    let r = c.get("/cases").await;
    assert_eq!(r.status().as_u16(), 303, "idle session still valid");
    assert_eq!(r.headers().get("location").unwrap(), "/login");
}

#[actix_web::test]
async fn five_failed_logons_lock_the_account_until_released() {
    let app = spawn_app().await;
    let c = app.client();
    for _ in 0..5 {
        assert_eq!(
            c.login("requester.a@test.example", "wrong password!")
                .await
                .status()
                .as_u16(),
            401
        );
    }
    // Even the right password is refused now.
    assert_eq!(
        c.login("requester.a@test.example", PASSWORD)
            .await
            .status()
            .as_u16(),
        401
    );
    assert!(app.audit().iter().any(|r| r.action == "auth.lockout"));
    let out = app
        .frdesk()
        .args(["user", "unlock", "--email", "requester.a@test.example"])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(
        c.login("requester.a@test.example", PASSWORD)
            .await
            .status()
            .as_u16(),
        303
    );
}

/// Logout ends the session on the server: the same cookie, replayed after logout, is refused.
/// Deactivating the account ends its other sessions too.
#[actix_web::test]
async fn logout_and_deactivation_end_sessions_on_the_server() {
    let app = spawn_app().await;
    let jar = std::sync::Arc::new(reqwest::cookie::Jar::default());
    let http = reqwest::Client::builder()
        .cookie_provider(jar.clone())
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let c = Client {
        http,
        base: app.address.clone(),
        mfa: app.mfa.clone(),
    };
    assert_eq!(
        c.login("requester.a@test.example", PASSWORD)
            .await
            .status()
            .as_u16(),
        303
    );
    use reqwest::cookie::CookieStore;
    let url: reqwest::Url = app.address.parse().unwrap();
    let stolen = jar.cookies(&url).expect("a session cookie");
    let replay = || async {
        reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap()
            .get(format!("{}/cases", app.address))
            .header("cookie", stolen.clone())
            .send()
            .await
            .unwrap()
            .status()
            .as_u16()
    };
    assert_eq!(
        replay().await,
        200,
        "the copied cookie works while logged in"
    );
    let (_, page) = c.get_text("/cases").await;
    let r = c
        .post_form("/logout", &[("csrf_token", &csrf_of(&page))])
        .await;
    assert_eq!(r.status().as_u16(), 303);
    assert_eq!(
        replay().await,
        303,
        "the copied cookie is refused after logout"
    );

    // Deactivation ends every open session of the account.
    let other = app.login("requester.a@test.example").await;
    assert_eq!(other.get("/cases").await.status(), 200);
    let out = app
        .frdesk()
        .args([
            "user",
            "deactivate",
            "--email",
            "requester.a@test.example",
            "--reason",
            "left the agency",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(other.get("/cases").await.status(), 303);
}

/// Logins and form posts are rate-limited per client address (and logins per account): the
/// request over the limit gets 429 with Retry-After, is audited, and is not processed.
#[actix_web::test]
async fn logins_and_form_posts_are_rate_limited() {
    let app = spawn_app_with(&[
        ("FRDESK_HTTP__LOGIN_ATTEMPTS_PER_MINUTE", "2"),
        ("FRDESK_HTTP__POSTS_PER_MINUTE", "5"),
    ])
    .await;
    // Bursts of twice the rate: 4 attempts pass (wrong password: 401), the 5th is refused
    // before the password is even checked — the right password does not help.
    let c = app.client();
    for _ in 0..4 {
        let r = c
            .login("requester.a@test.example", "not the password 1")
            .await;
        assert_eq!(r.status().as_u16(), 401);
    }
    let r = c.login("requester.a@test.example", PASSWORD).await;
    assert_eq!(r.status().as_u16(), 429);
    let wait: u64 = r.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&wait), "Retry-After {wait}");
    assert!(app.audit().iter().any(|a| a.action == "auth.login"
        && a.details.as_deref() == Some("too many login attempts: rate limited")));

    // Form posts: the login posts above count too (5 of the burst of 10); the rest pass, then 429.
    let mut statuses = Vec::new();
    for _ in 0..8 {
        let (_, page) = c.get_text("/login").await;
        let r = c
            .post_form("/logout", &[("csrf_token", &csrf_of(&page))])
            .await;
        statuses.push(r.status().as_u16());
    }
    assert!(statuses.contains(&429), "{statuses:?}");
    let first_refused = statuses.iter().position(|s| *s == 429).unwrap();
    assert!(
        statuses[first_refused..].iter().all(|s| *s == 429),
        "{statuses:?}"
    );
}

/// With `http.tls_cert`/`http.tls_key` the desk serves HTTPS itself (rustls): a client that
/// trusts the certificate logs in over TLS, the session cookie is `Secure`, and plain HTTP on
/// the same port gets no page.
#[actix_web::test]
async fn https_is_served_directly_with_a_configured_certificate() {
    use openssl::asn1::Asn1Time;
    use openssl::hash::MessageDigest;
    use openssl::pkey::PKey;
    use openssl::rsa::Rsa;
    use openssl::x509::extension::SubjectAlternativeName;
    use openssl::x509::{X509, X509NameBuilder};
    let key = PKey::from_rsa(Rsa::generate(2048).unwrap()).unwrap();
    let mut name = X509NameBuilder::new().unwrap();
    name.append_entry_by_text("CN", "frdesk test").unwrap();
    let name = name.build();
    let mut b = X509::builder().unwrap();
    b.set_version(2).unwrap();
    b.set_subject_name(&name).unwrap();
    b.set_issuer_name(&name).unwrap();
    b.set_pubkey(&key).unwrap();
    b.set_not_before(&Asn1Time::days_from_now(0).unwrap())
        .unwrap();
    b.set_not_after(&Asn1Time::days_from_now(2).unwrap())
        .unwrap();
    let san = SubjectAlternativeName::new()
        .ip("127.0.0.1")
        .build(&b.x509v3_context(None, None))
        .unwrap();
    b.append_extension(san).unwrap();
    b.sign(&key, MessageDigest::sha256()).unwrap();
    let cert = b.build();
    let dir = tempfile::tempdir().unwrap();
    let cert_path = dir.path().join("cert.pem");
    let key_path = dir.path().join("key.pem");
    std::fs::write(&cert_path, cert.to_pem().unwrap()).unwrap();
    std::fs::write(&key_path, key.private_key_to_pem_pkcs8().unwrap()).unwrap();
    let app = spawn_app_with(&[
        ("FRDESK_HTTP__TLS_CERT", cert_path.to_str().unwrap()),
        ("FRDESK_HTTP__TLS_KEY", key_path.to_str().unwrap()),
    ])
    .await;
    let https = app.address.replace("http://", "https://");
    let http = reqwest::Client::builder()
        .use_rustls_tls()
        .tls_built_in_root_certs(false)
        .add_root_certificate(reqwest::Certificate::from_pem(&cert.to_pem().unwrap()).unwrap())
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let c = Client {
        http,
        base: https.clone(),
        mfa: app.mfa.clone(),
    };
    let r = c.login("requester.a@test.example", PASSWORD).await;
    assert_eq!(r.status().as_u16(), 303);
    let cookie = r
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .find(|v| v.starts_with("frdesk_session="))
        .expect("a session cookie");
    assert!(cookie.contains("Secure"), "{cookie}");
    assert_eq!(c.get("/cases").await.status(), 200);
    // Plain HTTP to the TLS port is not served a page.
    let plain = reqwest::Client::new()
        .get(format!("{}/login", app.address))
        .send()
        .await;
    assert!(
        plain.map(|r| r.status().as_u16() != 200).unwrap_or(true),
        "plain HTTP must not get the login page"
    );
    // A mismatched pair is refused at start-up with the file named.
    let other = PKey::from_rsa(Rsa::generate(2048).unwrap()).unwrap();
    let other_key = dir.path().join("other.pem");
    std::fs::write(&other_key, other.private_key_to_pem_pkcs8().unwrap()).unwrap();
    let out = app
        .frdesk()
        .env("FRDESK_HTTP__TLS_CERT", &cert_path)
        .env("FRDESK_HTTP__TLS_KEY", &other_key)
        .env("FRDESK_HTTP__BIND", "127.0.0.1:0")
        .arg("serve")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("other.pem"), "{err}");
}
