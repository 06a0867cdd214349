"""Items (copies) from holdings fields, with presets for 852, 949, 952 (Koha) and 999.

A preset names the subfield for each item attribute. ``--items auto`` tries the presets in
order and uses the first whose tag carries barcodes in the record. A custom mapping is
written ``TAG:attr=code,attr=code`` (e.g. ``949:barcode=i,branch=m,shelf=l,call=a``).
Pure functions, no Django.
"""

import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

ATTRS = ("barcode", "branch", "shelf", "call", "type", "price", "status", "owner")

PRESETS = {
    # Our own export and the MARC 21 holdings location field.
    "852": {
        "tag": "852",
        "barcode": "p",
        "branch": "b",
        "shelf": "c",
        "call": "h",
        "owner": "a",
        "type": "w",
        "price": "9",
        "status": "s",
    },
    # A common local item field (OCLC/III style).
    "949": {
        "tag": "949",
        "barcode": "i",
        "branch": "l",
        "shelf": "c",
        "call": "a",
        "type": "t",
        "price": "p",
    },
    # Koha: $a home branch, $c shelving location, $o call number, $p barcode, $y item type,
    # $g price, $0 withdrawn, $1 lost.
    "952": {
        "tag": "952",
        "barcode": "p",
        "branch": "a",
        "shelf": "c",
        "call": "o",
        "type": "y",
        "price": "g",
        "withdrawn": "0",
        "lost": "1",
    },
    # SirsiDynix (the University of Virginia file): $a call number, $i barcode,
    # $l location, $m library, $t item type.
    "999": {"tag": "999", "barcode": "i", "branch": "m", "shelf": "l", "call": "a", "type": "t"},
}
AUTO_ORDER = ("852", "952", "949", "999")

# Item type codes of common systems -> our material types.
ITEM_TYPES = {
    "BOOK": "book",
    "BK": "book",
    "BOEK": "book",
    "JUV-BOOK": "book",
    "BOOK-NC": "book",
    "REFERENCE": "book",
    "RAREBOOK": "book",
    "THESIS-DIS": "book",
    "BOOK-30DAY": "book",
    "GL": "large_print",
    "GROTELETTER": "large_print",
    "LARGE_PRINT": "large_print",
    "PRENTENBOEK": "picture_book",
    "PICTURE_BOOK": "picture_book",
    "STRIP": "comic",
    "COMIC": "comic",
    "LB": "audiobook",
    "LUISTERBOEK": "audiobook",
    "AUDIO-CASS": "audiobook",
    "AUDIOBOOK": "audiobook",
    "CD": "music",
    "MUSIC-LP": "music",
    "MUSIC-CASS": "music",
    "MUSIC": "music",
    "DVD": "dvd",
    "VIDEO-CASS": "dvd",
    "BLURAY": "dvd",
    "GAME": "game",
    "SPEL": "game",
    "TS": "magazine",
    "TIJDSCHRIFT": "magazine",
    "MAGAZINE": "magazine",
    "BOUND-JRNL": "magazine",
    "BD-JRNL-NC": "magazine",
    "CUR-PER-NC": "magazine",
    "MUSI-SCORE": "sheet_music",
    "MUSCORE-NC": "sheet_music",
    "SHEET_MUSIC": "sheet_music",
    "MAP": "map",
    "KAART": "map",
    "EBOOK": "ebook",
}
STATUSES = {
    "in_processing",
    "available",
    "on_loan",
    "in_transit",
    "on_hold_shelf",
    "missing",
    "lost",
    "withdrawn",
}


@dataclass
class HoldingItem:
    barcode: str
    branch: str = ""
    shelf: str = ""
    call: str = ""
    type: str = ""
    price: Decimal | None = None
    status: str = "available"
    owner: str = ""
    tag: str = ""
    field: object = field(default=None, repr=False, compare=False)


class ItemsSpecError(ValueError):
    pass


def parse_items_spec(spec):
    """'auto' -> every preset in order; '999' -> that preset; 'TAG:attr=code,...' custom."""
    spec = (spec or "auto").strip()
    if spec == "auto":
        return [PRESETS[t] for t in AUTO_ORDER]
    if spec == "none":
        return []
    if spec in PRESETS:
        return [PRESETS[spec]]
    match = re.match(r"^([0-9]{3}):(.+)$", spec)
    if not match:
        raise ItemsSpecError(
            f"--items must be auto, none, one of {', '.join(PRESETS)} or TAG:attr=code,... "
            f"(got {spec!r})"
        )
    preset = {"tag": match.group(1)}
    for part in match.group(2).split(","):
        attr, _, code = part.partition("=")
        attr, code = attr.strip(), code.strip()
        if attr not in ATTRS + ("withdrawn", "lost") or len(code) != 1:
            raise ItemsSpecError(
                f"bad item mapping {part!r}: use attr=code, attr one of {', '.join(ATTRS)}"
            )
        preset[attr] = code
    if "barcode" not in preset:
        raise ItemsSpecError("a custom item mapping needs barcode=CODE")
    return [preset]


def _price(text):
    text = (text or "").replace(",", ".")
    match = re.search(r"[0-9]+(?:\.[0-9]{1,2})?", text)
    if not match:
        return None
    try:
        value = Decimal(match.group(0))
    except InvalidOperation:
        return None
    return value if 0 <= value < Decimal("1000000") else None


def _status(preset, marc_field, shelf):
    code = preset.get("status")
    if code:
        value = (marc_field.get(code) or "").strip().lower()
        if value in STATUSES:
            return value
    if preset.get("withdrawn") and (marc_field.get(preset["withdrawn"]) or "0").strip() not in (
        "",
        "0",
    ):
        return "withdrawn"
    if preset.get("lost") and (marc_field.get(preset["lost"]) or "0").strip() not in ("", "0"):
        return "lost"
    word = shelf.upper()
    if word.startswith("LOST"):
        return "lost"
    if word in ("WITHDRAWN", "ORD-CANCLD"):
        return "withdrawn"
    if word == "MISSING":
        return "missing"
    return "available"


def holdings(record, presets):
    """HoldingItems of ``record`` from the first preset whose field carries barcodes."""
    for preset in presets:
        marc_fields = [f for f in record.get_fields(preset["tag"]) if not f.is_control_field()]
        items = []
        for marc_field in marc_fields:
            barcode = (marc_field.get(preset["barcode"]) or "").strip()
            if not barcode:
                continue

            def sub(attr, marc_field=marc_field, preset=preset):
                code = preset.get(attr)
                return " ".join((marc_field.get(code) or "").split()) if code else ""

            shelf = sub("shelf")
            items.append(
                HoldingItem(
                    barcode=barcode,
                    branch=sub("branch"),
                    shelf=shelf,
                    call=sub("call"),
                    type=sub("type"),
                    price=_price(sub("price")),
                    status=_status(preset, marc_field, shelf),
                    owner=sub("owner"),
                    tag=preset["tag"],
                    field=marc_field,
                )
            )
        if items:
            return items
    return []


def item_material(type_code, default):
    return ITEM_TYPES.get((type_code or "").strip().upper(), default)
