"""The competitor prefixes and trunk carriers every mainland operator starts from, and the
default thresholds. Operators edit them on the rules page."""

from django.db import migrations

RULES = [
    ("china_unicom", "prefix", "17911", "联通 IP 长途"),
    ("china_unicom", "prefix", "17910", "联通 IP 长途（卡号）"),
    ("china_unicom", "prefix", "17931", "网通企业 IP（现联通）"),
    ("china_unicom", "prefix", "10193", "联通长途"),
    ("china_mobile", "prefix", "17951", "移动 IP 长途"),
    ("china_mobile", "prefix", "12593", "移动 IP 长途"),
    ("china_unicom", "trunk", "CUCC", "联通出中继"),
    ("china_mobile", "trunk", "CMCC", "移动出中继"),
    ("china_broadnet", "trunk", "CBN", "广电出中继"),
]


def seed(apps, schema_editor):
    CompetitorRule = apps.get_model("retention", "CompetitorRule")
    ChurnThreshold = apps.get_model("retention", "ChurnThreshold")
    for competitor, kind, value, label in RULES:
        CompetitorRule.objects.get_or_create(
            kind=kind, value=value, defaults={"competitor": competitor, "label": label}
        )
    if not ChurnThreshold.objects.filter(grade__isnull=True).exists():
        ChurnThreshold.objects.create(grade=None)


class Migration(migrations.Migration):
    dependencies = [("retention", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
