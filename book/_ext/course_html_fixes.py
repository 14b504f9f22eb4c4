"""Local Sphinx extension of the course book: keep every page free of console errors.

In this Jupyter Book build the inline configuration scripts of sphinx-thebe (loaded by
Jupyter Book whether or not thebe is used) and sphinx-togglebutton reach every page
twice, once with filename None and once with "", so Sphinx's own de-duplication misses
them, and the browser reports "Identifier 'THEBE_JS_URL' has already been declared".
This extension drops exact duplicates from each page's script
list just before the page is written; nothing else changes.
"""


def _dedupe_scripts(app, pagename, templatename, context, doctree):
    scripts = context.get("script_files")
    if not scripts:
        return
    seen, unique = set(), []
    for script in scripts:
        # the same inline script may come once with filename None and once with ""
        filename = getattr(script, "filename", script) or ""
        attributes = getattr(script, "attributes", {}) or {}
        key = (str(filename), getattr(script, "priority", None),
               tuple(sorted((k, str(v)) for k, v in attributes.items())))
        if key in seen:
            continue
        seen.add(key)
        unique.append(script)
    context["script_files"] = unique


def setup(app):
    # priority > 500: run after the themes and extensions have added their scripts
    app.connect("html-page-context", _dedupe_scripts, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True, "version": "1.0"}
