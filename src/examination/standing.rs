//! Examination rounds and where a probe's examination stands: the first review, the blind
//! second review, adjudication of a disagreement.

use diesel::prelude::*;

use crate::domain::examination::{Consensus, Review, consensus};
use crate::platform::db::DbConnection;
use crate::platform::db::schema::examinations;

/// Which review of a probe's candidate list an examination is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExaminationRound {
    /// The first examiner's review.
    First,
    /// The blind second examiner's review.
    Second,
    /// A supervisor's decision between disagreeing examiners.
    Adjudication,
}

crate::text_state!(ExaminationRound, "examination round", {
    First => "first",
    Second => "second",
    Adjudication => "adjudication",
});

#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = examinations)]
pub struct Examination {
    pub id: i64,
    pub case_id: i64,
    pub probe_search_id: i64,
    pub examiner_id: i64,
    /// An unknown stored round fails the load.
    #[diesel(deserialize_as = String)]
    pub round: ExaminationRound,
    pub review_json: String,
    pub comment: String,
    pub created_at: chrono::NaiveDateTime,
}

pub use crate::domain::adjudication::Adjudication;

impl Examination {
    pub fn for_probe(conn: &mut DbConnection, ps: i64) -> QueryResult<Vec<Examination>> {
        examinations::table
            .filter(examinations::probe_search_id.eq(ps))
            .order(examinations::id.asc())
            .select(Examination::as_select())
            .load(conn)
    }
    pub fn review(&self) -> Option<Review> {
        serde_json::from_str(&self.review_json).ok()
    }
    pub fn adjudication(&self) -> Option<Adjudication> {
        serde_json::from_str(&self.review_json).ok()
    }
}

/// Where the examination of one probe stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Standing {
    AwaitingFirst,
    AwaitingSecond { first_examiner: i64 },
    NeedsAdjudication,
    Concluded(Consensus),
}

/// Computes the standing from the stored examinations.
pub fn standing(exams: &[Examination], single_examiner_allowed: bool) -> Standing {
    let get = |r: ExaminationRound| exams.iter().find(|e| e.round == r);
    let Some(first) = get(ExaminationRound::First) else {
        return Standing::AwaitingFirst;
    };
    let Some(first_review) = first.review() else {
        return Standing::AwaitingFirst;
    };
    let second_review = get(ExaminationRound::Second).and_then(Examination::review);
    match consensus(
        &first_review,
        second_review.as_ref(),
        single_examiner_allowed,
    ) {
        Consensus::AwaitingSecondReview => Standing::AwaitingSecond {
            first_examiner: first.examiner_id,
        },
        Consensus::NeedsAdjudication => {
            match get(ExaminationRound::Adjudication).and_then(Examination::adjudication) {
                Some(a) => Standing::Concluded(match a.lead_rank {
                    Some(r) => Consensus::PossibleLead {
                        ranks: vec![r],
                        single_examiner: false,
                    },
                    None => Consensus::NoLead {
                        single_examiner: false,
                    },
                }),
                None => Standing::NeedsAdjudication,
            }
        }
        done => Standing::Concluded(done),
    }
}
