"""Circulation refusals: one stable code each, a Dutch message via gettext."""

from django.utils.translation import gettext_lazy as _

from bci.core.errors import DomainError, InvalidInput, NotFound


class PatronBlocked(DomainError):
    code = "patron_blocked"
    message = _("This patron is blocked: %(reason)s")


class MembershipExpired(DomainError):
    code = "membership_expired"
    message = _("The membership expired on %(date)s.")


class FeeLimitReached(DomainError):
    code = "fee_limit_reached"
    message = _("The patron owes EUR %(owed)s; borrowing stops at EUR %(limit)s.")


class LoanLimitReached(DomainError):
    code = "loan_limit_reached"
    message = _("The patron already has %(count)s items on loan (maximum %(limit)s).")


class LoanLimitForTypeReached(DomainError):
    code = "loan_limit_for_type_reached"
    message = _("The patron already has %(count)s items of type %(type)s (maximum %(limit)s).")


class GuestLoanLimitReached(DomainError):
    code = "guest_loan_limit_reached"
    message = _(
        "As a guest at %(organisation)s this patron may borrow %(limit)s items there; "
        "%(count)s are on loan."
    )


class GuestRegistrationRequired(DomainError):
    code = "guest_registration_required"
    message = _("%(organisation)s lends to members of other libraries only as guests.")


class ItemAlreadyOnLoan(DomainError):
    code = "item_already_on_loan"
    message = _("Item %(barcode)s is already on loan.")


class ItemNotAvailable(DomainError):
    code = "item_not_available"
    message = _("Item %(barcode)s cannot be lent: it is %(status)s.")


class ItemOnHoldForOther(DomainError):
    code = "item_on_hold_for_other"
    message = _("Item %(barcode)s is reserved for another patron.")


class ItemNotCirculating(DomainError):
    code = "item_not_circulating"
    message = _("Item %(barcode)s is %(status)s and cannot be checked in.")


class NotALendingLocation(InvalidInput):
    code = "not_a_lending_location"
    message = _("%(node)s is not a branch where items are lent.")


class LoanNotActive(DomainError):
    code = "loan_not_active"
    message = _("This loan has already ended.")


class LoanNotFound(NotFound):
    code = "loan_not_found"
    message = _("No such loan.")


class RenewalLimitReached(DomainError):
    code = "renewal_limit_reached"
    message = _("This loan has been renewed %(renewals)s times; no renewals are left.")


class RenewalBlockedByHolds(DomainError):
    code = "renewal_blocked_by_holds"
    message = _("Another patron is waiting for this title; it cannot be renewed.")


class HoldNotFound(NotFound):
    code = "hold_not_found"
    message = _("No such hold.")


class HoldNotActive(DomainError):
    code = "hold_not_active"
    message = _("This hold is already %(status)s.")


class HoldNotPausable(DomainError):
    code = "hold_not_pausable"
    message = _("Only a hold that is still waiting for a copy can be paused.")


class InvalidPauseDate(DomainError):
    code = "invalid_pause_date"
    message = _("Pause a hold until a day after today and within a year.")


class AlreadyOnHold(DomainError):
    code = "already_on_hold"
    message = _("The patron already has a hold on this title.")


class AlreadyOnLoanToPatron(DomainError):
    code = "already_on_loan_to_patron"
    message = _("The patron already has this title on loan.")


class NothingToHold(DomainError):
    code = "nothing_to_hold"
    message = _("This title has no copies that can be reserved.")


class ItemNotOfRecord(InvalidInput):
    code = "item_not_of_record"
    message = _("Item %(barcode)s is not a copy of this title.")


class InvalidAmount(InvalidInput):
    code = "invalid_amount"
    message = _("The amount %(amount)s is not valid.")


class Overpayment(DomainError):
    code = "overpayment"
    message = _("Only EUR %(outstanding)s is outstanding on this fee.")


class FeeSettled(DomainError):
    code = "fee_settled"
    message = _("This fee has already been settled.")


class MissingReason(InvalidInput):
    code = "missing_reason"
    message = _("Give a reason.")


class ItemOnLoan(DomainError):
    code = "item_on_loan"
    message = _("Item %(barcode)s is on loan; check it in or mark it lost.")


class ItemNotMissing(DomainError):
    code = "item_not_missing"
    message = _("Item %(barcode)s is not missing or lost.")


class InvalidHoldDate(InvalidInput):
    code = "invalid_hold_date"
    message = _("The 'not needed after' date must be a date from today on.")


class FeeNotFound(NotFound):
    code = "fee_not_found"
    message = _("No such fee.")
