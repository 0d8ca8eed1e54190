"""The largest discount each grade merits (domain §1: higher value, better terms; the
figures are defaults the operator changes as data)."""

from decimal import Decimal

from django.db import migrations

DISCOUNTS = {
    ("commercial", "d"): "0",
    ("commercial", "c"): "2",
    ("commercial", "b"): "4",
    ("commercial", "a"): "6",
    ("key", "crystal"): "8",
    ("key", "silver"): "10",
    ("key", "gold"): "12",
    ("key", "platinum"): "15",
    ("key", "diamond"): "18",
    ("key", "crown"): "20",
}


def seed(apps, schema_editor):
    GradeBand = apps.get_model("accounts", "GradeBand")
    for (segment, code), pct in DISCOUNTS.items():
        GradeBand.objects.filter(segment=segment, code=code).update(max_discount_pct=Decimal(pct))


class Migration(migrations.Migration):
    dependencies = [("accounts", "0004_grade_discount")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
