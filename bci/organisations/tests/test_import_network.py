"""`bci import-network`: the bundled CSV, updates, and every kind of refused input."""

import csv
import io
import json
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.utils import translation

from bci.core.models import Event
from bci.organisations.errors import NetworkImportError
from bci.organisations.models import Closure, Node, OpeningHours
from bci.organisations.network_csv.codes import code_slug, location_code, organisation_code
from bci.organisations.services import import_network

BUNDLED = Path(settings.BASE_DIR) / "bci" / "demo" / "data" / "network-nl.csv"
HEADER = "province,poi,organisation,branch,town,lat,lon,kind,confidence"


@pytest.fixture(autouse=True)
def _english():
    """Messages are checked in English here; one test below checks the Dutch."""
    with translation.override("en"):
        yield


def bundled_rows():
    with BUNDLED.open(encoding="utf-8") as f:
        return list(csv.DictReader(f))


def write_csv(tmp_path, rows, *, header=HEADER, name="net.csv"):
    path = tmp_path / name
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


def snapshot():
    """Everything an import could touch, to prove a refused file changed nothing."""
    return {
        "nodes": sorted(
            Node.objects.values_list(
                "code", "kind", "name", "parent_id", "latitude", "longitude", "path"
            )
        ),
        "events": Event.objects.count(),
        "hours": OpeningHours.objects.count(),
        "closures": Closure.objects.count(),
    }


# --- codes --------------------------------------------------------------------------------


def test_codes_are_readable_slugs():
    assert organisation_code("Bibliotheek Z-O-U-T") == "ZOUT"
    assert organisation_code("Noord Oost Brabantse Bibliotheken (NOBB)") == "NOBB"
    assert organisation_code("Bibliotheek Lek & IJssel") == "LEK-IJSSEL"
    assert organisation_code("Centre Ceramique (incl. Heuvelland)") == "CENTRE-CERAMIQUE"
    assert location_code("UTRECHT", "Neude (centraal)") == "UTRECHT-NEUDE"
    assert location_code("BISC", "BiSC depot (Utrecht Lage Weide)") == "BISC-DEPOT"
    assert location_code("CENTRE-CERAMIQUE", "Centre Ceramique", town="Maastricht") == (
        "CENTRE-CERAMIQUE-MAASTRICHT"
    )
    assert code_slug("Heeze ('t Perron)", keep_parenthesised=True) == "HEEZE-T-PERRON"
    assert organisation_code("Bibliotheek Angstel Vecht en Venen") == "AVV"
    assert organisation_code("SCHUNCK Bibliotheek Heerlen") == "SBH"
    assert location_code("CENTRE-CERAMIQUE", "Berg en Terblijt") == "CENTRE-CERAMIQUE-BERG-TERBLIJT"
    long_org = "X" * 20
    assert location_code(long_org, "a very long branch name indeed") == f"{long_org}-A-VERY-LONG"


def test_derived_codes_fit_the_event_log_and_do_not_collide(db, tmp_path):
    path = write_csv(
        tmp_path,
        [
            "Utrecht,BiSC,Bibliotheek Alpha Bravo Charlie,Centrum,Houten,52.03,5.17,main,",
            "Utrecht,BiSC,Bibliotheek Amber Bos Castricum,Centrum,Houten,52.03,5.17,main,",
        ],
    )
    import_network(file=path, by="test")
    assert set(Node.objects.organisations().values_list("code", flat=True)) == {
        "ABC",
        "BIBLIOTHEEK-AMBER-BOS-CASTRICUM",
    }
    import_network(file=BUNDLED, by="test")
    assert max(len(code) for code in Node.objects.values_list("code", flat=True)) <= 32


# --- the bundled network ------------------------------------------------------------------


def test_bundled_csv_becomes_the_tree(db):
    rows = bundled_rows()
    result = import_network(file=BUNDLED, by="test")

    lending = [r for r in rows if r["kind"] in Node.Kind.lending_kinds()]
    assert Node.objects.filter(kind="network").count() == 1
    assert Node.objects.pois().count() == len({r["poi"] for r in rows if r["poi"] != "national"})
    assert Node.objects.organisations().count() == len({r["organisation"] for r in lending})
    assert Node.objects.locations().count() == len(rows) == result.rows
    assert len(set(result.codes)) == len(rows)
    # every row is a node with its name, kind, town and coordinates, under the right parent
    for row, code in zip(rows, result.codes, strict=True):
        node = Node.objects.get(code=code)
        assert (node.name, node.kind, node.town) == (row["branch"], row["kind"], row["town"])
        assert (node.latitude, node.longitude) == (float(row["lat"]), float(row["lon"]))
        assert node.source_note == row["confidence"]
        if row["kind"] in Node.Kind.lending_kinds():
            assert node.organisation.name == row["organisation"]
            assert node.poi.name == row["poi"]
        elif row["poi"] == "national":
            assert node.parent.kind == "network"
        else:
            assert node.parent.kind == "poi" and node.parent.name == row["poi"]
    assert Node.objects.get(code="ZOUT").name == "Bibliotheek Z-O-U-T"
    assert Node.objects.get(code="IBL-NIGHT-SORT-HUB").parent.kind == "network"
    assert Event.objects.filter(kind="network.imported").count() == 1


def test_reimport_changes_nothing(db):
    import_network(file=BUNDLED, by="test")
    before = snapshot()
    again = import_network(file=BUNDLED, by="test")
    assert again.changed == 0
    assert sum(again.unchanged.values()) == Node.objects.count()
    assert snapshot() == before  # no new nodes, no moved paths, no event


def test_moved_coordinates_and_a_new_branch_update_in_place(db, tmp_path):
    rows = bundled_rows()
    import_network(file=BUNDLED, by="test")
    neude = Node.objects.get(code="UTRECHT-NEUDE")
    rows[2]["lat"], rows[2]["lon"] = "52.0900", "5.1200"
    rows.append({**rows[3], "branch": "Kanaleneiland", "lat": "52.0700", "lon": "5.1000"})
    result = import_network(rows=rows, by="test")
    assert result.updated["main"] == 1 and result.created["branch"] == 1
    neude.refresh_from_db()
    assert (neude.latitude, neude.longitude) == (52.09, 5.12)
    assert Node.objects.get(code="UTRECHT-KANALENEILAND").organisation.code == "UTRECHT"


def test_rename_and_move_with_explicit_codes(db, tmp_path):
    header = HEADER + ",code,address,postcode,population"
    first = write_csv(
        tmp_path,
        [
            "Utrecht,BiSC,Bibliotheek A,Centrum,Houten,52.03,5.17,main,sourced,"
            'NL-0800010000,"Plein 1",3991 AA,50000',
            "Utrecht,BiSC,Bibliotheek A,Noord,Bunnik,52.07,5.20,branch,sourced,NL-0800011001,,,",
            "Utrecht,BiSC,Bibliotheek B,Zeist,Zeist,52.09,5.23,main,sourced,NL-0800020000,,,",
        ],
        header=header,
    )
    import_network(file=first, by="test")
    centrum = Node.objects.get(code="NL-0800010000")
    assert (centrum.address, centrum.postcode, centrum.population) == ("Plein 1", "3991 AA", 50000)
    # The branch is renamed and handed over to library B: same node, new name and parent.
    second = write_csv(
        tmp_path,
        [
            "Utrecht,BiSC,Bibliotheek A,Centrum,Houten,52.03,5.17,main,sourced,"
            'NL-0800010000,"Plein 1",3991 AA,50000',
            "Utrecht,BiSC,Bibliotheek B,Bunnik Dorp,Bunnik,52.07,5.21,branch,sourced,"
            "NL-0800011001,,,",
            "Utrecht,BiSC,Bibliotheek B,Zeist,Zeist,52.09,5.23,main,sourced,NL-0800020000,,,",
        ],
        header=header,
        name="second.csv",
    )
    result = import_network(file=second, by="test")
    assert result.updated["branch"] == 1 and not result.created
    bunnik = Node.objects.get(code="NL-0800011001")
    assert bunnik.name == "Bunnik Dorp" and bunnik.longitude == 5.21
    assert bunnik.organisation.name == "Bibliotheek B"
    assert bunnik.path.startswith(bunnik.organisation.path)


def test_network_root_can_be_renamed(db):
    import_network(file=BUNDLED, by="test")
    import_network(file=BUNDLED, by="test", network_name="BCI Zuid en Midden")
    assert Node.objects.get(kind="network").name == "BCI Zuid en Midden"


def test_semicolon_csv_with_decimal_commas(db, tmp_path):
    path = tmp_path / "excel.csv"
    path.write_text(
        HEADER.replace(",", ";")
        + "\nUtrecht;BiSC;Bibliotheek A;Centrum;Houten;52,03;5,17;main;sourced\n",
        encoding="utf-8-sig",
    )
    import_network(file=path, by="test")
    node = Node.objects.get(code="A-CENTRUM")
    assert (node.latitude, node.longitude) == (52.03, 5.17)


# --- bad input: line and column named, nothing changed -------------------------------------

GOOD = "Utrecht,BiSC,Bibliotheek A,Centrum,Houten,52.03,5.17,main,sourced"
RENAME = "Utrecht,BiSC,Bibliotheek Utrecht,Neude (centraal),Utrecht,52.2,5.2,main,sourced"


@pytest.mark.parametrize(
    ("rows", "header", "line", "column", "words"),
    [
        ([GOOD], HEADER.replace(",lat", ""), 1, "lat", "missing column"),
        ([GOOD, GOOD.replace("main", "castle")], HEADER, 3, "kind", "unknown kind"),
        ([GOOD, GOOD.replace("52.03", "noord")], HEADER, 3, "lat", "not a number"),
        ([GOOD, GOOD.replace("52.03", "95")], HEADER, 3, "lat", "-90..90"),
        ([GOOD, GOOD.replace("5.17", "-200")], HEADER, 3, "lon", "-180..180"),
        ([GOOD, GOOD.replace("52.03", "48.85")], HEADER, 3, "lat", "outside the Netherlands"),
        ([GOOD, GOOD.replace("5.17", "52.03")], HEADER, 3, "lon", "outside the Netherlands"),
        ([GOOD, GOOD.replace("52.03", "nan")], HEADER, 3, "lat", "outside"),
        ([GOOD, GOOD.replace("52.03", "")], HEADER, 3, "lat", "not a number"),
        ([GOOD, GOOD.replace("Centrum", "")], HEADER, 3, "branch", "empty"),
        ([GOOD, GOOD.replace("Bibliotheek A", "")], HEADER, 3, "organisation", "empty"),
        ([GOOD, GOOD.replace("BiSC", "")], HEADER, 3, "poi", "empty"),
        ([GOOD, GOOD.replace("BiSC", "national")], HEADER, 3, "poi", "hub"),
        ([GOOD, GOOD + ",extra"], HEADER, 3, "-", "10 values for 9 columns"),
        ([GOOD, RENAME], HEADER, 3, "branch", "same location as line 2"),
        ([], HEADER, 2, "-", "no rows"),
        ([GOOD], HEADER + ",lat", 1, "lat", "more than once"),
        ([GOOD, GOOD.replace("Centrum", '"Centrum"x')], HEADER, 3, "-", "expected after"),
    ],
)
def test_bad_input_names_line_and_column_and_changes_nothing(
    db, tmp_path, rows, header, line, column, words
):
    import_network(file=BUNDLED, by="test")
    before = snapshot()
    # The first row (a valid change to an existing branch) must not be applied either.
    path = write_csv(tmp_path, [RENAME, *rows[1:]] if rows else [], header=header)
    with pytest.raises(NetworkImportError) as refused:
        import_network(file=path, by="test")
    error = refused.value
    assert (error.line, error.column) == (line, column)
    assert f"Line {line}, column {column}" in str(error) and words in str(error)
    assert error.code == "network_csv_invalid"
    assert snapshot() == before


def test_refusal_is_translated(db, tmp_path):
    path = write_csv(tmp_path, [GOOD.replace("main", "castle")])
    with translation.override("nl"):
        with pytest.raises(NetworkImportError) as refused:
            import_network(file=path, by="test")
        assert str(refused.value).startswith("Regel 2, kolom kind: onbekende soort")


def test_a_bad_row_after_good_changes_rolls_everything_back(db, tmp_path):
    import_network(file=BUNDLED, by="test")
    before = snapshot()
    rows = bundled_rows()
    rows[2]["lat"] = "52.2000"  # a real change on line 4 ...
    rows[-1]["kind"] = "castle"  # ... and a refusal on the last line
    with pytest.raises(NetworkImportError) as refused:
        import_network(rows=rows, by="test")
    assert (refused.value.line, refused.value.column) == (len(rows) + 1, "kind")
    assert snapshot() == before


def test_code_of_another_kind_is_refused(db, tmp_path):
    import_network(file=BUNDLED, by="test")
    before = snapshot()
    path = write_csv(
        tmp_path,
        [GOOD + ",UTRECHT"],  # the organisation's code given to a branch
        header=HEADER + ",code",
    )
    with pytest.raises(NetworkImportError) as refused:
        import_network(file=path, by="test")
    assert refused.value.column == "code"
    assert snapshot() == before


def test_open_binary_file_that_is_not_utf8_is_refused(db):
    data = (HEADER + "\n" + GOOD + "\n" + GOOD.replace("Centrum", "Caf\xe9") + "\n").encode(
        "latin-1"
    )
    with pytest.raises(NetworkImportError) as refused:
        import_network(file=io.BytesIO(data), by="test")
    assert refused.value.line == 3
    assert Node.objects.count() == 0


def test_file_that_is_not_utf8_is_refused(db, tmp_path):
    path = tmp_path / "latin1.csv"
    path.write_bytes(
        (HEADER + "\n" + GOOD.replace("Houten", "Ĳsselstein")).encode("cp1252", "replace")
        + b"\xff\n"
    )
    with pytest.raises(NetworkImportError) as refused:
        import_network(file=path, by="test")
    assert refused.value.line == 2
    assert Node.objects.count() == 0


# --- the commands -------------------------------------------------------------------------


def test_import_network_command_reports_and_refuses(db, tmp_path):
    out = io.StringIO()
    call_command("import_network", str(BUNDLED), stdout=out)
    assert "created" in out.getvalue() and "101 rows" in out.getvalue()
    bad = write_csv(tmp_path, [GOOD.replace("main", "castle")])
    with pytest.raises(CommandError, match="Line 2, column kind"):
        call_command("import_network", str(bad), stdout=io.StringIO())
    with pytest.raises(CommandError, match="no such file"):
        call_command("import_network", str(tmp_path / "missing.csv"), stdout=io.StringIO())


def test_network_json_is_the_nested_tree(db):
    import_network(file=BUNDLED, by="test")
    out = io.StringIO()
    call_command("network", json=True, stdout=out)
    roots = json.loads(out.getvalue())

    def walk(entries, parent_kind):
        for entry in entries:
            assert set(entry) == {"code", "kind", "name", "children"}
            node = Node.objects.get(code=entry["code"])
            assert (node.kind, node.name) == (entry["kind"], entry["name"])
            assert (node.parent.kind if node.parent else None) == parent_kind
            yield entry
            yield from walk(entry["children"], entry["kind"])

    assert len(roots) == 1 and roots[0]["kind"] == "network"
    assert len(list(walk(roots, None))) == Node.objects.count()


def test_network_tree_prints_codes_kinds_and_names(db):
    import_network(file=BUNDLED, by="test")
    out = io.StringIO()
    call_command("network", stdout=out)
    text = out.getvalue()
    assert "ZOUT organisation Bibliotheek Z-O-U-T" in text
    assert "UTRECHT-NEUDE main Neude (centraal)" in text
    assert text.count("\n") >= Node.objects.count()


def test_explicit_code_used_twice_is_refused(db, tmp_path):
    path = write_csv(
        tmp_path,
        [GOOD + ",NL-0800010000", GOOD.replace("Centrum", "Noord") + ",NL-0800010000"],
        header=HEADER + ",code",
    )
    with pytest.raises(NetworkImportError) as refused:
        import_network(file=path, by="test")
    assert (refused.value.line, refused.value.column) == (3, "code")
    assert Node.objects.count() == 0


def test_hub_under_a_poi_and_a_depot(db, tmp_path):
    path = write_csv(
        tmp_path,
        [
            "Utrecht,BiSC,BiSC,BiSC depot,Utrecht,52.10,5.07,poi_depot,plausible",
            "Utrecht,BiSC,,Regional hub,Utrecht,52.10,5.08,hub,plausible",
        ],
    )
    import_network(file=path, by="test")
    assert Node.objects.get(code="BISC-DEPOT").parent.code == "BISC"
    assert Node.objects.get(code="BISC-REGIONAL-HUB").parent.code == "BISC"
    assert not Node.objects.organisations().exists()


def test_absent_optional_columns_keep_what_was_edited(db, tmp_path):
    import_network(file=BUNDLED, by="test")
    Node.objects.filter(code="UTRECHT-NEUDE").update(address="Neude 11", population=360000)
    again = import_network(file=BUNDLED, by="test")  # the bundled file has no address column
    assert again.changed == 0
    neude = Node.objects.get(code="UTRECHT-NEUDE")
    assert (neude.address, neude.population) == ("Neude 11", 360000)


def test_organisation_population_is_the_sum_of_its_locations(db, tmp_path):
    path = write_csv(
        tmp_path,
        [GOOD + ",30000", GOOD.replace("Centrum", "Noord") + ",12000"],
        header=HEADER + ",population",
    )
    import_network(file=path, by="test")
    assert Node.objects.get(code="A").population == 42000
    assert Node.objects.get(code="A-NOORD").population == 12000
