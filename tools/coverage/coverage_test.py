"""What coverage.py reads from llvm-cov: the count in force at a position, and which lines
are error returns."""

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


if __name__ == "__main__":
    unittest.main()
