"""The fixed vocabularies of the case (api.md). Plain tuples and no imports: the domain,
the HTTP schemas and the stream contract all read them, so a term is added in one place."""

SEXES = ("female", "male")
SCHOOL_STATUSES = ("enrolled", "dropped_out", "not_in_school")
PARENT_RELATIONS = ("father", "mother")
PARENT_STATUSES = (
    "working_away",
    "at_home",
    "deceased",
    "unknown",
    "incarcerated",
    "lacks_capacity",
)
# A parent in one of these states cannot act as the child's guardian.
PARENT_UNABLE_STATUSES = frozenset({"deceased", "unknown", "incarcerated", "lacks_capacity"})
GUARDIAN_TYPES = (
    "parent",
    "grandparent",
    "other_relative",
    "entrusted_adult",
    "institution",
    "none",
)
# Guardians whom the parents may entrust in writing (委托监护确认书): a person, not an
# institution and not nobody.
ENTRUSTABLE_GUARDIAN_TYPES = ("grandparent", "other_relative", "entrusted_adult")
CAPACITIES = ("able", "limited", "unable")
SOURCES = ("survey", "school", "police", "hotline", "self_report", "other")
VISIT_MODES = ("home", "phone", "video", "school")
LIVING_CONDITIONS = ("good", "fair", "poor")
SCHOOL_ATTENDANCE = ("regular", "irregular", "dropped_out", "not_applicable")
EMOTIONAL_STATES = ("stable", "lonely", "distressed", "withdrawn")
SAFETY_CONCERNS = ("neglect", "suspected_abuse", "domestic_violence", "abandonment", "living_alone")
# The concerns that are harm done to the child: a visit that finds one alerts the police.
CONCERNS_OF_HARM = ("suspected_abuse", "domestic_violence", "abandonment")
RISK_LEVELS = ("low", "medium", "high")
INTERVENTION_KINDS = (
    "admonition_talk",
    "mandatory_report",
    "temporary_guardianship",
    "dropout_prevention",
    "health_protection",
    "household_registration",
    "psychological_support",
    "material_assistance",
    "family_education",
    "legal_aid",
)
DEPARTMENTS = ("civil_affairs", "education", "police", "health", "womens_federation", "court")
URGENCIES = ("routine", "urgent", "immediate")
# The interventions that hand a case to the police, who see no other case (access.may_see):
# a mandatory report (强制报告), and the household registration (落户) the rules open for a
# child without hukou. Other police work on a case does not make it theirs to read.
POLICE_CASE_KINDS = ("mandatory_report", "household_registration")
CLOSURE_REASONS = ("parents_returned", "reached_16", "moved_out", "no_longer_eligible", "duplicate")
CASE_STATUSES = ("active", "closed")
# School changes (控辍保学) and the school status each leaves on the record.
SCHOOL_CHANGES = ("enrolled", "returned", "dropped_out")
SCHOOL_STATUS_AFTER_CHANGE = {
    "enrolled": "enrolled",
    "returned": "enrolled",
    "dropped_out": "dropped_out",
}

# Days until the next visit is due when the visitor does not say, by risk level.
VISIT_INTERVAL_DAYS = {"high": 7, "medium": 30, "low": 90}
AGE_LIMIT_YEARS = 16

# Why two cases are likely the same child (case.duplicate_suspected; register/lookalikes.py):
# the same birth date, and the same name read the same way (pinyin) or a parent's phone
# number in common (the same parents); in a neighbouring village of the same township.
DUPLICATE_REASONS = ("name_reading", "birth_date", "same_parents", "nearby_village")
# Why a case's personal data is erased (issue 10): recorded in clear, so an auditor sees
# the ground of every erasure after the data itself is gone.
ERASURE_BASES = ("registered_in_error", "retention_expired", "court_order", "guardian_request")

# Review before it counts (填表人 / 复核人, issue 11): what a review is of, and the key facts
# whose change by a village child director waits for the township supervisor's review.
REVIEW_SUBJECTS = ("identification", "change", "closure")
# Closures the child's calendar proposes for review (a subset of CLOSURE_REASONS).
CLOSURE_PROPOSALS = ("reached_16", "parents_returned")
REVIEW_STATUSES = ("confirmed", "pending", "returned")
KEY_FACTS = ("child.birth_date", "child.id_number", "guardian.type")
# A review waiting this many days is notified to the reviewer (notify's scheduler).
REVIEW_WAIT_DAYS = 3

# Care sites (关爱保护场所, issue 12): the kinds, and the life of a site. A site is planned,
# then built, then opened to children, and at last closed; each step only forward.
SITE_KINDS = (
    "children_home",  # 儿童之家
    "elderly_centre",  # a site in an elderly-care centre (老年之家)
    "school_based",  # in a school
    "community_centre",  # a community service centre
    "womens_federation_home",  # 妇联儿童家园
)
SITE_STATUSES = ("planned", "built", "open", "closed")
# Each status a site may move to, and the statuses it may move there from.
SITE_MOVES = {
    "built": ("planned",),
    "open": ("built",),
    "closed": ("planned", "built", "open"),
}
