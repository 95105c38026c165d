"""One clock: the real time is read in one place, and everything else is handed a clock."""

from __future__ import annotations

import datetime as dt
import re

from tests.conftest import ROOT, Clock, run_cli

REAL_CLOCK_READS = re.compile(r"datetime\.(now|utcnow|today)\(|date\.today\(|time\.time\(\)")
PRODUCT_CODE = ["app.py", "bot", "handlers", "store", "sandbox"]


def test_only_the_one_clock_reads_the_real_time():
    readers = []
    for top in PRODUCT_CODE:
        paths = [ROOT / top] if top.endswith(".py") else sorted((ROOT / top).rglob("*.py"))
        for path in paths:
            for number, line in enumerate(path.read_text().splitlines(), 1):
                if REAL_CLOCK_READS.search(line):
                    readers.append(f"{path.relative_to(ROOT)}:{number}")
    assert readers == ["bot/clock.py:20"]


def test_the_command_line_answers_at_the_moment_it_is_handed(tmp_path):
    """`canwe ask … by Friday` means the Friday after the command's own today."""
    env = {"DATABASE_URL": f"sqlite:///{tmp_path}/canwe.db"}
    assert run_cli(["import", "examples/roadmap.yaml"], env=env).exit_code == 0
    question = ["ask", "salesforce sync for Acme by Friday"]
    # Monday 30 Nov 2026 and Monday 6 Dec 2027, mid-morning in New York
    this_year = run_cli(
        question, env=env, clock=Clock(dt.datetime(2026, 11, 30, 15, tzinfo=dt.UTC))
    )
    next_year = run_cli(question, env=env, clock=Clock(dt.datetime(2027, 12, 6, 15, tzinfo=dt.UTC)))
    assert this_year.exit_code == 0 and next_year.exit_code == 0
    assert "Dec 4, 2026" in this_year.output, this_year.output
    assert "Dec 10, 2027" in next_year.output, next_year.output
