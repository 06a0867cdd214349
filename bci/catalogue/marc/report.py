"""The import's report: counts, rejected records and items, warnings (JSON-ready)."""

from dataclasses import dataclass, field

LIST_LIMIT = 10_000  # rejected/warning entries kept in the report (counts stay exact)


@dataclass
class ImportReport:
    files: list = field(default_factory=list)
    read: int = 0
    created: int = 0
    merged: int = 0
    unchanged: int = 0
    items_added: int = 0
    items_present: int = 0
    rejected_count: int = 0
    items_rejected_count: int = 0
    rejected: list = field(default_factory=list)
    items_rejected: list = field(default_factory=list)
    warnings: list = field(default_factory=list)
    resumed_from: dict = field(default_factory=dict)
    dry_run: bool = False
    seconds: float = 0.0

    def reject(self, file, number, offset, reason):
        self.rejected_count += 1
        if len(self.rejected) < LIST_LIMIT:
            self.rejected.append(
                {"file": file, "record": number, "offset": offset, "reason": reason}
            )

    def reject_item(self, file, number, barcode, reason):
        self.items_rejected_count += 1
        if len(self.items_rejected) < LIST_LIMIT:
            self.items_rejected.append(
                {"file": file, "record": number, "barcode": barcode, "reason": reason}
            )

    def warn(self, file, number, offset, text):
        if len(self.warnings) < LIST_LIMIT:
            self.warnings.append(
                {"file": file, "record": number, "offset": offset, "warning": text}
            )

    def as_dict(self):
        return {
            "files": self.files,
            "dry_run": self.dry_run,
            "read": self.read,
            "created": self.created,
            "merged": self.merged,
            "unchanged": self.unchanged,
            "items_added": self.items_added,
            "items_already_present": self.items_present,
            "rejected_count": self.rejected_count,
            "items_rejected_count": self.items_rejected_count,
            "resumed_from": self.resumed_from,
            "seconds": round(self.seconds, 2),
            "records_per_second": round(self.read / self.seconds, 1) if self.seconds else None,
            "rejected": self.rejected,
            "items_rejected": self.items_rejected,
            "warnings": self.warnings,
        }

    def _counts(self):
        return (
            self.created,
            self.merged,
            self.unchanged,
            self.items_added,
            self.items_present,
            len(self.rejected),
            self.rejected_count,
            len(self.items_rejected),
            self.items_rejected_count,
        )
