"""Building synthetic records from the vocabulary in ``words``: deterministic per seed
and index."""

import random

from pymarc import Field, Indicators, Leader, MARCWriter, Record, Subfield, XMLWriter
from stdnum import ean

from ..marc.identifiers import ppn_check_digit
from .words import (
    ADJECTIVES,
    AVI,
    FIRST_NAMES,
    GENRES,
    HEROES,
    LANGUAGES,
    MATERIAL_NAMES,
    MATERIAL_WEIGHTS,
    NOUNS,
    PUBLISHERS,
    SERIES,
    SURNAMES,
    THEMES,
)


def isbn13(number):
    """A valid ISBN-13 in the Dutch 978-90 range for a number < 10,000,000."""
    stem = f"97890{number % 10_000_000:07d}"
    return stem + ean.calc_check_digit(stem)


def ppn(number):
    first8 = f"{(10_000_000 + number) % 100_000_000:08d}"
    return first8 + ppn_check_digit(first8)


def _df(tag, *pairs, ind1=" ", ind2=" "):
    return Field(
        tag=tag,
        indicators=Indicators(ind1, ind2),
        subfields=[Subfield(code, value) for code, value in pairs if value],
    )


def _person(rng):
    return rng.choice(SURNAMES), rng.choice(FIRST_NAMES)


def _inverted(surname, first):
    for prefix in ("van den ", "van der ", "van ", "de "):
        if surname.startswith(prefix):
            return f"{surname[len(prefix) :]}, {first} {prefix.strip()}"
    return f"{surname}, {first}"


def _title(rng, material, youth):
    pattern = rng.randrange(9)
    adj, noun = rng.choice(ADJECTIVES), rng.choice(NOUNS)
    if youth or material in ("picture_book", "youth_book"):
        hero = rng.choice(HEROES)
        return rng.choice(
            (
                f"{hero} en de {adj} {noun}",
                f"{hero} gaat naar de {noun}",
                f"{hero} en het {noun}geheim",
                f"De {noun} van {hero}",
            )
        ), ""
    if material == "magazine":
        return f"{noun.capitalize()}blad", ""
    if pattern == 0:
        return f"De {adj} {noun}", "roman"
    if pattern == 1:
        return f"Het {noun} van {rng.choice(FIRST_NAMES)}", ""
    if pattern == 2:
        return f"{rng.choice(FIRST_NAMES)} en de {noun}", "een verhaal"
    if pattern == 3:
        return f"Een {adj} {noun}", ""
    if pattern == 4:
        return f"Achter de {noun}", f"over {rng.choice(THEMES)[0].lower()}"
    if pattern == 5:
        return f"Handboek {rng.choice(THEMES)[0].lower()}", "een praktische gids"
    if pattern == 6:
        return f"De {noun} in de {rng.choice(NOUNS)}", ""
    if pattern == 7:
        return f"{adj.capitalize()} {noun}", "gedichten"
    return f"Waar de {noun} begint", ""


def make_record(
    index,
    *,
    seed=0,
    branches=("MAIN",),
    owner="",
    items=(1, 3),
    barcode_prefix="S",
    duplicate_of=None,
    same_as=None,
):
    """One synthetic record (pymarc Record, UTF-8) with 852 items.

    ``duplicate_of``: an earlier index whose PPN and ISBN this record repeats with other
    content (another catalogue's description of the same title: the import merges it).
    ``same_as``: an index whose bibliographic content this record repeats exactly (another
    library holding the same title: only the items differ)."""
    rng = random.Random(seed * 1_000_003 + (index if same_as is None else same_as))
    item_rng = random.Random(seed * 7_000_003 + index + 1)
    content_index = index if same_as is None else same_as
    material = rng.choices(MATERIAL_NAMES, MATERIAL_WEIGHTS)[0]
    youth = material in ("picture_book", "youth_book") or rng.random() < 0.25
    language = rng.choices([x for x, _ in LANGUAGES], [w for _, w in LANGUAGES])[0]
    year = min(2025, int(1950 + 75 * rng.random() ** 0.5))
    title, subtitle = _title(rng, material, youth)
    surname, first = _person(rng)
    place, publisher = rng.choice(PUBLISHERS)
    theme, siso = rng.choice(THEMES)
    genre = rng.choice(GENRES)
    fiction = rng.random() < 0.65

    leader6, leader7 = "a", "m"
    f008 = list(f"{240101 + content_index % 9000:06d}s{year}    ne            000 0 {language} d")
    f007 = ""
    if youth:
        f008[22] = "j"
    if material == "large_print":
        f008[23] = "d"
    elif material == "comic":
        f008[33] = "c"
    elif material == "audiobook":
        leader6, f007 = "i", "sd fsngnnmmned"
    elif material == "music":
        leader6, f007 = "j", "sd fsngnnmmned"
    elif material == "dvd":
        leader6, f007 = "g", "vd cvaizq"
    elif material == "game":
        leader6 = "r"
        f008[33] = "g"
    elif material == "magazine":
        leader7 = "s"
    elif material == "ebook":
        f008[23] = "o"
        f007 = "cr una"
    elif material == "sheet_music":
        leader6 = "c"
    elif material == "map":
        leader6 = "e"
    # shelf code (plaatsingscode)
    if material == "picture_book":
        shelf = rng.choice(("AP", "AK"))
    elif youth:
        shelf = rng.choice(("AB", "E " + rng.choice(AVI), "A", "B", "C", "D", "J"))
        if rng.random() < 0.2:
            shelf = f"J {siso}"
    elif material == "large_print":
        shelf = "GL"
    elif material == "audiobook":
        shelf = "LB"
    elif material == "dvd":
        shelf = "DVD"
    elif material == "game":
        shelf = "SPEL"
    elif material == "magazine":
        shelf = "TS"
    elif material == "comic":
        shelf = "STRIP"
    elif fiction:
        shelf = "ROMAN " + genre.split()[0].upper()[:8]
    else:
        shelf = f"{siso} {theme.upper()[:6]}"

    record = Record(force_utf8=True, leader=f"00000n{leader6}{leader7} a2200000 a 4500")
    record.leader = Leader(f"00000n{leader6}{leader7} a2200000 a 4500")
    number = duplicate_of if duplicate_of is not None else content_index + seed * 10_000_000
    record_ppn = ppn(number)
    record.add_field(Field(tag="001", data=record_ppn))
    record.add_field(Field(tag="003", data="NL-LBR"))
    if f007:
        record.add_field(Field(tag="007", data=f007))
    record.add_field(Field(tag="008", data="".join(f008)[:40]))
    if material == "magazine":
        issn_stem = f"{(number * 7) % 10_000_000:07d}"
        total = sum(int(d) * w for d, w in zip(issn_stem, range(8, 1, -1), strict=True))
        check = (11 - total % 11) % 11
        issn = f"{issn_stem[:4]}-{issn_stem[4:]}{'X' if check == 10 else check}"
        record.add_field(_df("022", ("a", issn)))
    else:
        qualifier = rng.choice(("", " (gebonden)", " (paperback)", ""))
        record.add_field(
            _df(
                "020",
                ("a", isbn13(number) + qualifier),
                ("c", f"€ {rng.randrange(8, 30)},{rng.choice(('95', '99', '50'))}"),
            )
        )
    record.add_field(_df("035", ("a", f"(PPN){record_ppn}")))
    if rng.random() < 0.7:
        record.add_field(_df("035", ("a", f"(NBD)A{number:09d}")))
    record.add_field(_df("040", ("a", "NL-LBR"), ("b", "dut")))
    if language != "dut":
        record.add_field(_df("041", ("a", language), ("h", rng.choice(("eng", "ger")))))
    record.add_field(_df("084", ("a", siso), ("2", "SISO")))
    record.add_field(_df("100", ("a", _inverted(surname, first)), ("4", "aut"), ind1="1"))
    nonfiling = (
        "4" if title.startswith(("Het ", "Een ")) else "3" if title.startswith("De ") else "0"
    )
    record.add_field(
        _df(
            "245",
            ("a", title + (" :" if subtitle else " /")),
            ("b", (subtitle + " /") if subtitle else ""),
            ("c", f"{first} {surname}"),
            ind1="1",
            ind2=nonfiling,
        )
    )
    if rng.random() < 0.3:
        record.add_field(_df("250", ("a", f"{rng.randrange(2, 12)}e druk")))
    record.add_field(
        _df("264", ("a", place + " :"), ("b", publisher + ","), ("c", str(year)), ind2="1")
    )
    pages = rng.randrange(24, 640) if not youth else rng.randrange(24, 160)
    record.add_field(
        _df(
            "300",
            ("a", f"{pages} pagina's"),
            ("b", "illustraties" if youth else ""),
            ("c", "22 cm"),
        )
    )
    if rng.random() < 0.15:
        record.add_field(
            _df("490", ("a", rng.choice(SERIES)), ("v", str(rng.randrange(1, 40))), ind1="0")
        )
    record.add_field(
        _df(
            "520",
            (
                "a",
                f"{'Verhaal' if fiction else 'Boek'} over {theme.lower()} en een "
                f"{rng.choice(ADJECTIVES)} {rng.choice(NOUNS)}.",
            ),
        )
    )
    if youth:
        record.add_field(_df("521", ("a", f"Vanaf {rng.randrange(2, 12)} jaar")))
    record.add_field(_df("650", ("a", theme), ("2", "gtt"), ind2="7"))
    if rng.random() < 0.4:
        record.add_field(_df("650", ("a", rng.choice(THEMES)[0]), ("2", "gtt"), ind2="7"))
    if fiction and not youth:
        record.add_field(_df("655", ("a", genre), ("2", "NBD"), ind2="7"))
    if rng.random() < 0.2:
        s2, f2 = _person(rng)
        record.add_field(
            _df("700", ("a", _inverted(s2, f2)), ("4", "ill" if youth else "trl"), ind1="1")
        )
    low, high = items
    for k in range(item_rng.randint(low, high)):
        record.add_field(
            _df(
                "852",
                ("a", owner),
                ("b", item_rng.choice(branches)),
                ("c", shelf),
                ("h", f"{shelf} {surname.split()[-1][:4].upper()}"),
                ("p", f"{barcode_prefix}{seed:02d}{index:08d}{k}"),
                ("9", f"{item_rng.randrange(8, 40)}.{item_rng.choice(('00', '50', '95'))}"),
            )
        )
    return record


def records(n, *, seed=0, start=0, duplicate_rate=0.0, **options):
    """``n`` records with indexes start..start+n-1; ``duplicate_rate`` of them repeat an
    earlier record's ISBN and PPN (so the import merges them)."""
    rng = random.Random(seed)
    for index in range(start, start + n):
        duplicate_of = None
        if duplicate_rate and index > start and rng.random() < duplicate_rate:
            duplicate_of = rng.randrange(start, index) + seed * 10_000_000
        yield make_record(index, seed=seed, duplicate_of=duplicate_of, **options)


def write_file(path, n, *, fmt="iso2709", **options):
    """Write ``n`` synthetic records to ``path`` (ISO 2709 or MARCXML); returns the path."""
    with open(path, "wb") as handle:
        writer = XMLWriter(handle) if fmt == "marcxml" else MARCWriter(handle)
        for record in records(n, **options):
            writer.write(record)
        if fmt == "marcxml":
            writer.close(close_fh=False)
    return path


def prepared_batch(jobs, seed, options, presets):
    """Generate and prepare records for the import in one go (runs in a worker process):
    ``jobs`` is a list of (index, same_as). Returns import outcomes (see
    ``marc.importer.prepare.prepare_batch``)."""
    from ..marc.importer.prepare import prepare_record

    out = []
    for index, same_as in jobs:
        record = make_record(index, seed=seed, same_as=same_as, **options)
        out.append(("ok", prepare_record(record, index + 1, 0, presets), ""))
    return out
