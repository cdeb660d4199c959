-- Issue 17: the audit chain's head signed with the desk's key (src/audit/signed_head.rs): once
-- a day by the daily audit check, and at each disclosure export. `statement` is the exact signed
-- text (compact JSON naming the head record's id and hash); `signature` its detached CMS
-- signature (DER). A package carries both, so a court can check offline that the chain stood
-- thus when it was signed, and `--against-db` that the live trail still does.
CREATE TABLE audit_signed_heads (
    id BIGSERIAL PRIMARY KEY,
    -- UTC day (YYYY-MM-DD) of the signing.
    day TEXT NOT NULL,
    -- 'daily' | 'disclosure'
    occasion TEXT NOT NULL,
    head_id BIGINT NOT NULL,
    head_hash TEXT NOT NULL,
    statement TEXT NOT NULL,
    signature BYTEA NOT NULL,
    signer_fingerprint TEXT NOT NULL,
    signed_at TIMESTAMP NOT NULL
);
CREATE INDEX audit_signed_heads_day ON audit_signed_heads(day, occasion);
CREATE TRIGGER audit_signed_heads_append_only BEFORE UPDATE OR DELETE ON audit_signed_heads
FOR EACH ROW EXECUTE FUNCTION audit_records_append_only();
