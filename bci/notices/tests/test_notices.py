import datetime as dt

from django.core import mail
from django.utils import timezone

from bci.circulation.models import Fee, Hold
from bci.circulation.services import (
    cancel_hold,
    charge_fee,
    checkin_item,
    expire_hold_shelf,
    place_hold,
)
from bci.notices.models import Cursor, Kind, Notice, NoticeTemplate, Preference
from bci.notices.services import process_events, send_reminders


def _ready_at_other_branch(world):
    """Anna holds Max Havelaar (copy at A-1) for pick-up at A-2; the copy travels there."""
    hold = place_hold(record=world.havelaar, pickup_branch=world.net.a2, patron=world.anna)
    checkin_item(item_barcode="MH-1", branch=world.net.a1)  # pulled: into transit
    checkin_item(item_barcode="MH-1", branch=world.net.a2)  # arrives: on the hold shelf
    hold.refresh_from_db()
    assert hold.status == Hold.Status.READY
    return hold


def test_hold_ready_mail_after_checkin_at_pickup_branch(world):
    hold = _ready_at_other_branch(world)
    mail.outbox.clear()
    assert process_events() == 1
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["anna@example.org"]
    assert "Max Havelaar" in message.subject
    assert "A Noord" in message.body
    assert hold.shelf_until.strftime("%Y") in message.body
    notice = Notice.objects.get(patron=world.anna, kind=Kind.HOLD_READY)
    assert notice.status == Notice.Status.SENT


def test_mail_text_is_not_html_escaped(world):
    world.havelaar.title = "Max Havelaar & 'de koffieveilingen'"
    world.havelaar.save()
    _ready_at_other_branch(world)
    process_events()
    subject = mail.outbox[-1].subject
    assert subject == "Uw reservering ligt klaar: Max Havelaar & 'de koffieveilingen'"


def test_running_twice_sends_nothing_twice(world):
    _ready_at_other_branch(world)
    process_events()
    Cursor.objects.update(last_event_id=0)  # even a reset cursor sends nothing again
    assert process_events() == 0
    assert send_reminders() == {Kind.DUE_SOON: 0, Kind.OVERDUE_1: 0, Kind.OVERDUE_2: 0}
    assert len([m for m in mail.outbox if "Havelaar" in m.subject]) == 1


def test_no_notice_when_hold_was_cancelled_before_the_job_ran(world):
    hold = _ready_at_other_branch(world)
    cancel_hold(hold=hold)
    mail.outbox.clear()
    process_events()
    assert not Notice.objects.filter(kind=Kind.HOLD_READY).exists()


def test_english_and_organisation_template(world):
    Preference.objects.create(patron=world.anna, language="en")
    _ready_at_other_branch(world)
    process_events()
    assert mail.outbox[-1].subject == "Your hold is ready: Max Havelaar"
    NoticeTemplate.objects.create(
        organisation=world.net.lib_a,
        kind=Kind.FEE_CHARGED,
        language="en",
        subject="Library A bill {{ amount }}",
        body="{{ what }} for {{ patron.last_name }}",
    )
    charge_fee(patron=world.anna, amount="2.50", kind=Fee.Kind.DAMAGE, organisation=world.net.a1)
    process_events()
    assert mail.outbox[-1].subject == "Library A bill 2.50"
    assert mail.outbox[-1].body == "damage for Jansen"


def test_hold_fee_sends_no_fee_mail_but_other_fees_do(world, settings):
    from bci.circulation.models import LoanRule

    LoanRule.objects.create(node=world.net.net, hold_fee="1.00")
    place_hold(record=world.havelaar, pickup_branch=world.net.a1, patron=world.anna)
    mail.outbox.clear()
    process_events()
    assert not Notice.objects.filter(kind=Kind.FEE_CHARGED).exists()
    charge_fee(patron=world.anna, amount="5.00", kind=Fee.Kind.LOST, organisation=world.net.a1)
    process_events()
    assert Notice.objects.filter(kind=Kind.FEE_CHARGED).count() == 1
    assert "5,00" in mail.outbox[-1].subject  # Dutch number format


def test_hold_expired_notice(world):
    hold = _ready_at_other_branch(world)
    later = timezone.now() + dt.timedelta(days=30)
    expire_hold_shelf(now=later)
    process_events(now=later)
    notice = Notice.objects.get(kind=Kind.HOLD_EXPIRED)
    assert notice.key == f"hold:{hold.pk}"
    assert "verlopen" in notice.subject


def test_reminders_due_soon_overdue_and_opt_out(world):
    loan = world.loan_a
    due = loan.due_date
    at = lambda day: timezone.make_aware(dt.datetime.combine(day, dt.time(9)))  # noqa: E731
    counts = send_reminders(now=at(due - dt.timedelta(days=2)))
    assert counts[Kind.DUE_SOON] == 2  # Anna and Bert
    assert send_reminders(now=at(due - dt.timedelta(days=1)))[Kind.DUE_SOON] == 0
    assert send_reminders(now=at(due + dt.timedelta(days=1)))[Kind.OVERDUE_1] == 2
    assert send_reminders(now=at(due + dt.timedelta(days=9)))[Kind.OVERDUE_2] == 2
    assert send_reminders(now=at(due + dt.timedelta(days=10))) == {
        Kind.DUE_SOON: 0,
        Kind.OVERDUE_1: 0,
        Kind.OVERDUE_2: 0,
    }
    # Bert switches courtesy reminders off: no "due soon" mail for his next loan period
    Preference.objects.create(patron=world.bert, due_reminders=False)
    Notice.objects.all().delete()
    counts = send_reminders(now=at(due - dt.timedelta(days=2)))
    assert counts[Kind.DUE_SOON] == 1
    assert Notice.objects.get().patron == world.anna


def test_patron_without_email_is_logged_not_mailed(world):
    world.anna.email = ""
    world.anna.save()
    _ready_at_other_branch(world)
    mail.outbox.clear()
    process_events()
    assert mail.outbox == []
    assert Notice.objects.get(kind=Kind.HOLD_READY).status == Notice.Status.SKIPPED


def test_failed_delivery_is_logged(world, settings, monkeypatch):
    from django.core.mail import EmailMessage

    def boom(self, *args, **kwargs):
        raise OSError("mail server down")

    monkeypatch.setattr(EmailMessage, "send", boom)
    _ready_at_other_branch(world)
    process_events()
    notice = Notice.objects.get(kind=Kind.HOLD_READY)
    assert notice.status == Notice.Status.FAILED
    assert "mail server down" in notice.detail


def test_send_notices_command(world, capsys):
    from django.core.management import call_command

    _ready_at_other_branch(world)
    call_command("send_notices")
    out = capsys.readouterr().out
    assert "notices from events: 1" in out
