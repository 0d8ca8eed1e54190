"""Default discount limits per role (an AM alone up to 10 %, a group lead 20 %, the
department head 35 %) and the appraisal thresholds (12 % a year, 36 months payback)."""

from decimal import Decimal

from django.db import migrations

LIMITS = {"account_manager": "10", "group_lead": "20", "department_head": "35"}


def seed(apps, schema_editor):
    DiscountLimit = apps.get_model("sales", "DiscountLimit")
    for role, pct in LIMITS.items():
        DiscountLimit.objects.update_or_create(role=role, defaults={"max_discount_pct": Decimal(pct)})
    AppraisalThresholds = apps.get_model("sales", "AppraisalThresholds")
    if not AppraisalThresholds.objects.exists():
        AppraisalThresholds.objects.create()


class Migration(migrations.Migration):
    dependencies = [("sales", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
