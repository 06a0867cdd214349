"""Demo staff accounts, one or two per role, each scoped to a node of the demo network."""

from django.contrib.auth.hashers import make_password
from django.db import transaction

from bci.accounts.models import Role, RoleAssignment, User
from bci.organisations.models import Node

# Only for the demo: every demo account has this password. A real deployment creates its
# staff with `bci createsuperuser` and the admin.
DEMO_PASSWORD = "demo"

# (username, full name, role, code of the node the role is held on, superuser)
DEMO_STAFF = [
    ("admin", "Ada Admin", Role.NETWORK_ADMIN, "BCI", True),
    ("bisc", "Bram BiSC", Role.POI_STAFF, "BISC", False),
    ("cubiss", "Carla Cubiss", Role.POI_STAFF, "CUBISS", False),
    ("planner", "Piet Planner", Role.LOGISTICS_PLANNER, "BISC", False),
    ("utrecht-admin", "Uma Utrecht", Role.LIBRARY_ADMIN, "UTRECHT", False),
    ("houten-balie", "Hans Houten", Role.DESK_STAFF, "LEK-IJSSEL-HOUTEN", False),
    ("zout-balie", "Zoë Zout", Role.DESK_STAFF, "ZOUT", False),
    ("lezer", "Lotte Lezer", Role.READ_ONLY, "BCI", False),
]


class MissingScope(LookupError):
    pass


@transaction.atomic
def run(*, console, now):
    """Staff: demo accounts for each role."""
    nodes = {n.code: n for n in Node.objects.filter(code__in={s[3] for s in DEMO_STAFF})}
    created = 0
    hashed = None  # Argon2 is slow by design: hash the shared demo password once
    for username, full_name, role, scope, superuser in DEMO_STAFF:
        node = nodes.get(scope)
        if node is None:
            raise MissingScope(f"demo staff {username}: no node {scope} (run the network step)")
        first, _, last = full_name.partition(" ")
        user, is_new = User.objects.get_or_create(
            username=username,
            defaults={
                "first_name": first,
                "last_name": last,
                "email": f"{username}@demo.bci.invalid",
                "is_staff": True,
                "is_superuser": superuser,
            },
        )
        if is_new:
            hashed = hashed or make_password(DEMO_PASSWORD)
            user.password = hashed
            user.save(update_fields=["password"])
            created += 1
        RoleAssignment.objects.get_or_create(user=user, role=role, node=node)
    return f"{len(DEMO_STAFF)} demo accounts ({created} new), password {DEMO_PASSWORD!r}"


def demo_logins():
    """[(username, role label, scope name, password)] for the accounts that exist."""
    rows = []
    users = {u.username: u for u in User.objects.filter(username__in=[s[0] for s in DEMO_STAFF])}
    nodes = {n.code: n for n in Node.objects.filter(code__in={s[3] for s in DEMO_STAFF})}
    for username, _full_name, role, scope, _superuser in DEMO_STAFF:
        if username in users and scope in nodes:
            rows.append((username, str(role.label), nodes[scope].name, DEMO_PASSWORD))
    return rows
