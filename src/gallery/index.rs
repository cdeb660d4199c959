//! In-memory template index: one contiguous f32 matrix, exact top-k by cosine.

use std::cmp::Ordering;
use std::collections::{BinaryHeap, HashSet};

use rayon::prelude::*;

/// One searchable template per row of a contiguous `rows × dim` f32 matrix.
///
/// Rows are L2-normalised, so the dot product is the cosine similarity.
/// Removal only clears a row's `live` flag (the database stays the truth; the
/// index is rebuilt from it at start-up).
#[derive(Debug, Clone, Default)]
pub struct TemplateIndex {
    dim: usize,
    vectors: Vec<f32>,
    template_ids: Vec<i64>,
    subject_ids: Vec<i64>,
    live: Vec<bool>,
    live_count: usize,
}

/// A search hit: the best template of one subject.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Hit {
    pub template_id: i64,
    pub subject_id: i64,
    /// Cosine similarity, -1..=1.
    pub score: f32,
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
    // Reversed so that BinaryHeap is a min-heap on score (ties: lower row first out).
    fn cmp(&self, o: &Self) -> Ordering {
        o.0.total_cmp(&self.0).then(o.1.cmp(&self.1))
    }
}

/// Rows per parallel task: large enough that scheduling is negligible.
const BLOCK_ROWS: usize = 32_768;

impl TemplateIndex {
    pub fn new(dim: usize) -> Self {
        Self {
            dim,
            ..Self::default()
        }
    }

    pub fn with_capacity(dim: usize, rows: usize) -> Self {
        Self {
            dim,
            vectors: Vec::with_capacity(rows * dim),
            template_ids: Vec::with_capacity(rows),
            subject_ids: Vec::with_capacity(rows),
            live: Vec::with_capacity(rows),
            live_count: 0,
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

    /// Heap bytes held by the index.
    pub fn memory_bytes(&self) -> usize {
        self.vectors.capacity() * 4
            + self.template_ids.capacity() * 8
            + self.subject_ids.capacity() * 8
            + self.live.capacity()
    }

    /// Adds a template. Returns false (and adds nothing) when `vector` does not
    /// have `dim` values.
    pub fn push(&mut self, template_id: i64, subject_id: i64, vector: &[f32]) -> bool {
        if vector.len() != self.dim {
            return false;
        }
        self.vectors.extend_from_slice(vector);
        self.template_ids.push(template_id);
        self.subject_ids.push(subject_id);
        self.live.push(true);
        self.live_count += 1;
        true
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

    /// Top `m` live rows by score, best first (exact; parallel over blocks).
    fn top_rows(&self, query: &[f32], m: usize) -> Vec<Scored> {
        let dim = self.dim;
        let rows = self.rows();
        let blocks = rows.div_ceil(BLOCK_ROWS).max(1);
        let partial: Vec<Vec<Scored>> = (0..blocks)
            .into_par_iter()
            .map(|b| {
                let start = b * BLOCK_ROWS;
                let end = ((b + 1) * BLOCK_ROWS).min(rows);
                let mut heap: BinaryHeap<Scored> = BinaryHeap::with_capacity(m + 1);
                let mut floor = f32::NEG_INFINITY;
                let mat = &self.vectors[start * dim..end * dim];
                for (j, row) in mat.chunks_exact(dim).enumerate() {
                    let s = crate::face::dot(query, row);
                    if s <= floor && heap.len() >= m {
                        continue;
                    }
                    let r = start + j;
                    if !self.live[r] {
                        continue;
                    }
                    heap.push(Scored(s, r as u32));
                    if heap.len() > m {
                        heap.pop();
                    }
                    if heap.len() >= m {
                        floor = heap.peek().map_or(f32::NEG_INFINITY, |x| x.0);
                    }
                }
                heap.into_vec()
            })
            .collect();
        let mut all: Vec<Scored> = partial.into_iter().flatten().collect();
        all.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        all.truncate(m);
        all
    }

    /// Exact search: the `k` subjects with the highest cosine similarity to
    /// `query` (each subject scored by its best live template), best first.
    /// Fewer than `k` when the index holds fewer subjects. Every live row is
    /// compared; nothing is approximated.
    pub fn search(&self, query: &[f32], k: usize) -> Vec<Hit> {
        if query.len() != self.dim || k == 0 || self.live_count == 0 {
            return Vec::new();
        }
        let mut m = (k * 4).max(16);
        loop {
            let top = self.top_rows(query, m);
            let exhausted = top.len() < m;
            let mut seen = HashSet::new();
            let mut hits = Vec::with_capacity(k);
            for Scored(score, r) in &top {
                let r = *r as usize;
                if seen.insert(self.subject_ids[r]) {
                    hits.push(Hit {
                        template_id: self.template_ids[r],
                        subject_id: self.subject_ids[r],
                        score: *score,
                    });
                    if hits.len() == k {
                        return hits;
                    }
                }
            }
            // Fewer than k distinct subjects among the top m rows: widen (exact).
            if exhausted || m >= self.live_count {
                return hits;
            }
            m = (m * 4).min(self.live_count);
        }
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
}
