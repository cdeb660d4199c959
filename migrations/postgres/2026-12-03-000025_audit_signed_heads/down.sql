DROP TABLE audit_signed_heads;
