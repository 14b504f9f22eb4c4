"""Mutation score of the assignments' tests: how much wrong work do they catch?

    .venv/bin/python benchmarks/mutation.py [ID ...] [--limit N] [--workers 2] [--list]

For every assignment (default: all of solutions/), the code between ``### BEGIN SOLUTION``
and ``### END SOLUTION`` of every answer cell is mutated, one change per mutant:

    binop      + <-> -,  * <-> /,  ** -> *,  // -> /,  @ kept
    unary      -x -> x,  not x -> x
    compare    < <-> <=,  > <-> >=,  == <-> !=,  < <-> >,  in <-> not in
    boolop     and <-> or
    constant   0 -> 1, 1 -> 0, other numbers n -> n + 1 (and 2 -> 1), True <-> False
    numpy      np.mean <-> np.sum, np.max <-> np.min, np.maximum <-> np.minimum,
               np.exp -> np.log1p?, np.abs(x) -> x, np.sqrt(x) -> x, axis=k -> the other axis,
               keepdims=True -> False
    delete     a statement -> ``pass`` (not the only statement of its block)

Each mutant is the instructor's answers filled into the released notebook with that one
cell mutated: what a student handing in that slip would hand in. All mutants of an
assignment are graded in ONE real run of ``python -m autograder release``, ``collect``
and ``grade`` (sandbox on, trusted runner) in a temporary course folder, together with
the unmutated solution as a control (it must score full marks, else the run stops). A
mutant is *caught* when it scores fewer autograded points than the control (a hand-in
that fails to grade counts as caught: it earns nothing).

Equivalent mutants (the change does not change behaviour, so no test can catch it) are
excluded by listing their ids in ``solutions/<id>/mutation_equivalent.txt``, one per line,
``<mutant id>  # reason`` (blank lines and ``#`` lines are ignored). A mutant id reads
``<grade_id>:L<line>:C<col>:<kind>:<change>``, line and column in the answer cell's
source; ``--list`` prints every id with its changed line.

Prints per assignment: mutants, excluded, caught, survived (with the changed line), and
the share caught of the non-equivalent ones; writes benchmarks/_out/mutation-<id>.json.
"""
from __future__ import annotations

import argparse
import ast
import copy
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import nbformat

REPO = Path(__file__).resolve().parent.parent
SOLUTIONS = REPO / "solutions"
EXERCISES = REPO / "exercises"
OUT = REPO / "benchmarks" / "_out"
BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"

BINOP_SWAP = {ast.Add: ast.Sub, ast.Sub: ast.Add, ast.Mult: ast.Div, ast.Div: ast.Mult,
              ast.Pow: ast.Mult, ast.FloorDiv: ast.Div}
CMP_SWAP = {ast.Lt: [ast.LtE, ast.Gt], ast.LtE: [ast.Lt], ast.Gt: [ast.GtE, ast.Lt],
            ast.GtE: [ast.Gt], ast.Eq: [ast.NotEq], ast.NotEq: [ast.Eq],
            ast.In: [ast.NotIn], ast.NotIn: [ast.In], ast.Is: [ast.IsNot], ast.IsNot: [ast.Is]}
NP_SWAP = {"mean": "sum", "sum": "mean", "max": "min", "min": "max", "maximum": "minimum",
           "minimum": "maximum", "argmax": "argmin", "argmin": "argmax", "exp": "expm1",
           "log": "log1p", "zeros_like": "ones_like", "ones_like": "zeros_like",
           "zeros": "ones", "ones": "zeros", "where": None}
NP_UNWRAP = {"abs", "sqrt", "clip", "asarray", "array"}
NUMPY_NAMES = {"np", "numpy"}


@dataclass
class Mutant:
    """One slip in one answer cell. `source`: the whole mutated cell source."""
    ident: str
    grade_id: str
    line: str      # the changed line as it reads after the change (first line if several)
    source: str


def _grade_id(cell: nbformat.NotebookNode) -> str | None:
    return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")


def _is_answer(cell: nbformat.NotebookNode) -> bool:
    return cell.cell_type == "code" and bool(cell.get("metadata", {}).get("nbgrader", {})
                                             .get("solution"))


def _regions(source: str) -> list[tuple[int, int]]:
    """1-based inclusive line ranges between BEGIN and END SOLUTION markers."""
    regions, start = [], None
    for number, line in enumerate(source.splitlines(), 1):
        if line.strip() == BEGIN:
            start = number + 1
        elif line.strip() == END and start is not None:
            regions.append((start, number - 1))
            start = None
    return regions


def _offsets(source: str) -> list[int]:
    starts, total = [], 0
    for line in source.splitlines(keepends=True):
        starts.append(total)
        total += len(line)
    return starts + [total]


def _replace(source: str, node: ast.AST, text: str) -> str:
    """`source` with the exact text span of `node` replaced by `text`."""
    starts = _offsets(source)
    begin = starts[node.lineno - 1] + _col(source, node.lineno, node.col_offset)
    end = starts[node.end_lineno - 1] + _col(source, node.end_lineno, node.end_col_offset)
    return source[:begin] + text + source[end:]


def _col(source: str, lineno: int, byte_col: int) -> int:
    """ast columns are UTF-8 byte offsets; the character offset in that line."""
    line = source.splitlines(keepends=True)[lineno - 1]
    return len(line.encode("utf-8")[:byte_col].decode("utf-8", errors="ignore"))


def _np_attr(node: ast.AST) -> str | None:
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and \
            node.value.id in NUMPY_NAMES:
        return node.attr
    return None


def _variants(node: ast.AST) -> list[tuple[str, str, ast.AST]]:
    """(kind, change, replacement node) for every mutation of `node` itself."""
    out = []
    if isinstance(node, ast.BinOp) and type(node.op) in BINOP_SWAP:
        new = copy.deepcopy(node)
        new.op = BINOP_SWAP[type(node.op)]()
        out.append(("binop", f"{type(node.op).__name__}->{type(new.op).__name__}", new))
    elif isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.Not)):
        out.append(("unary", f"drop-{type(node.op).__name__}", node.operand))
    elif isinstance(node, ast.Compare) and len(node.ops) == 1:
        for other in CMP_SWAP.get(type(node.ops[0]), []):
            new = copy.deepcopy(node)
            new.ops = [other()]
            out.append(("compare", f"{type(node.ops[0]).__name__}->{other.__name__}", new))
    elif isinstance(node, ast.BoolOp):
        new = copy.deepcopy(node)
        new.op = ast.Or() if isinstance(node.op, ast.And) else ast.And()
        out.append(("boolop", f"{type(node.op).__name__}->{type(new.op).__name__}", new))
    elif isinstance(node, ast.Constant) and type(node.value) in (int, float, bool):
        out += [("constant", f"{node.value!r}->{v!r}", ast.Constant(v))
                for v in _constant_changes(node.value)]
    elif isinstance(node, ast.Call):
        out += _call_variants(node)
    return out


def _constant_changes(value: int | float | bool) -> list:
    if type(value) is bool:
        return [not value]
    if value == 0:
        return [type(value)(1)]
    if value == 1:
        return [type(value)(0)]
    return [value + 1] + ([1] if value == 2 else [])


def _call_variants(node: ast.Call) -> list[tuple[str, str, ast.AST]]:
    out = []
    name = _np_attr(node.func)
    if name in NP_SWAP and NP_SWAP[name]:
        new = copy.deepcopy(node)
        new.func.attr = NP_SWAP[name]
        out.append(("numpy", f"np.{name}->np.{NP_SWAP[name]}", new))
    if name in NP_UNWRAP and node.args:
        out.append(("numpy", f"drop-np.{name}", node.args[0]))
    for i, keyword in enumerate(node.keywords):
        if keyword.arg == "axis" and isinstance(keyword.value, (ast.Constant, ast.UnaryOp)):
            text = ast.unparse(keyword.value)
            for other in {"0": ["1", "None"], "1": ["0", "None"], "-1": ["0", "None"]}.get(text, []):
                new = copy.deepcopy(node)
                new.keywords[i].value = ast.parse(other, mode="eval").body
                out.append(("numpy", f"axis={text}->axis={other}", new))
        if keyword.arg == "keepdims" and isinstance(keyword.value, ast.Constant):
            new = copy.deepcopy(node)
            new.keywords[i].value = ast.Constant(not keyword.value.value)
            out.append(("numpy", f"keepdims={keyword.value.value}->{not keyword.value.value}", new))
    return out


def _deletable(tree: ast.AST) -> list[ast.stmt]:
    """Statements that are not the only statement of their block (deleting one leaves
    valid code once replaced by `pass`); docstrings excluded."""
    out = []
    for parent in ast.walk(tree):
        for field_name in ("body", "orelse", "finalbody"):
            block = getattr(parent, field_name, None)
            if not isinstance(block, list) or len(block) < 2:
                continue
            for stmt in block:
                if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant) \
                        and isinstance(stmt.value.value, str):
                    continue
                out.append(stmt)
    return out


def _delete(source: str, stmt: ast.stmt) -> str:
    lines = source.splitlines(keepends=True)
    indent = re.match(r"\s*", lines[stmt.lineno - 1]).group(0)
    return "".join(lines[:stmt.lineno - 1] + [f"{indent}pass\n"] + lines[stmt.end_lineno:])


def cell_mutants(grade_id: str, source: str) -> list[Mutant]:
    """Every mutant of one answer cell (changes only inside its solution regions)."""
    regions = _regions(source)
    tree = ast.parse(source)
    inside = lambda n: any(a <= n.lineno and n.end_lineno <= b for a, b in regions)  # noqa: E731
    mutants, seen = [], set()

    def add(ident: str, mutated: str, lineno: int) -> None:
        if ident in seen or mutated == source:
            return
        seen.add(ident)
        line = mutated.splitlines()[lineno - 1].strip() if lineno <= len(mutated.splitlines()) else ""
        mutants.append(Mutant(ident, grade_id, line, mutated))

    for node in ast.walk(tree):
        if not hasattr(node, "lineno") or not inside(node):
            continue
        for kind, change, new in _variants(node):
            mutated = _replace(source, node, ast.unparse(new))
            add(f"{grade_id}:L{node.lineno}:C{node.col_offset}:{kind}:{change}", mutated,
                node.lineno)
    for stmt in _deletable(tree):
        if inside(stmt):
            add(f"{grade_id}:L{stmt.lineno}:C{stmt.col_offset}:delete:"
                f"{type(stmt).__name__}", _delete(source, stmt), stmt.lineno)
    return mutants


def _strip_markers(source: str) -> str:
    return "\n".join(line for line in source.splitlines() if line.strip() not in (BEGIN, END))


def assignment_mutants(assignment_id: str) -> tuple[dict[str, str], list[Mutant]]:
    """(grade_id -> the control's answer source, every mutant) of one assignment."""
    nb = nbformat.read(SOLUTIONS / assignment_id / f"{assignment_id}.ipynb", as_version=4)
    answers, mutants = {}, []
    for cell in nb.cells:
        if not _is_answer(cell):
            continue
        answers[_grade_id(cell)] = _strip_markers(cell.source)
        if cell.cell_type == "code":
            mutants += cell_mutants(_grade_id(cell), cell.source)
    return answers, mutants


def equivalent_ids(assignment_id: str) -> dict[str, str]:
    """id -> reason from solutions/<id>/mutation_equivalent.txt (missing file: none)."""
    path = SOLUTIONS / assignment_id / "mutation_equivalent.txt"
    if not path.is_file():
        return {}
    out = {}
    for raw in path.read_text(encoding="utf-8").splitlines():
        if not raw.strip() or raw.lstrip().startswith("#"):
            continue
        ident, _, reason = raw.partition("#")
        out[ident.strip()] = reason.strip() or "(no reason given)"
    return out


def _handin(released: nbformat.NotebookNode, answers: dict[str, str]) -> nbformat.NotebookNode:
    nb = copy.deepcopy(released)
    for cell in nb.cells:
        if _grade_id(cell) in answers:
            cell.source = answers[_grade_id(cell)]
    return nb


def _env(course: Path) -> dict:
    env = dict(os.environ, AUTOGRADER_COURSE_DIR=str(course / "course"),
               AUTOGRADER_SOURCE_DIR=str(SOLUTIONS), AUTOGRADER_RELEASE_DIR=str(course / "release"),
               PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}")
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        env.setdefault(var, "1")
    return env


def _cli(args: list[str], folder: Path, quiet: bool = True) -> None:
    done = subprocess.run([sys.executable, "-m", "autograder", *args], cwd=REPO,
                          env=_env(folder), capture_output=quiet, text=True)
    if done.returncode != 0:
        sys.exit(f"python -m autograder {' '.join(args)} failed (exit {done.returncode})"
                 + (f":\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}" if quiet else ""))


def grade_all(assignment_id: str, handins: dict[str, nbformat.NotebookNode], folder: Path,
              workers: int, cell_timeout: int) -> dict[str, float | None]:
    """student -> autograded points (None: the hand-in failed to grade), one real run."""
    drop = folder / "handins"
    drop.mkdir(parents=True)
    for student, nb in handins.items():
        nbformat.write(nb, drop / f"{student}.ipynb")
    _cli(["release", assignment_id], folder)
    _cli(["collect", assignment_id, str(drop)], folder)
    _cli(["grade", assignment_id, f"--workers={workers}", f"--cell-timeout={cell_timeout}",
          "--force"], folder, quiet=False)
    status = folder / "course" / ".autograder" / "status" / assignment_id
    scores = {}
    for student in handins:
        record_file = status / f"{student}.json"
        record = json.loads(record_file.read_text()) if record_file.is_file() else {}
        scores[student] = record.get("score") if record.get("state") == "graded" else None
    return scores


def run(assignment_id: str, limit: int | None, workers: int, cell_timeout: int) -> dict:
    answers, mutants = assignment_mutants(assignment_id)
    equivalent = equivalent_ids(assignment_id)
    stale = sorted(set(equivalent) - {m.ident for m in mutants})
    if stale:
        print(f"warning: {len(stale)} listed equivalent mutant(s) no longer exist: {stale[:5]}")
    graded = [m for m in mutants if m.ident not in equivalent][:limit]
    released = nbformat.read(EXERCISES / assignment_id / f"{assignment_id}.ipynb", as_version=4)
    handins = {"control": _handin(released, answers)}
    names = {}
    for number, mutant in enumerate(graded):
        names[f"m{number:04d}"] = mutant
        handins[f"m{number:04d}"] = _handin(released, {**answers, mutant.grade_id:
                                                       _strip_markers(mutant.source)})
    print(f"{assignment_id}: {len(mutants)} mutants, {len(equivalent)} listed equivalent, "
          f"grading {len(graded)} + the control ...", flush=True)
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix=f"mutation-{assignment_id}-") as tmp:
        scores = grade_all(assignment_id, handins, Path(tmp), workers, cell_timeout)
    control = scores["control"]
    if control is None:
        sys.exit(f"{assignment_id}: the unmutated solution failed to grade; fix that first")
    survived = [names[s] for s in names if scores[s] is not None and scores[s] >= control]
    caught = len(graded) - len(survived)
    share = caught / len(graded) if graded else 1.0
    return {"assignment": assignment_id, "mutants": len(mutants), "equivalent": len(equivalent),
            "graded": len(graded), "caught": caught, "share": share, "control_score": control,
            "seconds": round(time.monotonic() - started, 1),
            "survived": [{"id": m.ident, "line": m.line} for m in survived]}


def report(result: dict) -> str:
    lines = [f"{result['assignment']}: {result['caught']}/{result['graded']} non-equivalent "
             f"mutants caught = {100 * result['share']:.1f} % ({result['mutants']} generated, "
             f"{result['equivalent']} excluded as equivalent; control {result['control_score']:g} "
             f"points; {result['seconds']:.0f} s)"]
    for survivor in result["survived"]:
        lines.append(f"  survived  {survivor['id']}   | {survivor['line']}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("assignments", nargs="*", help="assignment ids (default: all)")
    parser.add_argument("--limit", type=int, help="grade only the first N mutants (a quick look)")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--cell-timeout", type=int, default=60)
    parser.add_argument("--list", action="store_true", help="print the mutants, grade nothing")
    args = parser.parse_args(argv)
    known = sorted(p.name for p in SOLUTIONS.iterdir() if (p / f"{p.name}.ipynb").is_file())
    unknown = [a for a in args.assignments if a not in known]
    if unknown:
        parser.error(f"unknown assignment(s) {unknown}; accepted: {', '.join(known)}")
    results = []
    for assignment_id in args.assignments or known:
        if args.list:
            equivalent = equivalent_ids(assignment_id)
            for mutant in assignment_mutants(assignment_id)[1]:
                mark = "  [equivalent]" if mutant.ident in equivalent else ""
                print(f"{mutant.ident}{mark}   | {mutant.line}")
            continue
        result = run(assignment_id, args.limit, args.workers, args.cell_timeout)
        OUT.mkdir(parents=True, exist_ok=True)
        (OUT / f"mutation-{assignment_id}.json").write_text(json.dumps(result, indent=1))
        results.append(result)
        print(report(result), flush=True)
    if results:
        print("\nsummary: " + "; ".join(f"{r['assignment']} {100 * r['share']:.1f} %"
                                        for r in results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
