"""The default grade scheme (domain §1). Crystal and A+ bounds are from the sources; the
other bounds and the star mapping are defaults an administrator can change."""

from decimal import Decimal

from django.db import migrations

BANDS = [
    # segment, code, zh, en, min, max, stars, rank
    ("key", "crown", "皇冠", "Crown", "1000000", None, 5, 10),
    ("key", "diamond", "钻石", "Diamond", "300000", "1000000", 5, 9),
    ("key", "platinum", "白金", "Platinum", "100000", "300000", 4, 8),
    ("key", "gold", "金", "Gold", "30000", "100000", 3, 7),
    ("key", "silver", "银", "Silver", "10000", "30000", 2, 6),
    ("key", "crystal", "水晶", "Crystal", "3000", "10000", 1, 5),
    ("commercial", "a", "A+", "A+", "1500", "3000", 0, 4),
    ("commercial", "b", "B", "B", "800", "1500", 0, 3),
    ("commercial", "c", "C", "C", "300", "800", 0, 2),
    ("commercial", "d", "D", "D", "0", "300", 0, 1),
]


def create(apps, schema_editor):
    GradeBand = apps.get_model("accounts", "GradeBand")
    for segment, code, zh, en, low, high, stars, rank in BANDS:
        GradeBand.objects.update_or_create(
            segment=segment,
            code=code,
            defaults={
                "name_zh": zh,
                "name_en": en,
                "min_monthly": Decimal(low),
                "max_monthly": Decimal(high) if high else None,
                "star_level": stars,
                "rank": rank,
            },
        )


class Migration(migrations.Migration):
    dependencies = [("accounts", "0002_initial")]
    operations = [migrations.RunPython(create, migrations.RunPython.noop)]
