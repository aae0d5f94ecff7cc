"""Safe YAML reading that remembers where every value came from.

Scenario and experiment files are read with PyYAML's *safe* composer only, then turned into plain
Python data while recording the line of every mapping key, so that a validation error can name
``file:line``. Hostile or broken input (oversized files, alias bombs, deep nesting, duplicate keys,
non-text bytes) is turned into :class:`~sim.errors.Problem` entries, never a traceback.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from sim.errors import InputError, Problem

MAX_BYTES = 1_000_000
MAX_DEPTH = 40

Path_ = tuple[str, ...]
LineMap = dict[Path_, tuple[str, int]]


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
    """Parse YAML text (safe subset, no aliases) into plain data and a line map."""
    _reject_aliases(text, name)
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as err:
        raise InputError([_yaml_problem(err, name)]) from None
    except RecursionError:
        raise InputError([Problem(name, 0, "", "nesting is too deep")]) from None
    lines: LineMap = {}
    problems: list[Problem] = []
    if node is None:
        return None, lines
    data = _to_data(node, (), name, lines, problems, depth=0)
    if problems:
        raise InputError(problems)
    return data, lines


_OPENS = (yaml.BlockMappingStartToken, yaml.BlockSequenceStartToken,
          yaml.FlowMappingStartToken, yaml.FlowSequenceStartToken)
_CLOSES = (yaml.BlockEndToken, yaml.FlowMappingEndToken, yaml.FlowSequenceEndToken)


def _reject_aliases(text: str, name: str) -> None:
    """Aliases can expand exponentially ("billion laughs"); scenario files reuse via `extends`.
    Deep nesting is refused here too, before it gets expensive: PyYAML's scanner takes time
    quadratic in the depth of flow collections (``[[[[...``)."""
    depth = 0
    try:
        for token in yaml.scan(text, Loader=yaml.SafeLoader):
            depth += isinstance(token, _OPENS) - isinstance(token, _CLOSES)
            if depth > MAX_DEPTH:
                line = token.start_mark.line + 1
                raise InputError([Problem(name, line, "", "nesting is too deep")])
            if isinstance(token, yaml.AliasToken):
                line = token.start_mark.line + 1
                raise InputError(
                    [Problem(name, line, "", f"YAML alias *{token.value} is not allowed "
                             "(use `extends:` to reuse another file)")]
                )
    except yaml.YAMLError as err:
        raise InputError([_yaml_problem(err, name)]) from None
    except RecursionError:
        raise InputError([Problem(name, 0, "", "nesting is too deep")]) from None


def _yaml_problem(err: yaml.YAMLError, name: str) -> Problem:
    mark = getattr(err, "problem_mark", None) or getattr(err, "context_mark", None)
    line = mark.line + 1 if mark is not None else 0
    what = getattr(err, "problem", None) or str(err).splitlines()[0]
    return Problem(name, line, "", f"not valid YAML: {what}")


def _scalar(node: yaml.ScalarNode) -> Any:
    """Construct one scalar with the safe constructor's YAML 1.1 rules (ints, floats, bools...)."""
    constructor = yaml.SafeLoader.__new__(yaml.SafeLoader)
    yaml.constructor.SafeConstructor.__init__(constructor)
    return constructor.construct_object(node, deep=True)


def _to_data(
    node: yaml.Node, path: Path_, name: str, lines: LineMap, problems: list[Problem], depth: int
) -> Any:
    line = node.start_mark.line + 1
    lines.setdefault(path, (name, line))
    if depth > MAX_DEPTH:
        problems.append(Problem(name, line, ".".join(path), "nesting is too deep"))
        return None
    if isinstance(node, yaml.MappingNode):
        return _mapping(node, path, name, lines, problems, depth)
    if isinstance(node, yaml.SequenceNode):
        return [
            _to_data(child, (*path, str(i)), name, lines, problems, depth + 1)
            for i, child in enumerate(node.value)
        ]
    try:
        return _scalar(node)
    except (yaml.YAMLError, ValueError, OverflowError) as err:
        reason = str(err).splitlines()[0] if str(err) else type(err).__name__
        problems.append(Problem(name, line, ".".join(path), f"unreadable value ({reason})"))
        return None


def _mapping(
    node: yaml.MappingNode, path: Path_, name: str, lines: LineMap, problems: list[Problem],
    depth: int,
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key_node, value_node in node.value:
        line = key_node.start_mark.line + 1
        if not isinstance(key_node, yaml.ScalarNode) or key_node.tag == "tag:yaml.org,2002:merge":
            problems.append(Problem(name, line, ".".join(path), "keys must be plain names"))
            continue
        key = str(key_node.value)
        child = (*path, key)
        if key in out:
            problems.append(Problem(name, line, ".".join(child), "duplicate key"))
            continue
        lines[child] = (name, line)
        out[key] = _to_data(value_node, child, name, lines, problems, depth + 1)
    return out
