"""The groups of the Beijing key-account department (domain §2)."""

from django.db import migrations

GROUPS = [
    ("government", "党政军组", "Government, Party & Military", "industry"),
    ("finance", "金融组", "Finance", "industry"),
    ("enterprise", "企业组", "Enterprise", "industry"),
    ("hightech", "信息高科技组", "IT & High-tech", "industry"),
    ("multinational", "跨国组", "Multinational", "industry"),
    ("expansion", "行业拓展组", "Industry Expansion", "industry"),
    ("analysis", "综合组", "Analysis & KPIs", "analysis"),
    ("support", "支撑组", "Process Support & VIP Service", "support"),
]


def create(apps, schema_editor):
    IndustryGroup = apps.get_model("org", "IndustryGroup")
    for order, (code, zh, en, kind) in enumerate(GROUPS):
        IndustryGroup.objects.update_or_create(
            code=code, defaults={"name_zh": zh, "name_en": en, "kind": kind, "sort_order": order}
        )


class Migration(migrations.Migration):
    dependencies = [("org", "0001_initial")]
    operations = [migrations.RunPython(create, migrations.RunPython.noop)]
