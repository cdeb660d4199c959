//! Similarity → false-match rate (FMR) calibration.
//!
//! For a similarity `s`, the FMR is the fraction of impostor comparisons
//! (two different people) that score `s` or more. The table is measured on
//! LFW by `frdesk bench accuracy --calibration-out FILE` and committed under
//! `models/`; see docs/FACE.md for the method and its limits.

use std::path::Path;

use serde::{Deserialize, Serialize};

/// A calibrated false-match rate.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Fmr {
    /// Fraction of impostor comparisons scoring at least this high (0..=1).
    pub rate: f64,
    /// True when no impostor in the calibration set scored this high: the true
    /// rate is then below `rate` (= 1 / number of impostor comparisons).
    pub upper_bound: bool,
}

impl Fmr {
    /// "1 in 12,345" style text, with "<" for an upper bound.
    pub fn describe(&self) -> String {
        if self.rate <= 0.0 {
            return "0".into();
        }
        let one_in = (1.0 / self.rate).round();
        format!(
            "{}1 in {}",
            if self.upper_bound { "< " } else { "" },
            one_in as u64
        )
    }
}

/// The calibration table of one embedder model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Calibration {
    pub model_id: String,
    pub model_version: String,
    /// Where the impostor scores come from.
    pub dataset: String,
    pub method: String,
    /// Number of impostor comparisons measured.
    pub impostor_comparisons: u64,
    /// Ascending similarity thresholds.
    pub thresholds: Vec<f32>,
    /// `fmr[i]` = fraction of impostor scores ≥ `thresholds[i]` (non-increasing).
    pub fmr: Vec<f64>,
    /// The identification and verification accuracy measured in the same run (`[accuracy]`;
    /// absent in tables written before it was recorded). Published in the model card.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accuracy: Option<Accuracy>,
}

/// Accuracy figures of the calibration run (`frdesk bench accuracy`, docs/FACE.md "Accuracy
/// protocol"): shares of probes (0..=1), not percentages.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Accuracy {
    /// Number of probes searched 1:N against the gallery.
    pub probes: u64,
    /// Share of probes whose mate is ranked first.
    pub rank1: f64,
    /// Share of probes whose mate is within the first 20.
    pub rank20: f64,
    /// LFW `pairs.txt` 10-fold verification accuracy, when measured.
    #[serde(default)]
    pub pairs_accuracy: Option<f64>,
}

impl Calibration {
    /// Reads a calibration TOML file. Errors when missing, malformed or inconsistent.
    pub fn load(path: &Path) -> anyhow::Result<Self> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| anyhow::anyhow!("calibration {}: {e}", path.display()))?;
        let c: Calibration = toml::from_str(&text)
            .map_err(|e| anyhow::anyhow!("calibration {}: {e}", path.display()))?;
        if c.thresholds.is_empty()
            || c.thresholds.len() != c.fmr.len()
            || c.impostor_comparisons == 0
            || c.thresholds.windows(2).any(|w| w[0] >= w[1])
        {
            anyhow::bail!("calibration {}: inconsistent table", path.display());
        }
        Ok(c)
    }

    /// Writes the table as TOML.
    pub fn save(&self, path: &Path) -> anyhow::Result<()> {
        let text = format!(
            "# False-match-rate calibration, written by `frdesk bench accuracy --calibration-out`.\n\
             # fmr[i] = fraction of impostor comparisons with similarity >= thresholds[i].\n{}",
            toml::to_string(self)?
        );
        std::fs::write(path, text)?;
        Ok(())
    }

    /// Builds a table from impostor similarity scores counted in a histogram of
    /// `bins` equal bins over [-1, 1].
    pub fn from_histogram(
        model_id: &str,
        model_version: &str,
        dataset: &str,
        method: &str,
        histogram: &[u64],
    ) -> Self {
        let bins = histogram.len();
        let total: u64 = histogram.iter().sum();
        let mut thresholds = Vec::with_capacity(bins);
        let mut fmr = Vec::with_capacity(bins);
        let mut above: u64 = total;
        for (i, count) in histogram.iter().enumerate() {
            let t = -1.0 + 2.0 * i as f64 / bins as f64;
            thresholds.push(t as f32);
            fmr.push(if total == 0 {
                0.0
            } else {
                above as f64 / total as f64
            });
            above -= count;
        }
        Self {
            model_id: model_id.into(),
            model_version: model_version.into(),
            dataset: dataset.into(),
            method: method.into(),
            impostor_comparisons: total,
            thresholds,
            fmr,
            accuracy: None,
        }
    }

    /// Histogram bin of a score for [`Self::from_histogram`].
    pub fn bin(score: f32, bins: usize) -> usize {
        let b = ((f64::from(score) + 1.0) / 2.0 * bins as f64).floor();
        (b.max(0.0) as usize).min(bins - 1)
    }

    /// FMR of a similarity score: the rate at the highest threshold ≤ `score`
    /// (a conservative, i.e. never smaller, estimate).
    pub fn fmr(&self, score: f32) -> Fmr {
        let floor = 1.0 / self.impostor_comparisons as f64;
        let i = self.thresholds.partition_point(|t| *t <= score);
        let rate = if i == 0 { 1.0 } else { self.fmr[i - 1] };
        if rate <= 0.0 {
            Fmr {
                rate: floor,
                upper_bound: true,
            }
        } else {
            Fmr {
                rate,
                upper_bound: false,
            }
        }
    }

    /// Lowest threshold whose FMR is at most `rate` (e.g. 1e-3), if any.
    pub fn threshold_at(&self, rate: f64) -> Option<f32> {
        self.thresholds
            .iter()
            .zip(&self.fmr)
            .find(|(_, f)| **f <= rate)
            .map(|(t, _)| *t)
    }
}
