"""Default visit standards (domain §6: crystal 2 visits a quarter and 1 call a month, A+
commercial 1 and 1; higher grades more), extra-visit rules and staffing parameters."""

from decimal import Decimal

from django.db import migrations

STANDARDS = {
    ("key", "crown"): (12, 4),
    ("key", "diamond"): (8, 4),
    ("key", "platinum"): (6, 3),
    ("key", "gold"): (4, 2),
    ("key", "silver"): (3, 2),
    ("key", "crystal"): (2, 1),
    ("commercial", "a"): (1, 1),
    ("commercial", "b"): (0, 1),
}
RULES = {"major_event": (1, 14), "renewal_due": (1, 30), "churn_warning": (1, 7)}


def seed(apps, schema_editor):
    GradeBand = apps.get_model("accounts", "GradeBand")
    VisitStandard = apps.get_model("engagement", "VisitStandard")
    for (segment, code), (visits, calls) in STANDARDS.items():
        grade = GradeBand.objects.filter(segment=segment, code=code).first()
        if grade is not None:
            VisitStandard.objects.update_or_create(
                grade=grade,
                defaults={
                    "visits_per_quarter": visits,
                    "calls_per_month": calls,
                    "visit_hours": Decimal("3.00"),
                    "call_hours": Decimal("0.50"),
                },
            )
    ExtraVisitRule = apps.get_model("engagement", "ExtraVisitRule")
    for trigger, (visits, days) in RULES.items():
        ExtraVisitRule.objects.update_or_create(
            trigger=trigger, defaults={"visits": visits, "within_days": days}
        )
    StaffingParameters = apps.get_model("engagement", "StaffingParameters")
    if not StaffingParameters.objects.exists():
        StaffingParameters.objects.create()


class Migration(migrations.Migration):
    dependencies = [("engagement", "0001_initial"), ("accounts", "0005_default_grade_discounts")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
