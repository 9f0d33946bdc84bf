"""Referrals from a recommendation to a centre that can resolve the case (HITO for
transplants), step by step on both sides."""
