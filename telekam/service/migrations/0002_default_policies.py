"""The provisioning SLA table of domain §5 as shipped data.

Digital circuit 5/10/20 working days; DDN, frame relay and ATM 8/13/20 (special, urgent,
normal). Price of the one-time fee 150% / 130% / 100%; compensation 5% / 5% / 2% of the
one-time fee per working day late, capped at the fee. The catalogue's other products start
with the digital-circuit promise (a default the operator changes as data).
"""

from decimal import Decimal

from django.db import migrations

TERMS = {"special": ("1.50", "0.05"), "urgent": ("1.30", "0.05"), "normal": ("1.00", "0.02")}
DAYS = {
    "digital_circuit": (5, 10, 20),
    "ddn": (8, 13, 20),
    "frame_relay": (8, 13, 20),
    "atm": (8, 13, 20),
}
DEFAULT_DAYS = (5, 10, 20)


def seed(apps, schema_editor):
    Product = apps.get_model("catalog", "Product")
    Policy = apps.get_model("service", "ProvisioningPolicy")
    for product in Product.objects.all():
        days = DAYS.get(product.code, DEFAULT_DAYS)
        for sla_class, working_days in zip(("special", "urgent", "normal"), days, strict=True):
            factor, rate = TERMS[sla_class]
            Policy.objects.update_or_create(
                product=product,
                sla_class=sla_class,
                defaults={
                    "working_days": working_days,
                    "price_factor": Decimal(factor),
                    "compensation_rate": Decimal(rate),
                },
            )


class Migration(migrations.Migration):
    dependencies = [("service", "0001_initial"), ("catalog", "0002_default_products")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
