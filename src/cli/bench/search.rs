//! `frdesk bench search`: exact search latency over synthetic templates (no database).

use std::time::Instant;

use serde_json::json;

use crate::cli::bench::measure::{peak_rss_bytes, percentile, random_unit};
use crate::gallery::TemplateIndex;

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
