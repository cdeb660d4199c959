//! Disclosure packages for court (issue 17): `frdesk disclosure export` for a concluded case
//! with a possible lead and for one with no lead, `frdesk disclosure verify` on both, and each
//! tamper caught — one changed byte in an image, a removed file, an edited JSON value, a
//! removed audit record (a gap in the case's sequence), and with `--against-db` an audit
//! record altered in the database after the export. The default package names no candidate
//! who is not a lead (searched in every file of the ZIP and in the PDF's text); an unredacted
//! one needs an order and names it on every page. The PDF's signature is checked with `pdfsig`.

use std::path::{Path, PathBuf};
use std::process::Command;

use diesel::prelude::*;

use crate::helpers::*;
use crate::search::{enroll_gallery, review, searched_case};

const PEOPLE: [&str; 4] = ["Colin_Powell", "George_W_Bush", "Tony_Blair", "Hans_Blix"];

/// A concluded case probing with Colin Powell's `n`-th photo; `lead`: both examiners name
/// the mate, otherwise both find no lead.
pub(crate) async fn concluded_case(app: &TestApp, n: u32, lead: bool) -> (i64, String) {
    // Under a neutral file name: the probe's name is evidence, not a gallery identity.
    let probe = ("probe.jpg".to_string(), photo("Colin_Powell", n).1);
    let (case_id, ps) = searched_case(app, probe).await;
    let ranks: Vec<u32> = ps.candidates().iter().map(|c| c.rank).collect();
    let leads: Vec<u32> = if lead {
        ps.candidates()
            .iter()
            .filter(|c| c.subject_key == "Colin_Powell")
            .map(|c| c.rank)
            .collect()
    } else {
        Vec::new()
    };
    assert!(!lead || leads.len() == 1, "the mate is in the list");
    let url = format!("/cases/{case_id}/probes/{}/review", ps.id);
    let e1 = app.login("examiner@test.example").await;
    assert_eq!(
        review(&e1, &url, &ranks, &leads, "first").await.status(),
        303
    );
    let e2 = app.login("examiner2@test.example").await;
    assert_eq!(
        review(&e2, &url, &ranks, &leads, "second").await.status(),
        303
    );
    let p = wait_for_packet(app, case_id).await;
    assert_eq!(p.result, if lead { "possible_lead" } else { "no_lead" });
    (case_id, case_number(app, case_id))
}

/// Runs `frdesk disclosure export`; returns (PDF, ZIP).
fn export(app: &TestApp, number: &str, extra: &[&str], out: &Path) -> (PathBuf, PathBuf) {
    let o = app
        .frdesk()
        .args(["disclosure", "export", "--case", number])
        .args(["--basis", "Discovery order, Superior Court of Essex County, State v. Doe, Ind. No. 26-11-0042, 2026-11-30, defence counsel"])
        .args(extra)
        .arg("--out")
        .arg(out)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&o.stdout).into_owned();
    assert!(
        o.status.success(),
        "export failed: {stdout} {}",
        String::from_utf8_lossy(&o.stderr)
    );
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{stdout}");
    let (pdf, zip) = (PathBuf::from(lines[0]), PathBuf::from(lines[1]));
    assert!(
        pdf.extension().is_some_and(|e| e == "pdf") && pdf.exists(),
        "{stdout}"
    );
    assert!(
        zip.extension().is_some_and(|e| e == "zip") && zip.exists(),
        "{stdout}"
    );
    (pdf, zip)
}

/// Runs `frdesk disclosure verify FILE --json [--against-db]`; returns (exit code, report).
fn verify(app: &TestApp, zip: &Path, against_db: bool) -> (i32, serde_json::Value) {
    let mut c = app.frdesk();
    c.args(["disclosure", "verify", "--json"]).arg(zip);
    if against_db {
        c.arg("--against-db");
    }
    let o = c.output().unwrap();
    let stdout = String::from_utf8_lossy(&o.stdout);
    let v: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {stdout} / {}",
            String::from_utf8_lossy(&o.stderr)
        )
    });
    for k in [
        "case",
        "manifest_valid",
        "signature_valid",
        "audit_chain_valid",
        "files",
    ] {
        assert!(v.get(k).is_some(), "{k} missing: {v}");
    }
    (o.status.code().unwrap_or(-1), v)
}

fn entries(zip: &Path) -> Vec<(String, Vec<u8>)> {
    frdesk::disclosure::package::read_zip(&std::fs::read(zip).unwrap())
        .unwrap()
        .into_iter()
        .map(|(n, b)| (n, b.unwrap()))
        .collect()
}

/// A copy of `zip` with its files changed by `change`.
fn tampered(zip: &Path, name: &str, change: impl FnOnce(&mut Vec<(String, Vec<u8>)>)) -> PathBuf {
    let mut files = entries(zip);
    change(&mut files);
    let out = zip.with_file_name(format!("tampered-{name}.zip"));
    std::fs::write(
        &out,
        frdesk::disclosure::package::write_zip(&files).unwrap(),
    )
    .unwrap();
    out
}

fn json_of(files: &[(String, Vec<u8>)], name: &str) -> serde_json::Value {
    let (_, b) = files.iter().find(|(n, _)| n == name).unwrap();
    serde_json::from_slice(b).unwrap()
}

fn put_json(files: &mut [(String, Vec<u8>)], name: &str, v: &serde_json::Value) {
    let f = files.iter_mut().find(|(n, _)| n == name).unwrap();
    f.1 = serde_json::to_vec_pretty(v).unwrap();
}

fn pdfsig(path: &Path) -> String {
    let out = Command::new("pdfsig")
        .arg(path)
        .output()
        .expect("pdfsig (poppler-utils) must be installed");
    String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr)
}

fn pdftotext(path: &Path) -> String {
    let out = Command::new("pdftotext")
        .arg(path)
        .arg("-")
        .output()
        .expect("pdftotext (poppler-utils) must be installed");
    assert!(out.status.success());
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Every identity of a gallery subject as the gallery holds it (key and name).
fn identities(person: &str) -> Vec<String> {
    vec![person.to_string(), person.replace('_', " ")]
}

/// Asserts that no file of the ZIP (decompressed) and no text of the PDF names `person`.
fn names_nowhere(zip: &Path, pdf: &Path, person: &str) {
    let text = pdftotext(pdf);
    for id in identities(person) {
        for (n, b) in entries(zip) {
            assert!(
                !String::from_utf8_lossy(&b).contains(&id),
                "{n} of the package names {id}"
            );
        }
        assert!(!text.contains(&id), "the report names {id}");
    }
}

fn alter_audit_row(app: &TestApp, id: i64) {
    let mut c = app.pool.get().unwrap();
    let (off, on): (&str, &str) = if app.backend == "postgres" {
        (
            "ALTER TABLE audit_records DISABLE TRIGGER ALL",
            "ALTER TABLE audit_records ENABLE TRIGGER ALL",
        )
    } else {
        (
            "DROP TRIGGER audit_records_no_update",
            "CREATE TRIGGER audit_records_no_update BEFORE UPDATE ON audit_records BEGIN SELECT RAISE(ABORT, 'audit records are append-only'); END",
        )
    };
    diesel::sql_query(off).execute(&mut c).unwrap();
    diesel::sql_query(format!(
        "UPDATE audit_records SET details = 'nothing to see' WHERE id = {id}"
    ))
    .execute(&mut c)
    .unwrap();
    diesel::sql_query(on).execute(&mut c).unwrap();
}

#[actix_web::test]
async fn a_possible_lead_package_verifies_hides_non_leads_and_every_tamper_is_caught() {
    let app = spawn_app().await;
    let _photos = enroll_gallery(&app, &PEOPLE);
    let (case_id, number) = concluded_case(&app, 2, true).await;
    // The day's chain head, as the daily audit check signs it: once a day.
    let signer = frdesk::platform::pdf::Signer::load_or_generate_named(
        app.data_dir.path(),
        None,
        "frdesk test desk",
    )
    .unwrap();
    let daily = {
        let mut c = app.pool.get().unwrap();
        // The server's own daily check may have signed it already (a minute after start).
        let first =
            match frdesk::audit::signed_head::sign_daily(&mut c, &signer, "test desk").unwrap() {
                Some(h) => h,
                None => frdesk::audit::signed_head::latest_daily(&mut c)
                    .unwrap()
                    .expect("today's daily head"),
            };
        assert!(
            frdesk::audit::signed_head::sign_daily(&mut c, &signer, "test desk")
                .unwrap()
                .is_none(),
            "one daily head a day"
        );
        let check = frdesk::audit::signed_head::check(&first.statement, &first.signature);
        assert!(
            check.signature_valid && check.problem.is_none(),
            "{check:?}"
        );
        assert_eq!(check.statement.unwrap().head_id, first.head_id);
        first
    };
    let out = tempfile::tempdir().unwrap();
    let (pdf, zip) = export(&app, &number, &["--protective-order"], out.path());

    // Signed, verifiable, and the records of the release exist.
    let sig = pdfsig(&pdf);
    assert!(sig.contains("Signature is Valid"), "{sig}");
    let (code, v) = verify(&app, &zip, false);
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["case"], number.as_str());
    assert!(v["manifest_valid"].as_bool().unwrap() && v["signature_valid"].as_bool().unwrap());
    assert!(v["audit_chain_valid"].as_bool().unwrap(), "{v}");
    let (code, v) = verify(&app, &zip, true);
    assert_eq!(code, 0, "{v}");
    let actions: Vec<String> = app.audit().into_iter().map(|r| r.action).collect();
    for a in [
        "disclosure.prepare",
        "disclosure.approve",
        "disclosure.release",
    ] {
        assert!(actions.iter().any(|x| x == a), "{a} not audited");
    }
    {
        use frdesk::platform::db::schema::{disseminations as d, outbox_messages as o};
        let mut c = app.pool.get().unwrap();
        let n: i64 = d::table
            .filter(d::case_id.eq(case_id))
            .filter(d::channel.eq("disclosure"))
            .count()
            .get_result(&mut c)
            .unwrap();
        assert_eq!(n, 1, "the release is in the dissemination log");
        let n: i64 = o::table
            .filter(o::kind.eq("disclosure_notice"))
            .filter(o::case_id.eq(case_id))
            .count()
            .get_result(&mut c)
            .unwrap();
        assert_eq!(n, 1, "the agency is told");
    }

    // What the package holds, and what it must not.
    let files = entries(&zip);
    let names: Vec<&str> = files.iter().map(|(n, _)| n.as_str()).collect();
    for f in [
        "manifest.json",
        "manifest.json.p7s",
        "report.pdf",
        "system.json",
        "error_rates.json",
        "audit.json",
        "searches.json",
    ] {
        assert!(names.contains(&f), "{f} missing: {names:?}");
    }
    let system = json_of(&files, "system.json");
    assert_eq!(system["embedder"]["id"], "sface");
    assert!(system["candidate_list_length"].as_u64().unwrap() > 0);
    let rates = json_of(&files, "error_rates.json");
    assert!(
        rates["accuracy"]["rank1_identification_rate"]
            .as_f64()
            .unwrap()
            > 0.9
    );
    let searches = json_of(&files, "searches.json");
    let cands = searches[0]["candidates"].as_array().unwrap();
    assert!(cands.len() >= 2);
    assert!(cands.iter().all(|c| c["false_match_rate"].is_number()));
    let lead: Vec<_> = cands
        .iter()
        .filter(|c| c["possible_lead"] == true)
        .collect();
    assert_eq!(lead.len(), 1);
    assert_eq!(lead[0]["subject_key"], "Colin_Powell");
    assert!(
        cands
            .iter()
            .filter(|c| c["possible_lead"] != true)
            .all(|c| c["redacted"] == true && c["record_hash"].as_str().unwrap().len() == 64)
    );
    for p in &PEOPLE[1..] {
        names_nowhere(&zip, &pdf, p);
    }

    // The gallery at search time, from the gallery log: its size and sources, and where the
    // lead's photo came from.
    let gallery = json_of(&files, "gallery.json");
    let at_search = &gallery["searches"][0];
    assert_eq!(at_search["basis"], "gallery log", "{gallery}");
    let templates = at_search["templates"].as_i64().unwrap();
    assert!(templates >= 3, "{gallery}");
    assert_eq!(
        at_search["sources"],
        serde_json::json!([{"source_system": "test booking system", "templates": templates}])
    );
    let lead_log = &gallery["possible_leads"][0]["gallery_log"][0];
    assert_eq!(lead_log["action"], "enroll", "{gallery}");
    assert_eq!(lead_log["subject_key"], "Colin_Powell");
    assert_eq!(lead_log["source_system"], "test booking system");

    // Signed chain heads: the day's and the export's, the latter covering the case's records.
    let audit = json_of(&files, "audit.json");
    let heads = audit["signed_heads"].as_array().unwrap();
    let last_record = audit["records"].as_array().unwrap().last().unwrap()["id"]
        .as_i64()
        .unwrap();
    assert!(
        heads
            .iter()
            .any(|h| h["occasion"] == "daily" && h["head_id"] == daily.head_id),
        "{heads:?}"
    );
    assert!(
        heads.iter().any(|h| h["occasion"] == "disclosure"
            && h["head_id"].as_i64().unwrap() >= last_record),
        "{heads:?}"
    );
    let text = pdftotext(&pdf);
    let pages: Vec<&str> = text
        .split('\u{c}')
        .filter(|p| !p.trim().is_empty())
        .collect();
    assert!(pages.len() > 1);
    for p in &pages {
        assert!(p.contains("DISCLOSURE UNDER PROTECTIVE ORDER"), "{p}");
    }
    assert!(text.contains("Colin Powell"), "the lead is named");
    let probe = files
        .iter()
        .find(|(n, _)| n.starts_with("images/probe-1-"))
        .map(|(n, _)| n.clone())
        .expect("the probe image is in the package");
    assert_eq!(
        files.iter().find(|(n, _)| *n == probe).unwrap().1,
        photo("Colin_Powell", 2).1
    );

    // Tampers.
    let changed_byte = tampered(&zip, "byte", |f| {
        let img = f.iter_mut().find(|(n, _)| *n == probe).unwrap();
        let mid = img.1.len() / 2;
        img.1[mid] ^= 0x01;
    });
    let (code, v) = verify(&app, &changed_byte, false);
    assert_ne!(code, 0);
    assert_eq!(v["manifest_valid"], false, "{v}");
    assert!(
        v["files"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["path"] == probe.as_str() && f["ok"] == false),
        "{v}"
    );
    let removed = tampered(&zip, "removed", |f| {
        f.retain(|(n, _)| n != "examinations.json")
    });
    let (code, v) = verify(&app, &removed, false);
    assert_ne!(code, 0);
    assert_eq!(v["manifest_valid"], false, "{v}");
    let edited = tampered(&zip, "edited", |f| {
        let mut s = json_of(f, "searches.json");
        s[0]["candidates"][0]["similarity"] = serde_json::json!(0.99);
        put_json(f, "searches.json", &s);
    });
    let (code, v) = verify(&app, &edited, false);
    assert_ne!(code, 0);
    assert_eq!(v["manifest_valid"], false, "{v}");
    // A record removed from audit.json, and the manifest's hash of it made to fit (the
    // signature then fails; the sequence gap shows on its own).
    let gap = tampered(&zip, "gap", |f| {
        let mut a = json_of(f, "audit.json");
        let recs = a["records"].as_array_mut().unwrap();
        assert!(recs.len() >= 3);
        recs.remove(1);
        put_json(f, "audit.json", &a);
        let bytes = f.iter().find(|(n, _)| n == "audit.json").unwrap().1.clone();
        let mut m = json_of(f, "manifest.json");
        for e in m["files"].as_array_mut().unwrap() {
            if e["path"] == "audit.json" {
                e["sha256"] = frdesk::disclosure::package::sha256_hex(&bytes).into();
                e["bytes"] = bytes.len().into();
            }
        }
        put_json(f, "manifest.json", &m);
    });
    let (code, v) = verify(&app, &gap, false);
    assert_ne!(code, 0);
    assert_eq!(v["audit_chain_valid"], false, "{v}");
    assert_eq!(v["signature_valid"], false, "{v}");
    assert!(v.to_string().contains("sequence"), "{v}");

    // A forged chain head: the statement claims another hash; its signature no longer holds.
    let forged = tampered(&zip, "head", |f| {
        let mut a = json_of(f, "audit.json");
        for h in a["signed_heads"].as_array_mut().unwrap() {
            let st = h["statement"].as_str().unwrap().to_string();
            let old = h["head_hash"].as_str().unwrap().to_string();
            let new = "0".repeat(64);
            h["statement"] = st.replace(&old, &new).into();
            h["head_hash"] = new.into();
        }
        put_json(f, "audit.json", &a);
    });
    let (code, v) = verify(&app, &forged, false);
    assert_ne!(code, 0);
    assert_eq!(v["audit_chain_valid"], false, "{v}");
    assert!(v.to_string().contains("signed chain head"), "{v}");

    // A subject removed from the gallery after the search: a later package states the
    // gallery as it was when the search ran, and the removal is in the log with its reason.
    let o = app
        .frdesk()
        .args(["gallery", "remove", "--subject", "Hans_Blix"])
        .args(["--reason", "record sealed by order 26-S-1"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    {
        use frdesk::gallery::schema::gallery_log as gl;
        let mut c = app.pool.get().unwrap();
        let reasons: Vec<String> = gl::table
            .filter(gl::action.eq("remove"))
            .filter(gl::subject_key.eq("Hans_Blix"))
            .select(gl::reason)
            .load(&mut c)
            .unwrap();
        assert_eq!(reasons, vec!["record sealed by order 26-S-1".to_string()]);
        // The log is append-only in the database.
        assert!(
            diesel::sql_query("UPDATE gallery_log SET reason = 'x'")
                .execute(&mut c)
                .is_err()
        );
        assert!(
            diesel::sql_query("DELETE FROM gallery_log")
                .execute(&mut c)
                .is_err()
        );
    }

    // Unredacted: only with an order, and then it says so on every page.
    let o = app
        .frdesk()
        .args([
            "disclosure",
            "export",
            "--case",
            &number,
            "--basis",
            "Subpoena",
            "--unredacted",
        ])
        .arg("--out")
        .arg(out.path())
        .output()
        .unwrap();
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("order"));
    let (pdf2, zip2) = export(
        &app,
        &number,
        &[
            "--unredacted",
            "--order",
            "Protective order 26-PO-7 of 2026-12-01",
        ],
        out.path(),
    );
    assert_ne!(zip2, zip);
    let (code, v) = verify(&app, &zip2, false);
    assert_eq!(code, 0, "{v}");
    let g2 = json_of(&entries(&zip2), "gallery.json");
    assert_eq!(
        g2["searches"][0]["templates"].as_i64(),
        Some(templates),
        "the gallery at search time, not today's: {g2}"
    );
    let d = json_of(&entries(&zip2), "disclosure.json");
    assert_eq!(d["redacted"], false);
    assert_eq!(
        d["unredacted_under_order"],
        "Protective order 26-PO-7 of 2026-12-01"
    );
    let all: String = entries(&zip2)
        .iter()
        .map(|(_, b)| String::from_utf8_lossy(b).into_owned())
        .collect();
    assert!(
        all.contains("George_W_Bush"),
        "the unredacted package names every candidate"
    );
    let text = pdftotext(&pdf2);
    for p in text.split('\u{c}').filter(|p| !p.trim().is_empty()) {
        assert!(
            p.contains("UNREDACTED under order Protective order 26-PO-7"),
            "{p}"
        );
    }

    // An audit record altered in the database after the export.
    let a = json_of(&files, "audit.json");
    let id = a["records"][0]["id"].as_i64().unwrap();
    alter_audit_row(&app, id);
    let (code, v) = verify(&app, &zip, false);
    assert_eq!(code, 0, "offline the package still holds: {v}");
    let (code, v) = verify(&app, &zip, true);
    assert_ne!(code, 0);
    assert_eq!(v["audit_chain_valid"], false, "{v}");
    assert_eq!(v["database_matches"], false, "{v}");
}

#[actix_web::test]
async fn a_no_lead_package_verifies_and_names_no_candidate() {
    let app = spawn_app().await;
    let _photos = enroll_gallery(&app, &PEOPLE);
    let (_, number) = concluded_case(&app, 3, false).await;
    let out = tempfile::tempdir().unwrap();
    let (pdf, zip) = export(&app, &number, &[], out.path());
    assert!(pdfsig(&pdf).contains("Signature is Valid"));
    let (code, v) = verify(&app, &zip, true);
    assert_eq!(code, 0, "{v}");
    assert!(
        v["files"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["ok"] == true)
    );
    let d = json_of(&entries(&zip), "disclosure.json");
    assert_eq!(d["result"], "no possible lead");
    assert_eq!(d["redacted"], true);
    for p in PEOPLE {
        names_nowhere(&zip, &pdf, p);
    }
}

/// The package's row.
fn package(app: &TestApp, id: &str) -> frdesk::disclosure::store::Disclosure {
    let mut c = app.pool.get().unwrap();
    frdesk::disclosure::store::Disclosure::by_disclosure_id(&mut c, id)
        .unwrap()
        .unwrap_or_else(|| panic!("package {id}"))
}

/// The outcomes of the audit records of `action` on case `case_id`, in order.
fn outcomes(app: &TestApp, action: &str, case_id: i64) -> Vec<String> {
    app.audit()
        .into_iter()
        .filter(|r| r.action == action && r.object_id == case_id.to_string())
        .map(|r| r.outcome)
        .collect()
}

/// The case page's steps, by two people: a supervisor prepares (a form refused with the errors
/// beside their fields and what was typed kept), cannot approve their own package, and cannot
/// release it unapproved; a system administrator refuses one package (a reason needed) and
/// approves the other; the release is made once however often it is pressed; the downloads
/// are the recorded files, the PDF signed and marked, the ZIP valid against the database;
/// every step, refusal and download is an audit record, and only the service's supervisors
/// and system administrators see any of it.
#[actix_web::test]
async fn the_case_page_takes_a_package_through_a_second_person_to_release() {
    let app = spawn_app().await;
    let _photos = enroll_gallery(&app, &PEOPLE);
    let (case_id, number) = concluded_case(&app, 2, true).await;
    crate::agencies::new_user(&app, SERVICE, "sysadmin@test.example", "system_admin");
    let page_url = format!("/cases/{case_id}/disclosures");

    // Who sees it.
    let sup = app.login("supervisor@test.example").await;
    let (s, case_page) = sup.get_text(&format!("/cases/{case_id}")).await;
    assert_eq!(s, 200);
    assert!(case_page.contains("Disclosure for court"), "{case_page}");
    assert!(case_page.contains(&format!("href=\"{page_url}\"")));
    for who in [
        "requester.a@test.example",
        "admin.a@test.example",
        "reviewer@test.example",
        "examiner@test.example",
    ] {
        let c = app.login(who).await;
        let (_, p) = c.get_text(&format!("/cases/{case_id}")).await;
        assert!(
            !p.contains("Disclosure for court"),
            "{who} sees the section"
        );
        assert_eq!(c.get(&page_url).await.status().as_u16(), 403, "{who}");
    }
    assert!(
        outcomes(&app, "disclosure.access", case_id)
            .iter()
            .all(|o| o == "denied")
            && outcomes(&app, "disclosure.access", case_id).len() == 4
    );

    // A refused preparation: both errors beside their fields, the ticks and text kept.
    let (_, page) = sup.get_text(&page_url).await;
    let csrf = csrf_of(&page);
    let r = sup
        .post_form(
            &page_url,
            &[
                ("csrf_token", &csrf),
                ("basis", "subpoena"),
                ("unredacted", "on"),
                ("protective_order", "on"),
            ],
        )
        .await;
    assert_eq!(r.status().as_u16(), 422);
    let body = r.text().await.unwrap();
    assert!(body.contains("id=\"basis-error\""), "{body}");
    assert!(body.contains("id=\"order-error\""), "{body}");
    assert!(body.contains(">subpoena</textarea>"), "typed basis kept");
    assert!(body.contains("name=\"unredacted\" value=\"on\" checked"));
    assert!(body.contains("name=\"protective_order\" value=\"on\" checked"));
    assert!(package_opt(&app, &format!("{number}-D1")).is_none());

    // Prepared; not approvable nor releasable by the same person.
    let basis = "Discovery order, Superior Court of Essex County, Ind. No. 26-11-0042, 2026-11-30, defence counsel";
    let r = sup
        .post_form(
            &page_url,
            &[
                ("csrf_token", &csrf),
                ("basis", basis),
                ("protective_order", "on"),
            ],
        )
        .await;
    assert_eq!(r.status().as_u16(), 303);
    let d1 = format!("{number}-D1");
    assert_eq!(package(&app, &d1).status, "prepared");
    let (_, page) = sup.get_text(&page_url).await;
    assert!(page.contains("You prepared this package"), "{page}");
    assert!(!page.contains(&format!("/disclosures/{d1}/approve")));
    let r = act(&sup, &page_url, &d1, "approve", vec![]).await;
    assert_eq!(r.status().as_u16(), 403);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("A second person approves the release")
    );
    assert_eq!(
        act(&sup, &page_url, &d1, "release", vec![])
            .await
            .status()
            .as_u16(),
        409
    );
    assert_eq!(package(&app, &d1).status, "prepared");
    assert_eq!(outcomes(&app, "disclosure.approve", case_id), ["denied"]);

    // A second package, refused by the second person (a reason is needed).
    let r = sup
        .post_form(
            &page_url,
            &[
                ("csrf_token", &csrf),
                ("basis", basis),
                ("unredacted", "on"),
                ("order", "Protective order of Judge R. Alvarez, 2026-11-28"),
            ],
        )
        .await;
    assert_eq!(r.status().as_u16(), 303);
    let d2 = format!("{number}-D2");
    assert!(!package(&app, &d2).redacted);
    let sys = app.login("sysadmin@test.example").await;
    let (_, page) = sys.get_text(&page_url).await;
    assert!(page.contains(&format!("/disclosures/{d2}/reject")));
    let r = act(
        &sys,
        &page_url,
        &d2,
        "reject",
        vec![("reject_reason", "no".into())],
    )
    .await;
    assert_eq!(r.status().as_u16(), 422);
    let body = r.text().await.unwrap();
    let d2_row = package(&app, &d2).id;
    assert!(
        body.contains(&format!("id=\"reject-reason-{d2_row}-error\"")),
        "{body}"
    );
    let why = "The order names another defendant.";
    let r = act(
        &sys,
        &page_url,
        &d2,
        "reject",
        vec![("reject_reason", why.into())],
    )
    .await;
    assert_eq!(r.status().as_u16(), 303);
    let p2 = package(&app, &d2);
    assert_eq!(
        (p2.status.as_str(), p2.reject_reason.as_deref()),
        ("rejected", Some(why))
    );
    assert_eq!(
        act(&sys, &page_url, &d2, "approve", vec![])
            .await
            .status()
            .as_u16(),
        409
    );

    // The first, approved by the second person (once), released (once).
    assert_eq!(
        act(&sys, &page_url, &d1, "approve", vec![])
            .await
            .status()
            .as_u16(),
        303
    );
    assert_eq!(
        act(&sys, &page_url, &d1, "approve", vec![])
            .await
            .status()
            .as_u16(),
        409
    );
    let p1 = package(&app, &d1);
    assert_eq!(p1.approved_by.as_deref(), Some("sysadmin@test.example"));
    assert_eq!(p1.status, "approved");
    let (a, b) = tokio::join!(
        act(&sup, &page_url, &d1, "release", vec![]),
        act(&sup, &page_url, &d1, "release", vec![])
    );
    let mut codes = [a.status().as_u16(), b.status().as_u16()];
    codes.sort();
    assert_eq!(codes, [303, 409], "released exactly once");
    let p1 = package(&app, &d1);
    assert_eq!(p1.status, "released");
    assert!(p1.released_at.unwrap() > p1.approved_at.unwrap());
    let log: Vec<_> = {
        let mut c = app.pool.get().unwrap();
        frdesk::result::dissemination::Dissemination::for_case(
            &mut c,
            frdesk::domain::CaseId(case_id),
        )
        .unwrap()
        .into_iter()
        .filter(|d| d.row.channel == "disclosure")
        .collect()
    };
    assert_eq!(log.len(), 1, "one release in the dissemination log");
    assert_eq!(log[0].row.packet_id, d1);
    assert_eq!(log[0].row.packet_sha256, p1.zip_sha256.clone().unwrap());
    assert_eq!(outcomes(&app, "disclosure.release", case_id), ["success"]);
    let mail = app.wait_for_mail_to("contact@test.example", 1).await;
    assert!(
        mail.iter().any(|m| m.contains(&d1)),
        "the agency is told: {mail:?}"
    );

    // The downloads are the recorded files; the PDF is signed and marked; the ZIP verifies.
    let (_, page) = sup.get_text(&page_url).await;
    assert!(page.contains("Release approved"), "{page}");
    let out = tempfile::tempdir().unwrap();
    let mut files = Vec::new();
    for (file, sha) in [
        ("report.pdf", p1.pdf_sha256.clone().unwrap()),
        ("package.zip", p1.zip_sha256.clone().unwrap()),
    ] {
        let href = format!("{page_url}/{d1}/{file}");
        assert!(page.contains(&format!("href=\"{href}\"")), "{file} link");
        let r = sup.get(&href).await;
        assert_eq!(r.status().as_u16(), 200, "{file}");
        assert!(
            r.headers()["content-disposition"]
                .to_str()
                .unwrap()
                .contains(&d1)
        );
        let bytes = r.bytes().await.unwrap();
        assert_eq!(
            frdesk::disclosure::package::sha256_hex(&bytes),
            sha,
            "{file}"
        );
        let path = out.path().join(file);
        std::fs::write(&path, &bytes).unwrap();
        files.push(path);
    }
    let sig = pdfsig(&files[0]);
    assert!(sig.contains("Signature is Valid"), "{sig}");
    let text = pdftotext(&files[0]);
    assert!(text.contains("PROTECTIVE ORDER"), "marked as chosen");
    assert!(
        text.contains("sysadmin@test.example"),
        "the approver is named"
    );
    let (code, report) = verify(&app, &files[1], true);
    assert_eq!(code, 0, "{report}");
    assert_eq!(report["case"], number);
    let manifest = json_of(&entries(&files[1]), "disclosure.json");
    assert_eq!(manifest["prepared_by"], "supervisor@test.example");
    assert_eq!(manifest["approved_by"], "sysadmin@test.example");
    assert_eq!(manifest["prepared_and_approved_from_command_line"], false);
    assert_eq!(outcomes(&app, "disclosure.download", case_id).len(), 2);
    let examiner = app.login("examiner@test.example").await;
    let r = examiner.get(&format!("{page_url}/{d1}/package.zip")).await;
    assert_eq!(r.status().as_u16(), 403);

    // The timeline tells the story.
    let (_, case_page) = sup.get_text(&format!("/cases/{case_id}")).await;
    for what in [
        format!("Disclosure package {d1} prepared"),
        format!("Disclosure package {d1} approved for release"),
        format!("Disclosure package {d2} not released: {why}"),
        format!("Disclosure package {d1} released"),
    ] {
        assert!(case_page.contains(&what), "timeline: {what}");
    }
}

/// Posts a step of package `id` (`POST {page_url}/{id}/{action}`) as `who`, with the CSRF
/// token of `who`'s session.
async fn act(
    who: &Client,
    page_url: &str,
    id: &str,
    action: &str,
    extra: Vec<(&'static str, String)>,
) -> reqwest::Response {
    let (_, page) = who.get_text(page_url).await;
    let mut form = vec![("csrf_token", csrf_of(&page))];
    form.extend(extra);
    let f: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    who.post_form(&format!("{page_url}/{id}/{action}"), &f)
        .await
}

fn package_opt(app: &TestApp, id: &str) -> Option<frdesk::disclosure::store::Disclosure> {
    let mut c = app.pool.get().unwrap();
    frdesk::disclosure::store::Disclosure::by_disclosure_id(&mut c, id).unwrap()
}
