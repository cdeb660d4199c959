//! `frdesk bench …`: accuracy and speed of the face engine and the gallery.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::Context;
use indicatif::{ProgressBar, ProgressStyle};
use rand::Rng;
use rayon::prelude::*;
use serde_json::json;

use crate::face::{EngineOptions, FaceEngine, FaceError, decode_image_file, nearest_centre_face};
use crate::gallery::calibration::Calibration;
use crate::gallery::enroll::{FaceChoice, enroll_items, items_from_dir};
use crate::gallery::{Gallery, TemplateIndex};

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
    /// Exact search latency over N synthetic unit templates (no database).
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
            json,
        } => {
            let r = search_bench(
                templates,
                queries,
                candidates,
                subjects.unwrap_or(templates),
                128,
            );
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

fn print(v: &serde_json::Value, json: bool) {
    if json {
        println!("{v}");
    } else {
        println!("{}", serde_json::to_string_pretty(v).unwrap_or_default());
    }
}

/// Identities (sorted) and their photos (sorted by name) of an LFW-style folder.
pub fn lfw_identities(dir: &Path) -> anyhow::Result<Vec<(String, Vec<PathBuf>)>> {
    let mut ids = Vec::new();
    for e in std::fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))? {
        let p = e?.path();
        if !p.is_dir() {
            continue;
        }
        let name = p
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let mut photos: Vec<PathBuf> = std::fs::read_dir(&p)?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|f| f.extension().is_some_and(|x| x.eq_ignore_ascii_case("jpg")))
            .collect();
        photos.sort();
        if !photos.is_empty() {
            ids.push((name, photos));
        }
    }
    ids.sort();
    Ok(ids)
}

fn bar(len: usize, show: bool, what: &str) -> ProgressBar {
    if !show {
        return ProgressBar::hidden();
    }
    let pb = ProgressBar::new(len as u64);
    if let Ok(style) =
        ProgressStyle::with_template("{msg} {bar:40} {pos}/{len} [{elapsed_precise} / ~{eta}]")
    {
        pb.set_style(style);
    }
    pb.set_message(what.to_string());
    pb
}

/// Template of the face nearest the centre of each photo (None: no face or unreadable).
fn templates_of(
    engine: &FaceEngine,
    paths: &[&Path],
    pb: &ProgressBar,
) -> Vec<Result<Vec<f32>, FaceError>> {
    paths
        .par_iter()
        .map(|p| {
            let r = decode_image_file(p).and_then(|img| {
                engine
                    .analyze_one(&img.to_rgb8(), nearest_centre_face)
                    .map(|a| a.template.vector)
            });
            pb.inc(1);
            r
        })
        .collect()
}

/// The accuracy protocol of the face-engine issue (see [`BenchCommand::Accuracy`]).
pub fn accuracy(
    engine: &FaceEngine,
    dataset: &Path,
    pairs: Option<&Path>,
    limit: Option<usize>,
    calibration_out: Option<&Path>,
    progress: bool,
) -> anyhow::Result<serde_json::Value> {
    let start = Instant::now();
    let mut ids = lfw_identities(dataset)?;
    if let Some(n) = limit {
        ids.truncate(n);
    }
    if ids.is_empty() {
        anyhow::bail!("no identities in {}", dataset.display());
    }
    let all: Vec<(usize, &Path)> = ids
        .iter()
        .enumerate()
        .flat_map(|(i, (_, ps))| ps.iter().map(move |p| (i, p.as_path())))
        .collect();
    let paths: Vec<&Path> = all.iter().map(|(_, p)| *p).collect();
    let pb = bar(paths.len(), progress, "templates");
    let temps = templates_of(engine, &paths, &pb);
    pb.finish_and_clear();
    let no_face = temps.iter().filter(|t| t.is_err()).count();
    let unreadable = temps
        .iter()
        .filter(|t| matches!(t, Err(e) if !matches!(e, FaceError::NoFace)))
        .count();
    let dim = engine.template_dim();

    // Gallery: first photo of each identity; probes: the others.
    let mut gallery_ids: Vec<usize> = Vec::new();
    let mut gallery: Vec<f32> = Vec::new();
    let mut probes: Vec<(usize, Option<&Vec<f32>>)> = Vec::new();
    let mut seen = vec![false; ids.len()];
    for ((id, _), t) in all.iter().zip(&temps) {
        if !seen[*id] {
            seen[*id] = true;
            if let Ok(v) = t {
                gallery_ids.push(*id);
                gallery.extend_from_slice(v);
            }
        } else {
            probes.push((*id, t.as_ref().ok()));
        }
    }
    let bins = 2000usize;
    let per_probe: Vec<(Option<usize>, Vec<u64>)> = probes
        .par_iter()
        .map(|(id, t)| {
            let mut hist = vec![0u64; bins];
            let Some(q) = t else {
                return (None, hist);
            };
            let scores: Vec<f32> = gallery
                .chunks_exact(dim)
                .map(|g| crate::face::dot(q, g))
                .collect();
            let mut genuine = None;
            for (s, gid) in scores.iter().zip(&gallery_ids) {
                if gid == id {
                    genuine = Some(*s);
                } else {
                    hist[Calibration::bin(*s, bins)] += 1;
                }
            }
            let rank = genuine.map(|g| 1 + scores.iter().filter(|s| **s > g).count());
            (rank, hist)
        })
        .collect();
    let n_probes = probes.len();
    let rank_le = |k: usize| {
        per_probe
            .iter()
            .filter(|(r, _)| r.is_some_and(|r| r <= k))
            .count()
    };
    let (rank1, rank20) = (rank_le(1), rank_le(20));
    let mut hist = vec![0u64; bins];
    for (_, h) in &per_probe {
        for (a, b) in hist.iter_mut().zip(h) {
            *a += b;
        }
    }
    let calibration = Calibration::from_histogram(
        engine.model_id(),
        engine.model_version(),
        &format!(
            "LFW deep-funneled ({} identities, {} photos): every probe vs every gallery template of another identity",
            ids.len(),
            paths.len()
        ),
        "1:N protocol of `frdesk bench accuracy`: gallery = first photo of each identity, probes = the others; impostor scores binned in 2000 bins over [-1, 1]; fmr = fraction >= threshold",
        &hist,
    );
    if let Some(out) = calibration_out {
        calibration.save(out)?;
    }

    let pairs_accuracy = match pairs {
        Some(p) => {
            let index: HashMap<&Path, usize> =
                paths.iter().enumerate().map(|(i, p)| (*p, i)).collect();
            Some(pairs_10fold(p, dataset, &index, &temps)?)
        }
        None => None,
    };
    let ratio = |a: usize, b: usize| if b == 0 { 0.0 } else { a as f64 / b as f64 };
    Ok(json!({
        "images": paths.len(),
        "identities": ids.len(),
        "no_face": no_face,
        "unreadable": unreadable,
        "gallery": gallery_ids.len(),
        "probes": n_probes,
        "rank1": ratio(rank1, n_probes),
        "rank20": ratio(rank20, n_probes),
        "pairs_accuracy": pairs_accuracy,
        "impostor_comparisons": calibration.impostor_comparisons,
        "threshold_fmr_1e-3": calibration.threshold_at(1e-3),
        "threshold_fmr_1e-4": calibration.threshold_at(1e-4),
        "threshold_fmr_1e-5": calibration.threshold_at(1e-5),
        "model": format!("{}/{}", engine.model_id(), engine.model_version()),
        "seconds": start.elapsed().as_secs_f64(),
    }))
}

/// LFW pairs.txt, 10 folds: for each fold, the threshold maximising accuracy
/// on the other 9 folds is applied to it; returns the mean fold accuracy.
/// A pair with a missing template scores -1 (predicted "different").
fn pairs_10fold(
    pairs: &Path,
    dataset: &Path,
    index: &HashMap<&Path, usize>,
    temps: &[Result<Vec<f32>, FaceError>],
) -> anyhow::Result<f64> {
    let text =
        std::fs::read_to_string(pairs).with_context(|| format!("reading {}", pairs.display()))?;
    let mut lines = text.lines();
    let header = lines.next().unwrap_or_default();
    let mut h = header
        .split_whitespace()
        .filter_map(|x| x.parse::<usize>().ok());
    let (folds, per) = (h.next().unwrap_or(10), h.next().unwrap_or(300));
    let photo = |name: &str, n: &str| -> anyhow::Result<PathBuf> {
        let n: usize = n.parse().with_context(|| format!("bad image number {n}"))?;
        Ok(dataset.join(name).join(format!("{name}_{n:04}.jpg")))
    };
    let score = |a: &Path, b: &Path| -> anyhow::Result<f32> {
        let ia = index
            .get(a)
            .with_context(|| format!("{} not in dataset", a.display()))?;
        let ib = index
            .get(b)
            .with_context(|| format!("{} not in dataset", b.display()))?;
        Ok(match (&temps[*ia], &temps[*ib]) {
            (Ok(x), Ok(y)) => crate::face::dot(x, y),
            _ => -1.0,
        })
    };
    let mut data: Vec<Vec<(f32, bool)>> = Vec::new();
    for _ in 0..folds {
        let mut fold = Vec::with_capacity(2 * per);
        for same in [true, false] {
            for _ in 0..per {
                let l = lines.next().context("pairs file too short")?;
                let f: Vec<&str> = l.split_whitespace().collect();
                let s = if same && f.len() == 3 {
                    score(&photo(f[0], f[1])?, &photo(f[0], f[2])?)?
                } else if !same && f.len() == 4 {
                    score(&photo(f[0], f[1])?, &photo(f[2], f[3])?)?
                } else {
                    anyhow::bail!("unexpected pairs line `{l}`");
                };
                fold.push((s, same));
            }
        }
        data.push(fold);
    }
    let acc = |v: &[&(f32, bool)], t: f32| {
        v.iter().filter(|(s, same)| (*s >= t) == *same).count() as f64 / v.len().max(1) as f64
    };
    let mut total = 0.0;
    for k in 0..folds {
        let train: Vec<&(f32, bool)> = data
            .iter()
            .enumerate()
            .filter(|(i, _)| *i != k)
            .flat_map(|(_, f)| f.iter())
            .collect();
        let mut best = (0.0, 0.0f32);
        let mut t = -1.0f32;
        while t <= 1.0 {
            let a = acc(&train, t);
            if a > best.0 {
                best = (a, t);
            }
            t += 0.0025;
        }
        let test: Vec<&(f32, bool)> = data[k].iter().collect();
        total += acc(&test, best.1);
    }
    Ok(total / folds as f64)
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

/// Peak resident memory of this process in bytes (Linux), if known.
fn peak_rss_bytes() -> Option<u64> {
    let s = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = s.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// CPU time (user + system) consumed by this process so far, in seconds
/// (Linux `/proc/self/stat`, USER_HZ = 100). Lets a benchmark report the compute
/// cost of its work independently of other load on the machine.
fn process_cpu_seconds() -> Option<f64> {
    let s = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
    let rest = &s[s.rfind(')')? + 2..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    let utime: f64 = f.get(11)?.parse().ok()?;
    let stime: f64 = f.get(12)?.parse().ok()?;
    Some((utime + stime) / 100.0)
}

/// Load average over the last minute (Linux), to put timings in context.
fn load_average() -> Option<f64> {
    std::fs::read_to_string("/proc/loadavg")
        .ok()?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

fn random_unit(rng: &mut impl Rng, dim: usize, out: &mut Vec<f32>) {
    out.clear();
    out.extend((0..dim).map(|_| rng.r#gen::<f32>() - 0.5));
    let n = out
        .iter()
        .map(|x| x * x)
        .sum::<f32>()
        .sqrt()
        .max(f32::EPSILON);
    for x in out.iter_mut() {
        *x /= n;
    }
}

/// Search latency over `n` synthetic unit vectors.
pub fn search_bench(
    n: usize,
    queries: usize,
    k: usize,
    subjects: usize,
    dim: usize,
) -> serde_json::Value {
    let mut rng = rand::thread_rng();
    let t0 = Instant::now();
    let mut idx = TemplateIndex::with_capacity(dim, n);
    let mut v = Vec::with_capacity(dim);
    let subjects = subjects.max(1) as i64;
    for i in 0..n {
        random_unit(&mut rng, dim, &mut v);
        idx.push(i as i64, i as i64 % subjects, &v);
    }
    let build = t0.elapsed().as_secs_f64();
    let mut lat = Vec::with_capacity(queries);
    let mut found = 0usize;
    for _ in 0..queries {
        random_unit(&mut rng, dim, &mut v);
        let t = Instant::now();
        let hits = idx.search(&v, k);
        lat.push(t.elapsed().as_secs_f64() * 1000.0);
        found += hits.len();
    }
    lat.sort_by(f64::total_cmp);
    json!({
        "templates": n,
        "subjects": subjects,
        "dim": dim,
        "queries": queries,
        "candidates": k,
        "mean_candidates_returned": found as f64 / queries.max(1) as f64,
        "index_build_seconds": build,
        "search_ms_p50": percentile(&lat, 0.5),
        "search_ms_p95": percentile(&lat, 0.95),
        "search_ms_max": lat.last().copied().unwrap_or(0.0),
        "index_memory_bytes": idx.memory_bytes(),
        "peak_rss_bytes": peak_rss_bytes(),
        "threads": rayon::current_num_threads(),
    })
}

fn first_photos(dataset: &Path, n: usize) -> anyhow::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for (_, ps) in lfw_identities(dataset)? {
        out.extend(ps);
        if out.len() >= n {
            break;
        }
    }
    out.truncate(n);
    Ok(out)
}

/// Enrollment throughput into a temporary SQLite gallery.
pub fn enroll_bench(
    engine: &FaceEngine,
    dataset: &Path,
    photos: usize,
) -> anyhow::Result<serde_json::Value> {
    let dir = tempfile_dir()?;
    let db = dir.join("bench.sqlite");
    let pool = crate::platform::db::connect(&db.display().to_string())?;
    let gallery = Gallery::open(pool, engine)?;
    let wanted: std::collections::HashSet<PathBuf> =
        first_photos(dataset, photos)?.into_iter().collect();
    let items: Vec<_> = items_from_dir(dataset, None)?
        .into_iter()
        .filter(|i| wanted.contains(&i.path))
        .collect();
    let load_before = load_average();
    let c0 = process_cpu_seconds();
    let t = Instant::now();
    let summary = enroll_items(&gallery, engine, &items, FaceChoice::Primary, None)?;
    let secs = t.elapsed().as_secs_f64();
    let cpu = match (c0, process_cpu_seconds()) {
        (Some(a), Some(b)) => b - a,
        _ => 0.0,
    };
    let t2 = Instant::now();
    let resumed = enroll_items(&gallery, engine, &items, FaceChoice::Primary, None)?;
    let resume_secs = t2.elapsed().as_secs_f64();
    let _ = std::fs::remove_dir_all(&dir);
    Ok(json!({
        "photos": summary.photos,
        "enrolled": summary.enrolled,
        "no_face": summary.no_face,
        "unreadable": summary.unreadable,
        "seconds": secs,
        "photos_per_second": summary.photos as f64 / secs,
        "cpu_seconds_per_photo": cpu / summary.photos.max(1) as f64,
        "load_average_1min": [load_before, load_average()],
        "resume_skipped": resumed.skipped,
        "resume_seconds": resume_secs,
        "threads": rayon::current_num_threads(),
    }))
}

fn tempfile_dir() -> anyhow::Result<PathBuf> {
    let dir = std::env::temp_dir().join(format!("frdesk-bench-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}

/// Probe latency: decode + detect + align + template, one photo at a time.
pub fn probe_bench(
    engine: &FaceEngine,
    dataset: &Path,
    photos: usize,
) -> anyhow::Result<serde_json::Value> {
    let paths = first_photos(dataset, photos)?;
    let (mut lat, mut detect_lat, mut letterbox_lat) = (Vec::new(), Vec::new(), Vec::new());
    let mut no_face = 0;
    let mut qualities = Vec::new();
    let mut cpu = 0.0;
    let load_before = load_average();
    for p in &paths {
        let bytes = std::fs::read(p)?;
        let c0 = process_cpu_seconds();
        let t = Instant::now();
        let r = engine.probe_bytes(&bytes);
        lat.push(t.elapsed().as_secs_f64() * 1000.0);
        if let (Some(a), Some(b)) = (c0, process_cpu_seconds()) {
            cpu += b - a;
        }
        match r {
            Ok(a) => qualities.push(a.quality),
            Err(_) => no_face += 1,
        }
        let img = crate::face::decode_image(&bytes)?;
        let rgb = img.to_rgb8();
        let t = Instant::now();
        let _ = engine.detect_rgb(&rgb)?;
        detect_lat.push(t.elapsed().as_secs_f64() * 1000.0);
        let t = Instant::now();
        let _ = crate::face::letterbox_for_bench(&rgb, &engine.manifest().detector);
        letterbox_lat.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    lat.sort_by(f64::total_cmp);
    detect_lat.sort_by(f64::total_cmp);
    letterbox_lat.sort_by(f64::total_cmp);
    let dist = |f: &dyn Fn(&crate::face::Quality) -> f32| {
        let mut v: Vec<f64> = qualities.iter().map(|q| f64::from(f(q))).collect();
        v.sort_by(f64::total_cmp);
        json!({"p5": percentile(&v, 0.05), "p50": percentile(&v, 0.5), "p95": percentile(&v, 0.95)})
    };
    let flagged = qualities.iter().filter(|q| q.is_low()).count();
    Ok(json!({
        "photos": paths.len(),
        "no_face": no_face,
        "quality": {
            "detector_score": dist(&|q| q.detector_score),
            "inter_eye_px": dist(&|q| q.inter_eye_px),
            "sharpness": dist(&|q| q.sharpness),
            "abs_yaw_deg": dist(&|q| q.yaw_deg.abs()),
            "flagged_low": flagged,
            "flagged_multi_face": qualities.iter().filter(|q| q.face_count > 1).count(),
            "flagged_sharpness": qualities.iter().filter(|q| q.sharpness < 40.0).count(),
            "flagged_yaw": qualities.iter().filter(|q| q.yaw_deg.abs() > 30.0).count(),
        },
        "probe_ms_p50": percentile(&lat, 0.5),
        "probe_cpu_ms_mean": cpu * 1000.0 / paths.len().max(1) as f64,
        "load_average_1min": [load_before, load_average()],
        "probe_ms_p95": percentile(&lat, 0.95),
        "detect_ms_p50": percentile(&detect_lat, 0.5),
        "letterbox_ms_p50": percentile(&letterbox_lat, 0.5),
        "engine": "1 session pair x 2 intra-op threads",
    }))
}

/// Writes `n` synthetic templates (over 1,000 subjects) to a temporary SQLite
/// gallery and times loading them into the index.
pub fn load_bench(engine: &FaceEngine, n: usize) -> anyhow::Result<serde_json::Value> {
    use crate::gallery::schema::{
        gallery_photos as p, gallery_subjects as s, gallery_templates as t,
    };
    use diesel::prelude::*;
    let dir = tempfile_dir()?;
    let db = dir.join("load.sqlite");
    let pool = crate::platform::db::connect(&db.display().to_string())?;
    let mut pooled = pool.get()?;
    let crate::platform::db::DbConnection::Sqlite(conn) = &mut *pooled else {
        anyhow::bail!("load bench needs SQLite");
    };
    let now = chrono::Utc::now().naive_utc();
    let dim = engine.template_dim();
    let subjects = 1000usize.min(n.max(1));
    let t0 = Instant::now();
    conn.transaction::<_, anyhow::Error, _>(|conn| {
        for i in 0..subjects {
            diesel::insert_into(s::table)
                .values((
                    s::subject_key.eq(format!("SYN-{i}")),
                    s::name.eq("synthetic"),
                    s::active.eq(true),
                    s::created_at.eq(now),
                ))
                .execute(conn)?;
            diesel::insert_into(p::table)
                .values((
                    p::subject_id.eq((i + 1) as i64),
                    p::booking_number.eq(""),
                    p::sha256.eq(format!("synthetic-{i}")),
                    p::file_path.eq(""),
                    p::active.eq(true),
                    p::created_at.eq(now),
                ))
                .execute(conn)?;
        }
        let mut rng = rand::thread_rng();
        let mut v = Vec::with_capacity(dim);
        let mut done = 0;
        while done < n {
            let batch = (n - done).min(1000);
            let rows: Vec<_> = (0..batch)
                .map(|j| {
                    random_unit(&mut rng, dim, &mut v);
                    let sid = ((done + j) % subjects + 1) as i64;
                    (
                        t::photo_id.eq(sid),
                        t::subject_id.eq(sid),
                        t::model_id.eq(engine.model_id().to_string()),
                        t::model_version.eq(engine.model_version().to_string()),
                        t::vector.eq(crate::face::vector_to_le_bytes(&v)),
                        t::face_box.eq("[0,0,0,0]"),
                        t::landmarks.eq("[]"),
                        t::detector_score.eq(1.0),
                        t::active.eq(true),
                        t::created_at.eq(now),
                    )
                })
                .collect();
            diesel::insert_into(t::table).values(rows).execute(conn)?;
            done += batch;
        }
        Ok(())
    })?;
    drop(pooled);
    let write = t0.elapsed().as_secs_f64();
    let t1 = Instant::now();
    let gallery = Gallery::open(pool, engine)?;
    let load = t1.elapsed().as_secs_f64();
    let stats = gallery.stats()?;
    let db_bytes = std::fs::metadata(&db).map(|m| m.len()).unwrap_or(0);
    drop(gallery);
    let _ = std::fs::remove_dir_all(&dir);
    Ok(json!({
        "templates": n,
        "write_seconds": write,
        "load_seconds": load,
        "index_templates": stats.index_templates,
        "index_memory_bytes": stats.index_memory_bytes,
        "sqlite_bytes": db_bytes,
        "peak_rss_bytes": peak_rss_bytes(),
    }))
}
