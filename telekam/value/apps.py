from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ValueConfig(AppConfig):
    name = "telekam.value"
    label = "value"
    verbose_name = _("客户价值与考核")
