//! The public packet check `/verify` (issue 17, "Anyone can check a packet"): without a login,
//! an uploaded packet is answered genuine and current, superseded after a re-issue, withdrawn
//! after the result is withdrawn, and not genuine when one byte changed — the same answer as
//! `frdesk packet verify`; a packet signed before the signing certificate is rotated (the key
//! file deleted, a new one generated at the restart) still verifies after it. Bad uploads get
//! a message beside the field; nothing of the case but its number is shown.

use std::time::Duration;

use frdesk::domain::CaseId;
use frdesk::result::certificates::SigningCertificate;
use frdesk::result::store::PacketRecord;

use crate::helpers::*;
use crate::search::{enroll_gallery, review, searched_case};

/// A client without a login, on `base`.
fn public_client(base: &str) -> Client {
    Client {
        http: reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent("frdesk-tests verify")
            .build()
            .unwrap(),
        base: base.to_string(),
        mfa: MfaStore::default(),
    }
}

/// Opens `/verify` (for the form's CSRF token) and posts `file` (name, bytes) to it; returns
/// (status, page).
async fn check(c: &Client, file: Option<(&str, Vec<u8>)>) -> (u16, String) {
    let (status, page) = c.get_text("/verify").await;
    assert_eq!(status, 200, "{page}");
    let mut form = reqwest::multipart::Form::new().text("csrf_token", csrf_of(&page));
    if let Some((name, bytes)) = file {
        form = form.part(
            "packet",
            reqwest::multipart::Part::bytes(bytes)
                .file_name(name.to_string())
                .mime_str("application/pdf")
                .unwrap(),
        );
    }
    let r = c
        .http
        .post(format!("{}/verify", c.base))
        .multipart(form)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    (status, r.text().await.unwrap())
}

fn packets(app: &TestApp, case_id: i64) -> Vec<PacketRecord> {
    let mut c = app.pool.get().unwrap();
    PacketRecord::for_case(&mut c, CaseId(case_id)).unwrap()
}

async fn wait_for_packets(app: &TestApp, case_id: i64, n: usize) -> Vec<PacketRecord> {
    for _ in 0..600 {
        let p = packets(app, case_id);
        if p.len() >= n {
            return p;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("packet {n} of case {case_id} was not issued");
}

/// The answer's headline (the `<h2 id="answer-title">`).
fn headline(page: &str) -> String {
    let start = page
        .find("id=\"answer-title\">")
        .unwrap_or_else(|| panic!("no answer on the page: {page}"));
    let rest = &page[start + "id=\"answer-title\">".len()..];
    rest[..rest.find("</h2>").unwrap()].to_string()
}

fn certificates(app: &TestApp) -> Vec<SigningCertificate> {
    let mut c = app.pool.get().unwrap();
    SigningCertificate::all(&mut c).unwrap()
}

/// `frdesk packet verify FILE --json`: (exit code, report).
fn cli_verify(app: &TestApp, path: &std::path::Path) -> (i32, serde_json::Value) {
    let out = app
        .frdesk()
        .args(["packet", "verify", "--json"])
        .arg(path)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let v: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {stdout} / {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out.status.code().unwrap_or(-1), v)
}

#[actix_web::test]
async fn anyone_can_check_a_packet_current_superseded_withdrawn_or_tampered_across_rotation() {
    let app = spawn_app().await;
    let _photos = enroll_gallery(&app, &["Colin_Powell", "George_W_Bush", "Tony_Blair"]);
    let (case_id, ps) = searched_case(&app, photo("Colin_Powell", 2)).await;
    let ranks: Vec<u32> = ps.candidates().iter().map(|c| c.rank).collect();
    let mate = ps
        .candidates()
        .iter()
        .find(|c| c.subject_key == "Colin_Powell")
        .map(|c| c.rank)
        .expect("the mate is in the candidate list");
    let url = format!("/cases/{case_id}/probes/{}/review", ps.id);
    let e1 = app.login("examiner@test.example").await;
    assert_eq!(
        review(&e1, &url, &ranks, &[mate], "first").await.status(),
        303
    );
    let e2 = app.login("examiner2@test.example").await;
    assert_eq!(
        review(&e2, &url, &ranks, &[mate], "second").await.status(),
        303
    );
    let issued = wait_for_packets(&app, case_id, 1).await;
    let p1 = issued[0].clone();
    let case_number = p1.packet_id.trim_end_matches("-P1").to_string();
    let file1 = app.data_dir.path().join("packets").join(p1.file_name());
    let bytes1 = std::fs::read(&file1).unwrap();
    let first_cert = certificates(&app);
    assert_eq!(first_cert.len(), 1, "the certificate in use is recorded");
    assert_eq!(first_cert[0].fingerprint_sha256, p1.signer_fingerprint);
    assert!(first_cert[0].retired_at.is_none());
    assert!(
        first_cert[0]
            .certificate_pem
            .as_deref()
            .is_some_and(|p| p.contains("BEGIN CERTIFICATE"))
    );

    // No login: the page and the answer. Genuine and current; the case number, nothing else.
    let public = public_client(&app.address);
    let (status, page) = check(&public, Some(("packet.pdf", bytes1.clone()))).await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(headline(&page), "Genuine and current");
    assert!(page.contains(&case_number) && page.contains(&p1.packet_id));
    assert!(
        page.contains(&p1.signer_fingerprint),
        "names the certificate"
    );
    assert!(
        page.contains("the desk&#39;s certificate in use")
            || page.contains("the desk's certificate in use"),
        "{page}"
    );
    for private in [
        "Colin_Powell",
        "Dana Reyes",
        "requester.a@test.example",
        "Lee Park",
        "Kim Alvarez",
    ] {
        assert!(!page.contains(private), "the page shows {private}");
    }
    let audit = app.audit();
    let rec = audit
        .iter()
        .rev()
        .find(|a| a.action == "packet.verify")
        .expect("the check is audited");
    assert_eq!(rec.user_email, "public");
    assert_eq!(rec.source_ip, "127.0.0.1");
    assert_eq!(rec.object_id, p1.packet_id);
    assert_eq!(rec.outcome, "success");

    // One changed byte: not genuine.
    let mut tampered = bytes1.clone();
    let at = tampered.len() / 3;
    tampered[at] ^= 0x01;
    let (status, page) = check(&public, Some(("packet.pdf", tampered))).await;
    assert_eq!(status, 200);
    assert_eq!(headline(&page), "Not genuine");
    assert!(page.contains("Signature is NOT valid"), "{page}");
    assert!(!page.contains("NOT valid: Signature"), "said once: {page}");

    // A supervisor re-issues: the first packet is superseded by the second.
    let supervisor = app.login("supervisor@test.example").await;
    let (_, spage) = supervisor.get_text(&format!("/cases/{case_id}")).await;
    let csrf = csrf_of(&spage);
    let r = supervisor
        .post_form(
            &format!("/cases/{case_id}/result/reissue"),
            &[
                ("csrf_token", &csrf),
                ("reason", "Corrected the requesting unit"),
            ],
        )
        .await;
    assert_eq!(r.status(), 303);
    let issued = wait_for_packets(&app, case_id, 2).await;
    let p2 = issued[1].clone();
    let file2 = app.data_dir.path().join("packets").join(p2.file_name());
    let bytes2 = std::fs::read(&file2).unwrap();
    let (_, page) = check(&public, Some(("packet.pdf", bytes1.clone()))).await;
    assert_eq!(headline(&page), "Genuine, but superseded");
    assert!(page.contains(&p2.packet_id), "names the corrected packet");
    // The reason the desk typed is free text: the public page never shows it.
    assert!(!page.contains("Corrected the requesting unit"), "{page}");
    let (_, page) = check(&public, Some(("p2.pdf", bytes2.clone()))).await;
    assert_eq!(headline(&page), "Genuine and current");

    // Rotation: the generated key is deleted and the desk restarts with a new one. Packets
    // signed with the old certificate still verify; it is named as retired.
    std::fs::remove_file(
        app.data_dir
            .path()
            .join("signing")
            .join(frdesk::platform::pdf::signer::KEY_FILE),
    )
    .unwrap();
    // A replaced key is recorded as the desk's before an instance starts with it (issue 18,
    // "Keys"); `keys accept` generates the new one here.
    let o = app.frdesk().args(["keys", "accept"]).output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(String::from_utf8_lossy(&o.stdout).contains("packet_signing"));
    let restarted = app.start_again(&[]).await;
    let certs = certificates(&app);
    assert_eq!(certs.len(), 2, "both certificates are kept");
    let old = certs
        .iter()
        .find(|c| c.fingerprint_sha256 == p1.signer_fingerprint)
        .unwrap();
    assert!(old.retired_at.is_some(), "the old certificate is retired");
    let new = certs
        .iter()
        .find(|c| c.fingerprint_sha256 != p1.signer_fingerprint)
        .unwrap();
    assert!(new.retired_at.is_none(), "the new certificate is in use");
    let public2 = public_client(&restarted);
    let (status, page) = check(&public2, Some(("p2.pdf", bytes2.clone()))).await;
    assert_eq!(status, 200);
    assert_eq!(headline(&page), "Genuine and current", "{page}");
    assert!(page.contains("retired"), "{page}");
    let (code, v) = cli_verify(&app, &file2);
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["current"], true);
    assert_eq!(v["standing"], "current");
    assert_eq!(v["signing_certificate"]["retired"], true);
    assert_eq!(
        v["signing_certificate"]["fingerprint_sha256"],
        p1.signer_fingerprint.as_str()
    );

    // The result is withdrawn: the second packet is withdrawn, the first superseded (and the
    // page says the result was later withdrawn).
    let r = supervisor
        .post_form(
            &format!("/cases/{case_id}/result/withdraw"),
            &[
                ("csrf_token", &csrf),
                ("reason", "The probe was of another incident"),
            ],
        )
        .await;
    assert_eq!(r.status(), 303);
    let (_, page) = check(&public2, Some(("p2.pdf", bytes2.clone()))).await;
    assert_eq!(headline(&page), "Genuine, but withdrawn");
    assert!(
        !page.contains("The probe was of another incident"),
        "{page}"
    );
    let (_, page) = check(&public2, Some(("p1.pdf", bytes1.clone()))).await;
    assert_eq!(headline(&page), "Genuine, but superseded");
    assert!(page.contains("since been withdrawn"), "{page}");
    let (code, v) = cli_verify(&app, &file2);
    assert_eq!(code, 1);
    assert_eq!(v["standing"], "withdrawn");
    assert_eq!(v["current"], false);
    assert_eq!(v["issued_by_this_server"], true);

    let checks: Vec<_> = app
        .audit()
        .into_iter()
        .filter(|a| a.action == "packet.verify" && a.user_email == "public")
        .collect();
    assert_eq!(checks.len(), 7, "every check from the page is audited");
    assert!(checks.iter().skip(1).any(|a| a.outcome == "failed"));
}

#[actix_web::test]
async fn the_verify_page_needs_no_login_and_explains_a_refused_upload() {
    let app = spawn_app().await;
    let public = public_client(&app.address);
    let (status, page) = public.get_text("/verify").await;
    assert_eq!(status, 200);
    assert!(page.contains("at most 10 MiB"));
    assert!(page.contains("enctype=\"multipart/form-data\""));
    let (_, login) = public.get_text("/login").await;
    assert!(
        login.contains("href=\"/verify\""),
        "linked from the login page"
    );
    let (_, report) = public.get_text("/transparency").await;
    assert!(
        report.contains("href=\"/verify\""),
        "linked from the transparency report"
    );

    // No file, not a PDF, too large: 422 with the message beside the field.
    let (status, page) = check(&public, None).await;
    assert_eq!(status, 422, "{page}");
    assert!(page.contains("id=\"packet-error\""), "{page}");
    assert!(page.contains("Choose the packet PDF"));
    let (status, page) = check(&public, Some(("notes.txt", b"just some text".to_vec()))).await;
    assert_eq!(status, 422);
    assert!(page.contains("This file is not a PDF"), "{page}");
    let mut big = b"%PDF-1.7\n".to_vec();
    big.resize(10 * 1024 * 1024 + 1, b' ');
    let (status, page) = check(&public, Some(("big.pdf", big))).await;
    assert_eq!(status, 422);
    assert!(page.contains("The file is too large"), "{page}");
    // A PDF without a signature: checked, not genuine.
    let (status, page) = check(
        &public,
        Some((
            "plain.pdf",
            b"%PDF-1.4\n1 0 obj <<>> endobj\n%%EOF\n".to_vec(),
        )),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(headline(&page), "Not genuine");
    // Refused uploads are not checks; the one check is audited, as failed.
    let checks: Vec<_> = app
        .audit()
        .into_iter()
        .filter(|a| a.action == "packet.verify")
        .collect();
    assert_eq!(checks.len(), 1);
    assert_eq!(checks[0].outcome, "failed");
    assert_eq!(checks[0].user_email, "public");

    // Without the form's token the post is refused.
    let form = reqwest::multipart::Form::new().part(
        "packet",
        reqwest::multipart::Part::bytes(b"%PDF-1.4\n".to_vec()).file_name("x.pdf"),
    );
    let r = public_client(&app.address)
        .http
        .post(format!("{}/verify", app.address))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
}

#[actix_web::test]
async fn the_verify_page_is_rate_limited_per_address() {
    let app = spawn_app_with(&[("FRDESK_HTTP__PUBLIC_REQUESTS_PER_MINUTE", "1")]).await;
    let public = public_client(&app.address);
    // One a minute, bursts of two: the third request is refused with Retry-After.
    assert_eq!(public.get("/verify").await.status(), 200);
    assert_eq!(public.get("/verify").await.status(), 200);
    let r = public.get("/verify").await;
    assert_eq!(r.status(), 429);
    assert!(r.headers().contains_key("retry-after"));
}
