DROP INDEX audit_agency_id;
DROP INDEX audit_object;
DROP INDEX audit_user_id;
DROP INDEX audit_action_id;
DROP INDEX saved_searches_user_name;
DROP TABLE saved_searches;
