"""Certificates of attendance at training and keynote sessions, and their public check."""
