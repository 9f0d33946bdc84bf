"""``/api/v1/cases/<id>/questions``: the board's questions to the referring doctor, and answers.

The same rules as the pages: whoever sees the case reads its questions (never the board's
notes); members and coordinators ask, from the agenda's cut-off until the session is held;
the referring doctors of the case's centre answer, and may correct an answer until then.
"""

from __future__ import annotations

from flask_login import current_user, login_required
from flask_smorest import Blueprint

from telemed.api.common import body_doc, json_body
from telemed.cases.access import get_visible_case
from telemed.core.errors import NotFound
from telemed.preparation import service as preparation
from telemed.preparation.models import PreparationNote
from telemed.preparation.schemas import AnswerInputSchema, QuestionInputSchema, QuestionOutSchema

blp = Blueprint(
    "preparation_api",
    __name__,
    url_prefix="/api/v1/cases",
    description="Preparation: the board's questions to the referring doctor and the answers",
)


@blp.route("/<int:case_id>/questions", methods=["GET"])
@blp.response(200, QuestionOutSchema(many=True))
@login_required
def list_questions(case_id: int) -> list[PreparationNote]:
    """Questions the board asked about the case, oldest first, with their answers."""
    case = get_visible_case(current_user, case_id)
    return preparation.list_questions(current_user, case)


@blp.route("/<int:case_id>/questions", methods=["POST"])
@blp.doc(**body_doc(QuestionInputSchema))
@blp.response(201, QuestionOutSchema)
@login_required
def ask(case_id: int) -> PreparationNote:
    """Ask the referring doctor about a case on an agenda being prepared (members and
    coordinators; the doctor is emailed a link)."""
    case = get_visible_case(current_user, case_id)
    return preparation.ask_question(current_user, case, json_body())


@blp.route("/<int:case_id>/questions/<int:question_id>/answer", methods=["PUT"])
@blp.doc(**body_doc(AnswerInputSchema))
@blp.response(200, QuestionOutSchema)
@login_required
def answer(case_id: int, question_id: int) -> PreparationNote:
    """Answer a question, or correct the answer until the session is held (referring doctors
    of the case's centre; the member who asked is emailed a link)."""
    case = get_visible_case(current_user, case_id)
    question = preparation.get_question(current_user, question_id)
    if question.case_id != case.id:
        raise NotFound("question not found")
    return preparation.answer_question(current_user, question, json_body())
