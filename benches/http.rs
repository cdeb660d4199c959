//! HTTP load benchmark (issue 6, "Load"): the real application on a loopback port with N cases
//! in its database (default 10,000), driven by `wrk` (Debian package `wrk`) against the login
//! page (anonymous), the case list and one case page (logged in as a requester whose agency
//! holds every case). Prints requests/s, latency percentiles and errors per page, and a JSON
//! line for docs/BENCHMARKS.md.
//!
//!     cargo bench --bench http                        # SQLite in a temporary folder
//!     FRDESK_BENCH_PG=postgres://postgres@127.0.0.1:54329 cargo bench --bench http
//!     FRDESK_BENCH_PG=… FRDESK_BENCH_INSTANCES=2 cargo bench --bench http   # two instances
//!
//! Settings (environment): FRDESK_BENCH_CASES (10000), FRDESK_BENCH_SECONDS (20 per page),
//! FRDESK_BENCH_CONNECTIONS (32), FRDESK_BENCH_THREADS (2, wrk's), FRDESK_BENCH_WRK (wrk),
//! FRDESK_BENCH_PAGES (e.g. `list,case`: only those pages), FRDESK_BENCH_INSTANCES (1).
//! With N > 1 instances (PostgreSQL only, issue 18) the others are `frdesk serve` processes on
//! the same database, each with its own data folder and the first one's key files; wrk's
//! threads are spread over the instances by a Lua `setup` (thread i connects to instance
//! i mod N), so one wrk run measures them together: its requests/s is the desk's total.
//! wrk runs on the same machine as the server: on 2 cores it takes a share of the CPU, so
//! figures are a floor. Also: 50 concurrent request submissions with a real image each
//! (FRDESK_LFW_DIR or ../shared/faces/lfw), counted afterwards (none lost, none twice).

use std::process::Command;
use std::time::{Duration, Instant};

use diesel::prelude::*;
use frdesk::platform::db::schema::{cases, request_versions};

const PASSWORD: &str = "a long benchmark password 42";

fn env_or<T: std::str::FromStr>(k: &str, d: T) -> T {
    std::env::var(k)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(d)
}

fn main() -> anyhow::Result<()> {
    // `cargo bench` passes `--bench`; there is nothing else to parse.
    let n_cases: usize = env_or("FRDESK_BENCH_CASES", 10_000);
    let seconds: u64 = env_or("FRDESK_BENCH_SECONDS", 20);
    let conns: u32 = env_or("FRDESK_BENCH_CONNECTIONS", 32);
    let threads: u32 = env_or("FRDESK_BENCH_THREADS", 2);
    let instances: u32 = env_or("FRDESK_BENCH_INSTANCES", 1);
    let wrk = std::env::var("FRDESK_BENCH_WRK").unwrap_or_else(|_| "wrk".into());
    if Command::new(&wrk).arg("--version").output().is_err() {
        anyhow::bail!("`{wrk}` not found: apt-get install wrk (or set FRDESK_BENCH_WRK)");
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    rt.block_on(run(n_cases, seconds, conns, threads, instances, &wrk))
}

async fn run(
    n_cases: usize,
    seconds: u64,
    conns: u32,
    threads: u32,
    instances: u32,
    wrk: &str,
) -> anyhow::Result<()> {
    anyhow::ensure!(
        instances >= 1 && threads.is_multiple_of(instances),
        "FRDESK_BENCH_THREADS ({threads}) must be a multiple of FRDESK_BENCH_INSTANCES ({instances})"
    );
    let dir = tempfile::tempdir()?;
    let (db_url, backend) = match std::env::var("FRDESK_BENCH_PG")
        .ok()
        .filter(|s| !s.is_empty())
    {
        Some(server) => {
            let name = format!("frdesk_bench_{}", std::process::id());
            let mut c = diesel::PgConnection::establish(&format!("{server}/postgres"))?;
            diesel::sql_query(format!("CREATE DATABASE {name}")).execute(&mut c)?;
            (format!("{server}/{name}"), "postgres")
        }
        None => (
            dir.path()
                .join("frdesk.sqlite3")
                .to_string_lossy()
                .into_owned(),
            "sqlite",
        ),
    };
    let env = vec![
        (
            "FRDESK_DATA_DIR".to_string(),
            dir.path().to_string_lossy().into_owned(),
        ),
        ("FRDESK_HTTP__BIND".into(), "127.0.0.1:0".into()),
        ("FRDESK_DATABASE__URL".into(), db_url.clone()),
        (
            "FRDESK_MAIL__FROM".into(),
            "Bench Desk <bench@bench.example>".into(),
        ),
        // Logins and posts are rate-limited per address; wrk is one address.
        ("FRDESK_HTTP__POSTS_PER_MINUTE".into(), "0".into()),
        ("FRDESK_HTTP__LOGIN_ATTEMPTS_PER_MINUTE".into(), "0".into()),
        (
            "FRDESK_HTTP__ACCOUNT_LOGIN_ATTEMPTS_PER_MINUTE".into(),
            "0".into(),
        ),
    ];
    let cfg = dir.path().join("frdesk.toml");
    std::fs::write(&cfg, "# benchmark\n")?;
    let settings = frdesk::Settings::load_with_env(Some(&cfg), env.clone())?;
    let app = frdesk::Application::build(settings).await?;
    let base = format!("http://127.0.0.1:{}", app.port());
    let mut ports = vec![app.port()];
    tokio::spawn(app.run_until_stopped());
    let pool = frdesk::platform::db::connect(&db_url)?;

    let t = Instant::now();
    let (case_id, secret) = seed(&pool, dir.path(), n_cases)?;
    if backend == "postgres" {
        // What autovacuum does soon after a bulk load: without statistics the planner sorts
        // every case of the agency for each page (70 req/s here) instead of reading the
        // (agency, updated, id) index backwards.
        let mut c = pool.get()?;
        diesel::sql_query("ANALYZE").execute(&mut c)?;
    }
    let seed_s = t.elapsed().as_secs_f64();
    eprintln!("seeded {n_cases} cases in {seed_s:.1} s ({backend})");
    // Further instances (issue 18): separate processes on the same database, started after
    // the seed (each builds its own history index from the database as it starts).
    let mut others = Vec::new();
    if instances > 1 {
        anyhow::ensure!(
            backend == "postgres",
            "several instances need PostgreSQL: set FRDESK_BENCH_PG"
        );
        for i in 1..instances {
            let (child, port, folder) = start_instance(dir.path(), &env, i).await?;
            ports.push(port);
            others.push((Instance(child), folder));
        }
        eprintln!("{instances} instances on ports {ports:?}");
    }

    let client = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    let cookie = login(&client, &base, &secret).await?;

    let mut results = Vec::new();
    // FRDESK_BENCH_PAGES=list,case runs only those (e.g. under a profiler).
    let only = std::env::var("FRDESK_BENCH_PAGES").unwrap_or_default();
    for (label, path, with_cookie) in [
        ("login page", "/login".to_string(), false),
        ("case list", "/cases".to_string(), true),
        ("case page", format!("/cases/{case_id}"), true),
    ] {
        if !only.is_empty() && !only.split(',').any(|p| label.contains(p.trim())) {
            continue;
        }
        let r = run_wrk(
            wrk,
            &format!("{base}{path}"),
            with_cookie.then_some(cookie.as_str()),
            seconds,
            conns,
            threads,
            &ports,
        )?;
        eprintln!(
            "{label:<11} {:>8.0} req/s  p50 {:>6.2} ms  p99 {:>6.2} ms  errors {}",
            r.rps, r.p50_ms, r.p99_ms, r.errors
        );
        results.push((label, r));
    }

    let (submitted, distinct, secs) = submissions(&client, &base, &pool, 50).await?;
    eprintln!(
        "50 concurrent submissions: {submitted} cases, {distinct} distinct form keys, {secs:.2} s"
    );

    let json = serde_json::json!({
        "backend": backend,
        "instances": instances,
        "cases": n_cases,
        "seconds_per_page": seconds,
        "connections": conns,
        "wrk_threads": threads,
        "pages": results.iter().map(|(l, r)| serde_json::json!({
            "page": l, "requests_per_s": r.rps, "p50_ms": r.p50_ms, "p90_ms": r.p90_ms,
            "p99_ms": r.p99_ms, "requests": r.requests, "errors": r.errors,
        })).collect::<Vec<_>>(),
        "concurrent_submissions": {"sent": 50, "cases": submitted, "distinct_form_keys": distinct, "seconds": secs},
    });
    println!("{json}");
    drop(others);
    Ok(())
}

/// A `frdesk serve` process of the benchmark; killed when dropped.
struct Instance(std::process::Child);

impl Drop for Instance {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts instance `i` (1, 2, …) as `frdesk serve` with the first instance's settings `env`,
/// its own data folder beside the first's (`first_dir`) holding the first one's key files
/// (docs/DEPLOYMENT.md, "Keys"), no migrations at start; waits until it answers `/health`.
/// Returns the process, its port and its folder (removed when dropped).
async fn start_instance(
    first_dir: &std::path::Path,
    env: &[(String, String)],
    i: u32,
) -> anyhow::Result<(std::process::Child, u16, tempfile::TempDir)> {
    let folder = tempfile::tempdir()?;
    for f in ["session.key", "mfa.key"] {
        std::fs::copy(first_dir.join(f), folder.path().join(f))?;
    }
    let signing = folder.path().join("signing");
    std::fs::create_dir_all(&signing)?;
    for e in std::fs::read_dir(first_dir.join("signing"))? {
        let e = e?;
        std::fs::copy(e.path(), signing.join(e.file_name()))?;
    }
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&signing, std::fs::Permissions::from_mode(0o700))?;
        for e in std::fs::read_dir(&signing)? {
            std::fs::set_permissions(e?.path(), std::fs::Permissions::from_mode(0o600))?;
        }
        for f in ["session.key", "mfa.key"] {
            std::fs::set_permissions(
                folder.path().join(f),
                std::fs::Permissions::from_mode(0o600),
            )?;
        }
    }
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let log = std::fs::File::create(folder.path().join("serve.log"))?;
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_frdesk"));
    // The benchmark's own variables are not settings: `frdesk serve` refuses unknown keys.
    for (k, _) in std::env::vars().filter(|(k, _)| k.starts_with("FRDESK_BENCH_")) {
        cmd.env_remove(k);
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd
        .arg("serve")
        .env("FRDESK_DATA_DIR", folder.path())
        .env("FRDESK_HTTP__BIND", format!("127.0.0.1:{port}"))
        .env("FRDESK_DATABASE__MIGRATE_ON_START", "false")
        .env(
            "FRDESK_FACE__MODELS_DIR",
            concat!(env!("CARGO_MANIFEST_DIR"), "/models"),
        )
        .current_dir(folder.path())
        .stdout(std::process::Stdio::null())
        .stderr(log)
        .spawn()?;
    let http = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        if let Ok(r) = http
            .get(format!("http://127.0.0.1:{port}/health"))
            .send()
            .await
            && r.status().is_success()
        {
            return Ok((child, port, folder));
        }
        if child.try_wait()?.is_some() || Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            anyhow::bail!(
                "instance {i} did not start: {}",
                std::fs::read_to_string(folder.path().join("serve.log")).unwrap_or_default()
            );
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// An agency, a requester with an authenticator, and `n` submitted cases of that agency.
/// Returns (a case id in the middle, the TOTP secret).
fn seed(
    pool: &frdesk::platform::db::DbPool,
    data_dir: &std::path::Path,
    n: usize,
) -> anyhow::Result<(i64, Vec<u8>)> {
    use frdesk::accounts::store::Agency;
    use frdesk::accounts::store::NewAgency;
    use frdesk::platform::time::now;
    let mut c = pool.get()?;
    let agency = Agency::insert(
        &mut c,
        &NewAgency {
            name: "Bench Police Department".into(),
            ori: "CA0199999".into(),
            contact_name: "Desk".into(),
            contact_email: "desk@bench.example".into(),
            contact_phone: "(213) 555-0100".into(),
            fr_policy_date: chrono::NaiveDate::from_ymd_opt(2023, 6, 15),
            is_service: false,
            active: true,
            created_at: now(),
        },
    )?;
    // The agency accepted the terms of use (submissions are refused without).
    frdesk::agencies::terms::accept(&mut c, &frdesk::audit::Actor::cli("bench"), &agency, now())?;
    let user = frdesk::cli::admin::create_user(
        &mut c,
        &frdesk::audit::Actor::cli("bench"),
        "CA0199999",
        "Bea Bench",
        "bench@bench.example",
        "(213) 555-0142",
        "requester",
        None,
        PASSWORD,
    )?;
    let key = frdesk::accounts::second_factor::MfaKey::load_or_create(data_dir)?;
    let e = frdesk::accounts::second_factor::begin_enrolment(
        &mut c,
        &key,
        user.id,
        &user.email,
        "bench",
        now(),
    )?;
    let secret = totp_rs::Secret::try_from_base32(&e.secret_base32)
        .map_err(|e| anyhow::anyhow!("{e:?}"))?
        .as_ref()
        .to_vec();
    // Confirmed a minute ago, so the login's code is a fresh step.
    let at = now() - chrono::Duration::seconds(90);
    let code = frdesk::accounts::second_factor::totp(&secret, "b", "b")?
        .generate(at.and_utc().timestamp() as u64)
        .to_string();
    frdesk::accounts::second_factor::confirm_enrolment(&mut c, &key, user.id, &code, at)?;

    let form = frdesk::domain::request::RequestForm {
        requester_name: "Bea Bench".into(),
        requester_phone: "(213) 555-0142".into(),
        requester_email: "bench@bench.example".into(),
        request_date: "2026-11-30".into(),
        search_reason: "Robbery suspect, Case# 24-000123, 211 PC".into(),
        case_file_number: "24-000123".into(),
        offense_code: "211 PC".into(),
        authorized_purpose: "criminal_offense".into(),
        image_source: "surveillance_still".into(),
        from_video: "yes".into(),
        video_recording: "Store camera 3, cam3.mp4".into(),
        images_declared: "1".into(),
        signature_name: "Bea Bench".into(),
        attest_lead_only: "on".into(),
        attest_lawful: "on".into(),
        ..Default::default()
    };
    let form_json = serde_json::to_string(&form)?;
    let start = now() - chrono::Duration::days(400);
    let mut middle = 0;
    for chunk in (0..n).collect::<Vec<_>>().chunks(1000) {
        frdesk::platform::db::write_tx(&mut c, |c| -> anyhow::Result<()> {
            for &i in chunk {
                let at = start + chrono::Duration::minutes(i as i64 * 50);
                let id: i64 = diesel::insert_into(cases::table)
                    .values((
                        cases::case_number.eq(Some(format!("FR-2025-{:06}", i + 1))),
                        cases::form_key.eq(uuid::Uuid::new_v4().to_string()),
                        cases::agency_id.eq(user.agency_id),
                        cases::requester_id.eq(user.id),
                        cases::status.eq("submitted"),
                        cases::current_version.eq(1),
                        cases::search_reason.eq(&form.search_reason),
                        cases::case_file_number.eq(format!("24-{:06}", i)),
                        cases::reason_verdict.eq("compliant"),
                        cases::created_at.eq(at),
                        cases::updated_at.eq(at),
                        cases::submitted_at.eq(Some(at)),
                    ))
                    .returning(cases::id)
                    .get_result(c)?;
                diesel::insert_into(request_versions::table)
                    .values((
                        request_versions::case_id.eq(id),
                        request_versions::version.eq(1),
                        request_versions::form_json.eq(&form_json),
                        request_versions::submitted_at.eq(Some(at)),
                        request_versions::created_at.eq(at),
                        request_versions::updated_at.eq(at),
                    ))
                    .execute(c)?;
                if i == n / 2 {
                    middle = id;
                }
            }
            Ok(())
        })?;
    }
    Ok((middle, secret))
}

fn csrf_of(html: &str) -> anyhow::Result<String> {
    let re = regex::Regex::new(r#"name="csrf_token" value="([0-9a-f]+)""#)?;
    Ok(re
        .captures(html)
        .ok_or_else(|| anyhow::anyhow!("no CSRF token in the page"))?[1]
        .to_string())
}

/// Password, then the TOTP code; returns the session cookie header value.
async fn login(client: &reqwest::Client, base: &str, secret: &[u8]) -> anyhow::Result<String> {
    let page = client
        .get(format!("{base}/login"))
        .send()
        .await?
        .text()
        .await?;
    let r = client
        .post(format!("{base}/login"))
        .form(&[
            ("csrf_token", csrf_of(&page)?.as_str()),
            ("email", "bench@bench.example"),
            ("password", PASSWORD),
        ])
        .send()
        .await?;
    anyhow::ensure!(r.status().as_u16() == 303, "password step: {}", r.status());
    let page = client
        .get(format!("{base}/login/verify"))
        .send()
        .await?
        .text()
        .await?;
    let code = frdesk::accounts::second_factor::totp(secret, "b", "b")?
        .generate_current()
        .to_string();
    let r = client
        .post(format!("{base}/login/verify"))
        .form(&[
            ("csrf_token", csrf_of(&page)?.as_str()),
            ("code", code.as_str()),
        ])
        .send()
        .await?;
    anyhow::ensure!(r.status().as_u16() == 303, "second factor: {}", r.status());
    let cookie = r
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("frdesk_session="))
        .and_then(|v| v.split(';').next())
        .ok_or_else(|| anyhow::anyhow!("no session cookie"))?
        .to_string();
    let check = client.get(format!("{base}/cases")).send().await?;
    anyhow::ensure!(
        check.status().as_u16() == 200,
        "logged in: {}",
        check.status()
    );
    Ok(cookie)
}

#[derive(Debug, Default)]
struct WrkResult {
    rps: f64,
    p50_ms: f64,
    p90_ms: f64,
    p99_ms: f64,
    requests: u64,
    errors: u64,
}

fn ms(s: &str) -> f64 {
    let s = s.trim();
    let (num, factor) = if let Some(v) = s.strip_suffix("us") {
        (v, 0.001)
    } else if let Some(v) = s.strip_suffix("ms") {
        (v, 1.0)
    } else if let Some(v) = s.strip_suffix('s') {
        (v, 1000.0)
    } else {
        (s, 1.0)
    };
    num.parse::<f64>().unwrap_or(f64::NAN) * factor
}

/// Runs wrk against `url`; with several `ports` (instances) a Lua `setup` connects wrk's
/// thread i to `127.0.0.1:ports[i mod N]`, the path and headers staying the same.
#[allow(clippy::too_many_arguments)]
fn run_wrk(
    wrk: &str,
    url: &str,
    cookie: Option<&str>,
    seconds: u64,
    conns: u32,
    threads: u32,
    ports: &[u16],
) -> anyhow::Result<WrkResult> {
    let mut cmd = Command::new(wrk);
    let script = tempfile::Builder::new().suffix(".lua").tempfile()?;
    if ports.len() > 1 {
        let list = ports
            .iter()
            .map(u16::to_string)
            .collect::<Vec<_>>()
            .join(", ");
        std::fs::write(
            script.path(),
            format!(
                "local ports = {{{list}}}\nlocal n = 0\nfunction setup(thread)\n  n = n + 1\n  thread.addr = wrk.lookup(\"127.0.0.1\", tostring(ports[(n - 1) % #ports + 1]))[1]\nend\n"
            ),
        )?;
        cmd.arg("-s").arg(script.path());
    }
    cmd.args([
        "-t",
        &threads.to_string(),
        "-c",
        &conns.to_string(),
        "-d",
        &format!("{seconds}s"),
        "--latency",
    ]);
    if let Some(c) = cookie {
        cmd.args(["-H", &format!("Cookie: {c}")]);
    }
    let out = cmd.arg(url).output()?;
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    anyhow::ensure!(
        out.status.success(),
        "wrk failed: {text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut r = WrkResult::default();
    for line in text.lines() {
        let t = line.trim();
        let words: Vec<&str> = t.split_whitespace().collect();
        match words.as_slice() {
            ["Requests/sec:", v] => r.rps = v.parse().unwrap_or(0.0),
            ["50%", v] => r.p50_ms = ms(v),
            ["90%", v] => r.p90_ms = ms(v),
            ["99%", v] => r.p99_ms = ms(v),
            [n, "requests", "in", ..] => r.requests = n.parse().unwrap_or(0),
            ["Non-2xx", "or", "3xx", "responses:", n] => r.errors += n.parse::<u64>().unwrap_or(0),
            ["Socket", "errors:", rest @ ..] => {
                // connect N, read N, write N, timeout N
                r.errors += rest
                    .iter()
                    .filter_map(|w| w.trim_end_matches(',').parse::<u64>().ok())
                    .sum::<u64>();
            }
            _ => {}
        }
    }
    Ok(r)
}

/// `n` request submissions at once, each with its own blank form (form key) and a real photo,
/// from one logged-in requester. Returns (cases in the database, distinct form keys, seconds).
async fn submissions(
    client: &reqwest::Client,
    base: &str,
    pool: &frdesk::platform::db::DbPool,
    n: usize,
) -> anyhow::Result<(i64, i64, f64)> {
    let lfw = std::env::var("FRDESK_LFW_DIR")
        .unwrap_or_else(|_| concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/faces/lfw").into());
    let photo = std::fs::read(format!("{lfw}/Aaron_Eckhart/Aaron_Eckhart_0001.jpg"))?;
    let before: i64 = {
        let mut c = pool.get()?;
        cases::table.count().get_result(&mut c)?
    };
    let mut forms = Vec::new();
    let form_key = regex::Regex::new(r#"name="form_key" value="([0-9a-f-]+)""#)?;
    for _ in 0..n {
        let page = client
            .get(format!("{base}/cases/new"))
            .send()
            .await?
            .text()
            .await?;
        let key = form_key
            .captures(&page)
            .ok_or_else(|| anyhow::anyhow!("no form key"))?[1]
            .to_string();
        forms.push((csrf_of(&page)?, key));
    }
    let t = Instant::now();
    let mut tasks = Vec::new();
    for (i, (csrf, key)) in forms.into_iter().enumerate() {
        let (client, base, photo) = (client.clone(), base.to_string(), photo.clone());
        tasks.push(tokio::spawn(async move {
            let mut form = reqwest::multipart::Form::new()
                .text("csrf_token", csrf)
                .text("form_key", key)
                .text("action", "submit");
            for (k, v) in [
                ("requester_name", "Bea Bench".to_string()),
                ("requester_phone", "(213) 555-0142".into()),
                ("requester_email", "bench@bench.example".into()),
                ("request_date", chrono::Utc::now().date_naive().to_string()),
                (
                    "search_reason",
                    format!("Robbery suspect, Case# 25-{i:06}, 211 PC"),
                ),
                ("case_file_number", format!("25-{i:06}")),
                ("offense_code", "211 PC".into()),
                ("authorized_purpose", "criminal_offense".into()),
                ("image_source", "surveillance_still".into()),
                ("from_video", "yes".into()),
                ("video_recording", "Store camera 3, cam3.mp4".into()),
                ("images_declared", "1".into()),
                ("signature_name", "Bea Bench".into()),
                ("attest_lead_only", "on".into()),
                ("attest_lawful", "on".into()),
            ] {
                form = form.text(k, v);
            }
            form = form.part(
                "images",
                reqwest::multipart::Part::bytes(photo)
                    .file_name("probe.jpg")
                    .mime_str("image/jpeg")
                    .expect("mime"),
            );
            client
                .post(format!("{base}/cases/save"))
                .multipart(form)
                .timeout(Duration::from_secs(120))
                .send()
                .await
                .map(|r| r.status().as_u16())
        }));
    }
    let mut ok = 0;
    for t in tasks {
        if matches!(t.await?, Ok(303)) {
            ok += 1;
        }
    }
    let secs = t.elapsed().as_secs_f64();
    anyhow::ensure!(ok == n, "{} of {n} submissions failed", n - ok);
    let mut c = pool.get()?;
    let after: i64 = cases::table.count().get_result(&mut c)?;
    let keys: std::collections::BTreeSet<String> = cases::table
        .select(cases::form_key)
        .load::<String>(&mut c)?
        .into_iter()
        .collect();
    Ok((after - before, keys.len() as i64 - before, secs))
}
