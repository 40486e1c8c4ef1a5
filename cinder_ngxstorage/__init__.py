"""Cinder volume driver for NGXStorage arrays."""
