"""Fakes of external services that the real client libraries talk to."""
