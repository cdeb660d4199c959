//! The whole flow in a real browser: headless Chromium driven through chromedriver (Debian's
//! `chromium` and `chromium-driver`, no download) by four users — the requester submits with a
//! real photo, the reviewer approves, two examiners review blind, the requester downloads the
//! signed packet. Screenshots of each page go to `target/e2e-screenshots/` for inspection.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::{Client as Browser, ClientBuilder, Locator};
use sha2::{Digest, Sha256};

use crate::helpers::*;
use crate::mail::free_port;
use crate::search::{enroll_gallery, searches, wait_until_analysed, wait_until_finished};

/// chromedriver on a loopback port; killed when dropped.
pub(crate) struct Driver {
    child: Child,
    port: u16,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn chromedriver() -> PathBuf {
    std::env::var_os("FRDESK_CHROMEDRIVER")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/bin/chromedriver"))
}

pub(crate) async fn start_driver() -> Driver {
    let port = free_port();
    let child = Command::new(chromedriver())
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("chromedriver (Debian chromium-driver; script/setup installs it)");
    let driver = Driver { child, port };
    for _ in 0..100 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return driver;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("chromedriver did not listen on {port}");
}

/// A fresh headless Chromium (own profile, so own cookies) for one user.
pub(crate) async fn browser(driver: &Driver, profile: &Path) -> Browser {
    let chromium = std::env::var("FRDESK_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        serde_json::json!({
            "binary": chromium,
            "args": [
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
                "--window-size=1280,1400",
                format!("--user-data-dir={}", profile.display()),
            ],
        }),
    );
    ClientBuilder::native()
        .capabilities(caps)
        .connect(&format!("http://127.0.0.1:{}", driver.port))
        .await
        .expect("a Chromium session through chromedriver")
}

fn screenshot_dir() -> PathBuf {
    // CARGO_TARGET_TMPDIR is <target>/tmp; screenshots go beside it.
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .map(|p| p.join("e2e-screenshots"))
        .unwrap_or_else(|| PathBuf::from("target/e2e-screenshots"));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Saves a screenshot of the page as `<name>.png`, then checks the page as every page the test
/// visits is checked: it does not scroll sideways, and axe-core finds no serious or critical
/// WCAG 2.1 A/AA violation (`assert_accessible`).
pub(crate) async fn shot(b: &Browser, name: &str) {
    let png = b.screenshot().await.unwrap();
    assert!(png.starts_with(b"\x89PNG"), "a PNG screenshot");
    std::fs::write(screenshot_dir().join(format!("{name}.png")), png).unwrap();
    assert_fits_width(b, name).await;
    assert_numbers_unbroken(b, name).await;
    assert_accessible(b, name).await;
}

/// No table cell that holds a case number or a date (with or without its time) breaks it
/// across lines.
pub(crate) async fn assert_numbers_unbroken(b: &Browser, what: &str) {
    let broken = b
        .execute(
            r#"const re = /^(FR-\d{4}-\d{6}(-P\d+)?|\d{4}-\d{2}-\d{2}( \d{2}:\d{2}(:\d{2})?( UTC)?)?)$/;
               const broken = [];
               for (const cell of document.querySelectorAll('td, th')) {
                 const text = cell.textContent.trim();
                 if (!re.test(text)) continue;
                 const range = document.createRange();
                 range.selectNodeContents(cell);
                 const tops = [...range.getClientRects()].filter(r => r.width > 0)
                   .map(r => r.top).sort((a, b) => a - b);
                 if (tops.length && tops[tops.length - 1] - tops[0] > 5) broken.push(text);
               }
               return broken;"#,
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(
        broken,
        serde_json::json!([]),
        "{what}: table cells break a case number or date across lines"
    );
}

/// The axe-core release the test injects: `tests/browser/package-lock.json` pins the version
/// (npm checks its sha512 integrity on `npm ci`, run by script/setup); the SHA-256 of the
/// file is checked here as well, so the rules never change under the test.
const AXE_VERSION: &str = "4.14.1";
const AXE_SHA256: &str = "29348999450cdf2849a8e70b7912fc2da85a849da39c0d0d5394f51d4a9ed95c";

fn axe_source() -> &'static str {
    static AXE: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    AXE.get_or_init(|| {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/browser/node_modules/axe-core/axe.min.js");
        let bytes = std::fs::read(&path).unwrap_or_else(|e| {
            panic!(
                "{}: {e}; script/setup installs axe-core {AXE_VERSION} (cd tests/browser && npm ci)",
                path.display()
            )
        });
        assert_eq!(
            hex::encode(Sha256::digest(&bytes)),
            AXE_SHA256,
            "{} is not axe-core {AXE_VERSION} as pinned (cd tests/browser && npm ci)",
            path.display()
        );
        String::from_utf8(bytes).expect("axe.min.js is UTF-8")
    })
}

/// Runs axe-core on the page (WCAG 2.0/2.1 levels A and AA) and fails on any violation of
/// impact serious or critical, naming the rule, its impact and the elements.
pub(crate) async fn assert_accessible(b: &Browser, what: &str) {
    // A navigation may still be replacing the document: wait until it is complete.
    for _ in 0..100 {
        let ready = b
            .execute("return document.readyState;", vec![])
            .await
            .unwrap_or_default();
        if ready == serde_json::json!("complete") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Injected through WebDriver (not a <script> element), so the page's CSP is unchanged.
    b.execute(
        &format!(
            "if (typeof window.axe === 'undefined') {{ {} }} return true;",
            axe_source()
        ),
        vec![],
    )
    .await
    .unwrap_or_else(|e| panic!("{what}: injecting axe-core: {e}"));
    let got = b
        .execute_async(
            "const done = arguments[arguments.length - 1];
             axe.run(document, {runOnly: {type: 'tag',
                                          values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}})
               .then(r => done(r.violations
                 .filter(v => v.impact === 'serious' || v.impact === 'critical')
                 .map(v => ({id: v.id, impact: v.impact, help: v.help,
                             nodes: v.nodes.map(n => n.target.join(' ') + ' — ' + n.failureSummary)}))))
               .catch(e => done([{id: 'axe-error', impact: 'critical', help: String(e), nodes: []}]));",
            vec![],
        )
        .await
        .unwrap_or_else(|e| panic!("{what}: running axe-core: {e}"));
    let violations = got.as_array().cloned().unwrap_or_default();
    if !violations.is_empty() {
        let report: Vec<String> = violations
            .iter()
            .map(|v| {
                let nodes: Vec<String> = v["nodes"]
                    .as_array()
                    .map(|n| {
                        n.iter()
                            .map(|x| format!("    {}", x.as_str().unwrap_or("")))
                            .collect()
                    })
                    .unwrap_or_default();
                format!(
                    "  {} ({}): {}\n{}",
                    v["id"],
                    v["impact"],
                    v["help"],
                    nodes.join("\n")
                )
            })
            .collect();
        panic!(
            "{what} ({}): axe-core {AXE_VERSION} found serious or critical WCAG 2.1 A/AA violations:\n{}",
            path_of(b).await,
            report.join("\n")
        );
    }
}

/// The page does not scroll sideways at the current window width (wide tables scroll inside
/// their own box).
pub(crate) async fn assert_fits_width(b: &Browser, what: &str) {
    let fits = b
        .execute(
            "return document.scrollingElement.scrollWidth <= window.innerWidth;",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(fits, serde_json::json!(true), "{what} scrolls sideways");
}

/// The page's text, once a document is there to read: a navigation that replaces the document
/// between finding `body` and reading it (a stale element) is waited out, never raced.
async fn text_of_page(b: &Browser) -> String {
    for _ in 0..100 {
        if let Ok(body) = b.find(Locator::Css("body")).await
            && let Ok(text) = body.text().await
        {
            return text;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("no readable document at {}", path_of(b).await);
}

/// Waits until the page shows `what` (e.g. the state a form post leads to); returns the text.
pub(crate) async fn wait_for_text(b: &Browser, what: &str) -> String {
    let mut text = String::new();
    for _ in 0..100 {
        text = text_now(b).await;
        if text.contains(what) {
            return text;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the page never showed {what:?}: {text}");
}

/// The page's text, or "" while a navigation is still replacing the document (for polling).
pub(crate) async fn text_now(b: &Browser) -> String {
    match b.find(Locator::Css("body")).await {
        Ok(e) => e.text().await.unwrap_or_default(),
        Err(_) => String::new(),
    }
}

pub(crate) async fn fill(b: &Browser, id: &str, value: &str) {
    // The element may belong to a page that is still loading after a click: wait for it.
    let mut found = None;
    for _ in 0..100 {
        if let Ok(e) = b.find(Locator::Id(id)).await {
            found = Some(e);
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let e = found.unwrap_or_else(|| panic!("no field #{id}"));
    e.clear().await.unwrap();
    e.send_keys(value).await.unwrap();
}

async fn path_of(b: &Browser) -> String {
    b.current_url().await.unwrap().path().to_string()
}

async fn wait_until_left(b: &Browser, path: &str) -> String {
    for _ in 0..100 {
        let p = path_of(b).await;
        if p != path {
            return p;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("still on {path}: {}", text_of_page(b).await);
}

pub(crate) async fn submit(b: &Browser, form_action: &str) {
    b.find(Locator::Css(&format!(
        "form[action='{form_action}'] button[type=submit]"
    )))
    .await
    .unwrap()
    .click()
    .await
    .unwrap();
}

/// Logs in through the login page (the system-use banner is accepted by the button), then the
/// second factor: the authenticator code, or — for an account without one — the enrolment page,
/// whose key is read off the page as a phone would scan it. Returns the page the person lands on
/// (each role lands on its work).
pub(crate) async fn log_in(b: &Browser, base: &str, app: &TestApp, email: &str) -> String {
    b.goto(&format!("{base}/login")).await.unwrap();
    fill(b, "email", email).await;
    fill(b, "password", PASSWORD).await;
    submit(b, "/login").await;
    match wait_until_left(b, "/login").await.as_str() {
        "/login/enrol" => {
            shot(b, "00-enrol-authenticator").await;
            let key: String = b
                .find(Locator::Id("totp-secret"))
                .await
                .unwrap()
                .text()
                .await
                .unwrap()
                .split_whitespace()
                .collect();
            let secret = totp_rs::Secret::try_from_base32(&key)
                .unwrap()
                .as_ref()
                .to_vec();
            let step = unix_now() / frdesk::accounts::second_factor::STEP_SECONDS;
            fill(b, "code", &totp_code(&secret, step)).await;
            submit(b, "/login/enrol").await;
            for _ in 0..100 {
                if text_now(b).await.contains("Your authenticator is set up") {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            shot(b, "00-recovery-codes").await;
            let codes = recovery_codes_of(&b.source().await.unwrap());
            assert_eq!(codes.len(), frdesk::accounts::second_factor::RECOVERY_CODES);
            app.mfa.put(
                email,
                Phone {
                    secret,
                    last_step: step,
                    recovery: codes,
                },
            );
            b.find(Locator::LinkText("Continue to your work"))
                .await
                .unwrap()
                .click()
                .await
                .unwrap();
            wait_until_left(b, "/login/enrol").await
        }
        "/login/verify" => {
            fill(b, "code", &app.mfa.next_code(email).await).await;
            submit(b, "/login/verify").await;
            let p = wait_until_left(b, "/login/verify").await;
            assert!(!p.starts_with("/login"), "login of {email} failed");
            p
        }
        other => panic!(
            "login of {email} failed at {other}: {}",
            text_of_page(b).await
        ),
    }
}

/// Presses the first "Claim and start" (or "Continue") button of the examiners' queue and waits
/// until the work's page replaced the queue.
async fn claim_first(b: &Browser) {
    b.find(Locator::Css(
        "form[action='/examine/claim'] button[type=submit]",
    ))
    .await
    .unwrap()
    .click()
    .await
    .unwrap();
    wait_until_left(b, "/examine").await;
}

pub(crate) async fn click(b: &Browser, css: &str) {
    let mut found = None;
    for _ in 0..100 {
        if let Ok(e) = b.find(Locator::Css(css)).await {
            found = Some(e);
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    found
        .unwrap_or_else(|| panic!("no element {css}"))
        .click()
        .await
        .unwrap();
}

/// Presses a key on the page (the comparison view's shortcuts listen on the document).
async fn press(b: &Browser, key: &str) {
    b.execute(
        "document.dispatchEvent(new KeyboardEvent('keydown', {key: arguments[0], bubbles: true}));",
        vec![serde_json::json!(key)],
    )
    .await
    .unwrap();
}

/// Walks one examiner's review through the comparison view, one candidate at a time: the
/// probe crop and the candidate crop side by side, a disposition, features and a note, "Save
/// and next" (each candidate saved on the server), then "Record my review". Screenshots of
/// the view (desktop, zoomed, 390 px) as `06-examiner{n}-…`.
async fn examine(b: &Browser, n: u32, ranks: &[u32], mate: u32, note: &str) {
    for (i, r) in ranks.iter().enumerate() {
        wait_for_text(b, &format!("Candidate {r} (")).await;
        if i == 0 {
            // The keyboard steps to the next candidate and back (nothing typed yet).
            if ranks.len() > 1 {
                press(b, "j").await;
                wait_for_text(b, &format!("Candidate {} (", ranks[1])).await;
                press(b, "k").await;
                wait_for_text(b, &format!("Candidate {r} (")).await;
            }
            shot(b, &format!("06-examiner{n}-compare")).await;
            click(b, "label[for='zoom-3']").await;
            shot(b, &format!("06-examiner{n}-compare-zoom")).await;
            click(b, "label[for='zoom-1']").await;
            b.set_window_size(390, 900).await.unwrap();
            shot(b, &format!("06-examiner{n}-compare-390")).await;
            assert_fits_width(b, "the comparison view").await;
            b.set_window_size(1280, 1400).await.unwrap();
        }
        let d = if *r == mate {
            "possible_lead"
        } else {
            "excluded"
        };
        click(b, &format!("input[name='d_{r}'][value='{d}']")).await;
        for f in ["eyes", "nose", "mouth"] {
            click(b, &format!("input[name='f_{r}'][value='{f}']")).await;
        }
        fill(b, &format!("n_{r}"), &format!("{note}: candidate {r}")).await;
        click(b, "button[name='action'][value='save']").await;
        wait_for_text(b, &format!("Candidate {r} saved to your draft")).await;
    }
    let page = wait_for_text(b, "Every candidate has what it needs").await;
    assert!(!page.contains("To do"), "{page}");
    shot(b, &format!("06-examiner{n}-review")).await;
    click(b, "#record-review").await;
}

#[actix_web::test]
async fn four_users_walk_the_whole_flow_in_headless_chromium() {
    let app = spawn_app().await;
    let base = app.address.clone();
    let _gallery = enroll_gallery(
        &app,
        &["Colin_Powell", "George_W_Bush", "Tony_Blair", "Hans_Blix"],
    );
    let profiles = tempfile::tempdir().unwrap();
    let (probe_name, probe_bytes) = photo("Colin_Powell", 2);
    let probe_path = profiles.path().join(&probe_name);
    std::fs::write(&probe_path, &probe_bytes).unwrap();
    let driver = start_driver().await;
    // The requester has no authenticator yet: they set one up in the browser at first login.
    {
        let mut c = app.pool.get().unwrap();
        let u = frdesk::accounts::store::User::by_email(&mut c, "requester.a@test.example")
            .unwrap()
            .unwrap();
        frdesk::accounts::second_factor::reset(&mut c, u.id).unwrap();
    }

    // 1. The requester fills in the form with a real photo and submits it.
    let b = browser(&driver, &profiles.path().join("requester")).await;
    let landed = log_in(&b, &base, &app, "requester.a@test.example").await;
    assert_eq!(landed, "/cases", "a requester lands on their cases");
    shot(&b, "01-requester-cases").await;
    // Their name in the header opens their account page.
    b.find(Locator::Css("header a[href='/account']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    b.wait()
        .for_element(Locator::Id("current_password"))
        .await
        .unwrap();
    let page = text_now(&b).await;
    assert!(
        page.contains("Change your password") && page.contains("10 of 10"),
        "{page}"
    );
    shot(&b, "01-requester-account").await;
    b.goto(&format!("{base}/cases")).await.unwrap();
    b.find(Locator::LinkText("New request"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    b.wait()
        .for_element(Locator::Id("requester_name"))
        .await
        .unwrap();
    let today = chrono::Utc::now()
        .date_naive()
        .format("%Y-%m-%d")
        .to_string();
    b.execute(
        "document.getElementById('request_date').value = arguments[0];",
        vec![serde_json::json!(today)],
    )
    .await
    .unwrap();
    fill(&b, "case_file_number", "123-89765-0123-41X").await;
    fill(
        &b,
        "search_reason",
        "Robbery suspect, Case# 123-89765-0123-41X, 211 PC",
    )
    .await;
    b.find(Locator::Id("authorized_purpose"))
        .await
        .unwrap()
        .select_by_value("criminal_offense")
        .await
        .unwrap();
    fill(&b, "offense_code", "211 PC").await;
    b.find(Locator::Id("image_source"))
        .await
        .unwrap()
        .select_by_value("surveillance_still")
        .await
        .unwrap();
    // The live reason check can shift the layout under a click: click until it is selected.
    let mut selected = false;
    for _ in 0..50 {
        let radio = b
            .find(Locator::Css("input[name='from_video'][value='yes']"))
            .await
            .unwrap();
        if radio.is_selected().await.unwrap_or(false) {
            selected = true;
            break;
        }
        let _ = radio.click().await;
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(selected, "the from_video radio never took the click");
    fill(
        &b,
        "video_recording",
        "Store camera 3, 2026-11-20 21:14, cam3.mp4",
    )
    .await;
    b.find(Locator::Id("images"))
        .await
        .unwrap()
        .send_keys(&probe_path.to_string_lossy())
        .await
        .unwrap();
    // The number of images is counted as the file is chosen, not typed.
    let mut counted = String::new();
    for _ in 0..100 {
        counted = b
            .find(Locator::Id("images_count"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap_or_default();
        if counted.trim() == "1" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(counted.trim(), "1", "the page counts the chosen file");
    for id in ["attest_lead_only", "attest_lawful"] {
        b.find(Locator::Id(id))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
    }
    fill(&b, "signature_name", "Dana Reyes").await;
    shot(&b, "02-requester-form-filled").await;
    b.find(Locator::Css("button[name='action'][value='submit']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    b.wait().for_element(Locator::Css("h1")).await.unwrap();
    let url = b.current_url().await.unwrap();
    let page = text_of_page(&b).await;
    let case_id: i64 = url
        .path()
        .trim_start_matches("/cases/")
        .parse()
        .unwrap_or_else(|_| panic!("submitted case page, got {url}: {page}"));
    let page = text_of_page(&b).await;
    assert!(
        page.contains("Awaiting review") || page.contains("Submitted"),
        "{page}"
    );
    shot(&b, "03-requester-submitted").await;
    b.close().await.unwrap();

    // 2. The reviewer approves it from the review queue.
    let b = browser(&driver, &profiles.path().join("reviewer")).await;
    let landed = log_in(&b, &base, &app, "reviewer@test.example").await;
    assert_eq!(landed, "/review", "a reviewer lands on the review queue");
    wait_for_text(&b, "Compliance review queue").await;
    shot(&b, "04-reviewer-queue").await;
    // Their dashboard (issue 16): the request in "my work" with its due time.
    b.goto(&format!("{base}/dashboard")).await.unwrap();
    let page = wait_for_text(&b, "My work").await;
    assert!(
        page.contains("Compliance review") && page.contains("due "),
        "{page}"
    );
    shot(&b, "04a-reviewer-dashboard").await;
    b.goto(&format!("{base}/review/{case_id}")).await.unwrap();
    b.find(Locator::Css("input[name='decision'][value='approve']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    fill(&b, "comment", "Compliant; approved for search.").await;
    shot(&b, "05-reviewer-decision").await;
    b.find(Locator::Css("form[action^='/review/'] button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    // Back on the queue: the confirmation, and the next request (none left).
    let page = wait_for_text(&b, "approved.").await;
    assert!(page.contains("Your queue is empty"), "{page}");
    assert_eq!(path_of(&b).await, "/review");
    shot(&b, "05-reviewer-confirmation").await;
    b.close().await.unwrap();

    // 2b. A trained examiner assesses the probe (analysed in the background) and starts the
    // search from the case page.
    wait_until_analysed(&app, case_id).await;
    let b = browser(&driver, &profiles.path().join("examiner-start")).await;
    let landed = log_in(&b, &base, &app, "examiner@test.example").await;
    assert_eq!(
        landed, "/examine",
        "an examiner lands on the examiners' queue"
    );
    // The approved case waits in the examiners' queue, free to claim; the queue and the
    // assessment fit 390 px.
    let page = wait_for_text(&b, "Assess the probes and start the search").await;
    assert!(page.contains("Claim and start"), "{page}");
    shot(&b, "05a-examiner-queue").await;
    b.set_window_size(390, 900).await.unwrap();
    shot(&b, "05a-examiner-queue-390").await;
    assert_fits_width(&b, "the examiners' queue").await;
    b.goto(&format!("{base}/cases/{case_id}/assessment"))
        .await
        .unwrap();
    b.wait()
        .for_element(Locator::Css("form[action$='/assessment']"))
        .await
        .unwrap();
    shot(&b, "05b-examiner-probe-assessment-390").await;
    assert_fits_width(&b, "the probe assessment").await;
    b.set_window_size(1280, 1400).await.unwrap();
    // Claim and start from the queue (a POST: opening a page never claims).
    b.goto(&format!("{base}/examine")).await.unwrap();
    claim_first(&b).await;
    b.wait()
        .for_element(Locator::Css("form[action$='/assessment']"))
        .await
        .unwrap();
    let page = text_of_page(&b).await;
    assert!(page.contains("between the eyes"), "quality shown: {page}");
    shot(&b, "05b-examiner-probe-assessment").await;
    let assess = format!("/cases/{case_id}/assessment");
    submit(&b, &assess).await;
    // Back on the queue: the confirmation and the next item (none).
    let page = wait_for_text(&b, "Search started for").await;
    assert!(page.contains("Your queue is empty"), "{page}");
    shot(&b, "05c-examiner-search-started").await;
    b.close().await.unwrap();

    // The search runs in the background.
    let s = wait_until_finished(&app, case_id).await;
    assert_eq!(s[0].status.as_str(), "searched", "{:?}", s[0]);
    let ranks: Vec<u32> = s[0].candidates().iter().map(|c| c.rank).collect();
    let mate = s[0]
        .candidates()
        .iter()
        .find(|c| c.subject_key == "Colin_Powell")
        .map(|c| c.rank)
        .expect("the mate is in the candidate list");

    // 3. Two examiners review blind: the second never sees the first's dispositions.
    for (n, email, note) in [
        (1, "examiner@test.example", "First examiner compared"),
        (2, "examiner2@test.example", "Second examiner compared"),
    ] {
        let b = browser(&driver, &profiles.path().join(format!("examiner{n}"))).await;
        let landed = log_in(&b, &base, &app, email).await;
        assert_eq!(landed, "/examine");
        wait_for_text(
            &b,
            if n == 1 {
                "First review"
            } else {
                "Blind second review"
            },
        )
        .await;
        // Claim the review from the queue; the queue then shows it as the examiner's own.
        claim_first(&b).await;
        b.wait()
            .for_element(Locator::Css("table.candidates"))
            .await
            .unwrap();
        if n == 2 {
            // A supervisor sees the live claim, with release and reassign; fits 390 px.
            let sv = browser(&driver, &profiles.path().join("supervisor")).await;
            let landed = log_in(&sv, &base, &app, "supervisor@test.example").await;
            assert_eq!(
                landed, "/examine",
                "a supervisor lands on the examiners' queue"
            );
            let page = wait_for_text(&sv, "Claims in progress").await;
            assert!(
                page.contains("Kim Alvarez") && page.contains("Release"),
                "{page}"
            );
            shot(&sv, "06b-supervisor-claims").await;
            sv.set_window_size(390, 900).await.unwrap();
            shot(&sv, "06b-supervisor-claims-390").await;
            assert_fits_width(&sv, "the supervisor's claims").await;
            // The service view of the dashboard (issue 16): queue depth and turnaround charts.
            sv.goto(&format!("{base}/dashboard")).await.unwrap();
            wait_for_text(&sv, "Queue depth per stage").await;
            shot(&sv, "06c-supervisor-dashboard-390").await;
            sv.set_window_size(1280, 1400).await.unwrap();
            shot(&sv, "06c-supervisor-dashboard").await;
            sv.close().await.unwrap();
        }
        if n == 1 {
            b.goto(&format!("{base}/examine")).await.unwrap();
            let page = wait_for_text(&b, "Claimed by you").await;
            assert!(page.contains("Continue"), "{page}");
            shot(&b, "06a-examiner-queue-claimed").await;
            b.set_window_size(390, 900).await.unwrap();
            shot(&b, "06a-examiner-queue-claimed-390").await;
            assert_fits_width(&b, "the examiners' queue with a claim").await;
            b.set_window_size(1280, 1400).await.unwrap();
            // The examiner's dashboard: the claimed review in "my work" (issue 16).
            b.goto(&format!("{base}/dashboard")).await.unwrap();
            wait_for_text(&b, "Claimed by you").await;
            shot(&b, "06a-examiner-dashboard").await;
            b.goto(&format!("{base}/examine")).await.unwrap();
            wait_for_text(&b, "Claimed by you").await;
            claim_first(&b).await;
            b.wait()
                .for_element(Locator::Css("table.candidates"))
                .await
                .unwrap();
        }
        let page = text_of_page(&b).await;
        assert!(
            !page.contains("First examiner compared"),
            "blind review: the second examiner sees the first's notes"
        );
        examine(&b, n, &ranks, mate, note).await;
        // The post leads back to the queue with a confirmation and the next item (none).
        let page = wait_for_text(&b, "Review recorded for").await;
        assert!(
            !page.contains("must be given a disposition") && page.contains("Your queue is empty"),
            "the review was refused: {page}"
        );
        assert_eq!(path_of(&b).await, "/examine");
        shot(&b, &format!("07-examiner{n}-recorded")).await;
        // The case's candidate list is now in its next state.
        b.goto(&format!("{base}/cases/{case_id}/probes/{}/review", s[0].id))
            .await
            .unwrap();
        wait_for_text(
            &b,
            if n == 1 {
                "Awaiting the blind second review"
            } else {
                "Concluded"
            },
        )
        .await;
        b.close().await.unwrap();
    }

    // The packet is issued in the background.
    let mut packet = None;
    for _ in 0..600 {
        let mut c = app.pool.get().unwrap();
        let p =
            frdesk::result::store::PacketRecord::for_case(&mut c, frdesk::domain::CaseId(case_id))
                .unwrap();
        if let Some(p) = p.into_iter().next() {
            packet = Some(p);
            break;
        }
        drop(c);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let packet = packet.expect("a packet is issued after two agreeing reviews");
    assert_eq!(packet.result, "possible_lead");
    assert_eq!(searches(&app, case_id).len(), 1);

    // 4. The requester sees the result and downloads the signed packet in the browser.
    let b = browser(&driver, &profiles.path().join("requester-again")).await;
    log_in(&b, &base, &app, "requester.a@test.example").await;
    b.goto(&format!("{base}/cases/{case_id}")).await.unwrap();
    let page = text_of_page(&b).await;
    assert!(page.contains("Result issued"), "status in view: {page}");
    assert!(page.contains(&packet.packet_id));
    shot(&b, "08-requester-result").await;
    b.set_window_size(390, 900).await.unwrap();
    shot(&b, "08-requester-result-390").await;
    // Their cases at a phone's width: the table scrolls in its box, numbers and dates unbroken.
    b.goto(&format!("{base}/cases")).await.unwrap();
    b.wait()
        .for_element(Locator::Css(&format!("a[href='/cases/{case_id}']")))
        .await
        .unwrap();
    shot(&b, "08-requester-cases-390").await;
    b.goto(&format!("{base}/dashboard")).await.unwrap();
    wait_for_text(&b, "Cases by status").await;
    shot(&b, "08a-requester-dashboard-390").await;
    b.goto(&format!("{base}/cases/{case_id}")).await.unwrap();
    b.set_window_size(1280, 1400).await.unwrap();
    // The result leads the page with its download button.
    let link = b
        .find(Locator::LinkText("Download packet (PDF)"))
        .await
        .unwrap()
        .attr("href")
        .await
        .unwrap()
        .expect("packet link");
    assert_eq!(
        link,
        format!("/cases/{case_id}/packets/{}", packet.file_name())
    );
    // Download with the browser's own session (its cookie), as bytes in base64.
    let got = b
        .execute_async(
            "const [href, done] = arguments;
             fetch(href, {credentials: 'same-origin'})
               .then(r => r.arrayBuffer().then(buf => {
                 let s = ''; const a = new Uint8Array(buf);
                 for (let i = 0; i < a.length; i++) s += String.fromCharCode(a[i]);
                 done({status: r.status, type: r.headers.get('content-type'), b64: btoa(s)});
               }))
               .catch(e => done({status: 0, error: String(e)}));",
            vec![serde_json::json!(link)],
        )
        .await
        .unwrap();
    assert_eq!(got["status"], 200, "{got}");
    assert_eq!(got["type"], "application/pdf");
    use base64::Engine as _;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(got["b64"].as_str().unwrap())
        .unwrap();
    let file = app.data_dir.path().join("packets").join(packet.file_name());
    assert_eq!(
        hex::encode(Sha256::digest(&bytes)),
        packet.file_sha256,
        "the browser downloaded the issued, recorded packet"
    );
    assert_eq!(bytes, std::fs::read(&file).unwrap());
    b.close().await.unwrap();

    // 5. The audit trail of the whole walk fits a 1,366-px wide screen: no sideways scroll, not
    // even inside the table's own box.
    let b = browser(&driver, &profiles.path().join("reviewer-audit")).await;
    log_in(&b, &base, &app, "reviewer@test.example").await;
    b.set_window_size(1366, 900).await.unwrap();
    b.goto(&format!("{base}/audit")).await.unwrap();
    b.wait()
        .for_element(Locator::Css("table.audit"))
        .await
        .unwrap();
    shot(&b, "09-reviewer-audit-trail-1366").await;
    let (page, table, inner) = (
        b.execute("return document.scrollingElement.scrollWidth;", vec![])
            .await
            .unwrap(),
        b.execute(
            "const box = document.querySelector('table.audit').parentElement;
             return box.scrollWidth - box.clientWidth;",
            vec![],
        )
        .await
        .unwrap(),
        b.execute("return window.innerWidth;", vec![])
            .await
            .unwrap(),
    );
    assert_eq!(inner, 1366, "the window is 1,366 px wide");
    assert!(page.as_i64() <= inner.as_i64(), "{page} > {inner}");
    assert_eq!(table, 0, "the audit table scrolls sideways inside its box");
    b.close().await.unwrap();

    let out = Command::new("pdfsig").arg(&file).output().unwrap();
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("Signature is Valid"),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

/// A refused request form marks its fields; once the user changes a marked field its old
/// "is required" message goes (the server checks again on the next submit), while the other
/// fields keep theirs (issue 15: errors stayed under fields already filled).
#[actix_web::test]
async fn a_field_error_goes_once_the_field_is_changed() {
    let app = spawn_app().await;
    let base = app.address.clone();
    let profiles = tempfile::tempdir().unwrap();
    let driver = start_driver().await;
    let b = browser(&driver, &profiles.path().join("requester")).await;
    log_in(&b, &base, &app, "requester.a@test.example").await;
    b.goto(&format!("{base}/cases/new")).await.unwrap();
    b.wait()
        .for_element(Locator::Id("case_file_number"))
        .await
        .unwrap();
    fill(&b, "case_file_number", "24-000123").await;
    b.find(Locator::Css("button[name='action'][value='submit']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    // The refusal comes back with errors beside the reason and the signature.
    let visible_error = |id: &'static str| {
        format!(
            "var f = document.getElementById('{id}').closest('.field'); \
             if (!f) return 'no field'; \
             var e = Array.prototype.filter.call(f.querySelectorAll('.error'), \
               function (x) {{ return !x.hidden && x.textContent.trim() !== ''; }}); \
             return (f.classList.contains('has-error') ? 'marked' : 'clear') + ':' + e.length;"
        )
    };
    let mut state = String::new();
    for _ in 0..100 {
        if let Ok(v) = b.execute(&visible_error("search_reason"), vec![]).await {
            state = v.as_str().unwrap_or_default().to_string();
            if state.starts_with("marked") {
                break;
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        state.starts_with("marked") && !state.ends_with(":0"),
        "the reason is marked with its error: {state}"
    );
    let signature = b
        .execute(&visible_error("signature_name"), vec![])
        .await
        .unwrap();
    assert!(
        signature.as_str().unwrap_or_default().starts_with("marked"),
        "{signature:?}"
    );
    shot(&b, "02a-requester-form-refused").await;
    // Typing a reason clears that field's message; the signature keeps its own.
    fill(
        &b,
        "search_reason",
        "Robbery suspect, Case# 24-000123, 211 PC",
    )
    .await;
    let reason = b
        .execute(&visible_error("search_reason"), vec![])
        .await
        .unwrap();
    assert_eq!(reason.as_str(), Some("clear:0"), "{reason:?}");
    let signature = b
        .execute(&visible_error("signature_name"), vec![])
        .await
        .unwrap();
    assert!(
        signature.as_str().unwrap_or_default().starts_with("marked")
            && !signature.as_str().unwrap_or_default().ends_with(":0"),
        "{signature:?}"
    );
    b.close().await.unwrap();
}

/// Issue 16: the requester sends a message on their case and the reviewer answers; each sees
/// the other's message (screenshots of both sides' thread at desktop and 390 px).
#[actix_web::test]
async fn a_message_each_way_in_the_browser() {
    let app = spawn_app().await;
    let base = app.address.clone();
    let case_id = app
        .login("requester.a@test.example")
        .await
        .submit_valid_request()
        .await;
    let profiles = tempfile::tempdir().unwrap();
    let driver = start_driver().await;
    let thread = format!("{base}/cases/{case_id}/messages");

    let requester = browser(&driver, &profiles.path().join("requester")).await;
    log_in(&requester, &base, &app, "requester.a@test.example").await;
    requester
        .goto(&format!("{base}/cases/{case_id}"))
        .await
        .unwrap();
    click(&requester, &format!("a[href='/cases/{case_id}/messages']")).await;
    wait_for_text(&requester, "No messages yet.").await;
    fill(
        &requester,
        "body",
        "The suspect left in a green van; a second photo follows.",
    )
    .await;
    submit(&requester, &format!("/cases/{case_id}/messages")).await;
    wait_for_text(&requester, "Message sent").await;
    shot(&requester, "16-requester-message-sent").await;

    let reviewer = browser(&driver, &profiles.path().join("reviewer")).await;
    log_in(&reviewer, &base, &app, "reviewer@test.example").await;
    reviewer.goto(&thread).await.unwrap();
    wait_for_text(&reviewer, "green van").await;
    fill(
        &reviewer,
        "body",
        "Noted. Please attach the second photo as a new version of the request.",
    )
    .await;
    submit(&reviewer, &format!("/cases/{case_id}/messages")).await;
    let page = wait_for_text(&reviewer, "Message sent").await;
    assert!(
        page.contains("green van") && page.contains("new version"),
        "{page}"
    );
    shot(&reviewer, "16-reviewer-answer").await;
    reviewer.set_window_size(390, 900).await.unwrap();
    shot(&reviewer, "16-reviewer-answer-390").await;
    reviewer.close().await.unwrap();

    requester.goto(&thread).await.unwrap();
    let page = wait_for_text(&requester, "Please attach the second photo").await;
    assert!(page.contains("green van"), "{page}");
    requester.set_window_size(390, 900).await.unwrap();
    shot(&requester, "16-requester-sees-answer-390").await;
    requester.close().await.unwrap();
}

/// Finding and exporting (issue 16): the history search with a typo (highlighted), the saved
/// searches and the filtered audit trail, at desktop width and at 390 px.
#[actix_web::test]
async fn the_search_and_audit_pages_fit_and_read_at_both_widths() {
    let app = spawn_app().await;
    let base = app.address.clone();
    let requester = app.login("requester.a@test.example").await;
    let case_id = requester.submit_valid_request().await;
    let profiles = tempfile::tempdir().unwrap();
    let driver = start_driver().await;
    let b = browser(&driver, &profiles.path().join("reviewer-find")).await;
    log_in(&b, &base, &app, "reviewer@test.example").await;
    b.set_window_size(1280, 900).await.unwrap();
    // The index catches up within about a second: wait for the highlighted typo match.
    let mut found = false;
    for _ in 0..100 {
        b.goto(&format!("{base}/search?q=robbry&sort=newest"))
            .await
            .unwrap();
        if text_now(&b).await.contains("1 case matches") {
            found = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        found,
        "case {case_id} found with a typo: {}",
        text_now(&b).await
    );
    let marked = b
        .execute(
            "return [...document.querySelectorAll('mark')].map(m => m.textContent);",
            vec![],
        )
        .await
        .unwrap();
    assert!(
        marked.to_string().to_lowercase().contains("robbery"),
        "{marked}"
    );
    fill(&b, "name", "Robberies, newest first").await;
    submit(&b, "/search/saved").await;
    b.wait()
        .for_element(Locator::Css(".saved-searches a"))
        .await
        .unwrap();
    shot(&b, "16a-reviewer-search-typo-saved").await;
    b.set_window_size(390, 900).await.unwrap();
    shot(&b, "16b-reviewer-search-typo-saved-390").await;

    b.set_window_size(1280, 900).await.unwrap();
    b.goto(&format!(
        "{base}/audit?action=request.submit&from=2026-13-01&outcome=success"
    ))
    .await
    .unwrap();
    b.wait()
        .for_element(Locator::Id("from-error"))
        .await
        .unwrap();
    shot(&b, "16c-reviewer-audit-filter-error").await;
    b.set_window_size(390, 900).await.unwrap();
    shot(&b, "16d-reviewer-audit-filter-error-390").await;
    b.close().await.unwrap();
}

/// The public packet check in the browser, without a login: a file that is not a PDF gets its
/// message beside the field; an unsigned PDF is answered "Not genuine". Both states fit 390 px
/// and pass the accessibility check; the form works without JavaScript (none on the page).
#[actix_web::test]
async fn the_public_packet_check_reads_at_both_widths() {
    let app = spawn_app().await;
    let base = app.address.clone();
    let files = tempfile::tempdir().unwrap();
    let text = files.path().join("notes.txt");
    std::fs::write(&text, "not a packet").unwrap();
    let unsigned = files.path().join("copy.pdf");
    std::fs::write(&unsigned, "%PDF-1.4\n1 0 obj <<>> endobj\n%%EOF\n").unwrap();
    let driver = start_driver().await;
    let b = browser(&driver, &files.path().join("profile")).await;
    b.goto(&format!("{base}/verify")).await.unwrap();
    wait_for_text(&b, "Check a lead packet").await;
    shot(&b, "17a-public-verify").await;
    b.find(Locator::Id("packet"))
        .await
        .unwrap()
        .send_keys(&text.to_string_lossy())
        .await
        .unwrap();
    submit(&b, "/verify").await;
    b.wait()
        .for_element(Locator::Id("packet-error"))
        .await
        .unwrap();
    wait_for_text(&b, "This file is not a PDF").await;
    b.set_window_size(390, 900).await.unwrap();
    shot(&b, "17b-public-verify-not-a-pdf-390").await;
    b.find(Locator::Id("packet"))
        .await
        .unwrap()
        .send_keys(&unsigned.to_string_lossy())
        .await
        .unwrap();
    submit(&b, "/verify").await;
    wait_for_text(&b, "Not genuine").await;
    shot(&b, "17c-public-verify-not-genuine-390").await;
    b.set_window_size(1280, 900).await.unwrap();
    shot(&b, "17d-public-verify-not-genuine").await;
    b.close().await.unwrap();
}
