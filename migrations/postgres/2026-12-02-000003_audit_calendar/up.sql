-- The audit calendar (LACRIS FR Policy "Audits": monthly audits of user actions, quarterly
-- audits of access privileges) and corrective actions ("Accountability and Enforcement":
-- re-training, restricted access, revoked access). Due dates are computed from the agency list
-- and what is signed off; only the reminders sent are stored, so the daily pass sends each
-- reminder once per stage (and per week once overdue), also after a restart.
CREATE TABLE audit_reminders (
    id BIGSERIAL PRIMARY KEY,
    agency_id BIGINT NOT NULL REFERENCES agencies(id),
    -- 'monthly_audit' or 'access_review'
    kind TEXT NOT NULL,
    -- the period audited: 'YYYY-MM' or 'YYYY-Qn'
    period TEXT NOT NULL,
    -- 'due_soon', or 'overdue_w<n>' for the n-th week overdue (0 = the day after the due date)
    stage TEXT NOT NULL,
    sent_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX audit_reminders_once ON audit_reminders (agency_id, kind, period, stage);

-- A corrective action against a named user, linked to a finding of a signed-off monthly audit.
-- An open 'restricted_access' action (completed_at NULL) is the account's restriction; completing
-- it lifts the restriction. audit_report_id has no foreign key: audit reports are purged after
-- five years (retention), the action's record stays.
CREATE TABLE corrective_actions (
    id BIGSERIAL PRIMARY KEY,
    agency_id BIGINT NOT NULL REFERENCES agencies(id),
    audit_report_id BIGINT NOT NULL,
    -- 'YYYY-MM' of the audit, kept for display after the report is purged
    month TEXT NOT NULL,
    user_id BIGINT NOT NULL REFERENCES users(id),
    -- 'retraining', 'restricted_access' or 'revocation'
    kind TEXT NOT NULL,
    description TEXT NOT NULL,
    recorded_by BIGINT NOT NULL REFERENCES users(id),
    recorded_at TIMESTAMP NOT NULL,
    follow_up_on DATE NOT NULL,
    completed_at TIMESTAMP,
    completed_by BIGINT REFERENCES users(id),
    completion_note TEXT
);
CREATE INDEX corrective_actions_agency ON corrective_actions (agency_id, id);
CREATE INDEX corrective_actions_user ON corrective_actions (user_id, kind, completed_at);

-- The monthly re-review sample (NY MPTC model policy §VI.C: "periodic and random audits"): once
-- a month the daily pass draws a random sample of the previous month's concluded examinations.
-- The seed and the population size are kept so the draw can be re-done and shown to be random
-- (each case's rank is SHA-256(seed || case id); the lowest ranks are sampled).
CREATE TABLE rereview_draws (
    id BIGSERIAL PRIMARY KEY,
    -- the month sampled, 'YYYY-MM' (one draw per month)
    month TEXT NOT NULL,
    seed TEXT NOT NULL,
    population BIGINT NOT NULL,
    sample_size BIGINT NOT NULL,
    percent INTEGER NOT NULL,
    drawn_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX rereview_draws_month ON rereview_draws (month);

-- One sampled case, awaiting (or with) a service supervisor's re-review.
CREATE TABLE rereviews (
    id BIGSERIAL PRIMARY KEY,
    draw_id BIGINT NOT NULL REFERENCES rereview_draws(id),
    case_id BIGINT NOT NULL REFERENCES cases(id),
    -- NULL until recorded; then 'consistent' or 'concerns'
    outcome TEXT,
    note TEXT,
    reviewer_id BIGINT REFERENCES users(id),
    reviewed_at TIMESTAMP
);
CREATE UNIQUE INDEX rereviews_case ON rereviews (draw_id, case_id);
