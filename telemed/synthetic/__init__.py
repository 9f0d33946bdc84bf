"""Synthetic data at volume (``flask demo generate``): years of cases, sessions and outcomes
over the demo network, for load tests and the administrators' dashboard. All synthetic."""
