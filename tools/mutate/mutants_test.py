"""The mutant list stays in step with the code: every mutant applies exactly once, names test
targets that exist, and there are at least MIN_MUTANTS. Runs in `bazel test //...`, without
running any mutant (that is ./hmk mutate)."""

import os
import tempfile
import unittest

import mutants

MIN_MUTANTS = 40


def source_root():
    return os.path.join(os.environ["TEST_SRCDIR"], os.environ.get("TEST_WORKSPACE", "hmk"))


class MutantListTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.root = source_root()
        cls.list = mutants.load(os.path.join(cls.root, "tools/mutate/mutants.toml"))

    def test_enough_mutants(self):
        self.assertGreaterEqual(len(self.list), MIN_MUTANTS)

    def test_files_are_data(self):
        # A mutant's file must be in this test's data, or an edit to it would not rerun us.
        absent = sorted({m.file for m in self.list
                         if not os.path.exists(os.path.join(self.root, m.file))})
        self.assertEqual(absent, [], "add these to data in tools/mutate/BUILD (as //pkg:file)")

    def test_every_mutant_applies_once(self):
        stale = [f"{m.name} ({m.file}): {why}" for m in self.list
                 if (why := mutants.stale_reason(self.root, m)) is not None]
        self.assertEqual(stale, [], "stale mutants: update tools/mutate/mutants.toml")

    def test_every_target_exists(self):
        packages = sorted({t.split(":")[0][2:] for m in self.list for t in m.targets})
        absent = [p for p in packages if not os.path.exists(os.path.join(self.root, p, "BUILD"))]
        self.assertEqual(absent, [], "add //PKG:BUILD to data in tools/mutate/BUILD")
        missing = [f"{m.name}: {', '.join(gone)}" for m in self.list
                   if (gone := mutants.missing_targets(self.root, m))]
        self.assertEqual(missing, [], "mutants naming targets no BUILD file declares")

    def test_every_mutant_changes_its_file(self):
        for m in self.list:
            if mutants.stale_reason(self.root, m) is not None:
                continue  # test_every_mutant_applies_once names it
            with open(os.path.join(self.root, m.file), encoding="utf-8") as f:
                text = f.read()
            self.assertNotEqual(mutants.apply(text, m), text, m.name)


class CheckerTest(unittest.TestCase):
    """The checks above can fail: a synthetic tree and list, made stale on purpose."""

    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        self.root = self.dir.name
        os.makedirs(os.path.join(self.root, "core"))
        with open(os.path.join(self.root, "core/BUILD"), "w") as f:
            f.write('cc_test(\n    name = "x_test",\n)\n[sh_test(name = "t_%s" % n) for n in "ab"]\n')
        with open(os.path.join(self.root, "core/x.cc"), "w") as f:
            f.write("int f() {\n  return a < b;\n}\nint g() {\n  return a < b;\n}\n")

    def tearDown(self):
        self.dir.cleanup()

    def mutant(self, **kw):
        fields = dict(name="m", file="core/x.cc", find="return a < b;", replace="return a <= b;",
                      reason="r", targets=["//core:x_test"])
        fields.update(kw)
        return mutants.Mutant(**fields)

    def test_found_twice_is_stale(self):
        self.assertIn("found 2 times", mutants.stale_reason(self.root, self.mutant()))

    def test_after_picks_one(self):
        m = self.mutant(after="int g() {")
        self.assertIsNone(mutants.stale_reason(self.root, m))
        with open(os.path.join(self.root, "core/x.cc")) as f:
            self.assertEqual(mutants.apply(f.read(), m),
                             "int f() {\n  return a < b;\n}\nint g() {\n  return a <= b;\n}\n")

    def test_after_too_far_is_stale(self):
        with open(os.path.join(self.root, "core/x.cc"), "w") as f:
            f.write("int g() {\n" + "\n" * mutants.AFTER_WINDOW + "  return a < b;\n}\n")
        self.assertIn("found 0 times", mutants.stale_reason(self.root, self.mutant(after="g()")))

    def test_edited_text_is_stale(self):
        with open(os.path.join(self.root, "core/x.cc"), "w") as f:
            f.write("int f() {\n  return a > b;\n}\n")
        self.assertIn("found 0 times", mutants.stale_reason(self.root, self.mutant()))
        with self.assertRaises(ValueError):
            mutants.apply("return a > b;", self.mutant())

    def test_missing_file_is_stale(self):
        self.assertIn("does not exist",
                      mutants.stale_reason(self.root, self.mutant(file="core/y.cc")))

    def test_targets(self):
        ok = self.mutant(targets=["//core:x_test", "//core:t_b"])
        self.assertEqual(mutants.missing_targets(self.root, ok), [])
        bad = self.mutant(targets=["//core:y_test", "//nowhere:x_test"])
        self.assertEqual(mutants.missing_targets(self.root, bad),
                         ["//core:y_test", "//nowhere:x_test"])

    def test_malformed_list(self):
        path = os.path.join(self.root, "list.toml")
        with open(path, "w") as f:
            f.write("[[mutant]]\nname = 'a'\nfile = 'core/x.cc'\nfind = 'x'\nreplace = 'x'\n"
                    "reason = ''\ntargets = ['core:x_test']\n"
                    "[[mutant]]\nname = 'a'\nfile = 'tools/x.py'\n")
        with self.assertRaises(mutants.ListError) as e:
            mutants.load(path)
        for problem in ("'replace' equals 'find'", "'reason' is empty", "//package:name",
                        "missing find, replace, reason, targets"):
            self.assertIn(problem, str(e.exception))


if __name__ == "__main__":
    unittest.main()
