"""Public pages of the network: the overview with its map, and one page per node."""

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django import forms
from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from . import queries
from .models import Closure, Node, OpeningHours
from .svgmap import Place, build_map


def current_time():
    """The clock of these pages (one seam, so tests can stand at a chosen moment)."""
    return timezone.now()


# --- reads for many nodes at once --------------------------------------------------------


@dataclass
class DayHours:
    """A node's opening on one day: its periods, or the closure that shuts it."""

    periods: list[tuple[dt.time, dt.time]] = field(default_factory=list)
    closure: Closure | None = None

    @property
    def is_open(self):
        return bool(self.periods)


def hours_on_many(nodes, day):
    """{node.pk: DayHours} for ``day``, in two queries whatever the number of nodes.

    The same rule as ``queries.hours_on``: a closure on the node or on any ancestor shuts
    it for the day.
    """
    nodes = list(nodes)
    if not nodes:
        return {}
    ancestor_ids = {pk for node in nodes for pk in node.ancestor_ids()}
    closures = {}
    for closure in Closure.objects.filter(
        node_id__in=ancestor_ids, start_date__lte=day, end_date__gte=day
    ).order_by("start_date", "pk"):
        closures.setdefault(closure.node_id, closure)
    periods = defaultdict(list)
    for node_id, opens, closes in (
        OpeningHours.objects.filter(node_id__in=[n.pk for n in nodes], weekday=day.weekday())
        .order_by("opens")
        .values_list("node_id", "opens", "closes")
    ):
        periods[node_id].append((opens, closes))
    result = {}
    for node in nodes:
        # The nearest closure explains best why the node is shut (own renovation before a
        # network-wide holiday).
        shut = next((closures[pk] for pk in reversed(node.ancestor_ids()) if pk in closures), None)
        result[node.pk] = DayHours(closure=shut) if shut else DayHours(periods[node.pk])
    return result


# --- building blocks ---------------------------------------------------------------------


def node_url(node):
    return reverse("organisations:branch", kwargs={"code": node.code})


def map_places(nodes, *, highlight=None):
    places = []
    for node in nodes:
        if not node.has_coordinates:
            continue
        where = f", {node.town}" if node.town else ""
        places.append(
            Place(
                latitude=node.latitude,
                longitude=node.longitude,
                kind=node.kind,
                title=f"{node.name} ({node.get_kind_display()}{where})",
                url=node_url(node),
                highlight=highlight is not None and node.pk == highlight.pk,
            )
        )
    return places


def kind_labels():
    return {value: label for value, label in Node.Kind.choices}


@dataclass
class Branch:
    node: Node
    today: DayHours


@dataclass
class Organisation:
    node: Node
    locations: list[Branch] = field(default_factory=list)


@dataclass
class Poi:
    node: Node
    organisations: list[Organisation] = field(default_factory=list)
    facilities: list[Branch] = field(default_factory=list)  # depots and hubs


class NetworkFilter(forms.Form):
    """Narrow the overview to one support organisation or one library organisation."""

    poi = forms.ChoiceField(label=_("Support organisation"), required=False)
    org = forms.ChoiceField(label=_("Library organisation"), required=False)

    def __init__(self, data, *, pois, organisations_by_poi):
        super().__init__(data)
        self.fields["poi"].choices = [("", _("all"))] + [(p.code, p.name) for p in pois]
        self.fields["org"].choices = [("", _("all"))] + [
            (poi.name, [(o.code, o.name) for o in organisations_by_poi.get(poi.pk, [])])
            for poi in pois
        ]
        self._org_poi = {
            o.code: poi.code for poi in pois for o in organisations_by_poi.get(poi.pk, [])
        }

    def clean(self):
        data = super().clean()
        poi, org = data.get("poi"), data.get("org")
        if poi and org and self._org_poi.get(org) != poi:
            raise forms.ValidationError(
                _("That library organisation does not belong to that support organisation.")
            )
        return data


def network_overview(request):
    """Every POI with its library organisations, their locations, depots and hubs."""
    now = current_time()
    today = timezone.localdate(now)
    nodes = list(Node.objects.active().order_by("path"))
    children = defaultdict(list)
    for node in nodes:
        children[node.parent_id].append(node)
    pois = [n for n in nodes if n.kind == Node.Kind.POI]
    organisations_by_poi = {
        poi.pk: [n for n in children[poi.pk] if n.kind == Node.Kind.ORGANISATION] for poi in pois
    }
    form = NetworkFilter(request.GET or None, pois=pois, organisations_by_poi=organisations_by_poi)
    status = 200
    chosen_poi = chosen_org = ""
    if form.is_bound:
        if form.is_valid():
            chosen_poi, chosen_org = form.cleaned_data["poi"], form.cleaned_data["org"]
        else:
            # htmx swaps only 2xx answers; the partial carries the message either way.
            status = 200 if getattr(request, "htmx", False) else 400

    shown_pois = []
    for poi in pois:
        if chosen_poi and poi.code != chosen_poi:
            continue
        orgs = organisations_by_poi[poi.pk]
        if chosen_org:
            orgs = [o for o in orgs if o.code == chosen_org]
            if not orgs:
                continue
        shown_pois.append(
            Poi(
                node=poi,
                organisations=[
                    Organisation(
                        node=o, locations=[Branch(n, None) for n in children[o.pk] if n.is_location]
                    )
                    for o in orgs
                ],
                facilities=[]
                if chosen_org
                else [Branch(n, None) for n in children[poi.pk] if n.is_location],
            )
        )
    roots = [n for n in nodes if n.kind == Node.Kind.NETWORK]
    network_facilities = (
        []
        if chosen_poi or chosen_org
        else [Branch(n, None) for root in roots for n in children[root.pk] if n.is_location]
    )

    shown = [b for p in shown_pois for o in p.organisations for b in o.locations]
    shown += [b for p in shown_pois for b in p.facilities] + network_facilities
    hours = hours_on_many([b.node for b in shown], today)
    for branch in shown:
        branch.today = hours[branch.node.pk]

    context = {
        "network": roots[0] if roots else None,
        "form": form,
        "pois": shown_pois,
        "network_facilities": network_facilities,
        "location_count": len(shown),
        "organisation_count": sum(len(p.organisations) for p in shown_pois),
        "map": build_map(
            map_places(sorted((b.node for b in shown), key=lambda n: n.path)),
            kind_labels=kind_labels(),
        ),
        "today": today,
        "filtered": bool(chosen_poi or chosen_org),
    }
    template = (
        "organisations/partials/_network_results.html"
        if getattr(request, "htmx", False)
        else "organisations/network.html"
    )
    return render(request, template, context, status=status)


def branch_detail(request, code):
    """One node, usually a location: its week, closures and whether it is open now.

    Organisations and POIs get the same page with the locations below them.
    """
    if not code.isprintable():  # NUL and friends: no code looks like that
        raise Http404(code)
    node = get_object_or_404(Node, code=code)
    now = current_time()
    today = timezone.localdate(now)
    ancestors = list(node.ancestors(include_self=False))
    lineage = {n.kind: n for n in ancestors}
    parent = next((n for n in ancestors if n.pk == node.parent_id), None)
    week = queries.weekly_hours(node)
    days = [
        {
            "weekday": label,
            "periods": week[value],
            "is_today": value == today.weekday(),
        }
        for value, label in OpeningHours.Weekday.choices
    ]
    closures = list(
        Closure.objects.filter(node_id__in=node.ancestor_ids(), end_date__gte=today)
        .select_related("node")
        .order_by("start_date", "end_date")[:12]
    )
    has_hours = any(week.values())
    today_hours = hours_on_many([node], today)[node.pk]
    moment = timezone.localtime(now).time()
    open_now = any(opens <= moment < closes for opens, closes in today_hours.periods)
    opens_later_today = next((o for o, _c in today_hours.periods if o > moment), None)
    next_open = None
    if has_hours and not open_now and opens_later_today is None:
        next_open = queries.next_open_day(node, today)

    if node.is_location:
        # The location itself, with its sister locations for orientation.
        around = list(Node.objects.active().filter(parent_id=node.parent_id))
        if node not in around:
            around.append(node)
        below = []
        units = []
    else:
        descendants = list(
            Node.objects.active().descendants_of(node, include_self=False).order_by("path")
        )
        below = [n for n in descendants if n.is_location]
        units = [n for n in descendants if not n.is_location]
        around = below
    small_map = build_map(
        map_places(around, highlight=node), width=360, kind_labels=kind_labels(), fit=True
    )
    below_hours = hours_on_many(below, today)
    context = {
        "node": node,
        "poi": lineage.get(Node.Kind.POI),
        "organisation": lineage.get(Node.Kind.ORGANISATION),
        "parent": parent,
        "days": days,
        "has_hours": has_hours,
        "closures": closures,
        "open_now": open_now,
        "next_open": next_open,
        "opens_later_today": opens_later_today,
        "today": today,
        "today_hours": today_hours,
        "below": [Branch(n, below_hours[n.pk]) for n in below],
        "units": units,
        "map": small_map,
    }
    return render(request, "organisations/node.html", context)
