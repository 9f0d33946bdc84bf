"""Demo data: the OncoCREAN network, its reference hospitals and one account per role.

Gives a fresh installation something realistic to click through and tests a known fixture.
Everything is synthetic apart from public hospital names and figures (see DOMAIN.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import select

from telemed.auth.models import Discipline, Role, User
from telemed.boards.models import (
    Board,
    BoardDayOff,
    BoardMember,
    BoardSpecialty,
    DayOffPolicy,
    MemberRole,
    SessionKind,
)
from telemed.boards.signals import days_off_marked
from telemed.centres.models import CAPABILITY_FLAGS, Centre, CentreKind
from telemed.core.clock import now_utc
from telemed.core.vocabulary import MaterialKind, RequestKind, Specialty
from telemed.extensions import db

DEMO_PASSWORD = "demo1234"


@dataclass(frozen=True, slots=True)
class DemoCentre:
    """One centre as data, so tests can inspect the list without a database."""

    code: str
    name: str
    kind: CentreKind
    state: str
    city: str
    timezone: str
    flags: frozenset[str]  # the CAPABILITY_FLAGS this centre has; all others are False
    paediatric_oncologists: int = 0
    paediatricians: int = 0
    beds: int = 0
    paediatric_beds: int = 0

    def __post_init__(self) -> None:
        # A typo in a flag name would otherwise silently become "not available".
        unknown = self.flags - set(CAPABILITY_FLAGS)
        if unknown:
            raise ValueError(f"{self.code}: unknown capability flags {sorted(unknown)}")

    def to_model(self) -> Centre:
        return Centre(
            code=self.code,
            name=self.name,
            kind=self.kind,
            state=self.state,
            city=self.city,
            timezone=self.timezone,
            active=True,
            paediatric_oncologists=self.paediatric_oncologists,
            paediatricians=self.paediatricians,
            beds=self.beds,
            paediatric_beds=self.paediatric_beds,
            **{flag: flag in self.flags for flag in CAPABILITY_FLAGS},
        )


@dataclass(frozen=True, slots=True)
class DemoUser:
    email: str
    name: str
    role: Role
    discipline: Discipline | None = None
    centre_code: str | None = None


# Resolving-capacity profiles, from a small zone hospital up to one with radiotherapy.
# None has a transplant unit: OncoCREANs refer transplants to HITO.
_BASIC = frozenset({"has_ct", "has_blood_bank"})
_GENERAL = _BASIC | {"has_mri", "has_orthopaedics"}
_ICU = _GENERAL | {"has_paediatric_icu"}
_RADIOTHERAPY = _ICU | {"has_linear_accelerator", "has_neurosurgery"}
# HGR No. 1 Tijuana as published: radiotherapy and neurosurgery but no orthopaedist.
_TIJUANA = frozenset(
    {"has_ct", "has_mri", "has_linear_accelerator", "has_blood_bank", "has_neurosurgery"}
)
_ALL_BUT_TRANSPLANT = frozenset(CAPABILITY_FLAGS) - {"has_transplant_unit"}

_CDMX = "Ciudad de México"
_MEXICO_CITY = "America/Mexico_City"


def _oc(
    code: str,
    name: str,
    state: str,
    city: str,
    timezone: str,
    flags: frozenset[str],
    oncologists: int,
    paediatricians: int,
    beds: int,
    paediatric_beds: int,
) -> DemoCentre:
    """One row of the table below, kept positional so each centre fits on two lines."""
    return DemoCentre(
        code=code,
        name=name,
        kind=CentreKind.ONCOCREAN,
        state=state,
        city=city,
        timezone=timezone,
        flags=flags,
        paediatric_oncologists=oncologists,
        paediatricians=paediatricians,
        beds=beds,
        paediatric_beds=paediatric_beds,
    )


# Columns: code, hospital, state, city, time zone, resources,
#          paediatric oncologists, paediatricians, beds, paediatric beds.
ONCOCREAN_CENTRES: tuple[DemoCentre, ...] = (
    _oc("OC-AGS-AGS", "HGZ No. 1 Aguascalientes", "Aguascalientes", "Aguascalientes",
        _MEXICO_CITY, _RADIOTHERAPY, 2, 36, 280, 40),
    _oc("OC-BC-TIJ", "HGR No. 1 Tijuana", "Baja California", "Tijuana",
        "America/Tijuana", _TIJUANA, 1, 51, 394, 50),
    _oc("OC-BC-MXL", "HGZ No. 30 Mexicali", "Baja California", "Mexicali",
        "America/Tijuana", _ICU, 1, 32, 250, 34),
    _oc("OC-BC-ENS", "HGZ No. 8 Ensenada", "Baja California", "Ensenada",
        "America/Tijuana", _BASIC, 1, 14, 120, 16),
    _oc("OC-CAM-01", 'HGZ No. 1 "Dr. Abraham Azar Farah" Campeche', "Campeche", "Campeche",
        "America/Merida", _GENERAL, 1, 18, 160, 24),
    _oc("OC-CAM-CME", "HGZ No. 4 Ciudad del Carmen", "Campeche", "Ciudad del Carmen",
        "America/Merida", _BASIC, 1, 10, 90, 12),
    _oc("OC-CHH-CHI", "HGR No. 1 Chihuahua", "Chihuahua", "Chihuahua",
        "America/Chihuahua", _RADIOTHERAPY, 2, 30, 300, 40),
    _oc("OC-CHH-CJS", "HGZ No. 6 Ciudad Juárez", "Chihuahua", "Ciudad Juárez",
        "America/Ciudad_Juarez", _ICU, 2, 35, 280, 38),
    _oc("OC-JAL-GDL46", "HGR No. 46 Guadalajara", "Jalisco", "Guadalajara",
        _MEXICO_CITY, _RADIOTHERAPY, 3, 40, 320, 48),
    _oc("OC-JAL-GDL110", "HGR No. 110 Guadalajara", "Jalisco", "Guadalajara",
        _MEXICO_CITY, _ICU, 2, 34, 260, 36),
    _oc("OC-NL-MTY33", "HGZ No. 33 Monterrey", "Nuevo León", "Monterrey",
        "America/Monterrey", _RADIOTHERAPY, 3, 42, 350, 52),
    _oc("OC-NL-MTY17", "HGZ No. 17 Monterrey", "Nuevo León", "Monterrey",
        "America/Monterrey", _ICU, 2, 28, 230, 30),
    _oc("OC-PUE-PUE36", "HGR No. 36 Puebla", "Puebla", "Puebla",
        _MEXICO_CITY, _RADIOTHERAPY, 3, 38, 330, 46),
    _oc("OC-PUE-PUE20", "HGZ No. 20 Puebla", "Puebla", "Puebla",
        _MEXICO_CITY, _GENERAL, 1, 22, 200, 28),
    _oc("OC-QRO-QRO", "HGR No. 1 Querétaro", "Querétaro", "Querétaro",
        _MEXICO_CITY, _ICU, 2, 30, 260, 36),
    _oc("OC-QR-CUN", "HGR No. 17 Cancún", "Quintana Roo", "Cancún",
        "America/Cancun", _ICU, 2, 26, 240, 32),
    _oc("OC-QR-CTM", "HGZ No. 1 Chetumal", "Quintana Roo", "Chetumal",
        "America/Cancun", _BASIC, 1, 12, 130, 18),
    _oc("OC-SLP-SLP", "HGZ No. 1 San Luis Potosí", "San Luis Potosí", "San Luis Potosí",
        _MEXICO_CITY, _RADIOTHERAPY, 2, 32, 290, 40),
    _oc("OC-SLP-VAL", "HGZ No. 6 Ciudad Valles", "San Luis Potosí", "Ciudad Valles",
        _MEXICO_CITY, _BASIC, 1, 10, 100, 14),
    _oc("OC-SIN-CUL", "HGR No. 1 Culiacán", "Sinaloa", "Culiacán",
        "America/Mazatlan", _RADIOTHERAPY, 2, 34, 300, 42),
    _oc("OC-SIN-MZT", "HGZ No. 3 Mazatlán", "Sinaloa", "Mazatlán",
        "America/Mazatlan", _GENERAL, 1, 16, 150, 20),
    _oc("OC-SON-HMO", "HGZ No. 14 Hermosillo", "Sonora", "Hermosillo",
        "America/Hermosillo", _ICU, 2, 28, 240, 30),
    _oc("OC-SON-OBR", "HGR No. 1 Ciudad Obregón", "Sonora", "Ciudad Obregón",
        "America/Hermosillo", _RADIOTHERAPY, 2, 30, 280, 38),
    _oc("OC-TAM-VIC", "HGZ No. 1 Ciudad Victoria", "Tamaulipas", "Ciudad Victoria",
        "America/Monterrey", _GENERAL, 1, 18, 170, 22),
    _oc("OC-TAM-MAD", "HGR No. 6 Ciudad Madero", "Tamaulipas", "Ciudad Madero",
        "America/Monterrey", _RADIOTHERAPY, 2, 30, 280, 36),
    _oc("OC-TAM-REY", "HGR No. 270 Reynosa", "Tamaulipas", "Reynosa",
        "America/Matamoros", _ICU, 1, 24, 220, 30),
    _oc("OC-TAM-MAT", "HGZ No. 13 Matamoros", "Tamaulipas", "Matamoros",
        "America/Matamoros", _BASIC, 1, 14, 140, 18),
    _oc("OC-VER-VER", "HGZ No. 71 Veracruz", "Veracruz", "Veracruz",
        _MEXICO_CITY, _RADIOTHERAPY, 3, 36, 320, 44),
    _oc("OC-VER-ORI", "HGR No. 1 Orizaba", "Veracruz", "Orizaba",
        _MEXICO_CITY, _ICU, 2, 26, 230, 30),
    _oc("OC-VER-XAL", "HGZ No. 11 Xalapa", "Veracruz", "Xalapa",
        _MEXICO_CITY, _GENERAL, 1, 20, 180, 24),
    _oc("OC-YUC-MID", "HGR No. 1 Mérida", "Yucatán", "Mérida",
        "America/Merida", _ICU, 2, 28, 260, 34),
    _oc("OC-ZAC-ZAC", "HGZ No. 1 Zacatecas", "Zacatecas", "Zacatecas",
        _MEXICO_CITY, _GENERAL, 1, 16, 160, 22),
    _oc("OC-CDMX-HGR1", "HGR No. 1 Ciudad de México", _CDMX, _CDMX,
        _MEXICO_CITY, _RADIOTHERAPY, 3, 40, 340, 48),
    _oc("OC-CDMX-HGR2", "HGR No. 2 Villa Coapa", _CDMX, _CDMX,
        _MEXICO_CITY, _ICU, 2, 30, 260, 34),
    _oc("OC-CDMX-HGR25", "HGR No. 25 Zaragoza", _CDMX, _CDMX,
        _MEXICO_CITY, _ICU, 2, 32, 280, 36),
    _oc("OC-CDMX-HGZ47", "HGZ No. 47 Vicente Guerrero", _CDMX, _CDMX,
        _MEXICO_CITY, _GENERAL, 1, 22, 200, 26),
)  # fmt: skip

# National high-specialty hospitals: where OncoCREANs refer what they cannot resolve.
UMAE_CENTRES: tuple[DemoCentre, ...] = (
    DemoCentre(
        code="UMAE-LARAZA",
        name="Hospital General CMN La Raza",
        kind=CentreKind.UMAE,
        state=_CDMX,
        city=_CDMX,
        timezone=_MEXICO_CITY,
        flags=_ALL_BUT_TRANSPLANT,
        paediatric_oncologists=8,
        paediatricians=95,
        beds=760,
        paediatric_beds=160,
    ),
    DemoCentre(
        code="UMAE-SXXI",
        name="Hospital de Pediatría CMN Siglo XXI",
        kind=CentreKind.UMAE,
        state=_CDMX,
        city=_CDMX,
        timezone=_MEXICO_CITY,
        flags=_ALL_BUT_TRANSPLANT,
        paediatric_oncologists=12,
        paediatricians=120,
        beds=220,
        paediatric_beds=220,
    ),
    DemoCentre(
        code="UMAE-MERIDA",
        name="UMAE Mérida, Hospital de Especialidades CMN Ignacio García Téllez",
        kind=CentreKind.UMAE,
        state="Yucatán",
        city="Mérida",
        timezone="America/Merida",
        flags=_ALL_BUT_TRANSPLANT,
        paediatric_oncologists=3,
        paediatricians=30,
        beds=280,
        paediatric_beds=40,
    ),
)

# External partner that performs the haematopoietic stem-cell transplants.
HITO = DemoCentre(
    code="HITO",
    name="Hospital Infantil Teletón de Oncología",
    kind=CentreKind.EXTERNAL_PARTNER,
    state="Querétaro",
    city="Querétaro",
    timezone=_MEXICO_CITY,
    flags=frozenset(
        {
            "has_ct",
            "has_mri",
            "has_blood_bank",
            "has_linear_accelerator",
            "has_paediatric_icu",
            "has_transplant_unit",
        }
    ),
    paediatric_oncologists=10,
    paediatricians=20,
    beds=40,
    paediatric_beds=40,
)

DEMO_CENTRES: tuple[DemoCentre, ...] = (*ONCOCREAN_CENTRES, *UMAE_CENTRES, HITO)

# One account per role, so every screen can be tried without creating users first.
DEMO_USERS: tuple[DemoUser, ...] = (
    DemoUser(
        "referente@demo.telemed.mx", "Dra. Ana Referente", Role.REFERRING, centre_code="OC-BC-TIJ"
    ),
    DemoUser(
        "especialista@demo.telemed.mx",
        "Dr. Luis Especialista",
        Role.SPECIALIST,
        discipline=Discipline.PAEDIATRIC_ONCOLOGY,
    ),
    DemoUser("coordinador@demo.telemed.mx", "Dra. Carmen Coordinadora", Role.COORDINATOR),
    DemoUser("admin@demo.telemed.mx", "Admin Demo", Role.ADMIN),
)
DEMO_EMAILS: tuple[str, ...] = tuple(user.email for user in DEMO_USERS)


def load_demo_data() -> dict[str, int]:
    """Insert whatever demo rows are missing and commit once; returns how many were created.

    Rows are matched by natural key (centre code, user email) and existing ones are never
    touched, so it is safe to run again, or on a database where an administrator has since
    edited a demo centre or changed a demo password. Needs an active app context.
    """
    created = {"centres": 0, "users": 0}

    codes = [centre.code for centre in DEMO_CENTRES]
    centres = {c.code: c for c in db.session.scalars(select(Centre).where(Centre.code.in_(codes)))}
    for demo_centre in DEMO_CENTRES:
        if demo_centre.code not in centres:
            centres[demo_centre.code] = demo_centre.to_model()
            db.session.add(centres[demo_centre.code])
            created["centres"] += 1

    existing_emails = set(db.session.scalars(select(User.email).where(User.email.in_(DEMO_EMAILS))))
    for demo_user in DEMO_USERS:
        if demo_user.email in existing_emails:
            continue
        user = User(
            email=demo_user.email,
            name=demo_user.name,
            role=demo_user.role,
            discipline=demo_user.discipline,
            centre=centres[demo_user.centre_code] if demo_user.centre_code else None,
        )
        user.set_password(DEMO_PASSWORD)
        db.session.add(user)
        created["users"] += 1

    db.session.flush()
    created["boards"] = load_demo_boards()
    db.session.flush()
    created["days_off"] = load_demo_days_off()
    db.session.flush()
    return created


@dataclass(frozen=True)
class DemoBoard:
    name: str
    kind: SessionKind
    specialties: tuple[Specialty, ...]
    rrule: str
    first_number: int
    quorum: tuple[Discipline, ...] = ()
    # What each kind of request must have attached before the cut-off.
    required_material: tuple[tuple[RequestKind, tuple[MaterialKind, ...]], ...] = ()
    # Weekly boards skip a meeting on a rest day (the next one is days away); monthly ones
    # hold it on the next working day rather than lose a month.
    day_off_policy: DayOffPolicy = DayOffPolicy.SKIP

    def material_config(self) -> dict[str, list[str]]:
        return {kind.value: [m.value for m in needed] for kind, needed in self.required_material}


_PATHOLOGY, _IMAGING = MaterialKind.PATHOLOGY_REPORT, MaterialKind.IMAGING
_IMMUNO, _MRD = MaterialKind.IMMUNOPHENOTYPE, MaterialKind.MINIMAL_RESIDUAL_DISEASE
SOLID_TUMOUR_MATERIAL = (
    (RequestKind.DIAGNOSIS_OPINION, (_PATHOLOGY, _IMAGING)),
    (RequestKind.TREATMENT_PLAN, (_PATHOLOGY,)),
)
LEUKAEMIA_MATERIAL = (
    (RequestKind.DIAGNOSIS_OPINION, (_IMMUNO,)),
    (RequestKind.TRANSPLANT_EVALUATION, (_IMMUNO, _MRD)),
)
TRANSPLANT_MATERIAL = (
    (RequestKind.DIAGNOSIS_OPINION, (_IMMUNO,)),
    (RequestKind.TRANSPLANT_EVALUATION, (_IMMUNO, _MRD, MaterialKind.CYTOGENETICS)),
)

WEEKLY_THURSDAY_18 = "FREQ=WEEKLY;BYDAY=TH;BYHOUR=18;BYMINUTE=0"
DEMO_BOARDS: tuple[DemoBoard, ...] = (
    DemoBoard("Comité de tumores sólidos", SessionKind.CASE_REVIEW,
              (Specialty.SOLID_TUMOURS, Specialty.CNS_TUMOURS, Specialty.BONE_SOFT_TISSUE,
               Specialty.PALLIATIVE_CARE),
              WEEKLY_THURSDAY_18, 160,
              (Discipline.PAEDIATRIC_ONCOLOGY, Discipline.RADIOLOGY, Discipline.PATHOLOGY),
              SOLID_TUMOUR_MATERIAL),
    DemoBoard("Comité de leucemias y linfomas", SessionKind.CASE_REVIEW,
              (Specialty.LEUKAEMIA_LYMPHOMA,), "FREQ=WEEKLY;BYDAY=TU;BYHOUR=18;BYMINUTE=0", 19,
              (Discipline.PAEDIATRIC_ONCOLOGY, Discipline.HAEMATOLOGY), LEUKAEMIA_MATERIAL),
    DemoBoard("Comité de trasplante", SessionKind.CASE_REVIEW, (Specialty.TRANSPLANT,),
              "FREQ=WEEKLY;INTERVAL=2;BYDAY=WE;BYHOUR=17;BYMINUTE=0", 1,
              (Discipline.TRANSPLANT, Discipline.HAEMATOLOGY), TRANSPLANT_MATERIAL),
    DemoBoard("Capacitación", SessionKind.TRAINING, (),
              "FREQ=MONTHLY;BYDAY=1FR;BYHOUR=13;BYMINUTE=0", 1,
              day_off_policy=DayOffPolicy.NEXT),
    DemoBoard("Conferencias magistrales", SessionKind.KEYNOTE, (),
              "FREQ=MONTHLY;BYDAY=3FR;BYHOUR=13;BYMINUTE=0", 1,
              day_off_policy=DayOffPolicy.NEXT),
)  # fmt: skip
DEMO_DTSTART = datetime(2026, 1, 1, 0, 0)
# The network does not meet over the winter break (24 December to 1 January; 25 December
# and 1 January are official rest days anyway).
WINTER_BREAK = ((12, 24), (1, 1))
WINTER_BREAK_REASON = "Receso de fin de año"


def winter_break(year: int) -> list[date]:
    """The days of the winter break that starts in December of ``year``."""
    (first_month, first_day), (last_month, last_day) = WINTER_BREAK
    first, last = date(year, first_month, first_day), date(year + 1, last_month, last_day)
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def load_demo_boards() -> int:
    """The demo boards, coordinated by the demo coordinator; the specialist sits on all."""
    existing = set(db.session.scalars(select(Board.name)))
    coordinator = db.session.scalar(select(User).where(User.email == "coordinador@demo.telemed.mx"))
    specialist = db.session.scalar(select(User).where(User.email == "especialista@demo.telemed.mx"))
    created = 0
    for demo in DEMO_BOARDS:
        if demo.name in existing:
            continue
        board = Board(
            name=demo.name, kind=demo.kind, coordinator=coordinator,
            timezone="America/Mexico_City", rrule=demo.rrule, dtstart=DEMO_DTSTART,
            duration_minutes=90, minutes_per_case=10, cutoff_days_before=2,
            cutoff_time=time(23, 59),
            room_url_pattern="https://video.telemed.local/comite-{board}/sesion-{session}",
            quorum_disciplines=[d.value for d in demo.quorum],
            required_material=demo.material_config(), day_off_policy=demo.day_off_policy,
            next_session_number=demo.first_number, active=True,
        )  # fmt: skip
        board.specialties = [BoardSpecialty(specialty=s) for s in demo.specialties]
        if specialist is not None:
            board.members = [BoardMember(user=specialist, role=MemberRole.CHAIR,
                                         discipline=specialist.discipline)]  # fmt: skip
        db.session.add(board)
        created += 1
    return created


def load_demo_days_off() -> int:
    """The demo boards' winter breaks (last year's, this year's and next year's), so sessions
    are never generated over them. A break is added to a board that has none of its days
    off yet, so loading again adds nothing, and a day someone removed stays removed. Sessions
    already planned on the new days follow the board's policy (as when its coordinator marks
    them), by the hand of the board's coordinator."""
    names = [demo.name for demo in DEMO_BOARDS]
    boards = db.session.scalars(select(Board).where(Board.name.in_(names))).all()
    year = now_utc().year
    breaks = [winter_break(y) for y in (year - 1, year, year + 1)]
    rows = db.session.execute(
        select(BoardDayOff.board_id, BoardDayOff.day).where(
            BoardDayOff.board_id.in_([board.id for board in boards]),
            BoardDayOff.day.between(breaks[0][0], breaks[-1][-1]),
        )
    )
    marked = {(board_id, day) for board_id, day in rows}
    created = 0
    for board in boards:
        new_days = [
            day
            for days in breaks
            if not any((board.id, day) in marked for day in days)
            for day in days
        ]
        for day in new_days:
            db.session.add(BoardDayOff(board_id=board.id, day=day, reason=WINTER_BREAK_REASON,
                                       created_at=now_utc()))  # fmt: skip
        db.session.flush()
        if new_days and board.coordinator is not None and board.coordinator.is_staff:
            days_off_marked.send(None, board_id=board.id, days=new_days, actor=board.coordinator)
        created += len(new_days)
    return created
