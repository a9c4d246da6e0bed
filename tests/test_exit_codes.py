"""Exit codes of every ``orbmag.*`` process (CalcJobs, the calcfunction, work chains): unique statuses, messages that
are full sentences."""

import importlib
import string

import pytest
from aiida.engine import CalcJob, WorkChain
from aiida.engine.processes.workchains.restart import BaseRestartWorkChain
from aiida.plugins.entry_point import get_entry_point_names, load_entry_point

GROUPS = ("aiida.calculations", "aiida.workflows")
ENTRY_POINTS = [
    (group, name) for group in GROUPS for name in get_entry_point_names(group) if name.startswith("orbmag.")
]
#: Exit codes that the processes inherit from aiida-core: their messages are aiida-core's, not this plugin's.
INHERITED = {
    (label, code.status)
    for base in (CalcJob, WorkChain, BaseRestartWorkChain)
    for label, code in base.spec().exit_codes.items()
}


def exit_codes(group: str, name: str) -> dict:
    """label -> ExitCode of the process of entry point ``name``; a calcfunction's are those of its module's
    ``EXIT_CODES`` (a calcfunction has no spec of its own to declare them in)."""
    loaded = load_entry_point(group, name)
    if isinstance(loaded, type):
        return dict(loaded.spec().exit_codes.items())
    codes = dict(loaded.process_class.spec().exit_codes.items())
    codes.update(getattr(importlib.import_module(loaded.__module__), "EXIT_CODES", {}).items())
    return codes


def sentence_problem(message: str) -> str | None:
    """Why ``message`` (a format template) is not a full sentence, or None: it must start with a capital letter
    (not a placeholder, quote, backtick or lowercase program name) and end with a period."""
    if not message or not message[0].isupper():
        return "does not start with a capital letter"
    if not message.rstrip().endswith("."):
        return "does not end with a period"
    try:
        list(string.Formatter().parse(message))
    except ValueError as error:
        return f"is not a valid format template ({error})"
    return None


def test_every_orbmag_process_is_walked():
    names = {name for _, name in ENTRY_POINTS}
    assert {"orbmag.wannier90", "orbmag.ld1", "orbmag.compute_susceptibility"} <= names
    assert {"orbmag.wannier90.base", "orbmag.wannierization", "orbmag.magnetic_configuration"} <= names
    assert "orbmag.susceptibility" in names


@pytest.mark.parametrize(("group", "name"), ENTRY_POINTS)
def test_statuses_are_unique(group, name):
    statuses = {}
    for label, code in exit_codes(group, name).items():
        statuses.setdefault(code.status, []).append(label)
    assert {status: labels for status, labels in statuses.items() if len(labels) > 1} == {}


@pytest.mark.parametrize(
    ("group", "name"),
    ENTRY_POINTS,
)
def test_messages_are_full_sentences(group, name):
    problems = {
        label: f"{code.message!r} {sentence_problem(code.message)}"
        for label, code in exit_codes(group, name).items()
        if (label, code.status) not in INHERITED and sentence_problem(code.message)
    }
    assert problems == {}


@pytest.mark.parametrize(
    ("message", "problem"),
    [
        ("The run failed.", None),
        ("The window does not fit: {error}.", None),
        ("wannier90 stopped: {error}.", "does not start with a capital letter"),
        ("{key} reached {value}.", "does not start with a capital letter"),
        ("`aiida.wout` is missing.", "does not start with a capital letter"),
        ("The model cannot be used: {reason}", "does not end with a period"),
    ],
)
def test_the_sentence_rule(message, problem):
    assert sentence_problem(message) == problem


def test_sub_process_failures_follow_the_naming_pattern():
    """A 4xx exit code of a work chain that reports a failed child is named ERROR_SUB_PROCESS_FAILED_<STEP>."""
    for group, name in ENTRY_POINTS:
        if group != "aiida.workflows":
            continue
        for label, code in exit_codes(group, name).items():
            if "failed" in code.message.lower() and 400 <= code.status < 500 and (label, code.status) not in INHERITED:
                assert label.startswith("ERROR_SUB_PROCESS_FAILED_"), (name, label)
