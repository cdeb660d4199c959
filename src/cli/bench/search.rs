//! `frdesk bench search`: search latency of the compact index over synthetic templates (no
//! database), its start-up from the saved files, its recall against an exact f32 scan of the
//! same data, and the machine's memory limit measured in the same run.

use std::collections::BinaryHeap;
use std::io::Read;
use std::path::Path;
use std::time::Instant;

use anyhow::Context;
use rayon::prelude::*;
use serde_json::json;

use crate::cli::bench::measure::{peak_rss_bytes, percentile, random_unit, tempfile_dir};
use crate::gallery::index_file::{self, GalleryVersion, IndexFiles};
use crate::gallery::{IndexBuilder, TemplateIndex};

/// What `frdesk bench search` measures.
#[derive(Debug, Clone)]
pub struct SearchBench {
    /// Synthetic templates (random unit vectors).
    pub templates: usize,
    pub queries: usize,
    /// Candidate-list size.
    pub candidates: usize,
    /// Distinct subjects the templates are spread over.
    pub subjects: usize,
    pub dim: usize,
    /// Queries whose compact top-k is compared with an exact f32 scan.
    pub recall_queries: usize,
    /// A built `membw` (from `../shared/tools/membw.c`) to run as well; its JSON is reported.
    pub membw: Option<std::path::PathBuf>,
}

/// Streaming memory bandwidth, as `membw.c` measures it: XOR of every 64-bit word of a 512 MB
/// buffer with all threads, 15 passes. Returns (best ms, median ms, GB/s at the median).
pub fn memory_bandwidth() -> (f64, f64, f64) {
    let words = 64_000_000usize;
    let buf: Vec<u64> = (0..words as u64)
        .into_par_iter()
        .map(|i| i & 1023)
        .collect();
    let mut ts = Vec::with_capacity(15);
    let mut sink = 0u64;
    let chunk = words.div_ceil(rayon::current_num_threads().max(1));
    for _ in 0..15 {
        let t = Instant::now();
        let x = buf
            .par_chunks(chunk)
            .map(|c| c.iter().fold(0u64, |a, w| a ^ w))
            .reduce(|| 0, |a, b| a ^ b);
        ts.push(t.elapsed().as_secs_f64() * 1000.0);
        sink ^= x;
    }
    std::hint::black_box(sink);
    ts.sort_by(f64::total_cmp);
    let bytes = (words * 8) as f64;
    (ts[0], ts[7], bytes / (ts[7] / 1000.0) / 1e9)
}

/// Exact reference: for each query, the rows of the `m` best exact f32 scores (ties by row),
/// read from the rows file with plain reads (one pass for all queries; the page cache, not
/// this process, holds the file).
fn exact_top_rows(
    rows_file: &Path,
    dim: usize,
    queries: &[Vec<f32>],
    m: usize,
) -> anyhow::Result<Vec<Vec<(f32, u32)>>> {
    #[derive(PartialEq)]
    struct Key(f32, u32);
    impl Eq for Key {}
    impl PartialOrd for Key {
        fn partial_cmp(&self, o: &Self) -> Option<std::cmp::Ordering> {
            Some(self.cmp(o))
        }
    }
    impl Ord for Key {
        // Min-heap on (score, then larger row first out).
        fn cmp(&self, o: &Self) -> std::cmp::Ordering {
            o.0.total_cmp(&self.0).then(self.1.cmp(&o.1))
        }
    }
    let mut heaps: Vec<BinaryHeap<Key>> = queries.iter().map(|_| BinaryHeap::new()).collect();
    let mut f = std::io::BufReader::with_capacity(1 << 22, std::fs::File::open(rows_file)?);
    let per = 16_384usize;
    let mut bytes = vec![0u8; per * dim * 4];
    let mut vals = vec![0f32; per * dim];
    let mut row0 = 0usize;
    loop {
        let mut got = 0;
        while got < bytes.len() {
            let k = f.read(&mut bytes[got..])?;
            if k == 0 {
                break;
            }
            got += k;
        }
        let n = got / (dim * 4);
        if n == 0 {
            break;
        }
        for (v, c) in vals.iter_mut().zip(bytes[..n * dim * 4].chunks_exact(4)) {
            *v = f32::from_le_bytes([c[0], c[1], c[2], c[3]]);
        }
        heaps.par_iter_mut().zip(queries).for_each(|(h, q)| {
            for (j, row) in vals[..n * dim].chunks_exact(dim).enumerate() {
                let k = Key(crate::face::dot(q, row), (row0 + j) as u32);
                if h.len() < m {
                    h.push(k);
                } else if h
                    .peek()
                    .is_some_and(|w| k.cmp(w) == std::cmp::Ordering::Less)
                {
                    h.pop();
                    h.push(k);
                }
            }
        });
        row0 += n;
    }
    Ok(heaps
        .into_iter()
        .map(|h| {
            let mut v: Vec<(f32, u32)> = h.into_iter().map(|k| (k.0, k.1)).collect();
            v.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
            v
        })
        .collect())
}

/// Runs the benchmark (see [`SearchBench`]). Writes about `templates × (4·dim + dim + 21)` bytes
/// to a temporary folder (removed at the end). Errors: I/O.
pub fn search_bench(b: &SearchBench) -> anyhow::Result<serde_json::Value> {
    let (n, dim, k) = (b.templates, b.dim, b.candidates);
    let (bw_best_ms, bw_median_ms, gbps) = memory_bandwidth();
    let membw_c = match &b.membw {
        Some(p) => {
            let out = std::process::Command::new(p)
                .output()
                .with_context(|| format!("running {}", p.display()))?;
            serde_json::from_slice::<serde_json::Value>(&out.stdout).ok()
        }
        None => None,
    };
    let dir = tempfile_dir()?;
    let files = IndexFiles::new(&dir, "synthetic/1");
    let mut rng = rand::thread_rng();
    let subjects = b.subjects.max(1) as i64;
    let t0 = Instant::now();
    let rows_file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(true)
        .read(true)
        .write(true)
        .open(files.rows_tmp())?;
    let mut builder = IndexBuilder::new(dim, n, rows_file);
    let mut v = Vec::with_capacity(dim);
    let mut version = GalleryVersion::default();
    for i in 0..n {
        random_unit(&mut rng, dim, &mut v);
        builder.push(i as i64, i as i64 % subjects, &v)?;
        version.add(i as i64);
    }
    let (idx, rows_crc) = builder.finish()?;
    index_file::save(&files, "synthetic/1", &version, &idx, rows_crc)?;
    let build = t0.elapsed().as_secs_f64();
    let kernel = idx.kernel();
    drop(idx);

    let t1 = Instant::now();
    let idx: TemplateIndex = index_file::load(&files, "synthetic/1", dim, &version)?;
    let startup = t1.elapsed().as_secs_f64();

    let mut lat = Vec::with_capacity(b.queries);
    let (mut found, mut rescored, mut second, mut bound) = (0usize, 0usize, 0usize, 0.0f64);
    let mut qs = Vec::new();
    let mut results = Vec::new();
    for i in 0..b.queries {
        random_unit(&mut rng, dim, &mut v);
        let t = Instant::now();
        let (hits, st) = idx.search_with_stats(&v, k);
        lat.push(t.elapsed().as_secs_f64() * 1000.0);
        found += hits.len();
        rescored += st.rescored;
        second += usize::from(st.passes > 1);
        bound += f64::from(st.bound);
        if i < b.recall_queries {
            qs.push(v.clone());
            results.push(hits);
        }
    }
    lat.sort_by(f64::total_cmp);
    let peak_before_reference = peak_rss_bytes();

    // Exact f32 scan of the same rows for the first queries: recall of the compact top-k.
    let t2 = Instant::now();
    let m = (k * 8).max(64);
    let exact = exact_top_rows(&files.rows, dim, &qs, m)?;
    let (mut same, mut inter) = (0usize, 0usize);
    for (hits, ex) in results.iter().zip(&exact) {
        let mut seen = std::collections::HashSet::new();
        let want: Vec<(i64, f32)> = ex
            .iter()
            .filter(|(_, r)| seen.insert(i64::from(*r) % subjects))
            .take(k)
            .map(|(s, r)| (i64::from(*r), *s))
            .collect();
        let got: Vec<(i64, f32)> = hits.iter().map(|h| (h.template_id, h.score)).collect();
        same += usize::from(got == want);
        inter += got
            .iter()
            .filter(|g| want.iter().any(|w| w.0 == g.0))
            .count();
    }
    let reference_seconds = t2.elapsed().as_secs_f64();
    let nq = b.queries.max(1) as f64;
    let bpt = idx.scanned_bytes_per_template();
    let limit_ms = (n * bpt) as f64 / (gbps * 1e9) * 1000.0;
    let rows_bytes = std::fs::metadata(&files.rows).map(|m| m.len()).unwrap_or(0);
    let index_bytes = std::fs::metadata(&files.index)
        .map(|m| m.len())
        .unwrap_or(0);
    let memory_bytes = idx.memory_bytes();
    drop(idx);
    let _ = std::fs::remove_dir_all(&dir);
    let p50 = percentile(&lat, 0.5);
    Ok(json!({
        "templates": n,
        "subjects": subjects,
        "dim": dim,
        "queries": b.queries,
        "candidates": k,
        "mean_candidates_returned": found as f64 / nq,
        "index_kind": format!("int8 per-vector symmetric scale, {} scan, exact f32 re-rank (f32 rows in a file)", kernel.name()),
        "bytes_per_template": bpt,
        "index_build_seconds": build,
        "startup_seconds": startup,
        "search_ms_p50": p50,
        "search_ms_p95": percentile(&lat, 0.95),
        "search_ms_max": lat.last().copied().unwrap_or(0.0),
        "mean_rescored_rows": rescored as f64 / nq,
        "second_pass_fraction": second as f64 / nq,
        "mean_error_bound": bound / nq,
        "recall_queries": results.len(),
        "recall_at_k_vs_f32": inter as f64 / (results.len() * k).max(1) as f64,
        "identical_lists_vs_f32": same,
        "reference_seconds": reference_seconds,
        "membw_best_ms": bw_best_ms,
        "membw_median_ms": bw_median_ms,
        "membw_gbps": gbps,
        "membw_c": membw_c,
        "memory_limit_ms": limit_ms,
        "p50_over_memory_limit": p50 / limit_ms.max(f64::MIN_POSITIVE),
        "index_memory_bytes": memory_bytes,
        "index_file_bytes": index_bytes,
        "rows_file_bytes": rows_bytes,
        "peak_rss_bytes": peak_before_reference,
        "peak_rss_bytes_after_reference": peak_rss_bytes(),
        "threads": rayon::current_num_threads(),
    }))
}
