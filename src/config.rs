//! Typed settings: built-in defaults, then an optional TOML file (`frdesk.toml`, or the file
//! given with `--config` / `FRDESK_CONFIG`), then `FRDESK_*` environment variables where `__`
//! separates sections (`FRDESK_HTTP__BIND`, `FRDESK_MAIL__SMTP_URL`). A bad value fails start-up
//! with an error naming the key. Secrets (database and SMTP passwords) are never logged.
//!
//! Every key is documented in `frdesk.example.toml`.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::{Context, anyhow, bail};
use serde::Deserialize;

/// All settings of one frdesk instance.
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// Folder for the SQLite database, images, the outbox and keys. Default `./data`.
    pub data_dir: PathBuf,
    pub http: HttpSettings,
    pub database: DatabaseSettings,
    pub mail: MailSettings,
    pub service: ServiceSettings,
    pub face: FaceSettings,
    pub packet: PacketSettings,
    pub retention: RetentionSettings,
    pub audit: AuditSettings,
    pub examination: ExaminationSettings,
    pub sla: SlaSettings,
    pub metrics: MetricsSettings,
    pub jobs: JobsSettings,
    pub storage: StorageSettings,
}

/// Where the desk keeps its files (docs/DEPLOYMENT.md, "Stored files").
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StorageSettings {
    /// `"filesystem"` (default): under `data_dir`, one server per folder (or a folder every
    /// instance mounts). `"database"`: in the database itself (tables `stored_files` and
    /// `stored_file_chunks`), for several instances on one PostgreSQL. Chosen explicitly and
    /// never switched automatically: `frdesk storage migrate --to database|filesystem` moves
    /// the files of a deployment, then the operator changes this key.
    pub backend: String,
}

impl StorageSettings {
    /// The parsed [`StorageSettings::backend`]. Errors name the key and the accepted values.
    pub fn kind(&self) -> anyhow::Result<crate::platform::storage::StorageKind> {
        crate::platform::storage::StorageKind::parse(&self.backend).map_err(|e| {
            anyhow!(
                "Invalid configuration: storage.backend = {:?}: {e}",
                self.backend
            )
        })
    }
}

/// Background jobs and the outbox across instances (docs/OPERATIONS.md, "Jobs and the outbox
/// across instances").
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JobsSettings {
    /// Length of the lease under which an instance holds a claimed job or outbox message, in
    /// seconds (2..=3600). The holder renews it every third of that while it works; a lease
    /// that was not renewed lapses, and another instance takes the work over. Default 30.
    pub lease_seconds: u32,
}

impl JobsSettings {
    /// [`JobsSettings::lease_seconds`] as a duration.
    pub fn lease(&self) -> std::time::Duration {
        std::time::Duration::from_secs(u64::from(self.lease_seconds))
    }
}

/// Prometheus metrics (docs/OPERATIONS.md, "Metrics").
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MetricsSettings {
    /// Address of the separate listener serving `GET /metrics`, `host:port` (port 0 picks a
    /// free one). Empty (default): no metrics are kept or served.
    pub bind: String,
}

/// Turnaround targets per stage (issue 16, "Turnaround clocks"; docs/OPERATIONS.md): each a
/// whole number of business days (`"3d"`, a day = `service.business_day_start` to
/// `service.business_day_end`) or business hours (`"8h"`), counted in `service.time_zone`
/// on weekdays that are not `service.holidays`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SlaSettings {
    /// From the first submission, paused while returned to the requester. Default `"1d"`.
    pub compliance_review: String,
    /// The probe assessment and search, from approval. Default `"3d"`.
    pub search: String,
    /// Each probe's first review, from the searches being finished. Default `"3d"`.
    pub first_review: String,
    /// Each probe's blind second review, from its first review. Default `"3d"`.
    pub second_review: String,
    /// A supervisor's adjudication, from the second review. Default `"3d"`.
    pub adjudication: String,
    /// An open stage is "due soon" when at most this much business time is left. Default `"4h"`.
    pub due_soon: String,
    /// The targets, parsed at start-up.
    #[serde(skip)]
    pub targets: crate::domain::clock::SlaTargets,
}

/// The examiners' queue (docs/POLICIES.md, "The examiner's workbench").
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExaminationSettings {
    /// A claim on a queue item (assessment, review, adjudication) lapses after this many
    /// minutes without activity by its holder on the item (1..=1440). Default 30.
    pub claim_idle_minutes: u32,
}

/// Rules of the monthly audit report (LACRIS "Audits"); see docs/AUDIT.md.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditSettings {
    /// Business hours in the service's local time, whole hours 0..=24: activity before
    /// `business_start_hour` or from `business_end_hour` on, or on a Saturday or Sunday, is
    /// highlighted as after-hours. Defaults 7 and 19.
    pub business_start_hour: u32,
    pub business_end_hour: u32,
    /// The service's business calendar (`service.time_zone`, holidays, working day), copied
    /// at start-up: these hours are local time in its zone, and the report's turnaround figures
    /// count in it (the former fixed `audit.utc_offset_minutes` is refused at start-up with a
    /// pointer to `service.time_zone`).
    #[serde(skip)]
    pub service_calendar: crate::domain::business_time::BusinessCalendar,
    /// A user's case and subject views plus searches in a month are "unusual volume" above
    /// max(`volume_floor`, `volume_factor` × the agency's median for active users). Defaults 50
    /// and 3.0.
    pub volume_floor: u32,
    pub volume_factor: f64,
    /// The audit calendar (docs/OPERATIONS.md "Audit calendar"): month M's audit is due on this
    /// day of month M + 1 (1..=28). Default 15.
    pub monthly_due_day: u32,
    /// Days after a quarter ends by which its access review is due (0..=60). Default 15.
    pub access_review_due_days: u32,
    /// Days before a due date from which the local administrators are reminded (0..=31).
    /// Default 7. Reminders cannot be switched off.
    pub reminder_days_before: u32,
    /// The monthly re-review sample (NY MPTC §VI.C): this percentage of the previous month's
    /// concluded examinations, rounded up, at least 1 when any exist (1..=100). Default 10.
    pub rereview_sample_percent: u32,
}

impl AuditSettings {
    /// The audit calendar's rules.
    pub fn calendar(&self) -> crate::domain::audit_calendar::CalendarRules {
        crate::domain::audit_calendar::CalendarRules {
            monthly_due_day: self.monthly_due_day,
            access_review_due_days: self.access_review_due_days,
            reminder_days_before: self.reminder_days_before,
        }
    }
}

/// Retention periods (LACRIS "Data Retention"; LAPD ALPR order: logical deletion, then purge)
/// and account hygiene (CJIS AC-2). All periods are whole days.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RetentionSettings {
    /// Days after a case's last activity (last timeline event or update) before it is logically
    /// deleted. Default 730 (two years, LAPD ALPR order); at least 730. 0 disables logical
    /// deletion.
    pub case_hide_days: u32,
    /// Permanent deletion (purge) of a logically deleted case: at the first daily pass after
    /// its last activity + `case_purge_days` days + 24 hours + 1 minute (LAPD ALPR order: "five
    /// years, and 24 hours and one minute"). Default and minimum 1827 (five years counted in
    /// days, never short of five calendar years). 0 disables purging.
    pub case_purge_days: u32,
    /// Days audit records (and audit reports) are kept before they are purged. Default 1827
    /// (five years and a day, LACRIS "Data Retention"). At least 1827.
    pub audit_days: u32,
    /// Days without a login after which an account is disabled (never-used accounts count
    /// from creation). Default 90 (CJIS AC-2). 0 disables the rule.
    pub account_idle_days: u32,
}

impl RetentionSettings {
    /// The policy in the domain's terms.
    pub fn policy(&self) -> crate::domain::retention::RetentionPolicy {
        crate::domain::retention::RetentionPolicy {
            case_hide_days: self.case_hide_days,
            case_purge_days: self.case_purge_days,
            audit_days: self.audit_days,
            account_idle_days: self.account_idle_days,
        }
    }
}

/// The signing key of result packets.
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PacketSettings {
    /// PKCS#12 file with the key and certificate issued for the desk (production). Empty: a
    /// self-signed certificate generated on first run in `<data_dir>/signing/`.
    pub pkcs12_path: String,
    /// Password of `pkcs12_path`. Secret: never logged; prefer `FRDESK_PACKET__PKCS12_PASSWORD`.
    pub pkcs12_password: String,
}

#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FaceSettings {
    /// Folder with `manifest.toml`, the ONNX models, the calibration table and `lib/` (the ONNX
    /// Runtime library), as `script/models` writes it. Default `models`.
    pub models_dir: PathBuf,
    /// Candidate-list length of a search, 2–50 (FBI NGI-IPS practice). Default 20.
    pub candidates: usize,
    /// Allow a result from one examiner where a second is not practicable (NY MPTC §IV.E.2);
    /// the packet then says so. Default false: a blind second review is required.
    pub single_examiner_allowed: bool,
    /// Allow the reviewer who approved a request in compliance review to start its search,
    /// examine it or adjudicate it (where a service cannot staff the separation). Default false:
    /// the approver takes no examination duty on the case (docs/POLICIES.md).
    pub approver_may_examine: bool,
}

#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HttpSettings {
    /// Address to listen on, `host:port`. Default `127.0.0.1:8080`; port 0 picks a free port.
    pub bind: String,
    /// Mark the session cookie `Secure` (set when served over TLS or behind a TLS proxy).
    pub secure_cookies: bool,
    /// A session unused this long ends; the user logs in again (CJIS AC-11). Default 1800 s.
    pub idle_timeout_seconds: u64,
    /// Login attempts per minute from one client address (bursts of twice that); 0 = no limit.
    /// Default 10.
    pub login_attempts_per_minute: u32,
    /// Login attempts per minute for one account, from anywhere (bursts of twice that); 0 = no
    /// limit. Default 5.
    pub account_login_attempts_per_minute: u32,
    /// Form posts per minute from one client address (bursts of twice that); 0 = no limit.
    /// Default 120.
    pub posts_per_minute: u32,
    /// Requests per minute from one client address to the public, no-login transparency
    /// report (page, CSV, signed PDF), which aggregates every case of the period; bursts of
    /// twice that; 0 = no limit. Default 30.
    pub public_requests_per_minute: u32,
    /// PEM certificate chain and private key: when both are set frdesk serves HTTPS itself
    /// (rustls; TLS 1.2 and 1.3) and session cookies are always `Secure`. Empty (default): plain
    /// HTTP, for a TLS-terminating reverse proxy in front (docs/OPERATIONS.md).
    pub tls_cert: String,
    pub tls_key: String,
}

impl HttpSettings {
    /// Whether HTTPS is served directly.
    pub fn tls(&self) -> bool {
        !self.tls_cert.trim().is_empty()
    }
}

#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatabaseSettings {
    /// `postgres://user:pass@host/db` selects PostgreSQL; a file path selects SQLite.
    /// Empty: `<data_dir>/frdesk.sqlite3`.
    pub url: String,
    /// Whether the server and the commands apply pending migrations when they open the
    /// database (default `true`, one instance). With several instances set it `false` and run
    /// `frdesk migrate` once per upgrade: an instance then refuses to start while migrations
    /// are pending. Either way, a database with a migration this build does not know is
    /// refused (docs/DEPLOYMENT.md, "Upgrades").
    pub migrate_on_start: bool,
}

impl DatabaseSettings {
    /// Opens the pool as `migrate_on_start` says: applying pending migrations, or refusing a
    /// schema that lacks any. Errors: see [`crate::platform::db::connect_with`].
    pub fn connect(&self) -> anyhow::Result<crate::platform::db::DbPool> {
        crate::platform::db::connect_with(
            &self.url,
            if self.migrate_on_start {
                crate::platform::db::Migrations::Apply
            } else {
                crate::platform::db::Migrations::Require
            },
        )
    }
}

/// How mail leaves the outbox.
#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum MailTransportKind {
    /// Write each message as an `.eml` file into `<data_dir>/outbox`.
    File,
    /// Send through the SMTP server at `mail.smtp_url`.
    Smtp,
}

#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MailSettings {
    pub transport: MailTransportKind,
    /// lettre's URL form: `smtp://host:port` (plain), `smtps://user:pass@host` (TLS).
    pub smtp_url: String,
    /// Sender address, e.g. `LACRIS Face Search Desk <frdesk@lacris.example.gov>`.
    pub from: String,
    /// First retry delay after a failed delivery, in seconds; doubles per attempt up to 15 min.
    pub retry_base_seconds: u32,
}

#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServiceSettings {
    /// Name shown on pages and in email.
    pub name: String,
    /// External base URL used in email links, e.g. `https://frdesk.example.gov`.
    pub base_url: String,
    /// The service's IANA time zone: business days, due times and the monthly audit's
    /// after-hours rule are counted in it (daylight saving handled). Default
    /// `America/Los_Angeles`.
    pub time_zone: String,
    /// Local dates (`YYYY-MM-DD`) on which turnaround clocks do not run: a list, or one string
    /// separated by commas (`FRDESK_SERVICE__HOLIDAYS`). Default: the US federal holidays of
    /// 2026 and 2027 as observed ([`DEFAULT_HOLIDAYS`]).
    #[serde(deserialize_with = "one_or_many")]
    pub holidays: Vec<String>,
    /// The working day, local `HH:MM`. Defaults `08:00` and `17:00` (a business day = 9 hours).
    pub business_day_start: String,
    pub business_day_end: String,
    /// The calendar above, parsed at start-up.
    #[serde(skip)]
    pub calendar: crate::domain::business_time::BusinessCalendar,
}

/// The default `service.holidays`: US federal holidays of 2026 and 2027 (the observed weekday
/// when one falls on a weekend).
pub const DEFAULT_HOLIDAYS: [&str; 23] = [
    "2026-01-01",
    "2026-01-19",
    "2026-02-16",
    "2026-05-25",
    "2026-06-19",
    "2026-07-03",
    "2026-09-07",
    "2026-10-12",
    "2026-11-11",
    "2026-11-26",
    "2026-12-25",
    "2027-01-01",
    "2027-01-18",
    "2027-02-15",
    "2027-05-31",
    "2027-06-18",
    "2027-07-05",
    "2027-09-06",
    "2027-10-11",
    "2027-11-11",
    "2027-11-25",
    "2027-12-24",
    "2027-12-31",
];

/// A list of strings given as a list or as one comma-separated string (environment variables).
fn one_or_many<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMany {
        One(String),
        Many(Vec<String>),
    }
    Ok(match OneOrMany::deserialize(d)? {
        OneOrMany::One(s) => s
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(String::from)
            .collect(),
        OneOrMany::Many(v) => v,
    })
}

/// `FRDESK_*` variables that are not settings: the config-file path, the log filter, and the
/// variables of the test harness and benchmarks.
fn is_not_config(key: &str) -> bool {
    matches!(key, "FRDESK_CONFIG" | "FRDESK_LOG" | "FRDESK_LFW_DIR")
        || key.starts_with("FRDESK_TEST_")
}

impl Settings {
    /// Loads settings from defaults, the optional file and the environment, then validates them.
    /// `file`: explicit config file (must exist); `None` reads `frdesk.toml` if present.
    pub fn load(file: Option<&Path>) -> anyhow::Result<Settings> {
        Self::load_with_env(file, std::env::vars())
    }

    /// As [`Settings::load`], with the environment given explicitly (for tests).
    pub fn load_with_env(
        file: Option<&Path>,
        env: impl IntoIterator<Item = (String, String)>,
    ) -> anyhow::Result<Settings> {
        let mut b = config::Config::builder()
            .set_default("data_dir", "./data")?
            .set_default("http.bind", "127.0.0.1:8080")?
            .set_default("http.secure_cookies", false)?
            .set_default("http.idle_timeout_seconds", 1800)?
            .set_default("http.login_attempts_per_minute", 10)?
            .set_default("http.account_login_attempts_per_minute", 5)?
            .set_default("http.posts_per_minute", 120)?
            .set_default("http.public_requests_per_minute", 30)?
            .set_default("http.tls_cert", "")?
            .set_default("http.tls_key", "")?
            .set_default("metrics.bind", "")?
            .set_default("storage.backend", "filesystem")?
            .set_default("database.url", "")?
            .set_default("database.migrate_on_start", true)?
            .set_default("mail.transport", "file")?
            .set_default("mail.smtp_url", "")?
            .set_default("mail.from", "Face Search Desk <frdesk@localhost>")?
            .set_default("mail.retry_base_seconds", 10)?
            .set_default(
                "service.name",
                "Regional Identification System — Face Search Desk",
            )?
            .set_default("service.base_url", "http://127.0.0.1:8080")?
            .set_default("service.time_zone", "America/Los_Angeles")?
            .set_default("service.holidays", DEFAULT_HOLIDAYS.to_vec())?
            .set_default("service.business_day_start", "08:00")?
            .set_default("service.business_day_end", "17:00")?
            .set_default("sla.compliance_review", "1d")?
            .set_default("sla.search", "3d")?
            .set_default("sla.first_review", "3d")?
            .set_default("sla.second_review", "3d")?
            .set_default("sla.adjudication", "3d")?
            .set_default("sla.due_soon", "4h")?
            .set_default("face.models_dir", "models")?
            .set_default("face.candidates", 20)?
            .set_default("face.single_examiner_allowed", false)?
            .set_default("face.approver_may_examine", false)?
            .set_default("packet.pkcs12_path", "")?
            .set_default("packet.pkcs12_password", "")?
            .set_default("retention.case_hide_days", 730)?
            .set_default(
                "retention.case_purge_days",
                i64::from(crate::domain::retention::MIN_CASE_PURGE_DAYS),
            )?
            .set_default("retention.audit_days", 1827)?
            .set_default("retention.account_idle_days", 90)?
            .set_default("audit.business_start_hour", 7)?
            .set_default("audit.business_end_hour", 19)?
            .set_default("audit.volume_floor", 50)?
            .set_default("audit.volume_factor", 3.0)?
            .set_default("audit.monthly_due_day", 15)?
            .set_default("audit.access_review_due_days", 15)?
            .set_default("audit.reminder_days_before", 7)?
            .set_default("audit.rereview_sample_percent", 10)?
            .set_default("examination.claim_idle_minutes", 30)?
            .set_default("jobs.lease_seconds", 30)?;
        b = match file {
            Some(p) => {
                if !p.exists() {
                    bail!("Config file {} does not exist", p.display());
                }
                b.add_source(config::File::from(p))
            }
            None => b.add_source(config::File::with_name("frdesk.toml").required(false)),
        };
        let env: std::collections::HashMap<String, String> = env
            .into_iter()
            .filter(|(k, _)| k.starts_with("FRDESK_") && !is_not_config(k))
            .collect();
        b = b.add_source(
            config::Environment::with_prefix("FRDESK")
                .prefix_separator("_")
                .separator("__")
                .source(Some(env)),
        );
        let cfg = b.build().context("Failed to read configuration")?;
        if cfg.get::<config::Value>("audit.utc_offset_minutes").is_ok() {
            bail!(
                "Invalid configuration: audit.utc_offset_minutes was replaced by service.time_zone \
                 (an IANA name such as \"America/Los_Angeles\"; daylight saving is handled): \
                 remove audit.utc_offset_minutes"
            );
        }
        let mut s: Settings = cfg
            .try_deserialize()
            .map_err(|e| anyhow!("Invalid configuration: {e}"))?;
        s.validate()?;
        Ok(s)
    }

    fn validate(&mut self) -> anyhow::Result<()> {
        if self.data_dir.as_os_str().is_empty() {
            bail!("Invalid configuration: data_dir must not be empty");
        }
        self.http.bind.parse::<SocketAddr>().map_err(|e| {
            anyhow!(
                "Invalid configuration: http.bind = {:?}: {e}",
                self.http.bind
            )
        })?;
        if !self.metrics.bind.trim().is_empty() {
            self.metrics
                .bind
                .trim()
                .parse::<SocketAddr>()
                .map_err(|e| {
                    anyhow!(
                        "Invalid configuration: metrics.bind = {:?}: {e}",
                        self.metrics.bind
                    )
                })?;
        }
        if self.database.url.trim().is_empty() {
            self.database.url = self
                .data_dir
                .join("frdesk.sqlite3")
                .to_string_lossy()
                .into_owned();
        } else if self.database.url.contains("://")
            && !(self.database.url.starts_with("postgres://")
                || self.database.url.starts_with("postgresql://")
                || self.database.url.starts_with("sqlite://"))
        {
            bail!(
                "Invalid configuration: database.url must be a postgres:// URL or a SQLite file path"
            );
        }
        self.mail
            .from
            .parse::<lettre::message::Mailbox>()
            .map_err(|e| {
                anyhow!(
                    "Invalid configuration: mail.from = {:?}: {e}",
                    self.mail.from
                )
            })?;
        if self.mail.transport == MailTransportKind::Smtp {
            if self.mail.smtp_url.trim().is_empty() {
                bail!(
                    "Invalid configuration: mail.smtp_url is required when mail.transport = \"smtp\""
                );
            }
            lettre::AsyncSmtpTransport::<lettre::Tokio1Executor>::from_url(&self.mail.smtp_url)
                .map_err(|e| anyhow!("Invalid configuration: mail.smtp_url: {e}"))?;
        }
        if !(crate::gallery::MIN_CANDIDATES..=crate::gallery::MAX_CANDIDATES)
            .contains(&self.face.candidates)
        {
            bail!("Invalid configuration: face.candidates must be between 2 and 50");
        }
        if !(self.service.base_url.starts_with("http://")
            || self.service.base_url.starts_with("https://"))
        {
            bail!("Invalid configuration: service.base_url must start with http:// or https://");
        }
        if !self.packet.pkcs12_path.trim().is_empty()
            && !Path::new(&self.packet.pkcs12_path).is_file()
        {
            bail!(
                "Invalid configuration: packet.pkcs12_path = {:?} is not a readable file",
                self.packet.pkcs12_path
            );
        }
        if self.http.tls_cert.trim().is_empty() != self.http.tls_key.trim().is_empty() {
            bail!("Invalid configuration: http.tls_cert and http.tls_key must be set together");
        }
        for (key, path) in [
            ("http.tls_cert", &self.http.tls_cert),
            ("http.tls_key", &self.http.tls_key),
        ] {
            if !path.trim().is_empty() && !Path::new(path.trim()).is_file() {
                bail!("Invalid configuration: {key} = {path:?} is not a readable file");
            }
        }
        if self.audit.business_start_hour >= self.audit.business_end_hour
            || self.audit.business_end_hour > 24
        {
            anyhow::bail!(
                "Invalid configuration: audit.business_start_hour must be before audit.business_end_hour (hours 0..=24)"
            );
        }
        if !(1..=28).contains(&self.audit.monthly_due_day) {
            anyhow::bail!("Invalid configuration: audit.monthly_due_day must be a day 1..=28");
        }
        if self.audit.access_review_due_days > 60 {
            anyhow::bail!("Invalid configuration: audit.access_review_due_days must be 0..=60");
        }
        if !(1..=100).contains(&self.audit.rereview_sample_percent) {
            anyhow::bail!("Invalid configuration: audit.rereview_sample_percent must be 1..=100");
        }
        if self.audit.reminder_days_before > 31 {
            anyhow::bail!("Invalid configuration: audit.reminder_days_before must be 0..=31");
        }
        self.validate_clocks()?;
        if !(self.audit.volume_factor.is_finite() && self.audit.volume_factor >= 1.0) {
            anyhow::bail!("Invalid configuration: audit.volume_factor must be at least 1.0");
        }
        if !(1..=1440).contains(&self.examination.claim_idle_minutes) {
            bail!(
                "Invalid configuration: examination.claim_idle_minutes must be 1..=1440 (minutes)"
            );
        }
        if self.storage.kind()? == crate::platform::storage::StorageKind::Database
            && !self.is_postgres()
        {
            bail!(
                "Invalid configuration: storage.backend = \"database\" needs a PostgreSQL database.url (on SQLite the files stay under data_dir)"
            );
        }
        if !(2..=3600).contains(&self.jobs.lease_seconds) {
            bail!("Invalid configuration: jobs.lease_seconds must be 2..=3600 (seconds)");
        }
        let r = &self.retention;
        if r.case_hide_days != 0 && r.case_hide_days < crate::domain::retention::MIN_CASE_HIDE_DAYS
        {
            bail!(
                "Invalid configuration: retention.case_hide_days must be at least {} (two years, LAPD ALPR order \"Retention and Deletion\"), or 0 to turn logical deletion off",
                crate::domain::retention::MIN_CASE_HIDE_DAYS
            );
        }
        if r.case_purge_days != 0
            && r.case_purge_days < crate::domain::retention::MIN_CASE_PURGE_DAYS
        {
            bail!(
                "Invalid configuration: retention.case_purge_days must be at least {} (five years; purge comes 24 hours and 1 minute later, LAPD ALPR order \"Retention and Deletion\"), or 0 to turn purging off",
                crate::domain::retention::MIN_CASE_PURGE_DAYS
            );
        }
        if self.retention.audit_days < crate::domain::retention::MIN_AUDIT_DAYS {
            bail!(
                "Invalid configuration: retention.audit_days must be at least {} (five years, LACRIS \"Data Retention\")",
                crate::domain::retention::MIN_AUDIT_DAYS
            );
        }
        Ok(())
    }

    /// Parses the calendar (`service.time_zone`, `service.holidays`, business hours) and the
    /// `sla.*` targets into their typed forms; errors name the key.
    fn validate_clocks(&mut self) -> anyhow::Result<()> {
        use crate::domain::business_time::{BusinessCalendar, Target};
        let zone: chrono_tz::Tz = self.service.time_zone.trim().parse().map_err(|_| {
            anyhow!(
                "Invalid configuration: service.time_zone = {:?} is not an IANA time zone name (e.g. \"America/Los_Angeles\")",
                self.service.time_zone
            )
        })?;
        let mut holidays = std::collections::BTreeSet::new();
        for h in &self.service.holidays {
            let d = chrono::NaiveDate::parse_from_str(h.trim(), "%Y-%m-%d").map_err(|_| {
                anyhow!("Invalid configuration: service.holidays: {h:?} is not a date YYYY-MM-DD")
            })?;
            holidays.insert(d);
        }
        let time = |key: &str, v: &str| {
            chrono::NaiveTime::parse_from_str(v.trim(), "%H:%M")
                .map_err(|_| anyhow!("Invalid configuration: {key} = {v:?} is not a time HH:MM"))
        };
        let day_start = time(
            "service.business_day_start",
            &self.service.business_day_start,
        )?;
        let day_end = time("service.business_day_end", &self.service.business_day_end)?;
        if day_start >= day_end {
            bail!(
                "Invalid configuration: service.business_day_start must be before service.business_day_end"
            );
        }
        self.service.calendar = BusinessCalendar {
            zone,
            holidays,
            day_start,
            day_end,
        };
        self.audit.service_calendar = self.service.calendar.clone();
        let target = |key: &str, v: &str| {
            Target::parse(v).map_err(|e| anyhow!("Invalid configuration: sla.{key} = {v:?}: {e}"))
        };
        let s = &self.sla;
        self.sla.targets = crate::domain::clock::SlaTargets {
            compliance_review: target("compliance_review", &s.compliance_review)?,
            search: target("search", &s.search)?,
            first_review: target("first_review", &s.first_review)?,
            second_review: target("second_review", &s.second_review)?,
            adjudication: target("adjudication", &s.adjudication)?,
            due_soon: target("due_soon", &s.due_soon)?,
        };
        Ok(())
    }

    /// The packet signing key: the configured PKCS#12 file, or the generated one in
    /// `<data_dir>/signing/` (created on first use). Errors name the file.
    pub fn packet_signer(&self) -> anyhow::Result<crate::platform::pdf::Signer> {
        let p12 = self.packet.pkcs12_path.trim();
        let pkcs12 =
            (!p12.is_empty()).then(|| (Path::new(p12), self.packet.pkcs12_password.as_str()));
        crate::platform::pdf::Signer::load_or_generate_named(
            &self.data_dir,
            pkcs12,
            &self.service.name,
        )
        .context("Failed to load the packet signing key")
    }

    /// Where mail goes with the `file` transport.
    pub fn outbox_dir(&self) -> PathBuf {
        self.data_dir.join("outbox")
    }

    /// The desk's file store (`storage.backend`), using `pool` for the database back-end.
    ///
    /// Errors: `storage.backend` is not a back-end, or `"database"` on a database that is not
    /// PostgreSQL (a SQLite file has one writer: a file written beside a transaction would wait
    /// for it).
    pub fn file_store(
        &self,
        pool: &crate::platform::db::DbPool,
    ) -> anyhow::Result<crate::platform::storage::Storage> {
        use crate::platform::storage::{Storage, StorageKind};
        match self.storage.kind()? {
            StorageKind::Filesystem => Ok(Storage::filesystem(&self.data_dir)),
            StorageKind::Database if self.is_postgres() => {
                Ok(Storage::database(&self.data_dir, pool.clone()))
            }
            StorageKind::Database => bail!(
                "Invalid configuration: storage.backend = \"database\" needs a PostgreSQL database.url (on SQLite the files stay under data_dir)"
            ),
        }
    }

    /// [`Settings::file_store`] for a command that has no pool of its own: the database back-end
    /// opens one (refusing a schema that lacks migrations).
    ///
    /// Errors: as [`Settings::file_store`], or the database cannot be opened.
    pub fn file_store_with_own_pool(&self) -> anyhow::Result<crate::platform::storage::Storage> {
        match self.storage.kind()? {
            crate::platform::storage::StorageKind::Filesystem => Ok(
                crate::platform::storage::Storage::filesystem(&self.data_dir),
            ),
            crate::platform::storage::StorageKind::Database => {
                let pool = crate::platform::db::connect_with(
                    &self.database.url,
                    crate::platform::db::Migrations::Require,
                )?;
                self.file_store(&pool)
            }
        }
    }

    /// Whether the configured database is PostgreSQL.
    pub fn is_postgres(&self) -> bool {
        crate::platform::db::Backend::of_url(&self.database.url)
            == crate::platform::db::Backend::Postgres
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn defaults_are_embedded() {
        let s = Settings::load_with_env(None, env(&[])).unwrap();
        assert_eq!(s.http.bind, "127.0.0.1:8080");
        assert_eq!(s.mail.transport, MailTransportKind::File);
        assert!(s.database.url.ends_with("frdesk.sqlite3"));
    }

    #[test]
    fn env_overrides_with_sections() {
        let s = Settings::load_with_env(
            None,
            env(&[
                ("FRDESK_DATA_DIR", "/tmp/x"),
                ("FRDESK_HTTP__BIND", "127.0.0.1:0"),
                ("FRDESK_MAIL__TRANSPORT", "smtp"),
                ("FRDESK_MAIL__SMTP_URL", "smtp://127.0.0.1:2525"),
            ]),
        )
        .unwrap();
        assert_eq!(s.data_dir, PathBuf::from("/tmp/x"));
        assert_eq!(s.http.bind, "127.0.0.1:0");
        assert_eq!(s.mail.transport, MailTransportKind::Smtp);
    }

    #[test]
    fn bad_values_name_the_key() {
        let e = Settings::load_with_env(None, env(&[("FRDESK_HTTP__BIND", "nowhere")]))
            .err()
            .unwrap()
            .to_string();
        assert!(e.contains("http.bind"), "{e}");
        let e = Settings::load_with_env(None, env(&[("FRDESK_MAIL__TRANSPORT", "pigeon")]))
            .err()
            .unwrap()
            .to_string();
        assert!(e.contains("transport"), "{e}");
        let e = Settings::load_with_env(None, env(&[("FRDESK_MAIL__TRANSPORT", "smtp")]))
            .err()
            .unwrap()
            .to_string();
        assert!(e.contains("mail.smtp_url"), "{e}");
        let e = Settings::load_with_env(None, env(&[("FRDESK_MAIL__FROM", "not an address")]))
            .err()
            .unwrap()
            .to_string();
        assert!(e.contains("mail.from"), "{e}");
    }

    #[test]
    fn the_clock_settings_are_typed_and_checked() {
        use crate::domain::business_time::Target;
        let s = Settings::load_with_env(None, env(&[])).unwrap();
        assert_eq!(s.service.calendar.zone, chrono_tz::America::Los_Angeles);
        assert_eq!(s.audit.service_calendar, s.service.calendar);
        assert_eq!(s.service.calendar.holidays.len(), DEFAULT_HOLIDAYS.len());
        assert_eq!(s.sla.targets.compliance_review, Target::Days(1));
        assert_eq!(s.sla.targets.adjudication, Target::Days(3));
        let s = Settings::load_with_env(
            None,
            env(&[
                ("FRDESK_SERVICE__TIME_ZONE", "Europe/Berlin"),
                ("FRDESK_SERVICE__HOLIDAYS", "2026-12-24, 2026-12-31"),
                ("FRDESK_SLA__SEARCH", "6h"),
            ]),
        )
        .unwrap();
        assert_eq!(s.service.calendar.zone, chrono_tz::Europe::Berlin);
        assert_eq!(s.service.calendar.holidays.len(), 2);
        assert_eq!(s.sla.targets.search, Target::Hours(6));
        for (key, value, named) in [
            (
                "FRDESK_SERVICE__TIME_ZONE",
                "Pacific/Nowhere",
                "service.time_zone",
            ),
            ("FRDESK_SERVICE__HOLIDAYS", "2026-13-01", "service.holidays"),
            (
                "FRDESK_SERVICE__BUSINESS_DAY_END",
                "07:00",
                "service.business_day_start",
            ),
            ("FRDESK_SLA__FIRST_REVIEW", "3 weeks", "sla.first_review"),
            (
                "FRDESK_AUDIT__UTC_OFFSET_MINUTES",
                "-480",
                "service.time_zone",
            ),
        ] {
            let e = Settings::load_with_env(None, env(&[(key, value)]))
                .err()
                .unwrap()
                .to_string();
            assert!(e.contains(named), "{key}={value}: {e}");
        }
    }

    #[test]
    fn the_claim_idle_time_is_typed_and_checked() {
        let s = Settings::load_with_env(None, env(&[])).unwrap();
        assert_eq!(s.examination.claim_idle_minutes, 30);
        let s = Settings::load_with_env(
            None,
            env(&[("FRDESK_EXAMINATION__CLAIM_IDLE_MINUTES", "5")]),
        )
        .unwrap();
        assert_eq!(s.examination.claim_idle_minutes, 5);
        for bad in ["0", "1441", "soon"] {
            let e = Settings::load_with_env(
                None,
                env(&[("FRDESK_EXAMINATION__CLAIM_IDLE_MINUTES", bad)]),
            )
            .err()
            .unwrap()
            .to_string();
            assert!(e.contains("claim_idle_minutes"), "{bad}: {e}");
        }
    }

    #[test]
    fn the_job_lease_is_typed_and_checked() {
        let s = Settings::load_with_env(None, env(&[])).unwrap();
        assert_eq!(s.jobs.lease(), std::time::Duration::from_secs(30));
        let s = Settings::load_with_env(None, env(&[("FRDESK_JOBS__LEASE_SECONDS", "3")])).unwrap();
        assert_eq!(s.jobs.lease(), std::time::Duration::from_secs(3));
        for bad in ["0", "1", "3601", "soon"] {
            let e = Settings::load_with_env(None, env(&[("FRDESK_JOBS__LEASE_SECONDS", bad)]))
                .err()
                .unwrap()
                .to_string();
            assert!(e.contains("lease_seconds"), "{bad}: {e}");
        }
    }
}
