"""The board in session: attendance, review of each case, recommendations, referrals,
agreements, preparation, minutes and attendance certificates."""
