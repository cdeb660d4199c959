DROP INDEX cases_updated;
DROP INDEX cases_agency_updated;
