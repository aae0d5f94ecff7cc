"""Safe YAML reading that remembers where every value came from.

Scenario and experiment files are read with PyYAML's *safe* composer only (libyaml's C parser
where available, see :func:`parse_yaml_text`), then turned into plain
Python data while recording the line of every mapping key, so that a validation error can name
``file:line``. Hostile or broken input (oversized files, alias bombs, deep nesting, duplicate keys,
non-text bytes) is turned into :class:`~sim.errors.Problem` entries, never a traceback.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from yaml.constructor import SafeConstructor

from sim.errors import InputError, Problem

MAX_BYTES = 1_000_000
MAX_DEPTH = 40
# libyaml's parser when PyYAML was built with it (its wheels are), else the pure-Python one
FAST_LOADER: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

Path_ = tuple[str, ...]
LineMap = dict[Path_, tuple[str, int]]


def line_of(lines: LineMap, loc: tuple, file: str) -> tuple[str, int]:
    """The file and line of the longest prefix of ``loc`` that was read from a file."""
    key = tuple(str(part) for part in loc)
    while key and key not in lines:
        key = key[:-1]
    return lines.get(key, (file, 1))


def read_yaml(path: Path) -> tuple[Any, LineMap]:
    """Read one YAML file into plain data plus a map from field path to (file, line)."""
    name = str(path)
    try:
        if not path.is_file():  # a directory or a device (/dev/zero) is not a scenario
            raise InputError([Problem(name, 0, "", "no such file (or not a regular file)")])
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise InputError(
                [Problem(name, 0, "", f"file is {size} bytes; at most {MAX_BYTES} are accepted")]
            )
        data = path.read_bytes()
    except OSError as err:
        raise InputError([Problem(name, 0, "", f"cannot read file ({err.strerror})")]) from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        line = data.count(b"\n", 0, err.start) + 1
        raise InputError(
            [Problem(name, line, "", f"not UTF-8 text (bad byte at offset {err.start})")]
        ) from None
    return parse_yaml_text(text, name)


def parse_yaml_text(text: str, name: str) -> tuple[Any, LineMap]:
    """Parse YAML text (safe subset, no aliases) into plain data and a line map.

    libyaml's C parser does the work when PyYAML has it (ten times faster; its nodes keep the
    line marks the messages need). Input it refuses is parsed again by the pure-Python parser,
    whose error messages are the ones users see, so that both give the same message."""
    if FAST_LOADER is not yaml.SafeLoader:
        try:
            return build_from_events(text, name, FAST_LOADER)
        except yaml.YAMLError:
            pass  # located below, with the pure-Python parser's message
    try:
        return parse_with_loader(text, name, yaml.SafeLoader)
    except yaml.YAMLError as err:
        raise InputError([_yaml_problem(err, name, text)]) from None
    except RecursionError:
        raise InputError([Problem(name, 0, "", "nesting is too deep")]) from None


def parse_with_loader(text: str, name: str, loader: type) -> tuple[Any, LineMap]:
    """Parse with one PyYAML loader class; its YAML errors propagate."""
    _reject_aliases_and_depth(text, name, loader)
    node = yaml.compose(text, Loader=loader)
    lines: LineMap = {}
    problems: list[Problem] = []
    if node is None:
        return None, lines
    data = _to_data(node, (), _Walk(name, lines, problems, SafeConstructor()), depth=0)
    if problems:
        raise InputError(problems)
    return data, lines


_OPENS = (yaml.MappingStartEvent, yaml.SequenceStartEvent)
_CLOSES = (yaml.MappingEndEvent, yaml.SequenceEndEvent)
_NODES = (yaml.ScalarEvent, *_OPENS)
_RESOLVER = yaml.resolver.Resolver()
MERGE_TAG = "tag:yaml.org,2002:merge"


@dataclass
class _Frame:
    """A mapping or sequence being filled (or, with ``value`` None, one being skipped)."""

    value: dict | list | None
    path: Path_
    key: str | None = None  # a mapping's key waiting for its value
    skip_value: bool = False  # the value of a refused key is read and dropped
    awaiting_key: bool = True


def build_from_events(text: str, name: str, loader: type) -> tuple[Any, LineMap]:
    """What :func:`parse_with_loader` gives, built in one pass over the parser's events (no
    node graph, no second pass for aliases and depth): the fast path with libyaml."""
    walk = _Walk(name, {}, [], SafeConstructor())
    stack: list[_Frame] = []
    root: Any = None
    documents = 0
    for event in yaml.parse(text, Loader=loader):
        line = event.start_mark.line + 1
        if isinstance(event, yaml.AliasEvent):
            raise InputError([Problem(name, line, "", f"YAML alias *{event.anchor} is not "
                                      "allowed (use `extends:` to reuse another file)")])
        if isinstance(event, _CLOSES):
            stack.pop()
            continue
        if not isinstance(event, _NODES):
            documents += isinstance(event, yaml.DocumentStartEvent)
            if documents > 1:  # worded by the pure-Python composer
                raise yaml.composer.ComposerError("expected a single document")
            continue
        if len(stack) >= MAX_DEPTH and isinstance(event, _OPENS):
            raise InputError([Problem(name, line, "", "nesting is too deep")])
        frame = stack[-1] if stack else None
        if frame is not None and frame.value is None or frame is not None and (
                _refused_key(frame, event, walk) or _skipped_value(frame)):
            if isinstance(event, _OPENS):
                stack.append(_Frame(None, ()))
            continue
        path = _place(frame, line, walk)
        value = _new_value(event, path, walk)
        if frame is None:
            root = value
        elif isinstance(frame.value, list):
            frame.value.append(value)
        else:
            frame.value[frame.key] = value  # type: ignore[index]
        if isinstance(event, _OPENS):
            stack.append(_Frame(value, path))
    if walk.problems:
        raise InputError(walk.problems)
    return root, walk.lines


def _refused_key(frame: _Frame, event: yaml.Event, walk: _Walk) -> bool:
    """Take a mapping key (True: this event was the key, or part of a refused one)."""
    if not isinstance(frame.value, dict) or not frame.awaiting_key:
        return False
    frame.awaiting_key = False
    line = event.start_mark.line + 1
    if not isinstance(event, yaml.ScalarEvent) or _scalar_tag(event) == MERGE_TAG:
        walk.problems.append(Problem(walk.name, line, ".".join(frame.path),
                                     "keys must be plain names"))
        frame.skip_value = True
        return True
    key = str(event.value)
    if key in frame.value:
        walk.problems.append(Problem(walk.name, line, ".".join((*frame.path, key)),
                                     "duplicate key"))
        frame.skip_value = True
        return True
    frame.key = key
    walk.lines[(*frame.path, key)] = (walk.name, line)
    return True


def _skipped_value(frame: _Frame) -> bool:
    """The value of a refused key is dropped; the next event is a key again."""
    if isinstance(frame.value, dict):
        frame.awaiting_key = True
        if frame.skip_value:
            frame.skip_value = False
            return True
    return False


def _place(frame: _Frame | None, line: int, walk: _Walk) -> Path_:
    """The path of a new value, with its line (a mapping value has its key's line)."""
    if frame is None:
        path: Path_ = ()
    elif isinstance(frame.value, list):
        path = (*frame.path, str(len(frame.value)))
    else:
        path = (*frame.path, str(frame.key))
    walk.lines.setdefault(path, (walk.name, line))
    return path


def _new_value(event: yaml.Event, path: Path_, walk: _Walk) -> Any:
    if isinstance(event, yaml.MappingStartEvent):
        return {}
    if isinstance(event, yaml.SequenceStartEvent):
        return []
    node = yaml.ScalarNode(_scalar_tag(event), event.value, event.start_mark, event.end_mark,
                           style=event.style)
    try:
        return walk.constructor.construct_object(node, deep=True)
    except (yaml.YAMLError, ValueError, OverflowError) as err:
        reason = str(err).splitlines()[0] if str(err) else type(err).__name__
        walk.problems.append(Problem(walk.name, event.start_mark.line + 1, ".".join(path),
                                     f"unreadable value ({reason})"))
        return None


def _scalar_tag(event: yaml.ScalarEvent) -> str:
    """The scalar's tag as PyYAML's composer resolves it (YAML 1.1 implicit types)."""
    if event.tag is None or event.tag == "!":
        return _RESOLVER.resolve(yaml.ScalarNode, event.value, event.implicit)
    return event.tag


def _reject_aliases_and_depth(text: str, name: str, loader: type) -> None:
    """Aliases can expand exponentially ("billion laughs"); scenario files reuse via `extends`.
    Deep nesting is refused here too, before it gets expensive: both parsers take time
    quadratic in the depth of flow collections (``[[[[...``), so the events are read lazily
    and reading stops at the first level too deep."""
    depth = 0
    for event in yaml.parse(text, Loader=loader):
        depth += isinstance(event, _OPENS) - isinstance(event, _CLOSES)
        if depth > MAX_DEPTH:
            raise InputError([Problem(name, event.start_mark.line + 1, "", "nesting is too deep")])
        if isinstance(event, yaml.AliasEvent):
            raise InputError(
                [Problem(name, event.start_mark.line + 1, "", f"YAML alias *{event.anchor} is "
                         "not allowed (use `extends:` to reuse another file)")]
            )


def _yaml_problem(err: yaml.YAMLError, name: str, text: str) -> Problem:
    if isinstance(err, yaml.reader.ReaderError):  # a control character (NUL, ESC...)
        line = text.count("\n", 0, max(err.position, 0)) + 1
        return Problem(name, line, "", f"not valid YAML: control character "
                                       f"#x{err.character:04x} is not allowed")
    mark = getattr(err, "problem_mark", None) or getattr(err, "context_mark", None)
    line = mark.line + 1 if mark is not None else 0
    what = getattr(err, "problem", None) or str(err).splitlines()[0]
    return Problem(name, line, "", f"not valid YAML: {what}")


@dataclass
class _Walk:
    """What the walk from YAML nodes to plain data carries: the file's name, the line map and
    problems it fills, and one safe constructor (YAML 1.1 rules for ints, floats, bools...)."""

    name: str
    lines: LineMap
    problems: list[Problem]
    constructor: SafeConstructor


def _to_data(node: yaml.Node, path: Path_, walk: _Walk, depth: int) -> Any:
    line = node.start_mark.line + 1
    walk.lines.setdefault(path, (walk.name, line))
    if depth > MAX_DEPTH:
        walk.problems.append(Problem(walk.name, line, ".".join(path), "nesting is too deep"))
        return None
    if isinstance(node, yaml.MappingNode):
        return _mapping(node, path, walk, depth)
    if isinstance(node, yaml.SequenceNode):
        return [_to_data(child, (*path, str(i)), walk, depth + 1)
                for i, child in enumerate(node.value)]
    try:
        return walk.constructor.construct_object(node, deep=True)
    except (yaml.YAMLError, ValueError, OverflowError) as err:
        reason = str(err).splitlines()[0] if str(err) else type(err).__name__
        walk.problems.append(Problem(walk.name, line, ".".join(path),
                                     f"unreadable value ({reason})"))
        return None


def _mapping(node: yaml.MappingNode, path: Path_, walk: _Walk, depth: int) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key_node, value_node in node.value:
        line = key_node.start_mark.line + 1
        if not isinstance(key_node, yaml.ScalarNode) or key_node.tag == "tag:yaml.org,2002:merge":
            walk.problems.append(Problem(walk.name, line, ".".join(path),
                                         "keys must be plain names"))
            continue
        key = str(key_node.value)
        child = (*path, key)
        if key in out:
            walk.problems.append(Problem(walk.name, line, ".".join(child), "duplicate key"))
            continue
        walk.lines[child] = (walk.name, line)
        out[key] = _to_data(value_node, child, walk, depth + 1)
    return out
