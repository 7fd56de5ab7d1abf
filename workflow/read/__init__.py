"""The read side: people and rounds looked up, live queries on items, the headline statistics, and
the as-of replay of the audit trail (`snapshot`)."""
