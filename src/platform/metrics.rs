//! The instance's Prometheus metrics (`metrics.bind`, docs/OPERATIONS.md "Metrics"): one
//! registry per running application (the `prometheus` crate, no global state, so several
//! applications in one process — the tests — keep their own figures).
//!
//! Measured as things happen: request latency by route template and status class, gallery
//! search latency, background passes. Read from the database at each scrape
//! ([`Metrics::set_snapshot`]): queue depths and oldest ages per stage, jobs by kind and state,
//! the outbox backlog, the gallery's size.

use prometheus::{
    Encoder, Gauge, GaugeVec, Histogram, HistogramOpts, HistogramVec, IntCounterVec, IntGauge,
    IntGaugeVec, Opts, Registry, TextEncoder,
};

/// Buckets of request and pass durations, seconds (1 ms … about 33 s).
const DURATION_BUCKETS: [f64; 16] = [
    0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 20.0, 30.0, 60.0,
];
/// Buckets of one gallery search, seconds (0.5 ms … 5 s).
const SEARCH_BUCKETS: [f64; 13] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
];

/// Every metric of one instance.
pub struct Metrics {
    registry: Registry,
    /// `frdesk_http_request_duration_seconds{route, method, status}`: `route` is the matched
    /// route template (`/cases/{id}`), `unmatched` for a path no route takes; `status` the
    /// class (`2xx` … `5xx`).
    http: HistogramVec,
    /// `frdesk_gallery_search_duration_seconds`: one 1:N search of the in-memory index.
    search: Histogram,
    /// `frdesk_worker_pass_duration_seconds{worker, outcome}`: one pass of a background worker;
    /// `outcome` is `work` (it did some: for `search` and `packet` one job), `idle` or `error`.
    pass: HistogramVec,
    /// `frdesk_worker_pass_failures_total{worker}`.
    pass_failures: IntCounterVec,
    /// `frdesk_queue_items{stage}` and `frdesk_queue_oldest_age_seconds{stage}`: items waiting
    /// in each workflow stage now (docs/OPERATIONS.md, "Turnaround clocks") and how long the
    /// oldest has waited (0 when none).
    queue_items: IntGaugeVec,
    queue_oldest: GaugeVec,
    /// `frdesk_jobs{kind, state}`: persisted jobs `queued`, `running` or `failed` (given up).
    jobs: IntGaugeVec,
    /// `frdesk_job_oldest_queued_age_seconds{kind}`.
    jobs_oldest: GaugeVec,
    /// `frdesk_outbox_unsent` and `frdesk_outbox_oldest_unsent_age_seconds`: emails not yet
    /// delivered (queued or retrying), and the age of the oldest.
    outbox_unsent: IntGauge,
    outbox_oldest: Gauge,
    /// `frdesk_outbox_failed`: emails given up after their retries.
    outbox_failed: IntGauge,
    /// `frdesk_gallery_templates`: active templates in the database (every model);
    /// `frdesk_gallery_index_templates`: searchable templates in this instance's index
    /// (0 before it is loaded).
    gallery_templates: IntGauge,
    gallery_index: IntGauge,
}

/// What a scrape reads from the database (`crate::operations::metrics::snapshot`).
#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    /// (stage, items waiting, seconds the oldest has waited).
    pub stages: Vec<(&'static str, i64, f64)>,
    /// (kind, state, jobs).
    pub jobs: Vec<(String, String, i64)>,
    /// (kind, seconds the oldest queued job has waited).
    pub jobs_oldest: Vec<(String, f64)>,
    pub outbox_unsent: i64,
    pub outbox_oldest_seconds: f64,
    pub outbox_failed: i64,
    pub gallery_templates: i64,
    pub gallery_index_templates: i64,
}

impl Metrics {
    /// A new registry with every metric registered.
    ///
    /// Errors: a metric's definition is invalid (a programming error).
    pub fn new() -> prometheus::Result<Metrics> {
        let registry = Registry::new();
        let hist = |name: &str, help: &str, buckets: &[f64], labels: &[&str]| {
            HistogramVec::new(
                HistogramOpts::new(name, help).buckets(buckets.to_vec()),
                labels,
            )
        };
        let m = Metrics {
            http: hist(
                "frdesk_http_request_duration_seconds",
                "HTTP request latency by route template and status class",
                &DURATION_BUCKETS,
                &["route", "method", "status"],
            )?,
            search: Histogram::with_opts(
                HistogramOpts::new(
                    "frdesk_gallery_search_duration_seconds",
                    "One 1:N search of the gallery index",
                )
                .buckets(SEARCH_BUCKETS.to_vec()),
            )?,
            pass: hist(
                "frdesk_worker_pass_duration_seconds",
                "One pass of a background worker (for search and packet: one job when outcome=work)",
                &DURATION_BUCKETS,
                &["worker", "outcome"],
            )?,
            pass_failures: IntCounterVec::new(
                Opts::new(
                    "frdesk_worker_pass_failures_total",
                    "Background passes that failed",
                ),
                &["worker"],
            )?,
            queue_items: IntGaugeVec::new(
                Opts::new("frdesk_queue_items", "Items waiting in each workflow stage"),
                &["stage"],
            )?,
            queue_oldest: GaugeVec::new(
                Opts::new(
                    "frdesk_queue_oldest_age_seconds",
                    "How long the oldest item of each stage has waited",
                ),
                &["stage"],
            )?,
            jobs: IntGaugeVec::new(
                Opts::new("frdesk_jobs", "Persisted jobs by kind and state"),
                &["kind", "state"],
            )?,
            jobs_oldest: GaugeVec::new(
                Opts::new(
                    "frdesk_job_oldest_queued_age_seconds",
                    "How long the oldest queued job of each kind has waited",
                ),
                &["kind"],
            )?,
            outbox_unsent: IntGauge::new("frdesk_outbox_unsent", "Emails not yet delivered")?,
            outbox_oldest: Gauge::new(
                "frdesk_outbox_oldest_unsent_age_seconds",
                "Age of the oldest email not yet delivered",
            )?,
            outbox_failed: IntGauge::new(
                "frdesk_outbox_failed",
                "Emails given up after their retries",
            )?,
            gallery_templates: IntGauge::new(
                "frdesk_gallery_templates",
                "Active gallery templates in the database",
            )?,
            gallery_index: IntGauge::new(
                "frdesk_gallery_index_templates",
                "Searchable templates in this instance's gallery index",
            )?,
            registry,
        };
        m.registry.register(Box::new(m.http.clone()))?;
        m.registry.register(Box::new(m.search.clone()))?;
        m.registry.register(Box::new(m.pass.clone()))?;
        m.registry.register(Box::new(m.pass_failures.clone()))?;
        m.registry.register(Box::new(m.queue_items.clone()))?;
        m.registry.register(Box::new(m.queue_oldest.clone()))?;
        m.registry.register(Box::new(m.jobs.clone()))?;
        m.registry.register(Box::new(m.jobs_oldest.clone()))?;
        m.registry.register(Box::new(m.outbox_unsent.clone()))?;
        m.registry.register(Box::new(m.outbox_oldest.clone()))?;
        m.registry.register(Box::new(m.outbox_failed.clone()))?;
        m.registry.register(Box::new(m.gallery_templates.clone()))?;
        m.registry.register(Box::new(m.gallery_index.clone()))?;
        Ok(m)
    }

    /// One HTTP request: its route template (never the raw path), method, status and seconds.
    pub fn observe_request(&self, route: &str, method: &str, status: u16, seconds: f64) {
        let class = match status {
            100..=199 => "1xx",
            200..=299 => "2xx",
            300..=399 => "3xx",
            400..=499 => "4xx",
            _ => "5xx",
        };
        self.http
            .with_label_values(&[route, method, class])
            .observe(seconds);
    }

    /// One gallery search, seconds.
    pub fn observe_search(&self, seconds: f64) {
        self.search.observe(seconds);
    }

    /// One background pass of `worker`: `Ok(true)` did work, `Ok(false)` idle, `Err` failed.
    pub fn observe_pass(&self, worker: &str, outcome: Result<bool, ()>, seconds: f64) {
        let label = match outcome {
            Ok(true) => "work",
            Ok(false) => "idle",
            Err(()) => {
                self.pass_failures.with_label_values(&[worker]).inc();
                "error"
            }
        };
        self.pass
            .with_label_values(&[worker, label])
            .observe(seconds);
    }

    /// Sets the figures read from the database at this scrape (kinds and stages absent now
    /// are dropped, so a drained queue does not linger).
    pub fn set_snapshot(&self, s: &Snapshot) {
        self.queue_items.reset();
        self.queue_oldest.reset();
        for (stage, n, oldest) in &s.stages {
            self.queue_items.with_label_values(&[*stage]).set(*n);
            self.queue_oldest.with_label_values(&[*stage]).set(*oldest);
        }
        self.jobs.reset();
        for (kind, state, n) in &s.jobs {
            self.jobs
                .with_label_values(&[kind.as_str(), state.as_str()])
                .set(*n);
        }
        self.jobs_oldest.reset();
        for (kind, age) in &s.jobs_oldest {
            self.jobs_oldest
                .with_label_values(&[kind.as_str()])
                .set(*age);
        }
        self.outbox_unsent.set(s.outbox_unsent);
        self.outbox_oldest.set(s.outbox_oldest_seconds);
        self.outbox_failed.set(s.outbox_failed);
        self.gallery_templates.set(s.gallery_templates);
        self.gallery_index.set(s.gallery_index_templates);
    }

    /// Every metric in Prometheus' text format (version 0.0.4).
    ///
    /// Errors: encoding failed (a programming error).
    pub fn render(&self) -> prometheus::Result<String> {
        let mut buf = Vec::new();
        TextEncoder::new().encode(&self.registry.gather(), &mut buf)?;
        String::from_utf8(buf).map_err(|e| prometheus::Error::Msg(e.to_string()))
    }
}
