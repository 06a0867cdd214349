"""Background services that ``bci demo`` runs in threads beside the web server.

Registering a service (one line)
--------------------------------
Subclass ``ThreadService`` (a loop in a thread, e.g. the search indexer) or
``AsyncioService`` (an asyncio server in its own event loop, e.g. SIP2), give it a short
``name``, and add the class's dotted path to ``SERVICES`` below. ``bci demo`` starts the
services in list order after the seed and before the web server accepts requests, and
stops them in reverse order on Ctrl-C or SIGTERM. ``bci demo --skip NAME`` (and
``--no-sip2`` for the service named "sip2") leaves one out; ``bci serve --with-services``
runs them beside a plain server too.

The contract every service keeps is ``bci.core.background.BackgroundService`` (name,
start, stop, describe); if one cannot start, ``bci demo`` stops what it started and exits.

Services read their configuration from Django settings (``BCI_SIP2_PORT``...), use the
database through the ORM like any thread (the base classes close the thread's database
connections when it ends), and never import views.
"""

from django.utils.module_loading import import_string

SERVICES = [
    "bci.catalogue.search.indexer.IndexerService",
    "bci.protocols.sip2.server.Sip2Service",
    "bci.notices.scheduler.SchedulerService",
]


def service_name(path_or_class):
    cls = import_string(path_or_class) if isinstance(path_or_class, str) else path_or_class
    return getattr(cls, "name", None) or cls.__name__


def load_services(*, skip=(), registry=None):
    """Instances of the registered services, minus those whose ``name`` is in ``skip``."""
    services = []
    for entry in SERVICES if registry is None else registry:
        factory = import_string(entry) if isinstance(entry, str) else entry
        if service_name(factory) in skip:
            continue
        services.append(factory())
    return services
