"""What a long-running process (web server, scheduler, syndication worker) does once it
has started up, before it takes work."""

from __future__ import annotations

import gc


def settle_heap() -> None:
    """Keep what start-up built out of the garbage collector's full passes.

    The modules, models, templates and compiled statements loaded at start-up live as
    long as the process, yet every full collection walks all of them again: about
    100 ms with every thread stopped, every few seconds under load, which is what a
    delivery or a page then waits. Collecting once and freezing the survivors
    (`gc.freeze`, as preforking servers do) leaves the full passes only what was made
    since. Only for process entry points: the objects frozen are never collected as
    cycles, so a test run, which builds many applications, must not call it."""
    gc.collect()
    gc.freeze()
