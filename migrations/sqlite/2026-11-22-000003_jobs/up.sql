-- Persisted background jobs (search runs, later retention and audit checks). A job is claimed
-- by one worker in a transaction; a job left `running` by a crashed process is queued again at
-- start-up; completion is conditional on the claim, so a job completes at most once.
CREATE TABLE jobs (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    kind TEXT NOT NULL,
    case_id BIGINT REFERENCES cases(id),
    dedupe_key TEXT NOT NULL UNIQUE,
    payload TEXT NOT NULL,
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    claimed_by TEXT,
    claimed_at TIMESTAMP,
    result TEXT,
    last_error TEXT,
    created_at TIMESTAMP NOT NULL,
    finished_at TIMESTAMP
);
CREATE INDEX jobs_status ON jobs(status, id);
CREATE INDEX jobs_case ON jobs(case_id);
