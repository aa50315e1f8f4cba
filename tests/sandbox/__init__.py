"""Tests of the sandbox MVNE platform (real HTTP, schema validation, properties, behaviour)."""
