//! Redaction of non-lead candidates (issue 17): their identities and photos are criminal-history
//! information of people who are not leads. In a redacted package each is replaced by its rank,
//! score, false-match rate and a SHA-256 salted per package; the salt stays with the desk
//! (`disclosures.salt`), so the desk can later show which gallery record a hash stands for.

use sha2::{Digest, Sha256};

use crate::search::StoredCandidate;

/// A fresh salt: 32 random bytes as 64 lowercase hex digits.
pub fn new_salt() -> String {
    use rand::RngCore;
    let mut b = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut b);
    hex::encode(b)
}

/// The salted hash standing for a candidate's gallery record: SHA-256 (hex) of
/// `salt | subject key | booking number | photo SHA-256`, joined with `|`.
pub fn record_hash(salt: &str, c: &StoredCandidate) -> String {
    let text = format!(
        "{salt}|{}|{}|{}",
        c.subject_key, c.booking_number, c.photo_sha256
    );
    hex::encode(Sha256::digest(text.as_bytes()))
}

/// A candidate as disclosed: in full when `named` (a possible lead, or an unredacted
/// package), otherwise rank, score, false-match rate, model and [`record_hash`].
pub fn candidate_json(
    c: &StoredCandidate,
    named: bool,
    is_lead: bool,
    salt: &str,
) -> serde_json::Value {
    if named {
        serde_json::json!({
            "rank": c.rank,
            "similarity": c.score,
            "false_match_rate": c.fmr_rate,
            "false_match_rate_is_upper_bound": c.fmr_upper_bound,
            "false_match_rate_text": c.fmr_text,
            "model": format!("{} {}", c.model_id, c.model_version),
            "possible_lead": is_lead,
            "redacted": false,
            "subject_key": c.subject_key,
            "name": c.name,
            "booking_number": c.booking_number,
            "booking_date": c.booking_date,
            "photo_sha256": c.photo_sha256,
        })
    } else {
        serde_json::json!({
            "rank": c.rank,
            "similarity": c.score,
            "false_match_rate": c.fmr_rate,
            "false_match_rate_is_upper_bound": c.fmr_upper_bound,
            "false_match_rate_text": c.fmr_text,
            "model": format!("{} {}", c.model_id, c.model_version),
            "possible_lead": false,
            "redacted": true,
            "record_hash": record_hash(salt, c),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cand() -> StoredCandidate {
        StoredCandidate {
            rank: 2,
            score: 0.41,
            fmr_rate: 1e-4,
            fmr_upper_bound: false,
            fmr_text: "1 in 10000".into(),
            subject_id: 7,
            subject_key: "Jane_Roe".into(),
            name: "Jane Roe".into(),
            booking_number: "B123".into(),
            booking_date: None,
            photo_id: 3,
            photo_sha256: "ab".repeat(32),
            model_id: "sface".into(),
            model_version: "2021dec".into(),
        }
    }

    #[test]
    fn a_redacted_candidate_names_nobody_and_the_hash_depends_on_the_salt() {
        let c = cand();
        let v = candidate_json(&c, false, false, "s1").to_string();
        assert!(!v.contains("Jane") && !v.contains("B123") && !v.contains(&"ab".repeat(32)));
        assert_ne!(record_hash("s1", &c), record_hash("s2", &c));
        assert_eq!(record_hash("s1", &c), record_hash("s1", &c));
        assert!(
            candidate_json(&c, true, false, "s1")
                .to_string()
                .contains("Jane Roe")
        );
        assert_eq!(new_salt().len(), 64);
    }
}
