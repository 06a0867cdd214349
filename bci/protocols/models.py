"""SIP2 terminal accounts: the self-service kiosks and return sorters that log in over SIP2.

A terminal is not a staff user: it stands in one branch, speaks for one institution id and
may do only what its flags allow. The SIP2 server reads the row on every login and checks
``is_enabled`` and the flags on every message, so changes apply without a restart.
"""

from django.contrib.auth.hashers import Argon2PasswordHasher, check_password, make_password
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class TerminalPasswordHasher(Argon2PasswordHasher):
    """Argon2id with lighter parameters than staff passwords (8 MiB, 2 passes, 1 lane).

    Terminal passwords are long machine secrets, and after a server restart every kiosk
    of the network logs in again at once: at Django's staff settings (100 MiB, 8 lanes)
    500 logins would take minutes and a burst of memory. Verification reads the parameters
    from the stored hash, so the project's Argon2 hasher checks these hashes as usual.
    """

    time_cost = 2
    memory_cost = 8192
    parallelism = 1


TERMINAL_HASHER = TerminalPasswordHasher()


class Sip2Terminal(models.Model):
    login = models.CharField(
        _("login name"),
        max_length=64,
        unique=True,
        help_text=_("The SIP2 login user id (CN) the kiosk sends."),
    )
    password_hash = models.CharField(_("password"), max_length=200, editable=False)
    name = models.CharField(_("description"), max_length=200, blank=True)
    branch = models.ForeignKey(
        "organisations.Node",
        verbose_name=_("branch"),
        on_delete=models.PROTECT,
        related_name="sip2_terminals",
        help_text=_("Where the kiosk stands: loans and returns happen here."),
    )
    institution_id = models.CharField(
        _("institution id"),
        max_length=64,
        help_text=_("The SIP2 institution id (AO) this terminal speaks for."),
    )
    may_checkout = models.BooleanField(_("may check out"), default=True)
    may_checkin = models.BooleanField(_("may check in"), default=True)
    may_renew = models.BooleanField(_("may renew"), default=True)
    may_pay_fees = models.BooleanField(_("may take fee payments"), default=False)
    may_hold = models.BooleanField(_("may place holds"), default=False)
    may_block_patrons = models.BooleanField(
        _("may block and enable patrons"),
        default=False,
        help_text=_("Block patron (01) and patron enable (25), e.g. a kiosk that retains cards."),
    )
    is_enabled = models.BooleanField(_("enabled"), default=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    last_login_at = models.DateTimeField(_("last login"), null=True, blank=True)

    class Meta:
        verbose_name = _("SIP2 terminal")
        verbose_name_plural = _("SIP2 terminals")
        ordering = ["login"]
        constraints = [
            models.CheckConstraint(condition=~Q(login=""), name="sip2_terminal_has_login"),
            models.CheckConstraint(
                condition=~Q(institution_id=""), name="sip2_terminal_has_institution"
            ),
        ]

    def __str__(self):
        return self.login

    @property
    def scope_node(self):
        return self.branch

    def set_password(self, raw):
        self.password_hash = make_password(raw, hasher=TERMINAL_HASHER)

    def check_password(self, raw):
        return bool(self.password_hash) and check_password(raw, self.password_hash)

    PERMISSIONS = {
        "checkout": "may_checkout",
        "checkin": "may_checkin",
        "renew": "may_renew",
        "fee": "may_pay_fees",
        "hold": "may_hold",
        "block": "may_block_patrons",
    }

    def may(self, action):
        return bool(getattr(self, self.PERMISSIONS[action]))

    def permission_labels(self):
        return [action for action, attr in self.PERMISSIONS.items() if getattr(self, attr)]
