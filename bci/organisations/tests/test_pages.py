import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation

from bci.organisations import views
from bci.organisations.models import Closure, Node, OpeningHours
from bci.organisations.svgmap import PROVINCES_BBOX, BBox, Place, build_map
from bci.organisations.tests.factories import NodeFactory, add_hours

AMS = ZoneInfo("Europe/Amsterdam")
WEDNESDAY = dt.date(2026, 12, 2)


@pytest.fixture(autouse=True)
def _dutch_thread():
    """Requests switch the thread's language and leave it switched (LocaleMiddleware never
    switches back); start each test in the default language and restore what was before."""
    with translation.override(settings.LANGUAGE_CODE):
        yield


@pytest.fixture
def at(monkeypatch):
    """at(datetime) puts the pages' clock at that Amsterdam moment."""

    def set_clock(moment):
        monkeypatch.setattr(views, "current_time", lambda: moment.replace(tzinfo=AMS))

    set_clock(dt.datetime(2026, 12, 2, 11, 0))
    return set_clock


@pytest.fixture
def tree(net):
    """The small network plus one of every other location kind, and one without a place."""
    net.sp = add_hours(
        NodeFactory(
            kind="service_point",
            code="C-SP",
            name="C Servicepunt",
            parent=net.lib_c,
            town="Meerssen",
            latitude=50.88,
            longitude=5.75,
        ),
        weekdays=[2],
        opens=dt.time(14),
        closes=dt.time(16),
    )
    net.school = NodeFactory(
        kind="school", code="A-SCH", name="A School", parent=net.lib_a, town="Houten"
    )
    net.pickup = NodeFactory(
        kind="pickup_point",
        code="B-PU",
        name="B Afhaalpunt",
        parent=net.lib_b,
        town="Zeist",
        latitude=52.1,
        longitude=5.25,
    )
    net.hub = NodeFactory(
        kind="hub",
        code="IBL-HUB",
        name="IBL hub",
        parent=net.net,
        town="Nieuwegein",
        latitude=52.035,
        longitude=5.09,
    )
    net.no_place = NodeFactory(
        kind="branch",
        code="A-3",
        name="A Zonder Plek",
        parent=net.lib_a,
        latitude=None,
        longitude=None,
    )
    return net


def svg_of(html, map_id="network-map"):
    match = re.search(rf'<svg[^>]*id="{map_id}".*?</svg>', html, re.S)
    assert match, "no map on the page"
    return match.group(0)


def circles(svg):
    return re.findall(r"<circle ([^>]*)>\s*<title>([^<]*)</title>", svg)


def row_of(html, code):
    match = re.search(rf'<tr data-code="{re.escape(code)}">(.*?)</tr>', html, re.S)
    assert match, f"no row for {code}"
    return " ".join(re.sub(r"<[^>]+>", " ", match.group(1)).split())


# --- overview ------------------------------------------------------------------------------


def test_network_page_lists_every_poi_organisation_and_location(client, tree, at):
    response = client.get(reverse("organisations:network"))
    assert response.status_code == 200
    html = response.content.decode()
    for node in Node.objects.exclude(kind="network"):
        assert node.name in html, node.code
        if node.is_location:
            row_of(html, node.code)  # every location has its own row
    assert "<h1>BCI network</h1>" in html


def test_map_draws_one_linked_circle_per_located_place(client, tree, at):
    html = client.get(reverse("organisations:network")).content.decode()
    drawn = circles(svg_of(html))
    located = Node.objects.locations().exclude(latitude=None)
    assert len(drawn) == located.count() > 5
    titles = [title for _attrs, title in drawn]
    assert not any("A Zonder Plek" in t for t in titles)
    for attrs, _title in drawn:
        # Coordinates are plain numbers even in the Dutch page (no decimal commas).
        assert re.search(r'cx="\d+(\.\d+)?" cy="\d+(\.\d+)?" r="\d+(\.\d+)?"', attrs), attrs
    assert f'href="{reverse("organisations:branch", args=["C-SP"])}"' in svg_of(html)
    assert any(t.startswith("C Servicepunt (servicepunt, Meerssen)") for t in titles), titles
    # Maastricht lies south of Houten: larger y on the map.
    cy = {t.split(" (")[0]: float(re.search(r'cy="([\d.]+)"', a).group(1)) for a, t in drawn}
    assert cy["C Centrum"] > cy["A Centrum"]


def test_map_legend_counts_each_kind(client, tree, at):
    html = client.get(reverse("organisations:network")).content.decode()
    legend = " ".join(re.search(r'<ul class="legend".*?</ul>', html, re.S).group(0).split())
    assert 'Hoofdvestiging <span class="count">(3)</span>' in legend
    assert 'Servicepunt <span class="count">(1)</span>' in legend


def test_overview_shows_todays_hours_and_closures(client, tree, at):
    Closure.objects.create(
        node=tree.lib_b, start_date=WEDNESDAY, end_date=WEDNESDAY, reason="Studiedag"
    )
    html = client.get(reverse("organisations:network")).content.decode()
    assert "vandaag open 10:00–17:00" in row_of(html, "A-1")
    assert "vandaag open 14:00–16:00" in row_of(html, "C-SP")
    assert "vandaag gesloten (Studiedag)" in row_of(html, "B-1")
    assert "vandaag gesloten" in row_of(html, "A-SCH")  # no hours at all


def test_overview_on_a_sunday_shows_everything_closed(client, tree, at):
    at(dt.datetime(2026, 12, 6, 12, 0))
    html = client.get(reverse("organisations:network")).content.decode()
    assert "vandaag gesloten" in row_of(html, "A-1")
    assert "vandaag open" not in html


def test_overview_is_english_under_en_and_dutch_by_default(client, tree, at):
    dutch = client.get("/network/").content.decode()
    assert '<html lang="nl">' in dutch and "vandaag open" in dutch
    english = client.get("/en/network/").content.decode()
    assert '<html lang="en">' in english
    assert "open today 10:00–17:00" in row_of(english, "A-1")
    assert "Main branch" in english and "vandaag" not in english
    # Links on an English page stay English.
    assert 'href="/en/network/A-1/"' in english


def switch_form(html, language):
    """The (next, language) the language button for ``language`` on a page submits."""
    for form in re.findall(r"<form[^>]*setlang.*?</form>", html, re.S):
        if f'value="{language}"' in form:
            return re.search(r'name="next" value="([^"]*)"', form).group(1)
    raise AssertionError(f"no switch to {language}")


def test_language_switch_sets_the_cookie_and_stays_on_the_page(client, tree, at):
    dutch = client.get("/network/A-1/?x=1").content.decode()
    assert switch_form(dutch, "en") == "/en/network/A-1/?x=1"
    response = client.post(reverse("set_language"), {"language": "en", "next": "/en/network/A-1/"})
    assert response.status_code == 302
    assert response["Location"] == "/en/network/A-1/"
    assert response.cookies["django_language"].value == "en"
    english = client.get(response["Location"]).content.decode()
    assert "Open now" in english
    back_to = switch_form(english, "nl")
    assert back_to == "/network/A-1/"
    back = client.post(reverse("set_language"), {"language": "nl", "next": back_to})
    assert back["Location"] == "/network/A-1/"
    assert back.cookies["django_language"].value == "nl"
    assert "Nu open" in client.get(back["Location"]).content.decode()


def test_overview_query_count_does_not_grow_with_the_network(
    client, tree, at, django_assert_max_num_queries
):
    for i in range(40):
        add_hours(NodeFactory(kind="branch", parent=tree.lib_c, latitude=51 + i / 100))
    Closure.objects.create(node=tree.net, start_date=WEDNESDAY, end_date=WEDNESDAY, reason="x")
    with django_assert_max_num_queries(3):
        response = client.get(reverse("organisations:network"))
    assert response.status_code == 200


def test_filter_by_poi_and_organisation(client, tree, at):
    url = reverse("organisations:network")
    cubiss = client.get(url, {"poi": "CUBISS"}).content.decode()
    assert "C Centrum" in cubiss and "A Centrum" not in cubiss and "IBL hub" not in cubiss
    assert len(circles(svg_of(cubiss))) == 2
    lib_a = client.get(url, {"poi": "BISC", "org": "LIB-A"}).content.decode()
    assert "A Noord" in lib_a and "B Centrum" not in lib_a and "BiSC depot" not in lib_a
    everything = client.get(url, {"poi": "", "org": ""})
    assert everything.status_code == 200 and "IBL hub" in everything.content.decode()


def test_filter_answers_htmx_with_the_results_partial(client, tree, at):
    response = client.get(
        reverse("organisations:network"), {"org": "LIB-C"}, headers={"HX-Request": "true"}
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<div id="network-results"')
    assert "<html" not in html and "C Centrum" in html and "A Centrum" not in html
    # The language buttons are swapped too, so that switching keeps the filter.
    assert 'id="language-switch" hx-swap-oob="true"' in html
    assert switch_form(html, "en") == "/en/network/?org=LIB-C"


@pytest.mark.parametrize(
    "params",
    [{"poi": "NOPE"}, {"org": "LIB-Z"}, {"poi": "CUBISS", "org": "LIB-A"}, {"poi": "x" * 5000}],
)
def test_bad_filter_is_refused_with_a_message(client, tree, at, params):
    before = Node.objects.count()
    response = client.get(reverse("organisations:network"), params)
    html = response.content.decode()
    assert response.status_code == 400
    assert 'role="alert"' in html and "Het filter kon niet worden toegepast" in html
    assert "A Centrum" in html and "C Centrum" in html  # unfiltered, nothing hidden
    assert Node.objects.count() == before


def test_bad_filter_over_htmx_still_shows_the_message(client, tree, at):
    response = client.get(
        reverse("organisations:network"),
        {"poi": "CUBISS", "org": "LIB-A"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200  # htmx swaps only 2xx answers
    assert 'role="alert"' in response.content.decode()


def test_page_works_without_javascript(client, tree, at):
    html = client.get(reverse("organisations:network")).content.decode()
    form = re.search(r'<form class="filter"[^>]*>', html).group(0)
    assert 'method="get"' in form and 'action="/network/"' in form
    assert '<button type="submit">' in html


# --- branch page ---------------------------------------------------------------------------


def test_branch_page_shows_details_week_closures_and_map(client, tree, at):
    OpeningHours.objects.filter(node=tree.a1, weekday=5).delete()
    OpeningHours.objects.create(
        node=tree.a1, weekday=5, opens=dt.time(10), closes=dt.time(12), staffed=True
    )
    OpeningHours.objects.create(node=tree.a1, weekday=5, opens=dt.time(13), closes=dt.time(16))
    Closure.objects.create(
        node=tree.net,
        start_date=dt.date(2026, 12, 25),
        end_date=dt.date(2026, 12, 26),
        reason="Kerst",
    )
    Closure.objects.create(
        node=tree.a1,
        start_date=dt.date(2026, 12, 10),
        end_date=dt.date(2026, 12, 10),
        reason="Verbouwing",
    )
    Closure.objects.create(
        node=tree.a1,
        start_date=dt.date(2026, 11, 1),
        end_date=dt.date(2026, 11, 2),
        reason="Voorbij",
    )
    Closure.objects.create(
        node=tree.lib_b,
        start_date=dt.date(2026, 12, 11),
        end_date=dt.date(2026, 12, 11),
        reason="Andermans studiedag",
    )
    response = client.get(reverse("organisations:branch", args=["A-1"]))
    assert response.status_code == 200
    html = " ".join(response.content.decode().split())
    assert "<h1>A Centrum</h1>" in html
    for text in ("Hoofdvestiging", "Bibliotheek A", "BiSC", "Houten", "52.0300, 5.1700"):
        assert text in html, text
    assert "Nu open" in html
    assert "Zaterdag</th> <td>10:00–12:00, 13:00–16:00</td>" in html
    assert "Zondag</th> <td>gesloten</td>" in html
    assert '<tr class="today"> <th scope="row">Woensdag' in html
    assert html.index("Verbouwing") < html.index("Kerst")
    assert "Voorbij" not in html and "Andermans studiedag" not in html
    svg = svg_of(html, "node-map")
    assert len(circles(svg)) == 3  # A-1 highlighted, A-2 and the school; A-3 has no place
    assert 'class="k-main here"' in svg


def test_branch_page_says_when_a_closed_branch_opens_again(client, tree, at):
    at(dt.datetime(2026, 12, 2, 8, 30))
    html = client.get(reverse("organisations:branch", args=["A-1"])).content.decode()
    assert "Nu gesloten" in html and "opent vandaag om 10:00" in html
    at(dt.datetime(2026, 12, 5, 18, 0))  # Saturday evening: Sunday closed
    html = client.get(reverse("organisations:branch", args=["A-1"])).content.decode()
    assert "Nu gesloten" in html and "weer open op maandag 7 december" in html
    at(dt.datetime(2026, 12, 2, 11, 0))
    Closure.objects.create(node=tree.lib_a, start_date=WEDNESDAY, end_date=WEDNESDAY, reason="x")
    html = client.get(reverse("organisations:branch", args=["A-1"])).content.decode()
    assert "Nu gesloten" in html and "weer open op donderdag 3 december" in html


def test_organisation_page_lists_its_locations(client, tree, at):
    html = client.get(reverse("organisations:branch", args=["BISC"])).content.decode()
    for code in ("A-1", "A-2", "A-SCH", "B-1", "B-PU"):
        row_of(html, code)
    assert "C Centrum" not in html
    assert "Bibliotheek A" in html and "Bibliotheek B" in html


def test_branch_page_in_english(client, tree, at):
    html = client.get("/en/network/A-1/").content.decode()
    assert "Open now" in html and "Opening hours" in html and "Wednesday" in html


def test_unknown_branch_is_404(client, tree, at):
    assert client.get(reverse("organisations:branch", args=["NOPE"])).status_code == 404
    assert client.get("/network/%00/").status_code == 404


def test_branch_page_query_budget(client, tree, at, django_assert_max_num_queries):
    with django_assert_max_num_queries(10):
        assert client.get(reverse("organisations:branch", args=["A-1"])).status_code == 200


# --- the map's geometry --------------------------------------------------------------------


def test_projection_puts_the_corners_of_the_box_at_the_corners_of_the_map():
    box = BBox(south=50.0, north=52.0, west=4.0, east=6.0)
    corners = [
        Place(latitude=52.0, longitude=4.0, kind="main", title="nw", url="/nw"),
        Place(latitude=50.0, longitude=6.0, kind="main", title="se", url="/se"),
    ]
    drawn = {p.title: p for p in build_map(corners, width=400, padding=10, bbox=box).points}
    assert (drawn["nw"].x, drawn["nw"].y) == (10, 10)
    assert drawn["se"].x == 390
    svg = build_map(corners, width=400, padding=10, bbox=box)
    # Equirectangular: one degree of longitude is cos(51 deg) of a degree of latitude.
    assert drawn["se"].y == pytest.approx(10 + 2 * 380 / (2 * 0.6293), abs=0.2)
    assert svg.height == round(2 * 380 / (2 * 0.6293) + 20)


def test_map_box_grows_to_take_in_places_outside_the_provinces():
    far = Place(latitude=53.2, longitude=6.57, kind="branch", title="Groningen", url="/g")
    drawn = build_map([far]).points[0]
    assert 0 < drawn.x <= 640 and drawn.y > 0
    assert PROVINCES_BBOX.extended(53.2, 6.57).north == 53.2


def test_an_empty_network_still_renders(client, db, at):
    response = client.get(reverse("organisations:network"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "<h1>Bibliotheeknetwerk</h1>" in html and "0 locaties" in html
