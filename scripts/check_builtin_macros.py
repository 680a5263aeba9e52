#!/usr/bin/env python3
"""Quick check of dbtc's built-in macros (src/jinja/macros/*.sql) without dbtc.

Renders the models and generic tests of a fixture project (default:
fixtures/builtin_macros) with Jinja2 and a small imitation of dbt's context
(adapter.dispatch, return(), dbt.<macro>, ref, config, statement/load_result),
then compares whitespace-normalized results:

  * with --target duckdb: against the dbt-core goldens in expected/compiled;
  * with --oracle DIR (repeatable): against the same imitation rendering the
    macros of dbt itself, read from the given include dirs, e.g.
      $VENV/lib/python3.11/site-packages/dbt/include/global_project
      $VENV/lib/python3.11/site-packages/dbt/include/postgres   (dbt-postgres)
    which is how the postgres variants are checked when no postgres goldens exist.

Run it with the python of a dbt venv (needs jinja2, pyyaml, duckdb):
  /work/venv-dbt/bin/python scripts/check_builtin_macros.py --target duckdb
Exit code 1 when anything differs.
"""
import argparse
import difflib
import glob
import os
import re
import sys

import jinja2
import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class Return(Exception):
    def __init__(self, value):
        self.value = value


def do_return(value):
    raise Return(value)


class MacroWrap:
    """A macro as dbt calls it: return(x) ends it with the value x."""

    def __init__(self, name, macro):
        self.name = name
        self.macro = macro

    def __call__(self, *args, **kwargs):
        try:
            return self.macro(*args, **kwargs)
        except Return as r:
            return r.value


class Relation:
    def __init__(self, database, schema, identifier):
        self.database, self.schema, self.identifier = database, schema, identifier

    def __str__(self):
        return '"{}"."{}"."{}"'.format(self.database, self.schema, self.identifier)

    def __html__(self):
        return str(self)


class Config:
    def __init__(self, values=None):
        self.values = dict(values or {})

    def __call__(self, *args, **kwargs):
        return ""

    def get(self, key, default=None):
        return self.values.get(key, default)


class Column:
    @staticmethod
    def translate_type(dtype):
        return {"STRING": "TEXT"}.get(dtype.upper(), dtype)

    @staticmethod
    def numeric_type(dtype, precision, scale):
        return dtype if precision is None or scale is None else "{}({},{})".format(dtype, precision, scale)


class Obj:
    def __init__(self, **kw):
        self.__dict__.update(kw)


class Namespace:
    def __init__(self, macros):
        self._macros = macros

    def __getattr__(self, name):
        try:
            return self._macros[name]
        except KeyError:
            raise AttributeError(name)


class Exceptions:
    @staticmethod
    def raise_compiler_error(msg, node=None):
        raise RuntimeError(msg)

    @staticmethod
    def raise_not_implemented(msg):
        raise NotImplementedError(msg)


class Renderer:
    def __init__(self, macro_dirs, target_type, fixture, truthy=False):
        import datetime

        self.env = jinja2.Environment(extensions=["jinja2.ext.do", "jinja2.ext.loopcontrols"])
        self.target_type = target_type
        self.dbt_macros = {}
        self.project_macros = {}
        self.results = {}
        self.db = None  # duckdb, opened by the first statement()
        self.shared = dict(self.env.globals)  # range, namespace, dict, ...
        adapter = Obj(
            dispatch=self.dispatch,
            quote=lambda s: '"{}"'.format(s),
            type=lambda: target_type,
            behavior=Obj(enable_truthy_nulls_equals_macro=Obj(no_warn=truthy)),
        )
        self.shared.update(
            {
                "return": do_return,
                "adapter": adapter,
                "target": Obj(type=target_type, name="dev", schema="main", database="dev"),
                "dbt": Namespace(self.dbt_macros),
                "api": Obj(Column=Column, Relation=Relation),
                "modules": Obj(datetime=datetime),
                "exceptions": Exceptions(),
                "flags": Obj(FULL_REFRESH=False, STORE_FAILURES=False),
                "config": Config(),
                "statement": self.statement,
                "load_result": lambda name: self.results.get(name),
                "execute": True,
            }
        )
        for path in macro_dirs:
            self.load(path, self.dbt_macros)
        for path in sorted(glob.glob(os.path.join(fixture, "macros", "**", "*.sql"), recursive=True)):
            self.load(path, self.project_macros)
        # bare names: project macros win over dbt's
        self.shared.update(self.dbt_macros)
        self.shared.update(self.project_macros)

    def load(self, path, into):
        src = open(path).read()
        # dbt's `{% test name(...) %}` blocks are macros named test_<name>
        src = re.sub(r"{%(-?)\s*test\s+(\w+)", r"{%\1 macro test_\2", src)
        src = re.sub(r"{%(-?)\s*endtest\s*(-?)%}", r"{%\1 endmacro \2%}", src)
        # one template per macro, as dbt does: other macros are then reached
        # through the shared globals (wrapped), never as same-file closures
        for block in re.findall(r"{%-?\s*macro\s.*?{%-?\s*endmacro\s*-?%}", src, re.S):
            tmpl = self.env.from_string(block)
            ctx = tmpl.new_context(self.shared, shared=True)
            for _ in tmpl.root_render_func(ctx):
                pass
            for name, value in list(ctx.vars.items()):
                if isinstance(value, jinja2.runtime.Macro):
                    into[name] = MacroWrap(name, value)

    def dispatch(self, name, namespace=None):
        for prefix in (self.target_type, "default"):
            full = "{}__{}".format(prefix, name)
            for pool in (self.project_macros, self.dbt_macros):
                if full in pool:
                    return pool[full]
        raise RuntimeError("no macro for dispatch of " + name)

    def statement(self, name=None, fetch_result=False, auto_begin=True, language="sql", caller=None):
        sql = caller()
        if self.db is None:
            import duckdb

            self.db = duckdb.connect()
        try:
            rows = self.db.execute(str(sql)).fetchall()
        except Exception:  # SQL of another dialect: behave as an empty result
            rows = []
        if name:
            self.results[name] = {"data": rows, "response": None}
        return ""

    def relation(self, name):
        return Relation("dev", "main", name)

    def render(self, src, config=None, model=None):
        ctx = dict(self.shared)
        ctx["ref"] = self.relation
        ctx["config"] = Config(config)
        ctx["model"] = model or {}
        # the macros see `config` through the shared globals
        self.shared["config"] = ctx["config"]
        try:
            return self.env.from_string(src).render(ctx)
        finally:
            self.shared["config"] = Config()


def normalize(text):
    return " ".join(str(text).split())


def model_outputs(r, fixture):
    out = {}
    for path in sorted(glob.glob(os.path.join(fixture, "models", "**", "*.sql"), recursive=True)):
        name = os.path.splitext(os.path.basename(path))[0]
        rel = os.path.relpath(path, fixture)
        out[rel] = r.render(open(path).read(), model={"name": name, "version": None})
    return out


def test_outputs(r, fixture):
    """Rendered generic tests, keyed by a readable label (dbt's file names are not rebuilt)."""
    out = {}
    for path in sorted(glob.glob(os.path.join(fixture, "models", "**", "*.yml"), recursive=True)):
        doc = yaml.safe_load(open(path)) or {}
        for section in ("models", "seeds", "sources", "snapshots"):
            for node in doc.get(section) or []:
                for col in node.get("columns") or []:
                    for test in (col.get("data_tests") or col.get("tests") or []):
                        if isinstance(test, str):
                            kind, spec = test, {}
                        else:
                            (kind, spec), = test.items()
                            spec = dict(spec or {})
                        args = dict(spec.pop("arguments", {}) or {})
                        cfg = dict(spec.pop("config", {}) or {})
                        name = spec.pop("name", None)
                        args.update({k: v for k, v in spec.items() if k not in ("severity", "tags", "meta")})
                        for k, v in list(args.items()):
                            if isinstance(v, str) and re.match(r"^\s*(ref|source)\(", v):
                                args[k] = r.render("{{ " + v + " }}")
                        label = name or "{}_{}_{}".format(kind, node["name"], col["name"])
                        rel = r.relation(node["name"])
                        src = ("{{ test_" + kind + "(model=get_where_subquery(_rel), column_name=_col, **_args) }}")
                        r.shared.update({"_rel": rel, "_col": col["name"], "_args": args})
                        out["{} [{}]".format(label, len(out))] = r.render(src, config=cfg)
    return out


def diff(a, b):
    return "\n".join(difflib.unified_diff(a.split(" "), b.split(" "), lineterm="", n=4))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--fixture", default=os.path.join(ROOT, "fixtures", "builtin_macros"))
    ap.add_argument("--target", default="duckdb", help="adapter type: duckdb, postgres, or any other for the default__ macros")
    ap.add_argument("--truthy-nulls-equals", action="store_true", help="turn on the enable_truthy_nulls_equals_macro behavior flag")
    ap.add_argument("--oracle", action="append", default=[], help="dbt include dir to compare against")
    ap.add_argument("--show", action="store_true", help="print every rendered model")
    a = ap.parse_args()

    ours_files = sorted(glob.glob(os.path.join(ROOT, "src", "jinja", "macros", "*.sql")))
    ours = Renderer(ours_files, a.target, a.fixture, a.truthy_nulls_equals)
    mine = model_outputs(ours, a.fixture)
    mine_tests = test_outputs(ours, a.fixture)
    failures = 0
    checks = 0

    if a.show:
        for k, v in {**mine, **mine_tests}.items():
            print("=== " + k + "\n" + normalize(v))

    if a.oracle:
        files = []
        wanted = ["macros/utils", "macros/generic_test_sql", "macros/get_custom_name",
                  "macros/materializations/tests/where_subquery.sql",
                  "macros/materializations/tests/helpers.sql",
                  "macros/materializations/configs.sql",
                  "macros/materializations/snapshots/strategies.sql", "macros/adapters/timestamps.sql",
                  "tests/generic", "macros/timestamps.sql", "macros/adapters.sql"]
        for d in a.oracle:
            for w in wanted:
                p = os.path.join(d, w)
                files += [p] if p.endswith(".sql") and os.path.exists(p) else sorted(glob.glob(os.path.join(p, "*.sql")))
        theirs = Renderer(files, a.target, a.fixture, a.truthy_nulls_equals)
        ref_models = model_outputs(theirs, a.fixture)
        ref_tests = test_outputs(theirs, a.fixture)
        for key in sorted(ref_models) + sorted(ref_tests):
            expected = normalize(ref_models.get(key, ref_tests.get(key)))
            got = normalize(mine.get(key, mine_tests.get(key)))
            checks += 1
            if expected != got:
                failures += 1
                print("DIFF vs oracle ({}): {}\n{}".format(a.target, key, diff(expected, got)))

    if a.target == "duckdb":
        gold_dir = os.path.join(a.fixture, "expected", "compiled")
        golds = {}
        for path in glob.glob(os.path.join(gold_dir, "**", "*.sql"), recursive=True):
            parts = os.path.relpath(path, gold_dir).split(os.sep)[1:]  # drop the project folder
            golds["/".join(parts)] = normalize(open(path).read())
        test_golds = sorted(v for k, v in golds.items() if ".yml/" in k)
        for key, text in mine.items():
            checks += 1
            if key not in golds:
                print("no golden for " + key)
                failures += 1
            elif golds[key] != normalize(text):
                failures += 1
                print("DIFF vs golden: {}\n{}".format(key, diff(golds[key], normalize(text))))
        got_tests = sorted(normalize(v) for v in mine_tests.values())
        checks += 1
        if got_tests != test_golds:
            failures += 1
            for g in test_golds:
                if g not in got_tests:
                    print("golden test not produced:\n  " + g)
            for g in got_tests:
                if g not in test_golds:
                    print("produced test not in goldens:\n  " + g)

    print("{} passed, {} failed".format(checks - failures, failures))
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
