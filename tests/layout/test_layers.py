"""The rules of docs/layers.md, enforced: stages import only earlier stages; scrapers/ is pure and the
warehouse/ package names no table; Dagster decorators live in defs.py; every table has one owning stage."""
import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
STAGES = ["ingest", "warehouse", "applicants", "scoring", "publishing", "operations", "cli"]
SHARED = {"pipelines.resources", "pipelines.progress", "pipelines.checking", "pipelines.runs"}


def _imports(path: Path) -> set[str]:
    """Every module a file imports, at the top or inside a function."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{a.name}" for a in node.names)
    return found


def _stage(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[0] == "pipelines" and parts[1] in STAGES else None


def _py(folder: str):
    return sorted((ROOT / folder).rglob("*.py"))


def test_a_stage_imports_only_earlier_stages_and_the_shared_modules():
    wrong = []
    for path in _py("pipelines"):
        rel = path.relative_to(ROOT).with_suffix("")
        module = ".".join(rel.parts)
        own = _stage(module)
        for imp in _imports(path):
            target = _stage(imp)
            if own is None:  # a shared module: no stage at all, except the first stage's archive (raw tables)
                if module in SHARED and target is not None and imp not in ("pipelines.ingest", "pipelines.ingest.archive"):
                    wrong.append(f"{module} -> {imp}")
                continue
            if target is not None and STAGES.index(target) > STAGES.index(own):
                wrong.append(f"{module} -> {imp}")
    assert not wrong, wrong


def test_scrapers_are_pure_and_the_warehouse_package_names_no_table():
    for path in _py("scrapers"):
        bad = {i for i in _imports(path) if i.split(".")[0] in ("warehouse", "pipelines", "duckdb")}
        assert not bad, (path, bad)
    for path in _py("warehouse"):
        bad = {i for i in _imports(path) if i.split(".")[0] in ("pipelines", "scrapers")}
        assert not bad, (path, bad)
        assert not re.search(r"\b(?:raw|app|marts)\.[a-z_]+", path.read_text()), path


def test_dagster_decorators_only_in_defs_files():
    for path in _py("pipelines"):
        if path.name == "defs.py":
            continue
        decorated = [n for n in ast.walk(ast.parse(path.read_text())) if isinstance(n, (ast.FunctionDef, ast.ClassDef))
                     for d in n.decorator_list if ast.unparse(d).startswith(("dg.", "dbt_assets"))]
        assert not decorated, (path, [ast.unparse(d) for d in decorated])


WRITE = re.compile(r"\b(?:insert\s+(?:or\s+replace\s+)?into|update|delete\s+from|create\s+(?:or\s+replace\s+)?(?:table|view)"
                   r"(?:\s+if\s+not\s+exists)?|alter\s+table|comment\s+on\s+(?:table|column))\s+((?:raw|app)\.[a-z_]+)", re.I)
# each table and the one stage that writes it; operations (erase) may touch every table
OWNERS = {
    "raw.fetch_log": "ingest", "raw.bodies": "ingest", "raw.pages": "ingest", "raw.acgme_listings": "ingest",
    "raw.acgme_report_rows": "ingest", "raw.program_facts": "ingest", "raw.page_extractions": "ingest",
    "raw.program_residents": "ingest", "raw.site_crawls": "ingest", "raw.refresh_runs": "ingest", "raw.fact_reviews": "ingest",
    "app.applicants": "applicants", "app.applicant_quarantine": "applicants", "app.erased_applicants": "applicants",
    "app.intake_files": "applicants",
    "app.pair_scores": "scoring", "app.program_scores": "scoring", "app.gate_mask_codes": "scoring",
    "app.ask_mask_codes": "scoring", "app.signal_mask_codes": "scoring", "app.list_versions": "scoring", "app.ranked_lists": "scoring",
    "app.score_inputs": "scoring", "app.applicant_openers": "scoring",
    "app.delivery_ledger": "publishing",
}


def test_every_table_has_one_owning_stage():
    writers: dict[str, set] = {}
    for path in sorted((ROOT / "pipelines").rglob("*")):
        if path.suffix not in (".py", ".sql"):
            continue
        stage = _stage(".".join(path.relative_to(ROOT).with_suffix("").parts))
        if stage in (None, "operations"):
            continue
        for table in WRITE.findall(path.read_text()):
            writers.setdefault(table.lower(), set()).add(stage)
    assert {t: sorted(s) for t, s in writers.items() if len(s) > 1} == {}
    assert {t: s.pop() for t, s in writers.items()} == OWNERS


def _module(path: Path) -> str:
    rel = path.relative_to(ROOT).with_suffix("")
    return ".".join(rel.parts[:-1] if rel.name == "__init__" else rel.parts)


def test_no_import_cycle_between_files():
    files = [p for folder in ("pipelines", "scrapers", "warehouse") for p in _py(folder)]
    modules = {_module(p): p for p in files}
    graph = {m: {i for i in _imports(p) if i in modules and i != m} for m, p in modules.items()}
    state: dict[str, int] = {}
    cycles = []

    def visit(m, trail):
        state[m] = 1
        for n in sorted(graph[m]):
            if state.get(n) == 1:
                cycles.append(trail[trail.index(n):] + [n] if n in trail else [m, n])
            elif n not in state:
                visit(n, trail + [n])
        state[m] = 2

    for m in sorted(graph):
        if m not in state:
            visit(m, [m])
    assert not cycles, cycles
