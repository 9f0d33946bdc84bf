"""The administrators' dashboard: figures, monthly roll-ups, CSV and the stats API."""
