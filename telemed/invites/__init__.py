"""Calendar invites (iTIP over email), RSVP, reminders and calendar feeds."""
