"""Who may see, grant and change what in the staff, role and token admins.

Rules (superusers are exempt):
- a staff member sees the users holding a role on a node they may ``view`` (and themselves);
- they may grant role R on node N only when they may ``manage_roles`` on N, R may do nothing
  that their own roles over N do not allow (no escalation), and R fits the kind of N
  (network administrators on the network, POI staff and planners on a POI or the network);
- they may change or delete a user only when they could have granted every role that user
  holds. So a library administrator manages library administrators, desk staff and
  read-only users within their own organisation, and nobody else.
"""

from django.db.models import Q

from bci.accounts.permissions import (
    MANAGE_ROLES,
    ROLE_ACTIONS,
    TOKEN_PERMISSIONS,
    VIEW,
    assignments,
    can,
    restrict,
)
from bci.organisations.models import Node

from ..models import ApiToken, Role, RoleAssignment, User

# On which kinds of node a role makes sense (None: any node).
ROLE_NODE_KINDS = {
    Role.NETWORK_ADMIN: {Node.Kind.NETWORK},
    Role.POI_STAFF: {Node.Kind.NETWORK, Node.Kind.POI},
    Role.LOGISTICS_PLANNER: {Node.Kind.NETWORK, Node.Kind.POI},
}


def held_actions(user, node):
    """Every action ``user``'s roles allow on ``node`` (roles on it or above it)."""
    held = set()
    for assignment in assignments(user):
        if node.path.startswith(assignment.node.path):
            held |= ROLE_ACTIONS.get(assignment.role, frozenset())
    return held


def grantable_roles(user, node):
    """The roles ``user`` may grant on ``node`` (see the module docstring)."""
    fitting = [r for r in Role if node.kind in ROLE_NODE_KINDS.get(r, {node.kind})]
    if user.is_superuser and user.is_active:
        return fitting
    if not can(user, MANAGE_ROLES, node):
        return []
    held = held_actions(user, node)
    return [r for r in fitting if ROLE_ACTIONS[r] <= held]


def may_grant(user, role, node):
    return role in grantable_roles(user, node)


def visible_users(user):
    """Users holding a role on a node ``user`` may view, and ``user`` themselves."""
    if user.is_superuser and user.is_active:
        return User.objects.all()
    in_scope = restrict(RoleAssignment.objects.all(), user, VIEW, via="node")
    return User.objects.filter(Q(pk__in=in_scope.values("user_id")) | Q(pk=user.pk))


def may_change_user(user, target):
    if user.is_superuser and user.is_active:
        return True
    if target.is_superuser or not can(user, MANAGE_ROLES):
        return False
    roles = list(target.roles.select_related("node"))
    if not roles:
        return target.pk == user.pk
    return all(may_grant(user, a.role, a.node) for a in roles)


# --- API tokens ----------------------------------------------------------------------------
# A staff member manages the application tokens on nodes where they may manage roles, and
# staff tokens of users they could change (their own included). A token never grants more
# than its creator holds on its node. Tokens are never edited: created (the secret shown
# once), then revoked. They are not deleted either: the row documents who had access.


def may_manage_token(user, token):
    if user.is_superuser and user.is_active:
        return True
    if token.kind == ApiToken.Kind.STAFF:
        return token.user_id == user.pk or may_change_user(user, token.user)
    return can(user, MANAGE_ROLES, token.node)


def grantable_token_permissions(user, node):
    """The application-token permissions ``user`` may give on ``node`` (no escalation)."""
    if user.is_superuser and user.is_active:
        return list(ApiToken.Permission.values)
    if not can(user, MANAGE_ROLES, node):
        return []
    held = held_actions(user, node)
    return [p for p in ApiToken.Permission.values if TOKEN_PERMISSIONS[p] <= held]


def visible_tokens(user):
    tokens = ApiToken.objects.select_related("user", "node", "created_by")
    if user.is_superuser and user.is_active:
        return tokens
    nodes = restrict(Node.objects.all(), user, MANAGE_ROLES, via="")
    return tokens.filter(
        Q(kind=ApiToken.Kind.APPLICATION, node__in=nodes)
        | Q(kind=ApiToken.Kind.STAFF, user__in=visible_users(user))
    )


def with_requester(form_class, request):
    return type(form_class.__name__, (form_class,), {"requester": request.user})


class ScopedChoices:
    """Admin mixin: the node and user dropdowns offer only what the requester may hand out
    (nodes where they may manage roles, users they may see)."""

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "node":
            kwargs["queryset"] = restrict(
                Node.objects.all(), request.user, MANAGE_ROLES, via=""
            ).order_by("path")
        if db_field.name == "user":
            kwargs["queryset"] = visible_users(request.user).order_by("username")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)
