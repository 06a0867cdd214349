from django.core.management.base import BaseCommand

from bci.notices.privacy import purge_former_members, unlink_closed_loans


class Command(BaseCommand):
    help = (
        "Privacy retention jobs: unlink closed loans of patrons without loan-history consent "
        "(the loans stay for statistics), and delete personal data of former members after "
        "BCI_RETENTION_FORMER_MEMBER_DAYS (default 730) unless fees are open."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--job", choices=["loans", "former-members", "all"], default="all", help="which job"
        )

    def handle(self, *args, job="all", **options):
        if job in ("loans", "all"):
            self.stdout.write(f"loans unlinked: {unlink_closed_loans()}")
        if job in ("former-members", "all"):
            self.stdout.write(f"former members erased: {purge_former_members()}")
