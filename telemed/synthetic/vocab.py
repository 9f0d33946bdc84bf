"""The mixes and texts the generator draws from: plausible, short and never about real people."""

from __future__ import annotations

from telemed.core.vocabulary import RequestKind, Specialty
from telemed.referrals.models import TransplantType
from telemed.room.models import Adherence, RecommendationCategory
from telemed.sessions.models import DeferralReason

# Share of cases per specialty (leukaemia is the commonest childhood cancer).
SPECIALTY_WEIGHTS: dict[Specialty, float] = {
    Specialty.LEUKAEMIA_LYMPHOMA: 0.38,
    Specialty.SOLID_TUMOURS: 0.22,
    Specialty.CNS_TUMOURS: 0.14,
    Specialty.BONE_SOFT_TISSUE: 0.10,
    Specialty.TRANSPLANT: 0.08,
    Specialty.PALLIATIVE_CARE: 0.08,
}

# Transplant evaluations only on the transplant specialty (its board), as the routing wants.
REQUEST_KINDS: dict[Specialty, dict[RequestKind, float]] = {
    Specialty.LEUKAEMIA_LYMPHOMA: {
        RequestKind.DIAGNOSIS_OPINION: 0.40, RequestKind.TREATMENT_PLAN: 0.45,
        RequestKind.REFERRAL: 0.05, RequestKind.OTHER: 0.10,
    },
    Specialty.SOLID_TUMOURS: {
        RequestKind.DIAGNOSIS_OPINION: 0.45, RequestKind.TREATMENT_PLAN: 0.40,
        RequestKind.REFERRAL: 0.08, RequestKind.OTHER: 0.07,
    },
    Specialty.CNS_TUMOURS: {
        RequestKind.DIAGNOSIS_OPINION: 0.45, RequestKind.TREATMENT_PLAN: 0.40,
        RequestKind.REFERRAL: 0.10, RequestKind.OTHER: 0.05,
    },
    Specialty.BONE_SOFT_TISSUE: {
        RequestKind.DIAGNOSIS_OPINION: 0.40, RequestKind.TREATMENT_PLAN: 0.45,
        RequestKind.REFERRAL: 0.10, RequestKind.OTHER: 0.05,
    },
    Specialty.TRANSPLANT: {
        RequestKind.TRANSPLANT_EVALUATION: 0.90, RequestKind.DIAGNOSIS_OPINION: 0.10,
    },
    Specialty.PALLIATIVE_CARE: {
        RequestKind.PALLIATIVE_CARE: 0.90, RequestKind.OTHER: 0.10,
    },
}  # fmt: skip

DIAGNOSES: dict[Specialty, tuple[tuple[str, str], ...]] = {
    Specialty.LEUKAEMIA_LYMPHOMA: (
        ("C91.0", "Leucemia linfoblástica aguda de precursores B"),
        ("C92.0", "Leucemia mieloide aguda"),
        ("C83.3", "Linfoma difuso de células B grandes"),
        ("C81.9", "Linfoma de Hodgkin"),
    ),
    Specialty.SOLID_TUMOURS: (
        ("C64", "Tumor de Wilms"),
        ("C74.9", "Neuroblastoma"),
        ("C22.2", "Hepatoblastoma"),
        ("C69.2", "Retinoblastoma"),
    ),
    Specialty.CNS_TUMOURS: (
        ("C71.6", "Meduloblastoma"),
        ("C71.9", "Glioma de bajo grado"),
        ("C71.7", "Glioma difuso de línea media"),
    ),
    Specialty.BONE_SOFT_TISSUE: (
        ("C40.2", "Osteosarcoma de fémur distal"),
        ("C41.4", "Sarcoma de Ewing pélvico"),
        ("C49.9", "Rabdomiosarcoma embrionario"),
    ),
    Specialty.TRANSPLANT: (
        ("C91.0", "Leucemia linfoblástica aguda en recaída medular"),
        ("C92.0", "Leucemia mieloide aguda de alto riesgo"),
        ("D61.9", "Anemia aplásica grave"),
    ),
    Specialty.PALLIATIVE_CARE: (
        ("C71.7", "Glioma difuso de tallo cerebral progresivo"),
        ("C74.9", "Neuroblastoma metastásico refractario"),
    ),
}

QUESTIONS: dict[RequestKind, str] = {
    RequestKind.DIAGNOSIS_OPINION: "¿Se confirma el diagnóstico con el inmunofenotipo y la imagen?",
    RequestKind.TREATMENT_PLAN: "¿Qué esquema de tratamiento recomienda el comité?",
    RequestKind.TRANSPLANT_EVALUATION: "¿Es candidato a trasplante haploidéntico?",
    RequestKind.PALLIATIVE_CARE: "¿Conviene iniciar manejo paliativo exclusivo?",
    RequestKind.REFERRAL: "¿A qué unidad referir para el tratamiento local?",
    RequestKind.OTHER: "Solicitamos segunda opinión del comité.",
}

CATEGORIES: dict[RequestKind, dict[RecommendationCategory, float]] = {
    RequestKind.DIAGNOSIS_OPINION: {
        RecommendationCategory.CONFIRM_DIAGNOSIS: 0.55,
        RecommendationCategory.REVISE_DIAGNOSIS: 0.15,
        RecommendationCategory.FURTHER_STUDIES: 0.30,
    },
    RequestKind.TREATMENT_PLAN: {
        RecommendationCategory.TREATMENT_PLAN: 0.60,
        RecommendationCategory.CONTINUE_TREATMENT: 0.25,
        RecommendationCategory.FURTHER_STUDIES: 0.15,
    },
    RequestKind.TRANSPLANT_EVALUATION: {
        RecommendationCategory.REFERRAL: 0.55, RecommendationCategory.FURTHER_STUDIES: 0.25,
        RecommendationCategory.CONTINUE_TREATMENT: 0.20,
    },
    RequestKind.PALLIATIVE_CARE: {
        RecommendationCategory.PALLIATIVE_CARE: 0.85, RecommendationCategory.OTHER: 0.15,
    },
    RequestKind.REFERRAL: {
        RecommendationCategory.REFERRAL: 0.60, RecommendationCategory.TREATMENT_PLAN: 0.40,
    },
    RequestKind.OTHER: {
        RecommendationCategory.OTHER: 0.50, RecommendationCategory.FURTHER_STUDIES: 0.50,
    },
}  # fmt: skip

RECOMMENDATION_TEXTS: dict[RecommendationCategory, str] = {
    RecommendationCategory.CONFIRM_DIAGNOSIS: "Se confirma el diagnóstico; continuar protocolo.",
    RecommendationCategory.REVISE_DIAGNOSIS: "Revisar diagnóstico: enviar laminillas a patología.",
    RecommendationCategory.FURTHER_STUDIES: "Completar estudios: inmunofenotipo y EMR.",
    RecommendationCategory.TREATMENT_PLAN: "Iniciar esquema con asparaginasa pegilada.",
    RecommendationCategory.CONTINUE_TREATMENT: "Continuar tratamiento actual; revalorar.",
    RecommendationCategory.PALLIATIVE_CARE: "Manejo paliativo; apoyo a la familia.",
    RecommendationCategory.REFERRAL: "Referir a unidad con capacidad resolutiva.",
    RecommendationCategory.OTHER: "Seguimiento por el centro referente.",
}

ADHERENCE_WEIGHTS = {Adherence.YES: 0.70, Adherence.PARTLY: 0.20, Adherence.NO: 0.10}
ADHERENCE_REASONS = (
    "No se contó con el medicamento a tiempo.",
    "La familia no aceptó el traslado.",
    "Estudio no disponible en la unidad.",
    "Evolución clínica cambió el plan.",
)

DEFERRAL_WEIGHTS = {
    DeferralReason.MISSING_MATERIAL: 0.60,
    DeferralReason.NO_TIME: 0.25,
    DeferralReason.OTHER: 0.15,
}

TRANSPLANT_WEIGHTS = {
    TransplantType.HAPLOIDENTICAL: 0.50,
    TransplantType.RELATED_ALLOGENEIC: 0.25,
    TransplantType.UNRELATED_ALLOGENEIC: 0.15,
    TransplantType.AUTOLOGOUS: 0.10,
}

# What a non-transplant referral needs from the receiving centre, by specialty.
REFERRAL_NEEDS: dict[Specialty, tuple[str, ...]] = {
    Specialty.LEUKAEMIA_LYMPHOMA: ("has_blood_bank", "has_paediatric_icu"),
    Specialty.SOLID_TUMOURS: ("has_linear_accelerator",),
    Specialty.CNS_TUMOURS: ("has_neurosurgery", "has_mri"),
    Specialty.BONE_SOFT_TISSUE: ("has_orthopaedics",),
    Specialty.PALLIATIVE_CARE: ("has_paediatric_icu",),
}

TRAINING_TOPICS = (
    "Cuidados paliativos pediátricos",
    "Hora Dorada: neutropenia febril",
    "Escala de alerta temprana EVAT",
    "Preparación para inmunoterapia",
    "Comunicación de malas noticias",
    "Oferta educativa de la red",
)
KEYNOTE_TOPICS = (
    "Trasplante haploidéntico en pediatría",
    "Enfermedad mínima residual en LLA",
    "Avances en tumores del sistema nervioso central",
    "Radioterapia pediátrica de precisión",
    "Sarcomas óseos: cirugía de preservación",
)

# Doctors' names for guests and speakers (invented combinations; no patients here).
FIRST_NAMES = ("Ana", "Luis", "María", "Jorge", "Sofía", "Carlos", "Elena", "Raúl", "Paula",
               "Andrés", "Lucía", "Miguel", "Teresa", "Víctor", "Rosa", "Héctor")  # fmt: skip
SURNAMES = ("Ramírez", "Torres", "Gómez", "Flores", "Vázquez", "Castillo", "Morales",
            "Herrera", "Medina", "Aguilar", "Ortiz", "Salazar", "Navarro", "Cruz")  # fmt: skip
GUEST_DISCIPLINES = ("radiology", "pathology", "radiotherapy", "surgery", "haematology",
                     "paediatric_oncology", "nursing", "palliative_care")  # fmt: skip
AGREEMENT_TEXTS = (
    "Enviar laminillas a revisión central.",
    "Gestionar cita en HITO para valoración de trasplante.",
    "Completar estudios de extensión y presentar de nuevo.",
    "Informar al comité la respuesta al tratamiento.",
    "Solicitar insumos a la coordinación delegacional.",
)
