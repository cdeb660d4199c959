-- The case list shows the most recently changed cases first, 50 to a page, for one agency or
-- for all: these indexes serve that order without sorting every case.
CREATE INDEX cases_agency_updated ON cases (agency_id, updated_at);
CREATE INDEX cases_updated ON cases (updated_at);
