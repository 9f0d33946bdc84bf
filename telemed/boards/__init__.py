"""Tumour boards, their sessions and agendas, and the assignment of cases to sessions."""
