DROP TABLE disseminations;
DROP TABLE deleted_access_requests;
