//! The `frdesk bench` subcommands and their dispatch to the benchmark of each kind.

use std::path::{Path, PathBuf};

use serde_json::json;

use crate::cli::bench::accuracy::accuracy;
use crate::cli::bench::enroll::enroll_bench;
use crate::cli::bench::load::load_bench;
use crate::cli::bench::measure::load_average;
use crate::cli::bench::probe::probe_bench;
use crate::cli::bench::search::{SearchBench, search_bench};
use crate::face::{EngineOptions, FaceEngine};

#[derive(Debug, clap::Subcommand)]
pub enum BenchCommand {
    /// 1:N and pairs accuracy on an LFW-style folder (<dir>/<Person>/<Person>_NNNN.jpg).
    ///
    /// Gallery = the first photo (by name) of every identity; probes = every
    /// other photo; rank-k counts probes whose identity is among the k best
    /// (a probe without a face is a miss). Pairs: 10-fold on pairs.txt.
    Accuracy {
        #[arg(long)]
        dataset: PathBuf,
        /// LFW pairs file (default: <dataset>/../pairs.txt when present).
        #[arg(long)]
        pairs: Option<PathBuf>,
        /// Only the first N identities (quick runs; pairs need the full set).
        #[arg(long)]
        limit: Option<usize>,
        /// Write the impostor-score FMR calibration table to this file.
        #[arg(long)]
        calibration_out: Option<PathBuf>,
        #[arg(long)]
        json: bool,
    },
    /// Search latency over N synthetic unit templates (no database): int8 compact scan with
    /// exact f32 re-rank, start-up from the saved index files, recall against an exact f32 scan
    /// of the same data, and the memory limit (streaming bandwidth measured in the same run).
    /// Writes about N × 0.66 KB to the temporary folder.
    Search {
        #[arg(long, default_value_t = 1_000_000)]
        templates: usize,
        #[arg(long, default_value_t = 200)]
        queries: usize,
        #[arg(long, default_value_t = 20)]
        candidates: usize,
        /// Distinct subjects (templates are spread over them); default = templates.
        #[arg(long)]
        subjects: Option<usize>,
        /// Queries whose top list is compared with an exact f32 scan.
        #[arg(long, default_value_t = 20)]
        recall_queries: usize,
        /// A built membw (`cc -O3 -march=native -fopenmp membw.c -o membw`) to run too.
        #[arg(long)]
        membw: Option<PathBuf>,
        #[arg(long)]
        json: bool,
    },
    /// Start-up load time: N synthetic templates written to a temporary SQLite
    /// gallery, then read back into the in-memory index (`Gallery::reload`).
    Load {
        #[arg(long, default_value_t = 1_000_000)]
        templates: usize,
        #[arg(long)]
        json: bool,
    },
    /// Enrollment throughput (photos/s) into a temporary SQLite gallery.
    Enroll {
        #[arg(long)]
        dataset: PathBuf,
        /// Number of photos (first N, sorted).
        #[arg(long, default_value_t = 600)]
        photos: usize,
        #[arg(long)]
        json: bool,
    },
    /// Case-history search: index N synthetic cases into a temporary index, then time a mixed
    /// query workload (free text, filters, scopes, orders, pages).
    History {
        #[arg(long, default_value_t = 100_000)]
        cases: usize,
        #[arg(long, default_value_t = 1_000)]
        queries: usize,
        #[arg(long)]
        json: bool,
    },
    /// Probe latency: decode + detection + template of one photo at a time.
    Probe {
        #[arg(long)]
        dataset: PathBuf,
        #[arg(long, default_value_t = 200)]
        photos: usize,
        #[arg(long)]
        json: bool,
    },
}

/// Runs a bench command. `models_dir` holds `manifest.toml`, the models and
/// `lib/libonnxruntime.so.1.31.1`.
pub fn run(cmd: BenchCommand, models_dir: &Path) -> anyhow::Result<()> {
    match cmd {
        BenchCommand::Accuracy {
            dataset,
            pairs,
            limit,
            calibration_out,
            json,
        } => {
            let pairs = pairs.or_else(|| {
                if limit.is_some() {
                    return None;
                }
                let p = dataset.parent()?.join("pairs.txt");
                p.exists().then_some(p)
            });
            let engine = FaceEngine::from_models_dir(models_dir, EngineOptions::batch())?;
            let r = accuracy(
                &engine,
                &dataset,
                pairs.as_deref(),
                limit,
                calibration_out.as_deref(),
                !json,
            )?;
            print(&r, json);
        }
        BenchCommand::Search {
            templates,
            queries,
            candidates,
            subjects,
            recall_queries,
            membw,
            json,
        } => {
            let mut r = search_bench(&SearchBench {
                templates,
                queries,
                candidates,
                subjects: subjects.unwrap_or(templates),
                dim: 128,
                recall_queries: recall_queries.min(queries),
                membw,
            })?;
            r["load_average"] = json!(load_average());
            print(&r, json);
        }
        BenchCommand::Load { templates, json } => {
            let engine = FaceEngine::from_models_dir(models_dir, EngineOptions::interactive())?;
            let r = load_bench(&engine, templates)?;
            print(&r, json);
        }
        BenchCommand::Enroll {
            dataset,
            photos,
            json,
        } => {
            let engine = FaceEngine::from_models_dir(models_dir, EngineOptions::batch())?;
            let r = enroll_bench(&engine, &dataset, photos)?;
            print(&r, json);
        }
        BenchCommand::History {
            cases,
            queries,
            json,
        } => {
            let mut r = crate::history::bench::run(cases, queries)?;
            r["load_average"] = json!(load_average());
            print(&r, json);
        }
        BenchCommand::Probe {
            dataset,
            photos,
            json,
        } => {
            let engine = FaceEngine::from_models_dir(models_dir, EngineOptions::interactive())?;
            let r = probe_bench(&engine, &dataset, photos)?;
            print(&r, json);
        }
    }
    Ok(())
}

/// Prints a result, compact JSON (`--json`) or pretty-printed.
fn print(v: &serde_json::Value, json: bool) {
    if json {
        println!("{v}");
    } else {
        println!("{}", serde_json::to_string_pretty(v).unwrap_or_default());
    }
}
