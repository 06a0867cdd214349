"""The shared catalogue: bibliographic records (titelbeschrijvingen) and items (exemplaren)."""

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class MaterialType(models.TextChoices):
    BOOK = "book", _("book")
    LARGE_PRINT = "large_print", _("large print")
    PICTURE_BOOK = "picture_book", _("picture book")
    COMIC = "comic", _("comic")
    AUDIOBOOK = "audiobook", _("audiobook")
    MUSIC = "music", _("music recording")
    DVD = "dvd", _("DVD / video")
    GAME = "game", _("game")
    MAGAZINE = "magazine", _("magazine")
    SHEET_MUSIC = "sheet_music", _("sheet music")
    MAP = "map", _("map")
    EBOOK = "ebook", _("e-book")
    OTHER = "other", _("other")


class Audience(models.TextChoices):
    YOUTH = "youth", _("youth")
    ADULT = "adult", _("adult")
    UNKNOWN = "unknown", _("unknown")


class Record(models.Model):
    """A bibliographic record, kept whole as MARC-in-JSON plus fields extracted from it.

    A record merged into another or withdrawn stays as a tombstone (``deleted_at`` set) so
    that OAI-PMH harvesters learn of the deletion and a merge can be undone.
    """

    marc = models.JSONField(help_text="MARC-in-JSON (pymarc Record.as_dict())")
    title = models.CharField(_("title"), max_length=500)
    subtitle = models.CharField(_("subtitle"), max_length=500, blank=True)
    authors = models.JSONField(_("authors"), default=list, blank=True)
    main_author = models.CharField(_("author"), max_length=300, blank=True)
    publisher = models.CharField(_("publisher"), max_length=300, blank=True)
    year = models.PositiveSmallIntegerField(_("year"), null=True, blank=True, db_index=True)
    language = models.CharField(_("language"), max_length=3, blank=True, db_index=True)
    material_type = models.CharField(
        _("material type"),
        max_length=16,
        choices=MaterialType.choices,
        default=MaterialType.BOOK,
        db_index=True,
    )
    audience = models.CharField(
        _("audience"), max_length=8, choices=Audience.choices, default=Audience.UNKNOWN
    )
    series = models.CharField(_("series"), max_length=300, blank=True)
    subjects = models.JSONField(_("subjects"), default=list, blank=True)
    classification = models.CharField(
        _("SISO / genre"), max_length=100, blank=True, help_text=_("SISO code or genre label")
    )
    sort_title = models.CharField(max_length=200, blank=True, db_index=True)
    match_key = models.CharField(
        max_length=200,
        blank=True,
        db_index=True,
        help_text="normalised title/author/year/material key for de-duplication",
    )
    richness = models.PositiveIntegerField(default=0, help_text="field count + key fields")
    marc_hash = models.CharField(
        max_length=40,
        blank=True,
        db_index=True,
        help_text="SHA-1 of the bibliographic MARC: re-importing the same record is a no-op",
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now, db_index=True)
    deleted_at = models.DateTimeField(null=True, blank=True, db_index=True)
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="merged_records"
    )

    class Meta:
        verbose_name = _("record")
        verbose_name_plural = _("records")
        indexes = [models.Index(fields=["updated_at", "id"])]

    def __str__(self):
        return self.title

    @property
    def is_deleted(self):
        return self.deleted_at is not None


class Identifier(models.Model):
    """A normalised identifier of a record, the keys of de-duplication and exact search."""

    class Scheme(models.TextChoices):
        PPN = "ppn", "PPN"
        ISBN = "isbn", "ISBN"
        ISSN = "issn", "ISSN"
        SYSTEM = "system", _("system number (035)")
        NBD = "nbd", _("NBD Biblion number")

    record = models.ForeignKey(Record, on_delete=models.CASCADE, related_name="identifiers")
    scheme = models.CharField(max_length=8, choices=Scheme.choices)
    value = models.CharField(max_length=100)

    class Meta:
        indexes = [models.Index(fields=["scheme", "value"])]
        constraints = [
            models.UniqueConstraint(
                fields=["record", "scheme", "value"], name="identifier_once_per_record"
            )
        ]

    def __str__(self):
        return f"{self.scheme}:{self.value}"


class Item(models.Model):
    """A physical copy. Its barcode is unique across the whole network: returns happen
    anywhere. Status changes only through ``services.change_item_status``."""

    class Status(models.TextChoices):
        IN_PROCESSING = "in_processing", _("in processing")
        AVAILABLE = "available", _("available")
        ON_LOAN = "on_loan", _("on loan")
        IN_TRANSIT = "in_transit", _("in transit")
        ON_HOLD_SHELF = "on_hold_shelf", _("on hold shelf")
        MISSING = "missing", _("missing")
        LOST = "lost", _("lost")
        WITHDRAWN = "withdrawn", _("withdrawn")

    # The status transition table: from -> the statuses it may move to.
    TRANSITIONS = {
        Status.IN_PROCESSING: {
            Status.AVAILABLE,
            Status.IN_TRANSIT,
            Status.MISSING,
            Status.WITHDRAWN,
        },
        Status.AVAILABLE: {
            Status.ON_LOAN,
            Status.IN_TRANSIT,
            Status.ON_HOLD_SHELF,
            Status.MISSING,
            Status.LOST,
            Status.WITHDRAWN,
            Status.IN_PROCESSING,
        },
        Status.ON_LOAN: {
            Status.AVAILABLE,
            Status.IN_TRANSIT,
            Status.ON_HOLD_SHELF,
            Status.LOST,
            Status.MISSING,
        },
        Status.IN_TRANSIT: {
            Status.AVAILABLE,
            Status.ON_HOLD_SHELF,
            Status.IN_TRANSIT,
            Status.MISSING,
            Status.LOST,
        },
        Status.ON_HOLD_SHELF: {
            Status.ON_LOAN,
            Status.AVAILABLE,
            Status.IN_TRANSIT,
            Status.ON_HOLD_SHELF,
            Status.MISSING,
        },
        Status.MISSING: {Status.AVAILABLE, Status.IN_TRANSIT, Status.LOST, Status.WITHDRAWN},
        Status.LOST: {Status.AVAILABLE, Status.IN_TRANSIT, Status.WITHDRAWN},
        Status.WITHDRAWN: {Status.IN_PROCESSING},
    }

    barcode = models.CharField(_("barcode"), max_length=32, unique=True)
    record = models.ForeignKey(Record, on_delete=models.PROTECT, related_name="items")
    owner = models.ForeignKey(
        "organisations.Node",
        verbose_name=_("owning library"),
        on_delete=models.PROTECT,
        related_name="owned_items",
    )
    home_branch = models.ForeignKey(
        "organisations.Node",
        verbose_name=_("home branch"),
        on_delete=models.PROTECT,
        related_name="home_items",
    )
    current_location = models.ForeignKey(
        "organisations.Node",
        verbose_name=_("current location"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="present_items",
    )
    shelf_code = models.CharField(_("shelf code"), max_length=64, blank=True)
    call_number = models.CharField(_("call number"), max_length=100, blank=True)
    material_type = models.CharField(
        _("material type"),
        max_length=16,
        choices=MaterialType.choices,
        default=MaterialType.BOOK,
    )
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=Status.choices,
        default=Status.AVAILABLE,
        db_index=True,
    )
    status_changed_at = models.DateTimeField(default=timezone.now)
    price = models.DecimalField(_("price"), max_digits=8, decimal_places=2, null=True, blank=True)
    floating = models.BooleanField(
        _("floating"), default=False, help_text=_("Stays where it is returned.")
    )
    date_added = models.DateField(_("date added"), default=timezone.localdate)

    class Meta:
        verbose_name = _("item")
        verbose_name_plural = _("items")
        indexes = [models.Index(fields=["record", "status"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(price__isnull=True) | Q(price__gte=0), name="item_price_not_negative"
            ),
        ]

    def __str__(self):
        return self.barcode

    @property
    def scope_node(self):
        return self.owner

    @classmethod
    def can_transition(cls, old, new):
        return new in cls.TRANSITIONS.get(old, set())


class MergeLog(models.Model):
    """A de-duplication merge: ``merged`` was folded into ``survivor``. Undoable."""

    survivor = models.ForeignKey(Record, on_delete=models.CASCADE, related_name="merges_in")
    merged = models.ForeignKey(Record, on_delete=models.CASCADE, related_name="merges_out")
    matched_on = models.CharField(max_length=20)  # ppn, isbn, issn, system, match_key
    match_value = models.CharField(max_length=200, blank=True)
    survivor_marc_before = models.JSONField(
        null=True, blank=True, help_text="the survivor's MARC when the merge replaced it"
    )
    survivor_hash_before = models.CharField(
        max_length=40,
        blank=True,
        db_index=True,
        help_text="marc_hash of survivor_marc_before: re-importing that MARC is a no-op",
    )
    moved_item_ids = models.JSONField(default=list)
    merged_at = models.DateTimeField(default=timezone.now)
    merged_by = models.CharField(max_length=100, blank=True)
    undone_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-merged_at"]

    def __str__(self):
        return f"{self.merged_id} -> {self.survivor_id} on {self.matched_on}"


class ImportRun(models.Model):
    """One run of ``bci import-marc`` over one file; lets an interrupted import resume."""

    file_name = models.CharField(max_length=500)
    file_sha256 = models.CharField(max_length=64, db_index=True)
    library = models.ForeignKey(
        "organisations.Node", on_delete=models.PROTECT, related_name="import_runs"
    )
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    records_done = models.PositiveIntegerField(default=0)
    summary = models.JSONField(default=dict, blank=True)

    def __str__(self):
        return f"{self.file_name} ({self.records_done})"


class IndexQueue(models.Model):
    """Durable queue of records whose search document must be rebuilt.

    Written in the same transaction as the change; drained by the indexer.
    """

    record_id = models.BigIntegerField(db_index=True)
    enqueued_at = models.DateTimeField(default=timezone.now)

    def __str__(self):
        return f"reindex {self.record_id}"
