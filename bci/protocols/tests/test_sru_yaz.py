"""A real SRU client: yaz-client (Debian package yaz) searches the live server with CQL
over SRU 1.2 and 2.0 and shows MARCXML records with their holdings."""

import shutil
import subprocess

import pytest

from bci.catalogue.search import rebuild_index

from .test_oai_metadata import make_record

YAZ = shutil.which("yaz-client") or "/usr/bin/yaz-client"

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        shutil.which("yaz-client") is None,
        reason="yaz-client is not installed (Debian package yaz); apt-get install yaz",
    ),
]


@pytest.fixture
def catalogue(net):
    make_record(
        "Het grote boek van de zee",
        authors=["Jansen, Piet"],
        year=2001,
        isbn="9789044630183",
        items=[("A0001", net.lib_a, net.a1), ("B0001", net.lib_b, net.b1)],
    )
    make_record(
        "Zeereis", authors=["Bakker, Kees"], year=2002, items=[("C0001", net.lib_c, net.c1)]
    )
    make_record("Fietsen in Nederland", year=2015, items=[("A0002", net.lib_a, net.a2)])
    rebuild_index()


def yaz(tmp_path, commands):
    script = tmp_path / "yaz-commands"
    script.write_text("\n".join([*commands, "quit", ""]))
    done = subprocess.run(
        [YAZ, "-f", str(script)], capture_output=True, text=True, timeout=60, check=False
    )
    return done.stdout + done.stderr


@pytest.mark.parametrize("version", ["1.2", "2.0"])
def test_yaz_client_searches_with_cql_and_shows_marcxml(live_server, catalogue, tmp_path, version):
    out = yaz(
        tmp_path,
        [
            f"sru get {version}",
            f"open {live_server.url}/sru",
            "querytype cql",
            "elements marcxml",
            'find dc.title = "grote boek" and dc.date = 2001',
            "show 1",
        ],
    )
    assert "Number of hits: 1" in out, out
    assert "schema=info:srw/schema/1/marcxml-v1.1" in out, out
    assert '<record xmlns="http://www.loc.gov/MARC21/slim">' in out
    assert "Het grote boek van de zee" in out
    assert out.count('tag="852"') == 2  # one per item: LIB-A and LIB-B
    assert '<subfield code="a">LIB-B</subfield>' in out


def test_yaz_client_pages_through_hits_and_reads_dublin_core(live_server, catalogue, tmp_path):
    out = yaz(
        tmp_path,
        [
            "sru get 1.2",
            f"open {live_server.url}/sru",
            "querytype cql",
            "elements dc",
            "find cql.allRecords = 1 sortBy dc.date/sort.descending",
            "show 1+3",
        ],
    )
    assert "Number of hits: 3" in out, out
    titles = [line for line in out.splitlines() if "pos=" in line]
    assert len(titles) == 3, out
    assert out.index("Fietsen in Nederland") < out.index("Zeereis") < out.index("grote boek")


def test_yaz_client_reports_a_cql_syntax_error_as_a_diagnostic(live_server, db, tmp_path):
    out = yaz(
        tmp_path,
        [
            "sru get 1.2",
            f"open {live_server.url}/sru",
            "querytype cql",
            'find dc.title = "unclosed',
        ],
    )
    assert "SRW diagnostic info:srw/diagnostic/1/14" in out, out
    assert "Number of hits: 0" in out
