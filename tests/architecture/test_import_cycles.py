"""The project's modules import one way: no cycle, function-local imports included.

import-linter (`make lint`) checks the layers; this checks what it cannot: that no two
modules reach each other at all, even through an import hidden inside a function.
"""

import pytest

from tests.architecture.import_graph import cycles, graph

pytestmark = pytest.mark.pure


def test_the_import_graph_has_no_cycle_even_through_function_local_imports():
    edges = graph()
    found = cycles(edges)
    described = ["; ".join(f"{a} -> {b} (line {edges[a][b]})" for a in cycle for b in cycle if b in edges[a])
                 for cycle in found]
    assert not found, "import cycles:\n" + "\n".join(described)


def test_a_cycle_through_a_function_local_import_is_found(tmp_path, monkeypatch):
    package = tmp_path / "statuspage"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "a.py").write_text("from statuspage import b\n")
    (package / "b.py").write_text("def late():\n    from statuspage.a import x\n")
    (tmp_path / "probes").mkdir()
    monkeypatch.setattr("tests.architecture.import_graph.ROOT", tmp_path)
    assert cycles(graph()) == [["statuspage.a", "statuspage.b"]]


def test_the_graph_sees_the_project_s_own_modules():
    edges = graph()
    assert "statuspage.services.changes" in edges["statuspage.services.incidents"]
    assert "statuspage.public.version" in edges["statuspage.public.store"]
