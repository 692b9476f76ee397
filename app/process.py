"""What a long-running process (web server, scheduler, syndication worker) does once it
has started up, before it takes work."""

from __future__ import annotations

import gc
import os


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


def keep_to_one_cpu() -> int | None:
    """Run this thread, and every thread it starts from now on, on one CPU; the CPU, or
    None where there is one anyway or the system cannot pin (not Linux).

    For a process of many threads that mostly wait on sockets (the syndication worker:
    its pool threads make HTTP requests, two more claim and complete in the database):
    their Python code runs one thread at a time under the interpreter lock anyway, and
    on several CPUs each hand-over of the lock wakes a thread on another CPU. Measured on
    2 cores: the worker spent 3.7 ms of CPU per delivery spread over both, 1.7 ms on one,
    and delivered twice as many a second. Several workers take different CPUs (by their
    process id), and the database and the receivers keep the others."""
    if not hasattr(os, "sched_setaffinity"):
        return None
    allowed = sorted(os.sched_getaffinity(0))
    if len(allowed) <= 1:
        return None
    cpu = allowed[os.getpid() % len(allowed)]
    os.sched_setaffinity(0, {cpu})
    return cpu
