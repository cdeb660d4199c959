//! Building and running the application: `Application::build(settings)` binds the listener
//! (port 0 picks a free one, which tests use), opens the database, runs migrations, and starts
//! the outbox sender and the history index task; `run_until_stopped` serves until the process ends.

use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use actix_session::SessionMiddleware;
use actix_session::config::PersistentSession;
use actix_session::storage::CookieSessionStore;
use actix_web::cookie::{Key, SameSite};
use actix_web::dev::Server;
use actix_web::middleware::DefaultHeaders;
use actix_web::{App, HttpServer, web};
use anyhow::Context;
use lettre::message::Mailbox;
use tracing_actix_web::TracingLogger;

use crate::cases::images::ImageStore;
use crate::config::Settings;
use crate::web::state::AppState;

/// A bound, not yet running, application.
pub struct Application {
    port: u16,
    server: Server,
    /// The metrics listener's port and server, when `metrics.bind` is set.
    metrics: Option<(u16, Server)>,
}

impl Application {
    /// Binds `http.bind`, opens the database and prepares the server and the mail sender.
    pub async fn build(settings: Settings) -> anyhow::Result<Application> {
        std::fs::create_dir_all(&settings.data_dir).with_context(|| {
            format!("Failed to create data_dir {}", settings.data_dir.display())
        })?;
        let db = settings.database.clone();
        let pool = tokio::task::spawn_blocking(move || db.connect())
            .await
            .context("Database start-up task failed")??;
        let storage = settings.file_store(&pool)?;
        {
            // Jobs a stopped instance left running are not touched here: other instances may
            // share the database and be working on them. Each is held under a lease; once a
            // dead holder's lease lapses, any instance's worker takes the job over
            // (`platform::jobs::queue`).
            let mut conn = pool.get().context("Failed to get a database connection")?;
            // Service roles work only in the service agency (docs/POLICIES.md, "Roles"):
            // accounts that break the rule are named; their service roles grant nothing.
            for (u, roles) in crate::accounts::store::User::with_misplaced_service_roles(&mut conn)
                .context("Failed to check account roles")?
            {
                tracing::warn!(
                    user = %u.email,
                    name = %u.name,
                    agency_id = u.agency_id,
                    roles = %roles.iter().map(|r| r.as_str()).collect::<Vec<_>>().join(","),
                    "Account of an ordinary agency holds service roles: they stop working (service roles exist only in the service agency)"
                );
            }
        }
        {
            // Files an interrupted upload left behind (before the server takes new uploads).
            let (p, store) = (pool.clone(), ImageStore::new(storage.clone()));
            let (temps, orphans) = tokio::task::spawn_blocking(move || -> anyhow::Result<_> {
                let mut conn = p.get().context("Failed to get a database connection")?;
                store.sweep(|sha| {
                    // Probe images and message attachments share the content-addressed store.
                    Ok(
                        crate::cases::store::CaseImage::is_referenced(&mut conn, sha)?
                            || crate::cases::messages::MessageAttachment::is_referenced(
                                &mut conn, sha,
                            )?,
                    )
                })
            })
            .await
            .context("Image sweep task failed")?
            .context("Failed to sweep the image store")?;
            if temps + orphans > 0 {
                tracing::warn!(
                    temporary = temps,
                    orphans,
                    "Removed files left by interrupted uploads"
                );
            }
        }
        let history = {
            let (dir, p) = (
                crate::history::HistoryIndex::dir_in(&settings.data_dir),
                pool.clone(),
            );
            let open = move || crate::history::HistoryIndex::open_or_rebuild(&dir, &p);
            Arc::new(
                tokio::task::spawn_blocking(open)
                    .await
                    .context("History index task failed")??,
            )
        };
        let history_wake = Arc::new(tokio::sync::Notify::new());
        let session_key = crate::operations::keys::session_key(&settings.data_dir)?;
        let key = Key::from(&session_key);
        let mfa_key = Arc::new(crate::accounts::second_factor::MfaKey::load_or_create(
            &settings.data_dir,
        )?);
        let signer = {
            let s = settings.clone();
            Arc::new(
                tokio::task::spawn_blocking(move || s.packet_signer())
                    .await
                    .context("Signing-key task failed")??,
            )
        };
        tracing::info!(fingerprint = %signer.fingerprint_sha256(), subject = %signer.subject(), "Packet signing key loaded");
        {
            // One key set for every instance: refuse to start with a key that is not the
            // desk's (docs/DEPLOYMENT.md, "Keys").
            let keys = crate::operations::keys::fingerprints(&session_key, &mfa_key, &signer);
            let p = pool.clone();
            let added = tokio::task::spawn_blocking(move || -> anyhow::Result<_> {
                let mut conn = p.get().context("Failed to get a database connection")?;
                Ok(crate::operations::keys::check_or_record(&mut conn, &keys)?)
            })
            .await
            .context("Key check task failed")??;
            if !added.is_empty() {
                tracing::info!(keys = %added.join(","), "Recorded the desk's key fingerprints");
            }
        }
        {
            // Every certificate the desk signs with is kept, so packets signed before a
            // rotation (new PKCS#12, regenerated key) still verify.
            let (p, s) = (pool.clone(), signer.clone());
            tokio::task::spawn_blocking(move || -> anyhow::Result<()> {
                let mut conn = p.get().context("Failed to get a database connection")?;
                crate::platform::db::write_tx(&mut conn, |c| {
                    crate::result::certificates::SigningCertificate::record_in_use(
                        c,
                        &s,
                        crate::platform::time::now(),
                    )
                })
                .context("Failed to record the packet signing certificate")?;
                Ok(())
            })
            .await
            .context("Signing-certificate task failed")??;
        }
        let transport = crate::platform::mail::Transport::from_settings(&settings)?;
        let from: Mailbox = settings.mail.from.parse().context("Invalid mail.from")?;
        let wake = Arc::new(tokio::sync::Notify::new());
        let search_wake = Arc::new(tokio::sync::Notify::new());
        let packet_wake = Arc::new(tokio::sync::Notify::new());
        let listener = TcpListener::bind(&settings.http.bind)
            .with_context(|| format!("Failed to bind http.bind = {}", settings.http.bind))?;
        let port = listener
            .local_addr()
            .context("Failed to read the bound port")?
            .port();
        // Prometheus metrics are kept only when they are served (`metrics.bind`).
        let metrics = if settings.metrics.bind.trim().is_empty() {
            None
        } else {
            Some(Arc::new(
                crate::platform::metrics::Metrics::new().context("Failed to set up metrics")?,
            ))
        };
        // The search worker's context; `/ready` shares its engines (face models, gallery).
        let search_ctx = crate::search::job::SearchContext::new(
            pool.clone(),
            ImageStore::new(storage.clone()),
            settings.face.models_dir.clone(),
            settings.face.candidates,
        )
        .with_notify(crate::notifications::NotifyContext::from_settings(
            &settings,
        ))
        .with_gallery_index_dir(crate::gallery::Gallery::index_dir_in(&settings.data_dir))
        .with_metrics(metrics.clone())
        .with_job_lease(settings.jobs.lease());
        let metrics_server = match &metrics {
            Some(m) => Some(metrics_server(&settings, m.clone(), search_ctx.clone())?),
            None => None,
        };
        let state = web::Data::new(AppState {
            pool: pool.clone(),
            images: ImageStore::new(storage.clone()),
            settings: settings.clone(),
            mail_wake: wake.clone(),
            search_wake: search_wake.clone(),
            packet_wake: packet_wake.clone(),
            signer: signer.clone(),
            history: history.clone(),
            history_wake: history_wake.clone(),
            limits: Arc::new(crate::web::ratelimit::RateLimits::new(&settings.http)),
            mfa_key,
            readiness: Arc::new(crate::operations::readiness::Readiness::new(
                search_ctx.clone(),
            )),
            metrics: metrics.clone(),
        });
        use crate::platform::jobs::runner::run_measured as run_worker;
        let never = Arc::new(tokio::sync::Notify::new());
        tokio::spawn(run_worker(
            crate::history::worker::HistoryWorker {
                index: history,
                pool: pool.clone(),
            },
            history_wake,
            metrics.clone(),
        ));
        tokio::spawn(run_worker(
            crate::search::follow::GalleryFollower {
                ctx: search_ctx.clone(),
            },
            never.clone(),
            metrics.clone(),
        ));
        tokio::spawn(run_worker(
            crate::search::job::SearchWorker::new(search_ctx),
            search_wake,
            metrics.clone(),
        ));
        let daily_signer = signer.clone();
        let mut result_ctx =
            crate::result::context::ResultContext::from_settings(pool.clone(), &settings, signer)?;
        result_ctx.mail_wake = Some(wake.clone());
        tokio::spawn(run_worker(
            crate::result::job::PacketWorker::new(result_ctx),
            packet_wake,
            metrics.clone(),
        ));
        tokio::spawn(run_worker(
            crate::audit::daily_check::DailyAuditCheck {
                pool: pool.clone(),
                signer: daily_signer,
                desk: settings.service.name.clone(),
            },
            never.clone(),
            metrics.clone(),
        ));
        tokio::spawn(run_worker(
            crate::notifications::daily_digest::DailyDigest {
                pool: pool.clone(),
                ctx: crate::notifications::NotifyContext::from_settings(&settings),
                mail_wake: wake.clone(),
            },
            never.clone(),
            metrics.clone(),
        ));
        tokio::spawn(run_worker(
            crate::retention::daily_loop::DailyRetention {
                pool: pool.clone(),
                ctx: crate::retention::daily::RetentionContext::from_settings(
                    &settings,
                    storage.clone(),
                ),
                reminders: crate::audit::calendar::ReminderContext::from_settings(&settings),
                mail_wake: wake.clone(),
            },
            never,
            metrics.clone(),
        ));
        tokio::spawn(run_worker(
            crate::platform::mail::OutboxSender {
                pool,
                transport,
                from,
                files: storage.clone(),
                interval: Duration::from_secs(1),
                retry_base_secs: settings.mail.retry_base_seconds,
                lease: settings.jobs.lease(),
            },
            wake,
            metrics.clone(),
        ));
        // Over HTTPS the session cookie is always Secure.
        let secure = settings.http.secure_cookies || settings.http.tls();
        let tls = if settings.http.tls() {
            Some(tls_config(&settings.http)?)
        } else {
            None
        };
        let server = HttpServer::new(move || {
            App::new()
                .wrap(
                    SessionMiddleware::builder(CookieSessionStore::default(), key.clone())
                        .cookie_name("frdesk_session".into())
                        .cookie_http_only(true)
                        .cookie_secure(secure)
                        .cookie_same_site(SameSite::Strict)
                        .session_lifecycle(PersistentSession::default().session_ttl(
                            actix_web::cookie::time::Duration::seconds(
                                crate::web::session::MAX_SESSION_SECONDS,
                            ),
                        ))
                        .build(),
                )
                .wrap(
                    DefaultHeaders::new()
                        .add(("X-Content-Type-Options", "nosniff"))
                        .add(("X-Frame-Options", "DENY"))
                        .add(("Referrer-Policy", "same-origin"))
                        .add((
                            "Content-Security-Policy",
                            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
                        )),
                )
                .wrap(actix_web::middleware::from_fn(limit_posts))
                .wrap(TracingLogger::default())
                .wrap(actix_web::middleware::from_fn(
                    crate::web::operations::metrics::measure,
                ))
                .app_data(state.clone())
                .configure(crate::web::configure)
        });
        let server = match tls {
            Some(config) => server
                .listen_rustls_0_23(listener, config)
                .context("Failed to start listening (HTTPS)")?,
            None => server
                .listen(listener)
                .context("Failed to start listening")?,
        }
        .run();
        Ok(Application {
            port,
            server,
            metrics: metrics_server,
        })
    }

    /// The port actually bound.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The port of the metrics listener (`metrics.bind`); `None` when metrics are off.
    pub fn metrics_port(&self) -> Option<u16> {
        self.metrics.as_ref().map(|(p, _)| *p)
    }

    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        if let Some((_, m)) = self.metrics {
            tokio::spawn(m);
        }
        self.server.await
    }
}

/// The separate listener of `GET /metrics` on `metrics.bind` (plain HTTP, one worker): returns
/// its port and the server, not yet running.
fn metrics_server(
    settings: &Settings,
    metrics: Arc<crate::platform::metrics::Metrics>,
    search: crate::search::job::SearchContext,
) -> anyhow::Result<(u16, Server)> {
    let bind = settings.metrics.bind.trim();
    let listener =
        TcpListener::bind(bind).with_context(|| format!("Failed to bind metrics.bind = {bind}"))?;
    let port = listener
        .local_addr()
        .context("Failed to read the bound metrics port")?
        .port();
    let source = web::Data::new(crate::operations::metrics::Source {
        metrics,
        pool: search.pool.clone(),
        clocks: crate::clocks::spans::Clocks::of(settings),
        search,
    });
    let server = HttpServer::new(move || {
        App::new().app_data(source.clone()).route(
            "/metrics",
            web::get().to(crate::web::operations::metrics::scrape),
        )
    })
    .workers(1)
    .listen(listener)
    .context("Failed to start listening on metrics.bind")?
    .run();
    Ok((port, server))
}

/// Refuses form posts over the per-address rate (`http.posts_per_minute`) with 429 and
/// `Retry-After`, before the body is read. Logins have their own, stricter limits.
async fn limit_posts(
    req: actix_web::dev::ServiceRequest,
    next: actix_web::middleware::Next<impl actix_web::body::MessageBody + 'static>,
) -> Result<actix_web::dev::ServiceResponse<impl actix_web::body::MessageBody>, actix_web::Error> {
    use actix_web::body::EitherBody;
    if req.method() == actix_web::http::Method::POST
        && let Some(state) = req.app_data::<web::Data<AppState>>()
    {
        let ip = crate::web::session::client_ip(req.request());
        if let Err(wait) = state.limits.post(&ip) {
            tracing::warn!(%ip, path = req.path(), "Form post refused: rate limit");
            let resp = crate::web::respond::too_many_requests(wait);
            return Ok(req
                .into_response(resp)
                .map_body(|_, b| EitherBody::right(b)));
        }
    }
    Ok(next.call(req).await?.map_body(|_, b| EitherBody::left(b)))
}

/// The rustls server configuration from `http.tls_cert` (PEM chain) and `http.tls_key` (PEM
/// private key): TLS 1.2 and 1.3, ring's safe default cipher suites, no client certificates.
/// Errors name the file that could not be used.
fn tls_config(http: &crate::config::HttpSettings) -> anyhow::Result<rustls::ServerConfig> {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let cert_path = http.tls_cert.trim();
    let key_path = http.tls_key.trim();
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(cert_path)
        .with_context(|| format!("Failed to read http.tls_cert {cert_path}"))?
        .collect::<Result<_, _>>()
        .with_context(|| format!("http.tls_cert {cert_path} is not a PEM certificate chain"))?;
    if certs.is_empty() {
        anyhow::bail!("http.tls_cert {cert_path} holds no certificate");
    }
    let key = PrivateKeyDer::from_pem_file(key_path)
        .with_context(|| format!("http.tls_key {key_path} is not a PEM private key"))?;
    let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
    rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .context("TLS protocol versions")?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .with_context(|| {
            format!("http.tls_key {key_path} does not match http.tls_cert {cert_path}")
        })
}
