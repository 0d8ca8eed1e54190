"""Seed the working-day calendar from the chinese-calendar library (years it knows).

Later years are entered by an administrator from each year's State Council notice.
"""

from django.db import migrations


def seed(apps, schema_editor):
    from chinese_calendar import constants

    CalendarYear = apps.get_model("core", "CalendarYear")
    CalendarDay = apps.get_model("core", "CalendarDay")
    days = {}
    for day, holiday in constants.holidays.items():
        if day.weekday() < 5:
            days[day] = (False, _label(holiday))
    for day, holiday in constants.workdays.items():
        if day.weekday() >= 5:
            days[day] = (True, _label(holiday) + "调休")
    years = sorted({d.year for d in constants.holidays})
    CalendarYear.objects.bulk_create(
        [CalendarYear(year=y, source="library") for y in years], ignore_conflicts=True
    )
    CalendarDay.objects.bulk_create(
        [CalendarDay(day=d, is_working_day=w, name=n[:40]) for d, (w, n) in sorted(days.items())],
        ignore_conflicts=True,
    )


ZH = {
    "New Year's Day": "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "National Day": "国庆节",
    "Mid-autumn Festival": "中秋节",
    "Anti-Fascist 70th Day": "抗战胜利纪念日",
}


def _label(holiday) -> str:
    value = holiday if isinstance(holiday, str) else str(holiday)
    english = value.split(",")[0].strip() if value else ""
    for key, zh in ZH.items():
        if key.lower() in english.lower():
            return zh
    return english[:30]


def unseed(apps, schema_editor):
    apps.get_model("core", "CalendarDay").objects.all().delete()
    apps.get_model("core", "CalendarYear").objects.filter(source="library").delete()


class Migration(migrations.Migration):
    dependencies = [("core", "0003_working_calendar")]
    operations = [migrations.RunPython(seed, unseed)]

