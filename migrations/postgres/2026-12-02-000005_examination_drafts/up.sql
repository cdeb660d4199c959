-- An examiner's unfinished review of one candidate list (issue 15): dispositions, features and
-- notes saved on the server so nothing is lost to a refused form, a closed tab or a crash.
-- Private to its examiner (the second review stays blind); removed when the review is recorded
-- and when the case is purged.
CREATE TABLE examination_drafts (
    id BIGSERIAL PRIMARY KEY,
    probe_search_id BIGINT NOT NULL REFERENCES probe_searches(id),
    examiner_id BIGINT NOT NULL REFERENCES users(id),
    -- JSON: [{"rank":1,"disposition":"excluded","features":["eyes"],"notes":"…"}, …]
    form_json TEXT NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    UNIQUE (probe_search_id, examiner_id)
);
