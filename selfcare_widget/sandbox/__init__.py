"""Sandbox MVNE platform: a TMF v4 subset over SQLite with seeded demo data."""
