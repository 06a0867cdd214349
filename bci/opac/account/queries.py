"""Reads for the patron's account pages."""

import datetime as dt

from bci.circulation.models import Fee, Hold, Loan
from bci.circulation.policies import renewals_left
from bci.circulation.queries import active_holds, active_loans, all_blocks, outstanding_fees
from bci.notices.models import Notice

TRANSIT_DAYS = 2  # typical days from return to the pick-up shelf (DOMAIN.md target)


def queue_position(hold):
    """1 = next in line among the title's waiting holds."""
    if hold.status != Hold.Status.WAITING:
        return None
    ahead = (
        Hold.objects.filter(record_id=hold.record_id, status=Hold.Status.WAITING)
        .filter(placed_at__lt=hold.placed_at)
        .count()
        + Hold.objects.filter(
            record_id=hold.record_id,
            status=Hold.Status.WAITING,
            placed_at=hold.placed_at,
            pk__lt=hold.pk,
        ).count()
    )
    return ahead + 1


def estimated_availability(hold, position, today):
    """A date estimate for a waiting hold: the position-th copy coming back (one loan
    period per round when there are more holds than copies), plus transport. None when a
    copy is already assigned (it is being pulled now) or no copy is on loan."""
    if hold.status != Hold.Status.WAITING or hold.copy_id:
        return None
    dues = sorted(
        Loan.objects.filter(item__record_id=hold.record_id, ended_at__isnull=True).values_list(
            "due_date", "loan_period_days"
        )
    )
    if not dues or position is None:
        return None
    rounds, index = divmod(position - 1, len(dues))
    due, period = dues[index]
    return max(due, today) + dt.timedelta(days=rounds * period + TRANSIT_DAYS)


def account_overview(patron, today):
    loans = [
        {
            "loan": loan,
            "renewals_left": renewals_left(
                renewals_allowed=loan.renewals_allowed, renewals=loan.renewals
            ),
            "overdue": loan.due_date < today,
        }
        for loan in active_loans(patron)
    ]
    holds, ready = [], []
    for hold in active_holds(patron):
        if hold.status == Hold.Status.READY:
            ready.append(hold)
            continue
        position = queue_position(hold)
        holds.append(
            {
                "hold": hold,
                "position": position,
                "estimate": estimated_availability(hold, position, today),
            }
        )
    fees = list(
        Fee.objects.filter(patron=patron, settled_at__isnull=True)
        .select_related("item__record", "hold__record", "organisation")
        .order_by("created_at", "id")
    )
    return {
        "loans": loans,
        "holds": holds,
        "ready": ready,
        "fees": fees,
        "owed": outstanding_fees(patron),
        "blocks": all_blocks(patron, today),
        "notices": list(Notice.objects.filter(patron=patron).order_by("-created_at", "-id")[:20]),
        "expired": patron.is_expired(today),
    }
