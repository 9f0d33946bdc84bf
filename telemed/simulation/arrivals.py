"""The seeded arrival process: which centre sends which case when, and how its doctor and
its coordinator will behave. Drawn before the run from the seed alone, so the same seed
gives the same cases whatever the scheduling rules do with them."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from telemed.cases.models import Sex, Urgency
from telemed.centres.models import CentreKind
from telemed.core.vocabulary import RequestKind, Specialty
from telemed.demo import DEMO_CENTRES
from telemed.simulation.model import Parameters
from telemed.synthetic import vocab
from telemed.synthetic.generate import Weighted

NETWORK_ZONE = ZoneInfo("America/Mexico_City")
WORKDAY = (time(8, 0), time(18, 0))  # when doctors send and coordinators accept
SATURDAY = 5


@dataclass(frozen=True)
class Arrival:
    """One case to be sent, and what will happen around it."""

    at: datetime  # submission, aware UTC
    centre_code: str
    specialty: Specialty
    request_kind: RequestKind
    urgency: Urgency
    icd10: str
    diagnosis: str
    age_years: int
    sex: Sex
    accept_after: timedelta  # the coordinator's working time to accept it
    incomplete: bool  # sent without the material the board requires
    uploads_late: bool  # once told, the doctor uploads what is missing
    upload_after: timedelta  # from the flag to that upload


def sender_weights() -> dict[str, float]:
    """Centres that send cases, weighted by size (paediatric beds; small ones count 10)."""
    return {
        centre.code: float(max(centre.paediatric_beds, 10))
        for centre in DEMO_CENTRES
        if centre.kind is not CentreKind.EXTERNAL_PARTNER
    }


def season(day: date, params: Parameters) -> float:
    if day.month == 12:
        return params.december_dip
    if day.month == 7:
        return params.july_dip
    return 1.0


def day_weight(day: date, index: int, params: Parameters) -> float:
    """Relative rate of a day: growth over the run, seasonal dips, quiet weekends."""
    growth = 1.0 + params.growth * (index / max(params.days - 1, 1) - 0.5)
    weekend = params.weekend_rate if day.weekday() >= SATURDAY else 1.0
    return growth * season(day, params) * weekend


def poisson(rng: random.Random, mean: float) -> int:
    """Knuth's method: fine for the few cases a day the network sees."""
    if mean <= 0:
        return 0
    limit, k, product = math.exp(-mean), 0, rng.random()
    while product > limit:
        k += 1
        product *= rng.random()
    return k


def daily_means(params: Parameters) -> list[float]:
    """Expected arrivals per day, scaled so an ordinary year averages ``cases_per_year``."""
    days = [params.start + timedelta(days=i) for i in range(params.days)]
    weights = [day_weight(day, i, params) for i, day in enumerate(days)]
    # The weight of an average year (weekends and dips included) at the middle of growth.
    year = [date(2025, 1, 1) + timedelta(days=i) for i in range(365)]
    flat = params.with_values(growth=0.0)
    per_year = sum(day_weight(day, 0, flat) for day in year)
    scale = params.cases_per_year / per_year if per_year else 0.0
    return [weight * scale for weight in weights]


def working_delay(start: datetime, hours: float) -> datetime:
    """``hours`` of working time (8:00-18:00, Monday to Friday, network clock) after
    ``start``: a case sent on Friday evening is accepted on Monday."""
    local = start.astimezone(NETWORK_ZONE)
    remaining = timedelta(hours=hours)
    while True:
        opens = datetime.combine(local.date(), WORKDAY[0], NETWORK_ZONE)
        closes = datetime.combine(local.date(), WORKDAY[1], NETWORK_ZONE)
        if local.weekday() < SATURDAY and local < closes:
            local = max(local, opens)
            if local + remaining <= closes:
                return (local + remaining).astimezone(UTC)
            remaining -= closes - local
        next_day = local.date() + timedelta(days=1)
        local = datetime.combine(next_day, WORKDAY[0], NETWORK_ZONE)


def draw(params: Parameters) -> list[Arrival]:
    """The run's cases in order of submission."""
    rng = random.Random(params.seed)
    centres = Weighted(sender_weights())
    specialties = Weighted(vocab.SPECIALTY_WEIGHTS)
    kinds = {s: Weighted(w) for s, w in vocab.REQUEST_KINDS.items()}
    routine = 1.0 - params.urgent_share - params.priority_share
    urgencies = Weighted(
        {Urgency.URGENT: params.urgent_share, Urgency.PRIORITY: params.priority_share,
         Urgency.ROUTINE: routine}
    )  # fmt: skip
    arrivals: list[Arrival] = []
    for index, mean in enumerate(daily_means(params)):
        day = params.start + timedelta(days=index)
        for _ in range(poisson(rng, mean)):
            minutes = rng.randrange(8 * 60, 20 * 60)  # sent during the day, network clock
            at = datetime.combine(day, time(minutes // 60, minutes % 60), NETWORK_ZONE)
            arrivals.append(one_case(rng, at.astimezone(UTC), params, centres, specialties,
                                     kinds, urgencies))  # fmt: skip
    arrivals.sort(key=lambda arrival: arrival.at)
    return arrivals


def one_case(
    rng: random.Random,
    at: datetime,
    params: Parameters,
    centres: Weighted,
    specialties: Weighted,
    kinds: dict[Specialty, Weighted],
    urgencies: Weighted,
) -> Arrival:
    specialty: Specialty = specialties.pick(rng)
    urgency: Urgency = urgencies.pick(rng)
    icd10, diagnosis = rng.choice(vocab.DIAGNOSES[specialty])
    mean_accept = params.accept_urgent_hours if urgency is Urgency.URGENT else params.accept_hours
    return Arrival(
        at=at, centre_code=centres.pick(rng), specialty=specialty,
        request_kind=kinds[specialty].pick(rng), urgency=urgency, icd10=icd10,
        diagnosis=diagnosis, age_years=rng.randrange(0, 18),
        sex=rng.choice((Sex.FEMALE, Sex.MALE)),
        accept_after=timedelta(hours=rng.expovariate(1 / mean_accept) if mean_accept else 0),
        incomplete=rng.random() < params.incomplete_share,
        uploads_late=rng.random() < params.late_upload_share,
        upload_after=timedelta(
            hours=rng.expovariate(1 / params.late_upload_hours) if params.late_upload_hours else 0
        ),
    )  # fmt: skip
