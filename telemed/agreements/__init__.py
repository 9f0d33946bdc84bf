"""Agreements (acuerdos): recorded in a session, read out at its end, followed up at every
later session until done."""
