"""The patron's account on the OPAC: login, loans, holds, fees, messages, privacy.

Thin views: reads in ``queries``, writes through circulation/patrons services and
``bci.notices`` (self-service, privacy). Every change is a POST (CSRF-protected); every
object a URL names is looked up among the logged-in patron's own rows, so editing an id
in a URL reaches nothing of anyone else.
"""

import csv
import datetime as dt

from django.contrib import messages
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from bci.catalogue.models import Record
from bci.circulation.models import Hold, Loan
from bci.circulation.queries import rules_for
from bci.circulation.services import (
    cancel_hold,
    place_hold,
    renew_loan,
    resume_hold,
    suspend_hold,
)
from bci.core.errors import DomainError
from bci.notices import privacy, selfservice
from bci.notices.models import Preference
from bci.patrons.errors import CardNotFound, InvalidPin, WrongPin
from bci.patrons.services import set_pin

from . import auth
from .forms import (
    ChangePinForm,
    ForgotPinForm,
    LoginForm,
    NewPinForm,
    PickupForm,
    RegistrationForm,
)
from .queries import account_overview

BY = "opac"


def _account():
    return redirect("opac:account")


def _safe_next(request, fallback):
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback


@never_cache
def login_view(request):
    if auth.current_patron(request) is not None and request.method == "GET":
        return _account()
    form = LoginForm(request.POST or None)
    error, status = None, 200
    if request.method == "POST" and form.is_valid():
        try:
            patron = auth.authenticate(request, form.cleaned_data["card"], form.cleaned_data["pin"])
        except auth.LoginLocked as exc:
            error, status = str(exc), 429
        except (CardNotFound, WrongPin, InvalidPin):  # do not tell which of the two was wrong
            error, status = _("The card number or the PIN is not correct."), 403
        except DomainError as exc:  # e.g. a card that was replaced or withdrawn
            error, status = str(exc), 403
        else:
            auth.login(request, patron, form.cleaned_data["card"])
            # notices follow the language the patron reads the site in
            selfservice.set_preferences(patron=patron, language=get_language() or "nl")
            return redirect(_safe_next(request, reverse("opac:account")))
    if form.errors:
        status = 400
    return render(
        request,
        "opac/account/login.html",
        {"form": form, "error": error, "next": request.GET.get("next", "")},
        status=status,
    )


@require_POST
def logout_view(request):
    auth.logout(request)
    messages.info(request, _("You are logged out."))
    return redirect("opac:home")


@never_cache
@auth.patron_required
def account(request, patron):
    today = timezone.localdate()
    context = account_overview(patron, today)
    context.update(
        {
            "patron": patron,
            "pickup_form": PickupForm(),
            "preference": Preference.objects.filter(patron=patron).first(),
            "today": today,
        }
    )
    return render(request, "opac/account/account.html", context)


def _own_loan(patron, loan_id):
    loan = Loan.objects.filter(pk=loan_id, patron=patron, ended_at__isnull=True).first()
    if loan is None:
        raise Http404(_("No such loan."))
    return loan


def _own_hold(patron, hold_id):
    hold = Hold.objects.filter(pk=hold_id, patron=patron, status__in=Hold.ACTIVE_STATUSES).first()
    if hold is None:
        raise Http404(_("No such hold."))
    return hold


@require_POST
@auth.patron_required
def renew(request, patron, loan_id):
    loan = _own_loan(patron, loan_id)
    try:
        loan = renew_loan(loan=loan, by=BY)
    except DomainError as exc:
        messages.error(
            request,
            _("%(title)s was not renewed: %(reason)s")
            % {"title": loan.item.record.title, "reason": exc},
        )
    else:
        messages.success(
            request,
            _("%(title)s renewed until %(date)s.")
            % {"title": loan.item.record.title, "date": loan.due_date.strftime("%d-%m-%Y")},
        )
    return _account()


@require_POST
@auth.patron_required
def renew_all(request, patron):
    renewed = 0
    for loan in Loan.objects.filter(patron=patron, ended_at__isnull=True).select_related(
        "item__record"
    ):
        try:
            renew_loan(loan=loan, by=BY)
            renewed += 1
        except DomainError as exc:
            messages.error(
                request,
                _("%(title)s was not renewed: %(reason)s")
                % {"title": loan.item.record.title, "reason": exc},
            )
    messages.success(request, _("%(count)s item(s) renewed.") % {"count": renewed})
    return _account()


@require_POST
@auth.patron_required
def hold_cancel(request, patron, hold_id):
    hold = _own_hold(patron, hold_id)
    try:
        cancel_hold(hold=hold, reason="cancelled by the patron (OPAC)", by=BY)
    except DomainError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request, _("Your hold on %(title)s is cancelled.") % {"title": hold.record.title}
        )
    return _account()


@require_POST
@auth.patron_required
def hold_pause(request, patron, hold_id):
    """Pause a waiting hold until a date (or resume it now)."""
    hold = _own_hold(patron, hold_id)
    try:
        if request.POST.get("resume"):
            resume_hold(hold=hold, by=BY)
            messages.success(
                request, _("Your hold on %(title)s is active again.") % {"title": hold.record.title}
            )
        else:
            try:
                until = dt.date.fromisoformat(request.POST.get("until", ""))
            except ValueError:
                until = None
            suspend_hold(hold=hold, until=until, by=BY)
            messages.success(
                request,
                _("Your hold on %(title)s is paused until %(date)s.")
                % {"title": hold.record.title, "date": date_format(until, "j F Y")},
            )
    except DomainError as exc:
        messages.error(request, str(exc))
    return _account()


@require_POST
@auth.patron_required
def hold_pickup(request, patron, hold_id):
    hold = _own_hold(patron, hold_id)
    form = PickupForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a pick-up branch from the list."))
        return _account()
    try:
        selfservice.change_pickup_branch(hold=hold, patron=patron, branch=form.branch_node(), by=BY)
    except DomainError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            _("%(title)s will be ready for pick-up at %(branch)s.")
            % {"title": hold.record.title, "branch": form.branch_node().name},
        )
    return _account()


@never_cache
@auth.patron_required
def hold_place(request, patron, record_id):
    record = Record.objects.filter(pk=record_id, deleted_at__isnull=True).first()
    if record is None:
        raise Http404(_("No such title."))
    usual = selfservice.usual_pickup_branch(patron)
    form = PickupForm(request.POST or None, initial={"branch": usual.pk if usual else None})
    context = {"record": record, "form": form, "patron": patron}
    if request.method == "POST" and form.is_valid():
        branch = form.branch_node()
        rule = rules_for(branch, patron.category.code, record.material_type)
        context.update({"branch": branch, "fee": rule.hold_fee or 0})
        if request.POST.get("confirm") == "1":
            try:
                hold = place_hold(record=record, pickup_branch=branch, patron=patron, by=BY)
            except DomainError as exc:
                context["error"] = str(exc)
                return render(request, "opac/account/hold_place.html", context, status=400)
            selfservice.remember_pickup_branch(patron=patron, branch=branch)
            messages.success(
                request,
                _("Your hold on %(title)s is placed; pick it up at %(branch)s.")
                % {"title": record.title, "branch": branch.name},
            )
            return redirect(reverse("opac:account") + f"#hold-{hold.pk}")
        return render(request, "opac/account/hold_confirm.html", context)
    return render(
        request, "opac/account/hold_place.html", context, status=400 if form.errors else 200
    )


@never_cache
@auth.patron_required
def change_pin(request, patron):
    form = ChangePinForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:  # throttled like a login: the current PIN is no second way to guess it
            auth.authenticate(
                request,
                request.session.get(auth.SESSION_CARD, ""),
                form.cleaned_data["current_pin"],
            )
        except auth.LoginLocked as exc:
            form.add_error("current_pin", str(exc))
        except DomainError:
            form.add_error("current_pin", _("The PIN is not correct."))
        else:
            try:
                set_pin(patron=patron, pin=form.cleaned_data["new_pin"], by=BY)
            except DomainError as exc:
                form.add_error("new_pin", str(exc))
            else:
                auth.refresh_fingerprint(request, patron)
                messages.success(request, _("Your PIN has been changed."))
                return _account()
    status = 400 if form.errors else 200
    return render(request, "opac/account/pin_change.html", {"form": form}, status=status)


@never_cache
def forgot_pin(request):
    form = ForgotPinForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if auth.over_form_limit(request, "forgot-pin"):
            return render(request, "opac/account/pin_forgot_sent.html")  # same answer
        selfservice.request_pin_reset(
            card_barcode=form.cleaned_data["card"],
            email=form.cleaned_data["email"],
            link_for=lambda token: request.build_absolute_uri(
                reverse("opac:account_pin_reset", args=[token])
            ),
        )
        return render(request, "opac/account/pin_forgot_sent.html")
    return render(
        request, "opac/account/pin_forgot.html", {"form": form}, status=400 if form.errors else 200
    )


@never_cache
def reset_pin(request, token):
    try:
        selfservice.patron_for_reset_token(token)
    except DomainError as exc:
        return render(request, "opac/account/pin_reset.html", {"error": str(exc)}, status=400)
    form = NewPinForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            selfservice.set_pin_with_token(token=token, pin=form.cleaned_data["new_pin"])
        except DomainError as exc:
            form.add_error("new_pin", str(exc))
        else:
            messages.success(request, _("Your new PIN is set. Log in with it."))
            return redirect("opac:account_login")
    return render(
        request, "opac/account/pin_reset.html", {"form": form}, status=400 if form.errors else 200
    )


@never_cache
@auth.patron_required
def history(request, patron):
    if request.method == "POST":
        keep = request.POST.get("keep") == "1"
        removed = privacy.set_loan_history(patron=patron, keep=keep, by=BY)
        if keep:
            messages.success(request, _("Your loan history is kept from now on."))
        else:
            messages.success(
                request,
                _("Your loan history is no longer kept; %(count)s earlier loan(s) deleted.")
                % {"count": removed},
            )
        return redirect("opac:account_history")
    loans = privacy.loan_history(patron) if patron.keep_loan_history else []
    if request.GET.get("format") == "csv" and patron.keep_loan_history:
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="leengeschiedenis.csv"'
        writer = csv.writer(response)
        writer.writerow(["title", "item", "branch", "checked_out", "returned"])
        for loan in loans:
            writer.writerow(
                [
                    loan.item.record.title,
                    loan.item.barcode,
                    loan.branch.name,
                    loan.checked_out_at.date().isoformat(),
                    loan.ended_at.date().isoformat(),
                ]
            )
        return response
    return render(request, "opac/account/history.html", {"patron": patron, "loans": loans})


@never_cache
@auth.patron_required
def my_data(request, patron):
    data = privacy.export_patron_data(patron)
    response = JsonResponse(data, json_dumps_params={"ensure_ascii": False, "indent": 2})
    response["Content-Disposition"] = 'attachment; filename="mijn-gegevens.json"'
    return response


@require_POST
@auth.patron_required
def preferences(request, patron):
    selfservice.set_preferences(
        patron=patron, due_reminders=request.POST.get("due_reminders") == "1"
    )
    messages.success(request, _("Your preferences are saved."))
    return _account()


@never_cache
def register(request):
    form = RegistrationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        from bci.organisations.models import Node

        data = dict(form.cleaned_data)
        data["organisation"] = Node.objects.get(pk=data["organisation"])
        if auth.over_form_limit(request, "register"):
            form.add_error(None, _("Too many registrations from this address. Try again later."))
            return render(request, "opac/account/register.html", {"form": form}, status=429)
        try:
            selfservice.register_self(**data)
        except DomainError as exc:
            form.add_error(None, str(exc))
        else:
            return render(request, "opac/account/register_done.html")
    return render(
        request, "opac/account/register.html", {"form": form}, status=400 if form.errors else 200
    )
