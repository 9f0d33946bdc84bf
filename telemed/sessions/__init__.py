"""Sessions of the boards: created from each board's rule or by hand, their agendas
(filled by the assignment job and by coordinators), invitees, cut-off, holding and
carry-over."""
