"""Human labels for the case vocabulary, translated at render time."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from telemed.cases.models import CaseStatus, Sex, Urgency

STATUS_LABELS = {
    CaseStatus.DRAFT: _l("draft"),
    CaseStatus.SUBMITTED: _l("submitted"),
    CaseStatus.RETURNED: _l("returned with a question"),
    CaseStatus.RESUBMITTED: _l("resubmitted"),
    CaseStatus.ACCEPTED: _l("accepted"),
    CaseStatus.SCHEDULED: _l("scheduled"),
    CaseStatus.DISCUSSED: _l("discussed"),
    CaseStatus.RECOMMENDATION_ISSUED: _l("recommendation issued"),
    CaseStatus.WITHDRAWN: _l("withdrawn"),
    CaseStatus.CLOSED: _l("closed"),
}


SEX_LABELS = {
    Sex.FEMALE: _l("female"),
    Sex.MALE: _l("male"),
    Sex.UNDETERMINED: _l("undetermined"),
}


URGENCY_LABELS = {
    Urgency.ROUTINE: _l("routine"),
    Urgency.PRIORITY: _l("priority"),
    Urgency.URGENT: _l("urgent"),
}


EVENT_LABELS = {
    "created": _l("Created"),
    "updated": _l("Edited"),
    "submit": _l("Submitted"),
    "accept": _l("Accepted"),
    "return": _l("Returned with a question"),
    "resubmit": _l("Answered and resubmitted"),
    "withdraw": _l("Withdrawn"),
    "close": _l("Closed"),
    "attachment_added": _l("File attached"),
    "scheduled": _l("Placed on a session's agenda"),
    "unscheduled": _l("Taken off the agenda"),
    "discussed": _l("Discussed by the board"),
    "deferred": _l("Deferred to a later session"),
    "follow_up": _l("Back to scheduling for a follow-up"),
    "recommendation": _l("Recommendation issued"),
    "adherence": _l("Whether the recommendation was carried out"),
    "referral": _l("Referral"),
    "agreement": _l("Agreement recorded"),
    "agreement_done": _l("Agreement done"),
    "question": _l("Question from the board"),
    "answer": _l("Question answered"),
    "reviewed": _l("Reviewed by a board member"),
    "material_missing": _l("Required material missing"),
}


# The case page's next steps: what each button says, what it does, and what its text box asks
# for (the steps needing words). Withdrawing is confirmed on a second button.
ACTION_BUTTONS = {
    "submit": _l("Send to the board"),
    "accept": _l("Accept the case"),
    "return": _l("Return with a question"),
    "resubmit": _l("Answer and resubmit"),
    "withdraw": _l("Withdraw the case…"),
    "close": _l("Close the case"),
    "follow_up": _l("Schedule a follow-up"),
}
ACTION_HINTS = {
    "submit": _l("The coordinators check it and place it on a session's agenda."),
    "accept": _l("It goes to the next session of its board with room on the agenda."),
    "return": _l("The referring doctor is asked; the case waits for the answer."),
    "resubmit": _l("Your answer goes to the coordinators with the case."),
    "withdraw": _l("Takes the case off the board's work and its agenda; it cannot be undone."),
    "close": _l("The board's work on this case ends."),
    "follow_up": _l("The case goes back to scheduling for another session."),
}
ACTION_MESSAGE_LABELS = {
    "return": _l("Question for the referring doctor"),
    "resubmit": _l("Your answer to the board's question"),
    "withdraw": _l("Reason for withdrawing"),
}
