"""Fields extracted from a MARC record for display, sorting, matching and search.

Pure functions over pymarc Records, no Django: ``extract(record)`` returns a dict of
Record field values plus the normalised identifiers.
"""

import re
import unicodedata

from .identifiers import (
    normalise_isbn,
    normalise_issn,
    normalise_ppn,
    normalise_system_number,
)

_TRAIL = " /:;,=.+"
_SPECIAL = str.maketrans(
    {
        "ø": "o",
        "Ø": "O",
        "æ": "ae",
        "Æ": "AE",
        "ß": "ss",
        "ł": "l",
        "Ł": "L",
        "đ": "d",
        "Đ": "D",
        "œ": "oe",
        "Œ": "OE",
        "ı": "i",
        "ʹ": "",
        "ʻ": "",
        "ʼ": "",
    }
)
_NON_ALNUM = re.compile(r"[^0-9a-z]+")
_YEAR = re.compile(r"(1[5-9][0-9]{2}|20[0-9]{2})")

# Shelf codes (plaatsingscodes) of Dutch public libraries that say "youth".
YOUTH_SHELF = {
    "AB",
    "AP",
    "AK",
    "AJ",
    "E",
    "A",
    "B",
    "C",
    "D",
    "J",
    "JD",
    "JI",
    "JEUGD",
    "M3",
    "M4",
    "M5",
    "M6",
    "M7",
    "E3",
    "E4",
    "E5",
    "E6",
    "E7",
    "AVI",
    "START",
    "PLUS",
    "JUV-BOOK",
}
PICTURE_BOOK_SHELF = {"AP", "AK", "AB"}
# Shelf-code words that name a material type, checked word by word.
SHELF_MATERIAL = {
    "GL": "large_print",
    "GR": "large_print",
    "GROTELETTER": "large_print",
    "LB": "audiobook",
    "LUISTERBOEK": "audiobook",
    "CD-LB": "audiobook",
    "AUDIO-CASS": "audiobook",
    "DVD": "dvd",
    "VIDEO": "dvd",
    "VIDEO-CASS": "dvd",
    "SPEL": "game",
    "GAME": "game",
    "GAMES": "game",
    "TS": "magazine",
    "TIJDSCHRIFT": "magazine",
    "STRIP": "comic",
    "STRIPS": "comic",
    "CD": "music",
    "MUSIC-LP": "music",
    "MUSIC-CASS": "music",
    "MUSI-SCORE": "sheet_music",
    "BLADMUZIEK": "sheet_music",
    "KAART": "map",
}
YOUTH_AUDIENCE_008 = set("abcdj")
ADULT_AUDIENCE_008 = set("efg")


def fold(text):
    """Lower-case ASCII: diacritics removed (Brontë -> bronte, Ørsted -> orsted)."""
    text = (text or "").translate(_SPECIAL)
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


def clean(text):
    """Strip ISBD punctuation at the ends and squeeze spaces."""
    text = " ".join((text or "").split())
    text = text.strip(_TRAIL).strip()
    if text.startswith("[") and text.endswith("]"):
        text = text[1:-1].strip()
    return text


def _first(record, tag):
    fields = record.get_fields(tag)
    return fields[0] if fields else None


def _sub(field, *codes):
    return " ".join(v for c, v in _pairs(field) if c in codes)


def _pairs(field):
    return [(s.code, s.value) for s in getattr(field, "subfields", ())]


def _control(record, tag):
    field = _first(record, tag)
    return field.data if field is not None and field.is_control_field() else ""


def shelf_words(shelf_codes):
    words = []
    for code in shelf_codes:
        for word in re.split(r"[\s/]+", (code or "").upper()):
            if word:
                words.append(word.strip(".,"))
    return words


def material_type(record, shelf_codes=()):
    """book, large_print, picture_book, comic, audiobook, music, dvd, game, magazine,
    sheet_music, map, ebook or other: shelf codes win, then leader/06-07, 007 and 008."""
    words = shelf_words(shelf_codes)
    for word in words:
        if word in SHELF_MATERIAL:
            return SHELF_MATERIAL[word]
    if words and words[0] in ("AP", "AK"):
        return "picture_book"
    leader = str(record.leader)
    kind = leader[6:7]
    level = leader[7:8]
    f008 = _control(record, "008")
    f007 = _control(record, "007")
    genres = " ".join(fold(_sub(f, "a")) for f in record.get_fields("655"))
    if kind in ("a", "t"):
        if level in ("b", "s"):
            return "magazine"
        form = f008[23:24]
        if form == "d":
            return "large_print"
        if form in ("o", "q", "s") or f007[:2] == "cr":
            return "ebook"
        if "prentenboek" in genres or "picture book" in genres:
            return "picture_book"
        if f008[33:34] == "c" or "strip" in genres or "comic" in genres:
            return "comic"
        return "book"
    if kind == "g":
        return "dvd"
    if kind == "i":
        return "audiobook"
    if kind == "j":
        return "music"
    if kind in ("c", "d"):
        return "sheet_music"
    if kind in ("e", "f"):
        return "map"
    if kind == "r":
        return "game"
    if kind == "m":
        return "game" if f008[26:27] == "g" else "ebook"
    return "other"


def audience(record, shelf_codes=()):
    words = shelf_words(shelf_codes)
    if words and (words[0] in YOUTH_SHELF or re.match(r"^(E|M)[3-7]$", words[0])):
        return "youth"
    kind = str(record.leader)[6:7]
    code = _control(record, "008")[22:23] if kind in ("a", "t", "g", "i", "j", "m") else ""
    if code in YOUTH_AUDIENCE_008:
        return "youth"
    if code in ADULT_AUDIENCE_008:
        return "adult"
    if words:
        return "adult"  # a Dutch library shelf code that is not a youth code
    return "unknown"


def _year(record):
    f008 = _control(record, "008")
    date1 = f008[7:11]
    if date1.isdigit() and 1400 < int(date1) < 2100:
        return int(date1)
    for tag, code in (("264", "c"), ("260", "c")):
        for field in record.get_fields(tag):
            match = _YEAR.search(_sub(field, code))
            if match:
                return int(match.group(1))
    return None


def _language(record):
    code = _control(record, "008")[35:38].strip().lower()
    if len(code) == 3 and code.isalpha():
        return code
    field = _first(record, "041")
    if field is not None:
        code = (field.get("a") or "")[:3].lower()
        if len(code) == 3 and code.isalpha():
            return code
    return ""


def _name(field):
    codes = ("a", "b") if field.tag in ("110", "710") else ("a",)
    text = clean(_sub(field, *codes))
    if field.tag in ("100", "700"):
        text = text.rstrip(",")
    return text


def surname(author):
    return fold(author.split(",")[0]).strip()


def make_match_key(title, author, year, material):
    words = _NON_ALNUM.sub(" ", fold(title)).split()
    if not words:
        return ""
    key_title = "".join(words)[:80]
    last = _NON_ALNUM.sub("", surname(author)) if author else ""
    return f"{key_title}|{last[:40]}|{year or ''}|{material}"


def identifiers(record):
    """The normalised identifiers of a record as a set of (scheme, value)."""
    ids = set()
    for field in record.get_fields("020"):
        for value in field.get_subfields("a"):
            isbn = normalise_isbn(value)
            if isbn:
                ids.add(("isbn", isbn))
    for field in record.get_fields("022"):
        for value in field.get_subfields("a"):
            issn = normalise_issn(value)
            if issn:
                ids.add(("issn", issn))
    for field in record.get_fields("035"):
        for value in field.get_subfields("a"):
            norm = normalise_system_number(value)
            if norm:
                ids.add(norm)
    for field in record.get_fields("024"):  # 024 7_ $a ... $2 nbd
        source = fold(field.get("2") or "")
        if source in ("nbd", "nbd-biblion", "biblion"):
            for value in field.get_subfields("a"):
                ids.add(("nbd", value.strip()[:100]))
    f001 = _control(record, "001").strip()
    f003 = _control(record, "003").strip()
    if f001:
        ppn = normalise_ppn(f001)
        if ppn and (not f003 or f003.lower() in ("ppn", "nl-lbr", "ocolc-nl", "ggc", "nbc")):
            ids.add(("ppn", ppn))
        elif f003:
            ids.add(("system", f"({f003}){f001}"[:100]))
    return ids


def _classification(record):
    for field in record.get_fields("084"):
        source = fold(field.get("2") or "")
        if "siso" in source or source in ("z", "nl-siso"):
            value = clean(field.get("a") or "")
            if value:
                return value
    for tag in ("690", "655"):
        field = _first(record, tag)
        if field is not None and clean(field.get("a") or ""):
            return clean(field.get("a"))
    field = _first(record, "082")
    if field is not None:
        return clean(field.get("a") or "")
    return ""


def _subjects(record):
    seen = []
    for field in record.get_fields("600", "610", "611", "630", "650", "651", "653"):
        parts = [clean(v) for c, v in _pairs(field) if c in "abcdxyzvt" and clean(v)]
        if field.tag in ("600", "610", "611"):
            parts = [clean(_sub(field, "a", "b", "c", "d"))] + [
                clean(v) for c, v in _pairs(field) if c in "xyzv" and clean(v)
            ]
        text = " -- ".join(p for p in parts if p)
        if text and text not in seen:
            seen.append(text)
    return seen[:40]


def sort_title_of(record, title):
    field = _first(record, "245")
    skip = 0
    if field is not None and str(field.indicator2).isdigit():
        skip = int(field.indicator2)
    text = title[skip:] if skip and len(title) > skip else title
    return " ".join(_NON_ALNUM.sub(" ", fold(text)).split())[:200]


def extract(record, shelf_codes=()):
    """A dict of Record field values (title ... richness) plus ``identifiers`` (a set)."""
    f245 = _first(record, "245")
    title = clean(_sub(f245, "a", "n", "p")) if f245 is not None else ""
    subtitle = clean(_sub(f245, "b")) if f245 is not None else ""
    authors = []
    for field in record.get_fields("100", "110", "111", "700", "710", "711"):
        name = _name(field)
        if name and name not in authors:
            authors.append(name)
    publisher = ""
    for field in record.get_fields("264", "260"):
        if field.tag == "264" and field.indicator2 not in ("1", " "):
            continue
        publisher = clean(_sub(field, "b").split(" : ")[0])
        if publisher:
            break
    series = ""
    for field in record.get_fields("490", "830"):
        series = clean(_sub(field, "a", "v"))
        if series:
            break
    material = material_type(record, shelf_codes)
    year = _year(record)
    ids = identifiers(record)
    subjects = _subjects(record)
    classification = _classification(record)
    main_author = authors[0] if authors else ""
    key_fields = sum(
        bool(x)
        for x in (
            title,
            main_author,
            publisher,
            year,
            subjects,
            series,
            classification,
            any(s in ("isbn", "issn") for s, _ in ids),
        )
    )
    return {
        "title": (title or "[zonder titel]")[:500],
        "subtitle": subtitle[:500],
        "authors": authors[:30],
        "main_author": main_author[:300],
        "publisher": publisher[:300],
        "year": year,
        "language": _language(record),
        "material_type": material,
        "audience": audience(record, shelf_codes),
        "series": series[:300],
        "subjects": subjects,
        "classification": classification[:100],
        "sort_title": sort_title_of(record, title),
        "match_key": make_match_key(title, main_author, year, material)[:200],
        "richness": len(record.fields) + 5 * key_fields,
        "identifiers": ids,
    }
