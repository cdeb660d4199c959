//! `frdesk bench accuracy`: 1:N rank and LFW pairs accuracy, and the impostor-score
//! calibration table.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::Context;
use indicatif::{ProgressBar, ProgressStyle};
use rayon::prelude::*;
use serde_json::json;

use crate::cli::bench::dataset::lfw_identities;
use crate::face::{FaceEngine, FaceError, decode_image_file, nearest_centre_face};
use crate::gallery::TemplateIndex;
use crate::gallery::calibration::Calibration;

/// FPIR targets of the open-set figures.
const FPIR_TARGETS: [f64; 3] = [0.1, 0.01, 0.001];
/// Candidate-list length of the open-set protocol (the desk's default).
const OPEN_SET_CANDIDATES: usize = 20;

/// Open-set 1:N figures as NIST FRTE 1:N reports them. Every second identity (name order) of
/// those with two or more photos is held out of the gallery. Gallery: the first photo of every
/// other identity. Mated searches: the other photos of gallery identities with several photos.
/// Non-mated searches: every photo of the held-out identities. For a threshold T,
/// FPIR(T) = non-mated searches whose rank-1 similarity score is ≥ T; FNIR(T) = mated searches
/// whose mate is not in the top 20 or scores < T (a photo without a face is a miss when mated,
/// and no candidate when non-mated). For each FPIR target the threshold is the lowest that
/// keeps FPIR at or below the target.
fn open_set(
    ids: &[(String, Vec<PathBuf>)],
    all: &[(usize, &Path)],
    temps: &[Result<Vec<f32>, FaceError>],
    dim: usize,
) -> serde_json::Value {
    let mut held_out = vec![false; ids.len()];
    let mut multi = 0usize;
    for (i, (_, ps)) in ids.iter().enumerate() {
        if ps.len() >= 2 {
            held_out[i] = multi % 2 == 1;
            multi += 1;
        }
    }
    let mut index = TemplateIndex::new(dim);
    let mut seen = vec![false; ids.len()];
    let mut mated: Vec<(usize, Option<&Vec<f32>>)> = Vec::new();
    let mut non_mated: Vec<Option<&Vec<f32>>> = Vec::new();
    for (row, ((id, _), t)) in all.iter().zip(temps).enumerate() {
        if held_out[*id] {
            non_mated.push(t.as_ref().ok());
        } else if !seen[*id] {
            seen[*id] = true;
            if let Ok(v) = t {
                index.push(row as i64, *id as i64, v);
            }
        } else {
            mated.push((*id, t.as_ref().ok()));
        }
    }
    let k = OPEN_SET_CANDIDATES;
    // Mated: the mate's score when it is in the top k.
    let mate: Vec<Option<f32>> = mated
        .par_iter()
        .map(|(id, t)| {
            let q = (*t)?;
            index
                .search(q, k)
                .iter()
                .find(|h| h.subject_id == *id as i64)
                .map(|h| h.score)
        })
        .collect();
    // Non-mated: the rank-1 score.
    let mut top: Vec<f32> = non_mated
        .par_iter()
        .map(|t| {
            t.and_then(|q| index.search(q, k).first().map(|h| h.score))
                .unwrap_or(f32::NEG_INFINITY)
        })
        .collect();
    top.sort_by(|a, b| b.total_cmp(a));
    let n_nm = top.len().max(1) as f64;
    let n_m = mate.len().max(1) as f64;
    let points: Vec<serde_json::Value> = FPIR_TARGETS
        .iter()
        .map(|target| {
            let allowed = (target * top.len() as f64).floor() as usize;
            let threshold = match top.get(allowed) {
                Some(s) if s.is_finite() => s.next_up(),
                _ => -1.0,
            };
            let fp = top.iter().filter(|s| **s >= threshold).count();
            let missed = mate
                .iter()
                .filter(|m| !m.is_some_and(|s| s >= threshold))
                .count();
            json!({
                "fpir_target": target,
                "threshold": threshold,
                "fpir": fp as f64 / n_nm,
                "fnir": missed as f64 / n_m,
            })
        })
        .collect();
    json!({
        "protocol": "NIST FRTE 1:N style: every second multi-photo identity (name order) held out; gallery = first photo of the others; mated = their other photos; non-mated = every photo of the held-out identities; FNIR counts a mate outside the top 20 or below the threshold",
        "gallery": index.len(),
        "held_out_identities": held_out.iter().filter(|h| **h).count(),
        "mated_searches": mated.len(),
        "non_mated_searches": non_mated.len(),
        "candidates": k,
        "points": points,
    })
}

/// A progress bar for `len` items, hidden unless `show`.
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

/// The accuracy protocol of the face-engine issue (see
/// [`BenchCommand::Accuracy`](crate::cli::bench::command::BenchCommand::Accuracy)).
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
    let f32_rank_le = |k: usize| {
        per_probe
            .iter()
            .filter(|(r, _)| r.is_some_and(|r| r <= k))
            .count()
    };
    // The ranks users see: the gallery's compact index (int8 scan + exact f32 re-rank), top 20.
    let mut index = TemplateIndex::new(dim);
    for (row, (gid, v)) in gallery_ids
        .iter()
        .zip(gallery.chunks_exact(dim))
        .enumerate()
    {
        index.push(row as i64, *gid as i64, v);
    }
    let compact: Vec<(Option<usize>, bool)> = probes
        .par_iter()
        .map(|(id, t)| {
            let Some(q) = t else {
                return (None, true);
            };
            let hits = index.search(q, 20);
            let same = hits == index.search_exact(q, 20);
            let rank = hits.iter().position(|h| h.subject_id == *id as i64);
            (rank.map(|r| r + 1), same)
        })
        .collect();
    let rank_le = |k: usize| {
        compact
            .iter()
            .filter(|(r, _)| r.is_some_and(|r| r <= k))
            .count()
    };
    let identical = compact.iter().filter(|(_, same)| *same).count();
    let (rank1, rank20) = (rank_le(1), rank_le(20));
    let open_set = open_set(&ids, &all, &temps, dim);
    let mut hist = vec![0u64; bins];
    for (_, h) in &per_probe {
        for (a, b) in hist.iter_mut().zip(h) {
            *a += b;
        }
    }
    let mut calibration = Calibration::from_histogram(
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
    let pairs_accuracy = match pairs {
        Some(p) => {
            let index: HashMap<&Path, usize> =
                paths.iter().enumerate().map(|(i, p)| (*p, i)).collect();
            Some(pairs_10fold(p, dataset, &index, &temps)?)
        }
        None => None,
    };
    let ratio = |a: usize, b: usize| if b == 0 { 0.0 } else { a as f64 / b as f64 };
    calibration.accuracy = Some(crate::gallery::calibration::Accuracy {
        probes: n_probes as u64,
        rank1: ratio(rank1, n_probes),
        rank20: ratio(rank20, n_probes),
        pairs_accuracy,
    });
    if let Some(out) = calibration_out {
        calibration.save(out)?;
    }
    Ok(json!({
        "images": paths.len(),
        "identities": ids.len(),
        "no_face": no_face,
        "unreadable": unreadable,
        "gallery": gallery_ids.len(),
        "probes": n_probes,
        "rank1": ratio(rank1, n_probes),
        "rank20": ratio(rank20, n_probes),
        "rank1_f32_scan": ratio(f32_rank_le(1), n_probes),
        "rank20_f32_scan": ratio(f32_rank_le(20), n_probes),
        "top20_lists_identical_to_f32": identical,
        "search_path": "gallery index: int8 scan + exact f32 re-rank (TemplateIndex::search)",
        "pairs_accuracy": pairs_accuracy,
        "open_set": open_set,
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
