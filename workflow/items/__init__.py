"""Use cases on items and people: each takes an open write connection, the actor and `now`, checks
the guards and appends its audit entry in the caller's transaction."""
