"""The operator's product catalogue as shipped; administrators edit prices and add products."""

from decimal import Decimal

from django.db import migrations

PRODUCTS = [
    # code, zh, en, family, has_circuit, list monthly, list one-time
    ("digital_circuit", "数字电路", "Digital circuit", "data", True, "2800", "3000"),
    ("ddn", "DDN 专线", "DDN leased line", "data", True, "2200", "2500"),
    ("frame_relay", "帧中继", "Frame relay", "data", True, "2000", "2500"),
    ("atm", "ATM 专线", "ATM leased line", "data", True, "6000", "5000"),
    ("internet_leased_line", "互联网专线", "Internet leased line", "internet", True, "3500", "2000"),
    ("ip_vpn", "IP-VPN", "IP-VPN", "data", True, "2500", "1500"),
    ("voice_trunk", "语音中继/PBX", "Voice trunk / PBX", "voice", True, "1200", "1000"),
    ("voice_usage", "话费（本地与长途）", "Voice usage (local and long distance)", "voice", False, "0", "0"),
    ("mobile_package", "移动集团套餐", "Mobile group package", "mobile", True, "128", "0"),
    ("idc", "IDC 机柜托管", "IDC colocation", "cloud", False, "4500", "2000"),
    ("cloud", "天翼云", "Cloud", "cloud", False, "3000", "0"),
]


def create(apps, schema_editor):
    Product = apps.get_model("catalog", "Product")
    for order, (code, zh, en, family, circuit, monthly, one_time) in enumerate(PRODUCTS):
        Product.objects.update_or_create(
            code=code,
            defaults={
                "name_zh": zh,
                "name_en": en,
                "family": family,
                "has_circuit": circuit,
                "list_monthly_fee": Decimal(monthly),
                "list_one_time_fee": Decimal(one_time),
                "sort_order": order,
            },
        )


class Migration(migrations.Migration):
    dependencies = [("catalog", "0001_initial")]
    operations = [migrations.RunPython(create, migrations.RunPython.noop)]
