"""What coverage.py reads from llvm-cov: the count in force at a position, and which lines
are error returns, and how the list of unreachable ones applies."""

import os
import unittest

import coverage

# llvm-cov export's segments: [line, col, count, has_count, is_region_entry, is_gap].
# A function over lines 10-14: its body ran 5 times, `if (bad) return Status::kNotFound;` on
# line 11 took the error branch never, line 13 is a skipped (#if 0) region.
SEGMENTS = [
    [10, 20, 5, True, True, False],
    [11, 14, 0, True, True, False],   # the `return` after the condition
    [11, 40, 5, True, False, False],  # back in the body after it
    [13, 1, 0, False, True, False],   # skipped: no count
    [14, 1, 5, True, False, False],
    [14, 2, 0, False, False, False],  # the function's end
]


class CountAt(unittest.TestCase):

    def test_the_last_segment_at_or_before_the_position(self):
        self.assertEqual(coverage.count_at(SEGMENTS, 10, 20), 5)
        self.assertEqual(coverage.count_at(SEGMENTS, 11, 3), 5)   # the condition
        self.assertEqual(coverage.count_at(SEGMENTS, 11, 14), 0)  # the return
        self.assertEqual(coverage.count_at(SEGMENTS, 11, 30), 0)
        self.assertEqual(coverage.count_at(SEGMENTS, 12, 1), 5)

    def test_no_count_before_any_code_in_skipped_regions_and_after_the_end(self):
        self.assertIsNone(coverage.count_at(SEGMENTS, 9, 1))
        self.assertIsNone(coverage.count_at(SEGMENTS, 13, 5))
        self.assertIsNone(coverage.count_at(SEGMENTS, 20, 1))
        self.assertIsNone(coverage.count_at([], 1, 1))


class ErrorLines(unittest.TestCase):

    def test_error_returns(self):
        for line in ("  if (bad) return Status::kNotFound;", "  return Status::kBusy;",
                     "  Quota* q = TRY(Quota::create_root(1));", "    return s;",
                     "  if (s == kRestart) {"):
            self.assertIsNotNone(coverage.ERROR_LINE.search(line), line)

    def test_not_error_returns(self):
        for line in ("  return Status::kOk;", "  return size;",
                     "  return st;", "  s = Status::kBusy;"):
            self.assertIsNone(coverage.ERROR_LINE.search(line), line)


class TryErrorCounts(unittest.TestCase):

    # llvm-cov export's expansions of a file: the use of the macro (source_region: line, col,
    # end line, end col, count, ...) and the branches of its body, [line, col, end line, end col,
    # true count, false count, ...]. TRY's `if` is status.h:190.
    EXPANSIONS = [
        {"source_region": [52, 27, 52, 30, 12265, 0, 1, 1],
         "branches": [[190, 9, 190, 51, 2, 12263, 1, 0, 4]]},
        {"source_region": [113, 3, 113, 6, 8705, 0, 1, 1],
         "branches": [[190, 9, 190, 51, 0, 8705, 1, 0, 4]]},
        # A template's second instantiation at the same place, and a macro without branches.
        {"source_region": [52, 27, 52, 30, 10, 0, 1, 1],
         "branches": [[190, 9, 190, 51, 3, 7, 1, 0, 4]]},
        {"source_region": [60, 5, 60, 9, 4, 0, 1, 1], "branches": []},
    ]

    def test_the_error_branch_of_each_use(self):
        self.assertEqual(coverage.try_error_counts(self.EXPANSIONS), {(52, 27): 5, (113, 3): 0})
        self.assertEqual(coverage.try_error_counts([]), {})

    def test_a_try_that_ran_but_never_failed_is_an_unreached_error_return(self):
        # Its statement ran 8705 times (count_at says so); its error branch never.
        line = "  TRY(own_quota_->charge(record + tables_budget));"
        m = coverage.ERROR_LINE.search(line)
        self.assertEqual(m.group(0), "TRY(")
        self.assertEqual(m.start() + 1, 3)
        self.assertEqual(coverage.try_error_counts(self.EXPANSIONS)[(113, m.start() + 1)], 0)


# Error returns as main() finds them: (file, line, text, count); count 0 = never reached.
ERRORS = [
    ("core/a.cc", 10, "if (bad) return Status::kNotFound;", 0),
    ("core/a.cc", 20, "if (worse) return Status::kCorrupt;", 0),
    ("core/a.cc", 30, "TRY(check(x));", 4),
    ("core/b.cc", 5, "return Status::kCorrupt;", 0),
]


# The files' lines (only the anchors matter here).
TEXTS = {"core/a.cc": [""] * 8 + ["Status first() {"] + [""] * 9 + ["Status second() {"],
         "core/b.cc": ["Status third() {"]}


def entry(file, match, reason="cannot happen: see the caller", **more):
    return {"file": file, "match": match, "reason": reason, **more}


def classify(entries):
    return coverage.classify(ERRORS, entries, TEXTS)


class Classify(unittest.TestCase):

    def test_a_listed_entry_excuses_its_line_and_only_it(self):
        unlisted, listed, problems = classify([entry("core/a.cc", "kCorrupt")])
        self.assertEqual(problems, [])
        self.assertEqual(listed, [(("core/a.cc", 20, "if (worse) return Status::kCorrupt;"),
                                   "cannot happen: see the caller")])
        # Same text in another file is not excused; reached lines are never listed.
        self.assertEqual(unlisted, [("core/a.cc", 10, "if (bad) return Status::kNotFound;"),
                                    ("core/b.cc", 5, "return Status::kCorrupt;")])

    def test_nothing_listed(self):
        unlisted, listed, problems = classify([])
        self.assertEqual(len(unlisted), 3)
        self.assertEqual((listed, problems), ([], []))

    def test_a_stale_entry_is_a_problem(self):
        for stale in (entry("core/a.cc", "kGone"), entry("core/gone.cc", "kCorrupt")):
            unlisted, listed, problems = classify([stale])
            self.assertEqual(len(problems), 1, stale)
            self.assertIn("matches no error return", problems[0])
            self.assertEqual(len(unlisted), 3)
            self.assertEqual(listed, [])

    def test_an_entry_for_a_reached_line_is_a_problem(self):
        unlisted, listed, problems = classify([entry("core/a.cc", "TRY(check")])
        self.assertEqual(len(problems), 1)
        self.assertIn("line 30 is reached by the tests", problems[0])
        self.assertEqual(listed, [])

    def test_an_ambiguous_entry_is_a_problem(self):
        unlisted, listed, problems = classify([entry("core/a.cc", "return")])
        self.assertEqual(len(problems), 1)
        self.assertIn("matches 2 error returns (lines 10, 20)", problems[0])
        self.assertEqual(len(unlisted), 3)

    def test_after_picks_the_first_match_after_an_earlier_line(self):
        unlisted, listed, problems = classify([entry("core/a.cc", "return Status::k",
                                                     after="Status second() {")])
        self.assertEqual(problems, [])
        self.assertEqual([where for where, _ in listed],
                         [("core/a.cc", 20, "if (worse) return Status::kCorrupt;")])
        _, listed, problems = classify([entry("core/a.cc", "return Status::k",
                                              after="Status first() {")])
        self.assertEqual([where[1] for where, _ in listed], [10])
        _, listed, problems = classify([entry("core/a.cc", "kNotFound", after="Status gone() {")])
        self.assertEqual(listed, [])
        self.assertIn("no line holds after=", problems[0])
        _, listed, problems = classify([entry("core/a.cc", "kNotFound", after="second() {")])
        self.assertIn("matches no error return", problems[0])

    def test_an_entry_without_a_reason_or_listed_twice_is_a_problem(self):
        _, listed, problems = classify([entry("core/b.cc", "kCorrupt", " ")])
        self.assertEqual(listed, [])
        self.assertIn("no reason", problems[0])
        _, listed, problems = classify([entry("core/b.cc", "kCorrupt", line=5)])
        self.assertEqual(listed, [])
        self.assertIn("unknown keys line", problems[0])
        _, listed, problems = classify([entry("core/b.cc", "kCorrupt"), entry("core/b.cc", "return Status")])
        self.assertEqual(len(listed), 1)
        self.assertEqual(len(problems), 1)
        self.assertIn("listed twice", problems[0])


class UnreachableList(unittest.TestCase):

    def test_every_entry_names_a_file_of_core_a_match_and_a_reason(self):
        path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "unreachable.toml")
        entries = coverage.load_unreachable(path)
        self.assertGreater(len(entries), 0)
        for e in entries:
            self.assertLessEqual({"file", "match", "reason"}, set(e), e)
            self.assertLessEqual(set(e), {"file", "match", "after", "reason"}, e)
            self.assertTrue(e["file"].startswith("core/"), e)
            self.assertRegex(e["match"], coverage.ERROR_LINE, e)
            self.assertGreater(len(e["reason"].split()), 5, e)


if __name__ == "__main__":
    unittest.main()
