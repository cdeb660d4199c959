//! Measurement helpers shared by the benchmarks: percentiles, process memory, CPU time and load
//! (Linux `/proc`), synthetic templates and a scratch folder.

use std::path::PathBuf;

use rand::Rng;

/// The `p` quantile (0 to 1) of sorted values, nearest rank; 0 when empty.
pub(super) fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

/// Peak resident memory of this process in bytes (Linux), if known.
pub(super) fn peak_rss_bytes() -> Option<u64> {
    let s = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = s.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// CPU time (user + system) consumed by this process so far, in seconds
/// (Linux `/proc/self/stat`, USER_HZ = 100). Lets a benchmark report the compute
/// cost of its work independently of other load on the machine.
pub(super) fn process_cpu_seconds() -> Option<f64> {
    let s = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
    let rest = &s[s.rfind(')')? + 2..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    let utime: f64 = f.get(11)?.parse().ok()?;
    let stime: f64 = f.get(12)?.parse().ok()?;
    Some((utime + stime) / 100.0)
}

/// Load average over the last minute (Linux), to put timings in context.
pub(super) fn load_average() -> Option<f64> {
    std::fs::read_to_string("/proc/loadavg")
        .ok()?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// Fills `out` with a random unit vector of `dim` values.
pub(super) fn random_unit(rng: &mut impl Rng, dim: usize, out: &mut Vec<f32>) {
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

/// A new empty folder under the system temporary folder; the caller removes it.
pub(super) fn tempfile_dir() -> anyhow::Result<PathBuf> {
    let dir = std::env::temp_dir().join(format!("frdesk-bench-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}
