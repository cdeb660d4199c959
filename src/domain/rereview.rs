//! The monthly re-review sample (NY MPTC Facial Recognition Model Policy §VI.C: "Procedures and
//! practices to evaluate and monitor the use of facial recognition software and measure
//! compliance of examiners with this policy, including the performance of periodic and random
//! audits"). Pure: the sample size and a draw that anyone holding the seed and the population
//! can repeat.

use sha2::{Digest, Sha256};

/// How a re-review ended, stored in `rereviews.outcome`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReReviewOutcome {
    /// The supervisor's look at the case is consistent with its conclusion.
    Consistent,
    /// The supervisor has concerns (a note says which).
    Concerns,
}

crate::text_state!(ReReviewOutcome, "re-review outcome", {
    Consistent => "consistent",
    Concerns => "concerns",
});

impl ReReviewOutcome {
    pub fn label(self) -> &'static str {
        match self {
            ReReviewOutcome::Consistent => "Consistent with the conclusion",
            ReReviewOutcome::Concerns => "Concerns",
        }
    }
}

/// The sample size for `population` concluded examinations at `percent` (1..=100): rounded up,
/// at least 1 when the population is not empty, never more than the population.
pub fn sample_size(population: usize, percent: u32) -> usize {
    if population == 0 {
        return 0;
    }
    let p = percent.clamp(1, 100) as usize;
    population
        .saturating_mul(p)
        .div_ceil(100)
        .clamp(1, population)
}

/// The case's rank in the draw: SHA-256 of the seed followed by the case id (8 bytes,
/// big-endian).
pub fn rank(seed: &[u8], case_id: i64) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(seed);
    h.update(case_id.to_be_bytes());
    h.finalize().into()
}

/// The `k` cases of `population` with the lowest [`rank`] under `seed`, in rank order: a
/// uniformly random sample when the seed is random, and the same sample whenever it is redone.
pub fn draw(seed: &[u8], population: &[i64], k: usize) -> Vec<i64> {
    let mut ranked: Vec<([u8; 32], i64)> =
        population.iter().map(|&id| (rank(seed, id), id)).collect();
    ranked.sort();
    ranked.dedup_by_key(|(_, id)| *id);
    ranked.into_iter().take(k).map(|(_, id)| id).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(sample_size(0, 10), 0);
        assert_eq!(sample_size(1, 10), 1);
        assert_eq!(sample_size(10, 10), 1);
        assert_eq!(sample_size(11, 10), 2);
        assert_eq!(sample_size(3, 100), 3);
    }

    #[test]
    fn a_draw_is_repeatable_and_depends_on_the_seed() {
        let pop: Vec<i64> = (1..=100).collect();
        let a = draw(b"seed one", &pop, 10);
        assert_eq!(a, draw(b"seed one", &pop, 10));
        assert_eq!(a.len(), 10);
        assert_ne!(a, draw(b"seed two", &pop, 10));
    }
}
