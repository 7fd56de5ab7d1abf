"""The audit trail: the hash chain (`chain`), typed payloads per action (`payloads`), verification
(`verify`)."""
