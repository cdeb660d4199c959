#![allow(clippy::unwrap_used)] // test code: a failed unwrap is a failed test
//! Property tests of the rules no sequence of actions may break: the case state machine and the
//! examiners' consensus (no result without the reviews the policy requires).

use frdesk::domain::examination::{AssessmentForm, Consensus, Disposition, Review, consensus};
use frdesk::domain::{CaseAction, CaseStatus};
use proptest::prelude::*;

const ACTIONS: [CaseAction; 10] = [
    CaseAction::Edit,
    CaseAction::Submit,
    CaseAction::Approve,
    CaseAction::Return,
    CaseAction::Reject,
    CaseAction::Withdraw,
    CaseAction::CompleteSearch,
    CaseAction::IssueResult,
    CaseAction::WithdrawResult,
    CaseAction::Edit,
];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    /// Whatever users and workers try, in any order: a case reaches a result only through
    /// submission, approval and a finished search; nothing leaves a rejected or withdrawn case;
    /// an approved case is never edited.
    #[test]
    fn no_action_sequence_reaches_an_illegal_state(
        picks in proptest::collection::vec(0usize..ACTIONS.len(), 0..40)
    ) {
        let mut state = CaseStatus::Draft;
        let mut path: Vec<CaseAction> = Vec::new();
        for i in picks {
            let action = ACTIONS[i];
            let before = state;
            match state.apply(action) {
                Ok(next) => {
                    prop_assert!(
                        !before.is_final(),
                        "{before} accepted {action:?}"
                    );
                    if action == CaseAction::Edit {
                        prop_assert!(matches!(before, CaseStatus::Draft | CaseStatus::Returned));
                    }
                    state = next;
                    path.push(action);
                }
                Err(e) => {
                    prop_assert_eq!(e.from, before);
                }
            }
            let pos = |a: CaseAction| path.iter().rposition(|x| *x == a);
            match state {
                CaseStatus::Approved | CaseStatus::Searched | CaseStatus::Concluded => {
                    let approve = pos(CaseAction::Approve);
                    let submit = pos(CaseAction::Submit);
                    prop_assert!(approve.is_some() && submit < approve, "{path:?}");
                }
                _ => {}
            }
            // A requester's withdrawal never follows a result; a withdrawn result always does.
            if state == CaseStatus::Withdrawn {
                prop_assert!(pos(CaseAction::IssueResult).is_none(), "{path:?}");
            }
            if state == CaseStatus::ResultWithdrawn {
                prop_assert!(pos(CaseAction::IssueResult).is_some(), "{path:?}");
            }
            if state == CaseStatus::Concluded {
                let searched = pos(CaseAction::CompleteSearch);
                let approve = pos(CaseAction::Approve);
                let issued = pos(CaseAction::IssueResult);
                prop_assert!(searched.is_some() && approve < searched && searched < issued, "{path:?}");
            }
        }
    }

    /// Two examiners' reviews of an n-candidate list: a result exists only with both reviews
    /// (unless the single-examiner setting allows one, and then it says so); a possible lead is
    /// reported only when both named exactly the same candidates; a disagreement always goes to
    /// a supervisor.
    #[test]
    fn a_result_needs_the_reviews_the_policy_requires(
        first in proptest::collection::vec(0usize..3, 1..8),
        second in proptest::collection::vec(0usize..3, 1..8),
        has_second in any::<bool>(),
        single_allowed in any::<bool>(),
    ) {
        let n = first.len().min(second.len());
        let ranks: Vec<u32> = (1..=n as u32).collect();
        let review = |d: &[usize]| -> Review {
            let forms: Vec<AssessmentForm> = ranks
                .iter()
                .map(|&r| AssessmentForm {
                    rank: r,
                    disposition: Disposition::ALL[d[r as usize - 1]].as_str().to_string(),
                    features: vec!["eyes".into(), "nose".into()],
                    notes: format!("compared eyes and nose of candidate {r}"),
                })
                .collect();
            Review::parse(&seen(&ranks), &forms).unwrap()
        };
        let a = review(&first);
        let b = review(&second);
        let leads_a = a.possible_leads();
        let leads_b = b.possible_leads();
        let c = consensus(&a, has_second.then_some(&b), single_allowed);
        match (&c, has_second) {
            (Consensus::AwaitingSecondReview, _) => prop_assert!(!has_second && !single_allowed),
            (Consensus::PossibleLead { ranks: r, single_examiner }, true) => {
                prop_assert!(!single_examiner);
                prop_assert!(!r.is_empty());
                prop_assert_eq!(&leads_a, &leads_b);
                for x in r {
                    prop_assert!(leads_a.contains(x) && leads_b.contains(x));
                }
            }
            (Consensus::NoLead { single_examiner }, true) => {
                prop_assert!(!single_examiner);
                prop_assert!(leads_a.is_empty() && leads_b.is_empty());
            }
            (Consensus::NeedsAdjudication, true) => prop_assert_ne!(&leads_a, &leads_b),
            (Consensus::PossibleLead { single_examiner, .. } | Consensus::NoLead { single_examiner }, false) => {
                prop_assert!(single_allowed && *single_examiner, "a result from one review without the setting");
            }
            (Consensus::NeedsAdjudication, false) => prop_assert!(false, "adjudication with one review"),
        }
    }

    /// A review is complete or refused: every candidate gets exactly one valid disposition, or
    /// the form is returned with an error for each candidate that lacks one.
    #[test]
    fn a_review_without_a_disposition_for_every_candidate_is_refused(
        picks in proptest::collection::vec(proptest::option::of(0usize..4), 1..10),
    ) {
        let ranks: Vec<u32> = (1..=picks.len() as u32).collect();
        let forms: Vec<AssessmentForm> = picks
            .iter()
            .zip(&ranks)
            .filter_map(|(p, &r)| p.map(|d| AssessmentForm {
                rank: r,
                disposition: ["excluded", "possible_lead", "inconclusive", "maybe"][d].into(),
                features: vec!["chin".into()],
                notes: "chin and jaw line compared".into(),
            }))
            .collect();
        let missing: Vec<u32> = picks
            .iter()
            .zip(&ranks)
            .filter(|(p, _)| !matches!(p, Some(0..=2)))
            .map(|(_, &r)| r)
            .collect();
        match Review::parse(&seen(&ranks), &forms) {
            Ok(r) => {
                prop_assert!(missing.is_empty());
                prop_assert_eq!(r.assessments.len(), ranks.len());
            }
            Err(e) => {
                prop_assert!(!missing.is_empty());
                for m in missing {
                    prop_assert!(e.for_rank(m).is_some(), "rank {m} not named");
                }
            }
        }
    }
}

/// Every rank of a list as seen by the examiner.
fn seen(ranks: &[u32]) -> Vec<(u32, frdesk::domain::examination::CandidateSight)> {
    ranks
        .iter()
        .map(|&r| (r, frdesk::domain::examination::CandidateSight::Seen))
        .collect()
}

/// Rows for the compact-index property: values drawn from a few levels so that exact
/// duplicates (ties) are common, each optionally nudged by less than one int8 step (near-ties).
fn gallery_rows(dim: usize) -> impl Strategy<Value = Vec<(Vec<f32>, u8, usize)>> {
    proptest::collection::vec(
        (proptest::collection::vec(-3i8..=3, dim), 0u8..4, 0usize..40).prop_map(
            move |(levels, nudge, subject)| {
                let mut v: Vec<f32> = levels.iter().map(|l| f32::from(*l)).collect();
                if v.iter().all(|x| *x == 0.0) {
                    v[0] = 1.0;
                }
                // nudge 0: exact level vector; 1..3: moved by 1e-5..3e-5 on one dimension.
                let at = usize::from(nudge) % v.len();
                v[at] += 1e-5 * f32::from(nudge);
                let n = v.iter().map(|x| x * x).sum::<f32>().sqrt();
                (v.iter().map(|x| x / n).collect(), nudge, subject)
            },
        ),
        1..300,
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    /// The compact index (int8 scan, error bound, exact f32 re-rank) returns exactly the exact
    /// f32 scan's candidate list — same subjects, same best templates, same scores, same order
    /// (ties by template id) — whatever the rows, ties, near-ties, removals and list size.
    #[test]
    fn compact_search_equals_the_exact_f32_scan(
        (dim, rows) in prop_oneof![Just(3usize), Just(8), Just(128)]
            .prop_flat_map(|d| (Just(d), gallery_rows(d))),
        k in 1usize..30,
        removed in proptest::collection::vec(0i64..40, 0..4),
    ) {
        let mut idx = frdesk::gallery::TemplateIndex::new(dim);
        for (i, (v, _, subject)) in rows.iter().enumerate() {
            prop_assert!(idx.push(i as i64 + 1, *subject as i64, v));
        }
        for s in &removed {
            idx.remove_subject(*s);
        }
        // Probes: gallery rows themselves (exact ties with their duplicates) and a blend.
        let mut probes: Vec<Vec<f32>> = rows.iter().take(5).map(|r| r.0.clone()).collect();
        let blend: Vec<f32> = (0..dim)
            .map(|d| rows.iter().map(|r| r.0[d]).sum::<f32>() + 0.01 * d as f32)
            .collect();
        let n = blend.iter().map(|x| x * x).sum::<f32>().sqrt().max(1e-6);
        probes.push(blend.iter().map(|x| x / n).collect());
        for q in &probes {
            let want = idx.search_exact(q, k);
            for kernel in frdesk::gallery::quant::Kernel::available() {
                idx.set_kernel(kernel);
                prop_assert_eq!(idx.search(q, k), want.clone(), "{}", kernel.name());
            }
            idx.set_kernel(frdesk::gallery::quant::Kernel::detect());
        }
    }
}
