"""A real harvester (sickle) against the live server: a full harvest over resumption
tokens gets every record exactly once, deletions included; an incremental harvest
(from=) gets only what changed since."""

import datetime as dt

import pytest
from sickle import Sickle

from bci.catalogue.models import Record
from bci.protocols.oaipmh.repository import oai_identifier

from .test_oai_metadata import T0, make_record, tombstone

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def harvestable(net, settings):
    settings.BCI_OAI_RECORDS_PER_PAGE = 4
    settings.BCI_OAI_IDENTIFIERS_PER_PAGE = 4
    records = [
        make_record(
            f"Boek nummer {i}",
            authors=[f"Auteur {i}"],
            year=2000 + i,
            items=[(f"S{i:04d}", net.lib_a if i % 2 else net.lib_c, net.a1 if i % 2 else net.c1)],
            updated_at=T0 + dt.timedelta(minutes=i),
        )
        for i in range(11)
    ]
    tombstone(records[3], at=T0 + dt.timedelta(hours=1), merged_into=records[5])
    return records


def test_full_harvest_then_incremental_harvest(live_server, harvestable):
    sickle = Sickle(live_server.url + "/oai", max_retries=0)
    harvested = list(sickle.ListRecords(metadataPrefix="marc21", ignore_deleted=False))
    ids = [r.header.identifier for r in harvested]
    assert sorted(ids) == sorted(oai_identifier(r.id) for r in harvestable)
    assert len(ids) == len(set(ids)) == 11
    deleted = [r.header.identifier for r in harvested if r.header.deleted]
    assert deleted == [oai_identifier(harvestable[3].id)]
    live = [r for r in harvested if not r.header.deleted]
    assert len(live) == 10
    assert all("<leader>" in r.raw and 'tag="852"' in r.raw for r in live)

    # the harvester comes back later: one record changed, one withdrawn
    since = dt.datetime.now(dt.UTC).replace(microsecond=0)
    changed, withdrawn = harvestable[1], harvestable[2]
    Record.objects.filter(pk=changed.pk).update(title="Nieuwe titel", updated_at=since)
    tombstone(withdrawn, at=since + dt.timedelta(seconds=1))
    incremental = list(
        sickle.ListIdentifiers(
            metadataPrefix="marc21",
            ignore_deleted=False,
            **{"from": since.strftime("%Y-%m-%dT%H:%M:%SZ")},
        )
    )
    assert [(h.identifier, h.deleted) for h in incremental] == [
        (oai_identifier(changed.id), False),
        (oai_identifier(withdrawn.id), True),
    ]


def test_harvest_of_a_set_over_several_pages(live_server, harvestable):
    sickle = Sickle(live_server.url + "/oai", max_retries=0)
    headers = list(
        sickle.ListIdentifiers(
            metadataPrefix="oai_dc", set="poi:CUBISS:library:LIB-C", ignore_deleted=False
        )
    )
    expected = {oai_identifier(r.id) for i, r in enumerate(harvestable) if i % 2 == 0}
    assert {h.identifier for h in headers} == expected
    assert len(headers) == 6
