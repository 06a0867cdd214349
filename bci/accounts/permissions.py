"""The one place that answers "may user U do action A on object O" and "which rows may U see".

Roles are granted on a node and reach every node below it. An object is placed in the tree
by ``scope_node_of``: a Node is its own scope; any other model names its node through a
``scope_node`` attribute (e.g. an Item's owning organisation, a Patron's home library) and,
for querysets, the lookup to it in ``scope_via`` ("owner", "home_organisation").
"""

from django.db.models import Q

from bci.organisations.models import Node

from .models import ApiToken, Role, RoleAssignment

VIEW = "view"
CHANGE_NETWORK = "change_network"
MANAGE_ROLES = "manage_roles"
CATALOGUE_EDIT = "catalogue.edit"
CATALOGUE_IMPORT = "catalogue.import"
PATRONS_VIEW = "patrons.view"
PATRONS_CHANGE = "patrons.change"
CIRCULATION_DESK = "circulation.desk"
CIRCULATION_MANAGE = "circulation.manage"
LOGISTICS_VIEW = "logistics.view"
LOGISTICS_SCAN = "logistics.scan"
LOGISTICS_PLAN = "logistics.plan"

ALL_ACTIONS = frozenset(
    {
        VIEW,
        CHANGE_NETWORK,
        MANAGE_ROLES,
        CATALOGUE_EDIT,
        CATALOGUE_IMPORT,
        PATRONS_VIEW,
        PATRONS_CHANGE,
        CIRCULATION_DESK,
        CIRCULATION_MANAGE,
        LOGISTICS_VIEW,
        LOGISTICS_SCAN,
        LOGISTICS_PLAN,
    }
)

# What each role may do within its scope. POI staff run the network for their libraries but
# see no patrons: each library organisation is the data controller of its own members.
ROLE_ACTIONS = {
    Role.NETWORK_ADMIN: ALL_ACTIONS,
    Role.POI_STAFF: frozenset(
        {VIEW, CHANGE_NETWORK, MANAGE_ROLES, CATALOGUE_EDIT, CATALOGUE_IMPORT, LOGISTICS_VIEW}
    ),
    Role.LOGISTICS_PLANNER: frozenset({VIEW, LOGISTICS_VIEW, LOGISTICS_SCAN, LOGISTICS_PLAN}),
    Role.LIBRARY_ADMIN: frozenset(
        {
            VIEW,
            CHANGE_NETWORK,
            MANAGE_ROLES,
            CATALOGUE_EDIT,
            CATALOGUE_IMPORT,
            PATRONS_VIEW,
            PATRONS_CHANGE,
            CIRCULATION_DESK,
            CIRCULATION_MANAGE,
            LOGISTICS_VIEW,
            LOGISTICS_SCAN,
        }
    ),
    Role.DESK_STAFF: frozenset(
        {VIEW, PATRONS_VIEW, PATRONS_CHANGE, CIRCULATION_DESK, LOGISTICS_SCAN}
    ),
    Role.READ_ONLY: frozenset({VIEW}),
}


# What an application token's permission lets it do, within the token's scope node. A token
# holds no role: it may do exactly the union of its permissions' actions, on its node and
# below. Reading the catalogue and availability is what the public catalogue shows too; the
# token identifies the partner (own rate limit, last use) and sees the tree (VIEW).
_P = ApiToken.Permission
TOKEN_PERMISSIONS = {
    _P.READ_CATALOGUE: frozenset({VIEW}),
    _P.READ_AVAILABILITY: frozenset({VIEW}),
    _P.CIRCULATION: frozenset({VIEW, CIRCULATION_DESK}),
    _P.PATRONS: frozenset({VIEW, PATRONS_VIEW}),
    _P.PATRONS_CHANGE: frozenset({VIEW, PATRONS_VIEW, PATRONS_CHANGE}),
    _P.LOGISTICS: frozenset({VIEW, LOGISTICS_VIEW}),
}


def token_actions(permissions):
    """The actions a set of token permissions allows."""
    actions = set()
    for name in permissions:
        actions |= TOKEN_PERMISSIONS.get(name, frozenset())
    return frozenset(actions)


def assignments(user):
    """The user's role assignments with their nodes, cached on the user object."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return []
    if getattr(user, "granted", None) is not None:  # an application token holds no roles
        return []
    cached = getattr(user, "_bci_assignments", None)
    if cached is None:
        cached = list(RoleAssignment.objects.filter(user=user).select_related("node"))
        user._bci_assignments = cached
    return cached


def scope_nodes(user, action):
    """The nodes under which ``user`` may do ``action``.

    ``user`` is a staff User, or a principal of an application token that names its grants
    itself (``granted``: pairs of node and actions, see ``bci.accounts.tokens``).
    """
    granted = getattr(user, "granted", None)
    if granted is not None:
        return [node for node, actions in granted if action in actions]
    return [a.node for a in assignments(user) if action in ROLE_ACTIONS.get(a.role, ())]


def scope_node_of(obj):
    if isinstance(obj, Node):
        return obj
    node = getattr(obj, "scope_node", None)
    return node() if callable(node) else node


def can(user, action, obj=None):
    """May ``user`` do ``action`` on ``obj`` (anything placed in the tree)?

    With ``obj`` None: may the user do ``action`` anywhere at all.
    """
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if user.is_superuser:
        return True
    nodes = scope_nodes(user, action)
    if obj is None:
        return bool(nodes)
    target = scope_node_of(obj)
    if target is None:  # not placed in the tree: network-level, network admins only
        return any(n.kind == Node.Kind.NETWORK for n in nodes)
    return any(target.path.startswith(n.path) for n in nodes)


def restrict(queryset, user, action=VIEW, *, via=None):
    """``queryset`` narrowed to the rows ``user`` may ``action``.

    ``via`` is the lookup from the queryset's model to its Node. By default: "" for Node
    itself, else the model's ``scope_via`` attribute ("owner" for items,
    "home_organisation" for patrons), else "node".
    """
    if getattr(user, "is_superuser", False) and user.is_active:
        return queryset
    if via is None:
        via = "" if queryset.model is Node else getattr(queryset.model, "scope_via", "node")
    field = f"{via}__path" if via else "path"
    q = Q(pk__in=[])
    for node in scope_nodes(user, action):
        q |= Q(**{f"{field}__startswith": node.path})
    return queryset.filter(q)


def visible_nodes(user, action=VIEW):
    return restrict(Node.objects.all(), user, action)
