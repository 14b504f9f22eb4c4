"""Local Sphinx extension: quick checks, questions answered in the page with instant feedback.

A quick check is a ``quickcheck`` directive (MyST colon fence or backtick fence). Multiple
choice: the question, then one line per option, ``- [x]`` for the right one(s) and
``- [ ]`` for the others; the lines indented under an option are the explanation shown
when the reader picks it::

    :::{quickcheck}
    Why does a stack of linear layers not gain expressive power?

    - [ ] Its gradients vanish.
      They do not: every factor of the chain is a weight.
    - [x] It collapses to one linear layer.
      $W_1 W_2$ is one matrix and $b_1 W_2 + b_2$ one bias.
    :::

Numeric: the options ``:answer:`` (a number) and ``:tolerance:`` (absolute, default 1 %
of the answer), optionally ``:hint:`` (shown after a wrong answer); the question, then a
line ``---`` and the explanation, shown once the answer is right or the reader asks (not
``+++``: jupytext would split the block into two notebook cells there)::

    :::{quickcheck}
    :answer: 0.25
    :tolerance: 0.005
    What is the largest value of $\\sigma'(x)$?
    ---
    $\\sigma'(x) = \\sigma(x)(1 - \\sigma(x))$ is largest at $x = 0$: $1/2 \\cdot 1/2$.
    :::

All text is MyST (math, inline code, roles). The page's behaviour is
``book/_static/quickcheck.js`` (vanilla JavaScript, no network) and its look
``book/_static/quickcheck.css``; both ship with the book. In other builders (LaTeX,
text) a quick check is the question, the options and the explanations as plain blocks.
"""
from __future__ import annotations

import html
import re

from docutils import nodes
from docutils.parsers.rst import directives
from docutils.statemachine import StringList
from sphinx.util.docutils import SphinxDirective

_OPTION = re.compile(r"^- \[( |x|X)\] (.*)$")


class quickcheck(nodes.General, nodes.Element):
    """The whole check: <div class="quickcheck" data-kind=... data-answer=...>."""


class qc_part(nodes.General, nodes.Element):
    """A part of a check: <tag class="...">, tag and class from the node's attributes."""


def _visit_quickcheck(self, node):
    attrs = {"class": "quickcheck", "data-kind": node["kind"], "id": node["ids"][0]}
    for key in ("answer", "tolerance", "hint"):
        if node.get(key) is not None:
            attrs[f"data-{key}"] = str(node[key])
    self.body.append("<div " + " ".join(f'{k}="{html.escape(v)}"' for k, v in attrs.items())
                     + ">\n<p class=\"qc-label\">Quick check</p>\n")


def _depart_quickcheck(self, node):
    self.body.append("</div>\n")


def _visit_part(self, node):
    extra = "".join(f' {k}="{html.escape(str(v))}"' for k, v in node.get("attrs", {}).items())
    self.body.append(f'<{node["tag"]} class="{node["cls"]}"{extra}>')
    if node.get("before"):
        self.body.append(node["before"])


def _depart_part(self, node):
    if node.get("after"):
        self.body.append(node["after"])
    self.body.append(f'</{node["tag"]}>\n')


def _skip(self, node):
    pass


def _part(tag: str, cls: str, **kw) -> qc_part:
    node = qc_part()
    node["tag"], node["cls"] = tag, cls
    for key, value in kw.items():
        node[key] = value
    return node


class QuickCheckDirective(SphinxDirective):
    """``quickcheck``: a multiple-choice or numeric question with instant feedback."""

    has_content = True
    option_spec = {"answer": directives.unchanged, "tolerance": directives.unchanged,
                   "hint": directives.unchanged, "name": directives.unchanged}

    def _error(self, message: str):
        return self.severe(f"quickcheck: {message}")

    def _parse_block(self, lines: list[str], offset: int) -> list[nodes.Node]:
        container = nodes.container()
        self.state.nested_parse(StringList(lines, self.get_source_info()[0]),
                                self.content_offset + offset, container)
        return container.children

    def run(self) -> list[nodes.Node]:
        lines = list(self.content)
        env = self.env
        serial = env.new_serialno("quickcheck")
        node = quickcheck()
        node["ids"] = [self.options.get("name") or f"quickcheck-{serial}"]
        if "answer" in self.options:
            self._numeric(node, lines)
        else:
            self._choice(node, lines)
        return [node]

    # ------------------------------------------------------------------ numeric
    def _numeric(self, node: quickcheck, lines: list[str]) -> None:
        try:
            answer = float(self.options["answer"])
            tolerance = float(self.options.get("tolerance", abs(answer) * 0.01))
        except ValueError:
            raise self._error(f"`:answer:` and `:tolerance:` must be numbers, got "
                              f"{self.options.get('answer')!r} and {self.options.get('tolerance')!r}"
                              ) from None
        if tolerance < 0:
            raise self._error(f"`:tolerance:` must be >= 0, got {tolerance}")
        if "---" not in [line.strip() for line in lines]:
            raise self._error("a numeric check needs the question, a line `---`, then the "
                              "explanation")
        cut = [line.strip() for line in lines].index("---")
        node["kind"], node["answer"], node["tolerance"] = "number", repr(answer), repr(tolerance)
        node["hint"] = self.options.get("hint")
        question = _part("div", "qc-question")
        question += self._parse_block(lines[:cut], 0)
        form = _part("div", "qc-answer-row", before=(
            '<label>Your answer: <input type="text" class="qc-input" inputmode="decimal" '
            'autocomplete="off" aria-label="your answer"></label> '
            '<button type="button" class="qc-check">Check</button> '
            '<button type="button" class="qc-reveal">Show answer</button>'))
        feedback = _part("div", "qc-feedback", attrs={"aria-live": "polite"})
        explanation = _part("div", "qc-explanation", attrs={"hidden": "hidden"})
        explanation += self._parse_block(lines[cut + 1:], cut + 1)
        node += [question, form, feedback, explanation]

    # ------------------------------------------------------------------ multiple choice
    def _choice(self, node: quickcheck, lines: list[str]) -> None:
        starts = [i for i, line in enumerate(lines) if _OPTION.match(line)]
        if len(starts) < 2:
            raise self._error("a multiple-choice check needs at least two options, lines "
                              "`- [x] right answer` / `- [ ] wrong answer` (or give `:answer:` "
                              "for a numeric check)")
        node["kind"] = "choice"
        question = _part("div", "qc-question")
        question += self._parse_block(lines[:starts[0]], 0)
        options = _part("ul", "qc-options")
        n_right = 0
        for k, start in enumerate(starts):
            end = starts[k + 1] if k + 1 < len(starts) else len(lines)
            mark, text = _OPTION.match(lines[start]).groups()
            right = mark.lower() == "x"
            n_right += right
            body = [line[2:] if line.startswith("  ") else line for line in lines[start + 1:end]]
            if any(line.strip() and not lines[start + 1 + i].startswith("  ")
                   for i, line in enumerate(body)):
                raise self._error(f"option {k + 1}: indent its explanation by two spaces")
            item = _part("li", "qc-option", attrs={"data-right": "1" if right else "0"})
            choice = _part("button", "qc-choice", attrs={"type": "button"})
            inline, messages = self.state.inline_text(text, self.lineno + start)
            choice += inline
            choice += messages
            why = _part("div", "qc-why", attrs={"hidden": "hidden"})
            why += self._parse_block(body, start + 1) if any(s.strip() for s in body) else []
            item += [choice, why]
            options += item
        if n_right == 0:
            raise self._error("no option is marked right: mark it `- [x]`")
        node["kind"] = "choice" if n_right == 1 else "multi"
        feedback = _part("div", "qc-feedback", attrs={"aria-live": "polite"})
        node += [question, options, feedback]


# ----------------------------------------------------------------------------- notebooks
_BLOCK = re.compile(r"^:::\{quickcheck\}[^\n]*\n(.*?)^:::[ \t]*$", re.M | re.S)


def _as_markdown(body: str) -> str:
    """One quick check as plain Markdown for a notebook: the question, the options
    lettered (a), (b), ..., and the answer with its explanations in a folded
    <details> block (Jupyter has no quick-check directive)."""
    lines = body.split("\n")
    options = {k: v for k, v in (re.match(r"^:(\w+):\s*(.*)$", line).groups()
                                 for line in lines if re.match(r"^:(\w+):", line))}
    lines = [line for line in lines if not re.match(r"^:(\w+):", line)]
    if "answer" in options:
        cut = [line.strip() for line in lines].index("---")
        question, answer = "\n".join(lines[:cut]).strip(), "\n".join(lines[cut + 1:]).strip()
        return (f"**Quick check.** {question}\n\n<details><summary>Answer</summary>\n\n"
                f"**{options['answer']}**. {answer}\n\n</details>")
    starts = [i for i, line in enumerate(lines) if _OPTION.match(line)]
    question = "\n".join(lines[:starts[0]]).strip()
    shown, why = [], []
    for k, start in enumerate(starts):
        end = starts[k + 1] if k + 1 < len(starts) else len(lines)
        mark, text = _OPTION.match(lines[start]).groups()
        letter = "abcdefghij"[k]
        shown.append(f"- ({letter}) {text}")
        verdict = "right" if mark.lower() == "x" else "wrong"
        body_k = " ".join(line.strip() for line in lines[start + 1:end] if line.strip())
        why.append(f"- **({letter}) {verdict}.** {body_k}".rstrip())
    return (f"**Quick check.** {question}\n\n" + "\n".join(shown)
            + "\n\n<details><summary>Answer</summary>\n\n" + "\n".join(why) + "\n\n</details>")


def notebook_markdown(text: str) -> str:
    """``text`` (a Markdown cell) with every ``quickcheck`` block written as plain
    Markdown: what the chapter's notebook twin shows in Jupyter."""
    return _BLOCK.sub(lambda m: _as_markdown(m.group(1)), text)


def setup(app):
    app.add_node(quickcheck, html=(_visit_quickcheck, _depart_quickcheck),
                 latex=(_skip, _skip), text=(_skip, _skip), man=(_skip, _skip),
                 texinfo=(_skip, _skip))
    app.add_node(qc_part, html=(_visit_part, _depart_part),
                 latex=(_skip, _skip), text=(_skip, _skip), man=(_skip, _skip),
                 texinfo=(_skip, _skip))
    app.add_directive("quickcheck", QuickCheckDirective)
    app.add_js_file("quickcheck.js", defer="defer")
    app.add_css_file("quickcheck.css")
    return {"parallel_read_safe": True, "parallel_write_safe": True, "version": "1.0"}
