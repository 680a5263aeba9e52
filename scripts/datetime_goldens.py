#!/usr/bin/env python3
"""Expected outputs of tests/jinja_datetime/cases.txt, rendered with Jinja2, Python's
datetime and pytz (the libraries dbt-core hands to templates as `modules`).

Run with the dbt venv:  /work/venv-dbt/bin/python scripts/datetime_goldens.py
Writes tests/jinja_datetime/expected.json: [{"template", "output"} or {"template", "error"}].
"""
import datetime
import json
import pathlib

import jinja2
import pytz

ROOT = pathlib.Path(__file__).resolve().parent.parent
CASES = ROOT / "tests" / "jinja_datetime" / "cases.txt"
OUT = ROOT / "tests" / "jinja_datetime" / "expected.json"

RUN_STARTED_AT = datetime.datetime(2024, 5, 6, 7, 8, 9, 123456, tzinfo=pytz.utc)


def main() -> None:
    env = jinja2.Environment(extensions=["jinja2.ext.do"])
    context = {
        "D": datetime,
        "P": pytz,
        "run_started_at": RUN_STARTED_AT,
    }
    results = []
    for line in CASES.read_text().splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        try:
            output = env.from_string(line).render(context)
            results.append({"template": line, "output": output})
        except Exception as exc:  # the expected outcome is an error of this type
            results.append({"template": line, "error": type(exc).__name__})
    OUT.write_text(json.dumps(results, indent=1, ensure_ascii=False) + "\n")
    print(f"{len(results)} cases -> {OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
