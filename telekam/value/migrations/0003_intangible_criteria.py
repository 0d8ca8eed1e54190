from decimal import Decimal

from django.db import migrations

CRITERIA = [
    ("brand", "品牌影响力", "Brand influence", "25"),
    ("satisfaction", "满意度", "Satisfaction", "25"),
    ("referrals", "推荐与口碑", "Referrals", "15"),
    ("strategic", "战略价值", "Strategic value", "15"),
    ("social", "社会价值", "Social value", "10"),
    ("guarantee", "信用与担保", "Credit and guarantees", "10"),
]


def seed(apps, schema_editor):
    Criterion = apps.get_model("value", "IntangibleCriterion")
    for i, (code, zh, en, weight) in enumerate(CRITERIA):
        Criterion.objects.get_or_create(
            code=code,
            defaults={"name_zh": zh, "name_en": en, "weight": Decimal(weight), "sort_order": i},
        )


class Migration(migrations.Migration):
    dependencies = [("value", "0002_intangible")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
