from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RetentionConfig(AppConfig):
    name = "telekam.retention"
    label = "retention"
    verbose_name = _("流失预警与挽留")
