"""Test doubles of external services that Tandem talks to."""
