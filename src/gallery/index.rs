//! The template index: int8 compact codes scanned with SIMD, then an exact f32 re-rank.
//!
//! Each row (one template) is held twice:
//! - on the heap, its int8 codes and scale ([`crate::gallery::quant`]: `dim` rounded up to 4
//!   bytes + 4 bytes per template), which every search scans;
//! - its f32 vector in [`ExactRows`]: a file (rows written when the index was built, read with
//!   positioned reads) and, after them, rows enrolled since on the heap. A search reads only the
//!   few rows it re-ranks, so at 10M templates the 5 GB of f32 stay in the page cache (or on
//!   disk), neither on the heap nor in the process's resident set.
//!
//! [`TemplateIndex::search`] returns exactly what an exact f32 scan returns (one row per
//! subject, best first, ties by row order = template id order): rows are ranked by their
//! approximate score, the best are re-scored in f32, and every row whose approximate score plus
//! the proven quantisation error bound could still reach the k-th subject's exact score is
//! re-scored too (a second pass when the first candidates do not settle it).

use std::cmp::Ordering;
use std::collections::{BinaryHeap, HashSet};
use std::fs::File;
use std::io::{BufWriter, Write};

use rayon::prelude::*;

use crate::gallery::quant::{
    Kernel, LANES, ProbeCodes, approx_score, block_bytes, padded_dim, put_lane, quantise_row,
};

/// The f32 rows the re-rank reads: rows `0..in_file` from a file of little-endian f32 (`dim`
/// per row), read row by row with positioned reads (the page cache holds the file, not this
/// process: a memory map would count every touched page — whole large folios — as resident),
/// the rest (enrolled after the file was written) on the heap.
///
/// Every file row carries its CRC-32 (`row_crcs`, 4 bytes per row, on the heap and in the
/// checksummed index body), checked each time the row is read: a changed byte is caught before
/// the row is used, without reading the whole file (5 GB at 10M templates) at start-up.
#[derive(Debug, Default)]
pub struct ExactRows {
    file: Option<File>,
    in_file: usize,
    row_crcs: Vec<u32>,
    tail: Vec<f32>,
}

impl ExactRows {
    /// Reads rows from `file` (`rows × dim` little-endian f32), row `r` checked against
    /// `row_crcs[r]` (CRC-32 of its `4 × dim` bytes). Errors: the file is shorter than that, or
    /// `row_crcs` does not have `rows` entries.
    pub fn from_file(
        file: &File,
        rows: usize,
        dim: usize,
        row_crcs: Vec<u32>,
    ) -> std::io::Result<ExactRows> {
        let need = (rows * dim * 4) as u64;
        if file.metadata()?.len() < need {
            return Err(std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                "f32 rows file is shorter than its index says",
            ));
        }
        if row_crcs.len() != rows {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                "row checksums do not match the row count",
            ));
        }
        Ok(ExactRows {
            file: Some(file.try_clone()?),
            in_file: rows,
            row_crcs,
            tail: Vec::new(),
        })
    }

    /// CRC-32 of each file row (saved in the index body).
    pub(super) fn row_crcs(&self) -> &[u32] {
        &self.row_crcs
    }

    /// Row `r` (of `dim` values), decoded into `buf` when it comes from the file. None when
    /// the file cannot be read or the row fails its checksum (logged).
    fn row<'a>(&'a self, r: usize, dim: usize, buf: &'a mut Vec<f32>) -> Option<&'a [f32]> {
        use std::os::unix::fs::FileExt;
        match &self.file {
            Some(file) if r < self.in_file => {
                let mut bytes = vec![0u8; dim * 4];
                if let Err(e) = file.read_exact_at(&mut bytes, (r * dim * 4) as u64) {
                    tracing::error!(error = %e, row = r, "Failed to read a gallery index f32 row");
                    return None;
                }
                if self.row_crcs.get(r) != Some(&crc32fast::hash(&bytes)) {
                    tracing::error!(row = r, "A gallery index f32 row fails its checksum");
                    return None;
                }
                buf.clear();
                buf.extend(
                    bytes
                        .chunks_exact(4)
                        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])),
                );
                Some(&buf[..])
            }
            _ => {
                let t = r - self.in_file;
                Some(&self.tail[t * dim..(t + 1) * dim])
            }
        }
    }
}

/// One searchable template per row.
///
/// Rows are L2-normalised, so the dot product is the cosine similarity. Removal only clears a
/// row's `live` flag (the database stays the truth; the index is rebuilt from it).
#[derive(Debug)]
pub struct TemplateIndex {
    pub(super) dim: usize,
    /// Interleaved blocks of [`LANES`] rows (see [`crate::gallery::quant`]).
    pub(super) codes: Vec<u8>,
    pub(super) scales: Vec<f32>,
    pub(super) template_ids: Vec<i64>,
    pub(super) subject_ids: Vec<i64>,
    pub(super) live: Vec<bool>,
    pub(super) live_count: usize,
    /// Largest `‖s·q‖` over the rows (error bound).
    pub(super) code_norm_max: f64,
    /// Largest `‖x − s·q‖` over the rows (error bound).
    pub(super) residual_max: f64,
    pub(super) exact: ExactRows,
    kernel: Kernel,
    /// `template_ids[..sorted_len]` ascend (a rebuild loads in id order; enrolments usually
    /// append larger ids), so a lookup is a binary search there and a scan of the short rest.
    sorted_len: usize,
}

/// How many leading ids ascend strictly.
fn ascending_prefix(ids: &[i64]) -> usize {
    ids.windows(2)
        .position(|w| w[0] >= w[1])
        .map_or(ids.len(), |i| i + 1)
}

/// A search hit: the best template of one subject.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Hit {
    pub template_id: i64,
    pub subject_id: i64,
    /// Cosine similarity, -1..=1 (exact f32).
    pub score: f32,
}

/// What a search did (for logs and benchmarks).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct SearchStats {
    /// Rows re-scored in f32.
    pub rescored: usize,
    /// Scans of the compact codes (1, or 2 when the first candidates did not settle the list).
    pub passes: u32,
    /// The quantisation error bound used (similarity score units).
    pub bound: f32,
    /// f32 rows that could not be read or failed their checksum (logged): the list may then
    /// miss a candidate, so [`crate::gallery::Gallery::search`] does not use it (it rebuilds the
    /// index from the database and searches again).
    pub unreadable: usize,
}

#[derive(Clone, Copy)]
struct Scored(f32, u32);
impl PartialEq for Scored {
    fn eq(&self, o: &Self) -> bool {
        self.cmp(o) == Ordering::Equal
    }
}
impl Eq for Scored {}
impl PartialOrd for Scored {
    fn partial_cmp(&self, o: &Self) -> Option<Ordering> {
        Some(self.cmp(o))
    }
}
impl Ord for Scored {
    // Reversed so that BinaryHeap is a min-heap on score.
    fn cmp(&self, o: &Self) -> Ordering {
        o.0.total_cmp(&self.0).then(self.1.cmp(&o.1))
    }
}

/// Rows per parallel task (a multiple of [`LANES`]).
const BLOCK_ROWS: usize = 32_768;
/// Rows per kernel call inside a task.
const SUB_ROWS: usize = 1024;

impl TemplateIndex {
    /// An empty index whose rows live on the heap (small galleries, tests).
    pub fn new(dim: usize) -> Self {
        Self::with_capacity(dim, 0)
    }

    /// An empty index with room for `rows` compact rows.
    pub fn with_capacity(dim: usize, rows: usize) -> Self {
        Self {
            dim,
            codes: Vec::with_capacity(rows.div_ceil(LANES) * block_bytes(dim)),
            scales: Vec::with_capacity(rows),
            template_ids: Vec::with_capacity(rows),
            subject_ids: Vec::with_capacity(rows),
            live: Vec::with_capacity(rows),
            live_count: 0,
            code_norm_max: 0.0,
            residual_max: 0.0,
            exact: ExactRows::default(),
            kernel: Kernel::detect(),
            sorted_len: 0,
        }
    }

    /// An index read back from its saved parts (see [`crate::gallery::index_file`]).
    #[allow(clippy::too_many_arguments)]
    pub(super) fn from_parts(
        dim: usize,
        codes: Vec<u8>,
        scales: Vec<f32>,
        template_ids: Vec<i64>,
        subject_ids: Vec<i64>,
        live: Vec<bool>,
        (code_norm_max, residual_max): (f64, f64),
        exact: ExactRows,
    ) -> Self {
        let live_count = live.iter().filter(|l| **l).count();
        let sorted_len = ascending_prefix(&template_ids);
        Self {
            sorted_len,
            dim,
            codes,
            scales,
            template_ids,
            subject_ids,
            live,
            live_count,
            code_norm_max,
            residual_max,
            exact,
            kernel: Kernel::detect(),
        }
    }

    pub fn dim(&self) -> usize {
        self.dim
    }

    /// Rows, removed ones included.
    pub fn rows(&self) -> usize {
        self.template_ids.len()
    }

    /// Searchable templates.
    pub fn len(&self) -> usize {
        self.live_count
    }

    pub fn is_empty(&self) -> bool {
        self.live_count == 0
    }

    /// The scan kernel in use.
    pub fn kernel(&self) -> Kernel {
        self.kernel
    }

    /// Forces a kernel (tests compare kernels; benchmarks report the portable one).
    pub fn set_kernel(&mut self, kernel: Kernel) {
        self.kernel = kernel;
    }

    /// Bytes every search scans per template: the codes (`dim` rounded up to 4) and the scale.
    pub fn scanned_bytes_per_template(&self) -> usize {
        padded_dim(self.dim) + 4
    }

    /// Heap bytes held by the index (the f32 rows in the file are not counted).
    pub fn memory_bytes(&self) -> usize {
        self.codes.capacity()
            + self.scales.capacity() * 4
            + self.template_ids.capacity() * 8
            + self.subject_ids.capacity() * 8
            + self.live.capacity()
            + self.exact.row_crcs.capacity() * 4
            + self.exact.tail.capacity() * 4
    }

    /// Quantises and appends the compact row (not the f32 row). False when `vector` does not
    /// have `dim` values.
    fn push_compact(&mut self, template_id: i64, subject_id: i64, vector: &[f32]) -> bool {
        if vector.len() != self.dim {
            return false;
        }
        let r = self.rows();
        let bb = block_bytes(self.dim);
        if r.is_multiple_of(LANES) {
            self.codes.resize(self.codes.len() + bb, 128);
        }
        let mut row = vec![0u8; padded_dim(self.dim)];
        let (s, nq, ne) = quantise_row(vector, &mut row);
        if self.sorted_len == r && self.template_ids.last().is_none_or(|l| *l < template_id) {
            self.sorted_len += 1;
        }
        let b = r / LANES;
        put_lane(&mut self.codes[b * bb..(b + 1) * bb], r % LANES, &row);
        self.scales.push(s);
        self.code_norm_max = self.code_norm_max.max(nq);
        self.residual_max = self.residual_max.max(ne);
        self.template_ids.push(template_id);
        self.subject_ids.push(subject_id);
        self.live.push(true);
        self.live_count += 1;
        true
    }

    /// Adds a template (its f32 row on the heap, after the rows in the file). Returns false (and adds
    /// nothing) when `vector` does not have `dim` values.
    pub fn push(&mut self, template_id: i64, subject_id: i64, vector: &[f32]) -> bool {
        if !self.push_compact(template_id, subject_id, vector) {
            return false;
        }
        self.exact.tail.extend_from_slice(vector);
        true
    }

    /// The live (searchable) rows: their number and the largest template id among them (0 when
    /// there is none). One pass over the ids; [`crate::gallery::Gallery::currency`] compares it
    /// with the database.
    pub fn live_summary(&self) -> (u64, i64) {
        let max = self
            .template_ids
            .iter()
            .zip(&self.live)
            .filter(|(_, live)| **live)
            .map(|(id, _)| *id)
            .max()
            .unwrap_or(0);
        (self.live_count as u64, max)
    }

    /// The row of `template_id` (live or removed), if the index has it.
    pub fn position(&self, template_id: i64) -> Option<usize> {
        let (sorted, rest) = self.template_ids.split_at(self.sorted_len);
        sorted.binary_search(&template_id).ok().or_else(|| {
            rest.iter()
                .position(|t| *t == template_id)
                .map(|i| i + self.sorted_len)
        })
    }

    /// Whether the index has a row for `template_id` (live or removed).
    pub fn contains(&self, template_id: i64) -> bool {
        self.position(template_id).is_some()
    }

    /// Makes one template unsearchable. Returns whether it was live.
    pub fn remove_template(&mut self, template_id: i64) -> bool {
        match self.position(template_id) {
            Some(i) if self.live[i] => {
                self.live[i] = false;
                self.live_count -= 1;
                true
            }
            _ => false,
        }
    }

    /// Makes every template of a subject unsearchable. Returns how many.
    pub fn remove_subject(&mut self, subject_id: i64) -> usize {
        let mut n = 0;
        for (i, s) in self.subject_ids.iter().enumerate() {
            if *s == subject_id && self.live[i] {
                self.live[i] = false;
                n += 1;
            }
        }
        self.live_count -= n;
        n
    }

    /// Calls `f(row, approximate score)` for every row in `start..end` (`start` a multiple of
    /// [`LANES`]) whose approximate score is above `above`; `f` returns the threshold for the
    /// rows after it (so a caller keeping the best rows raises it as it goes). The scores of
    /// [`SUB_ROWS`] rows are computed together (a loop the compiler vectorises) and only the
    /// rows above the threshold reach `f`.
    fn scan(
        &self,
        pq: &ProbeCodes,
        start: usize,
        end: usize,
        mut above: f32,
        mut f: impl FnMut(usize, f32) -> f32,
    ) {
        let bb = block_bytes(self.dim);
        let mut dots = [0i32; SUB_ROWS];
        let mut scores = [0f32; SUB_ROWS];
        let mut s = start;
        while s < end {
            let e = (s + SUB_ROWS).min(end);
            let n = e - s;
            let codes = &self.codes[(s / LANES) * bb..e.div_ceil(LANES) * bb];
            pq.dots(self.kernel, codes, &mut dots[..n]);
            for ((a, d), sc) in scores[..n]
                .iter_mut()
                .zip(&dots[..n])
                .zip(&self.scales[s..e])
            {
                *a = approx_score(*sc, pq, *d);
            }
            let over = scores[..n]
                .iter()
                .map(|a| u32::from(*a > above))
                .sum::<u32>();
            if over > 0 {
                for (i, a) in scores[..n].iter().enumerate() {
                    if *a > above {
                        above = f(s + i, *a);
                    }
                }
            }
            s = e;
        }
    }

    /// The `m` live rows with the highest approximate scores, and the lowest of those scores
    /// when `m` rows were found (every other live row scores at most that).
    ///
    /// Each rayon task keeps one min-heap of `m` over all the blocks it scans (not one per
    /// block), so once its heap is full only rows above its lowest score are pushed.
    fn approx_top(&self, pq: &ProbeCodes, m: usize) -> (Vec<u32>, Option<f32>) {
        struct Top {
            heap: BinaryHeap<Scored>,
            floor: f32,
        }
        let rows = self.rows();
        let blocks = rows.div_ceil(BLOCK_ROWS).max(1);
        let partial: Vec<Top> = (0..blocks)
            .into_par_iter()
            .fold(
                || Top {
                    heap: BinaryHeap::with_capacity(m + 1),
                    floor: f32::NEG_INFINITY,
                },
                |mut top, b| {
                    let (start, end) = (b * BLOCK_ROWS, ((b + 1) * BLOCK_ROWS).min(rows));
                    let Top { heap, floor } = &mut top;
                    self.scan(pq, start, end, *floor, |r, a| {
                        if self.live[r] {
                            heap.push(Scored(a, r as u32));
                            if heap.len() > m {
                                heap.pop();
                            }
                            if heap.len() >= m {
                                *floor = heap.peek().map_or(f32::NEG_INFINITY, |x| x.0);
                            }
                        }
                        *floor
                    });
                    top
                },
            )
            .collect();
        let mut all: Vec<Scored> = partial.into_iter().flat_map(|t| t.heap).collect();
        all.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        all.truncate(m);
        let cut = (all.len() == m).then(|| all.last().map_or(f32::NEG_INFINITY, |x| x.0));
        (all.into_iter().map(|s| s.1).collect(), cut)
    }

    /// Every live row whose approximate score is at least `floor`.
    fn approx_at_least(&self, pq: &ProbeCodes, floor: f32) -> Vec<u32> {
        let rows = self.rows();
        let blocks = rows.div_ceil(BLOCK_ROWS).max(1);
        let above = floor.next_down();
        (0..blocks)
            .into_par_iter()
            .map(|b| {
                let (start, end) = (b * BLOCK_ROWS, ((b + 1) * BLOCK_ROWS).min(rows));
                let mut out = Vec::new();
                self.scan(pq, start, end, above, |r, _| {
                    if self.live[r] {
                        out.push(r as u32);
                    }
                    above
                });
                out
            })
            .flatten()
            .collect()
    }

    /// Exact f32 scores of `rows`, best first, ties by row, and how many rows could not be
    /// read (scored as nothing: they cannot be candidates, and the caller must not trust the
    /// list).
    fn rerank(&self, query: &[f32], rows: &[u32]) -> (Vec<(f32, u32)>, usize) {
        let score = |r: &u32| {
            let mut buf = Vec::with_capacity(self.dim);
            let score = self
                .exact
                .row(*r as usize, self.dim, &mut buf)
                .map(|v| crate::face::dot(query, v));
            (score, *r)
        };
        let scored: Vec<(Option<f32>, u32)> = if rows.len() > 4096 {
            rows.par_iter().map(score).collect()
        } else {
            rows.iter().map(score).collect()
        };
        let unreadable = scored.iter().filter(|(s, _)| s.is_none()).count();
        let mut out: Vec<(f32, u32)> = scored
            .into_iter()
            .filter_map(|(s, r)| s.map(|s| (s, r)))
            .collect();
        out.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        (out, unreadable)
    }

    /// The first `k` distinct subjects of rows ranked best first.
    fn subjects(&self, ranked: &[(f32, u32)], k: usize) -> Vec<Hit> {
        let mut seen = HashSet::new();
        let mut hits = Vec::with_capacity(k);
        for (score, r) in ranked {
            let r = *r as usize;
            if seen.insert(self.subject_ids[r]) {
                hits.push(Hit {
                    template_id: self.template_ids[r],
                    subject_id: self.subject_ids[r],
                    score: *score,
                });
                if hits.len() == k {
                    break;
                }
            }
        }
        hits
    }

    /// The `k` subjects with the highest cosine similarity to `query` (each subject scored by
    /// its best live template), best first; ties by row order (template id order). Fewer than
    /// `k` when the index holds fewer subjects. Identical to [`Self::search_exact`]: the compact
    /// scan only chooses which rows to re-score in f32 (see the module docs).
    pub fn search(&self, query: &[f32], k: usize) -> Vec<Hit> {
        self.search_with_stats(query, k).0
    }

    /// [`Self::search`] with what it did.
    pub fn search_with_stats(&self, query: &[f32], k: usize) -> (Vec<Hit>, SearchStats) {
        let mut stats = SearchStats::default();
        if query.len() != self.dim || k == 0 || self.live_count == 0 {
            return (Vec::new(), stats);
        }
        let pq = ProbeCodes::new(query);
        let bound = pq.bound(self.code_norm_max, self.residual_max);
        stats.bound = bound;
        let mut m = (k * 8).max(256).min(self.live_count);
        loop {
            let (top, cut) = self.approx_top(&pq, m);
            stats.passes += 1;
            stats.rescored += top.len();
            let (ranked, unreadable) = self.rerank(query, &top);
            stats.unreadable += unreadable;
            let hits = self.subjects(&ranked, k);
            // Every live row is among `top`: the list is exact.
            let Some(cut) = cut.filter(|_| m < self.live_count) else {
                return (hits, stats);
            };
            if hits.len() < k {
                m = (m * 4).min(self.live_count);
                continue;
            }
            let theta = hits[k - 1].score;
            // Rows left out score at most `cut + bound` exactly: below the k-th subject.
            if cut + bound < theta {
                return (hits, stats);
            }
            // Otherwise every row that could reach `theta` (a lower bound of the true k-th
            // score) is re-scored.
            let rows = self.approx_at_least(&pq, theta - bound);
            stats.passes += 1;
            stats.rescored += rows.len();
            let (ranked, unreadable) = self.rerank(query, &rows);
            stats.unreadable += unreadable;
            return (self.subjects(&ranked, k), stats);
        }
    }

    /// Reference search: every live row scored in f32 (reads all f32 rows; tests and
    /// benchmarks).
    pub fn search_exact(&self, query: &[f32], k: usize) -> Vec<Hit> {
        if query.len() != self.dim || k == 0 {
            return Vec::new();
        }
        let rows: Vec<u32> = (0..self.rows())
            .filter(|r| self.live[*r])
            .map(|r| r as u32)
            .collect();
        let (ranked, _) = self.rerank(query, &rows);
        self.subjects(&ranked, k)
    }
}

/// Builds an index whose f32 rows stream to a file (never held on the heap).
pub struct IndexBuilder {
    index: TemplateIndex,
    out: BufWriter<File>,
    crc: crc32fast::Hasher,
    row_crcs: Vec<u32>,
    bytes: Vec<u8>,
}

impl IndexBuilder {
    /// Writes f32 rows to `file` (empty, opened for writing and reading); room for `rows`.
    pub fn new(dim: usize, rows: usize, file: File) -> IndexBuilder {
        IndexBuilder {
            index: TemplateIndex::with_capacity(dim, rows),
            out: BufWriter::with_capacity(1 << 20, file),
            crc: crc32fast::Hasher::new(),
            row_crcs: Vec::with_capacity(rows),
            bytes: Vec::with_capacity(dim * 4),
        }
    }

    /// Adds a row. Ok(false) when `vector` does not have `dim` values; errors: writing the file.
    pub fn push(
        &mut self,
        template_id: i64,
        subject_id: i64,
        vector: &[f32],
    ) -> std::io::Result<bool> {
        if !self.index.push_compact(template_id, subject_id, vector) {
            return Ok(false);
        }
        self.bytes.clear();
        for v in vector {
            self.bytes.extend_from_slice(&v.to_le_bytes());
        }
        self.crc.update(&self.bytes);
        self.row_crcs.push(crc32fast::hash(&self.bytes));
        self.out.write_all(&self.bytes)?;
        Ok(true)
    }

    /// Rows added so far.
    pub fn rows(&self) -> usize {
        self.index.rows()
    }

    /// Flushes the f32 rows and returns the index (reading them from the file, each checked
    /// against its CRC-32) with the CRC-32 of the whole f32 file.
    pub fn finish(self) -> std::io::Result<(TemplateIndex, u32)> {
        let IndexBuilder {
            mut index,
            out,
            crc,
            row_crcs,
            ..
        } = self;
        let file = out.into_inner().map_err(|e| e.into_error())?;
        file.sync_all()?;
        index.exact = ExactRows::from_file(&file, index.rows(), index.dim, row_crcs)?;
        Ok((index, crc.finalize()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unit(v: &[f32]) -> Vec<f32> {
        let n = v.iter().map(|x| x * x).sum::<f32>().sqrt();
        v.iter().map(|x| x / n).collect()
    }

    #[test]
    fn one_row_per_subject_best_first_and_removal() {
        let mut idx = TemplateIndex::new(2);
        idx.push(1, 10, &unit(&[1.0, 0.0]));
        idx.push(2, 10, &unit(&[0.9, 0.1]));
        idx.push(3, 20, &unit(&[0.8, 0.2]));
        idx.push(4, 30, &unit(&[0.0, 1.0]));
        let hits = idx.search(&unit(&[1.0, 0.0]), 3);
        assert_eq!(
            hits.iter().map(|h| h.subject_id).collect::<Vec<_>>(),
            vec![10, 20, 30]
        );
        assert_eq!(hits[0].template_id, 1);
        assert_eq!(idx.remove_subject(10), 2);
        let hits = idx.search(&unit(&[1.0, 0.0]), 3);
        assert_eq!(
            hits.iter().map(|h| h.subject_id).collect::<Vec<_>>(),
            vec![20, 30]
        );
    }

    #[test]
    fn templates_are_found_by_id_in_and_out_of_order_and_removed_one_by_one() {
        let mut idx = TemplateIndex::new(2);
        for (t, s) in [(5, 1), (7, 1), (9, 2), (8, 3), (12, 3)] {
            idx.push(t, s, &unit(&[1.0, t as f32]));
        }
        for t in [5, 7, 8, 9, 12] {
            assert!(idx.contains(t), "{t}");
        }
        for t in [1, 6, 10, 13] {
            assert!(!idx.contains(t), "{t}");
        }
        assert!(idx.remove_template(8));
        assert!(!idx.remove_template(8), "once");
        assert_eq!(idx.len(), 4);
        assert!(idx.contains(8), "a removed row is still known");
        assert_eq!(ascending_prefix(&[1, 2, 3]), 3);
        assert_eq!(ascending_prefix(&[1, 3, 2, 4]), 2);
        assert_eq!(ascending_prefix(&[]), 0);
    }

    #[test]
    fn file_backed_rows_search_like_heap_rows_and_enrolment_appends() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand::rngs::StdRng::seed_from_u64(3);
        let dim = 128;
        let vs: Vec<Vec<f32>> = (0..3000)
            .map(|_| {
                unit(
                    &(0..dim)
                        .map(|_| rng.r#gen::<f32>() - 0.5)
                        .collect::<Vec<_>>(),
                )
            })
            .collect();
        let file = tempfile::tempfile().expect("tempfile");
        let mut b = IndexBuilder::new(dim, vs.len(), file);
        let mut heap = TemplateIndex::new(dim);
        for (i, v) in vs.iter().enumerate().take(2500) {
            assert!(b.push(i as i64, (i % 700) as i64, v).expect("push"));
            heap.push(i as i64, (i % 700) as i64, v);
        }
        let (mut mapped, _) = b.finish().expect("finish");
        for (i, v) in vs.iter().enumerate().skip(2500) {
            mapped.push(i as i64, (i % 700) as i64, v);
            heap.push(i as i64, (i % 700) as i64, v);
        }
        for q in vs.iter().step_by(97) {
            let want = heap.search_exact(q, 20);
            assert_eq!(mapped.search(q, 20), want);
            assert_eq!(heap.search(q, 20), want);
        }
    }

    #[test]
    fn near_ties_below_the_quantisation_step_keep_the_exact_order() {
        // Rows that differ by less than one int8 step: the compact scores cannot tell them apart
        // (or order them wrongly); the re-rank must.
        let dim = 128;
        let base = unit(
            &(0..dim)
                .map(|i| ((i * 37 % 11) as f32) - 5.0)
                .collect::<Vec<_>>(),
        );
        let mut idx = TemplateIndex::new(dim);
        for i in 0..400 {
            let mut v = base.clone();
            v[i % dim] += 1e-4 * ((i % 7) as f32 - 3.0);
            idx.push(i as i64, i as i64, &unit(&v));
        }
        // Exact duplicates: ties broken by template id.
        idx.push(1000, 1000, &base);
        idx.push(1001, 1001, &base);
        let (hits, stats) = idx.search_with_stats(&base, 20);
        assert_eq!(hits, idx.search_exact(&base, 20));
        assert!(stats.rescored >= 20);
        // Equal exact scores: the earlier row (lower template id) ranks first.
        let mut dup = TemplateIndex::new(dim);
        for i in 0..40 {
            dup.push(100 - i, 100 - i, &base);
        }
        let hits = dup.search(&base, 20);
        assert_eq!(hits, dup.search_exact(&base, 20));
        assert_eq!(
            hits.iter().map(|h| h.template_id).collect::<Vec<_>>(),
            (81..=100).rev().collect::<Vec<i64>>()
        );
    }
}
