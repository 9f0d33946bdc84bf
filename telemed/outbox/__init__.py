"""Email through an outbox table: written with the change, delivered by a job with retries."""
