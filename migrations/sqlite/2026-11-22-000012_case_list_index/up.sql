-- The case list shows the most recently changed cases first (ties by id), 50 to a page, for one
-- agency or for all: these indexes give that order without sorting every case. The id is
-- spelled out for PostgreSQL (SQLite keeps the rowid in every index anyway).
CREATE INDEX cases_agency_updated ON cases (agency_id, updated_at, id);
CREATE INDEX cases_updated ON cases (updated_at, id);
