use std::path::{Path, PathBuf};

use frdesk::accounts::store::{Agency, NewAgency};
use frdesk::audit::Actor;
use frdesk::domain::training::TrainingProvider;
use frdesk::platform::time::now;
use frdesk::{Application, Settings};
use reqwest::multipart::{Form, Part};

pub const PASSWORD: &str = "a long test password 42";

pub struct TestApp {
    pub address: String,
    pub data_dir: tempfile::TempDir,
    pub db_url: String,
    pub pool: frdesk::platform::db::DbPool,
    pub backend: &'static str,
    /// `http://127.0.0.1:PORT` of the metrics listener when `FRDESK_METRICS__BIND` was set.
    pub metrics_address: Option<String>,
    /// The test users' authenticators (every account has a second factor).
    pub mfa: MfaStore,
}

/// A browser-like client: cookie store, no automatic redirects.
pub struct Client {
    pub http: reqwest::Client,
    pub base: String,
    pub mfa: MfaStore,
}

/// What a test user's phone knows: the TOTP secret, the newest step whose code was used, and
/// unused recovery codes. Shared by every client of one app.
#[derive(Clone, Default)]
pub struct MfaStore(std::sync::Arc<std::sync::Mutex<std::collections::HashMap<String, Phone>>>);

#[derive(Clone, Debug)]
pub struct Phone {
    pub secret: Vec<u8>,
    pub last_step: u64,
    pub recovery: Vec<String>,
}

pub fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// The code of `secret` for time step `step`.
pub fn totp_code(secret: &[u8], step: u64) -> String {
    frdesk::accounts::second_factor::totp(secret, "t", "t")
        .unwrap()
        .generate(step * frdesk::accounts::second_factor::STEP_SECONDS)
        .to_string()
}

impl MfaStore {
    pub fn put(&self, email: &str, phone: Phone) {
        self.0.lock().unwrap().insert(email.to_lowercase(), phone);
    }
    pub fn get(&self, email: &str) -> Option<Phone> {
        self.0.lock().unwrap().get(&email.to_lowercase()).cloned()
    }
    /// A code the server will accept now: the oldest step of the skew window (one step either
    /// way) that was not used yet and will still be in the window when the request arrives. When all three were used, waits for the next step, as a
    /// user would (RFC 6238 §5.2: a code is accepted once).
    pub async fn next_code(&self, email: &str) -> String {
        loop {
            if let Some(code) = self.try_next_code(email) {
                return code;
            }
            tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        }
    }

    fn try_next_code(&self, email: &str) -> Option<String> {
        let mut map = self.0.lock().unwrap();
        let p = map
            .get_mut(&email.to_lowercase())
            .unwrap_or_else(|| panic!("no authenticator for {email}"));
        let secs = unix_now();
        let now = secs / frdesk::accounts::second_factor::STEP_SECONDS;
        // The previous step is only safe while the server's window still holds it: near the
        // end of a step, the request may reach the server after the boundary, when the window
        // has moved on (a flake CI found), so then start from the current step.
        let left = frdesk::accounts::second_factor::STEP_SECONDS
            - secs % frdesk::accounts::second_factor::STEP_SECONDS;
        let oldest = if left > 10 {
            now.saturating_sub(1)
        } else {
            now
        };
        let step = (p.last_step + 1).max(oldest);
        (step <= now + 1).then(|| {
            p.last_step = step;
            totp_code(&p.secret, step)
        })
    }
}

/// Where LFW is (the shared evaluation photos); tests that need real photos fail loudly without it.
pub fn lfw_dir() -> PathBuf {
    if let Ok(d) = std::env::var("FRDESK_LFW_DIR") {
        return PathBuf::from(d);
    }
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/faces/lfw")
}

/// A real photo from LFW (250×250 JPEG).
pub fn photo(person: &str, n: u32) -> (String, Vec<u8>) {
    let name = format!("{person}_{n:04}.jpg");
    let path = lfw_dir().join(person).join(&name);
    let bytes = std::fs::read(&path).unwrap_or_else(|e| {
        panic!(
            "test photo {} is missing ({e}); set FRDESK_LFW_DIR to the LFW folder (shared/faces/lfw)",
            path.display()
        )
    });
    (name, bytes)
}

pub fn pg_admin_url() -> Option<String> {
    std::env::var("FRDESK_TEST_PG")
        .ok()
        .filter(|s| !s.is_empty())
}

/// `FRDESK_TEST_PG` is a server URL without a database name, e.g.
/// `postgres://postgres@127.0.0.1:54329`; each test gets a new database there.
pub fn create_pg_database(server: &str) -> String {
    use diesel::{Connection, PgConnection, RunQueryDsl};
    let server = server.trim_end_matches('/');
    let name = format!("frdesk_test_{}", uuid::Uuid::new_v4().simple());
    let mut conn = PgConnection::establish(&format!("{server}/postgres"))
        .expect("connect to the test PostgreSQL server");
    diesel::sql_query(format!("CREATE DATABASE {name}"))
        .execute(&mut conn)
        .expect("create test database");
    format!("{server}/{name}")
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(&[]).await
}

pub async fn spawn_app_with(extra_env: &[(&str, &str)]) -> TestApp {
    spawn_app_on(None, extra_env).await
}

/// As [`spawn_app_with`], on the database `db` = (URL, backend) when given (e.g. a PostgreSQL
/// server of the test's own).
pub async fn spawn_app_on(
    db: Option<(String, &'static str)>,
    extra_env: &[(&str, &str)],
) -> TestApp {
    let data_dir = tempfile::tempdir().expect("temp dir");
    let (db_url, backend) =
        match db.or_else(|| pg_admin_url().map(|a| (create_pg_database(&a), "postgres"))) {
            Some(db) => db,
            None => (
                data_dir
                    .path()
                    .join("frdesk.sqlite3")
                    .to_string_lossy()
                    .into_owned(),
                "sqlite",
            ),
        };
    let env = server_env(data_dir.path(), &db_url, extra_env);
    install_test_signing_key(data_dir.path());
    let settings = Settings::load_with_env(Some(&empty_config(&data_dir)), env).expect("settings");
    let app = Application::build(settings).await.expect("build app");
    let port = app.port();
    let metrics_address = app.metrics_port().map(|p| format!("http://127.0.0.1:{p}"));
    tokio::spawn(app.run_until_stopped());
    let pool = frdesk::platform::db::connect(&db_url).expect("test pool");
    let t = TestApp {
        address: format!("http://127.0.0.1:{port}"),
        data_dir,
        db_url,
        pool,
        backend,
        metrics_address,
        mfa: MfaStore::default(),
    };
    t.seed();
    t
}

/// A fresh, empty database for a test that starts servers itself: a new PostgreSQL database
/// when the tests run on PostgreSQL, else a SQLite file in `dir`. Returns its URL.
pub fn fresh_database(dir: &Path) -> String {
    match pg_admin_url() {
        Some(a) => create_pg_database(&a),
        None => dir.join("frdesk.sqlite3").to_string_lossy().into_owned(),
    }
}

/// The settings a test server starts with on `data_dir` and `db_url` (see [`server_env`]),
/// with the test signing key installed (unless the folder has a signing key already).
pub fn settings_for(
    data_dir: &tempfile::TempDir,
    db_url: &str,
    extra_env: &[(&str, &str)],
) -> Settings {
    if !data_dir.path().join("signing").exists() {
        install_test_signing_key(data_dir.path());
    }
    let env = server_env(data_dir.path(), db_url, extra_env);
    Settings::load_with_env(Some(&empty_config(data_dir)), env).expect("settings")
}

/// The environment a test server starts with: its data folder and database, a free port, the
/// test sender address and the repository's models, then `extra_env` (later keys win).
fn server_env(data_dir: &Path, db_url: &str, extra_env: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut env: Vec<(String, String)> = vec![
        (
            "FRDESK_DATA_DIR".into(),
            data_dir.to_string_lossy().into_owned(),
        ),
        ("FRDESK_HTTP__BIND".into(), "127.0.0.1:0".into()),
        ("FRDESK_DATABASE__URL".into(), db_url.to_string()),
        (
            "FRDESK_MAIL__FROM".into(),
            "Face Search Desk <frdesk@test.example>".into(),
        ),
        (
            "FRDESK_FACE__MODELS_DIR".into(),
            PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .join("models")
                .to_string_lossy()
                .into_owned(),
        ),
    ];
    for (k, v) in extra_env {
        env.push((k.to_string(), v.to_string()));
    }
    env
}

impl TestApp {
    /// Starts another server on this app's data folder and database, as a restart does (the
    /// first keeps running): it loads the signing key afresh — a new one when the key file was
    /// deleted, or the PKCS#12 file `extra_env` names. Returns its base address.
    pub async fn start_again(&self, extra_env: &[(&str, &str)]) -> String {
        let env = server_env(self.data_dir.path(), &self.db_url, extra_env);
        let settings =
            Settings::load_with_env(Some(&empty_config(&self.data_dir)), env).expect("settings");
        let app = Application::build(settings).await.expect("build app");
        let port = app.port();
        tokio::spawn(app.run_until_stopped());
        format!("http://127.0.0.1:{port}")
    }
}

/// A seeded data folder and database for a server run as a separate `frdesk serve` process
/// (crash tests `kill -9` it): migrated (by connecting), seeded, signing key installed; no
/// server is started, so `address` is empty until the caller starts one.
#[cfg_attr(not(feature = "failpoints"), allow(dead_code))] // used by the crash tests
pub fn prepare_app() -> TestApp {
    let data_dir = tempfile::tempdir().expect("temp dir");
    let (db_url, backend) = match pg_admin_url() {
        Some(admin) => (create_pg_database(&admin), "postgres"),
        None => (
            data_dir
                .path()
                .join("frdesk.sqlite3")
                .to_string_lossy()
                .into_owned(),
            "sqlite",
        ),
    };
    prepare_app_on(data_dir, db_url, backend)
}

/// As [`prepare_app`], on the data folder and database given (e.g. a database `frdesk migrate`
/// made ready, for instances started with `database.migrate_on_start = false`).
#[cfg_attr(not(feature = "failpoints"), allow(dead_code))] // used by the crash tests
pub fn prepare_app_on(
    data_dir: tempfile::TempDir,
    db_url: String,
    backend: &'static str,
) -> TestApp {
    install_test_signing_key(data_dir.path());
    let pool = frdesk::platform::db::connect(&db_url).expect("test pool");
    let t = TestApp {
        address: String::new(),
        data_dir,
        db_url,
        pool,
        backend,
        metrics_address: None,
        mfa: MfaStore::default(),
    };
    t.seed();
    t
}

/// One packet-signing key for the whole test run (generating RSA 3072 per test is slow), copied
/// into each app's `<data_dir>/signing/` with the modes the signer insists on.
fn install_test_signing_key(data_dir: &std::path::Path) {
    use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
    static KEY: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    let src = KEY.get_or_init(|| {
        let dir = tempfile::tempdir().expect("key dir").keep();
        frdesk::platform::pdf::Signer::load_or_generate_named(&dir, None, "frdesk test desk")
            .expect("generate the test signing key");
        dir.join("signing")
    });
    let dst = data_dir.join("signing");
    std::fs::DirBuilder::new()
        .mode(0o700)
        .create(&dst)
        .expect("signing dir");
    for f in [
        frdesk::platform::pdf::signer::KEY_FILE,
        frdesk::platform::pdf::signer::CERT_FILE,
    ] {
        std::fs::copy(src.join(f), dst.join(f)).expect("copy key");
    }
    std::fs::set_permissions(
        dst.join(frdesk::platform::pdf::signer::KEY_FILE),
        std::fs::Permissions::from_mode(0o600),
    )
    .expect("key mode");
}

/// The attachments of a MIME message as (file name, bytes), parsed by Python's `email` package.
pub fn attachments_of(eml: &str) -> Vec<(String, Vec<u8>)> {
    use base64::Engine;
    use std::io::Write;
    let mut child = std::process::Command::new("python3")
        .args([
            "-c",
            r#"
import sys, email, base64
m = email.message_from_bytes(sys.stdin.buffer.read())
for p in m.walk():
    if p.get_filename():
        print(p.get_filename() + "\t" + base64.b64encode(p.get_payload(decode=True)).decode())
"#,
        ])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("python3");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(eml.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .filter_map(|l| l.split_once('\t'))
        .map(|(n, b)| {
            (
                n.to_string(),
                base64::engine::general_purpose::STANDARD.decode(b).unwrap(),
            )
        })
        .collect()
}

fn empty_config(dir: &tempfile::TempDir) -> PathBuf {
    let p = dir.path().join("frdesk.toml");
    std::fs::write(&p, "# test config: everything from the environment\n").expect("write config");
    p
}

pub const SERVICE: &str = "CA019SVC00";
pub const AGENCY_A: &str = "CA0190001";
pub const AGENCY_B: &str = "CA0190002";
pub const NO_POLICY: &str = "CA0190003";

impl TestApp {
    fn seed(&self) {
        let mut c = self.pool.get().expect("conn");
        let actor = Actor::cli("test seed");
        let d = |y, m, dd| chrono::NaiveDate::from_ymd_opt(y, m, dd).expect("date");
        for (ori, name, policy, service) in [
            (
                SERVICE,
                "Regional Identification System",
                Some(d(2023, 1, 1)),
                true,
            ),
            (
                AGENCY_A,
                "Alpha Police Department",
                Some(d(2023, 5, 1)),
                false,
            ),
            (
                AGENCY_B,
                "Bravo Sheriff's Office",
                Some(d(2023, 6, 1)),
                false,
            ),
            (NO_POLICY, "Charlie Police Department", None, false),
        ] {
            let agency = Agency::insert(
                &mut c,
                &NewAgency {
                    name: name.into(),
                    ori: ori.into(),
                    contact_name: "Contact".into(),
                    contact_email: "contact@test.example".into(),
                    contact_phone: "(213) 555-0100".into(),
                    fr_policy_date: policy,
                    is_service: service,
                    active: true,
                    created_at: now(),
                },
            )
            .expect("agency");
            // Every test agency accepted the current terms of use, so requests can be submitted;
            // tests of the terms rule withdraw it (`agencies::withdraw_terms`).
            frdesk::agencies::terms::accept(&mut c, &actor, &agency, now()).expect("terms");
        }
        let training = Some((TrainingProvider::Lacris, d(2024, 1, 10)));
        for (ori, name, email, roles) in [
            (
                AGENCY_A,
                "Dana Reyes",
                "requester.a@test.example",
                "requester",
            ),
            (
                AGENCY_A,
                "Alex Admin",
                "admin.a@test.example",
                "local_admin,auditor",
            ),
            (AGENCY_B, "Bo Chen", "requester.b@test.example", "requester"),
            (
                NO_POLICY,
                "Cy Nopolicy",
                "requester.c@test.example",
                "requester",
            ),
            (SERVICE, "Sam Ortega", "reviewer@test.example", "reviewer"),
            (SERVICE, "Lee Park", "examiner@test.example", "examiner"),
            (SERVICE, "Kim Alvarez", "examiner2@test.example", "examiner"),
            (
                SERVICE,
                "Pat Quinn",
                "supervisor@test.example",
                "supervisor",
            ),
        ] {
            frdesk::cli::admin::create_user(
                &mut c,
                &actor,
                ori,
                name,
                email,
                "(213) 555-0142",
                roles,
                training,
                PASSWORD,
            )
            .expect("user");
            self.enrol_directly(&mut c, email);
        }
    }

    /// Sets up `email`'s authenticator through the library (as the enrolment page does) and
    /// keeps its secret and recovery codes in [`TestApp::mfa`].
    pub fn enrol_directly(&self, c: &mut frdesk::platform::db::DbConnection, email: &str) {
        use frdesk::accounts::second_factor as mfa;
        let key = mfa::MfaKey::load_or_create(self.data_dir.path()).expect("mfa key");
        let u = frdesk::accounts::store::User::by_email(c, email)
            .expect("user")
            .expect("user exists");
        let e = mfa::begin_enrolment(c, &key, u.id, email, "test desk", now()).expect("enrol");
        let secret = totp_rs::Secret::try_from_base32(&e.secret_base32)
            .expect("base32")
            .as_ref()
            .to_vec();
        // Confirmed three steps ago, so three logins can follow at once without waiting.
        let at = now() - chrono::Duration::seconds(3 * mfa::STEP_SECONDS as i64);
        let step = at.and_utc().timestamp() as u64 / mfa::STEP_SECONDS;
        let recovery =
            mfa::confirm_enrolment(c, &key, u.id, &totp_code(&secret, step), at).expect("confirm");
        self.mfa.put(
            email,
            Phone {
                secret,
                last_step: step,
                recovery,
            },
        );
    }

    /// The `frdesk` binary, configured for this app's data folder, database and models.
    pub fn frdesk(&self) -> std::process::Command {
        let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_frdesk"));
        c.env("FRDESK_DATA_DIR", self.data_dir.path())
            .env("FRDESK_DATABASE__URL", &self.db_url)
            .env(
                "FRDESK_FACE__MODELS_DIR",
                PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("models"),
            )
            .current_dir(self.data_dir.path());
        c
    }

    pub fn client(&self) -> Client {
        Client {
            http: reqwest::Client::builder()
                .cookie_store(true)
                .redirect(reqwest::redirect::Policy::none())
                .user_agent("frdesk-tests")
                .build()
                .expect("client"),
            base: self.address.clone(),
            mfa: self.mfa.clone(),
        }
    }

    /// A client logged in as `email`.
    pub async fn login(&self, email: &str) -> Client {
        let c = self.client();
        let r = c.login(email, PASSWORD).await;
        assert_eq!(r.status().as_u16(), 303, "login of {email} failed");
        c
    }

    pub fn outbox_files(&self) -> Vec<String> {
        let dir = self.data_dir.path().join("outbox");
        let mut out = Vec::new();
        if let Ok(rd) = std::fs::read_dir(dir) {
            for e in rd.flatten() {
                if e.path().extension().is_some_and(|x| x == "eml") {
                    out.push(std::fs::read_to_string(e.path()).unwrap_or_default());
                }
            }
        }
        out
    }

    /// Waits (bounded) until `n` messages are in the outbox folder.
    pub async fn wait_for_outbox(&self, n: usize) -> Vec<String> {
        for _ in 0..100 {
            let files = self.outbox_files();
            if files.len() >= n {
                return files;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        self.outbox_files()
    }

    /// The outbox files addressed to `to`, waiting (bounded) until there are `n`. Staff
    /// notifications (issue 16) go to the service's staff, so a count of one person's mail
    /// uses this rather than [`TestApp::wait_for_outbox`].
    pub async fn wait_for_mail_to(&self, to: &str, n: usize) -> Vec<String> {
        let header = format!("To: {to}");
        let mine = || -> Vec<String> {
            self.outbox_files()
                .into_iter()
                .filter(|m| m.contains(&header))
                .collect()
        };
        for _ in 0..100 {
            let files = mine();
            if files.len() >= n {
                return files;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        mine()
    }

    pub fn audit(&self) -> Vec<frdesk::audit::store::AuditRecord> {
        let mut c = self.pool.get().expect("conn");
        frdesk::audit::store::AuditRecord::list(
            &mut c,
            &frdesk::audit::store::AuditFilter {
                limit: 10_000,
                ..Default::default()
            },
        )
        .expect("audit")
    }

    pub fn count_cases(&self) -> usize {
        use diesel::prelude::*;
        let mut c = self.pool.get().expect("conn");
        frdesk::platform::db::schema::cases::table
            .count()
            .get_result::<i64>(&mut c)
            .expect("count") as usize
    }

    pub fn stored_image_files(&self) -> usize {
        fn walk(p: &std::path::Path) -> usize {
            let Ok(rd) = std::fs::read_dir(p) else {
                return 0;
            };
            rd.flatten()
                .map(|e| {
                    if e.path().is_dir() {
                        walk(&e.path())
                    } else {
                        1
                    }
                })
                .sum()
        }
        walk(&self.data_dir.path().join("images"))
    }
}

/// The request form as the browser posts it to `/cases/save` (multipart): the hidden fields,
/// `fields`, and each of `files` (name, bytes) as a JPEG under `images`.
pub fn request_form(
    csrf: &str,
    form_key: &str,
    action: &str,
    fields: &[(&str, String)],
    files: &[(String, Vec<u8>)],
) -> Form {
    let mut form = Form::new()
        .text("csrf_token", csrf.to_string())
        .text("form_key", form_key.to_string())
        .text("action", action.to_string());
    for (k, v) in fields {
        form = form.text(k.to_string(), v.clone());
    }
    for (name, bytes) in files {
        form = form.part(
            "images",
            Part::bytes(bytes.clone())
                .file_name(name.clone())
                .mime_str("image/jpeg")
                .expect("mime"),
        );
    }
    form
}

pub fn csrf_of(html: &str) -> String {
    let re = regex::Regex::new(r#"name="csrf_token" value="([0-9a-f]+)""#).expect("regex");
    re.captures(html)
        .map(|c| c[1].to_string())
        .unwrap_or_else(|| panic!("no csrf token in page: {}", &html[..html.len().min(500)]))
}

pub fn form_key_of(html: &str) -> String {
    let re = regex::Regex::new(r#"name="form_key" value="([0-9a-f-]+)""#).expect("regex");
    re.captures(html)
        .map(|c| c[1].to_string())
        .expect("form key")
}

/// The request form's fields, filled in correctly for one image by Dana Reyes (the requester's
/// name, phone and email are the account's and are not sent).
pub fn valid_fields() -> Vec<(&'static str, String)> {
    let today = chrono::Utc::now()
        .date_naive()
        .format("%Y-%m-%d")
        .to_string();
    vec![
        ("request_date", today),
        (
            "search_reason",
            "Robbery suspect, Case# 123-89765-0123-41X, 211 PC".into(),
        ),
        ("case_file_number", "123-89765-0123-41X".into()),
        ("offense_code", "211 PC".into()),
        ("authorized_purpose", "criminal_offense".into()),
        ("image_source", "surveillance_still".into()),
        ("image_source_other", String::new()),
        ("from_video", "yes".into()),
        (
            "video_recording",
            "Store camera 3, 2026-11-20 21:14, cam3.mp4".into(),
        ),
        ("images_declared", "1".into()),
        ("signature_name", "Dana Reyes".into()),
        ("attest_lead_only", "on".into()),
        ("attest_lawful", "on".into()),
    ]
}

/// [`valid_fields`] with one field changed.
pub fn fields_with(changes: &[(&str, &str)]) -> Vec<(&'static str, String)> {
    let mut fields = valid_fields();
    for (name, value) in changes {
        let f = fields
            .iter_mut()
            .find(|f| f.0 == *name)
            .unwrap_or_else(|| panic!("no field {name}"));
        f.1 = value.to_string();
    }
    fields
}

impl Client {
    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.http
            .get(format!("{}{}", self.base, path))
            .send()
            .await
            .expect("GET")
    }

    pub async fn get_text(&self, path: &str) -> (u16, String) {
        let r = self.get(path).await;
        let s = r.status().as_u16();
        (s, r.text().await.expect("body"))
    }

    /// Logs in with the password and then the second factor, as a user would: the response is
    /// the password step's when it did not pass (401, 429 …), else the second-factor step's
    /// (303 to /cases on success). An account without an authenticator enrols one first (the
    /// secret read off the enrolment page), logs out and logs in again with it.
    pub async fn login(&self, email: &str, password: &str) -> reqwest::Response {
        let r = self.password_step(email, password).await;
        match location(&r).as_deref() {
            Some("/login/verify") => self.second_factor(email).await,
            Some("/login/enrol") => {
                self.enrol(email).await;
                let (_, page) = self.get_text("/cases").await;
                let r = self
                    .post_form("/logout", &[("csrf_token", &csrf_of(&page))])
                    .await;
                assert_eq!(r.status().as_u16(), 303, "logout after enrolment");
                let r = self.password_step(email, password).await;
                assert_eq!(location(&r).as_deref(), Some("/login/verify"));
                self.second_factor(email).await
            }
            _ => r,
        }
    }

    /// `POST /login` only (the first factor).
    pub async fn password_step(&self, email: &str, password: &str) -> reqwest::Response {
        let (_, page) = self.get_text("/login").await;
        let csrf = csrf_of(&page);
        self.http
            .post(format!("{}/login", self.base))
            .form(&[
                ("csrf_token", csrf.as_str()),
                ("email", email),
                ("password", password),
            ])
            .send()
            .await
            .expect("POST /login")
    }

    /// `POST /login/verify` with the next unused code of `email`'s authenticator.
    pub async fn second_factor(&self, email: &str) -> reqwest::Response {
        let code = self.mfa.next_code(email).await;
        self.submit_code("/login/verify", &code).await
    }

    pub async fn submit_code(&self, path: &str, code: &str) -> reqwest::Response {
        let (status, page) = self.get_text(path).await;
        assert_eq!(status, 200, "GET {path}: {page}");
        self.post_form(path, &[("csrf_token", &csrf_of(&page)), ("code", code)])
            .await
    }

    /// Completes `/login/enrol`: reads the secret off the page, confirms with its code, keeps
    /// the recovery codes shown. Returns the recovery-codes page.
    pub async fn enrol(&self, email: &str) -> String {
        let (status, page) = self.get_text("/login/enrol").await;
        assert_eq!(status, 200, "{page}");
        let secret = secret_of(&page);
        let step = unix_now() / frdesk::accounts::second_factor::STEP_SECONDS;
        let r = self
            .post_form(
                "/login/enrol",
                &[
                    ("csrf_token", &csrf_of(&page)),
                    ("code", &totp_code(&secret, step)),
                ],
            )
            .await;
        assert_eq!(r.status().as_u16(), 200, "enrolment confirmed");
        let page = r.text().await.unwrap();
        let recovery = recovery_codes_of(&page);
        assert_eq!(
            recovery.len(),
            frdesk::accounts::second_factor::RECOVERY_CODES,
            "{page}"
        );
        self.mfa.put(
            email,
            Phone {
                secret,
                last_step: step,
                recovery,
            },
        );
        page
    }

    /// Opens the blank form and returns (csrf, form_key).
    pub async fn new_form(&self) -> (String, String) {
        let (status, page) = self.get_text("/cases/new").await;
        assert_eq!(status, 200, "{page}");
        (csrf_of(&page), form_key_of(&page))
    }

    /// Posts the request form as multipart.
    pub async fn post_request(
        &self,
        csrf: &str,
        form_key: &str,
        action: &str,
        fields: &[(&str, String)],
        files: &[(String, Vec<u8>)],
    ) -> reqwest::Response {
        self.http
            .post(format!("{}/cases/save", self.base))
            .multipart(request_form(csrf, form_key, action, fields, files))
            .send()
            .await
            .expect("POST /cases/save")
    }

    /// Submits a complete request with one real photo, signed with the account holder's name
    /// as the form shows it; returns the case id.
    pub async fn submit_valid_request(&self) -> i64 {
        let (status, page) = self.get_text("/cases/new").await;
        assert_eq!(status, 200, "{page}");
        let (csrf, key) = (csrf_of(&page), form_key_of(&page));
        let name = regex::Regex::new(r#"<dd id="requester_name">([^<]*)</dd>"#)
            .expect("regex")
            .captures(&page)
            .map(|c| c[1].replace("&#39;", "'").replace("&#x27;", "'"))
            .expect("the account holder's name on the form");
        let mut fields = valid_fields();
        for f in fields.iter_mut().filter(|f| f.0 == "signature_name") {
            f.1 = name.clone();
        }
        let r = self
            .post_request(&csrf, &key, "submit", &fields, &[photo("Aaron_Eckhart", 1)])
            .await;
        assert_eq!(
            r.status().as_u16(),
            303,
            "submit failed: {}",
            r.text().await.unwrap_or_default()
        );
        case_id_from_location(&r)
    }

    pub async fn post_form(&self, path: &str, fields: &[(&str, &str)]) -> reqwest::Response {
        self.http
            .post(format!("{}{}", self.base, path))
            .form(fields)
            .send()
            .await
            .expect("POST")
    }
}

/// The `Location` header, if any.
pub fn location(r: &reqwest::Response) -> Option<String> {
    r.headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

/// The TOTP secret shown on the enrolment page (base32, in groups).
pub fn secret_of(html: &str) -> Vec<u8> {
    let re = regex::Regex::new(r#"id="totp-secret"[^>]*>([A-Z2-7 ]+)<"#).expect("regex");
    let b32: String = re.captures(html).expect("secret on the enrolment page")[1]
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    totp_rs::Secret::try_from_base32(&b32)
        .expect("base32")
        .as_ref()
        .to_vec()
}

/// The recovery codes on the page shown after enrolment.
pub fn recovery_codes_of(html: &str) -> Vec<String> {
    let re = regex::Regex::new(r"<li><code>([0-9A-Z]{5}-[0-9A-Z]{5})</code></li>").expect("regex");
    re.captures_iter(html).map(|c| c[1].to_string()).collect()
}

pub fn case_id_from_location(r: &reqwest::Response) -> i64 {
    let loc = r
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .expect("redirect location")
        .to_string();
    let re = regex::Regex::new(r"^/cases/(\d+)").expect("regex");
    re.captures(&loc).expect("case url")[1].parse().expect("id")
}

/// Pairs of words printed over each other in a PDF (their boxes from `pdftotext -bbox`
/// overlap by more than a point across and two points down), e.g. a label running into its
/// value. Empty when the layout is clean.
pub fn overlapping_words(pdf: &std::path::Path) -> Vec<(String, String)> {
    let out = std::process::Command::new("pdftotext")
        .arg("-bbox")
        .arg(pdf)
        .arg("-")
        .output()
        .expect("pdftotext");
    let xml = String::from_utf8_lossy(&out.stdout).into_owned();
    let re = regex::Regex::new(
        r#"<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>"#,
    )
    .unwrap();
    let mut bad = Vec::new();
    for page in xml.split("<page ").skip(1) {
        let words: Vec<(f64, f64, f64, f64, String)> = re
            .captures_iter(page)
            .map(|c| {
                let f = |i: usize| c[i].parse::<f64>().unwrap();
                (f(1), f(2), f(3), f(4), c[5].to_string())
            })
            .collect();
        for (i, a) in words.iter().enumerate() {
            for b in &words[i + 1..] {
                let ox = a.2.min(b.2) - a.0.max(b.0);
                let oy = a.3.min(b.3) - a.1.max(b.1);
                if ox > 1.0 && oy > 2.0 {
                    bad.push((a.4.clone(), b.4.clone()));
                }
            }
        }
    }
    bad
}

/// The case number (`FR-YYYY-NNNNNN`) of case `case_id`.
pub fn case_number(app: &TestApp, case_id: i64) -> String {
    let mut c = app.pool.get().unwrap();
    frdesk::cases::store::Case::find(&mut c, frdesk::domain::CaseId(case_id))
        .unwrap()
        .unwrap()
        .display_number()
}

/// The current packet of case `case_id`, waiting (up to a minute) until one is issued.
pub async fn wait_for_packet(app: &TestApp, case_id: i64) -> frdesk::result::store::PacketRecord {
    for _ in 0..600 {
        let mut c = app.pool.get().unwrap();
        if let Some(p) =
            frdesk::result::store::PacketRecord::current(&mut c, frdesk::domain::CaseId(case_id))
                .unwrap()
        {
            return p;
        }
        drop(c);
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("no packet for case {case_id}");
}
