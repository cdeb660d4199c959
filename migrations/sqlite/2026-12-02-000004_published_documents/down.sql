DROP TABLE published_document_versions;
DROP TABLE published_documents;
