"""Getting a round into the database: a YAML round file, or a ledger (整改台账) in Excel or CSV."""
