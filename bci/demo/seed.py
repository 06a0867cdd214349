"""The demo seed: an ordered, explicit list of steps that ``bci seed-demo`` and ``bci demo`` run.

Adding a step (one line)
------------------------
1. Write ``bci/demo/steps/<name>.py`` with a function::

       def run(*, console, now):
           \"\"\"Catalogue: 2,000 records with items in every branch.\"\"\"   # progress label
           ...
           return "2000 records, 9000 items"                            # summary line

2. Add its dotted path to ``STEPS`` below, after the steps it needs.

Rules for a step:

- **Idempotent**: running it again creates no duplicates and leaves every table's row
  count unchanged (``bci/demo/tests/test_seed.py`` checks this for all steps together).
  Look rows up by a natural key (code, barcode, username) before creating them.
- Write through the services of the app that owns the data, as every other door does.
- ``now`` is the aware datetime the whole seed runs at; use it instead of the clock.
- ``console`` is a rich Console; print sparingly. For a long loop use
  ``bci.demo.seed.track(iterable, "label", total=n)``, which shows a progress bar in the
  seed's progress display (plain iteration when no display is active).
- The first line of the function's docstring is the label shown while it runs.
- Return a short summary string (or None).
"""

import time
from dataclasses import dataclass

from django.apps import apps
from django.utils import timezone
from django.utils.module_loading import import_string
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn
from rich.table import Table

STEPS = [
    "bci.demo.steps.network.run",
    "bci.demo.steps.staff.run",
    "bci.demo.steps.catalogue.run",
    "bci.demo.steps.circulation.run",
    "bci.demo.steps.transport.run",
    "bci.demo.steps.logistics.run",
    "bci.protocols.sip2.kiosks.run",
]


def step_name(path):
    """ "bci.demo.steps.network.run" -> "network"."""
    return path.rsplit(".", 2)[-2]


def step_label(func):
    doc = (func.__doc__ or "").strip().splitlines()
    return doc[0] if doc else func.__module__


@dataclass
class StepResult:
    name: str
    label: str
    summary: str
    seconds: float


_active_progress = None


def track(iterable, description, *, total=None):
    """Iterate ``iterable`` with a bar in the active seed display (plain loop otherwise)."""
    progress = _active_progress
    if progress is None:
        yield from iterable
        return
    if total is None:
        total = len(iterable) if hasattr(iterable, "__len__") else None
    task = progress.add_task(f"  {description}", total=total)
    try:
        for item in iterable:
            yield item
            progress.advance(task)
    finally:
        progress.remove_task(task)


def count_rows():
    """{"app_label.Model": rows} for every model (the idempotency check's yardstick)."""
    return {model._meta.label: model._default_manager.count() for model in apps.get_models()}


def selected_steps(only=None):
    """The dotted paths of ``STEPS``, narrowed to the step names in ``only`` (in order)."""
    if not only:
        return list(STEPS)
    names = {step_name(p) for p in STEPS}
    unknown = sorted(set(only) - names)
    if unknown:
        raise ValueError(
            f"unknown seed step(s): {', '.join(unknown)} (known: {', '.join(sorted(names))})"
        )
    return [p for p in STEPS if step_name(p) in only]


def run_seed(*, console=None, now=None, only=None, show_progress=True):
    """Run the seed steps in order; returns [StepResult]. Raises whatever a step raises."""
    global _active_progress
    console = console or Console()
    now = now or timezone.now()
    paths = selected_steps(only)
    results = []
    progress = Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        console=console,
        transient=True,
        disable=not show_progress,
    )
    with progress:
        overall = progress.add_task("Seeding the demo", total=len(paths))
        _active_progress = progress if show_progress else None
        try:
            for path in paths:
                func = import_string(path)
                label = step_label(func)
                progress.update(overall, description=label)
                started = time.perf_counter()
                summary = func(console=console, now=now)
                results.append(
                    StepResult(step_name(path), label, summary or "", time.perf_counter() - started)
                )
                progress.advance(overall)
        finally:
            _active_progress = None
    return results


def summary_table(results, before, after):
    """A rich table of the steps run, then the row counts that changed."""
    table = Table(title="Demo seed")
    table.add_column("step")
    table.add_column("result")
    table.add_column("seconds", justify="right")
    for result in results:
        table.add_row(result.name, result.summary, f"{result.seconds:.1f}")
    counts = Table(title="Rows")
    counts.add_column("table")
    counts.add_column("before", justify="right")
    counts.add_column("after", justify="right")
    for label in sorted(after):
        if after[label] or before.get(label):
            counts.add_row(label, str(before.get(label, 0)), str(after[label]))
    return table, counts
