"""The one NinjaAPI: one router per app under /api/v1/<app>/."""

from ninja import NinjaAPI

from bci.core.errors import DomainError

api = NinjaAPI(
    title="BCI API",
    version="1",
    description="REST API of the BCI shared library platform.",
    urls_namespace="api",
)


@api.exception_handler(DomainError)
def domain_error(request, exc):
    response = api.create_response(request, exc.as_dict(), status=exc.status)
    if getattr(exc, "retry_after", None) is not None:  # 429 rate_limited
        response["Retry-After"] = str(exc.retry_after)
    return response


# URL prefix -> the module whose ``router`` serves it. The public catalogue reads live in
# the opac interface app: they show circulation's due dates, which the catalogue app (a
# domain app listed before circulation) must not import.
ROUTERS = {
    "catalogue": "bci.opac.api",
    "patrons": "bci.patrons.api",
    "circulation": "bci.circulation.api",
    "logistics": "bci.logistics.api",
}


def _mount():
    from importlib import import_module

    for prefix, dotted in ROUTERS.items():
        try:
            module = import_module(dotted)
        except ModuleNotFoundError as exc:
            if exc.name != dotted:
                raise
            continue
        api.add_router(f"/{prefix}/", module.router)


_mount()
