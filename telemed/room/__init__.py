"""The board in session: attendance, times, the review of each case, outcomes,
recommendations and adherence."""
