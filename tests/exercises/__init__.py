"""Tests of the nbgrader assignments (a package, so test module names may repeat elsewhere)."""
