-- Issue 18: the daily tasks (retention, the audit check, the digest) run once a day across all
-- instances. The instance that inserts the task's row for the day runs it; the key refuses
-- every other. A run that its instance did not finish (the instance died) is taken over once
-- its lease has passed (src/platform/jobs/daily.rs).
CREATE TABLE daily_runs (
    task TEXT NOT NULL,
    day TEXT NOT NULL,
    instance TEXT NOT NULL,
    started_at TIMESTAMP NOT NULL,
    lease_until TIMESTAMP NOT NULL,
    finished_at TIMESTAMP,
    PRIMARY KEY (task, day)
);
