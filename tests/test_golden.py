"""The golden file: the same scenarios and seeds give the same tables, byte for byte.

Regenerate with ``python3 tests/golden/make_golden.py`` only for a change of behaviour made on
purpose, and say what changed and why in the commit message.
"""

from __future__ import annotations

import gzip
import importlib.util
from pathlib import Path

import pytest

_spec = importlib.util.spec_from_file_location(
    "make_golden", Path(__file__).resolve().parent / "golden" / "make_golden.py")
make_golden = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(make_golden)


@pytest.mark.parametrize("name", sorted(make_golden.CASES))
def test_tables_match_the_golden_file(name):
    produced = make_golden.golden_tables(name)
    for table in make_golden.TABLES:
        expected = gzip.decompress(make_golden.golden_path(name, table).read_bytes())
        got = produced[table]
        if got != expected:
            lines_e, lines_g = expected.splitlines(), got.splitlines()
            first = next((k for k, (a, b) in enumerate(zip(lines_e, lines_g, strict=False))
                          if a != b), min(len(lines_e), len(lines_g)))
            pytest.fail(f"{name}/{table}.csv differs from the golden file at line {first + 1} "
                        f"({len(lines_g)} lines, golden {len(lines_e)}):\n"
                        f"  golden: {lines_e[first] if first < len(lines_e) else b'<end>'!r}\n"
                        f"  got:    {lines_g[first] if first < len(lines_g) else b'<end>'!r}")
