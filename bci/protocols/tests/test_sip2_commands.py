"""bci sip2-terminal, bci sip2 argument checks, the demo step, the scripted kiosk tool."""

import io

import pytest
from django.core.management import CommandError, call_command

from bci.core.events import Event
from bci.protocols.models import Sip2Terminal
from bci.protocols.sip2 import kiosk, kiosks
from bci.protocols.sip2.server import Limits, Sip2Service
from bci.protocols.sip2.terminals import authenticate_terminal
from bci.protocols.tests.sip2_world import PASSWORD, PIN, kiosk_world


def cmd(*args):
    out = io.StringIO()
    call_command("sip2_terminal", *args, stdout=out)
    return out.getvalue()


def test_add_list_disable_enable(net):
    out = cmd("add", "kiosk-1", "--branch", "A-1", "--password", "long-enough", "--allow",
              "checkout,checkin,fee")  # fmt: skip
    assert "kiosk-1" in out
    t = Sip2Terminal.objects.get(login="kiosk-1")
    assert t.institution_id == "LIB-A" and t.branch == net.a1
    assert t.may_checkout and t.may_pay_fees and not t.may_renew and not t.may_hold
    assert t.password_hash != "long-enough" and t.check_password("long-enough")
    assert Event.objects.filter(kind="sip2.terminal_added").exists()
    assert "kiosk-1" in cmd("list")
    cmd("disable", "kiosk-1")
    assert authenticate_terminal("kiosk-1", "long-enough") is None
    assert "NO" in cmd("list")
    cmd("enable", "kiosk-1")
    assert authenticate_terminal("kiosk-1", "long-enough") is not None


@pytest.mark.parametrize(
    "args",
    [
        ("add", "kiosk-1", "--branch", "NOPE", "--password", "long-enough"),
        ("add", "kiosk-1", "--branch", "LIB-A", "--password", "long-enough"),  # not a branch
        ("add", "kiosk 1", "--branch", "A-1", "--password", "long-enough"),
        ("add", "kiosk-1", "--branch", "A-1", "--password", "short"),
        ("add", "kiosk-1", "--branch", "A-1", "--password", "long|enough"),
        ("add", "kiosk-1", "--branch", "A-1", "--password", "long-enough", "--allow", "fly"),
        ("disable", "nobody"),
    ],
)
def test_bad_input_is_refused_and_changes_nothing(net, args):
    with pytest.raises(CommandError):
        cmd(*args)
    assert not Sip2Terminal.objects.exists()


def test_duplicate_login_refused(net):
    cmd("add", "kiosk-1", "--branch", "A-1", "--password", "long-enough")
    with pytest.raises(CommandError):
        cmd("add", "kiosk-1", "--branch", "A-2", "--password", "long-enough")
    assert Sip2Terminal.objects.get().branch == net.a1


def test_sip2_command_checks_tls_options(tmp_path):
    with pytest.raises(CommandError):
        call_command("sip2", "--tls-cert", "x.pem", "--port", "0")
    (tmp_path / "bad.pem").write_text("nope")
    with pytest.raises(CommandError):
        call_command("sip2", "--tls-cert", str(tmp_path / "bad.pem"), "--tls-key",
                     str(tmp_path / "bad.pem"), "--port", "0")  # fmt: skip


def test_demo_step_is_idempotent(net):
    first = kiosks.run(console=None, now=None)
    logins = set(Sip2Terminal.objects.values_list("login", flat=True))
    assert logins == {"kiosk-a-1", "kiosk-b-1", "kiosk-c-1"}
    assert "3 new" in first
    kiosks.run(console=None, now=None)
    assert Sip2Terminal.objects.count() == 3


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("checksums", [False, True])
def test_scripted_kiosk_tool(net, capsys, checksums):
    from bci.circulation.services import charge_fee

    w = kiosk_world(net)
    charge_fee(patron=w.patron, amount="0.50")
    service = Sip2Service(host="127.0.0.1", port=0, limits=Limits(), workers=2).start()
    try:
        argv = [
            "--port",
            str(service.port),
            "--login",
            "kiosk-a1",
            "--password",
            PASSWORD,
            "--patron",
            w.card,
            "--pin",
            PIN,
            "--item",
            "ITEM-1",
            "--pay",
            "0.50",
        ]
        if checksums:
            argv.append("--checksums")
        assert kiosk.main(argv) == 0
    finally:
        service.stop()
    out = capsys.readouterr().out
    assert "checkout: ok" in out and "renew: ok" in out and "fee paid: ok" in out
    assert PIN not in out and PASSWORD not in out


def test_terminal_password_uses_light_argon2_and_verifies_with_project_settings(net, settings):
    from bci.protocols.sip2.terminals import add_terminal

    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.Argon2PasswordHasher",
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    ]
    t = add_terminal(login="k", password="long-enough", branch=net.a1)
    assert t.password_hash.startswith("argon2$argon2id$v=19$m=8192,t=2,p=1$")
    assert authenticate_terminal("k", "long-enough") is not None
    assert authenticate_terminal("k", "long-enougH") is None


def test_admin_form_hashes_the_password_and_refuses_bad_input(net):
    from bci.protocols.admin import Sip2TerminalForm

    base = {"login": "k-admin", "branch": net.a1.pk, "institution_id": "LIB-A",
            "may_checkout": "on", "is_enabled": "on"}  # fmt: skip
    for bad in ({}, {"new_password": "short"}, {"new_password": "long|enough"}):
        form = Sip2TerminalForm(data={**base, **bad})
        assert not form.is_valid()
    assert not Sip2Terminal.objects.exists()
    form = Sip2TerminalForm(data={**base, "new_password": "long-enough"})
    assert form.is_valid(), form.errors
    terminal = form.save()
    assert terminal.check_password("long-enough") and "long-enough" not in terminal.password_hash
    # editing without a new password keeps the old one
    form = Sip2TerminalForm(data={**base, "name": "Zuil 1"}, instance=terminal)
    assert form.is_valid(), form.errors
    assert form.save().check_password("long-enough")


def test_admin_changelist_renders(admin_client, net):
    cmd("add", "kiosk-1", "--branch", "A-1", "--password", "long-enough")
    response = admin_client.get("/admin/protocols/sip2terminal/")
    assert response.status_code == 200 and b"kiosk-1" in response.content
    assert b"long-enough" not in response.content
