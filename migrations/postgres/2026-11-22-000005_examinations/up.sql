-- Examiners' reviews of a stored candidate list: the first review, the blind second review and,
-- when they disagree, a supervisor's adjudication. All three views are kept.
CREATE TABLE examinations (
    id BIGSERIAL PRIMARY KEY,
    case_id BIGINT NOT NULL REFERENCES cases(id),
    probe_search_id BIGINT NOT NULL REFERENCES probe_searches(id),
    examiner_id BIGINT NOT NULL REFERENCES users(id),
    -- first | second | adjudication
    round TEXT NOT NULL,
    -- the domain Review (dispositions per candidate) as JSON; for adjudication the decision
    review_json TEXT NOT NULL,
    comment TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMP NOT NULL,
    UNIQUE (probe_search_id, round)
);
CREATE INDEX examinations_case ON examinations(case_id);
