"""Cases sent for a second opinion: submission, triage, attachments, timeline."""
