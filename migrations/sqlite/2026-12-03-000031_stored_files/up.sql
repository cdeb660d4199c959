-- Issue 18: the files the desk keeps (probe images, gallery photos, packets, audit reports,
-- disclosure files, policy documents) kept in the database when `storage.backend = "database"`
-- (src/platform/storage.rs). One row per file, named by its path relative to data_dir as on
-- disk; the content in chunks of at most 1 MiB.
CREATE TABLE stored_files (
    path TEXT PRIMARY KEY NOT NULL,
    sha256 TEXT NOT NULL,
    byte_size BIGINT NOT NULL,
    stored_at TIMESTAMP NOT NULL
);
CREATE TABLE stored_file_chunks (
    path TEXT NOT NULL REFERENCES stored_files (path) ON DELETE CASCADE,
    chunk_no INTEGER NOT NULL,
    bytes BLOB NOT NULL,
    PRIMARY KEY (path, chunk_no)
);
