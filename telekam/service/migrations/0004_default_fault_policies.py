"""The three SLA quality levels as shipped data (domain §5 leaves the numbers to us).

gold: 99.95 % a month, respond in 15 minutes, restore in 4 hours;
silver: 99.9 %, 30 minutes, 8 hours; bronze: 99.5 %, 60 minutes, 24 hours.
Short of the promise, each started 0.1 percentage point credits 10 % of the circuit's
monthly fee, at most 50 %.
"""

from decimal import Decimal

from django.db import migrations

LEVELS = {
    "gold": ("99.950", 15, 4 * 60),
    "silver": ("99.900", 30, 8 * 60),
    "bronze": ("99.500", 60, 24 * 60),
}


def seed(apps, schema_editor):
    FaultPolicy = apps.get_model("service", "FaultPolicy")
    for level, (availability, response, restore) in LEVELS.items():
        FaultPolicy.objects.update_or_create(
            sla_level=level,
            defaults={
                "availability_pct": Decimal(availability),
                "response_minutes": response,
                "restore_minutes": restore,
                "credit_step_pct": Decimal("0.100"),
                "credit_per_step": Decimal("0.1000"),
                "credit_cap": Decimal("0.5000"),
            },
        )


class Migration(migrations.Migration):
    dependencies = [("service", "0003_desk")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
