"""Local Sphinx extension: an author-year bibliography to match the author-year citations.

The chapters cite with sphinxcontrib-bibtex's ``author_year`` reference style ("Glorot and
Bengio, 2010"); pybtex's built-in styles label the bibliography with numbers or alpha
codes. The style ``authoryear`` registered here labels each entry "Glorot and Bengio 2010"
(a, b, ... for equal labels), sorts by author, year and title, and formats the entries as
pybtex's ``plain`` style does. Select it with ``bibtex_default_style: authoryear``.
"""
from __future__ import annotations

from collections import Counter

from pybtex.plugin import register_plugin
from pybtex.style.formatting.plain import Style as PlainStyle
from pybtex.style.labels import BaseLabelStyle
from pybtex.style.sorting.author_year_title import SortingStyle


def _surname(person) -> str:
    return " ".join(person.prelast_names + person.last_names).replace("{", "").replace("}", "")


def author_year_label(entry) -> str:
    """'LeCun et al. 1998', 'Glorot and Bengio 2010', 'Trask 2019' (editors if no author)."""
    people = entry.persons.get("author") or entry.persons.get("editor") or []
    if not people:
        names = entry.fields.get("title", entry.key).replace("{", "").replace("}", "")
    elif len(people) == 1:
        names = _surname(people[0])
    elif len(people) == 2:
        names = f"{_surname(people[0])} and {_surname(people[1])}"
    else:
        names = f"{_surname(people[0])} et al."
    return f"{names} {entry.fields.get('year', 'n.d.')}"


class AuthorYearLabelStyle(BaseLabelStyle):
    def format_labels(self, sorted_entries):
        entries = list(sorted_entries)
        labels = [author_year_label(e) for e in entries]
        counts, seen = Counter(labels), Counter()
        for label in labels:
            if counts[label] > 1:
                seen[label] += 1
                yield label + "abcdefghijklmnopqrstuvwxyz"[seen[label] - 1]
            else:
                yield label


class AuthorYearStyle(PlainStyle):
    default_label_style = AuthorYearLabelStyle
    default_sorting_style = SortingStyle


register_plugin("pybtex.style.formatting", "authoryear", AuthorYearStyle)


def setup(app):
    return {"parallel_read_safe": True, "parallel_write_safe": True, "version": "1.0"}
