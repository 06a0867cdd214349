from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LogisticsConfig(AppConfig):
    name = "bci.logistics"
    label = "logistics"
    verbose_name = _("Logistics")

    def ready(self):
        from .national import admin  # noqa: F401  (registers the national IBL admin)
