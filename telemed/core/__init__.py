"""Pieces every domain package uses: time, column types, errors, pagination."""
