-- Claims on examiners' work (issue 15): an examiner (or a supervisor, for an adjudication)
-- claims a queue item before working on it, so two examiners do not start the same review. A
-- claim lapses after idle_minutes without activity by its holder; a supervisor can release or
-- reassign it. Every claim, release, reassignment and lapse is an audit record.
CREATE TABLE work_claims (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    -- What is claimed: "assessment:<case>", "first_review:<probe search>",
    -- "second_review:<probe search>" or "adjudication:<probe search>". One claim per item.
    item_key TEXT NOT NULL UNIQUE,
    case_id BIGINT NOT NULL REFERENCES cases(id),
    probe_search_id BIGINT REFERENCES probe_searches(id),
    task TEXT NOT NULL,
    user_id BIGINT NOT NULL REFERENCES users(id),
    claimed_at TIMESTAMP NOT NULL,
    -- The claimant's last activity on the item; the claim lapses idle_minutes later.
    active_at TIMESTAMP NOT NULL,
    idle_minutes INTEGER NOT NULL
);
CREATE INDEX work_claims_case ON work_claims (case_id);
