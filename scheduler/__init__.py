"""Background jobs (APScheduler). Filled in by the scheduling issue."""
