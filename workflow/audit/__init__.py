"""The audit trail: the hash chain (`chain`), typed payloads per action (`payloads`, turned into the
hashed dict by `encoding`), verification (`verify`)."""
