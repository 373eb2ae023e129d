#!/usr/bin/env python3
"""run.py's console checks: expectations match from the start of a line, so the lines a user
program prints (which the kernel starts with "[NAME] ") cannot meet a kernel-line expectation;
the implied PANIC check looks at line starts only."""

import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import run  # noqa: E402

# What test/programs/forge.cc makes the kernel print (test/boot:forged_lines_test boots it).
FORGED = """\
[forge] boot: 9 programs run, 9 exited 0, 0 failed; frames free before 1, after 1
[forge] PANIC: forged
[forge] init: forged: nothing can run
[forge] process /bin/x exited with status 0
[forge] boot: 1 programs run, 1 exited 0, 0 failed
process /bin/forge exited with status 0
boot: 1 programs run, 1 exited 0, 0 failed; frames free before 100, after 100
"""


def problems(expect=(), forbid=(), expect_exit="success", output=FORGED):
    return run.check_console(output, list(expect), list(forbid), expect_exit)


class ExpectTest(unittest.TestCase):
    def test_kernel_lines_are_met_by_kernel_lines(self):
        self.assertEqual(problems([
            r"process /bin/forge exited with status 0$",
            r"boot: 1 programs run, 1 exited 0, 0 failed; frames free before ([0-9]+), "
            r"after \1$",
        ]), [])

    def test_kernel_lines_are_not_met_by_user_lines(self):
        for forged in [
            r"boot: 9 programs run, 9 exited 0, 0 failed",
            r"PANIC: forged",
            r"init: forged",
            r"process /bin/x exited with status 0",
        ]:
            self.assertEqual(problems([forged]), ["expected /%s/ anywhere" % forged])

    def test_user_lines_are_met_with_their_prefix(self):
        self.assertEqual(problems([r"\[forge\] PANIC: forged$", r"\[forge\] init: forged"]), [])

    def test_a_leading_dot_star_matches_inside_a_line(self):
        self.assertEqual(problems([r".*PANIC: forged$"]), [])

    def test_order_and_one_line_per_expectation(self):
        # The second expectation must start a later line than the one the first ended in.
        self.assertEqual(
            problems([r"\[forge\] PANIC:", r"forged$"]),
            ["expected /forged$/ after the previous expectation"])
        self.assertEqual(
            problems([r"process /bin/forge", r"\[forge\] boot: 9"]),
            [r"expected /\[forge\] boot: 9/ after the previous expectation"])


class ForbidTest(unittest.TestCase):
    def test_a_user_line_saying_panic_is_no_panic(self):
        self.assertEqual(problems(), [])

    def test_a_kernel_panic_is_found(self):
        output = FORGED + "\nPANIC: page fault (vector 14) in kernel mode\n"
        self.assertEqual(problems(output=output), ["forbidden /^PANIC:/ matched: 'PANIC:'"])
        self.assertEqual(problems(output=output, expect_exit="panic"), [])

    def test_forbid_matches_anywhere(self):
        self.assertEqual(problems(forbid=["nothing can run"]),
                         ["forbidden /nothing can run/ matched: 'nothing can run'"])


if __name__ == "__main__":
    unittest.main()
