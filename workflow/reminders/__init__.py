"""Reminders: the rule catalogue, settings, the rules, running them exactly once, their text, the
outbox and its channels, and the scheduler."""
