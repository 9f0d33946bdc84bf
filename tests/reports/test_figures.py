"""Every figure of every view, counted by hand from dataset.py, for all time and for
October 2026 (a custom range), plus the tables the report reads."""

from __future__ import annotations

import pytest

from tests.reports.conftest import figures, table
from tests.reports.dataset import ALL, OCTOBER


def test_overview_all_time(network, admin):
    assert figures("overview", ALL, admin) == {
        "sessions_held": 6,  # S1 S2 S3 S4 T1 T2
        "case_review_sessions": 3,  # S1 S2 T1
        "training_sessions": 2,  # S3 T2
        "keynote_lectures": 1,  # S4 (T4 only planned)
        "sessions_cancelled": 2,  # S5 T3
        "submitted": 14,  # k1..k15 except the draft k10
        "accepted": 13,  # 14 submitted minus k9 (never accepted)
        "examined": 10,  # k1 k2 k3 k13 (S1) + k5 (T1) + k4 k11 k12 k14 k15 (S2)
        "examined_high_complexity": 6,  # k1 k2 k4 k12 k13 k15
        "urgent_72h_share": 33.3,  # urgent k1 (60 h ✓), k4 (102 h ✗), k8 (not discussed) → 1/3
        "referrals": 13,  # r1..r13
        "patients_referred": 10,  # k1 k2 k3 k4 k5 k11 k12 k13 k14 k15 (k15 twice; k7 proposed)
        "agreements_open": 4,  # a2 a3 a4 a5
        "agreements_done": 2,  # a1 a6
        "agreements_overdue": 2,  # a2 (due 30 Nov), a5 (due 14 Dec); a4 due today is not late
        "patients_referred_to_hito": 9,  # La Raza k1 k2 k11 k13 k14, Siglo XXI k3 k4 k12 k15
    }


def test_overview_october(network, admin):
    assert figures("overview", OCTOBER, admin) == {
        "sessions_held": 3,  # S1 (8 Oct) S3 (22 Oct) T1 (7 Oct)
        "case_review_sessions": 2,  # S1 T1
        "training_sessions": 1,  # S3
        "keynote_lectures": 0,
        "sessions_cancelled": 1,  # S5 (15 Oct)
        "submitted": 8,  # k1 k2 k5 k6 k8 k12 k14 k15
        "accepted": 8,  # k1 k2 k5 k6 k8 k12 k14 k15 (k3 k7 k13 in Sept, k4 k11 in Nov)
        "examined": 5,  # k1 k2 k3 k13 (S1) + k5 (T1)
        "examined_high_complexity": 3,  # k1 k2 k13
        "urgent_72h_share": 50.0,  # submitted in Oct: k1 ✓, k8 undiscussed → 1/2
        "referrals": 7,  # r1 r2 r3 r6 r11 (9 Oct) + r12 r13 (7 Oct in Tijuana)
        "patients_referred": 5,  # k1 k2 k13 k3 k5 (r11 proposed, r12 cancelled)
        "agreements_open": 3,  # a2 a4 a5 (sessions S1, T1)
        "agreements_done": 1,  # a1
        "agreements_overdue": 2,  # a2 a5
        "patients_referred_to_hito": 4,  # k1 k2 k13 k3 (r11 proposed; r12, r13 not HITO)
    }


def test_cases_view_figures_match_overview(network, admin):
    for args, expected in ((ALL, (14, 13, 10, 6, 33.3)), (OCTOBER, (8, 8, 5, 3, 50.0))):
        found = figures("cases", args, admin)
        assert tuple(found.values()) == expected


def counts(rows, key="label"):
    return {row[key]: (row["count"], row["share"]) for row in rows if row["count"]}


def test_cases_breakdowns_all_time(network, admin):
    # 14 submitted cases; shares are count / 14.
    assert counts(table("cases", "by_status", ALL, admin)) == {
        "submitted": (1, 7.1),  # k9
        "accepted": (2, 14.3),  # k7 k8
        "scheduled": (1, 7.1),  # k6
        "discussed": (1, 7.1),  # k3
        "recommendation issued": (9, 64.3),  # k1 k2 k4 k5 k11 k12 k13 k14 k15
    }
    assert counts(table("cases", "by_urgency", ALL, admin)) == {
        "routine": (7, 50.0),  # k3 k5 k7 k9 k11 k13 k15
        "priority": (4, 28.6),  # k2 k6 k12 k14
        "urgent": (3, 21.4),  # k1 k4 k8
    }
    assert counts(table("cases", "by_request", ALL, admin)) == {
        "Second opinion on diagnosis": (2, 14.3),  # k5 k9
        "Treatment plan": (4, 28.6),  # k3 k6 k7 k11
        "Transplant evaluation": (7, 50.0),  # k1 k2 k4 k12 k13 k14 k15
        "Other": (1, 7.1),  # k8 (k10's "referral" is a draft)
    }
    by_centre = table("cases", "by_centre", ALL, admin)
    assert [(r["label"], r["count"], r["share"]) for r in by_centre] == [
        ("CMN La Raza", 5, 35.7),  # k1 k2 k11 k13 k14
        ("CMN Siglo XXI", 4, 28.6),  # k3 k4 k12 k15
        ("HGZ No. 3 Guadalajara", 3, 21.4),  # k7 k8 k9
        ("HGR No. 1 Tijuana", 2, 14.3),  # k5 k6
    ]
    assert [(r["label"], r["count"]) for r in table("cases", "by_state", ALL, admin)] == [
        ("Ciudad de México", 9),  # 5 + 4
        ("Jalisco", 3),
        ("Baja California", 2),
    ]
    assert [(r["label"], r["count"]) for r in table("cases", "by_board", ALL, admin)] == [
        ("Comité Leucemias", 10),  # LL + TR: k1 k2 k3 k4 k7 k11 k12 k13 k14 k15
        ("Comité Tumores sólidos", 3),  # ST: k5 k6 k8
        ("No board", 1),  # k9, CNS tumours are routed nowhere
    ]


def test_turnaround_all_time(network, admin):
    # Waits in hours, sorted: 60 78 102 127 175 202 270 446 582 642 (n = 10).
    # Median: rank 0.5 × 9 = 4.5 → (175 + 202) / 2 = 188.5 h = 7.85 d → 7.9.
    # P90: rank 0.9 × 9 = 8.1 → 582 + 0.1 × (642 − 582) = 588 h = 24.5 d.
    # Referrals completed (hours from deciding session): r2 240 (S1 → 19 Oct),
    # r13 240 (k5's discussion T1 → 18 Oct 01:00), r5 480 (k14's S2 → 26 Nov),
    # r9 600 (S2 → 1 Dec). Median rank 1.5 → 360 h = 15 d; P90 rank 2.7 →
    # 480 + 0.7 × 120 = 564 h = 23.5 d.
    assert figures("turnaround", ALL, admin) == {
        "discussion_median_days": 7.9,
        "discussion_p90_days": 24.5,
        "referral_median_days": 15.0,
        "referral_p90_days": 23.5,
        "urgent_72h_share": 33.3,
    }
    assert table("turnaround", "turnaround", ALL, admin)[0]["count"] == 10
    assert table("turnaround", "turnaround", ALL, admin)[1]["count"] == 4


def test_turnaround_october(network, admin):
    # First discussed in Oct: 60 127 175 446 642 h. Median = 175 h = 7.29 d → 7.3.
    # P90: rank 0.9 × 4 = 3.6 → 446 + 0.6 × 196 = 563.6 h = 23.48 d → 23.5.
    # Referrals completed in Oct: r2 240 h, r13 240 h → 10 d and 10 d.
    assert figures("turnaround", OCTOBER, admin) == {
        "discussion_median_days": 7.3,
        "discussion_p90_days": 23.5,
        "referral_median_days": 10.0,
        "referral_p90_days": 10.0,
        "urgent_72h_share": 50.0,
    }


def test_turnaround_by_month(network, admin):
    rows = table("turnaround", "turnaround_by_month", ALL, admin)
    # Whole days: Oct k1 2, k5 5, k2 7, k3 18, k13 26 → median 7, P90 18 + 0.6 × 8 = 22.8.
    # Nov k11 3, k4 4, k14 8, k12 11, k15 24 → median 8, P90 11 + 0.6 × 13 = 18.8.
    # Dec (up to today): nothing.
    assert [(r["month"], r["count"]) for r in rows] == [
        ("2026-10", 5), ("2026-11", 5), ("2026-12", 0)
    ]  # fmt: skip
    assert rows[0]["median_days"] == 7 and rows[0]["p90_days"] == pytest.approx(22.8)
    assert rows[1]["median_days"] == 8 and rows[1]["p90_days"] == pytest.approx(18.8)
    assert rows[2]["median_days"] is None and rows[2]["p90_days"] is None


def test_referrals_all_time(network, admin):
    assert figures("referrals", ALL, admin) == {"referrals": 13, "patients_referred": 10}
    by_status = {r["status"]: r["count"] for r in table("referrals", "by_status", ALL, admin)}
    assert by_status == {
        "proposed": 1,  # r11
        "sent": 3,  # r1 r6 r10
        "accepted": 1,  # r3
        "declined": 1,  # r8
        "under evaluation / protocol": 1,  # r4
        "scheduled": 1,  # r7
        "completed": 4,  # r2 r5 r9 r13
        "cancelled": 1,  # r12
    }
    by_type = {r["type"]: r["count"] for r in table("referrals", "by_type", ALL, admin)}
    assert by_type == {
        "Haploidentical": 5,  # r1..r5
        "Related allogeneic": 0,
        "Unrelated allogeneic": 5,  # r6..r10
        "Autologous": 1,  # r11
        "Not a transplant": 2,  # r12 r13
    }
    receiving = table("referrals", "by_receiving_centre", ALL, admin)
    assert [(r["centre"], r["total"]) for r in receiving] == [("HITO", 12), ("CMN Siglo XXI", 1)]
    assert receiving[0]["completed"] == 3  # r2 r5 r9
    referring = table("referrals", "by_referring_centre", ALL, admin)
    assert [(r["centre"], r["total"]) for r in referring] == [
        ("CMN La Raza", 5),  # r1..r5
        ("CMN Siglo XXI", 5),  # r6..r10
        ("HGR No. 1 Tijuana", 2),  # r12 r13
        ("HGZ No. 3 Guadalajara", 1),  # r11
    ]


def test_hito_by_origin(network, admin):
    # La Raza: k1 k2 k13 k11 k14 = 5; Siglo XXI: k3 k4 k12 k15 (twice, once) = 4.
    # k7 (proposed, Guadalajara) and k5 (cancelled, Tijuana) sent nobody to HITO.
    assert table("referrals", "referred_to_hito", ALL, admin) == [
        {"centre": "CMN La Raza", "patients": 5},
        {"centre": "CMN Siglo XXI", "patients": 4},
        {"centre": "Total", "patients": 9},
    ]
    # October: r1 k1, r2 k2, r3 k13 from La Raza; r6 k3 from Siglo XXI.
    assert table("referrals", "referred_to_hito", OCTOBER, admin) == [
        {"centre": "CMN La Raza", "patients": 3},
        {"centre": "CMN Siglo XXI", "patients": 1},
        {"centre": "Total", "patients": 4},
    ]


def test_sessions_all_time(network, admin):
    assert figures("sessions", ALL, admin) == {
        "sessions_held": 6,
        "case_review_sessions": 3,
        "training_sessions": 2,
        "keynote_lectures": 1,
        "sessions_cancelled": 2,
        "agenda_use": 41.7,  # discussed 4 + 5 + 1 = 10 of places 9 + 9 + 6 = 24
        "attendance_average": 2.8,  # present 3+2+4+5+2+1 = 17 in 6 held sessions = 2.83
    }
    assert table("sessions", "sessions", ALL, admin) == [
        {"kind": "Case review", "planned": 1, "agenda_closed": 0, "held": 3, "cancelled": 2,
         "total": 6},  # S6 | S1 S2 T1 | S5 T3
        {"kind": "Training", "planned": 0, "agenda_closed": 0, "held": 2, "cancelled": 0,
         "total": 2},  # S3 T2
        {"kind": "Keynote lecture", "planned": 1, "agenda_closed": 0, "held": 1, "cancelled": 0,
         "total": 2},  # T4 | S4
    ]  # fmt: skip
    assert table("sessions", "agenda_use", ALL, admin) == [
        {"board": "Comité Leucemias", "places": 18, "discussed": 9, "use": 50.0},
        {"board": "Comité Tumores sólidos", "places": 6, "discussed": 1, "use": 16.7},
    ]
    assert table("sessions", "attendance_by_centre", ALL, admin) == [
        {"unit": "CMN La Raza", "present": 6, "sessions": 4},  # S1 1, S2 2, S3 1, S4 2
        {"unit": "HGR No. 1 Tijuana", "present": 5, "sessions": 4},  # S1 S4 T1×2 T2
        {"unit": "CMN Siglo XXI", "present": 3, "sessions": 3},  # S1 S3 S4
        {"unit": "HGZ No. 3 Guadalajara", "present": 3, "sessions": 2},  # S3×2 S4
    ]
    by_session = table("sessions", "attendance_by_session", ALL, admin)
    assert [(r["date"], r["number"], r["present"]) for r in by_session] == [
        ("2026-11-12", 4, 5), ("2026-11-11", 2, 1), ("2026-11-05", 2, 2),
        ("2026-10-22", 3, 4), ("2026-10-08", 1, 3), ("2026-10-07", 1, 2),
    ]  # fmt: skip


def test_sessions_october(network, admin):
    found = figures("sessions", OCTOBER, admin)
    assert found["agenda_use"] == 33.3  # S1 4 + T1 1 = 5 of 9 + 6 = 15
    assert found["attendance_average"] == 3.0  # S1 3 + S3 4 + T1 2 = 9 in 3 sessions


def test_sessions_per_month(network, admin):
    # Held, by month on Mexico City's clock: Oct S1 T1 (review), S3 (training);
    # Nov S2 (review), T2 (training, 11 Nov), S4 (keynote); Dec nothing yet.
    assert table("overview", "sessions_by_month", ALL, admin) == [
        {"month": "2026-10", "case_review": 2, "training": 1, "keynote": 0},
        {"month": "2026-11", "case_review": 1, "training": 1, "keynote": 1},
        {"month": "2026-12", "case_review": 0, "training": 0, "keynote": 0},
    ]
    # A one-month period is charted among the eleven months before it (test_figures_page).
    assert table("sessions", "sessions_by_month", OCTOBER, admin)[-1] == {
        "month": "2026-10", "case_review": 2, "training": 1, "keynote": 0, "chosen": "Yes",
    }  # fmt: skip


def test_outcomes_all_time(network, admin):
    assert figures("outcomes", ALL, admin) == {
        "recommendations": 10,
        "recommendations_carried_out": 55.6,  # yes 5 of 9 answered (k11 not answered)
        "deferred_missing_material": 1,  # k7, deferred twice (S1, S2)
        "agreements_open": 4,
        "agreements_done": 2,
        "agreements_overdue": 2,
    }
    assert table("outcomes", "adherence", ALL, admin) == [
        {"adherence": "Carried out", "count": 5, "share": 55.6},  # k1 k2 k13 k4 k14
        {"adherence": "Partly carried out", "count": 2, "share": 22.2},  # k3 k12
        {"adherence": "Not carried out", "count": 2, "share": 22.2},  # k5 k15
        {"adherence": "Not answered yet", "count": 1, "share": None},  # k11
    ]
    categories = {r["category"]: r["count"] for r in table("outcomes", "by_category", ALL, admin)}
    assert {k: v for k, v in categories.items() if v} == {
        "Referral": 6, "Treatment plan": 2, "Further studies": 1, "Confirm diagnosis": 1,
    }  # fmt: skip
    reasons = table("outcomes", "adherence_reasons", ALL, admin)
    codes = {key: f"CE-{case.id:04d}" for key, case in network.cases.items()}
    assert [(r["date"], r["case"], r["adherence"]) for r in reasons] == [
        ("2026-11-25", codes["k15"], "Not carried out"),
        ("2026-11-20", codes["k12"], "Partly carried out"),
        ("2026-10-25", codes["k5"], "Not carried out"),
        ("2026-10-20", codes["k3"], "Partly carried out"),
    ]
    assert table("outcomes", "deferrals", ALL, admin) == [
        {"reason": "Material missing", "deferrals": 2, "cases": 1},  # k7 in S1 and S2
        {"reason": "Out of time", "deferrals": 0, "cases": 0},
        {"reason": "Other", "deferrals": 1, "cases": 1},  # k8 in T1
    ]
    assert table("outcomes", "agreements", ALL, admin) == [
        {"board": "Comité Leucemias", "open": 2, "done": 2, "overdue": 1},  # a2 a3 | a1 a6 | a2
        {"board": "Comité Tumores sólidos", "open": 2, "done": 0, "overdue": 1},  # a4 a5 | a5
    ]


def test_outcomes_october(network, admin):
    assert figures("outcomes", OCTOBER, admin) == {
        "recommendations": 5,  # S1: k1 k2 k3 k13; T1: k5
        "recommendations_carried_out": 60.0,  # yes k1 k2 k13 = 3 of 5
        "deferred_missing_material": 1,  # k7 in S1
        "agreements_open": 3,
        "agreements_done": 1,
        "agreements_overdue": 2,
    }
