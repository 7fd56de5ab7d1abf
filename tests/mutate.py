"""`make mutate`: mutation testing of the core rules with mutmut 3, one target at a time.

    .venv/bin/python tests/mutate.py [TARGET ...]      (default: every target, in the order below)

Each target is a set of modules and the tests that exercise them. The tree is copied to
.mutate/<target>/ (so the working tree is never touched and two targets never share state), mutmut's
configuration for the target is written there as setup.cfg, and `mutmut run` mutates those modules
only. mutmut first runs the target's tests once to record which test calls which function; each mutant
then runs only the tests that reached its function (stopping at the first failure). The score is printed
per target and kept in .mutate/<target>/score.json; the run fails when a target is below its goal.

Why mutmut 3 and not cosmic-ray: cosmic-ray writes each mutant into the source file and runs a whole
test command per mutant (a fresh interpreter with SQLAlchemy each time); mutmut 3 forks from one warm
process and runs only the tests that call the mutated function, which is what makes thousands of
mutants fit the time. Its limit: a mutant is seen only by tests that call the code in the test process
(a CLI run as a subprocess, or a verify worker process, runs the unmutated code) — so each target names
in-process tests.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / ".mutate"
BIN = Path(sys.executable).parent


@dataclass(frozen=True)
class Target:
    modules: tuple[str, ...]  # globs of the files to mutate
    tests: tuple[str, ...]  # what pytest runs for them
    goal: float  # the share of mutants that must be killed
    # slow tests left out (pytest node ids or their beginnings), each with the reason beside it
    skip: tuple[str, ...] = ()


# The parallel verify run in forked processes, beside the same cases run in threads (see audit-verify).
# One is kept, the chain-only link check (0.3 s): it is what starts the real process pool (`_pool`).
_IN_PROCESSES = (
    "tests/integration/test_audit_chain.py::test_parallel_verify_agrees_with_the_single_pass[processes",
    "tests/integration/test_audit_chain.py::test_an_entry_backdated_with_its_hash_recomputed_is_named_as_time_running_backwards[processes",
    "tests/integration/test_audit_chain.py::test_a_parallel_verify_checks_the_log_against_a_known_head[processes",
    "tests/integration/test_audit_chain.py::test_a_database_in_memory_is_verified_whole_by_the_process_that_holds_it[processes",
    "tests/integration/test_deep_verify.py::test_an_untouched_database_agrees_with_its_trail[parallel]",
    "tests/integration/test_deep_verify.py::test_a_change_behind_the_engine_is_named[parallel-",
    "tests/integration/test_deep_verify.py::test_a_file_whose_bytes_changed_is_named[parallel]",
    "tests/integration/test_deep_verify.py::test_a_faked_state_laundered_by_a_later_action_is_named_at_that_entry[parallel]",
    "tests/integration/test_deep_verify.py::test_verify_agrees_after_every_kind_of_use_case[parallel]",
)

TARGETS: dict[str, Target] = {
    "states": Target(
        ("states/*.py",),
        (
            "tests/unit/test_guards.py",
            "tests/unit/test_lifecycle_table.py",
            "tests/unit/test_lifecycle_by_hand.py",
            "tests/unit/test_lifecycle_wiring.py",
            "tests/unit/test_values.py",
            "tests/unit/test_names_and_lights.py",
            "tests/integration/test_categories.py",
            "tests/integration/test_lifecycle_db.py",
        ),
        0.90,
    ),
    "audit-chain": Target(
        ("workflow/audit/chain.py",),
        (
            "tests/unit/test_verify_scan.py",
            "tests/integration/test_audit_chain.py",
            "tests/unit/test_payloads.py",
        ),
        0.90,
        (
            *_IN_PROCESSES,
            # verify's choice of one process for a database in memory (1.5–3 s each: a migrated schema
            # in memory); it calls chain.append only to write its log, as the faster tests do
            "tests/integration/test_audit_chain.py::test_a_database_in_memory_is_verified_whole_by_the_process_that_holds_it",
        ),
    ),
    "audit-verify": Target(
        ("workflow/audit/verify.py",),
        (
            "tests/unit/test_verify_scan.py",
            "tests/integration/test_audit_chain.py",
            "tests/integration/test_deep_verify.py",
        ),
        0.90,
        # The parallel verify in forked worker processes: the same ranges and parts run in threads of
        # the test process (the "threads" / "parallel in threads" cases), which see every mutant these
        # do, without the fork and a new engine per worker (the slowest tests of the target).
        _IN_PROCESSES,
    ),
    # The item use cases, in two targets: the lifecycle (actions on an item, their effects, the rows
    # they write) and the records an office manages (items added and edited, people, units, rules and
    # accountability), each with the tests that call it in process.
    "items": Target(
        ("workflow/items/actions.py", "workflow/items/effects.py", "workflow/items/store.py"),
        (
            "tests/integration/test_lifecycle_db.py",
            "tests/integration/test_office_only.py",
            "tests/integration/test_bad_input.py",
            "tests/integration/test_one_line_names.py",
            # not test_categories.py: its tests build the seed case (demo.build, 1.7 s) in each mutant's
            # process before any test can fail; test_item_actions reaches `categorize` without it
            "tests/integration/test_item_actions.py",
        ),
        0.80,
        (
            # Hypothesis fuzzing of the text cleaning (workflow/inputs.py, not mutated here): 30 s a run
            # in the first pass and, for every mutant of fire/_check/_record/bump it reaches, 2–7 s more;
            # what it reaches in these modules the parametrized bad-text tests and test_item_actions reach.
            "tests/integration/test_bad_input.py::test_any_text_in_any_field_is_stored_exactly_or_refused_whole",
            # the same for a YAML round: reaches no function of this target, 40 s of the first pass
            "tests/integration/test_bad_input.py::test_any_text_in_a_yaml_round_is_imported_exactly_or_refused_whole",
        ),
    ),
    "items-managed": Target(
        (
            "workflow/items/editing.py",
            "workflow/items/people.py",
            "workflow/items/units.py",
            "workflow/items/round_records.py",
        ),
        (
            "tests/integration/test_items_managed.py",
            "tests/integration/test_people_managed.py",
            "tests/integration/test_units.py",
            "tests/integration/test_office_only.py",
            "tests/integration/test_one_line_names.py",
            "tests/integration/test_bad_input.py",
            "tests/integration/test_report_public.py",
            "tests/integration/test_round_records.py",
        ),
        0.80,
        skip=(
            # Property tests of the text cleaning (workflow/inputs.py), 300 and 150 examples: 7–15 s and
            # 15–26 s a run, paid in full by every mutant they reach that lives (every unit mutant: the
            # round import calls own_unit). The fields they fuzz are each refused by name in
            # test_bad_input.py::test_bad_text_in_any_stored_field_… and test_one_line_names.py.
            "tests/integration/test_bad_input.py::test_any_text_in_any_field_is_stored_exactly_or_refused_whole",
            "tests/integration/test_bad_input.py::test_any_text_in_a_yaml_round_is_imported_exactly_or_refused_whole",
        ),
    ),
    "reminders": Target(
        ("workflow/reminders/run.py",),
        (
            "tests/integration/test_reminders_rules.py",
            "tests/integration/test_reminders_outbox.py",
            "tests/integration/test_reminders_replay.py",
            "tests/integration/test_reminders_ladder.py",
            "tests/integration/test_reminders_run.py",
            # `remind rules` and `remind history` (describe, history), in process through the CliRunner
            "tests/unit/test_reminders_catalogue.py",
            "tests/e2e/test_reminders_cli.py::test_remind_rules_and_history",
            "tests/e2e/test_reminders_cli.py::test_remind_rules_shows_the_one_yellow_threshold_and_history_offers_every_rule",
        ),
        0.80,
    ),
    "ledger-apply": Target(
        ("workflow/intake/ledger/apply.py", "workflow/intake/ledger/apply_items.py"),
        (
            "tests/integration/test_ledger_import.py",
            "tests/integration/test_ledger_lifecycle.py",
            "tests/integration/test_ledger_roundtrip.py",
            "tests/integration/test_ledger_apply.py",
            # a unit other than the round's own: the entries name it (deep verify in process)
            "tests/integration/test_units.py::test_a_rounds_own_unit_whose_id_is_taken_is_added_with_an_entry[1]",
        ),
        0.80,
        # 12 s a run, and everything it reaches in apply.py the smaller sheets reach too
        (
            "tests/integration/test_ledger_import.py::test_a_sheet_of_twenty_thousand_rows_reports_the_bad_cells_deep_inside",
        ),
    ),
}

# A pytest plugin written into the copy: run a mutant's tests fastest first, by the durations mutmut
# recorded in its first pass. mutmut hands pytest the tests as an unordered set and stops at the first
# failure (-x), so a mutant the quickest test kills no longer waits behind a slow one.
ORDER_PLUGIN = """import json
from pathlib import Path


def pytest_collection_modifyitems(items):
    stats = Path("mutmut-stats.json")
    if not stats.exists():  # the first pass, which measures the durations
        return
    duration = json.loads(stats.read_text(encoding="utf-8"))["duration_by_test"]
    items.sort(key=lambda item: duration.get(item.nodeid, 0.0))
"""

# mutmut's exit codes (mutmut.stats.status_by_exit_code): 1 and 3 a failing test, 36 and the SIGXCPU
# codes a timeout (the mutant made the tests loop: caught), 0 survived, 33/5 no test reached it.
KILLED = {1, 3}
TIMEOUT = {36, -24, 24, 152, 255}


def _copy(name: str, target: Target) -> Path:
    folder = WORK / name
    if folder.exists():
        shutil.rmtree(folder)
    skip = shutil.ignore_patterns(".venv", ".git", ".mutate", "__pycache__", "*.egg-info", ".*_cache")
    shutil.copytree(ROOT, folder, ignore=skip)
    lines = ["[mutmut]", "source_paths =", "    states", "    workflow", "only_mutate ="]
    lines += [f"    {m}" for m in target.modules]
    lines += ["also_copy =", "    cli.py", "    docs", "    README.md", "    Makefile"]
    lines += ["pytest_add_cli_args_test_selection ="] + [f"    {t}" for t in target.tests]
    lines += ["pytest_add_cli_args =", "    -p", "    no:cacheprovider", "    -p", "    tests._mutate_order"]
    lines += [f"    --deselect={t}" for t in target.skip]
    (folder / "setup.cfg").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (folder / "tests" / "_mutate_order.py").write_text(ORDER_PLUGIN, encoding="utf-8")
    return folder


def score(folder: Path) -> dict[str, object]:
    """Killed, timed out, survived and unreached mutants, and the names of the ones that lived."""
    codes: dict[str, int | None] = {}
    for meta in (folder / "mutants").rglob("*.py.meta"):
        codes.update(json.loads(meta.read_text(encoding="utf-8"))["exit_code_by_key"])
    killed = sum(1 for c in codes.values() if c in KILLED)
    timeout = sum(1 for c in codes.values() if c in TIMEOUT)
    lived = sorted(k for k, c in codes.items() if c not in KILLED | TIMEOUT)
    total = len(codes)
    return {
        "total": total,
        "killed": killed,
        "timeout": timeout,
        "survived": lived,
        "score": (killed + timeout) / total if total else 1.0,
    }


def _cpu() -> float:
    """CPU seconds of the finished child processes (mutmut and every test process it forked): on a
    shared machine the wall time depends on the others' load, the CPU time hardly at all."""
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def run(name: str, children: int) -> bool:
    target = TARGETS[name]
    folder = _copy(name, target)
    started, cpu = time.monotonic(), _cpu()
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    subprocess.run(
        [str(BIN / "mutmut"), "run", "--max-children", str(children)], cwd=folder, env=env, check=False
    )
    result = score(folder) | {
        "seconds": round(time.monotonic() - started),
        "cpu_seconds": round(_cpu() - cpu),
        "tests": list(target.tests),
    }
    (folder / "score.json").write_text(json.dumps(result, ensure_ascii=False, indent=1), encoding="utf-8")
    met = float(result["score"]) >= target.goal  # type: ignore[arg-type]
    print(
        f"\n{name}: {result['killed']} killed + {result['timeout']} timed out of {result['total']} = "
        f"{float(result['score']):.1%} (goal {target.goal:.0%}) in {result['seconds']} s"  # type: ignore[arg-type]
        f" ({result['cpu_seconds']} s of CPU, {children} children, load {os.getloadavg()[1]:.1f})"
        f"{'' if met else '  BELOW GOAL'}"
    )
    for mutant in result["survived"]:  # type: ignore[attr-defined]
        print(f"  survived: {mutant}")
    return met


def main(argv: list[str]) -> int:
    names = argv or list(TARGETS)
    unknown = [n for n in names if n not in TARGETS]
    if unknown:
        print(f"unknown target(s) {unknown}; choose from {list(TARGETS)}", file=sys.stderr)
        return 2
    children = int(os.environ.get("MUTATE_CHILDREN", "2"))
    results = [run(name, children) for name in names]  # one target at a time: the machine is shared
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
