from django.utils.translation import gettext_lazy as _

from bci.core.errors import DomainError, NotFound


class ItemNotFound(NotFound):
    code = "item_not_found"
    message = _("No item with barcode %(barcode)s.")


class RecordNotFound(NotFound):
    code = "record_not_found"
    message = _("No record with id %(record_id)s.")


class InvalidStatusTransition(DomainError):
    code = "invalid_status_transition"
    message = _("An item that is %(old)s cannot become %(new)s.")


class DuplicateBarcode(DomainError):
    code = "duplicate_barcode"
    message = _("Barcode %(barcode)s is already in use.")


class MergeAlreadyUndone(DomainError):
    code = "merge_already_undone"
    message = _("Merge %(merge_id)s has already been undone.")


class NotMarcFile(DomainError):
    code = "not_marc_file"
    message = _("%(file)s is not a MARC file: %(reason)s")


class ImportOptionsInvalid(DomainError):
    code = "import_options_invalid"
    message = _("Cannot import: %(reason)s")
