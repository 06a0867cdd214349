from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "bci.core"
    label = "core"
    verbose_name = "BCI"
