"""``/api/v1/centres``: the network's centres and what they can resolve."""

from __future__ import annotations

from flask_login import login_required
from flask_smorest import Blueprint

from telemed.centres import service
from telemed.centres.models import Centre
from telemed.centres.schemas import CentreOutSchema

blp = Blueprint("centres_api", __name__, url_prefix="/api/v1/centres", description="Centres")


@blp.route("", methods=["GET"])
@blp.response(200, CentreOutSchema(many=True))
@login_required
def list_centres() -> list[Centre]:
    """Every centre with its state, time zone and resolving capacity."""
    return service.list_centres()
