from django.core.management.base import BaseCommand

from bci.notices.services import process_events, send_reminders


class Command(BaseCommand):
    help = (
        "Send patron notices: hold ready / expired and fee charged from the event log (after "
        "commit), due-soon and overdue reminders from the loans. Safe to run any time: "
        "nothing is sent twice."
    )

    def add_arguments(self, parser):
        parser.add_argument("--events-only", action="store_true", help="skip the reminders")

    def handle(self, *args, events_only=False, **options):
        events = process_events()
        self.stdout.write(f"notices from events: {events}")
        if not events_only:
            for kind, count in send_reminders().items():
                self.stdout.write(f"{kind}: {count}")
