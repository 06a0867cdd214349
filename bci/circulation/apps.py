from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save
from django.utils.translation import gettext_lazy as _


class CirculationConfig(AppConfig):
    name = "bci.circulation"
    label = "circulation"
    verbose_name = _("Circulation")

    def ready(self):
        from bci.catalogue.models import Item

        from .models import LoanRule
        from .rules import rule_changed
        from .signals import item_saved

        post_save.connect(item_saved, sender=Item, dispatch_uid="circulation.item_saved")
        post_save.connect(rule_changed, sender=LoanRule, dispatch_uid="circulation.rule_saved")
        post_delete.connect(rule_changed, sender=LoanRule, dispatch_uid="circulation.rule_deleted")
