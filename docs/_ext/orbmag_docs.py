"""Sphinx directives that read the documentation's tables from the code, so that they cannot drift from it.

- ``orbmag-exit-codes TARGET``: the exit codes of a process, as a table (status, label, message, where defined).
  TARGET is an AiiDA entry-point name (``orbmag.susceptibility``) or the dotted path of an ``ExitCodesNamespace``;
  the flag ``:plugin-only:`` leaves out the codes that the aiida-core base class defines.
- ``orbmag-process-handlers ENTRY_POINT``: the process handlers of a ``BaseRestartWorkChain`` in the order in which
  they are tried (priority, name, docstring).
- ``orbmag-docstring DOTTED.PATH``: the docstring of a module or object, read as Markdown (MyST) in place.

Also adapts ``aiida.sphinxext`` (see ``_patch_aiida_sphinxext``) and reads the package's docstrings, which are written
for people reading the source, as reStructuredText (see ``docstring_as_rest``).
"""

from __future__ import annotations

import importlib
import inspect
import re

from docutils import nodes
from docutils.parsers.rst import directives
from docutils.statemachine import StringList
from sphinx.util.docutils import SphinxDirective

_ENTRY_POINT_GROUPS = ("aiida.workflows", "aiida.calculations")


def _load_process(name: str):
    """The process class (or process function) of an aiida-orbmag entry point."""
    from aiida.plugins.entry_point import load_entry_point

    errors = []
    for group in _ENTRY_POINT_GROUPS:
        try:
            return load_entry_point(group, name)
        except Exception as error:  # report every group's reason below
            errors.append(f"{group}: {error}")
    raise ValueError(f"No process with the entry point {name!r} ({'; '.join(errors)}).")


def _import_object(path: str):
    """The object at a dotted path such as ``package.module.NAME``."""
    parts = path.split(".")
    for split in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:split]))
        except ImportError:
            continue
        for attribute in parts[split:]:
            obj = getattr(obj, attribute)
        return obj
    raise ValueError(f"Cannot import {path!r}.")


def _process_class(process):
    """The process class of a process class or of a process function (calcfunction, workfunction)."""
    return process if inspect.isclass(process) else process.process_class


def _aiida_core_ancestor(cls):
    """The nearest process class among the bases that aiida-core (or another package) defines."""
    from aiida.engine import Process

    for base in inspect.getmro(cls)[1:]:
        if issubclass(base, Process) and not base.__module__.startswith("aiida_orbmag"):
            return base
    return None


def _table(header: list[str], rows: list[list[nodes.Node]], widths: list[int]) -> nodes.table:
    table = nodes.table()
    group = nodes.tgroup(cols=len(header))
    table += group
    for width in widths:
        group += nodes.colspec(colwidth=width)
    head = nodes.thead()
    group += head
    head += _row([nodes.Text(title) for title in header])
    body = nodes.tbody()
    group += body
    for row in rows:
        body += _row(row)
    return table


def _row(cells: list[nodes.Node]) -> nodes.row:
    row = nodes.row()
    for cell in cells:
        entry = nodes.entry()
        paragraph = nodes.paragraph()
        paragraph += cell
        entry += paragraph
        row += entry
    return row


class ExitCodesDirective(SphinxDirective):
    """Table of a process's exit codes, sorted by status."""

    required_arguments = 1
    option_spec = {"plugin-only": directives.flag}

    def run(self):
        target = self.arguments[0]
        try:
            if "." in target and not target.startswith("orbmag."):
                exit_codes, inherited = _import_object(target), set()
            else:
                cls = _process_class(_load_process(target))
                exit_codes = cls.spec().exit_codes
                ancestor = _aiida_core_ancestor(cls)
                inherited = set(ancestor.spec().exit_codes) if ancestor is not None else set()
        except Exception as error:  # a broken target fails the build, with its reason
            return [self.state.document.reporter.warning(f"orbmag-exit-codes {target}: {error}", line=self.lineno)]
        own_only = "plugin-only" in self.options
        rows = []
        for label, code in sorted(exit_codes.items(), key=lambda item: item[1].status):
            if own_only and label in inherited:
                continue
            row = [nodes.Text(str(code.status)), nodes.literal(text=label), nodes.Text(" ".join(code.message.split()))]
            if not own_only:
                row.append(nodes.Text("aiida-core" if label in inherited else "aiida-orbmag"))
            rows.append(row)
        if own_only:
            return [_table(["status", "label", "message"], rows, [8, 30, 80])]
        return [_table(["status", "label", "message", "defined by"], rows, [8, 30, 70, 12])]


class ProcessHandlersDirective(SphinxDirective):
    """Table of the process handlers of a restart work chain, highest priority (tried first) on top."""

    required_arguments = 1

    def run(self):
        target = self.arguments[0]
        try:
            handlers = _load_process(target).get_process_handlers()
        except Exception as error:  # a broken target fails the build, with its reason
            message = f"orbmag-process-handlers {target}: {error}"
            return [self.state.document.reporter.warning(message, line=self.lineno)]
        rows = []
        for handler in sorted(handlers, key=lambda handler: -handler.priority):
            doc = " ".join(inspect.getdoc(handler).split()) if handler.__doc__ else ""
            rows.append([nodes.Text(str(handler.priority)), nodes.literal(text=handler.__name__), nodes.Text(doc)])
        return [_table(["priority", "handler", "what it does"], rows, [8, 30, 80])]


class DocstringDirective(SphinxDirective):
    """The docstring of a module or object, parsed as Markdown where it stands."""

    required_arguments = 1

    def run(self):
        target = self.arguments[0]
        try:
            doc = inspect.getdoc(_import_object(target))
        except Exception as error:  # a broken target fails the build, with its reason
            return [self.state.document.reporter.warning(f"orbmag-docstring {target}: {error}", line=self.lineno)]
        container = nodes.container()
        self.state.nested_parse(StringList(doc.splitlines(), source=target), self.content_offset, container)
        return container.children


def _patch_aiida_sphinxext():
    """Two changes to ``aiida.sphinxext``'s process directives, which otherwise work as they are.

    - They load the default profile before they read a spec; building a spec needs none. CI builds the documentation
      before any profile exists, and on a workstation the build should not open the user's profile: no-op.
    - They parse each port's help as reStructuredText with docutils' defaults, which prints errors and leaves error
      nodes in the page for help texts that are plain prose (``|x|`` reads as a substitution): such help is shown as
      plain text instead.
    """
    try:
        import aiida.sphinxext.process as process
    except ImportError:
        return
    from docutils.core import publish_doctree

    def help_doctree(text):
        quiet = {"report_level": 5, "halt_level": 5, "warning_stream": False}
        tree = publish_doctree(text, settings_overrides=quiet)
        if any(isinstance(node, (nodes.system_message, nodes.problematic)) for node in tree.findall()):
            tree = nodes.document(None, None)
            tree += nodes.paragraph(text=text)
        return tree

    process.load_profile = lambda *args, **kwargs: None
    process.publish_doctree = help_doctree


_TABLE_ROW = re.compile(r"^\s*\|.*\|\s*$")
_TABLE_RULE = re.compile(r"^\s*\|[-:| ]+\|\s*$")
_SINGLE_BACKTICKS = re.compile(r"(?<!`)`([^`]+)`(?!`)")
_GLOB_STAR = re.compile(r"(?<![\w*\\])\*(?=_)")


def _escape_prose(line: str) -> str:
    """|x| (an absolute value) and *_tb.dat (a file pattern) are prose here, not rST substitutions or emphasis."""
    if "``" in line:  # leave inline literals alone: escape only outside them
        parts = line.split("``")
        return "``".join(part if index % 2 else _escape_prose(part) for index, part in enumerate(parts))
    return _GLOB_STAR.sub(r"\\*", line.replace("|", r"\|"))


def _pipe_table_as_list_table(block: list[str]) -> list[str] | None:
    """A Markdown pipe table with aligned columns (rows whose first cell is empty continue the row above) as an rST
    ``list-table``; None when the rows do not line up with the rule under the header."""
    rule = next((index for index, line in enumerate(block) if _TABLE_RULE.match(line)), None)
    if rule != 1:
        return None
    bars = [index for index, char in enumerate(block[1]) if char == "|"]
    rows: list[list[str]] = []
    for number, line in enumerate(block):
        if number == 1:
            continue
        if len(line.rstrip()) != bars[-1] + 1 or any(line[bar] != "|" for bar in bars):
            return None
        cells = [line[start + 1 : end].strip() for start, end in zip(bars, bars[1:], strict=False)]
        if rows and number > 1 and not cells[0]:
            rows[-1] = [f"{old} {new}".strip() for old, new in zip(rows[-1], cells, strict=True)]
        else:
            rows.append(cells)
    indent = " " * (len(block[0]) - len(block[0].lstrip()))
    out = [f"{indent}.. list-table::", f"{indent}   :header-rows: 1", ""]
    for row in rows:
        for column, cell in enumerate(row):
            text = _escape_prose(_SINGLE_BACKTICKS.sub(r"``\1``", cell)) or "\\"
            out.append(f"{indent}   {'* -' if column == 0 else '  -'} {text}")
    out.append("")
    return out


def docstring_as_rest(app, what, name, obj, options, lines):
    """Markdown pipe tables become list-tables; |x| and *_x outside literal blocks are escaped."""
    result: list[str] = []
    literal_indent = None
    index = 0
    while index < len(lines):
        line = lines[index]
        indent = len(line) - len(line.lstrip())
        if literal_indent is not None and (not line.strip() or indent > literal_indent):
            result.append(line)
            index += 1
            continue
        literal_indent = None
        if _TABLE_ROW.match(line):
            end = index
            while end < len(lines) and _TABLE_ROW.match(lines[end]):
                end += 1
            table = _pipe_table_as_list_table(lines[index:end])
            result.extend(table if table is not None else ["::", "", *("    " + row for row in lines[index:end]), ""])
            index = end
            continue
        result.append(_escape_prose(line))
        if line.rstrip().endswith("::"):
            literal_indent = indent
        index += 1
    lines[:] = result


def _click_lines_as_rest(app, ctx, lines):
    docstring_as_rest(app, None, None, None, None, lines)


def setup(app):
    _patch_aiida_sphinxext()
    app.connect("autodoc-process-docstring", docstring_as_rest)
    for part in ("description", "options", "arguments"):  # sphinx-click's help texts, the same way
        app.connect(f"sphinx-click-process-{part}", _click_lines_as_rest)
    app.add_directive("orbmag-exit-codes", ExitCodesDirective)
    app.add_directive("orbmag-process-handlers", ProcessHandlersDirective)
    app.add_directive("orbmag-docstring", DocstringDirective)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
