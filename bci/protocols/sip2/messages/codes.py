"""SIP2 code tables, for handlers and docs."""

LANGUAGE_UNKNOWN = "000"
LANGUAGE_ENGLISH = "001"
LANGUAGE_DUTCH = "005"

PATRON_STATUS_FLAGS = (
    "charge_denied",
    "renewal_denied",
    "recall_denied",
    "hold_denied",
    "card_lost",
    "too_many_charged",
    "too_many_overdue",
    "too_many_renewals",
    "too_many_claims_returned",
    "too_many_lost",
    "excessive_fines",
    "excessive_fees",
    "recall_overdue",
    "too_many_billed",
)

SUMMARY_FIELDS = ("AS", "AT", "AU", "AV", "BU", "CD")  # positions 0..5 of the summary


class CirculationStatus:
    OTHER = "01"
    ON_ORDER = "02"
    AVAILABLE = "03"
    CHARGED = "04"
    CHARGED_NOT_RECALLABLE = "05"
    IN_PROCESS = "06"
    RECALLED = "07"
    WAITING_ON_HOLD_SHELF = "08"
    WAITING_TO_BE_RESHELVED = "09"
    IN_TRANSIT = "10"
    CLAIMED_RETURNED = "11"
    LOST = "12"
    MISSING = "13"


class FeeType:
    OTHER = "01"
    ADMINISTRATIVE = "02"
    DAMAGE = "03"
    OVERDUE = "04"
    PROCESSING = "05"
    RENTAL = "06"
    REPLACEMENT = "07"
    COMPUTER_ACCESS = "08"
    HOLD_FEE = "09"


class MediaType:
    OTHER = "000"
    BOOK = "001"
    MAGAZINE = "002"
    BOUND_JOURNAL = "003"
    AUDIO_TAPE = "004"
    VIDEO_TAPE = "005"
    CD = "006"
    DISKETTE = "007"
    BOOK_WITH_DISKETTE = "008"
    BOOK_WITH_CD = "009"
    BOOK_WITH_AUDIO_TAPE = "010"


class AlertType:  # checkin response CV (3M extension, as Evergreen and Koha send it)
    UNKNOWN = "00"
    HOLD_LOCAL = "01"
    HOLD_OTHER_BRANCH = "02"
    HOLD_ILL = "03"
    SEND_TO_OTHER_BRANCH = "04"
    OTHER = "99"
