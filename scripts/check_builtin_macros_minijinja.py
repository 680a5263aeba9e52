#!/usr/bin/env python3
"""Render dbtc's built-in macros with the real MiniJinja (Python binding, `pip
install minijinja==3.1.0 jinja2 pyyaml`) and compare the fixture models and
generic tests of fixtures/builtin_macros with the dbt-core goldens.

MiniJinja's Python binding cannot hand template macros to Python, so this is
an approximation of dbtc's runtime, done by rewriting the macro sources:
  * adapter.dispatch('x', 'dbt') becomes the resolved macro name (<target>__x,
    else default__x) and `dbt.x` becomes `x`: all macros live in one template;
  * return(v) prints v (False/None print nothing, so `{% if m() %}` still
    works) -- every built-in wrapper strips the whitespace around return(),
    so this equals dbt's value for strings.
Models that need project macros, statement() or non-string returns are skipped
(see SKIP). The Jinja2 harness check_builtin_macros.py covers those.
"""
import argparse
import glob
import os
import re
import sys

import minijinja

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from check_builtin_macros import Relation, normalize, ROOT  # noqa: E402

SKIP = {"models/date_spine.sql", "models/overrides.sql"}


def ret(value):
    if value is None or value is False:
        return ""
    return value


class Obj:
    def __init__(self, **kw):
        self.__dict__.update(kw)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--fixture", default=os.path.join(ROOT, "fixtures", "builtin_macros"))
    ap.add_argument("--target", default="duckdb")
    a = ap.parse_args()

    sources = [open(p).read() for p in sorted(glob.glob(os.path.join(ROOT, "src", "jinja", "macros", "*.sql")))]
    macros_src = "\n".join(sources)
    names = set(re.findall(r"{%-?\s*macro\s+(\w+)", macros_src))

    def resolve(m):
        name = m.group(1)
        for cand in ("{}__{}".format(a.target, name), "default__" + name):
            if cand in names:
                return cand
        raise SystemExit("cannot dispatch " + name)

    def rewrite(src):
        src = re.sub(r"adapter\.dispatch\(\s*'(\w+)'\s*,\s*'dbt'\s*\)", resolve, src)
        return re.sub(r"\bdbt\.(\w+)", r"\1", src)

    macros_src = rewrite(macros_src)
    env = minijinja.Environment()
    env.add_global("return", ret)
    env.add_global("adapter", Obj(type=lambda: a.target, quote=lambda s: '"{}"'.format(s)))
    env.add_global("target", {"type": a.target, "name": "dev", "schema": "main", "database": "dev"})
    env.add_global("flags", {"FULL_REFRESH": False, "STORE_FAILURES": False})
    env.add_global("config_call", lambda *a, **k: "")
    env.add_global("ref", lambda name: str(Relation("dev", "main", name)))

    def render(body, config=None, **ctx):
        # config is a plain map here (the binding has no methods on Python
        # objects); MiniJinja's pycompat gives it .get()
        body = re.sub(r"{{\s*config\(", "{{ config_call(", body)
        return env.render_str(macros_src + "\n" + rewrite(body), config=dict(config or {}), **ctx)

    gold_dir = os.path.join(a.fixture, "expected", "compiled")
    golds = {}
    for path in glob.glob(os.path.join(gold_dir, "**", "*.sql"), recursive=True):
        parts = os.path.relpath(path, gold_dir).split(os.sep)[1:]
        golds["/".join(parts)] = normalize(open(path).read())

    checks = failures = 0
    for path in sorted(glob.glob(os.path.join(a.fixture, "models", "**", "*.sql"), recursive=True)):
        rel = os.path.relpath(path, a.fixture)
        if rel in SKIP:
            continue
        name = os.path.splitext(os.path.basename(path))[0]
        got = normalize(render(open(path).read(), model={"name": name, "version": None}))
        checks += 1
        if golds.get(rel) != got:
            failures += 1
            print("DIFF {}\n  want: {}\n  got:  {}".format(rel, golds.get(rel), got))

    # generic tests: same calls as the Jinja2 harness builds
    import yaml

    test_golds = sorted(v for k, v in golds.items() if ".yml/" in k)
    got_tests = []
    for path in sorted(glob.glob(os.path.join(a.fixture, "models", "**", "*.yml"), recursive=True)):
        doc = yaml.safe_load(open(path)) or {}
        for section in ("models", "seeds"):
            for node in doc.get(section) or []:
                for col in node.get("columns") or []:
                    for test in col.get("data_tests") or []:
                        kind, spec = (test, {}) if isinstance(test, str) else next(iter(test.items()))
                        spec = dict(spec or {})
                        args = dict(spec.pop("arguments", {}) or {})
                        cfg = dict(spec.pop("config", {}) or {})
                        for k, v in list(args.items()):
                            m = re.match(r"^\s*ref\('(\w+)'\)\s*$", str(v))
                            if m:
                                args[k] = str(Relation("dev", "main", m.group(1)))
                        body = "{{ test_" + kind + "(model=get_where_subquery(_rel), column_name=_col, **_args) }}"
                        got_tests.append(normalize(render(
                            body, config=cfg, _rel=str(Relation("dev", "main", node["name"])),
                            _col=col["name"], _args=args)))
    checks += 1
    if sorted(got_tests) != test_golds:
        failures += 1
        for g in sorted(set(got_tests) - set(test_golds)):
            print("produced test not in goldens:\n  " + g)
        for g in sorted(set(test_golds) - set(got_tests)):
            print("golden test not produced:\n  " + g)
    print("{} passed, {} failed".format(checks - failures, failures))
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
