"""A strict simulator of the NGXStorage REST API v2.4.1."""
