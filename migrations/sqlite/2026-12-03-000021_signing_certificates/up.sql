-- Anyone can check a packet (issue 17). Every certificate the desk has signed packets with, so a
-- packet signed before a rotation (a new PKCS#12, a regenerated key) still verifies afterwards.
-- Recorded when the signer is loaded at start-up (and by `frdesk packet verify`); the one in use
-- has retired_at NULL, every earlier one the time it was replaced.
CREATE TABLE signing_certificates (
    -- SHA-256 of the certificate's DER: 64 lowercase hex digits.
    fingerprint_sha256 TEXT PRIMARY KEY NOT NULL,
    -- The certificate (PEM); NULL only for a certificate known from packets issued before
    -- certificates were kept (its fingerprint is on those packets' rows).
    certificate_pem TEXT,
    -- "CN=…, O=…"; empty when unknown.
    subject TEXT NOT NULL,
    first_used_at TIMESTAMP NOT NULL,
    retired_at TIMESTAMP
);
-- Certificates that signed packets before this table existed: their fingerprints are on record.
INSERT INTO signing_certificates (fingerprint_sha256, certificate_pem, subject, first_used_at, retired_at)
    SELECT signer_fingerprint, NULL, '', MIN(issued_at), MAX(issued_at)
    FROM packets WHERE signer_fingerprint <> '' GROUP BY signer_fingerprint;
