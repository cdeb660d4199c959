DROP INDEX audit_reports_month;
DROP TABLE audit_reports;
