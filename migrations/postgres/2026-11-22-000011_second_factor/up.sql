-- Multi-factor authentication (CJIS 5.9.5 IA-2(1)/(2)): a TOTP authenticator (RFC 6238) per
-- account and single-use recovery codes. The TOTP secret is stored sealed (AES-256-GCM with the
-- key in <data_dir>/mfa.key), never in clear; recovery codes only as an HMAC-SHA256 keyed with
-- that key. last_step is the newest accepted time step: a code is accepted once (RFC 6238 §5.2).
CREATE TABLE user_mfa (
    user_id BIGINT PRIMARY KEY NOT NULL REFERENCES users(id),
    secret_sealed TEXT NOT NULL,
    confirmed_at TIMESTAMP,
    last_step BIGINT NOT NULL DEFAULT 0,
    created_at TIMESTAMP NOT NULL
);
CREATE TABLE mfa_recovery_codes (
    id BIGSERIAL PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users(id),
    code_digest TEXT NOT NULL,
    used_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX mfa_recovery_codes_user ON mfa_recovery_codes (user_id);
