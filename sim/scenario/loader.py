"""Loading a scenario: read YAML safely, resolve ``extends``, apply lever settings and
overrides, validate against the schema, check cross-references and provenance, and report every
problem at once as ``file:line: path: expected``.
"""

from __future__ import annotations

import copy
import difflib
import hashlib
import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import UnionType
from typing import Any, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError

from sim.errors import InputError, Problem
from sim.scenario import checks
from sim.scenario.schema import Bibliography, Catalogue, Scenario
from sim.scenario.yamlio import LineMap, line_of, read_yaml

MAX_EXTENDS_DEPTH = 8


@dataclass
class LoadedScenario:
    """A validated scenario with everything the model and the manifest need."""

    scenario: Scenario
    catalogue: Catalogue
    bibliography: Bibliography
    path: Path
    files: list[Path]
    raw: dict[str, Any]
    provenance: dict[str, str] = field(default_factory=dict)
    overrides: dict[str, Any] = field(default_factory=dict)

    def file_hashes(self) -> list[dict[str, str]]:
        return [{"path": str(p), "sha256": sha256_of(p)} for p in self.files]

    def lever_settings(self) -> dict[str, str]:
        return {name: lever.setting for name, lever in self.scenario.levers.items()}


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def load_scenario(
    path: str | Path, overrides: dict[str, Any] | None = None,
    folders: Sequence[str | Path] = (),
) -> LoadedScenario:
    """Load, resolve and validate a scenario file; raise InputError listing every problem.

    ``overrides`` maps dotted paths (``levers.us_mediation.setting``,
    ``parameters.choice_temperature``) to values, applied after ``extends`` and before levers.
    The files a scenario names (``extends``, ``meta.catalogue``, ``meta.sources``) must be YAML
    files inside the scenario's own folder, the shipped scenarios' folder or one of ``folders``.
    A problem found in one of those files also says how the scenario reached it.
    """
    path = Path(path)
    reached: Reached = {}
    try:
        return _load(path, dict(overrides or {}), readable_folders(path, folders), reached)
    except InputError as err:
        raise InputError([_with_route(p, reached, str(path)) for p in err.problems]) from None


def _load(path: Path, overrides: dict[str, Any], folders: list[Path],
          reached: Reached) -> LoadedScenario:
    file = str(path)
    raw, lines, files = _resolve_extends(path, [], folders, reached)
    for dotted, value in overrides.items():
        _set_path(raw, dotted, _cited_override(dotted, value), lines, (file, 0, str(dotted)), None)
    levers = _lever_options(raw, lines, file)
    base_raw, base_lines = raw, lines
    raw, lines = _with_settings(base_raw, base_lines, [c.selected for c in levers], file)
    scenario = validate_model(Scenario, raw, lines, file)
    catalogue_path = _support_file(scenario, "catalogue", lines, path, folders, reached)
    sources_path = _support_file(scenario, "sources", lines, path, folders, reached)
    catalogue, cat_raw, cat_lines = load_model(Catalogue, catalogue_path)
    bibliography, _, _ = load_model(Bibliography, sources_path)
    problems = checks.cross_references(scenario, catalogue, lines, file)
    problems += checks.catalogue_references(catalogue, scenario, cat_lines, str(catalogue_path))
    provenance, prov_problems = checks.provenance(raw, lines, bibliography, file)
    cat_prov, cat_prov_problems = checks.provenance(
        cat_raw, cat_lines, bibliography, str(catalogue_path)
    )
    problems += prov_problems + cat_prov_problems
    if not problems:
        problems = _unselected_option_problems(base_raw, base_lines, levers, catalogue, file)
    if problems:
        raise InputError(problems)
    provenance.update({f"catalogue.{k}": v for k, v in cat_prov.items()})
    return LoadedScenario(
        scenario=scenario,
        catalogue=catalogue,
        bibliography=bibliography,
        path=path,
        files=[*files, catalogue_path, sources_path],
        raw=raw,
        provenance=provenance,
        overrides=overrides,
    )


# --- the files a scenario may name -----------------------------------------------------------

YAML_SUFFIXES = (".yaml", ".yml")
# file read -> (the file that names it, the line, the key that names it)
Reached = dict[str, tuple[str, int, str]]


def readable_folders(scenario: Path, folders: Sequence[str | Path] = ()) -> list[Path]:
    """The folders whose YAML files a scenario may name: its own folder, the shipped scenarios'
    folder, and the folders the user passed."""
    from sim.shipped import scenarios_dir  # the shipped scenarios, their catalogue and sources

    return [_resolved(p) for p in (scenario.parent, scenarios_dir(), *map(Path, folders))]


def _resolved(path: Path) -> Path:
    try:
        return path.resolve()
    except (OSError, RuntimeError):  # a symlink loop
        return path.absolute()


def named_file(name: str, beside: Path, folders: list[Path],
               what: str = "file") -> tuple[Path | None, str]:
    """The file a scenario names (relative to the folder of the file naming it), or None and
    what is wrong with the name. The message quotes the name only, never the file."""
    target = beside / name
    if not name.endswith(YAML_SUFFIXES):
        return None, f"expected the name of a YAML file (ending {' or '.join(YAML_SUFFIXES)})"
    real = _resolved(target)
    if not any(real.is_relative_to(folder) for folder in folders):
        shown = ", ".join(str(f) for f in folders)
        return None, (f"{name!r} is outside the folders a scenario may read ({shown}); "
                      "name another folder with --data-dir")
    if not _is_file(target):
        return None, f"no such {what} {name!r} beside this one"
    return target, ""


def _support_file(scenario: Scenario, key: str, lines: LineMap, path: Path,
                  folders: list[Path], reached: Reached) -> Path:
    """The catalogue or bibliography, found beside the file that names it."""
    name = getattr(scenario.meta, key)
    declared = lines.get(("meta", key))
    where = declared or line_of(lines, ("meta",), str(path))
    target, message = named_file(name, Path(where[0]).parent, folders)
    if target is None:
        raise InputError([Problem(*where, f"meta.{key}", message)])
    reached.setdefault(str(target), (*where, f"meta.{key}"))
    return target


def _with_route(problem: Problem, reached: Reached, top: str) -> Problem:
    """A problem in a file the scenario reached through others says through which lines."""
    route, file, seen = [], problem.file, {top}
    while file in reached and file not in seen:
        seen.add(file)
        by, line, key = reached[file]
        route.append(f"{by}:{line}: {key}")
        file = by
    if not route:
        return problem
    return Problem(problem.file, problem.line, problem.path,
                   f"{problem.message} (reached from {', from '.join(route)})")


def load_model(model: type[BaseModel], path: Path) -> tuple[Any, dict, LineMap]:
    data, lines = read_yaml(path)
    _refuse_foreign_file(data, model, path)
    return validate_model(model, data, lines, str(path)), data, lines


def _refuse_foreign_file(data: Any, model: type[BaseModel], path: Path) -> None:
    """A YAML file with none of the format's sections is not one of ours: say so in one line,
    without listing its keys (which could be anything, even secrets)."""
    fields = list(model.model_fields)
    if not isinstance(data, dict) or not set(data) & set(fields):
        kind = model.__name__.lower()
        raise InputError([Problem(str(path), 1, "", f"expected a {kind} file (with a section "
                                                    f"among: {', '.join(fields)})")])


# --- extends ----------------------------------------------------------------------------------


def _resolve_extends(path: Path, chain: list[Path], folders: list[Path],
                     reached: Reached) -> tuple[dict, LineMap, list[Path]]:
    """Read ``path`` and the files it extends; ``chain`` holds the files that extend it."""
    chain = [*chain, _resolved(path)]
    data, lines = read_yaml(path)
    if not isinstance(data, dict):
        raise InputError([Problem(str(path), 1, "", "expected a mapping of sections (meta, ...)")])
    _refuse_foreign_file(data, Scenario, path)  # nor echo the keys of, say, a password file
    parent_name = data.get("extends")
    if parent_name is None:
        return data, lines, [path]
    line = lines.get(("extends",), (str(path), 0))[1]
    if not isinstance(parent_name, str):
        raise InputError([Problem(str(path), line, "extends", "expected a file name")])
    parent_path, message = named_file(parent_name, path.parent, folders)
    if parent_path is None:
        raise InputError([Problem(str(path), line, "extends", message)])
    if _resolved(parent_path) in chain:
        cycle = " -> ".join(p.name for p in [*chain, _resolved(parent_path)])
        raise InputError([Problem(str(path), line, "extends", f"extends cycle: {cycle}")])
    if len(chain) >= MAX_EXTENDS_DEPTH:
        too_long = f"extends chain is too long (at most {MAX_EXTENDS_DEPTH} files)"
        raise InputError([Problem(str(path), line, "extends", too_long)])
    reached.setdefault(str(parent_path), (str(path), line, "extends"))
    base, base_lines, files = _resolve_extends(parent_path, chain, folders, reached)
    merged = deep_merge(base, {k: v for k, v in data.items() if k != "extends"})
    base_lines.update(lines)
    return merged, base_lines, [*files, path]


def _is_file(path: Path) -> bool:
    try:
        return path.is_file()
    except OSError:  # e.g. a name too long for the file system
        return False


def deep_merge(base: Any, override: Any) -> Any:
    """Mappings merge key by key; anything else (lists included) is replaced whole, and so is a
    cited number ``{value: ..., source|assumption: ...}`` (its old citation does not linger).
    A key set to null in the extending file is deleted (``agreements: {deal_2015: null}``).
    The result shares parts of both (each file is read afresh for one load): copy to change."""
    if isinstance(base, dict) and isinstance(override, dict) and "value" not in override:
        out = dict(base)
        for key, value in override.items():
            if value is None:  # `key: null` deletes what the parent file set
                out.pop(key, None)
            else:
                out[key] = deep_merge(base[key], value) if key in base else value
        return out
    return override


# --- levers and overrides ---------------------------------------------------------------------


def _cited_override(dotted: str, value: Any) -> Any:
    """A number set from outside the file (``--set``, an experiment design) is cited as such
    (but not a seed or a code: those are not quantities and take no citation)."""
    if str(dotted).rpartition(".")[2] in checks.NOT_QUANTITIES:
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return {"value": value, "assumption": "set by an override (command line or experiment)"}
    return value


Setting = tuple[str, Any, tuple[str, ...]]  # dotted path, value, the lever's `set` entry


@dataclass
class LeverOptions:
    """One lever: the settings of its selected option, and of each of the others."""

    name: str
    selected: list[Setting]
    others: dict[str, list[Setting]]


def _lever_options(raw: dict, lines: LineMap, file: str) -> list[LeverOptions]:
    """Each lever's options, after checking that every path an option sets exists.

    Problems are blamed on the lever's ``set`` entry. A path that fails because a whole section
    is missing is left to the schema, which reports the missing section itself."""
    levers = raw.get("levers")
    if not isinstance(levers, dict):
        return []
    problems: list[Problem] = []
    out = []
    for name, lever in levers.items():
        options = lever.get("options") if isinstance(lever, dict) else None
        if not isinstance(options, dict):
            continue  # the schema reports a bad lever with its location
        choice = LeverOptions(str(name), [], {})
        for option_name, option in options.items():
            if not isinstance(option, dict) or not isinstance(option.get("set"), dict):
                continue
            settings = []
            for dotted, value in option["set"].items():
                entry = ("levers", name, "options", option_name, "set", dotted)
                where = (*line_of(lines, entry, file), ".".join(entry))
                try:
                    _set_path(raw, dotted, value, lines, where, entry, dry_run=True)
                except InputError as err:
                    section = str(dotted).split(".")[0]
                    if section in raw or section not in Scenario.model_fields:
                        problems.extend(err.problems)
                    continue
                settings.append((dotted, value, entry))
            if option_name == lever.get("setting"):
                choice.selected = settings
            else:
                choice.others[str(option_name)] = settings
        out.append(choice)
    if problems:
        try:  # the schema's problems too, so that every problem is reported in one pass
            validate_model(Scenario, raw, lines, file)
        except InputError as err:
            problems += err.problems
        raise InputError(problems)
    return out


def _with_settings(raw: dict, lines: LineMap, settings: list[list[Setting]],
                   file: str) -> tuple[dict, LineMap]:
    """A copy of the scenario with the settings applied (the original is left as it was)."""
    raw, lines = dict(raw), dict(lines)
    for dotted, value, entry in itertools.chain.from_iterable(settings):
        where = (*line_of(lines, entry, file), ".".join(entry))
        _set_path(raw, dotted, value, lines, where, entry)
    return raw, lines


def _unselected_option_problems(raw: dict, lines: LineMap, levers: list[LeverOptions],
                                catalogue: Catalogue, file: str) -> list[Problem]:
    """Every option of every lever must give a valid scenario, selected or not. The options
    not selected are tried in a few variants: variant k sets each lever to its k-th other
    option (levers with fewer options keep their setting), so each option is tried once."""
    problems: set[Problem] = set()
    variants = max((len(lever.others) for lever in levers), default=0)
    for k in range(variants):
        chosen = {lever.name: list(lever.others.items())[k] for lever in levers
                  if k < len(lever.others)}
        settings = [chosen[lever.name][1] if lever.name in chosen else lever.selected
                    for lever in levers]
        variant, variant_lines = _with_settings(raw, lines, settings, file)
        try:
            scenario = validate_model(Scenario, variant, variant_lines, file)
            found = checks.cross_references(scenario, catalogue, variant_lines, file)
        except InputError as err:
            found = err.problems
        problems.update(_naming_option(p, chosen) for p in found)
    return sorted(problems)


def _naming_option(problem: Problem, chosen: dict[str, tuple[str, list[Setting]]]) -> Problem:
    """Say which lever setting a problem of a variant comes with."""
    related = [f"lever {name!r} set to {option!r}" for name, (option, settings) in chosen.items()
               if any(_nested(problem.path, dotted) for dotted, _, _ in settings)]
    related = related or [f"lever {name!r} set to {option!r}"
                          for name, (option, _) in chosen.items()]
    return Problem(problem.file, problem.line, problem.path,
                   f"{problem.message} (with {', '.join(related)})")


def _nested(path: str, dotted: str) -> bool:
    """One of two dotted paths lies within the other."""
    a, b = path.split("."), str(dotted).split(".")
    return a[: len(b)] == b or b[: len(a)] == a


def _set_path(
    raw: dict, dotted: str, value: Any, lines: LineMap, where: tuple[str, int, str],
    entry: tuple[str, ...] | None, dry_run: bool = False,
) -> None:
    """Set the value at a dotted path whose parents exist; blame problems on ``where``
    (file, line, field path). The new value takes its line numbers from ``entry`` (the lever's
    ``set`` entry) or, for a command-line override, from no line at all."""
    keys = tuple(str(dotted).split("."))
    node: Any = raw
    for depth, key in enumerate(keys[:-1]):
        if not isinstance(node, dict) or key not in node:
            have = sorted(node) if isinstance(node, dict) else []
            what = f"{'.'.join(keys[:depth])!r}" if depth else "the top level"
            raise InputError([Problem(*where, f"cannot set {dotted!r}: no {key!r} in {what}"
                                              f"{did_you_mean(key, have)}")])
        if not dry_run and isinstance(node[key], dict):
            node[key] = dict(node[key])  # copy on write: other variants share the original
        node = node[key]
    if not isinstance(node, dict):
        raise InputError([Problem(*where, f"cannot set {dotted!r}: "
                                          f"{'.'.join(keys[:-1])!r} is not a mapping")])
    if dry_run:
        return
    old = node.get(keys[-1])
    node[keys[-1]] = copy.deepcopy(value)
    for below in _subpaths(old):  # the old value's lines no longer describe it
        lines.pop(keys + below, None)
    if entry is None:
        lines[keys] = (where[0], 0)
        return
    for below in _subpaths(value):
        if entry + below in lines:
            lines[keys + below] = lines[entry + below]


def _subpaths(value: Any, here: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """The path of a value (``()``) and of everything inside it, as line-map keys."""
    items = (value.items() if isinstance(value, dict)
             else enumerate(value) if isinstance(value, list) else ())
    out = [here]
    for key, child in items:
        out += _subpaths(child, (*here, str(key)))
    return out


# --- validation and error messages ------------------------------------------------------------


def validate_model(model: type[BaseModel], data: Any, lines: LineMap, file: str) -> Any:
    """Validate data against a model; every problem located as file:line: field."""
    try:
        return model.model_validate(data)
    except ValidationError as err:
        problems = [_problem_from(e, model, lines, file) for e in err.errors()]
        raise InputError(_one_per_field(problems)) from None


def _one_per_field(problems: list[Problem]) -> list[Problem]:
    """A value that fits none of a union's kinds fails each: one message says what each wants."""
    by_field: dict[tuple[str, int, str], list[str]] = {}
    for p in problems:
        messages = by_field.setdefault((p.file, p.line, p.path), [])
        if p.message not in messages:
            messages.append(p.message)
    return [Problem(*where, "; or ".join(messages)) for where, messages in by_field.items()]


def _problem_from(error: dict, model: type[BaseModel], lines: LineMap, file: str) -> Problem:
    loc = tuple(part for part in error["loc"] if not _is_internal(part))
    where, line = line_of(lines, loc, file)
    path = ".".join(str(p) for p in loc)
    kind = error["type"]
    if kind == "extra_forbidden":
        allowed = allowed_keys(model, loc[:-1])
        hint = did_you_mean(str(loc[-1]), allowed)
        listing = f" (expected one of: {', '.join(allowed)})" if allowed and not hint else ""
        return Problem(where, line, path, f"unknown key{hint}{listing}")
    if kind == "missing":
        return Problem(where, line, path, "required field is missing")
    message = error["msg"].removeprefix("Value error, ")
    if kind in {"literal_error", "enum"}:
        message = f"expected {error.get('ctx', {}).get('expected', message)}"
        got = error.get("input")
        message += did_you_mean(str(got), _literal_options(error)) if got is not None else ""
    elif kind == "finite_number":
        message = "expected a finite number (not NaN or infinity)"
    return Problem(where, line, path, message)


def _is_internal(part: Any) -> bool:
    """pydantic adds union-branch names like 'function-before[...]' to locations."""
    return isinstance(part, str) and ("[" in part or part in {"str", "list[str]"})


def _literal_options(error: dict) -> list[str]:
    expected = str(error.get("ctx", {}).get("expected", ""))
    return [opt.strip(" '") for opt in expected.replace(" or ", ",").split(",") if opt.strip()]


def did_you_mean(word: str, candidates: list[str] | set[str]) -> str:
    close = difflib.get_close_matches(word, list(candidates), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def allowed_keys(model: Any, loc: tuple) -> list[str]:
    """The keys a model accepts at a location, following field annotations through dicts."""
    target: Any = model
    for part in loc:
        target = _unwrap(target)
        if isinstance(target, type) and issubclass(target, BaseModel):
            info = target.model_fields.get(str(part))
            if info is None:
                return []
            target = info.annotation
        elif get_origin(target) is dict:
            target = get_args(target)[1]
        elif get_origin(target) is list:
            target = get_args(target)[0]
        else:
            return []
    target = _unwrap(target)
    if isinstance(target, type) and issubclass(target, BaseModel):
        return sorted(target.model_fields)
    return []


def _unwrap(annotation: Any) -> Any:
    """Strip Optional[...] and Annotated[...] down to the model or container type."""
    while True:
        origin = get_origin(annotation)
        if origin in (Union, UnionType):
            options = [a for a in get_args(annotation) if a is not type(None)]
            annotation = options[0] if options else annotation
        elif hasattr(annotation, "__metadata__"):
            annotation = get_args(annotation)[0]
        else:
            return annotation
