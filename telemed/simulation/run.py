"""One simulation, inside the simulation's own app: the network loaded, the cases drawn,
the loop run, the report read back from the simulated database."""

from __future__ import annotations

import time as timer
from datetime import datetime, time

from flask import current_app

from telemed.core.transaction import unit_of_work
from telemed.simulation import arrivals as arrival_process
from telemed.simulation import network as network_setup
from telemed.simulation import report as reporting
from telemed.simulation.arrivals import NETWORK_ZONE, Arrival
from telemed.simulation.engine import Engine
from telemed.simulation.model import Parameters


def simulate(params: Parameters, arrivals: list[Arrival] | None = None) -> reporting.Report:
    """Run ``params`` (or the given ``arrivals`` instead of drawn ones) on the current app,
    whose database must be the simulation's."""
    params.check()
    clock = current_app.extensions["telemed.clock"]
    clock.set(datetime.combine(params.start, time(0, 0), NETWORK_ZONE))
    began = timer.perf_counter()
    with unit_of_work():
        network = network_setup.build(params)
    cases = arrival_process.draw(params) if arrivals is None else arrivals
    if params.board:
        # The same draw as the whole network's, keeping the board's cases only: the other
        # boards' cases never reach its agendas.
        wanted = network_setup.board_specialties(network_setup.board_named(params.board))
        cases = [case for case in cases if case.specialty in wanted]
    tally = Engine(current_app._get_current_object(), params, network, cases).run()  # type: ignore[attr-defined]
    seconds = timer.perf_counter() - began
    with unit_of_work():
        return reporting.build(params, network.admin_id, len(cases), seconds, tally)
