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
    return api.create_response(request, exc.as_dict(), status=exc.status)


def _mount():
    from importlib import import_module

    for app in ("catalogue", "patrons", "circulation", "logistics"):
        try:
            module = import_module(f"bci.{app}.api")
        except ModuleNotFoundError as exc:
            if exc.name != f"bci.{app}.api":
                raise
            continue
        api.add_router(f"/{app}/", module.router)


_mount()
